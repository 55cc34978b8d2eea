/* keycab-hw: the commissioning tool an installer uses while wiring a
 * cabinet, and the fail-secure "everything off" of keycabd.service.
 *
 *   keycab-hw -c FILE [--json] check
 *   keycab-hw -c FILE [--json] scan [--watch]
 *   keycab-hw -c FILE [--json] open SLOT [--pulse MS]
 *   keycab-hw -c FILE [--json] off
 *
 * Exit codes (hw/README.md): 0 done, 1 system error, 2 usage (bad command
 * line, unknown slot, pulse out of range), 3 bad cabinet file, 4 a board
 * does not answer (or a GPIO chip/line is missing or busy), 5 open refused
 * (slot busy), 128+N stopped by signal N after switching every lock off. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "common/signals.h"
#include "common/util.h"
#include "hw/hw.h"

#define POLL_STEP_MS 200 /* the longest wait before what is awaited is checked again */

enum {
	EXIT_OK = 0,
	EXIT_SYS = 1,
	EXIT_USAGE = 2,
	EXIT_CONF = 3,
	EXIT_BOARD = 4,
	EXIT_REFUSED = 5,
	EXIT_SIGNAL = 128, /* + the signal's number */
};

struct tool {
	const char *file;
	bool json;
	bool watch;
	unsigned pulse_ms;
	struct hw_cabinet *cab;
	int sfd;
	int signo;      /* the signal that stopped us */
	int open_slot;  /* open: the slot whose LOCK_OFF ends the wait */
	bool lock_off;
	char off_detail[160];
};

static const char *prog = "keycab-hw";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: %s -c FILE [--json] COMMAND\n"
		"  check                  check the cabinet file and reach every board\n"
		"  scan [--watch]         every slot's state (--watch: then follow changes)\n"
		"  open SLOT [--pulse MS] open one slot for one bounded pulse\n"
		"  off                    switch every lock off\n"
		"exit: 0 ok, 1 system error, 2 usage, 3 bad cabinet file, 4 board not\n"
		"answering, 5 open refused, 128+N stopped by signal N (locks off)\n",
		prog);
}

static void print_json(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

	if (s) {
		puts(s);
		free(s);
	}
	json_decref(j);
	fflush(stdout);
}

/* Tells what went wrong, as text on stderr or as a JSON object. */
static int fail(struct tool *t, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct tool *t, int code, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t->json)
		print_json(json_pack("{s:b,s:s,s:i}", "ok", 0, "error", msg, "exit", code));
	else
		fprintf(stderr, "%s: %s\n", prog, msg);
	return code;
}

static void print_event(struct tool *t, const struct hw_event *ev)
{
	const char *slot = hw_slot_name(t->cab, ev->slot);

	if (t->json) {
		print_json(json_pack("{s:s,s:s,s:s,s:I,s:I,s:s}", "slot", slot, "event",
				     hw_event_name(ev->type), "presence",
				     hw_presence_name(ev->presence), "tag", (json_int_t)ev->tag,
				     "mono_ms", (json_int_t)ev->mono_ms, "detail", ev->detail));
		return;
	}
	{
		char when[KC_TIME_LEN];

		kc_time_format(kc_wall_ms(), when, sizeof(when));
		printf("%s %-8s %-9s", when, slot, hw_event_name(ev->type));
		if (ev->type == HW_EV_INSERTED || (ev->type == HW_EV_RECOVERED &&
						   ev->presence == HW_PRESENCE_PRESENT))
			printf(" tag=%u", ev->tag);
		if (ev->type == HW_EV_RECOVERED)
			printf(" %s", hw_presence_name(ev->presence));
		if (ev->detail[0])
			printf(" (%s)", ev->detail);
		putchar('\n');
		fflush(stdout);
	}
}

/* Waits for events until done() says so, the deadline (0: none) passes
 * (-ETIMEDOUT) or a signal comes (-EINTR, t->signo set). */
static int pump(struct tool *t, int64_t deadline, bool (*done)(struct tool *))
{
	struct pollfd fds[2] = {
		{ .fd = hw_cabinet_fd(t->cab), .events = POLLIN },
		{ .fd = t->sfd, .events = POLLIN },
	};

	while (!done(t)) {
		int64_t now = kc_mono_ms();
		int timeout = -1;

		if (deadline) {
			if (now >= deadline)
				return -ETIMEDOUT;
			timeout = (int)(deadline - now);
			if (timeout > POLL_STEP_MS)
				timeout = POLL_STEP_MS;
		} else if (!t->watch) {
			timeout = POLL_STEP_MS; /* done() may turn true without an event */
		}
		if (poll(fds, 2, timeout) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(t->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				t->signo = (int)si.ssi_signo;
				return -EINTR;
			}
		}
		if (fds[0].revents & POLLIN) {
			struct hw_event ev[32];
			int n = hw_cabinet_read_events(t->cab, ev, (int)KC_ARRAY_SIZE(ev));

			for (int i = 0; i < n; i++) {
				if (t->watch)
					print_event(t, &ev[i]);
				if (ev[i].type == HW_EV_LOCK_OFF && ev[i].slot == t->open_slot) {
					t->lock_off = true;
					kc_strlcpy(t->off_detail, ev[i].detail,
						   sizeof(t->off_detail));
				}
			}
		}
	}
	return 0;
}

static bool boards_known(struct tool *t)
{
	for (int s = 0; s < hw_cabinet_slot_count(t->cab); s++) {
		struct hw_board_state st;

		hw_board_state(t->cab, hw_slot_board(t->cab, s), &st);
		if (st.state == HW_BOARD_STATE_UNKNOWN)
			return false;
	}
	return true;
}

static bool slots_known(struct tool *t)
{
	for (int s = 0; s < hw_cabinet_slot_count(t->cab); s++) {
		struct hw_slot_state st;

		hw_slot_state(t->cab, s, &st);
		if (st.presence == HW_PRESENCE_UNKNOWN)
			return false;
	}
	return true;
}

static bool open_done(struct tool *t)
{
	return t->lock_off;
}

static bool never(struct tool *t)
{
	(void)t;
	return false;
}

/* Long enough for every board to be tried once even when each one times
 * out, and for presence to settle. */
static int64_t first_contact_deadline(struct tool *t)
{
	const struct hw_cabinet_conf *c = hw_cabinet_conf(t->cab);

	return kc_mono_ms() + (int64_t)c->nboards * 3 * c->timeout_ms +
	       (int64_t)(c->debounce + 2) * c->scan_ms + 2000;
}

static int board_used(struct tool *t, int board)
{
	int n = 0;

	for (int s = 0; s < hw_cabinet_slot_count(t->cab); s++)
		n += hw_slot_board(t->cab, s) == board;
	return n;
}

static void board_where(const struct hw_cabinet_conf *c, int i, char *buf, size_t len)
{
	const struct hw_board_conf *b = &c->boards[i];

	if (b->type == HW_BOARD_MODBUS_RTU)
		snprintf(buf, len, "modbus-rtu %s unit %d, %s", c->buses[b->bus].device, b->unit,
			 hw_profile_name(b->profile));
	else if (b->type == HW_BOARD_MODBUS_TCP)
		snprintf(buf, len, "modbus-tcp %s:%d unit %d, %s", b->host, b->port, b->unit,
			 hw_profile_name(b->profile));
	else
		snprintf(buf, len, "gpio chip %s", b->chip);
}

static int cmd_check(struct tool *t)
{
	const struct hw_cabinet_conf *c = hw_cabinet_conf(t->cab);
	json_t *boards = json_array();
	int bad = 0;

	if (pump(t, first_contact_deadline(t), boards_known) == -EINTR)
		return EXIT_SIGNAL + t->signo;
	if (!t->json)
		printf("%s: cabinet %s: %d slots on %d boards\n", c->path, c->id, c->nslots,
		       c->nboards);
	for (int i = 0; i < c->nboards; i++) {
		struct hw_board_state st;
		char where[400];
		const char *state;
		int n = board_used(t, i);

		hw_board_state(t->cab, i, &st);
		board_where(c, i, where, sizeof(where));
		if (n == 0)
			state = "unused";
		else if (st.state == HW_BOARD_STATE_OK)
			state = "ok";
		else {
			state = "fault";
			bad++;
			if (!st.detail[0])
				snprintf(st.detail, sizeof(st.detail), "no answer yet");
		}
		if (t->json)
			json_array_append_new(boards, json_pack("{s:s,s:s,s:i,s:s,s:s}", "board",
								c->boards[i].name, "where", where,
								"slots", n, "state", state,
								"detail", st.detail));
		else if (strcmp(state, "fault") == 0)
			printf("  board %-12s %-40s NOT ANSWERING: %s\n", c->boards[i].name,
			       where, st.detail);
		else
			printf("  board %-12s %-40s %s, %d slots\n", c->boards[i].name, where,
			       state, n);
	}
	if (t->json)
		print_json(json_pack("{s:b,s:s,s:s,s:i,s:o}", "ok", bad == 0, "file", c->path,
				     "cabinet", c->id, "slots", c->nslots, "boards", boards));
	else {
		json_decref(boards);
		printf(bad ? "%d board(s) not answering\n" : "every board answers\n", bad);
	}
	return bad ? EXIT_BOARD : EXIT_OK;
}

static int cmd_scan(struct tool *t)
{
	const struct hw_cabinet_conf *c = hw_cabinet_conf(t->cab);
	json_t *slots = json_array();
	bool watch = t->watch;
	int bad = 0;

	/* The snapshot first: events that led to it are not printed. */
	t->watch = false;
	if (pump(t, first_contact_deadline(t), slots_known) == -EINTR) {
		json_decref(slots);
		return EXIT_SIGNAL + t->signo;
	}
	if (!t->json)
		printf("%-10s %-12s %-8s %-10s %s\n", "SLOT", "BOARD", "PRESENCE", "TAG", "LOCK");
	for (int s = 0; s < c->nslots; s++) {
		struct hw_slot_state st;
		const char *board = c->boards[c->slots[s].board].name;
		char tag[16] = "-";

		hw_slot_state(t->cab, s, &st);
		bad += st.presence == HW_PRESENCE_FAULT || st.presence == HW_PRESENCE_UNKNOWN;
		if (hw_slot_reads_tags(t->cab, s) && st.presence == HW_PRESENCE_PRESENT)
			snprintf(tag, sizeof(tag), "%u", st.tag);
		if (t->json)
			json_array_append_new(
				slots, json_pack("{s:s,s:s,s:s,s:I,s:b,s:b}", "slot",
						 c->slots[s].name, "board", board, "presence",
						 hw_presence_name(st.presence), "tag",
						 (json_int_t)st.tag, "reads_tags",
						 hw_slot_reads_tags(t->cab, s), "lock_on", st.lock_on));
		else
			printf("%-10s %-12s %-8s %-10s %s\n", c->slots[s].name, board,
			       hw_presence_name(st.presence), tag, st.lock_on ? "on" : "off");
	}
	if (t->json)
		print_json(json_pack("{s:b,s:s,s:o}", "ok", bad == 0, "cabinet", c->id, "slots",
				     slots));
	else
		json_decref(slots);
	if (!t->json) {
		for (int i = 0; i < c->nboards; i++) {
			struct hw_board_state st;

			hw_board_state(t->cab, i, &st);
			if (st.state == HW_BOARD_STATE_FAULT)
				printf("board %s: %s\n", c->boards[i].name, st.detail);
		}
	}
	fflush(stdout);
	if (watch) {
		t->watch = true;
		pump(t, 0, never);
		return EXIT_SIGNAL + t->signo;
	}
	return bad ? EXIT_BOARD : EXIT_OK;
}

static int cmd_open(struct tool *t, const char *name)
{
	int slot = hw_slot_find(t->cab, name);
	int board, r;
	struct hw_board_state st;
	unsigned ms = t->pulse_ms ? t->pulse_ms : (unsigned)hw_cabinet_conf(t->cab)->pulse_ms;

	if (slot < 0)
		return fail(t, EXIT_USAGE, "no slot %s in %s", name, t->file);
	board = hw_slot_board(t->cab, slot);
	t->open_slot = slot;
	/* Wait for the board's first answer (and its start-up reset). */
	t->watch = false;
	if (pump(t, first_contact_deadline(t), boards_known) == -EINTR)
		return EXIT_SIGNAL + t->signo;
	hw_board_state(t->cab, board, &st);
	if (st.state != HW_BOARD_STATE_OK)
		return fail(t, EXIT_BOARD, "slot %s: board %s does not answer: %s", name,
			    hw_board_name(t->cab, board), st.detail[0] ? st.detail : "no answer yet");
	r = hw_cabinet_open(t->cab, slot, t->pulse_ms);
	if (r == -ERANGE)
		return fail(t, EXIT_USAGE, "pulse of %u ms is above pulse_max_ms (%d)", ms,
			    hw_cabinet_conf(t->cab)->pulse_max_ms);
	if (r == -EIO)
		return fail(t, EXIT_BOARD, "slot %s: its board does not answer", name);
	if (r < 0)
		return fail(t, EXIT_REFUSED, "slot %s: not opened: %s", name, strerror(-r));
	if (!t->json) {
		printf("slot %s: open for %u ms\n", name, ms);
		fflush(stdout);
	}
	r = pump(t, 0, open_done);
	if (r == -EINTR) {
		if (!t->json)
			printf("slot %s: stopped by signal %d: switching every lock off\n", name,
			       t->signo);
		return EXIT_SIGNAL + t->signo;
	}
	if (t->json)
		print_json(json_pack("{s:b,s:s,s:I,s:s}", "ok", t->off_detail[0] == '\0', "slot",
				     name, "pulse_ms", (json_int_t)ms, "detail", t->off_detail));
	else if (t->off_detail[0])
		printf("slot %s: lock off; %s\n", name, t->off_detail);
	else
		printf("slot %s: lock off\n", name);
	return t->off_detail[0] ? EXIT_BOARD : EXIT_OK;
}

static int cmd_off(struct tool *t)
{
	const struct hw_cabinet_conf *c = hw_cabinet_conf(t->cab);
	json_t *failed = json_array();
	int bad = 0;

	/* Starting switches every lock off (the requests go out as each bus
	 * thread starts); freeing does it once more. */
	pump(t, first_contact_deadline(t), boards_known);
	for (int i = 0; i < c->nboards; i++) {
		struct hw_board_state st;

		if (board_used(t, i) == 0)
			continue;
		hw_board_state(t->cab, i, &st);
		if (st.state == HW_BOARD_STATE_OK)
			continue;
		bad++;
		if (t->json)
			json_array_append_new(failed, json_pack("{s:s,s:s}", "board",
								c->boards[i].name, "detail",
								st.detail));
		else
			fprintf(stderr, "%s: board %s: locks not confirmed off: %s\n", prog,
				c->boards[i].name, st.detail[0] ? st.detail : "no answer");
	}
	if (t->json)
		print_json(json_pack("{s:b,s:o}", "ok", bad == 0, "failed", failed));
	else {
		json_decref(failed);
		if (!bad)
			printf("every lock off\n");
	}
	return bad ? EXIT_BOARD : EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "watch", no_argument, NULL, 'w' },
		{ "pulse", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct tool t = { .sfd = -1, .open_slot = -1 };
	char err[600];
	const char *cmd;
	int opt, code;

	while ((opt = getopt_long(argc, argv, "c:jwp:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			t.file = optarg;
			break;
		case 'j':
			t.json = true;
			break;
		case 'w':
			t.watch = true;
			break;
		case 'p': {
			long long v;

			if (kc_parse_long(optarg, 1, HW_PULSE_HARD_MAX_MS, &v) < 0)
				return fail(&t, EXIT_USAGE, "--pulse %s: say 1 to %d (ms)", optarg,
					    HW_PULSE_HARD_MAX_MS);
			t.pulse_ms = (unsigned)v;
			break;
		}
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (!t.file || optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	if ((strcmp(cmd, "open") == 0) != (argc - optind == 2) ||
	    (strcmp(cmd, "open") != 0 && argc - optind != 1)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "check") != 0 && strcmp(cmd, "scan") != 0 && strcmp(cmd, "open") != 0 &&
	    strcmp(cmd, "off") != 0) {
		fprintf(stderr, "%s: unknown command \"%s\"\n", prog, cmd);
		usage(stderr);
		return EXIT_USAGE;
	}
	if (t.watch && strcmp(cmd, "scan") != 0)
		return fail(&t, EXIT_USAGE, "--watch goes with scan only");
	if (t.pulse_ms && strcmp(cmd, "open") != 0)
		return fail(&t, EXIT_USAGE, "--pulse goes with open only");

	t.cab = hw_cabinet_new(t.file, err, sizeof(err));
	if (!t.cab)
		return fail(&t, EXIT_CONF, "%s", err);
	/* Signals come through a signalfd, so that every way out goes through
	 * hw_cabinet_free() and its "every lock off"; SIGPIPE too (output
	 * piped into a reader that went away must not kill us mid-pulse). */
	t.sfd = kc_signalfd_open(true);
	if (t.sfd < 0) {
		code = fail(&t, EXIT_SYS, "signalfd: %s", strerror(-t.sfd));
		goto out;
	}
	if (hw_cabinet_start(t.cab, err, sizeof(err)) < 0) {
		code = fail(&t, EXIT_BOARD, "%s", err);
		goto out;
	}
	if (strcmp(cmd, "check") == 0)
		code = cmd_check(&t);
	else if (strcmp(cmd, "scan") == 0)
		code = cmd_scan(&t);
	else if (strcmp(cmd, "open") == 0)
		code = cmd_open(&t, argv[optind + 1]);
	else
		code = cmd_off(&t);
out:
	hw_cabinet_free(t.cab);
	if (t.sfd >= 0)
		close(t.sfd);
	return code;
}
