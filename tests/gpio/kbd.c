/* A uinput keyboard-wedge card reader for the VM tests (kbd.h). */
#include <errno.h>
#include <linux/input.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/gpio/kbd.h"

struct libevdev_uinput *kbd_make(char *node, size_t len)
{
	struct libevdev *d = libevdev_new();
	struct libevdev_uinput *ui = NULL;
	const char *n;
	int rc;

	if (!d)
		return NULL;
	libevdev_set_name(d, KBD_NAME);
	libevdev_set_id_bustype(d, BUS_USB);
	libevdev_set_id_vendor(d, 0x1234);
	libevdev_set_id_product(d, 0x5678);
	libevdev_enable_event_type(d, EV_KEY);
	for (unsigned c = KEY_ESC; c <= KEY_KPDOT; c++)
		libevdev_enable_event_code(d, EV_KEY, c, NULL);
	libevdev_enable_event_code(d, EV_KEY, KEY_KPENTER, NULL);
	rc = libevdev_uinput_create_from_device(d, LIBEVDEV_UINPUT_OPEN_MANAGED, &ui);
	libevdev_free(d);
	if (rc < 0) {
		printf("# uinput: %s\n", strerror(-rc));
		return NULL;
	}
	n = libevdev_uinput_get_devnode(ui);
	if (!n) {
		printf("# uinput: the device has no event node\n");
		libevdev_uinput_destroy(ui);
		return NULL;
	}
	snprintf(node, len, "%s", n);
	mkdir(KBD_BYID_DIR, 0755);
	unlink(KBD_BYID);
	if (symlink(node, KBD_BYID)) {
		printf("# symlink %s: %s\n", KBD_BYID, strerror(errno));
		libevdev_uinput_destroy(ui);
		return NULL;
	}
	return ui;
}

void kbd_remove(struct libevdev_uinput *ui)
{
	unlink(KBD_BYID);
	libevdev_uinput_destroy(ui);
}

void kbd_key(struct libevdev_uinput *ui, unsigned code, int value)
{
	libevdev_uinput_write_event(ui, EV_KEY, code, value);
	libevdev_uinput_write_event(ui, EV_SYN, SYN_REPORT, 0);
}

void kbd_tap(struct libevdev_uinput *ui, unsigned code)
{
	kbd_key(ui, code, 1);
	kbd_key(ui, code, 0);
}

static unsigned kbd_code(char c)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
	static const unsigned short codes[] = {
		KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I,
		KEY_J, KEY_K, KEY_L, KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R,
		KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z,
	};

	if (c == '0')
		return KEY_0;
	if (c >= '1' && c <= '9')
		return KEY_1 + (unsigned)(c - '1');
	if (c >= 'A' && c <= 'Z')
		c = (char)(c - 'A' + 'a');
	if (c >= 'a' && c <= 'z')
		return codes[strchr(letters, c) - letters];
	if (c == '\n')
		return KEY_ENTER;
	return KEY_SPACE;
}

void kbd_type(struct libevdev_uinput *ui, const char *s, int gap_ms)
{
	for (; *s; s++) {
		bool shift = (*s >= 'A' && *s <= 'Z') || *s == '!';

		if (shift)
			kbd_key(ui, KEY_LEFTSHIFT, 1);
		kbd_tap(ui, *s == '!' ? KEY_1 : kbd_code(*s));
		if (shift)
			kbd_key(ui, KEY_LEFTSHIFT, 0);
		if (gap_ms)
			usleep((useconds_t)gap_ms * 1000);
	}
}
