/* The slot layer (hw/hw.h) as keycabd's controller sees it: with
 * windows.c, the only files of controller/ that talk to hw/
 * (t-hw-edge.sh checks the objects). The cabinet's life (new, start,
 * free), its slots and their readings, its events and its buses, in the
 * controller's own types. A NULL cabinet is no hardware (unit tests): no
 * slots, no events. Nothing here leads back to the controller. */
#ifndef KC_CTL_HWLINK_H
#define KC_CTL_HWLINK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hw_cabinet;

/* What a slot reads (hw's enum hw_presence, value for value). */
enum kc_presence {
	KC_PRESENCE_UNKNOWN = 0, /* not read yet */
	KC_PRESENCE_PRESENT,
	KC_PRESENCE_ABSENT,
	KC_PRESENCE_FAULT, /* its board does not answer */
};

struct kc_slot_reading {
	enum kc_presence presence;
	uint32_t tag;    /* last tag read, 0 for none or unknown */
	bool lock_on;    /* a pulse is under way */
	bool reads_tags; /* the slot's reader tells keys apart */
};

/* What the slot layer says happened (hw's enum hw_event_type). */
enum kc_slot_change {
	KC_SLOT_INSERTED,  /* a key is in the slot now (tag: what was read, 0 none) */
	KC_SLOT_REMOVED,   /* the slot is empty now */
	KC_SLOT_FAULT,     /* the slot's board stopped answering (detail says how) */
	KC_SLOT_RECOVERED, /* the board answers again; presence is known again */
	KC_SLOT_LOCK_OFF,  /* a pulse ended: the lock is off again */
};

#define KC_SLOT_DETAIL_MAX 160

struct kc_slot_event {
	enum kc_slot_change change;
	int slot;                  /* the slot's index in the cabinet */
	enum kc_presence presence; /* the slot's presence after the event */
	uint32_t tag;              /* INSERTED: key tag read, 0 for none */
	int64_t mono_ms;           /* when it was seen (CLOCK_MONOTONIC ms) */
	char detail[KC_SLOT_DETAIL_MAX]; /* FAULT: what went wrong */
};

/* The cabinet file loaded and checked; NULL with "FILE:LINE: ..." in err. */
struct hw_cabinet *kc_hwlink_new(const char *path, char *err, size_t errlen);
/* Every lock off, the bus threads started: 0 or -errno with err. */
int kc_hwlink_start(struct hw_cabinet *cab, char *err, size_t errlen);
/* The threads stopped, every lock off, freed. NULL is fine. */
void kc_hwlink_free(struct hw_cabinet *cab);
/* The cabinet's id and the longest pulse it gives. */
const char *kc_hwlink_id(const struct hw_cabinet *cab);
int kc_hwlink_pulse_max_ms(const struct hw_cabinet *cab);
/* Readable (POLLIN) when events wait; -1 for no cabinet. */
int kc_hwlink_fd(const struct hw_cabinet *cab);
/* The first bus whose thread made no step for more than period_ms, its
 * idle time in *idle_ms; NULL when every bus steps. */
const char *kc_hwlink_stuck_bus(struct hw_cabinet *cab, int64_t period_ms, int64_t *idle_ms);

int kc_hwlink_slot_count(const struct hw_cabinet *cab);
/* The slot's name, and the name of the board it sits on (NULL for none). */
const char *kc_hwlink_slot_name(const struct hw_cabinet *cab, int slot);
const char *kc_hwlink_board_name(const struct hw_cabinet *cab, int slot);
/* Index of the named slot, -ENOENT for none, -ENODEV for no cabinet. */
int kc_hwlink_slot_find(const struct hw_cabinet *cab, const char *name);
/* What slot reads now: 0, or -errno (no such slot). */
int kc_hwlink_reading(struct hw_cabinet *cab, int slot, struct kc_slot_reading *out);
/* Whether the named slot's sensor reads a key now (false for no cabinet). */
bool kc_hwlink_slot_present(struct hw_cabinet *cab, const char *name);
/* Takes up to max waiting events without blocking; how many. */
int kc_hwlink_read_events(struct hw_cabinet *cab, struct kc_slot_event *ev, int max);

/* "present", "absent", ...; "inserted", "removed", ... */
const char *kc_hwlink_presence_name(enum kc_presence p);
const char *kc_hwlink_change_name(enum kc_slot_change c);

#endif
