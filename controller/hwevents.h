/* Hardware events against the database (rules 9 and 10): what a slot's
 * sensor or board says, recorded with its events in one transaction. */
#ifndef KC_CTL_HWEVENTS_H
#define KC_CTL_HWEVENTS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "controller/ctl.h"
#include "controller/rules.h"

struct kc_slot_event;

/* One hardware event (not LOCK_OFF) recorded with its events in one
 * transaction: 0, or -errno with nothing written. */
int kc_hwevents_record(struct kc_ctl *ctl, const struct kc_slot_event *e);
/* The window w closed; empty: its slot read empty at the window's end.
 * One transaction: 0 (also when the loan was decided already), or
 * -errno with nothing written. */
int kc_hwevents_window_closed(struct kc_ctl *ctl, const struct kc_window *w, bool empty);
/* Inside a transaction: the compensation of a release whose key never
 * left (its window closed with the key in, or its slot did not open):
 * loan ends 'not_taken', key k is in again, an ID held goes back
 * (id.released, reason "not_taken"), with the release.not_taken event
 * (actor, slot, detail when given). 0 or -errno. */
int kc_hwevents_not_taken(struct kc_ctl *ctl, int64_t loan, const struct kc_key_info *k, const char *slot,
			  const char *actor, const char *detail);

/* Inside a transaction: raises an alarm, with its alarm.raised event,
 * unless one of the same type for the same key and slot is open. msg
 * (taken; common/msg.h) says what happened: the alarm keeps it and its
 * English text (the event's detail). */
int kc_hwevents_alarm(struct kc_ctl *ctl, enum kc_alarm_type type, const struct kc_key_info *k,
		      const char *slot, int64_t loan, const char *person, json_t *msg);
/* Inside a transaction: clears alarm id of alarm_type, cleared_by, with
 * its alarm.cleared event (key and slot members when given). */
int kc_hwevents_alarm_clear(struct kc_ctl *ctl, int64_t id, enum kc_alarm_type alarm_type,
			    const char *key, const char *slot, const char *cleared_by,
			    const char *reason);

/* Inside a transaction: a key just registered with home slot home and
 * tag (0: none) that a slot already reads: that slot's alarms for an
 * unknown key end, with a reason; in another slot than home it is a
 * wrong-slot alarm naming the key. 0 or -EIO. */
int kc_hwevents_key_registered(struct kc_ctl *ctl, const char *home, uint32_t tag);
/* A slot's wait for a new key ended (controller/intake.c): a key in it
 * no one registered raises a wrong-slot alarm naming no key
 * (alarm_intake_unregistered, data intake: true), in its own transaction.
 * It ends when intake.enrol registers the key (kc_hwevents_key_registered)
 * or the key is taken out (reason "key taken out"). 0 or -errno. */
int kc_hwevents_intake_ended(struct kc_ctl *ctl, const char *slot);
/* The open alarm of a key put into slot during intake and not
 * registered: 0 and *id, -ENOENT, -EIO. */
int kc_hwevents_intake_alarm(struct kc_ctl *ctl, const char *slot, int64_t *id);

/* The loan of key that is granted or out, and its open entrustment. */
struct kc_loan_row {
	int64_t id, due_ms, out_ms, entrustment;
	enum kc_purpose purpose;
	char borrower[128], op[64], signature[128];
};
/* 0, -ENOENT (no such loan) or -EIO. */
int kc_hwevents_active_loan(struct kc_ctl *ctl, const char *key, struct kc_loan_row *l);

#endif
