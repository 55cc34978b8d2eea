/* Integration test of the hw.h contract against keycab-sim over Modbus
 * TCP: what hw_cabinet_open() returns, one LOCK_OFF per open, a board
 * that is slow (answers late) or too slow (answers after the timeout)
 * during a host-timed pulse, and hw_cabinet_free() mid-pulse. The
 * simulator runs as a child on fresh ports in a fresh directory. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <poll.h>
#include <unistd.h>

#include "common/util.h"
#include "hw/hw.h"
#include "tests/simctl.h"

static int failures;
static char dir[] = "/tmp/t-hw-api.XXXXXX";
static char ctl_path[128], conf_path[128];
static pid_t sim_pid = -1;

static bool check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	failures += !ok;
	return ok;
}

static bool coil_on(const char *slot)
{
	char r[64];

	return simctl_cmd(ctl_path, r, sizeof(r), "coil %s", slot) == 0 && strcmp(r, "OK on") == 0;
}

/* The last ON..OFF of the slot's coil, in ms; -1 when there is none. */
static long last_pulse_ms(const char *slot)
{
	char r[4096], *p, *on = NULL, *off = NULL;

	if (simctl_cmd(ctl_path, r, sizeof(r), "history %s", slot) < 0)
		return -1;
	for (p = strstr(r, "ON@"); p; p = strstr(p + 1, "ON@")) {
		if (p > r && p[-1] != ' ')
			continue;
		on = p;
	}
	if (!on)
		return -1;
	off = strstr(on, "OFF@");
	if (!off)
		return -1;
	return (strtol(off + 4, NULL, 10) - strtol(on + 3, NULL, 10)) / 1000;
}

static bool wait_coil(const char *slot, bool on, int ms)
{
	int64_t end = kc_mono_ms() + ms;

	while (kc_mono_ms() < end) {
		if (coil_on(slot) == on)
			return true;
		poll(NULL, 0, 10);
	}
	return false;
}

/* Waits for an event of that type and slot; the others are dropped. */
static bool wait_event(struct hw_cabinet *cab, enum hw_event_type type, int slot, int ms,
		       struct hw_event *got)
{
	int64_t end = kc_mono_ms() + ms;
	struct pollfd pfd = { .fd = hw_cabinet_fd(cab), .events = POLLIN };

	while (kc_mono_ms() < end) {
		struct hw_event ev[16];
		int n;

		poll(&pfd, 1, (int)(end - kc_mono_ms()) > 0 ? (int)(end - kc_mono_ms()) : 0);
		n = hw_cabinet_read_events(cab, ev, 16);
		for (int i = 0; i < n; i++)
			if (ev[i].type == type && ev[i].slot == slot) {
				if (got)
					*got = ev[i];
				return true;
			}
	}
	return false;
}

static void test_open_contract(void)
{
	char err[512];
	struct hw_cabinet *cab = hw_cabinet_new(conf_path, err, sizeof(err));
	struct hw_slot_state st;
	struct hw_event ev;
	int a1, b1;

	puts("-- hw_cabinet_open(): what it returns, one LOCK_OFF per open");
	if (!check(cab != NULL, "cabinet loads (%s)", cab ? "" : err))
		return;
	a1 = hw_slot_find(cab, "A1");
	b1 = hw_slot_find(cab, "B1");
	check(a1 >= 0 && b1 >= 0, "slots found by name");
	check(hw_slot_find(cab, "nope") == -ENOENT, "no such slot: -ENOENT");
	check(hw_cabinet_open(cab, a1, 0) == -EAGAIN, "open before start: -EAGAIN");
	check(hw_cabinet_start(cab, err, sizeof(err)) == 0, "start");
	check(wait_event(cab, HW_EV_RECOVERED, a1, 5000, &ev) && ev.presence == HW_PRESENCE_ABSENT,
	      "A1: RECOVERED (absent) when first read");
	check(hw_cabinet_open(cab, 99, 0) == -ENOENT, "open of slot 99: -ENOENT");
	check(hw_cabinet_open(cab, a1, 30001) == -ERANGE, "pulse above pulse_max_ms: -ERANGE");
	check(hw_cabinet_open(cab, a1, 800) == 0, "open A1 for 800 ms: 0");
	check(hw_cabinet_open(cab, a1, 800) == -EBUSY, "open A1 again during the pulse: -EBUSY");
	hw_slot_state(cab, a1, &st);
	check(st.lock_on, "A1: lock_on during the pulse");
	check(wait_coil("A1", true, 2000), "A1: the coil goes on at the simulator");
	check(wait_event(cab, HW_EV_LOCK_OFF, a1, 5000, &ev) && ev.detail[0] == '\0',
	      "A1: LOCK_OFF when the pulse ends");
	check(!coil_on("A1"), "A1: the coil is off when LOCK_OFF is read");
	hw_slot_state(cab, a1, &st);
	check(!st.lock_on, "A1: lock_on false after LOCK_OFF");
	check(last_pulse_ms("A1") >= 750 && last_pulse_ms("A1") <= 1300,
	      "A1: the coil was on %ld ms (asked 800)", last_pulse_ms("A1"));

	simctl_cmd(ctl_path, NULL, 0, "fault tcpb timeout");
	check(wait_event(cab, HW_EV_FAULT, b1, 5000, &ev) && strstr(ev.detail, "board tcpb"),
	      "B1: FAULT when its board stops answering (%s)", ev.detail);
	check(hw_cabinet_open(cab, b1, 0) == -EIO, "open on a FAULT board: -EIO at once");
	{
		struct hw_board_state bs;

		hw_board_state(cab, hw_slot_board(cab, b1), &bs);
		check(bs.state == HW_BOARD_STATE_FAULT && strstr(bs.detail, "timed out"),
		      "hw_board_state says FAULT and why: %s", bs.detail);
	}
	simctl_cmd(ctl_path, NULL, 0, "fault tcpb none");
	check(wait_event(cab, HW_EV_RECOVERED, b1, 5000, NULL), "B1: RECOVERED when it answers");
	check(hw_cabinet_open(cab, b1, 500) == 0, "open B1 once recovered: 0");
	check(wait_event(cab, HW_EV_LOCK_OFF, b1, 5000, NULL), "B1: LOCK_OFF");
	{
		struct hw_cabinet_stats cs;

		hw_cabinet_stats(cab, &cs);
		check(cs.scans > 0 && cs.requests >= cs.scans,
		      "stats: %llu scans, %llu requests", (unsigned long long)cs.scans,
		      (unsigned long long)cs.requests);
	}

	puts("-- hw_cabinet_free() during a pulse switches the lock off");
	simctl_cmd(ctl_path, NULL, 0, "clear-history");
	check(hw_cabinet_open(cab, a1, 20000) == 0, "open A1 for 20 s");
	check(wait_coil("A1", true, 2000), "A1: coil on");
	hw_cabinet_free(cab);
	check(!coil_on("A1"), "A1: coil off once hw_cabinet_free() returns");
	check(last_pulse_ms("A1") >= 0 && last_pulse_ms("A1") < 5000,
	      "A1: on for %ld ms only", last_pulse_ms("A1"));
}

/* timeout_ms is 1000 in this cabinet. */
static void test_slow_board(void)
{
	char err[512];
	struct hw_cabinet *cab = hw_cabinet_new(conf_path, err, sizeof(err));
	struct hw_event ev;
	int a1, a2;

	puts("-- a host-timed pulse on a slow board");
	if (!check(cab != NULL && hw_cabinet_start(cab, err, sizeof(err)) == 0, "start"))
		goto out;
	a1 = hw_slot_find(cab, "A1");
	a2 = hw_slot_find(cab, "A2");
	check(wait_event(cab, HW_EV_RECOVERED, a1, 5000, NULL), "A1: read");
	simctl_cmd(ctl_path, NULL, 0, "clear-history");
	/* 900 ms late: within the timeout, so it still counts as answering.
	 * The pulse is counted from the request, not from the answer, and no
	 * scan request may hold the bus past its end. */
	simctl_cmd(ctl_path, NULL, 0, "fault tcpa slow 900");
	check(hw_cabinet_open(cab, a1, 1000) == 0, "open A1 for 1000 ms, board 900 ms slow");
	check(wait_event(cab, HW_EV_LOCK_OFF, a1, 8000, &ev), "A1: LOCK_OFF");
	check(last_pulse_ms("A1") >= 900 && last_pulse_ms("A1") < 1400,
	      "A1: coil on %ld ms at the board: the bound holds although the board "
	      "answered late", last_pulse_ms("A1"));

	/* 1500 ms late: the request times out, yet the board acts on it. The
	 * lock counts as on, goes off at once, and the off is repeated until
	 * the board confirms it. */
	simctl_cmd(ctl_path, NULL, 0, "fault tcpa slow 1500");
	check(hw_cabinet_open(cab, a2, 3000) == 0, "open A2 for 3000 ms, board 1500 ms slow");
	check(wait_coil("A2", true, 3000), "A2: the board switched the coil on (unconfirmed)");
	check(wait_coil("A2", false, 3000), "A2: and off again, well before the 3000 ms pulse");
	check(last_pulse_ms("A2") >= 0 && last_pulse_ms("A2") < 2500, "A2: coil on %ld ms",
	      last_pulse_ms("A2"));
	check(!wait_event(cab, HW_EV_LOCK_OFF, a2, 1500, NULL),
	      "A2: no LOCK_OFF while the off is not confirmed");
	simctl_cmd(ctl_path, NULL, 0, "fault tcpa none");
	check(wait_event(cab, HW_EV_LOCK_OFF, a2, 8000, &ev) && ev.detail[0],
	      "A2: LOCK_OFF once the board confirms, saying what happened: %s", ev.detail);
	check(!coil_on("A2"), "A2: coil off");
out:
	hw_cabinet_free(cab);
}

/* The ON and OFF times (us) of the slot's last pulse; false if none. */
static bool last_pulse_us(const char *slot, long long *on_us, long long *off_us)
{
	char r[4096], *p, *on = NULL, *off;

	if (simctl_cmd(ctl_path, r, sizeof(r), "history %s", slot) < 0)
		return false;
	for (p = strstr(r, "ON@"); p; p = strstr(p + 1, "ON@"))
		if (p == r || p[-1] == ' ')
			on = p;
	if (!on || !(off = strstr(on, "OFF@")))
		return false;
	*on_us = strtoll(on + 3, NULL, 10);
	*off_us = strtoll(off + 4, NULL, 10);
	return true;
}

/* An open on a bus where a host-timed pulse ends within one response
 * timeout (1000 ms here) does not wait for that end: the pulse is ended a
 * little early (never past its deadline, never by more than half), then
 * the open goes out. */
static void test_open_near_pulse_end(void)
{
	char err[512];
	struct hw_cabinet *cab = hw_cabinet_new(conf_path, err, sizeof(err));
	long long a_on, a_off, b_on, b_off;
	int64_t t_open;
	int a1, a2;

	puts("-- an open while another pulse on the bus is about to end");
	if (!check(cab != NULL && hw_cabinet_start(cab, err, sizeof(err)) == 0, "start"))
		goto out;
	a1 = hw_slot_find(cab, "A1");
	a2 = hw_slot_find(cab, "A2");
	check(wait_event(cab, HW_EV_RECOVERED, a2, 5000, NULL), "A2: read");
	simctl_cmd(ctl_path, NULL, 0, "clear-history");
	check(hw_cabinet_open(cab, a1, 3000) == 0, "open A1 for 3000 ms");
	poll(NULL, 0, 2100); /* A1 ends in ~900 ms: within one timeout */
	t_open = kc_mono_ms();
	check(hw_cabinet_open(cab, a2, 1000) == 0, "open A2 on the same board 2100 ms later");
	check(wait_coil("A2", true, 3000), "A2: coil on");
	check(wait_event(cab, HW_EV_LOCK_OFF, a1, 5000, NULL), "A1: LOCK_OFF");
	check(wait_coil("A2", false, 3000), "A2: coil off after its pulse");
	if (!check(last_pulse_us("A1", &a_on, &a_off) && last_pulse_us("A2", &b_on, &b_off),
		   "A1 and A2 have a whole pulse in the coil history"))
		goto out;
	check(a_off <= b_on, "A1 went off (%lld us) before A2 went on (%lld us)", a_off, b_on);
	check(b_on / 1000 - t_open < 600,
	      "A2 did not wait for A1's end: on %lld ms after the open (A1 ended %lld ms "
	      "after it was due to)", b_on / 1000 - t_open, (a_off - a_on) / 1000 - 3000);
	check((a_off - a_on) / 1000 >= 1500 && (a_off - a_on) / 1000 <= 3000 + 300,
	      "A1: coil on %lld ms: shortened by at most half, never past its deadline",
	      (a_off - a_on) / 1000);
out:
	hw_cabinet_free(cab);
}

static int write_conf(int timeout_ms, int p1, int p2)
{
	FILE *f = fopen(conf_path, "w");

	if (!f)
		return -errno;
	fprintf(f,
		"[cabinet]\nid = t-api\nscan_ms = 50\ndebounce = 2\npulse_ms = 1000\n"
		"timeout_ms = %d\nretry_min_ms = 200\nretry_max_ms = 800\n"
		"[board tcpa]\ntype = modbus-tcp\nhost = 127.0.0.1\nport = %d\n"
		"[board tcpb]\ntype = modbus-tcp\nhost = 127.0.0.1\nport = %d\n"
		"[slot A1]\nboard = tcpa\nlock = 0\nsense = 0\ntag = 0\n"
		"[slot A2]\nboard = tcpa\nlock = 1\nsense = 1\ntag = 2\n"
		"[slot B1]\nboard = tcpb\nlock = 0\nsense = 0\n",
		timeout_ms, p1, p2);
	return fclose(f) == 0 ? 0 : -EIO;
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	snprintf(ctl_path, sizeof(ctl_path), "%s/sim.ctl", dir);
	snprintf(conf_path, sizeof(conf_path), "%s/cab.conf", dir);

	if (write_conf(200, simctl_free_port(), simctl_free_port()) < 0 || simctl_start(conf_path, ctl_path, &sim_pid) < 0) {
		check(false, "keycab-sim starts");
		goto out;
	}
	test_open_contract();
	simctl_stop(&sim_pid);
	if (write_conf(1000, simctl_free_port(), simctl_free_port()) < 0 || simctl_start(conf_path, ctl_path, &sim_pid) < 0) {
		check(false, "keycab-sim starts");
		goto out;
	}
	test_slow_board();
	simctl_stop(&sim_pid);
	if (write_conf(1000, simctl_free_port(), simctl_free_port()) < 0 || simctl_start(conf_path, ctl_path, &sim_pid) < 0) {
		check(false, "keycab-sim starts");
		goto out;
	}
	test_open_near_pulse_end();
out:
	simctl_stop(&sim_pid);
	unlink(conf_path);
	unlink(ctl_path);
	rmdir(dir);
	printf("%s\n", failures ? "FAILED" : "all checks passed");
	return failures ? 1 : 0;
}
