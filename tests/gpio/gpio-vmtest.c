/* keycab's GPIO driver through the real kernel GPIO subsystem: runs inside
 * the test VM (tests/gpio/t-gpio-vm.sh) as its only program, once.
 *
 * It makes a gpio-sim chip through configfs, writes a cabinet file whose
 * gpio board is that chip, and drives it through hw.h only, watching the
 * lines from the other side: sysfs sim_gpioN/value shows the level the
 * driver puts on a lock output, sysfs pull sets what a presence input
 * reads, and libgpiod's line info shows which lines are held. Prints one
 * "ok N - ..." / "not ok N - ..." line per check and, last,
 * "GPIOTEST PASS n/n" or "GPIOTEST FAIL ...". */
#include <errno.h>
#include <gpiod.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "hw/hw.h"
#include "tests/gpio/sim.h"

#define LABEL "keycab-gpio-test"
#define NLINES 16
#define SCAN_MS 50
#define DEBOUNCE 4
#define PULSE_MS 1000     /* the cabinet's default pulse */
#define PULSE_MAX_MS 8000 /* the cabinet's pulse_max_ms */
#define CABINET "/tmp/vmtest-cabinet.conf"
/* Generous: a TCG guest on a shared machine can stall for a while. */
#define DEADLINE_MS 5000

/* The slots of the test cabinet, covering each active-low combination. */
static const struct tslot {
	const char *name;
	int lock, sense;
	bool lock_low, sense_low;
} slots[] = {
	{ "S1", 0, 1, false, false },
	{ "S2", 2, 3, true, false },
	{ "S3", 4, 5, false, true },
	{ "S4", 6, 7, true, true },
};
#define NSLOTS ((int)KC_ARRAY_SIZE(slots))
#define FIRST_UNUSED 8 /* lines 8..15 belong to no slot */

static struct gsim *sim;
static int nrun, nfail;
static char first_failure[300];

__attribute__((format(printf, 2, 3))) static bool check(bool ok, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	nrun++;
	printf("%s %d - %s\n", ok ? "ok" : "not ok", nrun, what);
	if (!ok && nfail++ == 0)
		snprintf(first_failure, sizeof(first_failure), "%d: %s", nrun, what);
	return ok;
}

__attribute__((format(printf, 1, 2))) static void note(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

/* ---- the lines, seen from the simulator's side ---- */

/* Physical level of a lock output at rest and while open. */
static int lock_level(const struct tslot *s, bool on)
{
	return on != s->lock_low;
}

/* Sets a presence input to read a key in (or not) through the sim's pull. */
static int set_key(const struct tslot *s, bool in)
{
	return gsim_pull(sim, s->sense, in != s->sense_low);
}

static bool lock_is(const struct tslot *s, bool on)
{
	return gsim_value(sim, s->lock) == lock_level(s, on);
}

/* Polls a lock output until it shows `on` or ms pass. */
static bool lock_becomes(const struct tslot *s, bool on, int ms)
{
	int64_t end = kc_mono_ms() + ms;

	for (;;) {
		if (lock_is(s, on))
			return true;
		if (kc_mono_ms() > end)
			return false;
		usleep(2000);
	}
}

/* Every lock output inactive right now; names the first one that is not. */
static bool all_locks_off(char *why, size_t len)
{
	for (int i = 0; i < NSLOTS; i++) {
		int v = gsim_value(sim, slots[i].lock);
		if (v != lock_level(&slots[i], false)) {
			snprintf(why, len, "%s's lock (line %d, active-%s) reads %d", slots[i].name,
				 slots[i].lock, slots[i].lock_low ? "low" : "high", v);
			return false;
		}
	}
	snprintf(why, len, "all %d read inactive", NSLOTS);
	return true;
}

/* What libgpiod says about a line: -1 unknown, else used/output bits. */
struct line_use {
	bool used, output, active_low;
	char consumer[40];
};

static int line_info(int line, struct line_use *u)
{
	struct gpiod_chip *chip = gpiod_chip_open_by_label(LABEL);
	if (!chip)
		return -errno;
	struct gpiod_line *l = gpiod_chip_get_line(chip, (unsigned)line);
	int rc = l ? 0 : -errno;
	if (rc == 0) {
		u->used = gpiod_line_is_used(l);
		u->output = gpiod_line_direction(l) == GPIOD_LINE_DIRECTION_OUTPUT;
		u->active_low = gpiod_line_active_state(l) == GPIOD_LINE_ACTIVE_STATE_LOW;
		kc_strlcpy(u->consumer, gpiod_line_consumer(l) ? gpiod_line_consumer(l) : "",
			   sizeof(u->consumer));
	}
	gpiod_chip_close(chip);
	return rc;
}

/* Polls until no line of the chip is held (a dying process releases its
 * lines as its descriptors close) or ms pass; names a held line. */
static bool all_released(int ms, char *why, size_t len)
{
	int64_t end = kc_mono_ms() + ms;

	for (;;) {
		int held = -1;
		struct line_use u;
		for (int line = 0; line < NLINES && held < 0; line++)
			if (line_info(line, &u) < 0 || u.used)
				held = line;
		if (held < 0) {
			snprintf(why, len, "no line of %s is held", LABEL);
			return true;
		}
		if (kc_mono_ms() > end) {
			snprintf(why, len, "line %d is still held (consumer \"%s\")", held,
				 u.consumer);
			return false;
		}
		usleep(5000);
	}
}

/* ---- the cabinet, seen through hw.h ---- */

static int write_cabinet(const char *path, const char *chip, int sense_s1, const char *extra)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	fprintf(f,
		"; written by tests/gpio/gpio-vmtest.c inside the test VM\n"
		"[cabinet]\nid = vmtest\nscan_ms = %d\ndebounce = %d\n"
		"pulse_ms = %d\npulse_max_ms = %d\n%s\n"
		"[board pins]\ntype = gpio\nchip = %s\n",
		SCAN_MS, DEBOUNCE, PULSE_MS, PULSE_MAX_MS, extra, chip);
	for (int i = 0; i < NSLOTS; i++)
		fprintf(f, "\n[slot %s]\nboard = pins\nlock = %d\nsense = %d\n"
			"lock_active_low = %s\nsense_active_low = %s\n",
			slots[i].name, slots[i].lock, i == 0 ? sense_s1 : slots[i].sense,
			slots[i].lock_low ? "yes" : "no", slots[i].sense_low ? "yes" : "no");
	return fclose(f) == 0 ? 0 : -EIO;
}

static struct hw_cabinet *cabinet(const char *path, char *err, size_t errlen)
{
	struct hw_cabinet *cab = hw_cabinet_new(path, err, errlen);
	if (!cab)
		return NULL;
	int rc = hw_cabinet_start(cab, err, errlen);
	if (rc < 0) {
		hw_cabinet_free(cab);
		return NULL;
	}
	return cab;
}

/* Events read but not yet looked for, in order. */
static struct hw_event pending[256];
static int npending;

static void describe(const struct hw_event *e, char *buf, size_t len)
{
	snprintf(buf, len, "%s slot %d (%s)%s%s", hw_event_name(e->type), e->slot,
		 hw_presence_name(e->presence), e->detail[0] ? ": " : "", e->detail);
}

/* Reads whatever events are there, waiting up to ms for the first. */
static void pump(struct hw_cabinet *cab, int ms)
{
	struct pollfd p = { .fd = hw_cabinet_fd(cab), .events = POLLIN };

	if (poll(&p, 1, ms) <= 0)
		return;
	int room = (int)KC_ARRAY_SIZE(pending) - npending;
	if (room <= 0) {
		note("more than %d events unread: dropping the oldest", npending);
		memmove(pending, pending + 1, sizeof(pending) - sizeof(pending[0]));
		npending--;
		room = 1;
	}
	int n = hw_cabinet_read_events(cab, pending + npending, room);
	if (n > 0)
		npending += n;
}

static void take(int i, struct hw_event *ev)
{
	if (ev)
		*ev = pending[i];
	memmove(pending + i, pending + i + 1, (size_t)(npending - i - 1) * sizeof(pending[0]));
	npending--;
}

/* Waits up to ms for an event of type for slot; takes it (and every
 * earlier event, each noted) and returns true. */
static bool wait_event(struct hw_cabinet *cab, enum hw_event_type type, int slot, int ms,
		       struct hw_event *ev)
{
	int64_t end = kc_mono_ms() + ms;
	char buf[256];

	for (;;) {
		for (int i = 0; i < npending; i++) {
			if (pending[i].type == type && pending[i].slot == slot) {
				for (int k = 0; k < i; k++) {
					describe(&pending[0], buf, sizeof(buf));
					note("on the way: %s", buf);
					take(0, NULL);
				}
				take(0, ev);
				return true;
			}
		}
		int64_t left = end - kc_mono_ms();
		if (left <= 0)
			return false;
		pump(cab, (int)left);
	}
}

/* Collects events for ms and says whether any is about presence or
 * locks (what must not happen while nothing changes); drops them. */
static bool quiet_for(struct hw_cabinet *cab, int ms, char *why, size_t len)
{
	int64_t end = kc_mono_ms() + ms;
	bool quiet = true;

	snprintf(why, len, "no event in %d ms", ms);
	for (int64_t left = ms; left > 0; left = end - kc_mono_ms())
		pump(cab, (int)left);
	for (int i = 0; i < npending; i++) {
		if (quiet)
			describe(&pending[i], why, len);
		quiet = false;
	}
	npending = 0;
	return quiet;
}

static enum hw_presence presence(struct hw_cabinet *cab, int slot)
{
	struct hw_slot_state st;
	return hw_slot_state(cab, slot, &st) == 0 ? st.presence : HW_PRESENCE_UNKNOWN;
}

static bool lock_on_state(struct hw_cabinet *cab, int slot)
{
	struct hw_slot_state st;
	return hw_slot_state(cab, slot, &st) == 0 && st.lock_on;
}

/* ---- the checks ---- */

/* A start that must fail, with a message that names what is wrong. */
static void start_refused(const char *what, const char *chip, int sense_s1, const char *needle)
{
	char err[512] = "";
	const char *path = "/tmp/vmtest-bad.conf";

	if (!check(write_cabinet(path, chip, sense_s1, "") == 0, "%s: cabinet file written", what))
		return;
	struct hw_cabinet *cab = hw_cabinet_new(path, err, sizeof(err));
	if (!check(cab != NULL, "%s: the file loads (%s)", what, cab ? "ok" : err))
		return;
	int rc = hw_cabinet_start(cab, err, sizeof(err));
	check(rc < 0 && strstr(err, needle), "%s: hw_cabinet_start refuses (%d): \"%s\"", what, rc,
	      err);
	hw_cabinet_free(cab);
	char why[160];
	check(all_released(DEADLINE_MS, why, sizeof(why)), "%s: nothing left held: %s", what, why);
}

static void check_start(struct hw_cabinet *cab)
{
	char why[160];
	struct line_use u;

	/* The pulls put every lock at its active level: only the driver
	 * driving them can make them read inactive. */
	check(all_locks_off(why, sizeof(why)), "right after start every lock is off: %s", why);
	for (int i = 0; i < NSLOTS; i++) {
		const struct tslot *s = &slots[i];
		int rc = line_info(s->lock, &u);
		check(rc == 0 && u.used && u.output, "%s: lock line %d held as an output (%s)",
		      s->name, s->lock, rc == 0 ? u.consumer : strerror(-rc));
		rc = line_info(s->sense, &u);
		check(rc == 0 && u.used && !u.output, "%s: sense line %d held as an input (%s)",
		      s->name, s->sense, rc == 0 ? u.consumer : strerror(-rc));
	}
	int touched = -1;
	for (int line = FIRST_UNUSED; line < NLINES && touched < 0; line++)
		if (line_info(line, &u) < 0 || u.used)
			touched = line;
	check(touched < 0, "lines %d to %d (no slot's) are not held%s", FIRST_UNUSED, NLINES - 1,
	      touched < 0 ? "" : ": one is");

	/* Presence at start: only S3 has a key (its pull says so). */
	int64_t end = kc_mono_ms() + DEADLINE_MS;
	bool known = false;
	while (!known && kc_mono_ms() < end) {
		known = true;
		for (int i = 0; i < NSLOTS; i++)
			known &= presence(cab, i) != HW_PRESENCE_UNKNOWN;
		pump(cab, SCAN_MS);
	}
	for (int i = 0; i < NSLOTS; i++) {
		enum hw_presence want = i == 2 ? HW_PRESENCE_PRESENT : HW_PRESENCE_ABSENT;
		enum hw_presence got = presence(cab, i);
		check(got == want, "%s: presence at start is %s (want %s)", slots[i].name,
		      hw_presence_name(got), hw_presence_name(want));
	}
	/* Start-up reports presence as known, not as keys coming or going. */
	bool moves = false;
	for (int i = 0; i < npending; i++) {
		char buf[256];
		describe(&pending[i], buf, sizeof(buf));
		note("at start: %s", buf);
		moves |= pending[i].type == HW_EV_INSERTED || pending[i].type == HW_EV_REMOVED;
	}
	check(!moves, "no INSERTED/REMOVED events at start");
	npending = 0;
}

/* A key goes in or out through the sim's pull: the driver must report it
 * once, after the debounce, and the slot state must follow. */
static void check_key(struct hw_cabinet *cab, int i, bool in)
{
	const struct tslot *s = &slots[i];
	enum hw_event_type type = in ? HW_EV_INSERTED : HW_EV_REMOVED;
	struct hw_event ev;

	int64_t t0 = kc_mono_ms();
	int rc = set_key(s, in);
	bool seen = rc == 0 && wait_event(cab, type, i, DEADLINE_MS, &ev);
	if (!check(seen, "%s (sense line %d, active-%s): key %s -> %s", s->name, s->sense,
		   s->sense_low ? "low" : "high", in ? "in" : "out", hw_event_name(type)))
		return;
	int64_t after = kc_mono_ms() - t0;
	/* A reading counts once it has held for DEBOUNCE scans: at least
	 * DEBOUNCE-1 scan intervals after the change (a lower bound only,
	 * taken when the event is read, so a stall cannot break it). */
	check(after >= (DEBOUNCE - 1) * SCAN_MS - 5, "%s: reported %lld ms after the change "
	      "(debounced: at least %d ms)", s->name, (long long)after, (DEBOUNCE - 1) * SCAN_MS);
	enum hw_presence want = in ? HW_PRESENCE_PRESENT : HW_PRESENCE_ABSENT;
	check(ev.presence == want && presence(cab, i) == want && ev.tag == 0,
	      "%s: the event and the slot say %s, tag 0", s->name, hw_presence_name(want));
}

/* A glitch far shorter than the debounce time is not a key. */
static void check_glitch(struct hw_cabinet *cab)
{
	const struct tslot *s = &slots[0];
	char why[256];

	int rc = set_key(s, true);
	rc = rc ? rc : set_key(s, false);
	check(rc == 0 && quiet_for(cab, (DEBOUNCE + 4) * SCAN_MS, why, sizeof(why)) &&
		      presence(cab, 0) == HW_PRESENCE_ABSENT,
	      "S1: a short glitch on its sense line is ignored: %s", why);
}

/* One bounded pulse: the output goes active, stays so for the pulse and
 * goes off again, with HW_EV_LOCK_OFF; the other locks never move. */
static void check_pulse(struct hw_cabinet *cab, int i, unsigned ms)
{
	const struct tslot *s = &slots[i];
	unsigned want = ms ? ms : PULSE_MS;
	struct hw_event ev;
	char why[160];

	int64_t t0 = kc_mono_ms();
	int rc = hw_cabinet_open(cab, i, ms);
	if (!check(rc == 0, "%s: hw_cabinet_open(%u ms) = %d", s->name, ms, rc))
		return;
	check(lock_becomes(s, true, DEADLINE_MS), "%s: lock line %d goes active (level %d)",
	      s->name, s->lock, lock_level(s, true));
	check(lock_on_state(cab, i), "%s: the slot state says lock_on", s->name);
	rc = hw_cabinet_open(cab, i, ms);
	check(rc == -EBUSY, "%s: a second open during the pulse is -EBUSY (%d)", s->name, rc);
	bool others = true;
	for (int k = 0; k < NSLOTS; k++)
		if (k != i && !lock_is(&slots[k], false))
			others = false;
	check(others, "%s: every other lock stays off during the pulse", s->name);
	/* Watch the line until LOCK_OFF: the pulse started after t0, so a
	 * reading of "off" finished before t0 + want means it ended early.
	 * Only readings taken in time count, so a stalled guest cannot fail
	 * this; a late end is only bounded generously. */
	bool got = false, early = false;
	int64_t end = t0 + want + DEADLINE_MS, off_seen = 0;
	while (!got && kc_mono_ms() < end) {
		bool on = lock_is(s, true);
		int64_t t = kc_mono_ms();
		if (!on && t < t0 + (int64_t)want)
			early = true;
		if (!on && !off_seen)
			off_seen = t;
		got = wait_event(cab, HW_EV_LOCK_OFF, i, 5, &ev);
		if (got && !off_seen && lock_is(s, false))
			off_seen = kc_mono_ms();
	}
	int64_t t1 = kc_mono_ms();
	if (!check(got, "%s: HW_EV_LOCK_OFF arrives", s->name))
		return;
	check(!early, "%s: the lock stays on for the whole pulse (%u ms asked; "
	      "off seen %lld ms, LOCK_OFF read %lld ms after the call)", s->name, want,
	      (long long)(off_seen ? off_seen - t0 : -1), (long long)(t1 - t0));
	check(lock_is(s, false), "%s: the lock reads off when LOCK_OFF is read", s->name);
	check(!lock_on_state(cab, i), "%s: the slot state no longer says lock_on", s->name);
	check(all_locks_off(why, sizeof(why)), "%s: after the pulse %s", s->name, why);
}

static void check_refusals(struct hw_cabinet *cab)
{
	char why[256];
	int rc;

	rc = hw_cabinet_open(cab, 0, PULSE_MAX_MS + 1);
	check(rc == -ERANGE, "a pulse above pulse_max_ms (%d) is -ERANGE (%d)", PULSE_MAX_MS + 1,
	      rc);
	rc = hw_cabinet_open(cab, 0, HW_PULSE_HARD_MAX_MS + 1);
	check(rc == -ERANGE, "a pulse above the hard maximum (%d) is -ERANGE (%d)",
	      HW_PULSE_HARD_MAX_MS + 1, rc);
	rc = hw_cabinet_open(cab, NSLOTS, 500);
	check(rc == -ENOENT, "no slot %d: -ENOENT (%d)", NSLOTS, rc);
	rc = hw_cabinet_open(cab, -1, 500);
	check(rc == -ENOENT, "no slot -1: -ENOENT (%d)", rc);
	/* Refused opens must not have moved a lock, now or a little later. */
	bool off = true;
	for (int64_t end = kc_mono_ms() + 3 * SCAN_MS; kc_mono_ms() < end; usleep(2000))
		off &= all_locks_off(why, sizeof(why));
	check(off && quiet_for(cab, 2 * SCAN_MS, why, sizeof(why)),
	      "refused opens move no lock: %s", why);
}

/* A process that dies holding a pulse: the kernel releases its lines and
 * each lock line falls to its pull, which a real board must tie to the
 * lock's inactive level (tests/gpio/README.md). how: SIGKILL or SIGTERM
 * (default action: the library installs no handler). */
static void check_death(int sig)
{
	const struct tslot *s = &slots[1]; /* active-low: dies holding it at 0 */
	char err[512], why[160];
	int ready[2];

	/* What a board's pull resistors do: every lock pulled to off. */
	for (int i = 0; i < NSLOTS; i++)
		gsim_pull(sim, slots[i].lock, lock_level(&slots[i], false));
	if (pipe(ready) < 0) {
		check(false, "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		struct hw_cabinet *cab = cabinet(CABINET, err, sizeof(err));
		char c = cab && hw_cabinet_open(cab, 1, PULSE_MAX_MS) == 0 ? 'y' : 'n';
		if (c == 'n')
			printf("# child: %s\n", cab ? "open failed" : err);
		fflush(stdout);
		if (write(ready[1], &c, 1) != 1 || c == 'n')
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	char c = 0;
	bool opened = pid > 0 && read(ready[0], &c, 1) == 1 && c == 'y';
	close(ready[0]);
	if (check(opened, "%s: a child process opens %s for %d ms", strsignal(sig), s->name,
		  PULSE_MAX_MS))
		check(lock_becomes(s, true, DEADLINE_MS), "%s: the child's pulse is on",
		      strsignal(sig));
	if (pid > 0) {
		kill(pid, sig);
		int status = 0;
		waitpid(pid, &status, 0);
		check(WIFSIGNALED(status) && WTERMSIG(status) == sig, "the child died of %s",
		      strsignal(sig));
	}
	check(all_released(DEADLINE_MS, why, sizeof(why)), "%s: the kernel released the lines: %s",
	      strsignal(sig), why);
	check(all_locks_off(why, sizeof(why)), "%s: every lock at its pull, off: %s",
	      strsignal(sig), why);
}

/* A line another program holds: start fails naming it, and lets go of
 * what it had taken. */
static void check_line_busy(void)
{
	const struct tslot *s = &slots[1];
	char err[512] = "", why[160];
	struct gpiod_chip *chip = gpiod_chip_open_by_label(LABEL);
	struct gpiod_line *line = chip ? gpiod_chip_get_line(chip, (unsigned)s->sense) : NULL;

	if (!check(line && gpiod_line_request_input(line, "other-program") == 0,
		   "line busy: another program holds %s's sense line %d", s->name, s->sense)) {
		if (chip)
			gpiod_chip_close(chip);
		return;
	}
	struct hw_cabinet *cab = hw_cabinet_new(CABINET, err, sizeof(err));
	int rc = cab ? hw_cabinet_start(cab, err, sizeof(err)) : -EINVAL;
	char needle[32];
	snprintf(needle, sizeof(needle), "line %d", s->sense);
	check(rc < 0 && strstr(err, needle) && strstr(err, strerror(EBUSY)),
	      "line busy: hw_cabinet_start refuses (%d): \"%s\"", rc, err);
	hw_cabinet_free(cab);
	gpiod_chip_close(chip);
	check(all_released(DEADLINE_MS, why, sizeof(why)), "line busy: afterwards %s", why);
}

static volatile sig_atomic_t emergency_fd = -1;
static struct hw_cabinet *emergency_cab;

static void on_usr1(int sig)
{
	(void)sig;
	hw_cabinet_emergency_off(emergency_cab);
	char c = 'o';
	if (write(emergency_fd, &c, 1) < 0)
		_exit(3);
}

/* hw_cabinet_emergency_off() from a signal handler (what a daemon's
 * fatal-signal handler calls) drives every lock off while the process
 * still holds the lines: with the pulls at the ACTIVE level, only the
 * driver's write can make a held line read off. */
static void check_emergency_off(void)
{
	const struct tslot *s = &slots[1];
	char err[512], why[160];
	int ready[2];

	for (int i = 0; i < NSLOTS; i++)
		gsim_pull(sim, slots[i].lock, lock_level(&slots[i], true));
	if (pipe(ready) < 0) {
		check(false, "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		emergency_fd = ready[1];
		emergency_cab = cabinet(CABINET, err, sizeof(err));
		signal(SIGUSR1, on_usr1);
		char c = emergency_cab && hw_cabinet_open(emergency_cab, 1, PULSE_MAX_MS) == 0 ?
				 'y' : 'n';
		if (c == 'n')
			printf("# child: %s\n", emergency_cab ? "open failed" : err);
		fflush(stdout);
		if (write(ready[1], &c, 1) != 1 || c == 'n')
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	char c = 0;
	bool opened = pid > 0 && read(ready[0], &c, 1) == 1 && c == 'y';
	if (check(opened, "emergency off: a child opens %s for %d ms", s->name, PULSE_MAX_MS) &&
	    check(lock_becomes(s, true, DEADLINE_MS), "emergency off: the child's pulse is on")) {
		kill(pid, SIGUSR1);
		bool done = read(ready[0], &c, 1) == 1 && c == 'o';
		struct line_use u;
		int held = 0;
		for (int i = 0; i < NSLOTS; i++)
			held += line_info(slots[i].lock, &u) == 0 && u.used;
		check(done && all_locks_off(why, sizeof(why)) && held == NSLOTS,
		      "emergency off: in the signal handler every lock goes off while its line is "
		      "still held (%s; %d of %d held)", why, held, NSLOTS);
	}
	close(ready[0]);
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	check(all_released(DEADLINE_MS, why, sizeof(why)), "emergency off: afterwards %s", why);
	for (int i = 0; i < NSLOTS; i++)
		gsim_pull(sim, slots[i].lock, lock_level(&slots[i], false));
}

static void run(void)
{
	static const char *names[NLINES];
	char name_buf[NLINES][32], err[512], why[160];

	for (int i = 0; i < NSLOTS; i++) {
		snprintf(name_buf[slots[i].lock], sizeof(name_buf[0]), "%s-lock", slots[i].name);
		snprintf(name_buf[slots[i].sense], sizeof(name_buf[0]), "%s-sense", slots[i].name);
		names[slots[i].lock] = name_buf[slots[i].lock];
		names[slots[i].sense] = name_buf[slots[i].sense];
	}
	sim = gsim_new("keycab", LABEL, NLINES, names, err, sizeof(err));
	if (!check(sim != NULL, "gpio-sim chip \"%s\" with %d lines made through configfs%s%s",
		   LABEL, NLINES, sim ? "" : ": ", sim ? "" : err))
		return;
	note("the chip is %s", gsim_chip_name(sim));

	start_refused("no such chip", "keycab-no-such-chip", slots[0].sense, "keycab-no-such-chip");
	start_refused("a line the chip lacks", LABEL, 40, "40");

	/* Every lock pulled to its ACTIVE level: until the driver drives a
	 * lock, it reads energised. Keys: only S3 has one. */
	int rc = 0;
	for (int i = 0; i < NSLOTS; i++) {
		rc = rc ? rc : gsim_pull(sim, slots[i].lock, lock_level(&slots[i], true));
		rc = rc ? rc : set_key(&slots[i], i == 2);
	}
	check(rc == 0, "pulls set: locks at their active level, a key in S3 only");
	check(!all_locks_off(why, sizeof(why)), "before start the locks read active (%s)", why);

	if (!check(write_cabinet(CABINET, LABEL, slots[0].sense, "") == 0, "cabinet file %s written",
		   CABINET))
		return;
	struct hw_cabinet *cab = hw_cabinet_new(CABINET, err, sizeof(err));
	if (!check(cab != NULL, "hw_cabinet_new loads it%s%s", cab ? "" : ": ", cab ? "" : err))
		return;
	rc = hw_cabinet_start(cab, err, sizeof(err));
	if (!check(rc == 0, "hw_cabinet_start = %d%s%s", rc, rc ? ": " : "", rc ? err : "")) {
		hw_cabinet_free(cab);
		return;
	}
	check_start(cab);

	/* Keys in and out, each active-low combination. */
	check_key(cab, 0, true);
	check_key(cab, 0, false);
	check_key(cab, 1, true);
	check_key(cab, 2, false);
	check_key(cab, 2, true);
	check_key(cab, 3, true);
	check_key(cab, 3, false);
	check_glitch(cab);

	check_pulse(cab, 0, 500);
	check_pulse(cab, 1, 300); /* active-low lock */
	check_pulse(cab, 3, 0);   /* the cabinet's pulse_ms */
	check_refusals(cab);

	/* Free in the middle of a pulse: the driver switches it off and lets
	 * the lines go. Until then every other lock is off. */
	rc = hw_cabinet_open(cab, 2, PULSE_MAX_MS);
	check(rc == 0 && lock_becomes(&slots[2], true, DEADLINE_MS),
	      "S3: a long pulse is on before hw_cabinet_free (%d)", rc);
	bool others = true;
	for (int k = 0; k < NSLOTS; k++)
		others &= k == 2 || lock_is(&slots[k], false);
	check(others, "just before hw_cabinet_free every other lock is off");
	for (int i = 0; i < NSLOTS; i++)
		gsim_pull(sim, slots[i].lock, lock_level(&slots[i], false));
	int64_t t0 = kc_mono_ms();
	hw_cabinet_free(cab);
	int64_t took = kc_mono_ms() - t0;
	check(took < PULSE_MAX_MS / 2, "hw_cabinet_free does not wait for the pulse (%lld ms)",
	      (long long)took);
	check(all_released(0, why, sizeof(why)), "after hw_cabinet_free: %s", why);
	check(all_locks_off(why, sizeof(why)), "after hw_cabinet_free, with the board's pulls: %s",
	      why);

	check_death(SIGKILL);
	check_death(SIGTERM);
	check_emergency_off();
	check_line_busy();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	run();
	gsim_free(sim);
	if (nfail)
		printf("GPIOTEST FAIL %d of %d checks failed; first: %s\n", nfail, nrun,
		       first_failure);
	else
		printf("GPIOTEST PASS %d/%d\n", nrun, nrun);
	return nfail ? 1 : 0;
}
