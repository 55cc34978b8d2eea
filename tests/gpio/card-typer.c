/* The card reader's hand in the card login VM (tests/kiosk/t-card-vm.sh):
 * makes the uinput keyboard (kbd.h) the kiosk reads, then takes commands,
 * one a line, from a serial port the host writes to, and answers each:
 *
 *   card ID   types ID and Enter          -> "typed N"
 *
 * N is how many key events a plain reader of the same event node (opened
 * beside the kiosk's, not grabbing) received for that card: 0 while the
 * kiosk holds its grab (EVIOCGRAB), so the digits reach no other program.
 *   quit      removes the keyboard, exits -> "bye"
 *
 * A card id is typed, never printed. Usage: card-typer TTY */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "tests/gpio/kbd.h"

#define GAP_MS 5 /* between keys, as a reader types */

static int tty_open(const char *path)
{
	struct termios t;
	int fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (tcgetattr(fd, &t) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	cfmakeraw(&t);
	if (tcsetattr(fd, TCSANOW, &t) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

/* Key events waiting on the plain reader fd, read and counted. */
static int seen_keys(int fd)
{
	struct input_event ev[64];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = 0;

	/* what evdev queues for a reader is there when the write returns; the
	 * wait only gives a slow guest its chance */
	while (poll(&p, 1, 200) > 0) {
		ssize_t r = read(fd, ev, sizeof(ev));

		if (r <= 0)
			break;
		for (size_t i = 0; i < (size_t)r / sizeof(ev[0]); i++)
			n += ev[i].type == EV_KEY;
	}
	return n;
}

static void answer(int fd, const char *s)
{
	size_t n = strlen(s);

	if (write(fd, s, n) != (ssize_t)n)
		printf("# card-typer: cannot answer: %s\n", strerror(errno));
}

int main(int argc, char **argv)
{
	struct libevdev_uinput *ui;
	char node[64], line[128];
	size_t len = 0;
	int fd, plain;

	if (argc != 2) {
		fprintf(stderr, "usage: card-typer TTY\n");
		return 2;
	}
	fd = tty_open(argv[1]);
	if (fd < 0) {
		printf("# card-typer: %s: %s\n", argv[1], strerror(-fd));
		return 1;
	}
	ui = kbd_make(node, sizeof(node));
	if (!ui)
		return 1;
	plain = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (plain < 0) {
		printf("# card-typer: %s: %s\n", node, strerror(errno));
		kbd_remove(ui);
		return 1;
	}
	printf("CARDVM TYPER %s as %s\n", node, KBD_BYID);
	fflush(stdout);
	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (c == '\r')
			continue;
		if (c != '\n') {
			if (len + 1 < sizeof(line))
				line[len++] = c;
			continue;
		}
		line[len] = '\0';
		len = 0;
		if (strncmp(line, "card ", 5) == 0) {
			char card[sizeof(line) + 1], said[32];

			seen_keys(plain);
			snprintf(card, sizeof(card), "%s\n", line + 5);
			kbd_type(ui, card, GAP_MS);
			memset(card, 0, sizeof(card));
			snprintf(said, sizeof(said), "typed %d\n", seen_keys(plain));
			answer(fd, said);
		} else if (strcmp(line, "quit") == 0) {
			answer(fd, "bye\n");
			break;
		} else if (line[0]) {
			answer(fd, "unknown command\n");
		}
		memset(line, 0, sizeof(line));
	}
	close(plain);
	kbd_remove(ui);
	close(fd);
	return 0;
}
