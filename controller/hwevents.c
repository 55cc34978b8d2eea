/* What the hardware says, against what the database says: returns and
 * wrong slots (rule 9), releases taken or not taken (rule 10), tamper and
 * fault alarms. Each change and its events go in one transaction; the
 * decisions are rules.c's. */
#include "controller/hwevents.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/pdata.h"
#include "common/util.h"
#include "controller/intake_wait.h"
#include "controller/keys.h"
#include "controller/windows.h"
#include "controller/hwlink.h"
#include "controller/row.h"

/* An alarm of type, once while one like it is open (the same key, slot
 * and board); extra's members go in its event's data. */
static int alarm_raise(struct kc_ctl *ctl, enum kc_alarm_type alarm_type, const struct kc_key_info *k,
		       const char *slot, const char *board, int64_t loan, const char *person, json_t *msg,
		       const json_t *extra)
{
	const char *type = KC_WORD(kc_alarm_type, alarm_type);
	const char *key = k && k->code[0] ? k->code : NULL;
	char detail[512] = "";
	char *msg_json;
	int64_t id;
	json_t *ev, *d;
	int r;

	if (kc_store_int(ctl->st, &id,
			 "SELECT id FROM alarms WHERE type = ? AND key IS ? AND slot IS ? AND board IS ?"
			 " AND cleared_ms IS NULL",
			 "ssss", type, key, slot, board) == 0) {
		json_decref(msg);
		return 0;
	}
	if (!msg)
		return -ENOMEM;
	kc_msg_render(msg, KC_LANG_EN, detail, sizeof(detail));
	msg_json = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!msg_json)
		return -ENOMEM;
	r = kc_store_x(ctl->st,
		       "INSERT INTO alarms (type, key, slot, board, loan, detail, detail_msg, raised_ms)"
		       " VALUES (?,?,?,?,nullif(?,0),?,?,?)",
		       "ssssIssI", type, key, slot, board, loan, detail, msg_json, kc_now_ms());
	free(msg_json);
	if (r < 0)
		return -EIO;
	id = kc_store_last_id(ctl->st);
	ev = kc_store_event(ctl->st, KC_EVT_ALARM_RAISED);
	kc_key_event_members(ev, k, slot);
	kc_json_str(ev, "person", person);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "alarm", json_integer(id));
	json_object_set_new(d, "alarm_type", json_string(type));
	json_object_set_new(d, "detail", json_string(detail));
	if (loan)
		json_object_set_new(d, "loan", json_integer(loan));
	if (extra)
		json_object_update(d, (json_t *)extra);
	kc_warn("alarm %lld: %s: %s", (long long)id, type, detail);
	return kc_store_append(ctl->st, ev);
}

int kc_hwevents_alarm(struct kc_ctl *ctl, enum kc_alarm_type alarm_type, const struct kc_key_info *k,
		       const char *slot, int64_t loan, const char *person, json_t *msg)
{
	return alarm_raise(ctl, alarm_type, k, slot, NULL, loan, person, msg, NULL);
}

/* Clears alarm id with its alarm.cleared event; extra's members go in its
 * data. */
static int alarm_clear(struct kc_ctl *ctl, int64_t id, enum kc_alarm_type alarm_type, const char *key,
		       const char *slot, const char *cleared_by, const char *reason, const json_t *extra)
{
	json_t *ev, *d;

	if (kc_store_x(ctl->st, "UPDATE alarms SET cleared_ms = ?, cleared_by = ? WHERE id = ?", "IsI",
		       kc_now_ms(), cleared_by, id) < 0)
		return -EIO;
	ev = kc_store_event(ctl->st, KC_EVT_ALARM_CLEARED);
	if (key)
		kc_json_str(ev, "key", key);
	if (slot)
		kc_json_str(ev, "slot", slot);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "alarm", json_integer(id));
	json_object_set_new(d, "alarm_type", json_string(KC_WORD(kc_alarm_type, alarm_type)));
	json_object_set_new(d, "reason", json_string(reason));
	if (extra)
		json_object_update(d, (json_t *)extra);
	return kc_store_append(ctl->st, ev);
}

int kc_hwevents_alarm_clear(struct kc_ctl *ctl, int64_t id, enum kc_alarm_type alarm_type,
			    const char *key, const char *slot, const char *cleared_by,
			    const char *reason)
{
	return alarm_clear(ctl, id, alarm_type, key, slot, cleared_by, reason, NULL);
}

/* Rule 9: key k is read in its home slot: its wrong-slot alarms end. */
static int home_again(struct kc_ctl *ctl, const struct kc_key_info *k, const char *slot)
{
	int64_t alarm;
	int r;

	while ((r = kc_store_int(ctl->st, &alarm,
				 "SELECT id FROM alarms WHERE type = ? AND key = ?"
				 " AND cleared_ms IS NULL",
				 "ss", kc_alarm_type_to_string(KC_ALARM_WRONG_SLOT), k->code)) == 0)
		if (kc_hwevents_alarm_clear(ctl, alarm, KC_ALARM_WRONG_SLOT, k->code, slot, "home_slot",
					    "key read in its home slot") < 0)
			return -EIO;
	return r == -ENOENT ? 0 : -EIO;
}

static int slot_event(struct kc_ctl *ctl, enum kc_event_type type, const char *slot,
		      const struct kc_key_info *k, uint32_t tag, bool with_tag)
{
	json_t *ev = kc_store_event(ctl->st, type);

	kc_json_str(ev, "slot", slot);
	kc_json_str(ev, "key", k && k->code[0] ? k->code : NULL);
	if (with_tag)
		json_object_set_new(json_object_get(ev, "data"), "tag", json_integer(tag));
	return kc_store_append(ctl->st, ev);
}


int kc_hwevents_active_loan(struct kc_ctl *ctl, const char *key, struct kc_loan_row *l)
{
	sqlite3_stmt *s = kc_store_q(ctl->st,
				     "SELECT l.id, l.purpose, l.borrower, coalesce(l.due_ms, 0),"
				     " coalesce(l.out_ms, 0), l.operator, coalesce(l.signature, ''),"
				     " coalesce((SELECT id FROM entrustments e WHERE e.key = l.key"
				     " AND e.state = 'open'), 0)"
				     " FROM loans l WHERE l.key = ? AND l.state IN ('granted', 'out')",
				     "s", key);
	int rc;

	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		memset(l, 0, sizeof(*l));
		l->id = sqlite3_column_int64(s, 0);
		l->purpose = kc_purpose_from_string((const char *)sqlite3_column_text(s, 1));
		kc_strlcpy(l->borrower, (const char *)sqlite3_column_text(s, 2), sizeof(l->borrower));
		l->due_ms = sqlite3_column_int64(s, 3);
		l->out_ms = sqlite3_column_int64(s, 4);
		kc_strlcpy(l->op, (const char *)sqlite3_column_text(s, 5), sizeof(l->op));
		kc_strlcpy(l->signature, (const char *)sqlite3_column_text(s, 6), sizeof(l->signature));
		l->entrustment = sqlite3_column_int64(s, 7);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

/* The key of a granted loan left its slot: the release was taken. */
static int taken(struct kc_ctl *ctl, const struct kc_key_info *k, const char *slot)
{
	struct kc_loan_row l;
	bool collect;
	json_t *ev, *d;
	int64_t now = kc_now_ms();

	if (kc_hwevents_active_loan(ctl, k->code, &l) < 0)
		return -EIO;
	collect = l.purpose == KC_PURPOSE_OWNER_COLLECT;
	kc_windows_del(ctl, l.id);
	if (kc_store_x(ctl->st, "UPDATE loans SET state = ?, out_ms = ? WHERE id = ?", "sII",
		       collect ? "collected" : "out", now, l.id) < 0 ||
	    kc_store_x(ctl->st, "UPDATE keys SET state = ?, slot = NULL WHERE code = ?", "ss",
		       collect ? "collected" : "out", k->code) < 0)
		return -EIO;
	if (slot_event(ctl, KC_EVT_SLOT_REMOVED, slot, k, 0, false) < 0)
		return -EIO;
	ev = kc_store_event(ctl->st, KC_EVT_RELEASE_TAKEN);
	kc_key_event_members(ev, k, slot);
	kc_json_str(ev, "person", l.borrower);
	json_object_set_new(json_object_get(ev, "data"), "loan", json_integer(l.id));
	if (kc_store_append(ctl->st, ev) < 0)
		return -EIO;
	if (!collect || !l.entrustment)
		return 0;
	/* Owner collection (rule 8): the key is home with its owner. */
	if (kc_store_x(ctl->st,
		       "UPDATE entrustments SET state = 'collected', closed_ms = ?, signature = ? WHERE id = ?",
		       "IsI", now, l.signature, l.entrustment) < 0)
		return -EIO;
	ev = kc_store_event(ctl->st, KC_EVT_COLLECTION_COMPLETED);
	kc_key_event_members(ev, k, NULL);
	kc_json_str(ev, "actor", l.op);
	kc_json_str(ev, "person", l.borrower);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "entrustment", json_integer(l.entrustment));
	json_object_set_new(d, "signature", json_string(l.signature));
	json_object_set_new(d, "loan", json_integer(l.id));
	if (kc_store_append(ctl->st, ev) < 0)
		return -EIO;
	ev = kc_store_event(ctl->st, KC_EVT_ENTRUSTMENT_CLOSED);
	kc_key_event_members(ev, k, NULL);
	kc_json_str(ev, "actor", l.op);
	kc_json_str(ev, "person", l.borrower);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "entrustment", json_integer(l.entrustment));
	json_object_set_new(d, "reason", json_string("collected"));
	return kc_store_append(ctl->st, ev);
}

/* A key on loan is back in a slot (rule 9). */
static int returned(struct kc_ctl *ctl, const struct kc_key_info *k, const char *slot, uint32_t tag)
{
	struct kc_loan_row l;
	int64_t now = kc_now_ms();
	bool overdue, inspection;
	json_t *ev, *d, *m;

	if (kc_hwevents_active_loan(ctl, k->code, &l) < 0)
		return -EIO;
	overdue = kc_rules_overdue(l.due_ms, now);
	inspection = l.purpose == KC_PURPOSE_INSPECTION;
	if (kc_store_x(ctl->st,
		       "UPDATE loans SET state = 'returned', in_ms = ?, return_slot = ?,"
		       " overdue = max(overdue, ?), inspection = ? WHERE id = ?",
		       "IsisI", now, slot, overdue, inspection ? "pending" : NULL, l.id) < 0 ||
	    kc_store_x(ctl->st, "UPDATE keys SET state = 'in', slot = ? WHERE code = ?", "ss", slot,
		       k->code) < 0)
		return -EIO;
	if (slot_event(ctl, KC_EVT_SLOT_INSERTED, slot, k, tag, true) < 0)
		return -EIO;
	ev = kc_store_event(ctl->st, KC_EVT_LOAN_RETURNED);
	kc_key_event_members(ev, k, slot);
	kc_json_str(ev, "person", l.borrower);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "loan", json_integer(l.id));
	json_object_set_new(d, "purpose", json_string(KC_WORD(kc_purpose, l.purpose)));
	kc_json_time(d, "out_at", l.out_ms);
	kc_json_time(d, "due", l.due_ms);
	json_object_set_new(d, "overdue", json_boolean(overdue));
	json_object_set_new(d, "inspection_pending", json_boolean(inspection));
	if (kc_store_append(ctl->st, ev) < 0)
		return -EIO;
	/* The overdue alarm ends with the return. */
	{
		int64_t alarm;

		while (kc_store_int(ctl->st, &alarm,
				    "SELECT id FROM alarms WHERE type = 'overdue' AND key = ?"
				    " AND cleared_ms IS NULL",
				    "s", k->code) == 0) {
			if (kc_hwevents_alarm_clear(ctl, alarm, KC_ALARM_OVERDUE, k->code, slot, "return",
						    "key returned") < 0)
				return -EIO;
		}
	}
	if ((m = kc_rules_wrong_slot(k, slot)))
		return kc_hwevents_alarm(ctl, KC_ALARM_WRONG_SLOT, k, slot, l.id, l.borrower, m);
	return home_again(ctl, k, slot);
}

static int key_by(struct kc_ctl *ctl, const char *sql, const char *fmt, const void *arg,
		  struct kc_key_info *k)
{
	sqlite3_stmt *s;
	char code[64] = "";
	int rc;

	if (fmt[0] == 'I')
		s = kc_store_q(ctl->st, sql, "I", *(const int64_t *)arg);
	else
		s = kc_store_q(ctl->st, sql, "s", (const char *)arg);
	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		kc_strlcpy(code, (const char *)sqlite3_column_text(s, 0), sizeof(code));
	sqlite3_reset(s);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -ENOENT : -EIO;
	return kc_key_get(ctl->st, code, k);
}

int kc_hwevents_intake_alarm(struct kc_ctl *ctl, const char *slot, int64_t *id)
{
	return kc_store_int(ctl->st, id,
			    "SELECT id FROM alarms WHERE type = ? AND slot = ? AND key IS NULL AND cleared_ms IS NULL"
			    " AND json_extract(detail_msg, '$.code') IN (?, ?)",
			    "ssss", KC_WORD(kc_alarm_type, KC_ALARM_WRONG_SLOT), slot,
			    kc_msg_name(KCM_alarm_intake_unregistered),
			    kc_msg_name(KCM_alarm_intake_unregistered_untagged));
}

/* The slot reads empty and no key registered was in it: a key put in
 * during intake and not registered was taken out, its alarm ends. */
static int unregistered_out(struct kc_ctl *ctl, const char *slot, bool hw_change)
{
	int64_t alarm;
	int r;

	if (hw_change && slot_event(ctl, KC_EVT_SLOT_REMOVED, slot, NULL, 0, false) < 0)
		return -EIO;
	r = kc_hwevents_intake_alarm(ctl, slot, &alarm);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return -EIO;
	kc_notice("the key put into slot %s during intake was taken out: alarm %lld cleared", slot,
		  (long long)alarm);
	return kc_hwevents_alarm_clear(ctl, alarm, KC_ALARM_WRONG_SLOT, NULL, slot, "removed", "key taken out");
}

/* The slot reads empty. */
static int slot_absent(struct kc_ctl *ctl, const char *slot, bool hw_change)
{
	struct kc_key_info k;
	int r;

	/* a key the office moved to another home, taken out of its old slot:
	 * on its way home, no alarm (controller/estate_keys.c) */
	r = key_by(ctl, "SELECT code FROM keys WHERE slot = ? AND state = 'awaiting'", "s", slot, &k);
	if (r == 0 && kc_store_x(ctl->st, "UPDATE keys SET slot = NULL WHERE code = ?", "s", k.code) < 0)
		return -EIO;
	if (r == 0)
		return hw_change ? slot_event(ctl, KC_EVT_SLOT_REMOVED, slot, &k, 0, false) : 0;
	if (r != -ENOENT)
		return r;
	r = key_by(ctl, "SELECT code FROM keys WHERE slot = ? AND state IN ('in', 'releasing')", "s",
		   slot, &k);
	if (r == -ENOENT)
		return unregistered_out(ctl, slot, hw_change);
	if (r < 0)
		return r;
	if (k.state == KC_KEY_RELEASING) {
		return taken(ctl, &k, slot);
	}
	/* Rule 9: a re-seat opened this slot for this key, to move it home:
	 * it is between slots, no alarm; its wrong-slot alarm stays until
	 * its home slot reads it. */
	if (kc_windows_reseat_take(ctl, slot, k.code)) {
		json_t *ev;

		if (kc_store_x(ctl->st, "UPDATE keys SET state = 'missing', slot = NULL WHERE code = ?",
			       "s", k.code) < 0)
			return -EIO;
		ev = kc_store_event(ctl->st, KC_EVT_SLOT_REMOVED);
		kc_json_str(ev, "slot", slot);
		kc_json_str(ev, "key", k.code);
		json_object_set_new(json_object_get(ev, "data"), "reseat", json_true());
		kc_notice("key %s lifted out of slot %s to be moved home to %s", k.code, slot,
			  k.home_slot);
		return kc_store_append(ctl->st, ev);
	}
	/* Rule 10: a key left a locked slot. */
	if (kc_store_x(ctl->st, "UPDATE keys SET state = 'missing', slot = NULL WHERE code = ?", "s",
		       k.code) < 0)
		return -EIO;
	if (slot_event(ctl, KC_EVT_SLOT_REMOVED, slot, &k, 0, false) < 0)
		return -EIO;
	return kc_hwevents_alarm(ctl, KC_ALARM_TAMPER, &k, slot, 0, NULL,
				 kc_msg_new(KCM_alarm_tamper, "{s:s, s:s}", "key", k.code, "slot", slot));
}

/* The slot reads a key, with tag when its reader read one; a key no one
 * registered is expected in a slot opened for a new key (intake.c). */
static int slot_present(struct kc_ctl *ctl, const char *slot, uint32_t tag, bool hw_change)
{
	struct kc_key_info k, here;
	bool have_here, have_k = false;
	json_t *m;
	int r;

	/* a key the office moved to another home, still in its old slot */
	r = key_by(ctl, "SELECT code FROM keys WHERE slot = ? AND state = 'awaiting'", "s", slot, &here);
	if (r == 0 && (!tag || !here.tag || here.tag == tag))
		return hw_change ? slot_event(ctl, KC_EVT_SLOT_INSERTED, slot, &here, tag, true) : 0;
	if (r < 0 && r != -ENOENT)
		return r;
	r = key_by(ctl, "SELECT code FROM keys WHERE slot = ? AND state IN ('in', 'releasing')", "s",
		   slot, &here);
	if (r < 0 && r != -ENOENT)
		return r;
	have_here = r == 0;
	if (tag) {
		int64_t t = tag;

		r = key_by(ctl, "SELECT code FROM keys WHERE tag = ?", "I", &t, &k);
		if (r < 0 && r != -ENOENT)
			return r;
		have_k = r == 0;
		if (!have_k && kc_intake_wait_awaited(ctl, slot))
			return hw_change ? slot_event(ctl, KC_EVT_SLOT_INSERTED, slot, NULL, tag, true) : 0;
		if (!have_k) {
			char hex[16];

			snprintf(hex, sizeof(hex), "0x%x", tag);
			if (hw_change && slot_event(ctl, KC_EVT_SLOT_INSERTED, slot, NULL, tag, true) < 0)
				return -EIO;
			return kc_hwevents_alarm(ctl, KC_ALARM_WRONG_SLOT, NULL, slot, 0, NULL,
						 kc_msg_new(KCM_alarm_unknown_tag, "{s:s, s:s}", "tag", hex,
							    "slot", slot));
		}
	} else if (have_here) {
		k = here;
		have_k = true;
	} else {
		r = key_by(ctl, "SELECT code FROM keys WHERE home_slot = ?", "s", slot, &k);
		if (r < 0 && r != -ENOENT)
			return r;
		have_k = r == 0 && (k.state == KC_KEY_OUT || k.state == KC_KEY_MISSING ||
				    k.state == KC_KEY_AWAITING);
	}
	if (!have_k && kc_intake_wait_awaited(ctl, slot))
		return hw_change ? slot_event(ctl, KC_EVT_SLOT_INSERTED, slot, NULL, tag, true) : 0;
	if (!have_k) {
		if (hw_change && slot_event(ctl, KC_EVT_SLOT_INSERTED, slot, NULL, tag, true) < 0)
			return -EIO;
		return kc_hwevents_alarm(ctl, KC_ALARM_WRONG_SLOT, NULL, slot, 0, NULL,
					 kc_msg_new(KCM_alarm_unexpected_key, "{s:s}", "slot", slot));
	}
	if (k.state == KC_KEY_IN || k.state == KC_KEY_RELEASING) {
		if (strcmp(k.slot, slot) == 0)
			return hw_change ? slot_event(ctl, KC_EVT_SLOT_INSERTED, slot, &k, tag, true) : 0;
		if (hw_change && slot_event(ctl, KC_EVT_SLOT_INSERTED, slot, &k, tag, true) < 0)
			return -EIO;
		return kc_hwevents_alarm(ctl, KC_ALARM_WRONG_SLOT, &k, slot, 0, NULL,
					 kc_msg_new(KCM_alarm_tag_elsewhere, "{s:s, s:s, s:s}", "slot", slot,
						    "key", k.code, "recorded", k.slot));
	}
	if (k.state == KC_KEY_OUT)
		return returned(ctl, &k, slot, tag);
	if (k.state == KC_KEY_MISSING || k.state == KC_KEY_AWAITING) {
		/* Back after a tamper (the alarm stays for staff), or put in for
		 * the first time: in custody now. */
		if (kc_store_x(ctl->st, "UPDATE keys SET state = 'in', slot = ? WHERE code = ?", "ss",
			       slot, k.code) < 0)
			return -EIO;
		if (slot_event(ctl, KC_EVT_SLOT_INSERTED, slot, &k, tag, true) < 0)
			return -EIO;
		if ((m = kc_rules_wrong_slot(&k, slot)))
			return kc_hwevents_alarm(ctl, KC_ALARM_WRONG_SLOT, &k, slot, 0, NULL, m);
		return home_again(ctl, &k, slot);
	}
	if (hw_change && slot_event(ctl, KC_EVT_SLOT_INSERTED, slot, &k, tag, true) < 0)
		return -EIO;
	return kc_hwevents_alarm(ctl, KC_ALARM_WRONG_SLOT, &k, slot, 0, NULL,
				 kc_msg_new(KCM_alarm_key_in_slot, "{s:s, s:s, s:s}", "key", k.code, "state",
					    kc_key_state_to_string(k.state), "slot", slot));
}

/* Inside a transaction: slot's wait for a new key ended; a key in it
 * that no one registered (a tag no key has, or no tag and no key's slot
 * or home) raises its wrong-slot alarm, with intake in its data. */
static int intake_lapsed(struct kc_ctl *ctl, const char *slot)
{
	struct kc_slot_reading rd;
	struct kc_key_info k;
	json_t *extra, *m;
	int i = kc_hwlink_slot_find(ctl->hw, slot), r;

	if (i < 0 || kc_hwlink_reading(ctl->hw, i, &rd) < 0 || rd.presence != KC_PRESENCE_PRESENT)
		return 0;
	if (rd.tag) {
		int64_t t = rd.tag;

		r = key_by(ctl, "SELECT code FROM keys WHERE tag = ?", "I", &t, &k);
	} else {
		r = key_by(ctl, "SELECT code FROM keys WHERE slot = ?1 OR home_slot = ?1", "s", slot, &k);
	}
	if (r != -ENOENT)
		return r < 0 ? r : 0; /* a key registered: its slot.inserted decided it */
	if (rd.tag) {
		char hex[16];

		snprintf(hex, sizeof(hex), "0x%x", rd.tag);
		m = kc_msg_new(KCM_alarm_intake_unregistered, "{s:s, s:s}", "tag", hex, "slot", slot);
	} else {
		m = kc_msg_new(KCM_alarm_intake_unregistered_untagged, "{s:s}", "slot", slot);
	}
	extra = json_pack("{s:b}", "intake", 1);
	r = extra ? alarm_raise(ctl, KC_ALARM_WRONG_SLOT, NULL, slot, NULL, 0, NULL, m, extra) : -ENOMEM;
	if (!extra)
		json_decref(m);
	json_decref(extra);
	return r;
}

int kc_hwevents_intake_ended(struct kc_ctl *ctl, const char *slot)
{
	int r;

	if (kc_store_begin(ctl->st) < 0)
		return -EIO;
	r = intake_lapsed(ctl, slot);
	if (r < 0) {
		kc_store_rollback(ctl->st);
		return r;
	}
	return kc_store_commit(ctl->st);
}

/* A key registered while a slot already reads its tag (an import of
 * keys put in before it): the alarms that slot raised for a key nobody
 * knew end (reason "key registered"), and the slot is read again as the
 * key's: no alarm in its home slot, a wrong-slot alarm naming it in
 * another. */
int kc_hwevents_key_registered(struct kc_ctl *ctl, const char *home, uint32_t tag)
{
	int n = kc_hwlink_slot_count(ctl->hw);

	for (int i = 0; i < n; i++) {
		const char *slot = kc_hwlink_slot_name(ctl->hw, i);
		struct kc_slot_reading hs;
		int64_t alarm;
		int r;

		if (kc_hwlink_reading(ctl->hw, i, &hs) < 0 || hs.presence != KC_PRESENCE_PRESENT)
			continue;
		if (tag ? hs.tag != tag : hs.tag != 0 || strcmp(slot, home) != 0)
			continue;
		while ((r = kc_store_int(ctl->st, &alarm,
					 "SELECT id FROM alarms WHERE type = ? AND slot = ?"
					 " AND key IS NULL AND cleared_ms IS NULL",
					 "ss", KC_WORD(kc_alarm_type, KC_ALARM_WRONG_SLOT), slot)) == 0)
			if (kc_hwevents_alarm_clear(ctl, alarm, KC_ALARM_WRONG_SLOT, NULL, slot, "key_registered",
						    "key registered") < 0)
				return -EIO;
		if (r != -ENOENT)
			return -EIO;
		if (strcmp(slot, home) != 0 && slot_present(ctl, slot, hs.tag, false) < 0)
			return -EIO;
	}
	return 0;
}

/* {"board": name, "slots": [the names of the slots on the board]} */
static json_t *board_facts(struct kc_ctl *ctl, const char *board)
{
	json_t *slots = json_array();
	int n = kc_hwlink_slot_count(ctl->hw);

	for (int i = 0; slots && i < n; i++)
		if (!strcmp(kc_hwlink_board_name(ctl->hw, i), board))
			json_array_append_new(slots, json_string(kc_hwlink_slot_name(ctl->hw, i)));
	return json_pack("{s:s, s:o*}", "board", board, "slots", slots);
}

/* The slot's board stopped answering: the slot's slot.fault, and one fault
 * alarm for the board, naming its slots, while none is open. */
static int slot_fault(struct kc_ctl *ctl, const char *slot, const char *bname, const char *detail)
{
	json_t *ev = kc_store_event(ctl->st, KC_EVT_SLOT_FAULT), *facts;
	int r;

	kc_json_str(ev, "slot", slot);
	json_object_set_new(json_object_get(ev, "data"), "board", json_string(bname));
	json_object_set_new(json_object_get(ev, "data"), "detail", json_string(detail));
	if (kc_store_append(ctl->st, ev) < 0 ||
	    kc_store_x(ctl->st, "INSERT OR REPLACE INTO slot_faults (slot, board, since_ms) VALUES (?,?,?)", "ssI",
		       slot, bname, kc_now_ms()) < 0)
		return -EIO;
	facts = board_facts(ctl, bname);
	if (!facts)
		return -ENOMEM;
	r = alarm_raise(ctl, KC_ALARM_FAULT, NULL, NULL, bname, 0, NULL,
			kc_msg_new(KCM_alarm_board_down, "{s:s, s:O, s:s}", "board", bname, "slots",
				   json_object_get(facts, "slots"), "detail", detail),
			facts);
	json_decref(facts);
	return r;
}

/* The slot answers again: its slot.recovered; once no slot of its board is
 * in fault, the board's alarm clears itself. */
static int slot_recovered(struct kc_ctl *ctl, const char *slot, const char *bname)
{
	int64_t id, left;
	json_t *ev, *facts;
	int r;

	if (kc_store_int(ctl->st, &id, "SELECT 1 FROM slot_faults WHERE slot = ?", "s", slot) < 0)
		return 0; /* the first reading after start: nothing was wrong */
	ev = kc_store_event(ctl->st, KC_EVT_SLOT_RECOVERED);
	kc_json_str(ev, "slot", slot);
	json_object_set_new(json_object_get(ev, "data"), "board", json_string(bname));
	if (kc_store_append(ctl->st, ev) < 0 || kc_store_x(ctl->st, "DELETE FROM slot_faults WHERE slot = ?", "s", slot) < 0)
		return -EIO;
	/* a fault alarm of this slot alone */
	if (kc_store_int(ctl->st, &id, "SELECT id FROM alarms WHERE type = ? AND slot = ? AND cleared_ms IS NULL",
			 "ss", KC_WORD(kc_alarm_type, KC_ALARM_FAULT), slot) == 0 &&
	    kc_hwevents_alarm_clear(ctl, id, KC_ALARM_FAULT, NULL, slot, "recovered", "board answers again") < 0)
		return -EIO;
	if (kc_store_int(ctl->st, &left, "SELECT count(*) FROM slot_faults WHERE board = ?", "s", bname) < 0)
		return -EIO;
	if (left > 0 || kc_store_int(ctl->st, &id,
				     "SELECT id FROM alarms WHERE type = ? AND board = ? AND cleared_ms IS NULL",
				     "ss", KC_WORD(kc_alarm_type, KC_ALARM_FAULT), bname) < 0)
		return 0;
	facts = board_facts(ctl, bname);
	if (!facts)
		return -ENOMEM;
	kc_notice("board %s answers again: fault alarm %lld cleared", bname, (long long)id);
	r = alarm_clear(ctl, id, KC_ALARM_FAULT, NULL, NULL, "recovered", "board answers again", facts);
	json_decref(facts);
	return r;
}

int kc_hwevents_record(struct kc_ctl *ctl, const struct kc_slot_event *e)
{
	const char *slot = kc_hwlink_slot_name(ctl->hw, e->slot);
	const char *board = kc_hwlink_board_name(ctl->hw, e->slot);
	int r = 0;

	if (e->change == KC_SLOT_LOCK_OFF)
		return 0;
	if (kc_store_begin(ctl->st) < 0)
		return -EIO;
	switch (e->change) {
	case KC_SLOT_INSERTED:
		r = slot_present(ctl, slot, e->tag, true);
		break;
	case KC_SLOT_REMOVED:
		r = slot_absent(ctl, slot, true);
		break;
	case KC_SLOT_FAULT:
		r = slot_fault(ctl, slot, board, e->detail);
		break;
	case KC_SLOT_RECOVERED:
		r = slot_recovered(ctl, slot, board);
		/* The first reading after start or a fault: compare it with the
		 * database (a key taken while keycabd was down, a tamper). */
		if (r == 0 && e->presence == KC_PRESENCE_PRESENT)
			r = slot_present(ctl, slot, e->tag, false);
		else if (r == 0 && e->presence == KC_PRESENCE_ABSENT)
			r = slot_absent(ctl, slot, false);
		break;
	case KC_SLOT_LOCK_OFF:
		break;
	}
	if (r < 0) {
		kc_store_rollback(ctl->st);
		return r;
	}
	return kc_store_commit(ctl->st);
}

/* Inside a transaction: ends the hold on the ID of a loan whose key was
 * never taken, with its id.released event (reason "not_taken"). Returns
 * 0 (also when no ID was held) or -errno. */
static int release_id(struct kc_ctl *ctl, int64_t loan, const char *actor, const char *key)
{
	struct kc_id_held id;
	json_t *ev;
	int r = kc_store_id_held(ctl->st, loan, &id);

	if (r == -ENOENT || (r == 0 && id.released_ms))
		return 0;
	if (r < 0)
		return r;
	r = kc_store_x(ctl->st, "UPDATE ids_held SET released_ms = ?, released_by = 'not_taken' WHERE loan = ?",
		       "II", kc_now_ms(), loan);
	if (r < 0)
		return r;
	ev = kc_store_id_event(ctl->st, KC_EVT_ID_RELEASED, actor && *actor ? actor : NULL, id.person, key, loan,
			       id.id_type, id.masked);
	json_object_set_new(json_object_get(ev, "data"), "reason", json_string("not_taken"));
	return kc_store_append(ctl->st, ev);
}

int kc_hwevents_not_taken(struct kc_ctl *ctl, int64_t loan, const struct kc_key_info *k, const char *slot,
			  const char *actor, const char *detail)
{
	json_t *ev;

	if (kc_store_x(ctl->st, "UPDATE loans SET state = 'not_taken' WHERE id = ?", "I", loan) < 0 ||
	    kc_store_x(ctl->st, "UPDATE keys SET state = 'in' WHERE code = ?", "s", k->code) < 0 ||
	    release_id(ctl, loan, actor, k->code) < 0)
		return -EIO;
	ev = kc_store_event(ctl->st, KC_EVT_RELEASE_NOT_TAKEN);
	kc_key_event_members(ev, k, slot);
	kc_json_str(ev, "actor", actor);
	json_object_set_new(json_object_get(ev, "data"), "loan", json_integer(loan));
	if (detail)
		json_object_set_new(json_object_get(ev, "data"), "detail", json_string(detail));
	return kc_store_append(ctl->st, ev);
}

/* A window closed with its loan still granted: the key stayed in, or left
 * when the slot read empty at the window's end. */
int kc_hwevents_window_closed(struct kc_ctl *ctl, const struct kc_window *w, bool empty)
{
	struct kc_key_info k;
	char state[16] = "", op[64] = "";
	sqlite3_stmt *s;
	int r, row;

	s = kc_store_q(ctl->st, "SELECT state, operator FROM loans WHERE id = ?", "I", w->loan);
	row = kc_row_step(s);
	if (row == 0) {
		kc_row_text(s, 0, state, sizeof(state));
		kc_row_text(s, 1, op, sizeof(op));
	}
	kc_row_done(s);
	if (row == -EIO)
		return -EIO;
	if (kc_loan_state_from_string(state) != KC_LOAN_GRANTED)
		return 0; /* taken, or decided already */
	r = kc_key_get(ctl->st, w->key, &k);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	if (kc_store_begin(ctl->st) < 0)
		return -EIO;
	if (empty) {
		r = taken(ctl, &k, w->slot);
		goto commit;
	}
	r = kc_hwevents_not_taken(ctl, w->loan, &k, w->slot, op, NULL);
commit:
	if (r < 0) {
		kc_store_rollback(ctl->st);
		return r;
	}
	r = kc_store_commit(ctl->st);
	if (r == 0 && !empty)
		kc_notice("release of key %s (loan %lld) not taken; slot %s relocked", k.code,
			  (long long)w->loan, w->slot);
	return r;
}
