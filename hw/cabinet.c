/* The slot layer (hw/hw.h): the cabinet built from its file, one bus
 * thread per bus (hw/bus.c), the drivers chosen from hw/driver.c's table;
 * events reach the caller through hw/queue.c. */
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

/* --- construction --- */

/* The bus board b sits on, added when it is the first board on it. */
static int find_or_add_bus(struct hw_cabinet *cab, struct hw_board *b)
{
	const struct hw_bus_ops *ops = b->driver->bus;
	char name[HW_BUS_NAME_MAX];

	ops->name(cab->conf, b->conf, name, sizeof(name));
	for (int i = 0; i < cab->nbuses; i++)
		if (cab->buses[i].ops == ops && strcmp(cab->buses[i].name, name) == 0)
			return i;
	{
		struct hw_bus *bus = &cab->buses[cab->nbuses];

		bus->cab = cab;
		bus->conf = cab->conf;
		kc_strlcpy(bus->name, name, sizeof(bus->name));
		bus->ops = ops;
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
		b->driver = hw_driver_find(b->conf);
		if (!b->driver) {
			snprintf(err, errlen, "%s:%d: [board %s] type: no driver for %s, profile %s",
				 path, b->conf->line, b->conf->name,
				 hw_board_type_name(b->conf->type), hw_profile_name(b->conf->profile));
			goto err;
		}
		b->ops = b->driver->board;
		b->backoff_ms = c->retry_min_ms;
		b->slots = calloc((size_t)c->nslots, sizeof(struct hw_slot *));
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

		bus->boards = calloc((size_t)c->nboards, sizeof(struct hw_board *));
		bus->slots = calloc((size_t)c->nslots, sizeof(struct hw_slot *));
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
			hw_wake(cab->buses[i].cmd_fd);
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
			bus->boards[j]->need_all_off = !bus->ops->off_on_open;
	}
	/* The caller takes its signals through a signalfd (or handlers):
	 * none of them may land in a bus thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (int i = 0; i < cab->nbuses; i++) {
		struct hw_bus *bus = &cab->buses[i];

		char tname[16];

		bus->alive_ms = kc_mono_ms();
		r = -pthread_create(&bus->thread, NULL, hw_bus_thread, bus);
		if (r < 0) {
			snprintf(err, errlen, "%s: cannot start a thread: %s", bus->name,
				 strerror(-r));
			break;
		}
		bus->thread_started = true;
		/* "hw-bus0", ...: the bus in ps -L, top -H and a debugger */
		snprintf(tname, sizeof(tname), "hw-bus%u", (unsigned)i % 10000u);
		pthread_setname_np(bus->thread, tname);
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
		if (cab->buses[i].ops->emergency_off && cab->buses[i].priv)
			cab->buses[i].ops->emergency_off(&cab->buses[i]);
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

int hw_slot_find_state(struct hw_cabinet *cab, const char *name, struct hw_slot_state *st)
{
	int i = hw_slot_find(cab, name);

	return i < 0 ? i : hw_slot_state(cab, i, st) < 0 ? -ENOENT : i;
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

int hw_bus_count(const struct hw_cabinet *cab)
{
	return cab->nbuses;
}

const char *hw_bus_name(const struct hw_cabinet *cab, int bus)
{
	if (bus < 0 || bus >= cab->nbuses)
		return NULL;
	return cab->buses[bus].name;
}

int64_t hw_bus_alive_ms(struct hw_cabinet *cab, int bus)
{
	if (bus < 0 || bus >= cab->nbuses)
		return -ENOENT;
	return __atomic_load_n(&cab->buses[bus].alive_ms, __ATOMIC_ACQUIRE);
}

int hw_cabinet_fd(const struct hw_cabinet *cab)
{
	return cab->ev_fd;
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
		hw_wake(s->board->bus->cmd_fd);
	return r;
}

const char *hw_presence_name(enum hw_presence p)
{
	static const char *const names[] = {
		[HW_PRESENCE_UNKNOWN] = "unknown",
		[HW_PRESENCE_PRESENT] = "present",
		[HW_PRESENCE_ABSENT] = "absent",
		[HW_PRESENCE_FAULT] = "fault",
	};

	return (unsigned)p < KC_ARRAY_SIZE(names) ? names[p] : "?";
}

const char *hw_event_name(enum hw_event_type t)
{
	static const char *const names[] = {
		[HW_EV_INSERTED] = "inserted",
		[HW_EV_REMOVED] = "removed",
		[HW_EV_FAULT] = "fault",
		[HW_EV_RECOVERED] = "recovered",
		[HW_EV_LOCK_OFF] = "lock-off",
	};

	return (unsigned)t < KC_ARRAY_SIZE(names) ? names[t] : "?";
}
