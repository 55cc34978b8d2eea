/* The slot layer (hw/hw.h): one thread per bus, events to the caller
 * through a mutex-protected queue and an eventfd.
 *
 * A bus thread loops: open requests (woken at once by its eventfd), pulse
 * ends, and every scan_ms one scan of its boards (one bulk presence read
 * per board). A board that fails is FAULT and is tried again after a
 * backoff that doubles from retry_min_ms to retry_max_ms; only its own
 * slots are affected. Host-timed pulses are switched off at their deadline
 * whatever the board does, and the off is retried until the board takes
 * it. On the way out every bus thread switches every lock off. */
#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util.h"
#include "hw/board.h"
#include "hw/hw.h"
#include "hw/scan.h"

#define OFF_RETRY_MAX_MS 1000 /* a lock still on is retried at least this often */

struct hw_cabinet {
	struct hw_cabinet_conf *conf;
	pthread_mutex_t lock;
	struct hw_slot *slots;
	int nslots;
	struct hw_board *boards;
	int nboards;
	struct hw_bus *buses;
	int nbuses;
	int ev_fd;
	/* events waiting for the caller: a ring that grows */
	struct hw_event *queue;
	size_t qhead, qlen, qcap;
	bool started;
	bool stopping; /* read and written atomically */
	/* slot detail for the LOCK_OFF of a pulse that could not be given */
	char (*off_detail)[160];
};

void hw_bus_count_request(struct hw_bus *bus)
{
	pthread_mutex_lock(&bus->cab->lock);
	bus->requests++;
	pthread_mutex_unlock(&bus->cab->lock);
}

static void wake(int fd)
{
	uint64_t one = 1;

	/* Cannot fail short of a counter overflow, which only means that a
	 * wake-up is pending already. */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
}

/* --- events (called with cab->lock held) --- */

static void emit_locked(struct hw_cabinet *cab, const struct hw_event *ev)
{
	if (cab->qlen == cab->qcap) {
		size_t ncap = cab->qcap ? cab->qcap * 2 : 256;
		struct hw_event *q = malloc(ncap * sizeof(*q));

		if (!q)
			return; /* out of memory: nothing better to do than drop */
		for (size_t i = 0; i < cab->qlen; i++)
			q[i] = cab->queue[(cab->qhead + i) % cab->qcap];
		free(cab->queue);
		cab->queue = q;
		cab->qcap = ncap;
		cab->qhead = 0;
	}
	cab->queue[(cab->qhead + cab->qlen) % cab->qcap] = *ev;
	if (cab->qlen++ == 0)
		wake(cab->ev_fd);
}

static void slot_event_locked(struct hw_slot *s, enum hw_event_type type, const char *detail)
{
	struct hw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.slot = s->index;
	ev.presence = s->track.state;
	ev.tag = type == HW_EV_INSERTED || type == HW_EV_RECOVERED ? s->tag : 0;
	ev.mono_ms = kc_mono_ms();
	if (detail)
		kc_strlcpy(ev.detail, detail, sizeof(ev.detail));
	emit_locked(s->board->bus->cab, &ev);
}

static void apply_locked(struct hw_slot *s, enum hw_presence to, uint32_t tag,
			 const char *detail, int64_t now)
{
	enum hw_event_type ev[HW_TRACK_MAX_EVENTS];
	int n = hw_track_commit(&s->track, to, ev);

	if (n == 0)
		return;
	s->since_ms = now;
	s->tag = to == HW_PRESENCE_PRESENT ? tag : 0;
	for (int i = 0; i < n; i++)
		slot_event_locked(s, ev[i], ev[i] == HW_EV_FAULT ? detail : NULL);
}

/* --- board health (bus thread) --- */

static void board_ok(struct hw_board *b)
{
	struct hw_cabinet *cab = b->bus->cab;

	b->backoff_ms = b->bus->conf->retry_min_ms;
	if (b->status == HW_BOARD_OK)
		return;
	pthread_mutex_lock(&cab->lock);
	b->status = HW_BOARD_OK;
	b->detail[0] = '\0';
	pthread_mutex_unlock(&cab->lock);
}

static void board_failed(struct hw_board *b, int err, const char *what)
{
	struct hw_bus *bus = b->bus;
	struct hw_cabinet *cab = bus->cab;
	int64_t now = kc_mono_ms();
	char detail[512];

	snprintf(detail, sizeof(detail), "board %s (%s): %s: %s", b->conf->name, bus->name, what,
		 bus->ops->strerror(-err));
	pthread_mutex_lock(&cab->lock);
	b->status = HW_BOARD_FAULT;
	kc_strlcpy(b->detail, detail, sizeof(b->detail));
	for (int i = 0; i < b->nslots; i++) {
		struct hw_slot *s = b->slots[i];

		apply_locked(s, hw_track_feed(&s->track, HW_PRESENCE_FAULT, 1), 0, detail, now);
	}
	pthread_mutex_unlock(&cab->lock);
	b->retry_at = now + b->backoff_ms;
	b->backoff_ms = b->backoff_ms * 2 > bus->conf->retry_max_ms ? bus->conf->retry_max_ms :
								     b->backoff_ms * 2;
}

/* Connects the bus if it is not; force: even before its backoff is over. */
static int bus_link(struct hw_bus *bus, bool force)
{
	int64_t now = kc_mono_ms();
	int r;

	if (bus->connected)
		return 0;
	if (!bus->ops->connect)
		return -ENODEV;
	if (!force && now < bus->connect_at)
		return bus->connect_err ? bus->connect_err : -ENOTCONN;
	r = bus->ops->connect(bus);
	if (r < 0) {
		bus->connect_err = r;
		bus->connect_at = now + bus->connect_backoff_ms;
		bus->connect_backoff_ms = bus->connect_backoff_ms * 2 > bus->conf->retry_max_ms ?
						  bus->conf->retry_max_ms :
						  bus->connect_backoff_ms * 2;
		return r;
	}
	bus->connect_backoff_ms = bus->conf->retry_min_ms;
	return 0;
}

/* The link up and the start-up reset done; *what names what failed. */
static int board_ready(struct hw_board *b, bool force, const char **what)
{
	int r = bus_link(b->bus, force);

	if (r < 0) {
		*what = "connecting";
		return r;
	}
	if (b->need_all_off) {
		r = b->ops->all_off(b);
		if (r < 0) {
			*what = "switching every lock off";
			return r;
		}
		b->need_all_off = false;
	}
	return 0;
}

/* --- pulses (bus thread) --- */

static void pulse_ended(struct hw_slot *s)
{
	struct hw_cabinet *cab = s->board->bus->cab;
	char *detail = cab->off_detail[s->index];

	s->pulse = HW_PULSE_NONE;
	s->off_retry = false;
	pthread_mutex_lock(&cab->lock);
	s->lock_on = false;
	slot_event_locked(s, HW_EV_LOCK_OFF, detail[0] ? detail : NULL);
	pthread_mutex_unlock(&cab->lock);
	detail[0] = '\0';
}

static void do_open(struct hw_slot *s, unsigned ms)
{
	struct hw_board *b = s->board;
	struct hw_cabinet *cab = b->bus->cab;
	char *detail = cab->off_detail[s->index];
	int64_t t0 = kc_mono_ms();
	const char *what = NULL;
	int r;

	detail[0] = '\0';
	r = board_ready(b, true, &what);
	if (r < 0) {
		board_failed(b, r, what);
		snprintf(detail, 160, "not opened: board %s: %s: %s", b->conf->name, what,
			 b->bus->ops->strerror(-r));
		pulse_ended(s);
		return;
	}
	if (b->ops->pulse) {
		unsigned actual = ms;

		r = b->ops->pulse(b, s->bindex, ms, &actual);
		/* Even unconfirmed, the board may have taken it: it ends the
		 * pulse itself, so the slot counts as open until then. */
		s->pulse = HW_PULSE_BOARD;
		s->off_at = t0 + actual;
		if (r < 0) {
			board_failed(b, r, "sending the timed pulse");
			snprintf(detail, 160, "pulse not confirmed: %s",
				 b->bus->ops->strerror(-r));
		} else {
			board_ok(b);
		}
		return;
	}
	r = b->ops->lock_set(b, s->bindex, true);
	s->pulse = HW_PULSE_HOST;
	if (r < 0) {
		/* The coil may be on (a slow board applies what it answers too
		 * late): switch it off at once, and until that is confirmed. */
		board_failed(b, r, "switching the lock on");
		snprintf(detail, 160, "lock on not confirmed: %s", b->bus->ops->strerror(-r));
		s->off_at = t0;
		return;
	}
	board_ok(b);
	s->off_at = t0 + ms;
	s->pulse_ms = ms;
}

/* Ends the pulses due by now, and host-timed ones due within early_ms
 * (never shortened by more than half their length). */
static void end_pulses(struct hw_bus *bus, int64_t early_ms)
{
	for (int i = 0; i < bus->nslots; i++) {
		struct hw_slot *s = bus->slots[i];
		struct hw_board *b = s->board;
		int64_t now = kc_mono_ms();
		const char *what = "switching the lock off";
		int64_t early;
		int r;

		if (s->pulse == HW_PULSE_NONE)
			continue;
		if (s->pulse == HW_PULSE_BOARD) {
			if (now >= s->off_at)
				pulse_ended(s);
			continue;
		}
		early = s->off_retry ? 0 : early_ms < s->pulse_ms / 2 ? early_ms : s->pulse_ms / 2;
		if (now < s->off_at - early)
			continue;
		r = bus_link(bus, true);
		if (r < 0)
			what = "connecting to switch the lock off";
		else
			r = b->ops->lock_set(b, s->bindex, false);
		if (r == 0) {
			board_ok(b);
			pulse_ended(s);
			continue;
		}
		board_failed(b, r, what);
		s->off_retry = true;
		s->off_at = now + (bus->conf->retry_min_ms < OFF_RETRY_MAX_MS ?
					   bus->conf->retry_min_ms :
					   OFF_RETRY_MAX_MS);
	}
}

/* Whether a host-timed pulse on the bus ends within one response
 * timeout. A request sent now could hold the bus past that deadline (a
 * slow board answers late, and libmodbus has one request in flight), so
 * scans and other opens wait until the off is sent. Offs being retried on
 * a failing board do not hold the bus: that would stall its other boards. */
static bool off_due_soon(struct hw_bus *bus)
{
	int64_t now = kc_mono_ms();

	for (int i = 0; i < bus->nslots; i++) {
		const struct hw_slot *s = bus->slots[i];

		if (s->pulse == HW_PULSE_HOST && !s->off_retry &&
		    s->off_at - now < bus->conf->timeout_ms)
			return true;
	}
	return false;
}

static bool opens_queued(struct hw_bus *bus)
{
	bool any = false;

	pthread_mutex_lock(&bus->cab->lock);
	for (int i = 0; i < bus->nslots && !any; i++)
		any = bus->slots[i]->open_queued;
	pthread_mutex_unlock(&bus->cab->lock);
	return any;
}

/* Pulses due to end, then open requests hw_cabinet_open() queued. An open
 * does not wait for a host-timed pulse about to end (off_due_soon): that
 * pulse is ended a little early instead, which errs on the safe side and
 * keeps a release from waiting up to one response timeout. */
static void service(struct hw_bus *bus)
{
	struct hw_cabinet *cab = bus->cab;

	end_pulses(bus, 0);
	if (off_due_soon(bus) && opens_queued(bus))
		end_pulses(bus, bus->conf->timeout_ms);
	for (int i = 0; i < bus->nslots && !off_due_soon(bus); i++) {
		struct hw_slot *s = bus->slots[i];
		unsigned ms = 0;

		pthread_mutex_lock(&cab->lock);
		if (s->open_queued) {
			s->open_queued = false;
			ms = s->open_ms;
		}
		pthread_mutex_unlock(&cab->lock);
		if (ms)
			do_open(s, ms);
	}
	end_pulses(bus, 0);
}

/* --- scanning (bus thread) --- */

static void scan_board(struct hw_board *b)
{
	struct hw_cabinet *cab = b->bus->cab;
	const struct hw_cabinet_conf *conf = b->bus->conf;
	int64_t now = kc_mono_ms();
	const char *what = NULL;
	int r;

	if (b->status == HW_BOARD_FAULT && now < b->retry_at)
		return;
	r = board_ready(b, false, &what);
	if (r == 0) {
		what = "reading the key sensors";
		r = b->ops->read_presence(b, b->present);
	}
	if (r < 0) {
		board_failed(b, r, what);
		return;
	}
	board_ok(b);
	for (int i = 0; i < b->nslots; i++) {
		struct hw_slot *s = b->slots[i];
		enum hw_presence to;
		uint32_t tag = 0;

		to = hw_track_feed(&s->track,
				   b->present[i] ? HW_PRESENCE_PRESENT : HW_PRESENCE_ABSENT,
				   conf->debounce);
		if (to == HW_PRESENCE_UNKNOWN)
			continue;
		/* Tags are read on a change only, never on every scan. */
		if (to == HW_PRESENCE_PRESENT && b->ops->read_tag && s->conf->tag >= 0) {
			r = b->ops->read_tag(b, i, &tag);
			if (r < 0) {
				char w[HW_NAME_MAX + 32];

				snprintf(w, sizeof(w), "reading the tag of slot %s", s->conf->name);
				board_failed(b, r, w);
				return;
			}
		}
		pthread_mutex_lock(&cab->lock);
		apply_locked(s, to, tag, NULL, now);
		pthread_mutex_unlock(&cab->lock);
	}
}

static bool stopping(struct hw_cabinet *cab)
{
	return __atomic_load_n(&cab->stopping, __ATOMIC_ACQUIRE);
}

/* Every lock off before the thread ends: one try per board, each bounded
 * by the response timeout; a bus that cannot connect is tried once. */
static void shutdown_off(struct hw_bus *bus)
{
	bool link_failed = false;

	for (int i = 0; i < bus->nboards; i++) {
		struct hw_board *b = bus->boards[i];
		int r;

		if (!bus->connected) {
			if (link_failed || !bus->ops->connect || bus->ops->connect(bus) < 0) {
				link_failed = true;
				continue;
			}
		}
		r = b->ops->all_off(b);
		if (r < 0 && bus->connected)
			b->ops->all_off(b);
	}
}

static void *bus_thread(void *arg)
{
	struct hw_bus *bus = arg;
	struct hw_cabinet *cab = bus->cab;
	int scan_ms = bus->conf->scan_ms;
	int64_t next_scan = kc_mono_ms();
	int maxfds = 1 + bus->nslots;
	struct pollfd *fds = calloc((size_t)maxfds, sizeof(*fds));

	while (fds && !stopping(cab)) {
		int64_t now, due;
		int n = 1, timeout;
		bool deferred = false;

		service(bus);
		now = kc_mono_ms();
		if (now >= next_scan && off_due_soon(bus)) {
			deferred = true; /* wake for the off, then scan */
		} else if (now >= next_scan) {
			for (int i = 0; i < bus->nboards && !stopping(cab); i++) {
				/* an off due soon goes first; the boards not
				 * scanned now are the next scan's */
				if (off_due_soon(bus))
					break;
				scan_board(bus->boards[i]);
				service(bus);
			}
			pthread_mutex_lock(&cab->lock);
			bus->scans++;
			pthread_mutex_unlock(&cab->lock);
			next_scan += scan_ms;
			now = kc_mono_ms();
			if (next_scan <= now)
				next_scan = now + scan_ms; /* late: skip, do not catch up */
		}
		due = deferred ? INT64_MAX : next_scan;
		for (int i = 0; i < bus->nslots; i++)
			if (bus->slots[i]->pulse != HW_PULSE_NONE && bus->slots[i]->off_at < due)
				due = bus->slots[i]->off_at;
		timeout = due > now ? (int)(due - now) : 0;
		fds[0].fd = bus->cmd_fd;
		fds[0].events = POLLIN;
		fds[0].revents = 0;
		if (bus->ops->pollfds)
			n += bus->ops->pollfds(bus, fds + 1, maxfds - 1);
		if (poll(fds, (nfds_t)n, timeout) > 0) {
			uint64_t v;

			if ((fds[0].revents & POLLIN) && read(bus->cmd_fd, &v, sizeof(v)) < 0)
				v = 0; /* EAGAIN: someone else drained it */
			if (bus->ops->handle && n > 1)
				bus->ops->handle(bus, fds + 1, n - 1);
		}
	}
	free(fds);
	shutdown_off(bus);
	return NULL;
}

/* --- construction --- */

static int find_or_add_bus(struct hw_cabinet *cab, struct hw_board *b)
{
	const struct hw_board_conf *bc = b->conf;
	char name[300];
	enum hw_bus_kind kind;

	switch (bc->type) {
	case HW_BOARD_MODBUS_RTU:
		kind = HW_BUS_RTU;
		snprintf(name, sizeof(name), "serial %s", cab->conf->buses[bc->bus].device);
		break;
	case HW_BOARD_MODBUS_TCP:
		kind = HW_BUS_TCP;
		snprintf(name, sizeof(name), "tcp %s:%d", bc->host, bc->port);
		break;
	default:
		kind = HW_BUS_GPIO;
		snprintf(name, sizeof(name), "gpio %s", bc->chip);
		break;
	}
	for (int i = 0; i < cab->nbuses; i++)
		if (cab->buses[i].kind == kind && strcmp(cab->buses[i].name, name) == 0)
			return i;
	{
		struct hw_bus *bus = &cab->buses[cab->nbuses];

		bus->cab = cab;
		bus->conf = cab->conf;
		bus->kind = kind;
		kc_strlcpy(bus->name, name, sizeof(bus->name));
		bus->ops = kind == HW_BUS_GPIO ? &hw_gpio_bus_ops : &hw_modbus_bus_ops;
		bus->cmd_fd = -1;
		bus->connect_backoff_ms = cab->conf->retry_min_ms;
	}
	return cab->nbuses++;
}

struct hw_cabinet *hw_cabinet_new(const char *path, char *err, size_t errlen)
{
	struct hw_cabinet *cab = calloc(1, sizeof(*cab));
	struct hw_cabinet_conf *c;

	if (!cab) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	pthread_mutex_init(&cab->lock, NULL);
	cab->ev_fd = -1;
	cab->conf = hw_conf_load(path, err, errlen);
	if (!cab->conf)
		goto err;
	c = cab->conf;
	cab->slots = calloc((size_t)c->nslots, sizeof(*cab->slots));
	cab->boards = calloc((size_t)c->nboards, sizeof(*cab->boards));
	cab->buses = calloc((size_t)c->nboards, sizeof(*cab->buses));
	cab->off_detail = calloc((size_t)c->nslots, sizeof(*cab->off_detail));
	if (!cab->slots || !cab->boards || !cab->buses || !cab->off_detail)
		goto err_mem;
	cab->nslots = c->nslots;
	cab->nboards = c->nboards;
	for (int i = 0; i < c->nboards; i++) {
		struct hw_board *b = &cab->boards[i];

		b->conf = &c->boards[i];
		b->index = i;
		b->ops = b->conf->type == HW_BOARD_GPIO ? &hw_gpio_board_ops :
			 b->conf->profile == HW_PROFILE_WAVESHARE_RELAY_D ?
							  &hw_modbus_waveshare_ops :
							  &hw_modbus_generic_ops;
		b->backoff_ms = c->retry_min_ms;
		b->slots = calloc((size_t)c->nslots, sizeof(*b->slots));
		b->present = calloc((size_t)c->nslots, sizeof(*b->present));
		if (!b->slots || !b->present)
			goto err_mem;
	}
	for (int i = 0; i < c->nslots; i++) {
		struct hw_slot *s = &cab->slots[i];
		struct hw_board *b = &cab->boards[c->slots[i].board];

		s->conf = &c->slots[i];
		s->index = i;
		s->board = b;
		s->bindex = b->nslots;
		hw_track_init(&s->track);
		b->slots[b->nslots++] = s;
	}
	for (int i = 0; i < c->nboards; i++) {
		struct hw_board *b = &cab->boards[i];

		if (b->nslots == 0)
			continue; /* a board with no slot is never talked to */
		b->bus = &cab->buses[find_or_add_bus(cab, b)];
	}
	for (int i = 0; i < cab->nbuses; i++) {
		struct hw_bus *bus = &cab->buses[i];

		bus->boards = calloc((size_t)c->nboards, sizeof(*bus->boards));
		bus->slots = calloc((size_t)c->nslots, sizeof(*bus->slots));
		if (!bus->boards || !bus->slots)
			goto err_mem;
		bus->cmd_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (bus->cmd_fd < 0)
			goto err_sys;
	}
	for (int i = 0; i < c->nboards; i++) {
		struct hw_board *b = &cab->boards[i];

		if (!b->bus)
			continue;
		b->bus->boards[b->bus->nboards++] = b;
		for (int j = 0; j < b->nslots; j++)
			b->bus->slots[b->bus->nslots++] = b->slots[j];
	}
	cab->ev_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (cab->ev_fd < 0)
		goto err_sys;
	return cab;

err_sys:
	snprintf(err, errlen, "%s: cannot make an eventfd: %s", path, strerror(errno));
	goto err;
err_mem:
	snprintf(err, errlen, "%s: out of memory", path);
err:
	hw_cabinet_free(cab);
	return NULL;
}

static void stop_threads(struct hw_cabinet *cab)
{
	__atomic_store_n(&cab->stopping, true, __ATOMIC_RELEASE);
	for (int i = 0; i < cab->nbuses; i++)
		if (cab->buses[i].thread_started)
			wake(cab->buses[i].cmd_fd);
	for (int i = 0; i < cab->nbuses; i++)
		if (cab->buses[i].thread_started) {
			pthread_join(cab->buses[i].thread, NULL);
			cab->buses[i].thread_started = false;
		}
}

int hw_cabinet_start(struct hw_cabinet *cab, char *err, size_t errlen)
{
	sigset_t all, old;
	int r = 0;

	if (cab->started) {
		snprintf(err, errlen, "%s: started already", cab->conf->path);
		return -EALREADY;
	}
	for (int i = 0; i < cab->nbuses; i++) {
		struct hw_bus *bus = &cab->buses[i];

		r = bus->ops->open(bus, err, errlen);
		if (r < 0)
			goto err_close;
		for (int j = 0; j < bus->nboards; j++)
			/* GPIO outputs are requested off: that was the reset */
			bus->boards[j]->need_all_off = bus->kind != HW_BUS_GPIO;
	}
	/* The caller takes its signals through a signalfd (or handlers):
	 * none of them may land in a bus thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < cab->nbuses; i++) {
		struct hw_bus *bus = &cab->buses[i];

		r = -pthread_create(&bus->thread, NULL, bus_thread, bus);
		if (r < 0) {
			snprintf(err, errlen, "%s: cannot start a thread: %s", bus->name,
				 strerror(-r));
			break;
		}
		bus->thread_started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		stop_threads(cab);
		goto err_close;
	}
	cab->started = true;
	return 0;

err_close:
	for (int i = 0; i < cab->nbuses; i++)
		if (cab->buses[i].priv)
			cab->buses[i].ops->close(&cab->buses[i]);
	return r;
}

void hw_cabinet_free(struct hw_cabinet *cab)
{
	if (!cab)
		return;
	stop_threads(cab);
	for (int i = 0; i < cab->nbuses; i++) {
		struct hw_bus *bus = &cab->buses[i];

		if (bus->priv)
			bus->ops->close(bus);
		if (bus->cmd_fd >= 0)
			close(bus->cmd_fd);
		free(bus->boards);
		free(bus->slots);
	}
	for (int i = 0; cab->boards && i < cab->nboards; i++) {
		free(cab->boards[i].slots);
		free(cab->boards[i].present);
	}
	if (cab->ev_fd >= 0)
		close(cab->ev_fd);
	free(cab->buses);
	free(cab->boards);
	free(cab->slots);
	free(cab->off_detail);
	free(cab->queue);
	hw_conf_free(cab->conf);
	pthread_mutex_destroy(&cab->lock);
	free(cab);
}

void hw_cabinet_emergency_off(struct hw_cabinet *cab)
{
	if (!cab)
		return;
	for (int i = 0; i < cab->nbuses; i++)
		if (cab->buses[i].kind == HW_BUS_GPIO && cab->buses[i].priv)
			hw_gpio_emergency_off(&cab->buses[i]);
}

/* --- queries --- */

const struct hw_cabinet_conf *hw_cabinet_conf(const struct hw_cabinet *cab)
{
	return cab->conf;
}

int hw_cabinet_slot_count(const struct hw_cabinet *cab)
{
	return cab->nslots;
}

const char *hw_slot_name(const struct hw_cabinet *cab, int slot)
{
	if (slot < 0 || slot >= cab->nslots)
		return NULL;
	return cab->slots[slot].conf->name;
}

int hw_slot_find(const struct hw_cabinet *cab, const char *name)
{
	return hw_conf_find_slot(cab->conf, name);
}

bool hw_slot_reads_tags(const struct hw_cabinet *cab, int slot)
{
	if (slot < 0 || slot >= cab->nslots)
		return false;
	return cab->slots[slot].conf->tag >= 0 && cab->slots[slot].board->ops->read_tag;
}

int hw_slot_state(struct hw_cabinet *cab, int slot, struct hw_slot_state *st)
{
	struct hw_slot *s;

	if (slot < 0 || slot >= cab->nslots)
		return -ENOENT;
	s = &cab->slots[slot];
	pthread_mutex_lock(&cab->lock);
	st->presence = s->track.state;
	st->tag = s->tag;
	st->lock_on = s->lock_on;
	st->since_ms = s->since_ms;
	pthread_mutex_unlock(&cab->lock);
	return 0;
}

int hw_board_count(const struct hw_cabinet *cab)
{
	return cab->nboards;
}

const char *hw_board_name(const struct hw_cabinet *cab, int board)
{
	if (board < 0 || board >= cab->nboards)
		return NULL;
	return cab->boards[board].conf->name;
}

int hw_slot_board(const struct hw_cabinet *cab, int slot)
{
	if (slot < 0 || slot >= cab->nslots)
		return -ENOENT;
	return cab->slots[slot].board->index;
}

int hw_board_state(struct hw_cabinet *cab, int board, struct hw_board_state *st)
{
	struct hw_board *b;

	if (board < 0 || board >= cab->nboards)
		return -ENOENT;
	b = &cab->boards[board];
	pthread_mutex_lock(&cab->lock);
	st->state = b->status == HW_BOARD_OK ? HW_BOARD_STATE_OK :
		    b->status == HW_BOARD_FAULT ? HW_BOARD_STATE_FAULT :
						  HW_BOARD_STATE_UNKNOWN;
	kc_strlcpy(st->detail, b->detail, sizeof(st->detail));
	pthread_mutex_unlock(&cab->lock);
	return 0;
}

void hw_cabinet_stats(struct hw_cabinet *cab, struct hw_cabinet_stats *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&cab->lock);
	for (int i = 0; i < cab->nbuses; i++) {
		st->scans += cab->buses[i].scans;
		st->requests += cab->buses[i].requests;
	}
	pthread_mutex_unlock(&cab->lock);
}

int hw_cabinet_fd(const struct hw_cabinet *cab)
{
	return cab->ev_fd;
}

int hw_cabinet_read_events(struct hw_cabinet *cab, struct hw_event *ev, int max)
{
	int n = 0;

	pthread_mutex_lock(&cab->lock);
	while (n < max && cab->qlen > 0) {
		ev[n++] = cab->queue[cab->qhead];
		cab->qhead = (cab->qhead + 1) % cab->qcap;
		cab->qlen--;
	}
	if (cab->qlen == 0) {
		uint64_t v;

		/* EAGAIN when it was drained already: fine either way */
		if (read(cab->ev_fd, &v, sizeof(v)) < 0)
			v = 0;
	}
	pthread_mutex_unlock(&cab->lock);
	return n;
}

int hw_cabinet_open(struct hw_cabinet *cab, int slot, unsigned pulse_ms)
{
	struct hw_slot *s;
	int r = 0;

	if (slot < 0 || slot >= cab->nslots)
		return -ENOENT;
	if (pulse_ms == 0)
		pulse_ms = (unsigned)cab->conf->pulse_ms;
	if (pulse_ms > (unsigned)cab->conf->pulse_max_ms || pulse_ms > HW_PULSE_HARD_MAX_MS)
		return -ERANGE;
	s = &cab->slots[slot];
	pthread_mutex_lock(&cab->lock);
	if (!cab->started || __atomic_load_n(&cab->stopping, __ATOMIC_ACQUIRE))
		r = -EAGAIN;
	else if (s->board->status == HW_BOARD_FAULT)
		r = -EIO;
	else if (s->lock_on)
		r = -EBUSY;
	if (r == 0) {
		s->lock_on = true;
		s->open_ms = pulse_ms;
		s->open_queued = true;
	}
	pthread_mutex_unlock(&cab->lock);
	if (r == 0)
		wake(s->board->bus->cmd_fd);
	return r;
}

const char *hw_presence_name(enum hw_presence p)
{
	switch (p) {
	case HW_PRESENCE_UNKNOWN:
		return "unknown";
	case HW_PRESENCE_PRESENT:
		return "present";
	case HW_PRESENCE_ABSENT:
		return "absent";
	case HW_PRESENCE_FAULT:
		return "fault";
	}
	return "?";
}

const char *hw_event_name(enum hw_event_type t)
{
	switch (t) {
	case HW_EV_INSERTED:
		return "inserted";
	case HW_EV_REMOVED:
		return "removed";
	case HW_EV_FAULT:
		return "fault";
	case HW_EV_RECOVERED:
		return "recovered";
	case HW_EV_LOCK_OFF:
		return "lock-off";
	}
	return "?";
}
