/* Taking keys in at the desk (controller/README.md, "Taking keys in"): a
 * free slot opened for a new key (intake.open), the key that went in
 * registered with the tag its slot read, and with its owner and
 * entrustment when an owner hands it in (intake.enrol), an entrustment
 * extended or ended early (entrust.extend, entrust.end). Each loads its
 * facts, has rules_intake.c decide, and writes in one transaction with
 * its events; a slot opens only after its event is written. */
#include "controller/intake.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/pdata.h"
#include "common/util.h"
#include "controller/hwevents.h"
#include "controller/hwlink.h"
#include "controller/intake_wait.h"
#include "controller/keys.h"
#include "controller/registry.h"
#include "controller/reply.h"
#include "controller/request.h"
#include "controller/row.h"
#include "controller/rules_intake.h"
#include "controller/windows.h"

/* Wait i ends: it goes, and a key left in its slot unregistered is an
 * alarm (hwevents.c). */
static void wait_end(struct kc_ctl *ctl, int i)
{
	char slot[64];
	int r;

	kc_strlcpy(slot, ctl->intake_waits[i].slot, sizeof(slot));
	ctl->intake_waits[i] = ctl->intake_waits[--ctl->nintake_waits];
	if ((r = kc_hwevents_intake_ended(ctl, slot)) < 0)
		kc_err("slot %s: the end of its wait for a new key not recorded: %s", slot, strerror(-r));
}

int64_t kc_intake_tick(struct kc_ctl *ctl)
{
	int64_t now = kc_mono_ms(), next = INT64_MAX;

	for (int i = 0; i < ctl->nintake_waits;)
		if (ctl->intake_waits[i].until_mono <= now) {
			wait_end(ctl, i);
		} else {
			if (ctl->intake_waits[i].until_mono - now < next)
				next = ctl->intake_waits[i].until_mono - now;
			i++;
		}
	return next;
}

/* The wait for slot's key: the oldest ends when all are taken. */
static void wait_add(struct kc_ctl *ctl, const char *slot, int64_t until)
{
	struct kc_intake_wait *w;

	if (ctl->nintake_waits == KC_MAX_INTAKE_WAITS) {
		int oldest = 0;

		for (int i = 1; i < ctl->nintake_waits; i++)
			if (ctl->intake_waits[i].until_mono < ctl->intake_waits[oldest].until_mono)
				oldest = i;
		wait_end(ctl, oldest);
	}
	w = &ctl->intake_waits[ctl->nintake_waits++];
	kc_strlcpy(w->slot, slot, sizeof(w->slot));
	w->until_mono = until;
}

static void wait_del(struct kc_ctl *ctl, const char *slot)
{
	int i = kc_intake_wait_find(ctl, slot);

	if (i >= 0)
		ctl->intake_waits[i] = ctl->intake_waits[--ctl->nintake_waits];
}

/* The first row's first column of sql (one text argument) into out; 0,
 * -ENOENT or -EIO. */
static int text_of(struct kc_ctl *ctl, const char *sql, const char *arg, char *out, size_t len)
{
	sqlite3_stmt *s = kc_store_q(ctl->st, sql, "s", arg);
	int r = kc_row_step(s);

	out[0] = '\0';
	if (r == 0)
		kc_row_text(s, 0, out, len);
	kc_row_done(s);
	return r;
}

/* The facts of every slot of the cabinet file. The number, or -EIO. */
static int slot_facts(struct kc_ctl *ctl, struct kc_intake_slot_facts *f, int max)
{
	int n = kc_hwlink_slot_count(ctl->hw);
	char key[64];

	if (n > max)
		n = max;
	for (int i = 0; i < n; i++) {
		struct kc_slot_reading rd;
		int r;

		memset(&f[i], 0, sizeof(f[i]));
		kc_strlcpy(f[i].name, kc_hwlink_slot_name(ctl->hw, i), sizeof(f[i].name));
		if (kc_hwlink_reading(ctl->hw, i, &rd) == 0) {
			f[i].reads_tags = rd.reads_tags;
			f[i].empty = rd.presence == KC_PRESENCE_ABSENT;
			f[i].lock_on = rd.lock_on;
		}
		r = text_of(ctl, "SELECT code FROM keys WHERE home_slot = ?1 OR slot = ?1", f[i].name, key,
			    sizeof(key));
		if (r == -EIO)
			return -EIO;
		f[i].homed = r == 0;
		f[i].awaited = kc_intake_wait_awaited(ctl, f[i].name);
	}
	return n;
}

/* A date member (a local date or time, as the CLI takes it): 0 and *out
 * (0 when absent), or the reply refusing it. */
static json_t *date_member(json_t *req, const char *name, enum kc_day_as as, int64_t *out)
{
	const char *s = kc_req_str(req, name);

	*out = 0;
	if (s && kc_local_parse(s, as, out) < 0)
		return kc_reply_fail(KCM_intake_time_bad, "{s:s, s:s}", "field", name, "zone", kc_tz_name());
	return NULL;
}

/* What an intake request names (intake.open, intake.enrol): 0, or the
 * reply refusing a date. */
static json_t *intake_req(json_t *req, struct kc_intake_req *rq)
{
	json_t *rep;

	memset(rq, 0, sizeof(*rq));
	rq->slot = kc_req_str(req, "slot");
	rq->kind = kc_req_str(req, "kind");
	rq->unit = kc_req_str(req, "unit");
	rq->owner_name = kc_req_str(req, "owner_name");
	rq->owner_phone = kc_req_str(req, "owner_phone");
	rq->id_type = kc_req_str(req, "id_type");
	rq->id_number = kc_req_str(req, "id_number");
	rq->owner_required = rq->owner_name != NULL;
	if ((rep = date_member(req, "start", KC_DAY_START, &rq->start_ms)) ||
	    (rep = date_member(req, "end", KC_DAY_END, &rq->end_ms)))
		return rep;
	return NULL;
}

/* A code not yet in table's column: base, then base-2, base-3, ... 0,
 * -EEXIST (none free up to 99) or -EIO. */
static int code_free(struct kc_ctl *ctl, const char *sql, const char *base, char *out, size_t len)
{
	for (int n = 1; n < 100; n++) {
		char tmp[64];
		int r;

		if (n == 1)
			snprintf(out, len, "%s", base);
		else
			snprintf(out, len, "%s-%d", base, n);
		r = text_of(ctl, sql, out, tmp, sizeof(tmp));
		if (r == -ENOENT)
			return 0;
		if (r < 0)
			return r;
	}
	return -EEXIST;
}

/* An owner handing a key in: the owner on file with that ID, or a new
 * one. */
struct intake_owner {
	char code[64], name[128], phone[64], id_type[40];
	char id_hash[KC_PWHASH_LEN], id_masked[KC_MASK_LEN];
	bool is_new;
};

/* The owner a request names, by the keyed hash of their ID: the one on
 * file, or a new code. 0 or -EIO/-EEXIST/-EINVAL. */
static int owner_of(struct kc_ctl *ctl, const struct kc_intake_req *rq, struct intake_owner *o)
{
	char base[80];
	sqlite3_stmt *s;
	int r;

	memset(o, 0, sizeof(*o));
	if (kc_id_hash(rq->id_number, o->id_hash) < 0 || kc_id_mask(rq->id_number, o->id_masked, sizeof(o->id_masked)) < 0)
		return -EINVAL;
	kc_strlcpy(o->name, rq->owner_name, sizeof(o->name));
	kc_strlcpy(o->phone, rq->owner_phone, sizeof(o->phone));
	kc_strlcpy(o->id_type, rq->id_type, sizeof(o->id_type));
	s = kc_store_q(ctl->st, "SELECT code, name, phone FROM owners WHERE id_hash = ?", "s", o->id_hash);
	r = kc_row_step(s);
	if (r == 0) {
		kc_row_text(s, 0, o->code, sizeof(o->code));
		kc_row_text(s, 1, o->name, sizeof(o->name));
		kc_row_text(s, 2, o->phone, sizeof(o->phone));
	}
	kc_row_done(s);
	if (r != -ENOENT)
		return r;
	o->is_new = true;
	snprintf(base, sizeof(base), "O-%s", rq->unit);
	return code_free(ctl, "SELECT code FROM owners WHERE code = ?", base, o->code, sizeof(o->code));
}

/* The owner a request names (rq->owner_name set) into o: NULL, or the
 * reply refusing it: an owner on file with that ID under another name
 * (the receipt shows the name on file; it is never replaced unseen). */
static json_t *owner_named(struct kc_ctl *ctl, const struct kc_intake_req *rq, struct intake_owner *o)
{
	int r = owner_of(ctl, rq, o);

	if (r < 0)
		return r == -EIO ? kc_reply_read_failed(ctl->st) : kc_reply_fail(KCM_release_id_hash_failed, NULL);
	if (!o->is_new && strcmp(o->name, rq->owner_name) != 0)
		return kc_reply_refuse(0, NULL, KCM_intake_owner_name_differs, "{s:s}", "name", o->name);
	return NULL;
}

/* 1 when unit names a unit, 0 when not, -EIO. */
static int unit_known(struct kc_ctl *ctl, const char *unit)
{
	char site[64];
	int r = text_of(ctl, "SELECT site FROM units WHERE code = ?", unit ? unit : "", site, sizeof(site));

	return r == -EIO ? -EIO : r == 0;
}

json_t *kc_intake_open(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	struct kc_intake_slot_facts slots[256];
	struct kc_intake_req rq;
	struct intake_owner o;
	struct kc_decision d;
	char err[200];
	const char *slot;
	json_t *ev, *rep;
	int n, pick, r;

	if ((rep = intake_req(req, &rq)))
		return rep;
	/* what the key's registration will need, decided before a slot
	 * opens for it (when the request names it) */
	if (rq.kind) {
		if ((r = unit_known(ctl, rq.unit)) < 0)
			return kc_reply_read_failed(ctl->st);
		kc_decision_init(&d);
		kc_rules_intake_request(&rq, r == 1, kc_now_ms(), ctl->conf->desk_entrust_max_ms, &d);
		if (!d.granted)
			return kc_reply_take(&d);
		kc_decision_clear(&d);
		/* the owner on file with that ID is named as on file */
		if (rq.owner_name && (rep = owner_named(ctl, &rq, &o)))
			return rep;
	}
	n = slot_facts(ctl, slots, (int)KC_ARRAY_SIZE(slots));
	if (n < 0)
		return kc_reply_read_failed(ctl->st);
	kc_decision_init(&d);
	pick = kc_rules_intake_slot(slots, n, ctl->nwindows, &d);
	if (pick < 0)
		return kc_reply_take(&d);
	kc_decision_clear(&d);
	slot = slots[pick].name;
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	ev = kc_store_event(ctl->st, KC_EVT_INTAKE_SLOT_OPENED);
	kc_json_str(ev, "actor", peer->person);
	kc_json_str(ev, "slot", slot);
	json_object_set_new(json_object_get(ev, "data"), "window_ms",
			    json_integer(ctl->conf->release_window_ms));
	json_object_set_new(json_object_get(ev, "data"), "reads_tags", json_boolean(slots[pick].reads_tags));
	if (kc_store_append_commit(ctl->st, ev) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	r = kc_windows_open_intake(ctl, slot, err, sizeof(err));
	if (r < 0)
		return kc_reply_refuse(10, NULL, KCM_intake_slot_did_not_open, "{s:s, s:s}", "slot", slot,
				       "detail", err);
	wait_add(ctl, slot, kc_mono_ms() + ctl->conf->release_window_ms + ctl->conf->desk_intake_wait_ms);
	kc_notice("slot %s opened by %s for a new key", slot, peer->person);
	rep = kc_reply_ok();
	json_object_set_new(rep, "slot", json_string(slot));
	json_object_set_new(rep, "reads_tags", json_boolean(slots[pick].reads_tags));
	json_object_set_new(rep, "window_ms", json_integer(ctl->conf->release_window_ms));
	return rep;
}

/* The facts of a key's enrolment into slot. 0 or -EIO. */
static int enrol_facts(struct kc_ctl *ctl, const struct kc_intake_req *rq, struct kc_intake_facts *f)
{
	struct kc_slot_reading rd;
	int64_t alarm;
	int i, r;

	memset(f, 0, sizeof(*f));
	if ((r = unit_known(ctl, rq->unit)) < 0)
		return -EIO;
	f->unit_found = r == 1;
	i = rq->slot ? kc_hwlink_slot_find(ctl->hw, rq->slot) : -ENOENT;
	f->slot_in_file = i >= 0;
	if (!f->slot_in_file)
		return 0;
	/* waiting, or its wait ended with the key in it unregistered */
	f->slot_awaited = kc_intake_wait_awaited(ctl, rq->slot);
	if (!f->slot_awaited && (r = kc_hwevents_intake_alarm(ctl, rq->slot, &alarm)) != -ENOENT) {
		if (r < 0)
			return -EIO;
		f->slot_awaited = true;
	}
	if (kc_hwlink_reading(ctl->hw, i, &rd) == 0) {
		f->slot_reads_tags = rd.reads_tags;
		f->slot_present = rd.presence == KC_PRESENCE_PRESENT;
		f->tag = f->slot_present ? rd.tag : 0;
	}
	if (text_of(ctl, "SELECT code FROM keys WHERE home_slot = ?1 OR slot = ?1", rq->slot, f->home_key,
		    sizeof(f->home_key)) == -EIO)
		return -EIO;
	if (f->tag) {
		sqlite3_stmt *s = kc_store_q(ctl->st, "SELECT code FROM keys WHERE tag = ?", "I", (int64_t)f->tag);

		r = kc_row_step(s);
		if (r == 0)
			kc_row_text(s, 0, f->tag_key, sizeof(f->tag_key));
		kc_row_done(s);
		if (r == -EIO)
			return -EIO;
	}
	return 0;
}

/* Inside the transaction: the owner's row when new, with its event. */
static int owner_add(struct kc_ctl *ctl, const char *actor, const char *unit, const struct intake_owner *o)
{
	json_t *ev, *d;

	if (!o->is_new)
		return 0;
	if (kc_store_x(ctl->st,
		       "INSERT INTO owners (code, name, phone, unit, id_type, id_hash, id_masked)"
		       " VALUES (?,?,?,?,?,?,?)",
		       "sssssss", o->code, o->name, o->phone, unit, o->id_type, o->id_hash, o->id_masked) < 0)
		return -EIO;
	ev = kc_store_event(ctl->st, KC_EVT_PERSON_REGISTERED);
	kc_json_str(ev, "actor", actor);
	kc_json_str(ev, "person", o->code);
	kc_json_str(ev, "unit", unit);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "role", json_string("owner"));
	json_object_set_new(d, "name", json_string(o->name));
	json_object_set_new(d, "id_type", json_string(o->id_type));
	json_object_set_new(d, "id_masked", json_string(o->id_masked));
	return kc_store_append(ctl->st, ev) < 0 ? -EIO : 0;
}

/* Inside the transaction: the key, in its slot with its tag, and its
 * key.registered event. */
static int key_add(struct kc_ctl *ctl, const char *actor, const struct kc_key_info *k)
{
	json_t *ev, *d;

	if (kc_store_x(ctl->st,
		       "INSERT INTO keys (code, unit, kind, home_slot, tag, state, slot) VALUES (?,?,?,?,?,'in',?)",
		       "ssssIs", k->code, k->unit, kc_key_kind_to_string(k->kind), k->home_slot,
		       (int64_t)k->tag, k->home_slot) < 0)
		return -EIO;
	ev = kc_store_event(ctl->st, KC_EVT_KEY_REGISTERED);
	kc_json_str(ev, "actor", actor);
	kc_key_event_members(ev, k, k->home_slot);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "tag", json_integer(k->tag));
	json_object_set_new(d, "state", json_string("in"));
	json_object_set_new(d, "intake", json_true());
	return kc_store_append(ctl->st, ev) < 0 ? -EIO : 0;
}

/* The reply of an enrolment: the key, its slot and tag, and the owner's
 * entrustment, for the receipt. */
static json_t *enrolled(const struct kc_key_info *k, const struct intake_owner *o, int64_t ent,
			int64_t start, int64_t end)
{
	json_t *rep = kc_reply_ok();
	char tag[16], phone[KC_MASK_LEN];

	snprintf(tag, sizeof(tag), "0x%x", k->tag);
	json_object_set_new(rep, "key", json_string(k->code));
	json_object_set_new(rep, "kind", json_string(kc_key_kind_to_string(k->kind)));
	json_object_set_new(rep, "unit", json_string(k->unit));
	json_object_set_new(rep, "slot", json_string(k->home_slot));
	json_object_set_new(rep, "tag", json_string(k->tag ? tag : ""));
	if (!ent)
		return rep;
	if (kc_phone_mask(o->phone, phone, sizeof(phone)) < 0)
		phone[0] = '\0';
	json_object_set_new(rep, "entrustment", json_integer(ent));
	json_object_set_new(rep, "owner", json_string(o->code));
	json_object_set_new(rep, "owner_name", json_string(o->name));
	json_object_set_new(rep, "owner_phone", json_string(phone));
	json_object_set_new(rep, "id_type", json_string(o->id_type));
	json_object_set_new(rep, "id_masked", json_string(o->id_masked));
	kc_json_time(rep, "start", start);
	kc_json_time(rep, "end", end);
	return rep;
}

json_t *kc_intake_enrol(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	struct kc_intake_req rq;
	struct kc_intake_facts f;
	struct intake_owner o = { 0 };
	struct kc_key_info k;
	struct kc_decision d;
	int64_t now = kc_now_ms(), ent = 0;
	char base[80];
	json_t *rep;

	if ((rep = intake_req(req, &rq)))
		return rep;
	if (enrol_facts(ctl, &rq, &f) < 0)
		return kc_reply_read_failed(ctl->st);
	kc_decision_init(&d);
	kc_rules_intake_enrol(&rq, &f, now, ctl->conf->desk_entrust_max_ms, &d);
	if (!d.granted)
		return kc_reply_take(&d);
	kc_decision_clear(&d);
	if (!rq.start_ms)
		rq.start_ms = now;
	/* the owner (the one costly step, the ID's hash, before the
	 * transaction), the key's code */
	if (rq.owner_name && (rep = owner_named(ctl, &rq, &o)))
		return rep;
	memset(&k, 0, sizeof(k));
	snprintf(base, sizeof(base), "K-%s", rq.unit);
	if (code_free(ctl, "SELECT code FROM keys WHERE code = ?", base, k.code, sizeof(k.code)) < 0)
		return kc_reply_read_failed(ctl->st);
	kc_strlcpy(k.unit, rq.unit, sizeof(k.unit));
	text_of(ctl, "SELECT site FROM units WHERE code = ?", rq.unit, k.site, sizeof(k.site));
	k.kind = kc_key_kind_from_string(rq.kind);
	kc_strlcpy(k.home_slot, rq.slot, sizeof(k.home_slot));
	kc_strlcpy(k.slot, rq.slot, sizeof(k.slot));
	k.state = KC_KEY_IN;
	k.tag = f.tag;
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	if (owner_add(ctl, peer->person, rq.unit, &o) < 0 || key_add(ctl, peer->person, &k) < 0 ||
	    kc_hwevents_key_registered(ctl, k.home_slot, k.tag) < 0 ||
	    (rq.owner_name && kc_registry_entrustment_add(ctl, peer->person, o.code, o.name, o.phone, &k,
							  rq.start_ms, rq.end_ms, &ent) < 0) ||
	    kc_store_commit(ctl->st) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	wait_del(ctl, rq.slot);
	kc_notice("key %s registered in slot %s by %s", k.code, k.home_slot, peer->person);
	return enrolled(&k, &o, ent, rq.start_ms, rq.end_ms);
}

/* An entrustment's end moved: later (extend) or to the end of today (end
 * early), with its entrustment.changed event. */
static json_t *entrust_change(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req, bool extend)
{
	int64_t ent = kc_req_int(req, "entrustment"), now = kc_now_ms(), new_end;
	struct kc_entrust_change_facts f = { 0 };
	struct kc_decision d;
	struct kc_key_info k;
	char key[64] = "", owner[64] = "", state[16] = "";
	sqlite3_stmt *s;
	json_t *rep, *ev, *data;
	int r;

	if (extend && (rep = date_member(req, "end", KC_DAY_END, &new_end)))
		return rep;
	if (!extend)
		new_end = kc_local_next_day(now);
	s = kc_store_q(ctl->st, "SELECT key, owner, state, start_ms, end_ms FROM entrustments WHERE id = ?", "I",
		       ent);
	r = kc_row_step(s);
	if (r == 0) {
		kc_row_text(s, 0, key, sizeof(key));
		kc_row_text(s, 1, owner, sizeof(owner));
		kc_row_text(s, 2, state, sizeof(state));
		f.start_ms = sqlite3_column_int64(s, 3);
		f.end_ms = sqlite3_column_int64(s, 4);
	}
	kc_row_done(s);
	if (r == -EIO || (r == 0 && kc_key_get(ctl->st, key, &k) < 0))
		return kc_reply_read_failed(ctl->st);
	f.found = r == 0;
	f.open = strcmp(state, "open") == 0;
	kc_decision_init(&d);
	kc_rules_entrust_change(ent, &f, extend, new_end, now, ctl->conf->desk_entrust_max_ms, &d);
	if (!d.granted)
		return kc_reply_take(&d);
	kc_decision_clear(&d);
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	if (kc_store_x(ctl->st, "UPDATE entrustments SET end_ms = ? WHERE id = ?", "II", new_end, ent) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	ev = kc_store_event(ctl->st, KC_EVT_ENTRUSTMENT_CHANGED);
	kc_json_str(ev, "actor", peer->person);
	kc_json_str(ev, "person", owner);
	kc_key_event_members(ev, &k, NULL);
	data = json_object_get(ev, "data");
	json_object_set_new(data, "entrustment", json_integer(ent));
	json_object_set_new(data, "change", json_string(extend ? "extended" : "ended_early"));
	kc_json_time(data, "previous_end", f.end_ms);
	kc_json_time(data, "end", new_end);
	if (kc_store_append_commit(ctl->st, ev) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	rep = kc_reply_id("entrustment", ent);
	json_object_set_new(rep, "key", json_string(key));
	kc_json_time(rep, "previous_end", f.end_ms);
	kc_json_time(rep, "end", new_end);
	return rep;
}

json_t *kc_intake_extend(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	return entrust_change(ctl, peer, req, true);
}

json_t *kc_intake_end(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	return entrust_change(ctl, peer, req, false);
}
