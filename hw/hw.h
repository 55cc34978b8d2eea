/* keycab's slot layer: the one interface keycabd and keycab-hw use to
 * open slots and to learn which slots hold a key, whatever board (Modbus
 * RTU, Modbus TCP, GPIO) a slot sits on.
 *
 * Each bus (a serial line, a Modbus TCP endpoint, a GPIO chip) is served by
 * its own thread, so a board that stops answering never stalls the others.
 * The caller polls one file descriptor and reads events from it.
 *
 * Fail-secure: a lock output is on only for a bounded pulse (boards that
 * time pulses themselves are told to); every lock goes off at start, at
 * hw_cabinet_free() and on every error path. */
#ifndef KC_HW_H
#define KC_HW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/conf.h"

/* What a FAULT event or a board's state says went wrong, its NUL included */
#define HW_DETAIL_MAX 160

enum hw_presence {
	HW_PRESENCE_UNKNOWN = 0, /* not read yet */
	HW_PRESENCE_PRESENT,
	HW_PRESENCE_ABSENT,
	HW_PRESENCE_FAULT,       /* its board does not answer */
};

enum hw_event_type {
	HW_EV_INSERTED,  /* a key is in the slot now (tag: what was read, 0 none) */
	HW_EV_REMOVED,   /* the slot is empty now */
	HW_EV_FAULT,     /* the slot's board stopped answering (detail says how) */
	HW_EV_RECOVERED, /* the board answers again; presence is known again */
	HW_EV_LOCK_OFF,  /* a pulse ended: the lock is off again */
};

struct hw_event {
	enum hw_event_type type;
	int slot;                  /* index into the cabinet's slots */
	enum hw_presence presence; /* the slot's presence after the event */
	uint32_t tag;              /* INSERTED: key tag read, 0 for none */
	int64_t mono_ms;           /* when it was seen (CLOCK_MONOTONIC ms) */
	char detail[HW_DETAIL_MAX]; /* FAULT: what went wrong */
};

struct hw_slot_state {
	enum hw_presence presence;
	uint32_t tag;     /* last tag read, 0 for none or unknown */
	bool lock_on;     /* a pulse is under way */
	int64_t since_ms; /* mono ms of the last presence change */
};

struct hw_cabinet;

/* Loads and checks the cabinet file; NULL with "FILE:LINE: ..." in err. */
struct hw_cabinet *hw_cabinet_new(const char *path, char *err, size_t errlen);
/* Switches every lock off and starts the bus threads. Boards that do not
 * answer are not an error: their slots are FAULT until they do.
 * Returns 0 or -errno with a message in err (e.g. no such GPIO chip). */
int hw_cabinet_start(struct hw_cabinet *cab, char *err, size_t errlen);
/* Stops the threads, switches every lock off, frees. NULL is fine. */
void hw_cabinet_free(struct hw_cabinet *cab);

const struct hw_cabinet_conf *hw_cabinet_conf(const struct hw_cabinet *cab);
int hw_cabinet_slot_count(const struct hw_cabinet *cab);
const char *hw_slot_name(const struct hw_cabinet *cab, int slot);
/* Index of the named slot or -ENOENT. */
int hw_slot_find(const struct hw_cabinet *cab, const char *name);
bool hw_slot_reads_tags(const struct hw_cabinet *cab, int slot);
int hw_slot_state(struct hw_cabinet *cab, int slot, struct hw_slot_state *st);
/* The named slot's index (or -ENOENT) with its state in *st. */
int hw_slot_find_state(struct hw_cabinet *cab, const char *name, struct hw_slot_state *st);

/* Readable (POLLIN) when events are waiting. */
int hw_cabinet_fd(const struct hw_cabinet *cab);
/* Takes up to max waiting events without blocking; returns how many. */
int hw_cabinet_read_events(struct hw_cabinet *cab, struct hw_event *ev, int max);

/* Opens a slot for one bounded pulse of pulse_ms (0: the cabinet's
 * default). The pulse is queued to the slot's bus thread and starts at
 * once. Returns 0; -ERANGE when pulse_ms is above the cabinet's
 * pulse_max_ms; -EIO when the slot's board is FAULT; -EBUSY when a pulse
 * is already under way on that slot; -ENOENT for no such slot; -EAGAIN
 * before hw_cabinet_start() or once hw_cabinet_free() has begun. */
int hw_cabinet_open(struct hw_cabinet *cab, int slot, unsigned pulse_ms);

const char *hw_presence_name(enum hw_presence p);
const char *hw_event_name(enum hw_event_type t);

/* The events' contract (hw/README.md "Events"):
 * - every slot gets one RECOVERED event when its presence is first known
 *   after start (presence/tag say what it holds), or FAULT if its board
 *   does not answer; after a fault, RECOVERED again, alone: compare its
 *   presence/tag with what you expect (no INSERTED/REMOVED for what
 *   changed while the board was silent);
 * - every hw_cabinet_open() that returned 0 is followed by exactly one
 *   LOCK_OFF for that slot (detail says why when the pulse could not be
 *   given), unless the cabinet is freed first. */

/* Boards, for commissioning and diagnostics. */
enum hw_board_state_kind {
	HW_BOARD_STATE_UNKNOWN = 0, /* not tried yet */
	HW_BOARD_STATE_OK,          /* answered its last request */
	HW_BOARD_STATE_FAULT,       /* did not: detail says how */
};
struct hw_board_state {
	enum hw_board_state_kind state;
	char detail[HW_DETAIL_MAX];
};
int hw_board_count(const struct hw_cabinet *cab);
const char *hw_board_name(const struct hw_cabinet *cab, int board);
/* Index of the board the slot sits on, or -ENOENT. */
int hw_slot_board(const struct hw_cabinet *cab, int slot);
int hw_board_state(struct hw_cabinet *cab, int board, struct hw_board_state *st);

struct hw_cabinet_stats {
	uint64_t scans;    /* scans done, summed over the bus threads */
	uint64_t requests; /* requests sent to boards (Modbus requests) */
};
void hw_cabinet_stats(struct hw_cabinet *cab, struct hw_cabinet_stats *st);

/* Buses, for a watchdog: each serial line, TCP host:port or GPIO chip has
 * a thread of its own (hw/README.md "How it runs"). */
int hw_bus_count(const struct hw_cabinet *cab);
/* "serial /dev/ttyUSB0", "tcp 10.0.0.5:502", "gpio gpiochip0"; NULL for
 * no such bus. */
const char *hw_bus_name(const struct hw_cabinet *cab, int bus);
/* When (CLOCK_MONOTONIC ms) the bus's thread last finished a step: one
 * board scanned, the opens and pulse ends served, a wait of at most
 * scan_ms. A thread that makes no step for long is wedged; a board that
 * does not answer only makes its steps last up to twice timeout_ms.
 * -ENOENT for no such bus. */
int64_t hw_bus_alive_ms(struct hw_cabinet *cab, int bus);

/* For a fatal-signal handler: async-signal-safe, takes no lock, switches
 * every GPIO lock line off at once (one ioctl per line). Modbus boards
 * cannot be reached safely from a signal handler: their locks go off when
 * a board-timed pulse ends, or by `keycab-hw off` (ExecStopPost). */
void hw_cabinet_emergency_off(struct hw_cabinet *cab);

#endif
