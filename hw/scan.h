/* The presence state machine of one slot: debouncing and the events a
 * change makes. Pure (no I/O, no clock), so it is unit-tested on its own
 * (tests/hw/t-hw-scan.c); hw/cabinet.c feeds it one reading per scan.
 *
 * A reading (PRESENT or ABSENT) becomes the slot's presence once it has
 * been read on `debounce` scans in a row. A FAULT reading (the board did
 * not answer) takes effect at once and restarts the debouncing. */
#ifndef KC_HW_SCAN_H
#define KC_HW_SCAN_H
#include "hw/hw.h"

struct hw_track {
	enum hw_presence state; /* what the slot reports now */
	enum hw_presence cand;  /* the reading being debounced */
	int count;              /* scans in a row cand has been read */
};

#define HW_TRACK_MAX_EVENTS 1

void hw_track_init(struct hw_track *t);

/* Feeds one scan's reading: HW_PRESENCE_PRESENT, _ABSENT or _FAULT.
 * Returns the presence the slot changes to, or HW_PRESENCE_UNKNOWN when
 * nothing changes. The change is applied only by hw_track_commit(), so
 * the caller can first read the key's tag (and, if that fails, feed a
 * FAULT instead). */
enum hw_presence hw_track_feed(struct hw_track *t, enum hw_presence reading, int debounce);

/* Applies a change hw_track_feed() returned and writes the event type it
 * makes into ev; returns how many (0 or 1):
 *   PRESENT|ABSENT -> FAULT          FAULT
 *   UNKNOWN|FAULT -> PRESENT|ABSENT  RECOVERED (its presence says what the
 *                                    slot holds; no INSERTED/REMOVED then)
 *   PRESENT <-> ABSENT               INSERTED or REMOVED */
int hw_track_commit(struct hw_track *t, enum hw_presence to,
		    enum hw_event_type ev[HW_TRACK_MAX_EVENTS]);

#endif
