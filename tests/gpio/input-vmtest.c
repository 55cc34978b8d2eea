/* The card reader (controller/kiosk/cardreader.h) through the real kernel
 * input subsystem: runs inside the test VM (tests/gpio/t-gpio-vm.sh) after
 * gpio-vmtest, once, with evdev and uinput loaded.
 *
 * It makes a uinput keyboard (the kernel's evdev gives it a real
 * /dev/input/eventN), plays udev by linking a by-id name to it, types
 * cards into it and reads them with the library, watching from the side
 * with a plain second reader of the same device. Prints one "ok N - ..." /
 * "not ok N - ..." line per check and, last, "INPUTTEST PASS n/n" or
 * "INPUTTEST FAIL ...". */
#include <errno.h>
#include <fcntl.h>
#include <libevdev/libevdev-uinput.h>
#include <libevdev/libevdev.h>
#include <linux/input.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "controller/kiosk/cardreader.h"
#include "tests/gpio/kbd.h"

#define BYID KBD_BYID
#define KEY_TIMEOUT_MS 500
#define PAUSE_MS 700 /* a pause that drops a half-typed card */
/* Generous: a TCG guest on a shared machine can stall for a while. */
#define DEADLINE_MS 5000

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

/* Types s from a child process while the caller reads, as a reader types
 * into a program that is reading: a card of more than about 15 keys does
 * not fit in the kernel's per-reader buffer of 64 events unread. */
static pid_t type_bg(struct libevdev_uinput *ui, const char *s, int gap_ms)
{
	pid_t pid = fork();

	if (pid == 0) {
		kbd_type(ui, s, gap_ms);
		_exit(0);
	}
	return pid;
}

static void reap(pid_t pid)
{
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* ---- the readers ---- */

/* The next event of r within ms: 1 with *ev, 0 when none came. */
static int next_ev(struct kc_cardreader *r, int ms, struct kc_cardreader_event *ev)
{
	int64_t end = kc_mono_ms() + ms;
	char err[160];

	for (;;) {
		struct pollfd p = { .fd = kc_cardreader_fd(r), .events = POLLIN };
		int rc = kc_cardreader_read(r, ev, err, sizeof(err));
		int64_t left;

		if (rc < 0) {
			printf("# kc_cardreader_read: %s\n", err);
			return 0;
		}
		if (rc > 0)
			return 1;
		left = end - kc_mono_ms();
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return 0;
	}
}

static const char *kind_name(const struct kc_cardreader_event *ev)
{
	switch (ev->kind) {
	case KC_CARDREADER_CARD: return "CARD";
	case KC_CARDREADER_UP: return "UP";
	case KC_CARDREADER_DOWN: return "DOWN";
	}
	return "?";
}

static bool expect_card(struct kc_cardreader *r, const char *want, const char *what)
{
	struct kc_cardreader_event ev;

	if (!next_ev(r, DEADLINE_MS, &ev))
		return check(false, "%s: no card within %d ms", what, DEADLINE_MS);
	if (ev.kind != KC_CARDREADER_CARD)
		return check(false, "%s: got %s (%s), not a card", what, kind_name(&ev), ev.message);
	return check(strcmp(ev.id, want) == 0 && ev.len == strlen(want),
		     "%s: card \"%s\" arrives whole (got \"%s\", len %zu)", what, want, ev.id,
		     ev.len);
}

static bool expect_nothing(struct kc_cardreader *r, int ms, const char *what)
{
	struct kc_cardreader_event ev;

	if (next_ev(r, ms, &ev))
		return check(false, "%s: got %s \"%s\" %s", what, kind_name(&ev),
			     ev.kind == KC_CARDREADER_CARD ? ev.id : "", ev.message);
	return check(true, "%s: nothing within %d ms", what, ms);
}

/* Nothing but DOWN events within ms. */
static bool expect_no_up(struct kc_cardreader *r, int ms, const char *what)
{
	struct kc_cardreader_event ev;
	int64_t end = kc_mono_ms() + ms;

	while (next_ev(r, (int)(end - kc_mono_ms()), &ev))
		if (ev.kind != KC_CARDREADER_DOWN)
			return check(false, "%s: got %s %s", what, kind_name(&ev), ev.message);
	return check(true, "%s: no UP and no card within %d ms", what, ms);
}

static bool expect_state(struct kc_cardreader *r, enum kc_cardreader_kind kind, int error,
			 const char *what)
{
	struct kc_cardreader_event ev;

	/* While down, the error may change (gone, then no such path): the
	 * first event of the wanted kind counts. */
	while (next_ev(r, DEADLINE_MS, &ev)) {
		if (ev.kind == kind && (!error || ev.error == error))
			return check(true, "%s: %s (%s)", what, kind_name(&ev), ev.message);
		if (ev.kind == KC_CARDREADER_CARD || kind == KC_CARDREADER_DOWN)
			return check(false, "%s: got %s %d (%s)", what, kind_name(&ev), ev.error,
				     ev.message);
		printf("# %s: %s %d (%s)\n", what, kind_name(&ev), ev.error, ev.message);
	}
	return check(false, "%s: no %s within %d ms", what,
		     kind == KC_CARDREADER_UP ? "UP" : "DOWN", DEADLINE_MS);
}

static struct kc_cardreader *reader(void)
{
	struct kc_cardreader_opts o = {
		.path = BYID, .key_timeout_ms = KEY_TIMEOUT_MS,
		.backoff_min_ms = 50, .backoff_max_ms = 400,
	};
	struct kc_cardreader *r = NULL;
	char err[160];
	int rc = kc_cardreader_open(&r, &o, err, sizeof(err));

	check(rc == 0, "kc_cardreader_open on %s: %d %s", BYID, rc, rc ? err : "");
	return r;
}

/* Events a plain (ungrabbing) reader of the device sees right now. */
static int plain_events(int fd)
{
	struct input_event e[64];
	int n = 0;
	ssize_t got;

	while ((got = read(fd, e, sizeof(e))) > 0)
		n += (int)(got / (ssize_t)sizeof(e[0]));
	return n;
}

/* ---- the checks ---- */

static void run(void)
{
	struct kc_cardreader_stats st;
	struct kc_cardreader *r, *r2;
	pid_t child;
	struct libevdev_uinput *ui;
	char node[64];
	int plain, fd;

	ui = kbd_make(node, sizeof(node));
	if (!check(ui != NULL, "a uinput keyboard at %s, linked as %s", node, BYID))
		return;
	plain = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	check(plain >= 0, "a plain second reader opens %s", node);

	/* Without the grab, the second reader sees the keys (so its seeing
	 * nothing below is the grab's doing). */
	kbd_type(ui, "42\n", 0);
	usleep(50 * 1000);
	check(plain_events(plain) > 0, "ungrabbed, the plain reader sees the keys");

	r = reader();
	if (!r)
		return;
	fd = kc_cardreader_fd(r);
	expect_state(r, KC_CARDREADER_UP, 0, "the reader opens the device");
	check(kc_cardreader_connected(r) == 1, "connected");

	/* 1. A card arrives whole; nobody else sees it. */
	kbd_type(ui, "0012345678\n", 0);
	expect_card(r, "0012345678", "digits and Enter");
	usleep(100 * 1000);
	check(plain_events(plain) == 0, "grabbed: the plain reader sees none of the keys");

	/* 2. A second card reader on the same device cannot have it. */
	r2 = reader();
	if (r2) {
		expect_state(r2, KC_CARDREADER_DOWN, -EBUSY, "a second card reader is refused");
		check(kc_cardreader_connected(r2) == 0, "the second reader is not connected");
		kc_cardreader_close(r2);
	}

	/* 3. Letters with shift, keypad digits, repeats and releases. */
	kbd_type(ui, "AB12cdEF\n", 0);
	expect_card(r, "AB12cdEF", "letters with shift");
	kbd_key(ui, KEY_KP4, 1);
	kbd_key(ui, KEY_KP4, 0);
	kbd_tap(ui, KEY_KP7);
	kbd_tap(ui, KEY_KP1);
	kbd_tap(ui, KEY_KP1);
	kbd_tap(ui, KEY_KPENTER);
	expect_card(r, "4711", "keypad digits and keypad Enter");
	kbd_key(ui, KEY_1, 1);
	kbd_key(ui, KEY_1, 2);
	kbd_key(ui, KEY_1, 2);
	kbd_key(ui, KEY_1, 2);
	kbd_key(ui, KEY_1, 0);
	kbd_tap(ui, KEY_2);
	kbd_key(ui, KEY_ENTER, 1);
	kbd_key(ui, KEY_ENTER, 2);
	kbd_key(ui, KEY_ENTER, 0);
	expect_card(r, "12", "a held key's repeats and every release type nothing");

	/* 4. A half-typed card is dropped after a pause. */
	kbd_type(ui, "1234", 0);
	usleep(PAUSE_MS * 1000);
	kbd_type(ui, "987654\n", 0);
	expect_card(r, "987654", "half-typed 1234, a pause, then a card");
	kc_cardreader_stats(r, &st);
	check(st.dropped_timeout == 1, "one card dropped for the pause (%lu)", st.dropped_timeout);
	kbd_type(ui, "555", 0);
	expect_nothing(r, PAUSE_MS, "half-typed 555 and nothing more");
	kc_cardreader_stats(r, &st);
	check(st.dropped_timeout == 2, "dropped by the timer too (%lu)", st.dropped_timeout);
	kbd_type(ui, "\n", 0);
	expect_nothing(r, 100, "Enter after the dropped 555");
	kbd_type(ui, "2468\n", KEY_TIMEOUT_MS / 3);
	expect_card(r, "2468", "keys slower than a reader but within the pause limit");

	/* 5. Too long, or a key that is no digit or letter: dropped whole. */
	child = type_bg(ui, "1234567890123456789012345678901234567890\n", 1);
	expect_nothing(r, 500, "a 40-character card");
	reap(child);
	kbd_type(ui, "12!34\n", 0);
	expect_nothing(r, 100, "a card with shift+1");
	kbd_type(ui, "12 34\n", 0);
	expect_nothing(r, 100, "a card with a space");
	child = type_bg(ui, "12345678901234567890123456789012\n", 1);
	expect_card(r, "12345678901234567890123456789012", "a 32-character card, the limit");
	reap(child);
	kc_cardreader_stats(r, &st);
	check(st.dropped_long == 1 && st.dropped_key == 2 && st.cards == 7,
	      "stats: long %lu, key %lu, cards %lu", st.dropped_long, st.dropped_key, st.cards);

	/* 6. Keys lost to a kernel buffer overrun: the rest of that card is
	 * not taken for a card. 20 keys unread overrun the 64 events. */
	kbd_type(ui, "12345678901234567890", 0);
	expect_nothing(r, 100, "20 keys typed while nobody reads");
	kbd_type(ui, "5678\n", 0);
	expect_nothing(r, 100, "the card's rest after the overrun");
	kc_cardreader_stats(r, &st);
	check(st.dropped_sync == 1, "one card dropped for the overrun (%lu)", st.dropped_sync);
	usleep(PAUSE_MS * 1000);
	kbd_type(ui, "31337\n", 0);
	expect_card(r, "31337", "after a pause, cards again");

	/* 7. Unplugged: reported; a new device by the same name is taken again. */
	close(plain);
	kbd_remove(ui);
	expect_state(r, KC_CARDREADER_DOWN, -ENODEV, "the device removed");
	check(kc_cardreader_connected(r) == 0, "not connected while it is gone");
	expect_no_up(r, 300, "while there is no device");
	ui = kbd_make(node, sizeof(node));
	if (!check(ui != NULL, "a new uinput keyboard at %s, linked as %s", node, BYID))
		goto out;
	expect_state(r, KC_CARDREADER_UP, 0, "the new device is picked up");
	check(kc_cardreader_fd(r) == fd, "the descriptor to poll stays the same");
	kbd_type(ui, "77001\n", 0);
	expect_card(r, "77001", "a card on the new device");
	plain = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	kbd_type(ui, "77002\n", 0);
	expect_card(r, "77002", "another");
	usleep(100 * 1000);
	check(plain >= 0 && plain_events(plain) == 0, "the new device is grabbed too");
	kc_cardreader_stats(r, &st);
	check(st.opens == 2, "opened twice (%lu)", st.opens);

	/* 8. A reader refused for the grab takes over when the holder goes. */
	r2 = reader();
	if (r2) {
		expect_state(r2, KC_CARDREADER_DOWN, -EBUSY, "while the first holds it");
		kc_cardreader_close(r);
		r = NULL;
		expect_state(r2, KC_CARDREADER_UP, 0, "the holder closed: the second takes it");
		kbd_type(ui, "880\n", 0);
		expect_card(r2, "880", "the second reader reads");
		usleep(100 * 1000);
		check(plain_events(plain) == 0, "and holds the grab");
		kc_cardreader_close(r2);
	}
	/* Closed: the grab is released. */
	kbd_type(ui, "9\n", 0);
	usleep(50 * 1000);
	check(plain_events(plain) > 0, "every reader closed: the keys reach the plain reader");
	if (plain >= 0)
		close(plain);
	kbd_remove(ui);
out:
	kc_cardreader_close(r);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	run();
	if (nfail)
		printf("INPUTTEST FAIL %d of %d checks failed; first: %s\n", nfail, nrun,
		       first_failure);
	else
		printf("INPUTTEST PASS %d/%d\n", nrun, nrun);
	return nfail ? 1 : 0;
}
