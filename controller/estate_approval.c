/* A manager's approval from the office: the clerk asks at the terminal
 * (approval.ask: a request row and its approval.asked event), the office
 * answers through the feed (approval.grant: an approval of method remote
 * for that request and that clerk; approval.refuse: the manager's reason),
 * and the clerk may withdraw a request still waiting (approval.cancel).
 * Rule 4's four eyes is checked when asking, when the grant comes in and
 * again at the release (rules_release.c). */
#include "controller/estate_approval.h"

#include <errno.h>
#include <string.h>

#include "common/db.h"
#include "common/event.h"
#include "common/util.h"
#include "controller/conf.h"
#include "controller/keys.h"
#include "controller/people.h"
#include "controller/reply.h"
#include "controller/request.h"
#include "controller/row.h"
#include "controller/store.h"
#include "controller/words.h"

/* A request as stored. */
struct ask_row {
	char key[64], asker[64], manager[64], state[16];
};
#define A struct ask_row
static const struct kc_row_col ask_cols[] = {
	KC_ROW_TEXT(A, key),
	KC_ROW_TEXT(A, asker),
	KC_ROW_TEXT(A, manager),
	KC_ROW_TEXT(A, state),
};
#undef A

/* The key's members of an event, with the slot it is in or its home. */
static void key_members(json_t *ev, const struct kc_key_info *k)
{
	kc_key_event_members(ev, k, k->slot[0] ? k->slot : k->home_slot);
}

/* Request id's row: 0, -ENOENT or -EIO. */
static int ask_get(struct kc_ctl *ctl, int64_t id, struct ask_row *out)
{
	memset(out, 0, sizeof(*out));
	return kc_row_cols(kc_db_q(ctl->db, "SELECT key, asker, manager, state FROM approval_requests WHERE id = ?",
				   "I", id),
			   ask_cols, KC_ARRAY_SIZE(ask_cols), out);
}

/* The manager named: one on the roll, active, a manager, not the clerk
 * nor someone the clerk enrolled. 0 (refusals in d) or -EIO. */
static int check_manager(struct kc_ctl *ctl, const char *asker, const char *manager, struct kc_decision *d)
{
	struct kc_person_facts m;
	int64_t active = 0;
	int r;

	if (kc_person_facts_get(ctl->db, manager, &m) < 0)
		return -EIO;
	r = m.found ? kc_store_int(ctl->st, &active, "SELECT active FROM people WHERE code = ?", "s", manager) : 0;
	if (r < 0 && r != -ENOENT)
		return -EIO;
	if (!m.found || m.role != KC_ROLE_MANAGER || !active) {
		kc_decision_refuse(d, 4, KCM_approval_ask_not_manager, "{s:s}", "manager", manager);
		kc_decision_missing(d, "manager's approval");
		return 0;
	}
	/* the session part is the release's (rules_release.c) */
	kc_rules_four_eyes_check(asker, 0, manager, &m, d);
	return 0;
}

json_t *kc_approval_ask(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	const char *key = kc_req_str(req, "key"), *manager = kc_req_str(req, "manager");
	const char *reason = kc_req_str(req, "reason");
	struct kc_key_info k;
	struct kc_decision d;
	int64_t id, now = kc_now_ms();
	json_t *ev, *rep;
	int r = kc_key_get(ctl->st, key, &k);

	if (r < 0 && r != -ENOENT)
		return kc_reply_read_failed(ctl->st);
	if (!ctl->conf->estate_managed)
		return kc_reply_fail(KCM_estate_standalone, NULL);
	if (!reason || !*reason)
		return kc_reply_fail(KCM_approval_ask_reason_needed, NULL);
	kc_decision_init(&d);
	kc_rules_approve(key, r == 0 ? &k : NULL, &d);
	if (d.granted && check_manager(ctl, peer->person, manager, &d) < 0) {
		kc_decision_clear(&d);
		return kc_reply_read_failed(ctl->st);
	}
	if (!d.granted)
		return kc_reply_take(&d);
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	if (kc_store_x(ctl->st,
		       "INSERT INTO approval_requests (key, asker, manager, reason, asked_ms) VALUES (?,?,?,?,?)",
		       "ssssI", k.code, peer->person, manager, reason, now) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	id = kc_store_last_id(ctl->st);
	ev = kc_store_event(ctl->st, KC_EVT_APPROVAL_ASKED);
	kc_json_str(ev, "actor", peer->person);
	key_members(ev, &k);
	json_object_update_new(json_object_get(ev, "data"),
			   json_pack("{s:I, s:s, s:s}", "request", (json_int_t)id, "manager", manager, "reason", reason));
	if (kc_store_append_commit(ctl->st, ev) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	rep = kc_reply_id("request", id);
	json_object_set_new(rep, "manager", json_string(manager));
	return rep;
}

json_t *kc_approval_cancel(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	int64_t id = kc_req_int(req, "request");
	struct ask_row a;
	struct kc_key_info k;
	json_t *ev;
	int r = ask_get(ctl, id, &a);

	if (r == -EIO)
		return kc_reply_read_failed(ctl->st);
	if (r < 0 || strcmp(a.asker, peer->person) != 0 || strcmp(a.state, "pending") != 0)
		return kc_reply_refuse(0, NULL, KCM_approval_request_not_pending, "{s:I}", "request",
				       (json_int_t)id);
	if (kc_key_get(ctl->st, a.key, &k) < 0)
		return kc_reply_read_failed(ctl->st);
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	if (kc_store_x(ctl->st, "UPDATE approval_requests SET state = 'cancelled', answered_ms = ? WHERE id = ?",
		       "II", kc_now_ms(), id) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	ev = kc_store_event(ctl->st, KC_EVT_APPROVAL_CANCELLED);
	kc_json_str(ev, "actor", peer->person);
	key_members(ev, &k);
	json_object_set_new(json_object_get(ev, "data"), "request", json_integer(id));
	if (kc_store_append_commit(ctl->st, ev) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	return kc_reply_id("request", id);
}

/* The change's request, waiting for its answer, for the key and manager
 * the change names, into *a; its key into *k. 0, 1 (refused: d) or -EIO. */
static int answer_check(struct kc_ctl *ctl, json_t *data, struct ask_row *a, struct kc_key_info *k,
			struct kc_decision *d)
{
	json_int_t id = json_integer_value(json_object_get(data, "request"));
	const char *key = json_string_value(json_object_get(data, "key"));
	const char *manager = json_string_value(json_object_get(data, "manager"));
	int r = ask_get(ctl, id, a);

	memset(k, 0, sizeof(*k));
	d->granted = true;
	if (r == -EIO)
		return -EIO;
	if (r < 0 || strcmp(a->state, "pending") != 0) {
		kc_decision_refuse(d, 0, KCM_estate_request_unknown, "{s:I}", "request", id);
		return 1;
	}
	if (!key || strcmp(key, a->key) != 0 || !manager || strcmp(manager, a->manager) != 0) {
		kc_decision_refuse(d, 0, KCM_approval_answer_mismatch, "{s:I, s:s, s:s, s:s?, s:s?}", "request", id,
				   "key", a->key, "manager", a->manager, "given_key", key, "given_manager", manager);
		return 1;
	}
	return kc_key_get(ctl->st, a->key, k) == 0 ? 0 : -EIO;
}

/* The event's members for an answer: the key, its unit and site, the
 * clerk who asked. */
static void answer_members(json_t *members, const struct ask_row *a, const struct kc_key_info *k)
{
	key_members(members, k);
	kc_json_str(members, "person", a->asker);
}

int kc_estate_approval_grant(struct kc_ctl *ctl, const struct kc_estate_change *c, json_t *members, json_t *extra,
			     struct kc_decision *d)
{
	json_t *data = c->data;
	const char *asker = json_string_value(json_object_get(data, "asker"));
	const char *valid_to = json_string_value(json_object_get(data, "valid_to"));
	int64_t id = json_integer_value(json_object_get(data, "request")), now = kc_now_ms(), to, approval;
	struct ask_row a;
	struct kc_key_info k;
	int r = answer_check(ctl, data, &a, &k, d);

	if (r != 0)
		return r;
	if (!asker || strcmp(asker, a.asker) != 0) {
		kc_decision_refuse(d, 4, KCM_approval_answer_other_asker, "{s:I, s:s, s:s?}", "request",
				   (json_int_t)id, "asker", a.asker, "given_asker", asker);
		return 1;
	}
	if (!valid_to || kc_local_parse(valid_to, KC_DAY_START, &to) < 0 || !strchr(valid_to, 'Z')) {
		kc_decision_refuse(d, 0, KCM_approval_answer_time_bad, "{s:s?}", "valid_to", valid_to);
		return 1;
	}
	if (check_manager(ctl, a.asker, a.manager, d) < 0)
		return -EIO;
	if (!d->granted)
		return 1;
	if (kc_store_x(ctl->st,
		       "INSERT INTO approvals (key, manager, method, valid_from, valid_to, created_ms, request, asker)"
		       " VALUES (?,?,'remote',?,?,?,?,?)",
		       "ssIIIIs", a.key, a.manager, now, to, now, id, a.asker) < 0)
		return -EIO;
	approval = kc_store_last_id(ctl->st);
	if (kc_store_x(ctl->st,
		       "UPDATE approval_requests SET state = 'granted', answered_ms = ?, approval = ? WHERE id = ?",
		       "III", now, approval, id) < 0)
		return -EIO;
	answer_members(members, &a, &k);
	json_object_set_new(extra, "approval", json_integer(approval));
	return 0;
}

int kc_estate_approval_refuse(struct kc_ctl *ctl, const struct kc_estate_change *c, json_t *members, json_t *extra,
			      struct kc_decision *d)
{
	json_t *data = c->data;
	const char *reason = json_string_value(json_object_get(data, "reason"));
	int64_t id = json_integer_value(json_object_get(data, "request"));
	struct ask_row a;
	struct kc_key_info k;
	int r = answer_check(ctl, data, &a, &k, d);

	if (r != 0)
		return r;
	if (kc_store_x(ctl->st,
		       "UPDATE approval_requests SET state = 'refused', answered_ms = ?, refusal = ? WHERE id = ?",
		       "IsI", kc_now_ms(), reason ? reason : "", id) < 0)
		return -EIO;
	(void)extra;
	answer_members(members, &a, &k);
	return 0;
}
