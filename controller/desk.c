/* The decisions at the desk (controller/README.md, "Protocol"): release,
 * collect, approve, ID release, inspection, handover, alarm clear. Who may
 * ask for each is request.c's table; the rules are rules.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/pdata.h"
#include "common/util.h"
#include "controller/ctl.h"
#include "controller/estate.h"
#include "controller/request.h"
#include "controller/rules.h"
#include "controller/rules_access.h"
#include "controller/facts.h"
#include "controller/hwevents.h"
#include "controller/keys.h"
#include "controller/reply.h"
#include "controller/row.h"
#include "controller/session.h"
#include "controller/windows.h"
#include "controller/phones.h"

/* The key's members of an event, with the slot it is in or its home. */
static void key_members(json_t *ev, const struct kc_key_info *k)
{
	kc_key_event_members(ev, k, !k->code[0] ? NULL : k->slot[0] ? k->slot : k->home_slot);
}

/* A refusal is an event too (rule 11), in its own transaction. */
static json_t *refused(struct kc_ctl *ctl, const struct kc_peer *peer, struct kc_decision *d,
		       const char *person, enum kc_event_type type)
{
	json_t *ev = kc_store_event(ctl->st, type), *data = json_object_get(ev, "data");

	/* Why there is no operator: an unknown or an idle session. */
	kc_rules_session_detail(peer, d);

	kc_json_str(ev, "actor", peer->person[0] ? peer->person : NULL);
	kc_json_str(ev, "person", person && *person ? person : NULL);
	key_members(ev, &d->key);
	json_object_set_new(data, "rule", json_integer(d->rule));
	json_object_set_new(data, "reason", json_string(d->reason));
	json_object_set_new(data, "missing", d->missing ? json_incref(d->missing) : json_array());
	if (kc_store_begin(ctl->st) < 0) {
		json_decref(ev);
		return kc_reply_fail(KCM_db_busy, NULL);
	}
	if (kc_store_append(ctl->st, ev) < 0 || kc_store_commit(ctl->st) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	return kc_reply_decision(d);
}

/* A decision's refusal as the reply (no event: nothing was attempted). */
static json_t *refusal(const struct kc_decision *d)
{
	return kc_reply_decision(d);
}

/* The loan register's contact as events carry it: every digit but the
 * last 4 masked ("*******0000"), so neither a phone number nor an ID
 * number leaves the cabinet in clear. */
static void ops_contact_mask(const char *contact, char *out, size_t len)
{
	size_t n = 0, digits = 0, seen = 0;

	for (const char *p = contact; *p; p++)
		digits += *p >= '0' && *p <= '9';
	for (const char *p = contact; *p && n + 1 < len; p++) {
		bool digit = *p >= '0' && *p <= '9';

		if (digit && seen++ + 4 < digits)
			out[n++] = '*';
		else
			out[n++] = *p;
	}
	out[n] = '\0';
}

/* Granted but the slot stayed shut: the release did not happen, undone
 * as a window that closed with the key in (kc_hwevents_not_taken), all
 * or nothing. */
static int grant_undo(struct kc_ctl *ctl, const struct kc_peer *peer, const struct kc_decision *d,
		      int64_t loan, const char *err)
{
	if (kc_store_begin(ctl->st) < 0)
		return -EBUSY;
	if (kc_hwevents_not_taken(ctl, loan, &d->key, d->key.slot, peer->person, err) < 0 ||
	    kc_store_commit(ctl->st) < 0) {
		kc_store_rollback(ctl->st);
		return -EIO;
	}
	return 0;
}

/* An event's key members (key, kind, unit, site, slot), with actor and
 * person (NULL: left out) and an empty data. */
static json_t *grant_event(const char *actor, const char *person, const struct kc_key_info *k)
{
	json_t *ev = json_pack("{s:s?, s:s, s:s?, s:s, s:s, s:s, s:{}}", "actor", actor, "key", k->code, "kind",
			       kc_key_kind_to_string(k->kind), "unit", k->unit, "site", k->site, "slot",
			       k->slot[0] ? k->slot : k->home_slot, "data");

	if (ev && person)
		json_object_set_new(ev, "person", json_string(person));
	return ev;
}

/* A decided release's events, in order: release.granted, approval.used
 * (an approval is used), id.held (an ID is held); the loan's and the
 * approval's ids are the store's to fill in (null here). 0, or -ENOMEM
 * (the contact's phone not sealed: none is kept). */
static int grant_events(const struct kc_ctl *ctl, struct kc_store_grant *g, const struct kc_peer *peer,
			const struct kc_decision *d, const struct kc_release_req *req)
{
	json_t *ev = grant_event(peer->person, d->borrower, &d->key), *data = json_object_get(ev, "data");
	char contact[128];

	g->events[g->nevents].type = KC_EVT_RELEASE_GRANTED;
	g->events[g->nevents++].members = ev;
	json_object_set_new(data, "loan", json_null());
	json_object_set_new(data, "purpose", json_string(g->purpose));
	kc_json_time(data, "due", d->due_ms);
	kc_json_str(data, "work_order", req->work_order);
	json_object_set_new(data, "letter", d->letter ? json_integer(d->letter) : json_null());
	json_object_set_new(data, "approval", json_null());
	json_object_set_new(data, "window_ms", json_integer(g->window_ms));
	if (d->borrower_type[0])
		json_object_set_new(data, "borrower_type", json_string(d->borrower_type));
	if (req->contact) {
		ops_contact_mask(req->contact, contact, sizeof(contact));
		json_object_set_new(data, "contact", json_string(contact));
		if (kc_phone_facts(ctl->conf, data, NULL, req->contact) < 0) {
			json_decref(ev);
			g->nevents = 0;
			return -ENOMEM;
		}
	}
	if (req->signature)
		kc_json_str(data, "signature", req->signature);
	if (g->approval || g->approver) {
		ev = grant_event(g->approver ? g->approver : peer->person, NULL, &d->key);
		g->events[g->nevents].type = KC_EVT_APPROVAL_USED;
		g->events[g->nevents++].members = ev;
		json_object_update_new(json_object_get(ev, "data"),
				       json_pack("{s:n, s:n, s:s, s:s}", "approval", "loan", "method",
						 d->approval_method, "operator", peer->person));
	}
	if (g->id_hash) {
		g->events[g->nevents].type = KC_EVT_ID_HELD;
		g->events[g->nevents++].members =
			json_pack("{s:s, s:s, s:s, s:{s:n, s:s, s:s}}", "actor", peer->person, "person", d->borrower,
				  "key", d->key.code, "data", "loan", "id_type", g->id_type, "id_masked", g->id_masked);
	}
	return 0;
}

/* A granted release's reply. */
static json_t *granted(const struct kc_store_grant *g, const struct kc_decision *d)
{
	json_t *rep = json_pack("{s:b, s:I, s:s, s:s, s:s?, s:s, s:s, s:I}", "ok", 1, "loan", (json_int_t)g->loan,
				"key", g->key, "slot", g->slot, "kind", g->kind, "purpose", g->purpose, "borrower",
				g->borrower, "window_ms", (json_int_t)g->window_ms);

	kc_json_time(rep, "due", d->due_ms);
	if (g->id_hash)
		json_object_set_new(rep, "id_held", json_string(g->id_masked));
	if (g->approval)
		json_object_set_new(rep, "approval", json_integer(g->approval));
	return rep;
}

/* Grants a decided release: the loan, the held ID and the approval in one
 * transaction with their events (kc_store_grant), then the slot opens
 * (after the commit, so no slot ever opens for a release the database
 * does not know), at slot_index in the cabinet file. */
static json_t *grant(struct kc_ctl *ctl, const struct kc_peer *peer, struct kc_decision *d,
		     const struct kc_release_req *req, int64_t now, int slot_index)
{
	char id_hash[KC_PWHASH_LEN], id_masked[KC_MASK_LEN], err[200];
	struct kc_store_grant g = {
		.key = d->key.code, .kind = kc_key_kind_to_string(d->key.kind), .purpose = req->purpose,
		.borrower = d->borrower, .borrower_type = d->borrower_type, .contact = req->contact,
		.signature = req->signature, .operator_code = peer->person, .work_order = req->work_order,
		.slot = d->key.slot, .letter = d->letter, .approval = d->approval, .due_ms = d->due_ms,
		.now_ms = now, .window_ms = ctl->conf->release_window_ms,
	};
	int r;

	if (strcmp(req->purpose, "borrow") == 0) {
		if (kc_id_hash(req->id_number, id_hash) < 0 ||
		    kc_id_mask(req->id_number, id_masked, sizeof(id_masked)) < 0)
			return kc_reply_fail(KCM_release_id_hash_failed, NULL);
		g.id_type = req->id_type;
		g.id_hash = id_hash;
		g.id_masked = id_masked;
	}
	if (strcmp(d->approval_method, "second_credential") == 0)
		g.approver = req->approver;
	if (grant_events(ctl, &g, peer, d, req) < 0)
		return kc_reply_fail(KCM_release_write_failed, "{s:s}", "detail", strerror(ENOMEM));
	r = kc_store_grant(ctl->st, &g);
	if (r == -EBUSY)
		return kc_reply_fail(KCM_db_busy, NULL);
	if (r == -EPIPE)
		return kc_reply_fail(KCM_release_commit_failed, NULL);
	if (r < 0)
		return kc_reply_fail(KCM_release_write_failed, "{s:s}", "detail", g.why);
	r = kc_windows_open_at(ctl, g.loan, g.key, g.slot, slot_index, err, sizeof(err));
	if (r < 0) {
		if (grant_undo(ctl, peer, d, g.loan, err) < 0) {
			kc_err("loan %lld: slot %s did not open and the grant could not be undone: %s;"
			       " its window closes it",
			       (long long)g.loan, g.slot, kc_store_errmsg(ctl->st));
			kc_windows_watch(ctl, g.loan, g.key, g.slot);
		}
		kc_rules_slot_not_opened(KC_SLOT_FOR_RELEASE, g.key, g.slot, r, d);
		return kc_reply_take(d);
	}
	return granted(&g, d);
}

/* A release's or a collection's members, read once. */
#define R struct kc_release_req
static const struct kc_req_member release_members[] = {
	KC_REQ_TEXT(R, key),       KC_REQ_TEXT(R, purpose),   KC_REQ_TEXT(R, borrower),
	KC_REQ_TEXT(R, contact),   KC_REQ_TEXT(R, signature), KC_REQ_INT(R, letter),
	KC_REQ_TEXT(R, id_type),   KC_REQ_TEXT(R, id_number), KC_REQ_TEXT(R, work_order),
	KC_REQ_INT(R, approval),   KC_REQ_TEXT(R, approver),
};
#undef R

static void release_req(const struct kc_peer *peer, json_t *req, struct kc_release_req *r)
{
	memset(r, 0, sizeof(*r));
	r->operator_code = peer->person[0] ? peer->person : NULL;
	r->operator_role = peer->role;
	kc_req_members(req, release_members, KC_ARRAY_SIZE(release_members), r);
}

/* A release: the facts loaded once (facts.c), one decision on them
 * (kc_rules_release), then the grant written in one transaction and the
 * slot opened (grant), or the refusal written. What the request itself
 * gets wrong (no key or purpose, a due time unreadable or beyond the
 * desk's bound) is answered before, and written nowhere. */
json_t *kc_desk_release(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	const char *due_at = json_string_value(json_object_get(req, "due"));
	json_t *in = json_object_get(req, "due_in_s"), *rep;
	struct kc_release_req r;
	struct kc_release_facts f;
	struct kc_decision d;
	char approver_role[16] = "";
	int64_t now = kc_now_ms(), due = 0, loan_max[KC_PURPOSE_COUNT];
	struct kc_key_info k;

	release_req(peer, req, &r);
	if (!r.key || !r.purpose)
		return kc_reply_fail(KCM_release_needs_key_purpose, NULL);
	if (due_at && kc_local_parse(due_at, KC_DAY_LAST, &due) < 0)
		return kc_reply_fail(KCM_release_time_bad, "{s:s, s:s}", "field", "due", "zone", kc_tz_name());
	if (in && (!json_is_integer(in) || json_integer_value(in) <= 0))
		return kc_reply_fail(KCM_due_in_bad, NULL);
	/* the bound of the key's site where the office set one ([desk]'s otherwise) */
	kc_estate_loan_max(ctl, kc_key_get(ctl->st, r.key, &k) == 0 ? k.site : NULL, loan_max);
	if (!kc_rules_release_due(r.purpose, loan_max, now, due, in ? json_integer_value(in) : 0, &r.due_ms, &d))
		return kc_reply_take(&d);
	if (r.approver && r.operator_code) {
		json_t *v = kc_session_verify_pin(ctl, r.approver, json_string_value(json_object_get(req, "approver_pin")),
						  "approval", approver_role);

		r.approver_verified = v == NULL;
		r.approver_role = approver_role;
		json_decref(v);
	}
	if (kc_facts_release(ctl, &r, &f) < 0)
		return kc_reply_read_failed(ctl->st);
	kc_rules_release(&r, &f, now, &d);
	if (d.granted) /* a granted decision holds nothing to clear */
		return grant(ctl, peer, &d, &r, now, f.slot_index);
	rep = refused(ctl, peer, &d, d.borrower[0] ? d.borrower : r.borrower, KC_EVT_RELEASE_REFUSED);
	kc_decision_clear(&d);
	return rep;
}

json_t *kc_desk_collect(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	struct kc_release_facts f = { 0 };
	struct kc_release_req r;
	struct kc_decision d;
	json_t *rep;

	release_req(peer, req, &r);
	r.purpose = "owner_collect";
	if (kc_facts_collect(ctl->st, r.key, &f.key, &f.key_found, &f.entrustment) < 0)
		return kc_reply_read_failed(ctl->st);
	kc_windows_slot_facts(ctl, f.key.slot, &f);
	kc_decision_init(&d);
	kc_rules_collect(r.operator_code, r.operator_role, r.key, f.key_found ? &f.key : NULL, &f.entrustment,
			 r.id_number, r.signature, kc_now_ms(), &d);
	if (d.granted)
		kc_rules_slot_usable(KC_SLOT_FOR_RELEASE, d.key.code, d.key.slot, f.open_windows,
				     f.hw ? &f.slot : NULL, &d);
	if (!d.granted)
		rep = refused(ctl, peer, &d, d.borrower, KC_EVT_RELEASE_REFUSED);
	else
		rep = grant(ctl, peer, &d, &r, kc_now_ms(), f.slot_index);
	kc_decision_clear(&d);
	return rep;
}

json_t *kc_desk_approve(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	struct kc_key_info k;
	struct kc_decision dec;
	int64_t now = kc_now_ms(), from = now, to, id;
	int64_t valid_s = kc_req_int(req, "valid_for_s");
	json_t *ev, *d, *rep;
	int r = kc_key_get(ctl->st, kc_req_str(req, "key"), &k);

	if (r < 0 && r != -ENOENT)
		return kc_reply_read_failed(ctl->st);
	kc_decision_init(&dec);
	kc_rules_approve(kc_req_str(req, "key"), r == 0 ? &k : NULL, &dec);
	if (!dec.granted) {
		rep = refusal(&dec);
		kc_decision_clear(&dec);
		return rep;
	}
	kc_decision_clear(&dec);
	if (kc_req_str(req, "valid_from") &&
	    kc_local_parse(kc_req_str(req, "valid_from"), KC_DAY_START, &from) < 0)
		return kc_reply_fail(KCM_approve_time_bad, "{s:s, s:s}", "field", "valid_from", "zone",
				     kc_tz_name());
	if (valid_s <= 0 || valid_s > 24 * INT64_C(3600) || __builtin_add_overflow(from, valid_s * 1000, &to))
		return kc_reply_fail(KCM_approve_window_bad, NULL);
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	if (kc_store_x(ctl->st,
		       "INSERT INTO approvals (key, manager, method, valid_from, valid_to, created_ms)"
		       " VALUES (?,?,'issued',?,?,?)",
		       "ssIII", k.code, peer->person, from, to, now) < 0)
		goto fail;
	id = kc_store_last_id(ctl->st);
	ev = kc_store_event(ctl->st, KC_EVT_APPROVAL_ISSUED);
	kc_json_str(ev, "actor", peer->person);
	kc_json_str(ev, "key", k.code);
	kc_json_str(ev, "unit", k.unit);
	kc_json_str(ev, "site", k.site);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "approval", json_integer(id));
	kc_json_time(d, "valid_from", from);
	kc_json_time(d, "valid_to", to);
	if (kc_store_append(ctl->st, ev) < 0)
		goto fail;
	if (kc_store_commit(ctl->st) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	rep = kc_reply_ok();
	json_object_set_new(rep, "approval", json_integer(id));
	kc_json_time(rep, "valid_from", from);
	kc_json_time(rep, "valid_to", to);
	return rep;
fail:
	return kc_reply_write_failed(kc_store_abort(ctl->st));
}

json_t *kc_desk_id_release(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	int64_t loan = kc_req_int(req, "loan");
	struct kc_id_loan_facts f;
	struct kc_decision d;
	struct kc_id_held id;
	json_t *rep, *ev, *data;

	kc_decision_init(&d);
	if (kc_facts_id_release(ctl->st, loan, &f) < 0) {
		rep = kc_reply_read_failed(ctl->st);
		goto out;
	}
	kc_rules_id_release(peer->person, loan, &f, &d);
	if (kc_store_id_held(ctl->st, loan, &id) == -EIO) {
		rep = kc_reply_read_failed(ctl->st);
		goto out;
	}
	if (!d.granted) {
		if (!id.person[0]) {
			rep = refusal(&d);
			goto out;
		}
		ev = kc_store_event(ctl->st, KC_EVT_ID_RELEASE_REFUSED);
		kc_json_str(ev, "actor", peer->person);
		kc_json_str(ev, "person", id.person);
		kc_json_str(ev, "key", d.key.code[0] ? d.key.code : NULL);
		data = json_object_get(ev, "data");
		json_object_set_new(data, "loan", json_integer(loan));
		json_object_set_new(data, "reason", json_string(d.reason));
		json_object_set_new(data, "rule", json_integer(d.rule));
		if (kc_store_begin(ctl->st) < 0 || kc_store_append(ctl->st, ev) < 0 ||
		    kc_store_commit(ctl->st) < 0) {
			rep = kc_reply_write_failed(kc_store_abort(ctl->st));
			goto out;
		}
		rep = refusal(&d);
		goto out;
	}
	if (kc_store_begin(ctl->st) < 0) {
		rep = kc_reply_fail(KCM_db_busy, NULL);
		goto out;
	}
	if (kc_store_x(ctl->st, "UPDATE ids_held SET released_ms = ?, released_by = ? WHERE loan = ?",
		       "IsI", kc_now_ms(), peer->person, loan) < 0)
		goto fail;
	ev = kc_store_id_event(ctl->st, KC_EVT_ID_RELEASED, peer->person, id.person, d.key.code, loan, id.id_type,
			       id.masked);
	if (kc_store_append(ctl->st, ev) < 0)
		goto fail;
	if (kc_store_commit(ctl->st) < 0)
		goto fail;
	rep = kc_reply_ok();
	json_object_set_new(rep, "loan", json_integer(loan));
	json_object_set_new(rep, "person", json_string(id.person));
	json_object_set_new(rep, "id_type", json_string(id.id_type));
	json_object_set_new(rep, "id_masked", json_string(id.masked));
	goto out;
fail:
	rep = kc_reply_write_failed(kc_store_abort(ctl->st));
out:
	kc_decision_clear(&d);
	return rep;
}

json_t *kc_desk_inspect(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	int64_t loan = kc_req_int(req, "loan");
	const char *result = kc_req_str(req, "result"), *problems = kc_req_str(req, "problems");
	const char *dept = kc_req_str(req, "forwarded_to");
	struct kc_loan_facts l = { 0 };
	struct kc_decision dec;
	struct kc_key_info k;
	sqlite3_stmt *s;
	json_t *ev, *d;
	int r;

	if (!result || (strcmp(result, "ok") != 0 && strcmp(result, "problems") != 0))
		return kc_reply_fail(KCM_inspect_result_bad, NULL);
	s = kc_store_q(ctl->st,
		       "SELECT key, purpose, state, coalesce(inspection, ''), borrower FROM loans WHERE id = ?",
		       "I", loan);
	r = kc_row_step(s);
	if (r == 0) {
		kc_row_text(s, 0, l.key, sizeof(l.key));
		kc_row_text(s, 1, l.purpose, sizeof(l.purpose));
		kc_row_text(s, 2, l.state, sizeof(l.state));
		kc_row_text(s, 3, l.inspection, sizeof(l.inspection));
		kc_row_text(s, 4, l.borrower, sizeof(l.borrower));
	}
	kc_row_done(s);
	if (r == -EIO)
		return kc_reply_read_failed(ctl->st);
	kc_decision_init(&dec);
	kc_rules_inspect(loan, r == 0 ? &l : NULL, result, problems, dept, &dec);
	ev = dec.granted ? NULL : refusal(&dec);
	kc_decision_clear(&dec);
	if (ev)
		return ev;
	if (kc_key_get(ctl->st, l.key, &k) < 0)
		return kc_reply_read_failed(ctl->st);
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	if (kc_store_x(ctl->st,
		       "INSERT INTO inspections (loan, unit, result, problems, forwarded_to, recorded_by,"
		       " at_ms) VALUES (?,?,?,?,?,?,?)",
		       "IsssssI", loan, k.unit, result, problems ? problems : "", dept ? dept : "",
		       peer->person, kc_now_ms()) < 0 ||
	    kc_store_x(ctl->st, "UPDATE loans SET inspection = 'recorded' WHERE id = ?", "I", loan) < 0)
		goto fail;
	ev = kc_store_event(ctl->st, KC_EVT_INSPECTION_RECORDED);
	kc_json_str(ev, "actor", peer->person);
	/* The inspector is who borrowed the key; actor, who typed the result. */
	kc_json_str(ev, "person", l.borrower);
	kc_json_str(ev, "key", k.code);
	kc_json_str(ev, "unit", k.unit);
	kc_json_str(ev, "site", k.site);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "loan", json_integer(loan));
	json_object_set_new(d, "result", json_string(result));
	json_object_set_new(d, "problems", json_string(problems ? problems : ""));
	json_object_set_new(d, "forwarded_to", json_string(dept ? dept : ""));
	if (kc_store_append(ctl->st, ev) < 0)
		goto fail;
	if (kc_store_commit(ctl->st) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	return kc_reply_ok();
fail:
	return kc_reply_write_failed(kc_store_abort(ctl->st));
}

static json_t *handover_sheet(struct kc_ctl *ctl)
{
	json_t *keys = kc_reply_rows(kc_store_q(ctl->st,
				       "SELECT l.key, l.borrower AS person, l.due_ms, l.id AS loan, l.purpose"
				       " FROM loans l WHERE l.state = 'out' ORDER BY l.id",
				       ""));
	json_t *ids = kc_reply_rows(kc_store_q(ctl->st,
				      "SELECT i.person, i.id_type, i.id_masked, i.loan, l.key FROM ids_held i"
				      " JOIN loans l ON l.id = i.loan WHERE i.released_ms IS NULL"
				      " ORDER BY i.loan",
				      ""));
	json_t *alarms = kc_reply_rows(kc_store_q(ctl->st,
					 "SELECT id AS alarm, type, key, slot, detail FROM alarms"
					 " WHERE cleared_ms IS NULL ORDER BY id",
					 ""));

	return json_pack("{s:o, s:o, s:o}", "keys_out", keys, "ids_held", ids, "alarms", alarms);
}

json_t *kc_desk_handover_start(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	json_t *rep, *sheet, *ev, *d;
	char *text;
	int64_t id;

	(void)req;
	sheet = handover_sheet(ctl);
	text = json_dumps(sheet, JSON_COMPACT);
	if (kc_store_begin(ctl->st) < 0)
		goto busy;
	if (kc_store_x(ctl->st, "INSERT INTO handovers (outgoing, started_ms, sheet) VALUES (?,?,?)",
		       "sIs", peer->person, kc_now_ms(), text ? text : "{}") < 0)
		goto fail;
	id = kc_store_last_id(ctl->st);
	ev = kc_store_event(ctl->st, KC_EVT_HANDOVER_STARTED);
	kc_json_str(ev, "actor", peer->person);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "handover", json_integer(id));
	json_object_update(d, sheet);
	if (kc_store_append(ctl->st, ev) < 0)
		goto fail;
	if (kc_store_commit(ctl->st) < 0)
		goto busy;
	free(text);
	rep = kc_reply_ok();
	json_object_set_new(rep, "handover", json_integer(id));
	json_object_set_new(rep, "outgoing", json_string(peer->person));
	json_object_update(rep, sheet);
	json_decref(sheet);
	return rep;
fail:
	kc_store_rollback(ctl->st);
busy:
	free(text);
	json_decref(sheet);
	return kc_reply_write_failed(kc_store_abort(ctl->st));
}

static json_t *handover_sign(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req,
				   bool review)
{
	int64_t id = kc_req_int(req, "handover");
	struct kc_handover_facts h = { 0 };
	struct kc_decision dec;
	sqlite3_stmt *s;
	json_t *rep, *ev;
	int r;

	s = kc_store_q(ctl->st,
		       "SELECT outgoing, coalesce(incoming, ''), coalesce(confirmed_ms, 0),"
		       " coalesce(reviewed_ms, 0) FROM handovers WHERE id = ?",
		       "I", id);
	r = kc_row_step(s);
	if (r == 0) {
		kc_row_text(s, 0, h.outgoing, sizeof(h.outgoing));
		kc_row_text(s, 1, h.incoming, sizeof(h.incoming));
		h.confirmed_ms = sqlite3_column_int64(s, 2);
		h.reviewed_ms = sqlite3_column_int64(s, 3);
	}
	kc_row_done(s);
	if (r == -EIO)
		return kc_reply_read_failed(ctl->st);
	kc_decision_init(&dec);
	kc_rules_handover_sign(id, r == 0 ? &h : NULL, peer->person, review, &dec);
	rep = dec.granted ? NULL : refusal(&dec);
	kc_decision_clear(&dec);
	if (rep)
		return rep;
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	if (kc_store_x(ctl->st,
		       review ? "UPDATE handovers SET reviewer = ?, reviewed_ms = ? WHERE id = ?"
			      : "UPDATE handovers SET incoming = ?, confirmed_ms = ? WHERE id = ?",
		       "sII", peer->person, kc_now_ms(), id) < 0)
		goto fail;
	ev = kc_store_event(ctl->st, review ? KC_EVT_HANDOVER_REVIEWED : KC_EVT_HANDOVER_CONFIRMED);
	kc_json_str(ev, "actor", peer->person);
	json_object_set_new(json_object_get(ev, "data"), "handover", json_integer(id));
	return kc_store_append_commit(ctl->st, ev) < 0 ? kc_reply_write_failed(kc_store_abort(ctl->st)) : kc_reply_id("handover", id);
fail:
	return kc_reply_write_failed(kc_store_abort(ctl->st));
}

json_t *kc_desk_alarm_clear(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	int64_t id = kc_req_int(req, "alarm"), cleared = 0;
	char type[16] = "", key[64] = "", slot[64] = "";
	const char *note = kc_req_str(req, "note");
	struct kc_decision dec;
	sqlite3_stmt *s;
	json_t *ev;
	int r;

	s = kc_store_q(ctl->st,
		       "SELECT type, coalesce(key, ''), coalesce(slot, ''), coalesce(cleared_ms, 0)"
		       " FROM alarms WHERE id = ?",
		       "I", id);
	r = kc_row_step(s);
	if (r == 0) {
		kc_row_text(s, 0, type, sizeof(type));
		kc_row_text(s, 1, key, sizeof(key));
		kc_row_text(s, 2, slot, sizeof(slot));
		cleared = sqlite3_column_int64(s, 3);
	}
	kc_row_done(s);
	if (r == -EIO)
		return kc_reply_read_failed(ctl->st);
	kc_decision_init(&dec);
	kc_rules_alarm_clear(id, r == 0, cleared, note, &dec);
	ev = dec.granted ? NULL : refusal(&dec);
	kc_decision_clear(&dec);
	if (ev)
		return ev;
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	if (kc_store_x(ctl->st, "UPDATE alarms SET cleared_ms = ?, cleared_by = ? WHERE id = ?", "IsI",
		       kc_now_ms(), peer->person, id) < 0)
		goto fail;
	ev = kc_store_event(ctl->st, KC_EVT_ALARM_CLEARED);
	kc_json_str(ev, "actor", peer->person);
	kc_json_str(ev, "key", key[0] ? key : NULL);
	kc_json_str(ev, "slot", slot[0] ? slot : NULL);
	json_object_set_new(json_object_get(ev, "data"), "alarm", json_integer(id));
	json_object_set_new(json_object_get(ev, "data"), "alarm_type", json_string(type));
	json_object_set_new(json_object_get(ev, "data"), "note", json_string(note));
	if (kc_store_append(ctl->st, ev) < 0)
		goto fail;
	if (kc_store_commit(ctl->st) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	return kc_reply_ok();
fail:
	return kc_reply_write_failed(kc_store_abort(ctl->st));
}

json_t *kc_desk_handover_confirm(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	return handover_sign(ctl, peer, req, false);
}

json_t *kc_desk_handover_review(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	return handover_sign(ctl, peer, req, true);
}
