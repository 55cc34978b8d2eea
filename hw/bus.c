/* A bus thread (hw/board.h): open requests (woken at once by the bus's
 * eventfd), pulse ends, and every scan_ms one scan of its boards (one bulk
 * presence read per board). A board that fails is FAULT and is tried again
 * after a backoff that doubles from retry_min_ms to retry_max_ms; only its
 * own slots are affected. Host-timed pulses are switched off at their
 * deadline whatever the board does, and the off is retried until the board
 * takes it. On the way out the thread switches every lock of its boards
 * off. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "hw/board.h"
#include "hw/hw.h"
#include "hw/scan.h"

#define OFF_RETRY_MAX_MS 1000 /* a lock still on is retried at least this often */

/* --- events (called with cab->lock held) --- */

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
	hw_cabinet_emit_locked(s->board->bus->cab, &ev);
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
		snprintf(detail, HW_DETAIL_MAX, "not opened: board %s: %s: %s", b->conf->name, what,
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
			snprintf(detail, HW_DETAIL_MAX, "pulse not confirmed: %s",
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
		snprintf(detail, HW_DETAIL_MAX, "lock on not confirmed: %s", b->bus->ops->strerror(-r));
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

/* A step done: what hw_bus_alive_ms() reads. */
static void alive(struct hw_bus *bus)
{
	__atomic_store_n(&bus->alive_ms, kc_mono_ms(), __ATOMIC_RELEASE);
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

void *hw_bus_thread(void *arg)
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

		alive(bus);
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
				alive(bus);
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
