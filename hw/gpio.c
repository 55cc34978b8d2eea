/* GPIO boards through libgpiod 1.6 (v1 API). Locks are output lines,
 * requested with their default value 0 (off), so the request itself is
 * the start-up reset; presence inputs are input lines requested for both
 * edge events. The initial value is read once; after that each line's
 * value follows its edge events, read from the event fds the bus thread
 * polls. Active-low lines are requested with
 * GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW, so every value here is logical:
 * 1 = lock energised / key present. All boards on one chip share a bus. */
#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/board.h"

#define CONSUMER "keycab"
#define EVENTS_AT_ONCE 16

struct gp_board {
	struct gpiod_line **lock;
	struct gpiod_line **sense;
	int *value;  /* logical value of each sense line */
	int error;   /* an event read failed: reported by the next scan */
};

struct gp_bus {
	struct gpiod_chip *chip;
};

/* Lets go of the chip: every lock off first (a released line keeps or
 * loses its value depending on the chip, so leave nothing to chance),
 * then every line and the chip. The boards' arrays stay for a reconnect. */
static void gp_release(struct hw_bus *bus)
{
	struct gp_bus *g = bus->priv;

	for (int i = 0; i < bus->nboards; i++) {
		struct gp_board *gb = bus->boards[i]->priv;

		if (!gb)
			continue;
		for (int s = 0; s < bus->boards[i]->nslots; s++) {
			if (gb->lock[s])
				gpiod_line_set_value(gb->lock[s], 0);
			gb->lock[s] = NULL;
			gb->sense[s] = NULL;
		}
		gb->error = 0;
	}
	if (g && g->chip) {
		gpiod_chip_close(g->chip); /* releases every line */
		g->chip = NULL;
	}
	bus->connected = false;
}

static void gp_close(struct hw_bus *bus)
{
	gp_release(bus);
	for (int i = 0; i < bus->nboards; i++) {
		struct gp_board *gb = bus->boards[i]->priv;

		if (!gb)
			continue;
		free(gb->lock);
		free(gb->sense);
		free(gb->value);
		free(gb);
		bus->boards[i]->priv = NULL;
	}
	free(bus->priv);
	bus->priv = NULL;
}

static int request_lines(struct hw_bus *bus, struct hw_board *b, char *err, size_t errlen)
{
	struct gp_bus *g = bus->priv;
	struct gp_board *gb = b->priv;
	unsigned nlines = gpiod_chip_num_lines(g->chip);

	for (int i = 0; i < b->nslots; i++) {
		const struct hw_slot_conf *s = b->slots[i]->conf;
		int flags;
		struct gpiod_line *line;

		if ((unsigned)s->lock >= nlines || (unsigned)s->sense >= nlines) {
			snprintf(err, errlen,
				 "%s:%d: [slot %s]: line %d: chip %s has lines 0 to %u only",
				 bus->conf->path, s->line, s->name,
				 (unsigned)s->lock >= nlines ? s->lock : s->sense, b->conf->chip,
				 nlines - 1);
			return -ERANGE;
		}
		/* Requested with value 0: taking the line is switching it off. */
		flags = s->lock_active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
		line = gpiod_chip_get_line(g->chip, (unsigned)s->lock);
		if (!line || gpiod_line_request_output_flags(line, CONSUMER, flags, 0) < 0) {
			int e = errno;

			snprintf(err, errlen, "%s: slot %s: cannot take lock line %d as output: %s",
				 bus->name, s->name, s->lock, strerror(e));
			return -e;
		}
		gb->lock[i] = line;
		flags = s->sense_active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
		line = gpiod_chip_get_line(g->chip, (unsigned)s->sense);
		if (!line || gpiod_line_request_both_edges_events_flags(line, CONSUMER, flags) < 0) {
			int e = errno;

			snprintf(err, errlen,
				 "%s: slot %s: cannot take sense line %d for edge events: %s",
				 bus->name, s->name, s->sense, strerror(e));
			return -e;
		}
		gb->sense[i] = line;
		gb->value[i] = gpiod_line_get_value(line);
		if (gb->value[i] < 0) {
			int e = errno;

			snprintf(err, errlen, "%s: slot %s: cannot read sense line %d: %s",
				 bus->name, s->name, s->sense, strerror(e));
			return -e;
		}
	}
	return 0;
}

/* Opens the chip and takes every line; on failure nothing stays taken. */
static int gp_request_all(struct hw_bus *bus, char *err, size_t errlen)
{
	struct gp_bus *g = bus->priv;
	const char *chip = bus->boards[0]->conf->chip;
	int r;

	/* A label ("gpio-sim bank0", "pinctrl-bcm2711"), a name ("gpiochip0"),
	 * a number or a /dev path: labels stay put when numbering changes. */
	g->chip = gpiod_chip_open_lookup(chip);
	if (!g->chip) {
		r = errno ? -errno : -ENODEV;
		snprintf(err, errlen, "%s: no GPIO chip \"%s\" (by label, name, number or path): %s",
			 bus->name, chip, strerror(-r));
		return r;
	}
	for (int i = 0; i < bus->nboards; i++) {
		r = request_lines(bus, bus->boards[i], err, errlen);
		if (r < 0) {
			gp_release(bus);
			return r;
		}
	}
	bus->connected = true;
	return 0;
}

static int gp_open(struct hw_bus *bus, char *err, size_t errlen)
{
	int r = -ENOMEM;

	bus->priv = calloc(1, sizeof(struct gp_bus));
	if (!bus->priv)
		goto err_mem;
	for (int i = 0; i < bus->nboards; i++) {
		struct hw_board *b = bus->boards[i];
		struct gp_board *gb = calloc(1, sizeof(*gb));

		b->priv = gb;
		if (!gb)
			goto err_mem;
		gb->lock = calloc((size_t)b->nslots, sizeof(struct gpiod_line *));
		gb->sense = calloc((size_t)b->nslots, sizeof(struct gpiod_line *));
		gb->value = calloc((size_t)b->nslots, sizeof(*gb->value));
		if (!gb->lock || !gb->sense || !gb->value)
			goto err_mem;
	}
	r = gp_request_all(bus, err, errlen);
	if (r < 0)
		goto err;
	return 0;

err_mem:
	snprintf(err, errlen, "%s: out of memory", bus->name);
err:
	gp_close(bus);
	return r;
}

/* A chip that went away (an expander unplugged, gpio-sim taken down) and
 * came back: take it again. Its outputs start off, as at start. */
static int gp_connect(struct hw_bus *bus)
{
	char err[256];

	return gp_request_all(bus, err, sizeof(err));
}

static void gp_disconnect(struct hw_bus *bus)
{
	gp_release(bus);
}

static int gp_pollfds(struct hw_bus *bus, struct pollfd *fds, int max)
{
	int n = 0;

	if (!bus->connected)
		return 0;
	for (int i = 0; i < bus->nboards; i++) {
		struct gp_board *gb = bus->boards[i]->priv;

		for (int s = 0; s < bus->boards[i]->nslots && n < max; s++) {
			fds[n].fd = gpiod_line_event_get_fd(gb->sense[s]);
			fds[n].events = POLLIN;
			fds[n].revents = 0;
			n++;
		}
	}
	return n;
}

/* Reads what the edges say, in the order gp_pollfds() listed the lines. */
static void gp_handle(struct hw_bus *bus, const struct pollfd *fds, int n)
{
	int k = 0;

	for (int i = 0; i < bus->nboards; i++) {
		struct gp_board *gb = bus->boards[i]->priv;

		for (int s = 0; s < bus->boards[i]->nslots && k < n; s++, k++) {
			struct gpiod_line_event ev[EVENTS_AT_ONCE];
			int r;

			if (fds[k].revents & (POLLERR | POLLHUP | POLLNVAL)) {
				/* The chip is gone: its fds would stay readable
				 * forever. Let go; the next scan finds the bus
				 * disconnected, faults its boards and reconnects
				 * with backoff. */
				gp_release(bus);
				return;
			}
			if (!(fds[k].revents & POLLIN))
				continue;
			r = gpiod_line_event_read_multiple(gb->sense[s], ev, EVENTS_AT_ONCE);
			if (r < 0) {
				gb->error = errno ? errno : EIO;
				continue;
			}
			/* The last edge gives the level (the kernel reports edges of
			 * the logical, active-low applied, value). The kernel's event
			 * queue drops the newest edges when full, so the level is
			 * then read back as well. */
			if (r > 0)
				gb->value[s] = ev[r - 1].event_type == GPIOD_LINE_EVENT_RISING_EDGE;
			r = gpiod_line_get_value(gb->sense[s]);
			if (r >= 0)
				gb->value[s] = r;
		}
	}
}

static int gp_all_off(struct hw_board *b)
{
	struct gp_board *gb = b->priv;
	int r = 0;

	for (int i = 0; i < b->nslots; i++)
		if (gpiod_line_set_value(gb->lock[i], 0) < 0 && r == 0)
			r = -errno;
	if (r == -ENODEV)
		gp_release(b->bus);
	return r;
}

static int gp_lock_set(struct hw_board *b, int i, bool on)
{
	struct gp_board *gb = b->priv;

	if (gpiod_line_set_value(gb->lock[i], on ? 1 : 0) < 0) {
		int e = errno;

		if (e == ENODEV)
			gp_release(b->bus); /* the chip went away */
		return -e;
	}
	return 0;
}

static int gp_read_presence(struct hw_board *b, bool *present)
{
	struct gp_board *gb = b->priv;

	if (gb->error) {
		int e = gb->error;

		gb->error = 0;
		return -e;
	}
	for (int i = 0; i < b->nslots; i++)
		present[i] = gb->value[i] != 0;
	return 0;
}

static const char *gp_strerror(int e)
{
	return strerror(e);
}

static void gp_name(const struct hw_cabinet_conf *c, const struct hw_board_conf *bc, char *buf,
		    size_t len)
{
	(void)c;
	snprintf(buf, len, "gpio %s", bc->chip);
}

/* Async-signal-safe: one ioctl per lock line, no lock, no allocation. */
static void gp_emergency_off(struct hw_bus *bus)
{
	for (int i = 0; i < bus->nboards; i++) {
		struct gp_board *gb = bus->boards[i]->priv;

		if (!gb)
			continue;
		for (int s = 0; s < bus->boards[i]->nslots; s++)
			if (gb->lock[s])
				gpiod_line_set_value(gb->lock[s], 0);
	}
}

const struct hw_bus_ops hw_gpio_bus_ops = {
	.name = gp_name,
	.open = gp_open,
	.connect = gp_connect,
	.disconnect = gp_disconnect,
	.close = gp_close,
	.pollfds = gp_pollfds,
	.handle = gp_handle,
	.strerror = gp_strerror,
	.emergency_off = gp_emergency_off,
	.off_on_open = true, /* output lines are requested with value 0 */
};

const struct hw_board_ops hw_gpio_board_ops = {
	.all_off = gp_all_off,
	.lock_set = gp_lock_set,
	.read_presence = gp_read_presence,
};
