/* A keyboard-wedge card reader made with uinput, for the tests that run in
 * the VM (input-vmtest, card-typer): a USB keyboard the kernel's evdev
 * turns into a real /dev/input/eventN, with a by-id link to it as udev
 * makes, and keys typed into it as such a reader types. */
#ifndef KC_TEST_KBD_H
#define KC_TEST_KBD_H

#include <libevdev/libevdev-uinput.h>
#include <stddef.h>

#define KBD_NAME "keycab test card reader"
#define KBD_BYID_DIR "/tmp/by-id"
#define KBD_BYID KBD_BYID_DIR "/usb-keycab_test_card_reader-event-kbd"

/* Makes the keyboard and links KBD_BYID to its event node (written into
 * node). NULL when it cannot (uinput missing, no link), with a "# " line
 * on stdout saying why. */
struct libevdev_uinput *kbd_make(char *node, size_t len);

/* Removes the link (as udev does on unplug) and destroys the device. */
void kbd_remove(struct libevdev_uinput *ui);

/* One key event (1 press, 0 release, 2 repeat) and its SYN_REPORT. */
void kbd_key(struct libevdev_uinput *ui, unsigned code, int value);

/* Press and release. */
void kbd_tap(struct libevdev_uinput *ui, unsigned code);

/* Types s as a keyboard-wedge reader does: uppercase with shift held, '!'
 * as shift+1, '\n' as Enter, anything else not a digit or letter as a
 * space; gap_ms between keys. */
void kbd_type(struct libevdev_uinput *ui, const char *s, int gap_ms);

#endif
