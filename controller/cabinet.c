/* What the hardware says, against what the database says: release
 * windows (rule 10), returns and wrong slots (rule 9), tamper and fault
 * alarms, and the timed scans for overdue loans and entrustment notices
 * (rules 7 and 9). Each change and its events go in one transaction. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/pdata.h"
#include "common/util.h"
#include "controller/ctl.h"
#include "controller/forward.h"
#include "controller/rules.h"
#include "hw/hw.h"

static int slot_index(struct kc_ctl *ctl, const char *slot)
{
	return ctl->hw ? hw_slot_find(ctl->hw, slot) : -1;
}

bool kc_cabinet_slot_usable(struct kc_ctl *ctl, const char *slot, char *why, size_t len)
{
	struct hw_slot_state s;
	int i;

	if (ctl->nwindows >= KC_MAX_WINDOWS) {
		snprintf(why, len, "%d releases are open at once; try again when one closes",
			 KC_MAX_WINDOWS);
		return false;
	}
	if (!ctl->hw)
		return true;
	i = hw_slot_find(ctl->hw, slot);
	if (i < 0) {
		snprintf(why, len, "slot %s is not in the cabinet file", slot);
		return false;
	}
	if (hw_slot_state(ctl->hw, i, &s) < 0 || s.presence == HW_PRESENCE_FAULT) {
		snprintf(why, len, "the board of slot %s is not answering (fault)", slot);
		return false;
	}
	if (s.lock_on) {
		snprintf(why, len, "slot %s is still open from the last release; try again in a moment",
			 slot);
		return false;
	}
	if (s.presence == HW_PRESENCE_UNKNOWN) {
		snprintf(why, len, "slot %s has not been read yet; try again in a moment", slot);
		return false;
	}
	if (s.presence == HW_PRESENCE_ABSENT) {
		snprintf(why, len, "slot %s reads empty although the key is recorded there", slot);
		return false;
	}
	return true;
}

/* -ENOSPC when KC_MAX_WINDOWS are open: a release checks that before it
 * is granted (kc_cabinet_slot_usable). */
static int window_add(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot,
		      int64_t close_mono)
{
	struct kc_window *w;

	if (ctl->nwindows >= KC_MAX_WINDOWS)
		return -ENOSPC;
	w = &ctl->windows[ctl->nwindows++];
	memset(w, 0, sizeof(*w));
	w->loan = loan;
	kc_strlcpy(w->key, key, sizeof(w->key));
	kc_strlcpy(w->slot, slot, sizeof(w->slot));
	w->slot_index = slot_index(ctl, slot);
	w->close_mono = close_mono;
	return 0;
}

static void window_del(struct kc_ctl *ctl, int64_t loan)
{
	for (int i = 0; i < ctl->nwindows; i++)
		if (ctl->windows[i].loan == loan) {
			ctl->windows[i] = ctl->windows[--ctl->nwindows];
			return;
		}
}

int kc_cabinet_open_window(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot,
			   char *err, size_t errlen)
{
	int64_t w = ctl->conf->release_window_ms;
	int r, i;

	if (ctl->nwindows >= KC_MAX_WINDOWS) {
		snprintf(err, errlen, "%d releases are open at once", KC_MAX_WINDOWS);
		return -ENOSPC;
	}
	if (ctl->hw) {
		i = hw_slot_find(ctl->hw, slot);
		if (i < 0) {
			snprintf(err, errlen, "no slot %s in the cabinet file", slot);
			return -ENOENT;
		}
		r = hw_cabinet_open(ctl->hw, i, (unsigned)w);
		if (r < 0) {
			snprintf(err, errlen, "slot %s did not open: %s", slot,
				 r == -EIO ? "its board is not answering"
				 : r == -EBUSY ? "a pulse is under way on it"
				 : r == -ERANGE ? "the release window is above the cabinet's pulse_max_ms"
						: strerror(-r));
			return r;
		}
	}
	return window_add(ctl, loan, key, slot, kc_mono_ms() + w + ctl->conf->release_grace_ms);
}

void kc_cabinet_watch(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot)
{
	if (window_add(ctl, loan, key, slot, kc_mono_ms() + ctl->conf->release_grace_ms) < 0)
		kc_err("loan %lld stays granted until keycabd starts again: %d releases are open",
		       (long long)loan, KC_MAX_WINDOWS);
}

int kc_cabinet_recover(struct kc_ctl *ctl)
{
	sqlite3_stmt *s = kc_store_q(ctl->st,
				     "SELECT l.id, l.key, k.slot FROM loans l JOIN keys k ON k.code = l.key"
				     " WHERE l.state = 'granted'",
				     "");
	int n = 0;

	if (!s)
		return -EIO;
	/* The locks went off at start; these windows only wait for the first
	 * scan to say whether each key left during the window. */
	while (sqlite3_step(s) == SQLITE_ROW) {
		const unsigned char *slot = sqlite3_column_text(s, 2);

		if (window_add(ctl, sqlite3_column_int64(s, 0), (const char *)sqlite3_column_text(s, 1),
			       slot ? (const char *)slot : "",
			       kc_mono_ms() + ctl->conf->release_grace_ms + 1500) < 0)
			break; /* more than ever open at once: the rest wait for the next start */
		n++;
	}
	sqlite3_reset(s);
	return n;
}

static void base_members(json_t *ev, const struct kc_key_info *k, const char *slot)
{
	if (k && k->code[0]) {
		kc_json_str(ev, "key", k->code);
		kc_json_str(ev, "kind", k->kind);
		kc_json_str(ev, "unit", k->unit);
		kc_json_str(ev, "site", k->site);
	}
	if (slot)
		kc_json_str(ev, "slot", slot);
}

/* Raises an alarm unless one of the same type for the same key and slot
 * is open already. Inside a transaction. */
static int raise_alarm(struct kc_ctl *ctl, const char *type, const struct kc_key_info *k,
		       const char *slot, int64_t loan, const char *person, const char *detail)
{
	const char *key = k && k->code[0] ? k->code : NULL;
	int64_t id;
	json_t *ev, *d;

	if (kc_store_int(ctl->st, &id,
			 "SELECT id FROM alarms WHERE type = ? AND key IS ? AND slot IS ?"
			 " AND cleared_ms IS NULL",
			 "sss", type, key, slot) == 0)
		return 0;
	if (kc_store_x(ctl->st,
		       "INSERT INTO alarms (type, key, slot, loan, detail, raised_ms)"
		       " VALUES (?,?,?,nullif(?,0),?,?)",
		       "sssIsI", type, key, slot, loan, detail, kc_now_ms()) < 0)
		return -EIO;
	id = kc_store_last_id(ctl->st);
	ev = kc_store_event(ctl->st, "alarm.raised");
	base_members(ev, k, slot);
	kc_json_str(ev, "person", person);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "alarm", json_integer(id));
	json_object_set_new(d, "alarm_type", json_string(type));
	json_object_set_new(d, "detail", json_string(detail));
	if (loan)
		json_object_set_new(d, "loan", json_integer(loan));
	kc_warn("alarm %lld: %s: %s", (long long)id, type, detail);
	return kc_store_append(ctl->st, ev);
}

static int slot_event(struct kc_ctl *ctl, const char *type, const char *slot,
		      const struct kc_key_info *k, uint32_t tag, bool with_tag)
{
	json_t *ev = kc_store_event(ctl->st, type);

	kc_json_str(ev, "slot", slot);
	kc_json_str(ev, "key", k && k->code[0] ? k->code : NULL);
	if (with_tag)
		json_object_set_new(json_object_get(ev, "data"), "tag", json_integer(tag));
	return kc_store_append(ctl->st, ev);
}

struct loan_row {
	int64_t id, due_ms, out_ms, entrustment;
	char purpose[24], borrower[128], op[64], signature[128];
};

static int active_loan(struct kc_ctl *ctl, const char *key, struct loan_row *l)
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
		kc_strlcpy(l->purpose, (const char *)sqlite3_column_text(s, 1), sizeof(l->purpose));
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
	struct loan_row l;
	bool collect;
	json_t *ev, *d;
	int64_t now = kc_now_ms();

	if (active_loan(ctl, k->code, &l) < 0)
		return -EIO;
	collect = strcmp(l.purpose, "owner_collect") == 0;
	window_del(ctl, l.id);
	if (kc_store_x(ctl->st, "UPDATE loans SET state = ?, out_ms = ? WHERE id = ?", "sII",
		       collect ? "collected" : "out", now, l.id) < 0 ||
	    kc_store_x(ctl->st, "UPDATE keys SET state = ?, slot = NULL WHERE code = ?", "ss",
		       collect ? "collected" : "out", k->code) < 0)
		return -EIO;
	if (slot_event(ctl, "slot.removed", slot, k, 0, false) < 0)
		return -EIO;
	ev = kc_store_event(ctl->st, "release.taken");
	base_members(ev, k, slot);
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
	ev = kc_store_event(ctl->st, "collection.completed");
	base_members(ev, k, NULL);
	kc_json_str(ev, "actor", l.op);
	kc_json_str(ev, "person", l.borrower);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "entrustment", json_integer(l.entrustment));
	json_object_set_new(d, "signature", json_string(l.signature));
	json_object_set_new(d, "loan", json_integer(l.id));
	if (kc_store_append(ctl->st, ev) < 0)
		return -EIO;
	ev = kc_store_event(ctl->st, "entrustment.closed");
	base_members(ev, k, NULL);
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
	struct loan_row l;
	int64_t now = kc_now_ms();
	bool overdue, inspection;
	json_t *ev, *d;
	char detail[400];

	if (active_loan(ctl, k->code, &l) < 0)
		return -EIO;
	overdue = l.due_ms > 0 && now > l.due_ms;
	inspection = strcmp(l.purpose, "inspection") == 0;
	if (kc_store_x(ctl->st,
		       "UPDATE loans SET state = 'returned', in_ms = ?, return_slot = ?,"
		       " overdue = max(overdue, ?), inspection = ? WHERE id = ?",
		       "IsisI", now, slot, overdue, inspection ? "pending" : NULL, l.id) < 0 ||
	    kc_store_x(ctl->st, "UPDATE keys SET state = 'in', slot = ? WHERE code = ?", "ss", slot,
		       k->code) < 0)
		return -EIO;
	if (slot_event(ctl, "slot.inserted", slot, k, tag, true) < 0)
		return -EIO;
	ev = kc_store_event(ctl->st, "loan.returned");
	base_members(ev, k, slot);
	kc_json_str(ev, "person", l.borrower);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "loan", json_integer(l.id));
	json_object_set_new(d, "purpose", json_string(l.purpose));
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
			if (kc_store_x(ctl->st,
				       "UPDATE alarms SET cleared_ms = ?, cleared_by = 'return' WHERE id = ?",
				       "II", now, alarm) < 0)
				return -EIO;
			ev = kc_store_event(ctl->st, "alarm.cleared");
			kc_json_str(ev, "key", k->code);
			kc_json_str(ev, "slot", slot);
			d = json_object_get(ev, "data");
			json_object_set_new(d, "alarm", json_integer(alarm));
			json_object_set_new(d, "alarm_type", json_string("overdue"));
			json_object_set_new(d, "reason", json_string("key returned"));
			if (kc_store_append(ctl->st, ev) < 0)
				return -EIO;
		}
	}
	if (strcmp(slot, k->home_slot) != 0) {
		snprintf(detail, sizeof(detail), "key %s was put in slot %s; its slot is %s", k->code,
			 slot, k->home_slot);
		return raise_alarm(ctl, "wrong_slot", k, slot, l.id, l.borrower, detail);
	}
	return 0;
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

/* The slot reads empty. */
static int slot_absent(struct kc_ctl *ctl, const char *slot, bool hw_change)
{
	struct kc_key_info k;
	char detail[400];
	int r;

	r = key_by(ctl, "SELECT code FROM keys WHERE slot = ? AND state IN ('in', 'releasing')", "s",
		   slot, &k);
	if (r == -ENOENT)
		return hw_change ? slot_event(ctl, "slot.removed", slot, NULL, 0, false) : 0;
	if (r < 0)
		return r;
	if (strcmp(k.state, "releasing") == 0) {
		return taken(ctl, &k, slot);
	}
	/* Rule 10: a key left a locked slot. */
	if (kc_store_x(ctl->st, "UPDATE keys SET state = 'missing', slot = NULL WHERE code = ?", "s",
		       k.code) < 0)
		return -EIO;
	if (slot_event(ctl, "slot.removed", slot, &k, 0, false) < 0)
		return -EIO;
	snprintf(detail, sizeof(detail), "key %s left slot %s with no release open (tamper)", k.code,
		 slot);
	return raise_alarm(ctl, "tamper", &k, slot, 0, NULL, detail);
}

/* The slot reads a key, with tag when its reader read one. */
static int slot_present(struct kc_ctl *ctl, const char *slot, uint32_t tag, bool hw_change)
{
	struct kc_key_info k, here;
	bool have_here, have_k = false;
	char detail[400];
	int r;

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
		if (!have_k) {
			snprintf(detail, sizeof(detail), "a key with unknown tag 0x%x is in slot %s", tag,
				 slot);
			if (hw_change && slot_event(ctl, "slot.inserted", slot, NULL, tag, true) < 0)
				return -EIO;
			return raise_alarm(ctl, "wrong_slot", NULL, slot, 0, NULL, detail);
		}
	} else if (have_here) {
		k = here;
		have_k = true;
	} else {
		r = key_by(ctl, "SELECT code FROM keys WHERE home_slot = ?", "s", slot, &k);
		if (r < 0 && r != -ENOENT)
			return r;
		have_k = r == 0 && (strcmp(k.state, "out") == 0 || strcmp(k.state, "missing") == 0 ||
				    strcmp(k.state, "awaiting") == 0);
	}
	if (!have_k) {
		if (hw_change && slot_event(ctl, "slot.inserted", slot, NULL, tag, true) < 0)
			return -EIO;
		snprintf(detail, sizeof(detail), "a key nobody expected is in slot %s", slot);
		return raise_alarm(ctl, "wrong_slot", NULL, slot, 0, NULL, detail);
	}
	if ((strcmp(k.state, "in") == 0 || strcmp(k.state, "releasing") == 0)) {
		if (strcmp(k.slot, slot) == 0)
			return hw_change ? slot_event(ctl, "slot.inserted", slot, &k, tag, true) : 0;
		if (hw_change && slot_event(ctl, "slot.inserted", slot, &k, tag, true) < 0)
			return -EIO;
		snprintf(detail, sizeof(detail), "slot %s reads the tag of key %s, which is recorded in slot %s",
			 slot, k.code, k.slot);
		return raise_alarm(ctl, "wrong_slot", &k, slot, 0, NULL, detail);
	}
	if (strcmp(k.state, "out") == 0)
		return returned(ctl, &k, slot, tag);
	if (strcmp(k.state, "missing") == 0 || strcmp(k.state, "awaiting") == 0) {
		/* Back after a tamper (the alarm stays for staff), or put in for
		 * the first time: in custody now. */
		if (kc_store_x(ctl->st, "UPDATE keys SET state = 'in', slot = ? WHERE code = ?", "ss",
			       slot, k.code) < 0)
			return -EIO;
		if (slot_event(ctl, "slot.inserted", slot, &k, tag, true) < 0)
			return -EIO;
		if (strcmp(slot, k.home_slot) != 0) {
			snprintf(detail, sizeof(detail), "key %s was put in slot %s; its slot is %s",
				 k.code, slot, k.home_slot);
			return raise_alarm(ctl, "wrong_slot", &k, slot, 0, NULL, detail);
		}
		return 0;
	}
	if (hw_change && slot_event(ctl, "slot.inserted", slot, &k, tag, true) < 0)
		return -EIO;
	snprintf(detail, sizeof(detail), "key %s (%s) is in slot %s", k.code, k.state, slot);
	return raise_alarm(ctl, "wrong_slot", &k, slot, 0, NULL, detail);
}

static int slot_fault(struct kc_ctl *ctl, const char *slot, const char *board, const char *detail)
{
	json_t *ev = kc_store_event(ctl->st, "slot.fault");
	char msg[256];

	kc_json_str(ev, "slot", slot);
	json_object_set_new(json_object_get(ev, "data"), "board", json_string(board));
	json_object_set_new(json_object_get(ev, "data"), "detail", json_string(detail));
	if (kc_store_append(ctl->st, ev) < 0)
		return -EIO;
	snprintf(msg, sizeof(msg), "board %s of slot %s: %s", board, slot, detail);
	return raise_alarm(ctl, "fault", NULL, slot, 0, NULL, msg);
}

static int slot_recovered(struct kc_ctl *ctl, const char *slot, const char *board)
{
	int64_t id;
	json_t *ev;

	if (kc_store_int(ctl->st, &id,
			 "SELECT id FROM alarms WHERE type = 'fault' AND slot = ? AND cleared_ms IS NULL",
			 "s", slot) < 0)
		return 0; /* the first reading after start: nothing was wrong */
	ev = kc_store_event(ctl->st, "slot.recovered");
	kc_json_str(ev, "slot", slot);
	json_object_set_new(json_object_get(ev, "data"), "board", json_string(board));
	if (kc_store_append(ctl->st, ev) < 0)
		return -EIO;
	if (kc_store_x(ctl->st, "UPDATE alarms SET cleared_ms = ?, cleared_by = 'recovered' WHERE id = ?",
		       "II", kc_now_ms(), id) < 0)
		return -EIO;
	ev = kc_store_event(ctl->st, "alarm.cleared");
	kc_json_str(ev, "slot", slot);
	json_object_set_new(json_object_get(ev, "data"), "alarm", json_integer(id));
	json_object_set_new(json_object_get(ev, "data"), "alarm_type", json_string("fault"));
	json_object_set_new(json_object_get(ev, "data"), "reason", json_string("board answers again"));
	return kc_store_append(ctl->st, ev);
}

static void one_event(struct kc_ctl *ctl, const struct hw_event *e)
{
	const struct hw_cabinet_conf *cc = hw_cabinet_conf(ctl->hw);
	const char *slot = hw_slot_name(ctl->hw, e->slot);
	const char *board = cc->boards[cc->slots[e->slot].board].name;
	int r = 0;

	if (e->type == HW_EV_LOCK_OFF) {
		for (int i = 0; i < ctl->nwindows; i++)
			if (ctl->windows[i].slot_index == e->slot)
				ctl->windows[i].lock_off = true;
		return;
	}
	if (kc_store_begin(ctl->st) < 0) {
		kc_err("hardware event on slot %s lost: database busy: %s", slot,
		       kc_store_errmsg(ctl->st));
		return;
	}
	switch (e->type) {
	case HW_EV_INSERTED:
		r = slot_present(ctl, slot, e->tag, true);
		break;
	case HW_EV_REMOVED:
		r = slot_absent(ctl, slot, true);
		break;
	case HW_EV_FAULT:
		r = slot_fault(ctl, slot, board, e->detail);
		break;
	case HW_EV_RECOVERED:
		r = slot_recovered(ctl, slot, board);
		/* The first reading after start or a fault: compare it with the
		 * database (a key taken while keycabd was down, a tamper). */
		if (r == 0 && e->presence == HW_PRESENCE_PRESENT)
			r = slot_present(ctl, slot, e->tag, false);
		else if (r == 0 && e->presence == HW_PRESENCE_ABSENT)
			r = slot_absent(ctl, slot, false);
		break;
	case HW_EV_LOCK_OFF:
		break;
	}
	if (r < 0) {
		kc_store_rollback(ctl->st);
		kc_err("hardware event %s on slot %s not recorded: %s", hw_event_name(e->type), slot,
		       kc_store_errmsg(ctl->st));
		return;
	}
	if (kc_ctl_commit(ctl) < 0)
		kc_err("hardware event %s on slot %s not recorded: commit failed", hw_event_name(e->type),
		       slot);
}

void kc_cabinet_hw_events(struct kc_ctl *ctl)
{
	struct hw_event ev[32];
	int n;

	if (!ctl->hw)
		return;
	while ((n = hw_cabinet_read_events(ctl->hw, ev, (int)KC_ARRAY_SIZE(ev))) > 0)
		for (int i = 0; i < n; i++)
			one_event(ctl, &ev[i]);
}

int kc_cabinet_release_id_not_taken(struct kc_ctl *ctl, int64_t loan, const char *actor, const char *key)
{
	char person[128] = "", id_type[32] = "", masked[KC_MASK_LEN] = "";
	sqlite3_stmt *s;
	json_t *ev, *data;
	int r;

	s = kc_store_q(ctl->st,
		       "SELECT person, id_type, id_masked FROM ids_held WHERE loan = ? AND released_ms IS NULL",
		       "I", loan);
	if (!s)
		return -EIO;
	if (sqlite3_step(s) == SQLITE_ROW) {
		kc_strlcpy(person, (const char *)sqlite3_column_text(s, 0), sizeof(person));
		kc_strlcpy(id_type, (const char *)sqlite3_column_text(s, 1), sizeof(id_type));
		kc_strlcpy(masked, (const char *)sqlite3_column_text(s, 2), sizeof(masked));
	}
	sqlite3_reset(s);
	if (!person[0])
		return 0;
	r = kc_store_x(ctl->st, "UPDATE ids_held SET released_ms = ?, released_by = 'not_taken' WHERE loan = ?",
		       "II", kc_now_ms(), loan);
	if (r < 0)
		return r;
	ev = kc_store_event(ctl->st, "id.released");
	kc_json_str(ev, "actor", actor && *actor ? actor : NULL);
	kc_json_str(ev, "person", person);
	kc_json_str(ev, "key", key);
	data = json_object_get(ev, "data");
	json_object_set_new(data, "loan", json_integer(loan));
	json_object_set_new(data, "id_type", json_string(id_type));
	json_object_set_new(data, "id_masked", json_string(masked));
	json_object_set_new(data, "reason", json_string("not_taken"));
	return kc_store_append(ctl->st, ev);
}

/* A window closed with its loan still granted: the key stayed in. */
static void close_window(struct kc_ctl *ctl, const struct kc_window *w)
{
	struct kc_key_info k;
	struct hw_slot_state hs;
	char state[16] = "", op[64] = "";
	sqlite3_stmt *s;
	json_t *ev;
	int r = -EIO;

	s = kc_store_q(ctl->st, "SELECT state, operator FROM loans WHERE id = ?", "I", w->loan);
	if (s && sqlite3_step(s) == SQLITE_ROW) {
		kc_strlcpy(state, (const char *)sqlite3_column_text(s, 0), sizeof(state));
		kc_strlcpy(op, (const char *)sqlite3_column_text(s, 1), sizeof(op));
	}
	if (s)
		sqlite3_reset(s);
	if (strcmp(state, "granted") != 0 || kc_key_get(ctl->st, w->key, &k) < 0)
		return;
	if (kc_store_begin(ctl->st) < 0)
		return;
	/* A reading that says empty although no removal came through (it
	 * left while keycabd was down): the release was taken. */
	if (w->slot_index >= 0 && hw_slot_state(ctl->hw, w->slot_index, &hs) == 0 &&
	    hs.presence == HW_PRESENCE_ABSENT) {
		r = taken(ctl, &k, w->slot);
		goto commit;
	}
	if (kc_store_x(ctl->st, "UPDATE loans SET state = 'not_taken' WHERE id = ?", "I", w->loan) < 0 ||
	    kc_store_x(ctl->st, "UPDATE keys SET state = 'in' WHERE code = ?", "s", k.code) < 0)
		goto commit;
	/* The hold on an ID of a release that never happened ends with it. */
	if (kc_cabinet_release_id_not_taken(ctl, w->loan, op, k.code) < 0)
		goto commit;
	ev = kc_store_event(ctl->st, "release.not_taken");
	base_members(ev, &k, w->slot);
	kc_json_str(ev, "actor", op);
	json_object_set_new(json_object_get(ev, "data"), "loan", json_integer(w->loan));
	r = kc_store_append(ctl->st, ev);
commit:
	if (r < 0) {
		kc_store_rollback(ctl->st);
		kc_err("closing the release window of loan %lld failed: %s", (long long)w->loan,
		       kc_store_errmsg(ctl->st));
		return;
	}
	if (kc_ctl_commit(ctl) == 0)
		kc_notice("release of key %s (loan %lld) not taken; slot %s relocked", k.code,
			  (long long)w->loan, w->slot);
}

static void scan_overdue(struct kc_ctl *ctl)
{
	int64_t now = kc_now_ms(), ids[64];
	int n = 0;
	sqlite3_stmt *s = kc_store_q(ctl->st,
				     "SELECT id FROM loans WHERE state = 'out' AND due_ms IS NOT NULL"
				     " AND due_ms < ? AND overdue = 0 LIMIT 64",
				     "I", now);

	if (!s)
		return;
	while (n < 64 && sqlite3_step(s) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	for (int i = 0; i < n; i++) {
		struct kc_key_info k;
		struct loan_row l;
		char key[64] = "", detail[400], due[32];
		json_t *ev, *d;

		s = kc_store_q(ctl->st, "SELECT key FROM loans WHERE id = ?", "I", ids[i]);
		if (s && sqlite3_step(s) == SQLITE_ROW)
			kc_strlcpy(key, (const char *)sqlite3_column_text(s, 0), sizeof(key));
		if (s)
			sqlite3_reset(s);
		if (kc_key_get(ctl->st, key, &k) < 0 || active_loan(ctl, key, &l) < 0)
			continue;
		if (kc_store_begin(ctl->st) < 0)
			return;
		kc_local_format(l.due_ms, KC_DAY_LAST, due, sizeof(due));
		snprintf(detail, sizeof(detail), "key %s on loan %lld to %s was due back at %s", k.code,
			 (long long)l.id, l.borrower, due);
		if (kc_store_x(ctl->st, "UPDATE loans SET overdue = 1 WHERE id = ?", "I", l.id) < 0)
			goto fail;
		ev = kc_store_event(ctl->st, "loan.overdue");
		base_members(ev, &k, NULL);
		kc_json_str(ev, "person", l.borrower);
		d = json_object_get(ev, "data");
		json_object_set_new(d, "loan", json_integer(l.id));
		json_object_set_new(d, "purpose", json_string(l.purpose));
		kc_json_time(d, "due", l.due_ms);
		if (kc_store_append(ctl->st, ev) < 0 ||
		    raise_alarm(ctl, "overdue", &k, NULL, l.id, l.borrower, detail) < 0)
			goto fail;
		kc_ctl_commit(ctl);
		continue;
fail:
		kc_store_rollback(ctl->st);
		return;
	}
}

/* Which notice an open entrustment is owed now, or NULL. The end date is
 * the local day of the entrustment's last moment: its notice comes when
 * that day begins at the desk; reminders once the end has passed. */
static const char *notice_stage(const struct kc_ctl_conf *c, int64_t now, int64_t end_ms,
				int64_t last_ms, bool has_before, bool has_end)
{
	int64_t end_day = kc_local_day_start(end_ms - 1);

	if (now < end_day)
		return !has_before && now >= end_ms - c->notice_lead_ms ? "before_end" : NULL;
	if (!has_end)
		return "end";
	if (now >= end_ms && now - last_ms >= c->notice_reminder_ms)
		return "reminder";
	return NULL;
}

/* Rule 7: before the end (lead time), on the end date, then reminders
 * until the owner collects. One notice per scan and entrustment at most. */
static void scan_notices(struct kc_ctl *ctl)
{
	const struct kc_ctl_conf *c = ctl->conf;
	int64_t now = kc_now_ms();
	/* the end date's notice may come up to a (long) local day early */
	int64_t ahead = c->notice_lead_ms > 2 * 86400000LL ? c->notice_lead_ms : 2 * 86400000LL;
	struct {
		int64_t id, end_ms, last_ms;
		int has_before, has_end;
	} due[64];
	int n = 0;
	sqlite3_stmt *s = kc_store_q(
		ctl->st,
		"SELECT e.id, e.end_ms,"
		" (SELECT max(at_ms) FROM notices n WHERE n.entrustment = e.id),"
		" EXISTS (SELECT 1 FROM notices n WHERE n.entrustment = e.id AND n.stage = 'before_end'),"
		" EXISTS (SELECT 1 FROM notices n WHERE n.entrustment = e.id AND n.stage = 'end')"
		" FROM entrustments e WHERE e.state = 'open' AND e.end_ms - ? <= ? LIMIT 64",
		"II", ahead, now);

	if (!s)
		return;
	while (n < 64 && sqlite3_step(s) == SQLITE_ROW) {
		due[n].id = sqlite3_column_int64(s, 0);
		due[n].end_ms = sqlite3_column_int64(s, 1);
		due[n].last_ms = sqlite3_column_int64(s, 2);
		due[n].has_before = sqlite3_column_int(s, 3);
		due[n].has_end = sqlite3_column_int(s, 4);
		n++;
	}
	sqlite3_reset(s);
	for (int i = 0; i < n; i++) {
		const char *stage;
		char key[64] = "", owner[64] = "", name[128] = "", phone[64] = "";
		struct kc_key_info k;
		json_t *ev, *d;
		int64_t nid;

		stage = notice_stage(c, now, due[i].end_ms, due[i].last_ms, due[i].has_before,
				     due[i].has_end);
		if (!stage)
			continue;
		s = kc_store_q(ctl->st,
			       "SELECT e.key, o.code, o.name, o.phone FROM entrustments e"
			       " JOIN owners o ON o.code = e.owner WHERE e.id = ?",
			       "I", due[i].id);
		if (s && sqlite3_step(s) == SQLITE_ROW) {
			kc_strlcpy(key, (const char *)sqlite3_column_text(s, 0), sizeof(key));
			kc_strlcpy(owner, (const char *)sqlite3_column_text(s, 1), sizeof(owner));
			kc_strlcpy(name, (const char *)sqlite3_column_text(s, 2), sizeof(name));
			kc_strlcpy(phone, (const char *)sqlite3_column_text(s, 3), sizeof(phone));
		}
		if (s)
			sqlite3_reset(s);
		if (kc_key_get(ctl->st, key, &k) < 0 || kc_store_begin(ctl->st) < 0)
			continue;
		if (kc_store_x(ctl->st, "INSERT INTO notices (entrustment, stage, at_ms) VALUES (?,?,?)",
			       "IsI", due[i].id, stage, now) < 0) {
			kc_store_rollback(ctl->st);
			continue;
		}
		nid = kc_store_last_id(ctl->st);
		ev = kc_store_event(ctl->st, "notice.due");
		base_members(ev, &k, NULL);
		kc_json_str(ev, "person", owner);
		d = json_object_get(ev, "data");
		json_object_set_new(d, "notice", json_integer(nid));
		json_object_set_new(d, "entrustment", json_integer(due[i].id));
		json_object_set_new(d, "stage", json_string(stage));
		kc_json_time(d, "end", due[i].end_ms);
		json_object_set_new(d, "owner_name", json_string(name));
		json_object_set_new(d, "owner_phone", json_string(phone));
		if (kc_store_append(ctl->st, ev) < 0) {
			kc_store_rollback(ctl->st);
			continue;
		}
		kc_ctl_commit(ctl);
	}
}

/* The audit link's alarm: raised when the service refuses the events
 * (stuck), cleared when it takes them again. Inside a transaction. */
static int link_alarm(struct kc_ctl *ctl, const struct kc_forward_status *fs)
{
	char detail[400];
	int64_t id;
	json_t *ev;

	if (fs->state == KC_LINK_STUCK) {
		snprintf(detail, sizeof(detail),
			 "the audit service refuses this cabinet's events (%s): %s; %lld events wait in the outbox",
			 fs->reason, fs->last_error, (long long)fs->pending);
		return raise_alarm(ctl, "audit_link", NULL, NULL, 0, NULL, detail);
	}
	if (kc_store_int(ctl->st, &id, "SELECT id FROM alarms WHERE type = 'audit_link' AND cleared_ms IS NULL",
			 "") < 0)
		return 0;
	if (kc_store_x(ctl->st, "UPDATE alarms SET cleared_ms = ?, cleared_by = 'recovered' WHERE id = ?", "II",
		       kc_now_ms(), id) < 0)
		return -EIO;
	ev = kc_store_event(ctl->st, "alarm.cleared");
	json_object_set_new(json_object_get(ev, "data"), "alarm", json_integer(id));
	json_object_set_new(json_object_get(ev, "data"), "alarm_type", json_string("audit_link"));
	json_object_set_new(json_object_get(ev, "data"), "reason",
			    json_string("the audit service takes the events again"));
	return kc_store_append(ctl->st, ev);
}

/* Acts on a change of the forwarder's state: one log line when the link
 * fails and one when it is back (not one a retry), and the alarm. */
static void audit_link(struct kc_ctl *ctl)
{
	struct kc_forward_status fs;

	if (!ctl->forwarder)
		return;
	kc_forwarder_status(ctl->forwarder, &fs);
	if (fs.state == KC_LINK_ONLINE && fs.service_seq < 0)
		return; /* no answer yet */
	if (ctl->link_seen == (int)fs.state && strcmp(ctl->link_reason, fs.reason) == 0)
		return;
	if (fs.state == KC_LINK_ONLINE && ctl->link_seen > (int)KC_LINK_ONLINE)
		kc_notice("audit link back online: the service acknowledges up to event %lld, %lld waiting",
			  (long long)fs.last_acked_seq, (long long)fs.pending);
	else if (fs.state != KC_LINK_ONLINE)
		kc_warn("audit link %s (%s): %s; %lld events wait in the outbox", kc_forward_state_name(fs.state),
			fs.reason, fs.last_error, (long long)fs.pending);
	if (fs.state == KC_LINK_STUCK || (fs.state == KC_LINK_ONLINE && ctl->link_seen != (int)KC_LINK_ONLINE)) {
		if (kc_store_begin(ctl->st) < 0)
			return;
		if (link_alarm(ctl, &fs) < 0) {
			kc_store_rollback(ctl->st);
			return;
		}
		kc_ctl_commit(ctl);
	}
	ctl->link_seen = (int)fs.state;
	kc_strlcpy(ctl->link_reason, fs.reason, sizeof(ctl->link_reason));
}

int64_t kc_cabinet_tick(struct kc_ctl *ctl)
{
	int64_t now = kc_mono_ms(), next = 1000;

	for (int i = 0; i < ctl->nwindows;) {
		struct kc_window w = ctl->windows[i];

		if (now >= w.close_mono) {
			ctl->windows[i] = ctl->windows[--ctl->nwindows];
			close_window(ctl, &w);
			continue;
		}
		if (w.close_mono - now < next)
			next = w.close_mono - now;
		i++;
	}
	if (now >= ctl->next_scan_mono) {
		scan_overdue(ctl);
		scan_notices(ctl);
		ctl->next_scan_mono = now + ctl->conf->scan_interval_ms;
	}
	audit_link(ctl);
	if (ctl->next_scan_mono - now < next)
		next = ctl->next_scan_mono - now;
	return next < 10 ? 10 : next;
}

json_t *kc_cabinet_slots(struct kc_ctl *ctl)
{
	json_t *arr = json_array();
	int n = ctl->hw ? hw_cabinet_slot_count(ctl->hw) : 0;

	for (int i = 0; i < n; i++) {
		struct hw_slot_state hs;
		const char *name = hw_slot_name(ctl->hw, i);
		char key[64] = "", home[64] = "";
		sqlite3_stmt *s;
		json_t *o;

		if (hw_slot_state(ctl->hw, i, &hs) < 0)
			continue;
		s = kc_store_q(ctl->st, "SELECT code FROM keys WHERE slot = ?", "s", name);
		if (s && sqlite3_step(s) == SQLITE_ROW)
			kc_strlcpy(key, (const char *)sqlite3_column_text(s, 0), sizeof(key));
		if (s)
			sqlite3_reset(s);
		s = kc_store_q(ctl->st, "SELECT code FROM keys WHERE home_slot = ?", "s", name);
		if (s && sqlite3_step(s) == SQLITE_ROW)
			kc_strlcpy(home, (const char *)sqlite3_column_text(s, 0), sizeof(home));
		if (s)
			sqlite3_reset(s);
		o = json_pack("{s:s, s:s, s:I, s:b, s:b}", "slot", name, "presence",
			      hw_presence_name(hs.presence), "tag", (json_int_t)hs.tag, "lock_on",
			      hs.lock_on, "reads_tags", hw_slot_reads_tags(ctl->hw, i));
		kc_json_str(o, "key", key[0] ? key : NULL);
		kc_json_str(o, "home_of", home[0] ? home : NULL);
		json_array_append_new(arr, o);
	}
	return arr;
}
