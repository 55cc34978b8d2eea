/* Modbus RTU buses on pseudo-terminals. The client opens the slave end
 * through the bus's device symlink; we read frames from the master end.
 * A pty has no inter-frame silence to rely on, so a frame's length comes
 * from its function code, the CRC confirms it, and a byte that starts no
 * valid frame is noise and is skipped. */
#include "hw/sim/sim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define RTU_MAX 256

uint16_t sim_crc16(const uint8_t *p, size_t n)
{
	uint16_t crc = 0xFFFF;

	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0xA001) : (uint16_t)(crc >> 1);
	}
	return crc;
}

static bool crc_ok(const uint8_t *p, size_t n)
{
	uint16_t crc = sim_crc16(p, n - 2);

	return p[n - 2] == (crc & 0xFF) && p[n - 1] == (crc >> 8);
}

static speed_t baud_speed(int baud)
{
	switch (baud) {
	case 1200: return B1200;
	case 2400: return B2400;
	case 4800: return B4800;
	case 9600: return B9600;
	case 19200: return B19200;
	case 38400: return B38400;
	case 57600: return B57600;
	case 230400: return B230400;
	default: return B115200;
	}
}

/* Replaces path by a symlink to target, atomically; refuses to replace
 * anything but a symlink. */
static int make_link(const char *path, const char *target, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	struct stat st;

	if (lstat(path, &st) == 0 && !S_ISLNK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a symlink; not replacing it", path);
		return -EEXIST;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.keycab-sim.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -ENAMETOOLONG;
	}
	unlink(tmp);
	if (symlink(target, tmp) < 0 || rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		snprintf(err, errlen, "cannot make the symlink %s -> %s: %s", path, target,
			 strerror(e));
		return -e;
	}
	return 0;
}

static int bus_open(struct sim_bus *bus, char *err, size_t errlen)
{
	struct termios tio;
	int r;

	if (openpty(&bus->master, &bus->slave, NULL, NULL, NULL) < 0) {
		r = -errno;
		snprintf(err, errlen, "bus %s: openpty: %s", bus->conf->name, strerror(errno));
		bus->master = bus->slave = -1;
		return r;
	}
	fcntl(bus->master, F_SETFD, FD_CLOEXEC);
	fcntl(bus->slave, F_SETFD, FD_CLOEXEC);
	fcntl(bus->master, F_SETFL, fcntl(bus->master, F_GETFL) | O_NONBLOCK);
	/* Raw both ways: no echo of our replies back to us, no CR/NL mangling
	 * of binary frames before the client sets its own termios. */
	if (tcgetattr(bus->slave, &tio) == 0) {
		cfmakeraw(&tio);
		cfsetspeed(&tio, baud_speed(bus->conf->baud));
		tcsetattr(bus->slave, TCSANOW, &tio);
	}
	if (ptsname_r(bus->master, bus->slave_name, sizeof(bus->slave_name)) != 0) {
		snprintf(err, errlen, "bus %s: ptsname: %s", bus->conf->name, strerror(errno));
		return -EIO;
	}
	r = make_link(bus->conf->device, bus->slave_name, err, errlen);
	if (r < 0)
		return r;
	bus->link_made = true;
	return 0;
}

/* A real serial port drops what it received while nobody had it open, and
 * what was unread at the last close. A pty whose slave end we hold open
 * would keep it: a late answer meant for a client that has gone would be
 * read by the next one. Watching the clients' opens and closes (inotify
 * reports them on the device node) lets us behave like the real port. */
static int bus_watch(struct sim *sim, struct sim_bus *bus, char *err, size_t errlen)
{
	bus->watch = inotify_add_watch(sim->inotify_fd, bus->slave_name,
				       IN_OPEN | IN_CLOSE_WRITE | IN_CLOSE_NOWRITE);
	if (bus->watch < 0) {
		int r = -errno;

		snprintf(err, errlen, "bus %s: inotify on %s: %s", bus->conf->name,
			 bus->slave_name, strerror(errno));
		return r;
	}
	return 0;
}

static void bus_last_close(struct sim_bus *bus)
{
	tcflush(bus->slave, TCIFLUSH);
	bus->rxlen = 0; /* half a request from a client that is gone */
	bus->idle_due_us = 0;
}

void sim_buses_watch(struct sim *sim)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(sim->inotify_fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			p += sizeof(*ev) + ev->len;
			for (int i = 0; i < sim->nbuses; i++) {
				struct sim_bus *bus = &sim->buses[i];

				if (ev->mask & IN_Q_OVERFLOW) {
					bus->openers = 1; /* lost count: assume a client */
					continue;
				}
				if (ev->wd != bus->watch)
					continue;
				if (ev->mask & IN_OPEN) {
					bus->openers++;
				} else if (bus->openers > 0) {
					if (--bus->openers == 0)
						bus_last_close(bus);
				}
			}
		}
	}
}

static void on_watch(struct sim *sim, int fd, short revents, void *data)
{
	(void)fd;
	(void)revents;
	(void)data;
	sim_buses_watch(sim);
}

static void on_bus(struct sim *sim, int fd, short revents, void *data)
{
	(void)fd;
	(void)revents;
	sim_bus_readable(sim, (int)((struct sim_bus *)data - sim->buses));
}

/* The loop's timer: the buses whose line went idle mid-frame. */
static int64_t buses_idle(struct sim *sim, int64_t now)
{
	int64_t due = 0;

	for (int i = 0; i < sim->nbuses; i++) {
		sim_bus_idle(sim, i, now);
		if (sim->buses[i].idle_due_us && (!due || sim->buses[i].idle_due_us < due))
			due = sim->buses[i].idle_due_us;
	}
	return due;
}

int sim_buses_open(struct sim *sim, char *err, size_t errlen)
{
	const struct hw_cabinet_conf *c = sim->conf;
	char msg[512];
	int r;

	sim->buses = calloc((size_t)c->nbuses + 1, sizeof(*sim->buses));
	if (!sim->buses) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	for (int i = 0; i < c->nbuses; i++) {
		struct sim_bus *bus = &sim->buses[sim->nbuses];
		bool used = false;

		for (int b = 0; b < sim->nboards; b++)
			if (sim->boards[b].conf->type == HW_BOARD_MODBUS_RTU &&
			    sim->boards[b].conf->bus == i) {
				sim->boards[b].transport = sim->nbuses;
				used = true;
			}
		if (!used)
			continue;
		bus->conf = &c->buses[i];
		sim->nbuses++;
		r = bus_open(bus, msg, sizeof(msg));
		if (r == 0)
			r = bus_watch(sim, bus, msg, sizeof(msg));
		if (r == 0 && sim_fd_add(sim, bus->master, on_bus, NULL, bus) < 0) {
			snprintf(msg, sizeof(msg), "out of memory");
			r = -ENOMEM;
		}
		if (r < 0) {
			snprintf(err, errlen, "%s", msg);
			return r;
		}
	}
	if (sim_fd_add(sim, sim->inotify_fd, on_watch, NULL, NULL) < 0 ||
	    sim_timer_add(sim, buses_idle) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

void sim_buses_close(struct sim *sim)
{
	for (int i = 0; i < sim->nbuses; i++) {
		struct sim_bus *bus = &sim->buses[i];
		char target[sizeof(bus->slave_name)];
		ssize_t n;

		/* remove the link only while it is still ours */
		if (bus->link_made) {
			n = readlink(bus->conf->device, target, sizeof(target) - 1);
			if (n > 0) {
				target[n] = '\0';
				if (strcmp(target, bus->slave_name) == 0)
					unlink(bus->conf->device);
			}
		}
		if (bus->master >= 0) {
			sim_fd_del(sim, bus->master);
			close(bus->master);
		}
		if (bus->slave >= 0)
			close(bus->slave);
	}
	free(sim->buses);
	sim->buses = NULL;
	sim->nbuses = 0;
}

void sim_bus_send(struct sim *sim, uint64_t to, int b, const uint8_t *adu, int len)
{
	struct sim_bus *bus = &sim->buses[to];
	ssize_t n;

	/* Nobody has the port open: the answer goes nowhere, as on a real
	 * line. (The count is not refreshed here: a last close noted now would
	 * clear the receive buffer under the parser. A close noted later
	 * flushes what was written meanwhile.) */
	if (bus->openers == 0)
		return;
	n = write(bus->master, adu, (size_t)len);
	if (n != len) {
		/* nobody reads the other end and its buffer is full: the frame
		 * is lost, as on a line nobody listens to */
		kc_debug("bus %s: reply of board %s lost (%s)", bus->conf->name,
			 sim->boards[b].conf->name, n < 0 ? strerror(errno) : "short write");
		return;
	}
	sim->boards[b].requests++;
	sim->boards[b].bytes_out += (uint64_t)len;
}

static void frame(struct sim *sim, int bi, const uint8_t *adu, int len)
{
	uint8_t out[SIM_ADU_MAX];
	int n;

	for (int b = 0; b < sim->nboards; b++) {
		const struct hw_board_conf *bc = sim->boards[b].conf;

		if (bc->type != HW_BOARD_MODBUS_RTU || sim->boards[b].transport != bi)
			continue;
		if (adu[0] == 0) {
			sim_board_request(sim, b, adu, len, true, true, out);
		} else if (adu[0] == bc->unit) {
			n = sim_board_request(sim, b, adu, len, true, false, out);
			if (n > 0)
				sim_reply(sim, b, sim_bus_send, (uint64_t)bi, out, n);
			return;
		}
	}
}

static void consume(struct sim_bus *bus, size_t n)
{
	memmove(bus->rx, bus->rx + n, bus->rxlen - n);
	bus->rxlen -= n;
}

/* Takes every complete frame from the buffer; stops at an incomplete one. */
static void parse(struct sim *sim, int bi)
{
	struct sim_bus *bus = &sim->buses[bi];

	while (bus->rxlen >= 4) {
		int need = sim_pdu_len(bus->rx + 1, (int)bus->rxlen - 1);
		int flen = 0;

		if (need == 0)
			break;
		if (need > 0) {
			flen = 1 + need + 2;
			if (flen > RTU_MAX) {
				consume(bus, 1);
				continue;
			}
			if ((int)bus->rxlen < flen)
				break;
			if (!crc_ok(bus->rx, (size_t)flen)) {
				consume(bus, 1);
				continue;
			}
		} else {
			/* a function we do not know: its length is where the CRC fits */
			int max = bus->rxlen < RTU_MAX ? (int)bus->rxlen : RTU_MAX;

			for (int l = 4; l <= max && !flen; l++)
				if (crc_ok(bus->rx, (size_t)l))
					flen = l;
			if (!flen) {
				if (bus->rxlen < RTU_MAX)
					break;
				consume(bus, 1);
				continue;
			}
		}
		frame(sim, bi, bus->rx, flen);
		consume(bus, (size_t)flen);
	}
	bus->idle_due_us = bus->rxlen ? sim_now_us() + SIM_RTU_IDLE_US : 0;
}

void sim_bus_readable(struct sim *sim, int bi)
{
	struct sim_bus *bus = &sim->buses[bi];
	ssize_t n;

	/* Opens and closes are queued before the client can write, so this
	 * count holds for the bytes read below. */
	sim_buses_watch(sim);
	for (;;) {
		if (bus->rxlen == sizeof(bus->rx))
			consume(bus, bus->rxlen / 2); /* a flood of noise */
		n = read(bus->master, bus->rx + bus->rxlen, sizeof(bus->rx) - bus->rxlen);
		if (n <= 0)
			break;
		bus->rxlen += (size_t)n;
		parse(sim, bi);
	}
}

void sim_bus_idle(struct sim *sim, int bi, int64_t now)
{
	struct sim_bus *bus = &sim->buses[bi];

	if (!bus->idle_due_us || bus->idle_due_us > now)
		return;
	/* Silence after an incomplete frame: it was noise (or a frame cut
	 * short). Skip a byte at a time so a good frame behind it is found. */
	while (bus->rxlen > 0) {
		consume(bus, 1);
		parse(sim, bi);
	}
	bus->idle_due_us = 0;
}
