/* Debouncing and slot state changes (hw/scan.h). */
#include "hw/scan.h"

void hw_track_init(struct hw_track *t)
{
	t->state = HW_PRESENCE_UNKNOWN;
	t->cand = HW_PRESENCE_UNKNOWN;
	t->count = 0;
}

enum hw_presence hw_track_feed(struct hw_track *t, enum hw_presence reading, int debounce)
{
	if (reading != HW_PRESENCE_PRESENT && reading != HW_PRESENCE_ABSENT) {
		/* A board that does not answer says nothing about the key: forget
		 * the half-debounced reading, so that after the fault the
		 * presence is confirmed afresh. */
		t->cand = HW_PRESENCE_UNKNOWN;
		t->count = 0;
		return t->state == HW_PRESENCE_FAULT ? HW_PRESENCE_UNKNOWN : HW_PRESENCE_FAULT;
	}
	if (debounce < 1)
		debounce = 1;
	if (t->cand == reading) {
		if (t->count < debounce)
			t->count++;
	} else {
		t->cand = reading;
		t->count = 1;
	}
	if (t->count >= debounce && reading != t->state)
		return reading;
	return HW_PRESENCE_UNKNOWN;
}

static enum hw_event_type change_event(enum hw_presence to)
{
	return to == HW_PRESENCE_PRESENT ? HW_EV_INSERTED : HW_EV_REMOVED;
}

int hw_track_commit(struct hw_track *t, enum hw_presence to,
		    enum hw_event_type ev[HW_TRACK_MAX_EVENTS])
{
	int n = 0;

	if (to == t->state || to == HW_PRESENCE_UNKNOWN)
		return 0;
	if (to == HW_PRESENCE_FAULT) {
		t->state = HW_PRESENCE_FAULT;
		ev[n++] = HW_EV_FAULT;
		return n;
	}
	/* After start or a fault, RECOVERED alone carries the presence: what
	 * changed meanwhile is the caller's to judge against what it expects
	 * (a key returned or taken while nobody could see). */
	if (t->state == HW_PRESENCE_UNKNOWN || t->state == HW_PRESENCE_FAULT)
		ev[n++] = HW_EV_RECOVERED;
	else
		ev[n++] = change_event(to);
	t->state = to;
	return n;
}
