/* The reads: every list a kiosk or `keycab ... --json` shows, status,
 * whoami, ping; and the test clock. */
#include <string.h>

#include "common/pdata.h"
#include "common/util.h"
#include "controller/backlog.h"
#include "controller/ctl.h"
#include "controller/hwlink.h"
#include "controller/outbox_ops.h"
#include "controller/request.h"
#include "controller/reply.h"
#include "controller/row.h"
#include "controller/rules.h"
#include "controller/rules_access.h"
#include "controller/session.h"

/* The slots as the slot layer reads them, with the key recorded in each
 * and the key each is home to. */
static json_t *slot_list(struct kc_ctl *ctl)
{
	json_t *arr = json_array();
	int n = kc_hwlink_slot_count(ctl->hw);

	for (int i = 0; i < n; i++) {
		struct kc_slot_reading hs;
		const char *name = kc_hwlink_slot_name(ctl->hw, i);
		char key[64] = "", home[64] = "";
		sqlite3_stmt *s;
		json_t *o;

		if (kc_hwlink_reading(ctl->hw, i, &hs) < 0)
			continue;
		s = kc_store_q(ctl->st, "SELECT code FROM keys WHERE slot = ?", "s", name);
		if (kc_row_step(s) == 0)
			kc_row_text(s, 0, key, sizeof(key));
		kc_row_done(s);
		s = kc_store_q(ctl->st, "SELECT code FROM keys WHERE home_slot = ?", "s", name);
		if (kc_row_step(s) == 0)
			kc_row_text(s, 0, home, sizeof(home));
		kc_row_done(s);
		o = json_pack("{s:s, s:s, s:I, s:b, s:b}", "slot", name, "presence",
			      kc_hwlink_presence_name(hs.presence), "tag", (json_int_t)hs.tag, "lock_on",
			      hs.lock_on, "reads_tags", hs.reads_tags);
		kc_json_str(o, "key", key[0] ? key : NULL);
		kc_json_str(o, "home_of", home[0] ? home : NULL);
		json_array_append_new(arr, o);
	}
	return arr;
}

/* Reads. Every list a kiosk or `keycab ... --json` shows. An owner's
 * phone, read by the desk to make the confirmation call (rule 2), is never
 * in full (kc_phone_mask: 138****5678); null when none is on file. */
static json_t *list(struct kc_ctl *ctl, const char *name, const char *sql)
{
	json_t *rep = kc_reply_ok(), *rows = kc_reply_rows(kc_store_q(ctl->st, sql, "")), *row;
	size_t i;

	json_array_foreach(rows, i, row)
		kc_json_phones_mask(row);
	json_object_set_new(rep, name, rows);
	return rep;
}

#define KEYS_SQL                                                                             \
	"SELECT k.code AS key, k.kind, k.unit, u.site, u.building, u.room, k.home_slot, k.slot,"  \
	" k.state, k.tag,"                                                                      \
	" (SELECT l.borrower FROM loans l WHERE l.key = k.code AND l.state IN ('granted','out'))" \
	" AS borrower,"                                                                        \
	" (SELECT l.due_ms FROM loans l WHERE l.key = k.code AND l.state = 'out') AS due_ms"   \
	" FROM keys k JOIN units u ON u.code = k.unit ORDER BY k.code"
#define LOANS_SQL                                                                              \
	"SELECT id AS loan, key, kind, purpose, borrower, borrower_type, operator, work_order,"  \
	" letter, approval, slot, return_slot, state, overdue, inspection, granted_ms, out_ms,"  \
	" in_ms, due_ms FROM loans"

/* What the desk should know of the link beyond its state: the service
 * found behind (an older backup), as a message; the all-clear of such a
 * finding for a day after it. NULL: nothing to say. */
static json_t *forward_message(struct kc_ctl *ctl, const struct kc_forward_status *fs)
{
	const struct kc_forward_behind *b = &fs->behind;
	enum kc_msg_code c;
	char at[32] = "";

	if (!b->behind_ms || (!fs->service_behind && kc_wall_ms() - b->caught_up_ms > KC_DAY_MS))
		return NULL;
	if (fs->service_behind)
		c = b->lost_to ? KCM_link_service_lost : KCM_link_service_behind;
	else
		c = b->lost_to ? KCM_link_service_gap_left : KCM_link_service_caught_up;
	if (b->caught_up_ms)
		kc_rules_fmt_local(b->caught_up_ms, at, sizeof(at));
	return kc_msg_new(c, "{s:I, s:I, s:I, s:s, s:s}", "service_seq", (json_int_t)b->service_seq, "from",
			  (json_int_t)b->from, "to", (json_int_t)(b->lost_to ? b->lost_to : b->to), "at", at,
			  "cabinet", kc_store_cabinet(ctl->st));
}

json_t *kc_reads_forward(struct kc_ctl *ctl)
{
	struct kc_forward_status fs;
	json_t *msg;

	if (!ctl->outbox)
		return json_null();
	kc_outbox_ops_link(ctl, &fs);
	msg = forward_message(ctl, &fs);
	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:i, s:s, s:b, s:o, s:O}", "state",
			 kc_forward_state_name(fs.state), "reason", fs.reason, "pending",
			 (json_int_t)fs.pending, "retained", (json_int_t)fs.retained, "last_acked_seq",
			 (json_int_t)fs.last_acked_seq, "service_seq", (json_int_t)fs.service_seq,
			 "consecutive_failures", fs.consecutive_failures, "last_error", fs.last_error,
			 "service_behind", fs.service_behind, "message", msg ? msg : json_null(), "feed",
			 ctl->link_feed ? ctl->link_feed : json_null());
}

json_t *kc_reads_status(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	json_t *rep = kc_reply_ok();
	int64_t v;

	(void)peer;
	(void)req;
	json_object_set_new(rep, "cabinet", json_string(kc_store_cabinet(ctl->st)));
	json_object_set_new(rep, "time_zone", json_string(kc_tz_name()));
	json_object_set_new(rep, "keys", kc_reply_rows(kc_store_q(ctl->st, KEYS_SQL, "")));
	json_object_set_new(rep, "slots", slot_list(ctl));
	json_object_set_new(rep, "inspections_pending",
			    kc_reply_rows(kc_store_q(ctl->st,
					    "SELECT id AS loan, key, borrower, in_ms FROM loans"
					    " WHERE inspection = 'pending' ORDER BY id",
					    "")));
	json_object_set_new(rep, "open_alarms",
			    json_integer(kc_store_int(ctl->st, &v,
						      "SELECT count(*) FROM alarms WHERE cleared_ms IS NULL",
						      "") == 0 ? v : -1));
	json_object_set_new(rep, "alarms",
			    kc_reply_rows(kc_store_q(ctl->st,
					    "SELECT id AS alarm, type, key, slot, raised_ms FROM alarms"
					    " WHERE cleared_ms IS NULL ORDER BY id",
					    "")));
	json_object_set_new(rep, "ids_held",
			    json_integer(kc_store_int(ctl->st, &v,
						      "SELECT count(*) FROM ids_held WHERE released_ms IS NULL",
						      "") == 0 ? v : -1));
	json_object_set_new(rep, "last_seq", json_integer(kc_store_last_seq(ctl->st)));
	if (kc_clock_offset())
		json_object_set_new(rep, "test_clock_offset_s", json_integer(kc_clock_offset() / 1000));
	json_object_set_new(rep, "forward", kc_reads_forward(ctl));
	json_object_set_new(rep, "storage", kc_backlog_storage(ctl));
	return rep;
}

json_t *kc_reads_whoami(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	struct kc_decision d;
	json_t *rep;

	(void)ctl;
	(void)req;
	kc_decision_init(&d);
	if (!kc_rules_need_login(peer, KCM_login_needed_whoami, "login", &d))
		return kc_reply_take(&d);
	kc_decision_clear(&d);
	rep = kc_reply_ok();
	json_object_set_new(rep, "person", json_string(peer->person));
	json_object_set_new(rep, "name", json_string(peer->name));
	json_object_set_new(rep, "role", json_string(peer->role));
	json_object_set_new(rep, "time_zone", json_string(kc_tz_name()));
	return rep;
}

/* How far the test clock may run ahead of the real one: 100 years, far
 * inside what a time in ms holds. */
#define TEST_CLOCK_MAX_S (36500LL * 86400)

json_t *kc_reads_test_clock(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	json_t *rep;

	(void)peer;
	if (!json_is_integer(json_object_get(req, "advance_s")) || kc_req_int(req, "advance_s") < 0 ||
	    kc_req_int(req, "advance_s") > TEST_CLOCK_MAX_S - kc_clock_offset() / 1000)
		return kc_reply_fail(KCM_test_clock_bad_advance, "{s:I}", "max_days",
				     (json_int_t)(TEST_CLOCK_MAX_S / 86400));
	kc_clock_advance(kc_req_int(req, "advance_s") * 1000);
	ctl->next_scan_mono = 0; /* scan for overdue loans and notices at once */
	rep = kc_reply_ok();
	json_object_set_new(rep, "offset_s", json_integer(kc_clock_offset() / 1000));
	kc_json_time(rep, "now", kc_now_ms());
	return rep;
}

json_t *kc_reads_ping(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	/* clients show times in the cabinet's zone */
	json_t *rep = kc_reply_ok();

	(void)ctl;
	(void)peer;
	(void)req;
	json_object_set_new(rep, "time_zone", json_string(kc_tz_name()));
	return rep;
}

json_t *kc_reads_slots(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	json_t *rep = kc_reply_ok();

	(void)peer;
	(void)req;
	json_object_set_new(rep, "slots", slot_list(ctl));
	return rep;
}

/* The lists: a name, and the query for its rows (for loans and alarms,
 * the open ones; all of them with "all"). */
static const struct {
	const char *name, *sql, *sql_all;
} lists[] = {
	{ "keys", KEYS_SQL, NULL },
	{ "loans", LOANS_SQL " WHERE state IN ('granted', 'out') ORDER BY id", LOANS_SQL " ORDER BY id" },
	{ "ids",
	  "SELECT i.loan, l.key, i.person, i.id_type, i.id_masked, i.held_ms,"
	  " l.state AS loan_state FROM ids_held i JOIN loans l ON l.id = i.loan"
	  " WHERE i.released_ms IS NULL ORDER BY i.loan",
	  NULL },
	{ "alarms",
	  "SELECT id AS alarm, type, key, slot, loan, detail, detail_msg, raised_ms"
	  " FROM alarms WHERE cleared_ms IS NULL ORDER BY id",
	  "SELECT id AS alarm, type, key, slot, loan, detail, detail_msg, raised_ms,"
	  " cleared_ms, cleared_by FROM alarms ORDER BY id" },
	{ "entrustments",
	  "SELECT e.id AS entrustment, e.key, e.owner, o.name AS owner_name,"
	  " o.phone AS owner_phone, e.start_ms, e.end_ms, e.state, e.closed_ms FROM entrustments e"
	  " JOIN owners o ON o.code = e.owner ORDER BY e.id",
	  NULL },
	{ "letters",
	  "SELECT l.id AS letter, l.entrustment, e.key, l.borrower, l.id_type,"
	  " l.id_masked, l.reference, l.valid_from AS valid_from_ms, l.valid_to AS valid_to_ms,"
	  " l.confirmed_by,"
	  " l.confirmed_ms, l.channel FROM letters l"
	  " JOIN entrustments e ON e.id = l.entrustment ORDER BY l.id",
	  NULL },
	{ "people",
	  "SELECT code AS person, name, role, phone, locked_until AS locked_until_ms,"
	  " card_hash IS NOT NULL AS has_card FROM people ORDER BY code",
	  NULL },
	{ "handovers",
	  "SELECT id AS handover, outgoing, started_ms, incoming, confirmed_ms, reviewer,"
	  " reviewed_ms, sheet FROM handovers ORDER BY id",
	  NULL },
	{ "notices",
	  "SELECT n.id AS notice, n.entrustment, e.key, e.owner, n.stage, n.at_ms"
	  " FROM notices n JOIN entrustments e ON e.id = n.entrustment ORDER BY n.id",
	  NULL },
	{ "approvals",
	  "SELECT id AS approval, key, manager, method, valid_from AS valid_from_ms,"
	  " valid_to AS valid_to_ms,"
	  " used_loan, request, asker FROM approvals ORDER BY id",
	  NULL },
	{ "units",
	  "SELECT u.code AS unit, u.site, s.name AS site_name, u.building, u.room, u.vacant"
	  " FROM units u JOIN sites s ON s.code = u.site ORDER BY u.site, u.building, u.room, u.code",
	  NULL },
	{ "approval_requests",
	  "SELECT r.id AS request, r.key, r.asker, r.manager, m.name AS manager_name, r.reason,"
	  " r.asked_ms, r.state, r.answered_ms, r.refusal, r.approval, a.valid_to AS valid_to_ms"
	  " FROM approval_requests r JOIN people m ON m.code = r.manager"
	  " LEFT JOIN approvals a ON a.id = r.approval WHERE r.state = 'pending' ORDER BY r.id",
	  "SELECT r.id AS request, r.key, r.asker, r.manager, m.name AS manager_name, r.reason,"
	  " r.asked_ms, r.state, r.answered_ms, r.refusal, r.approval, a.valid_to AS valid_to_ms"
	  " FROM approval_requests r JOIN people m ON m.code = r.manager"
	  " LEFT JOIN approvals a ON a.id = r.approval ORDER BY r.id" },
};

json_t *kc_reads_list(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	const char *op = kc_req_str(req, "op");
	bool all = json_is_true(json_object_get(req, "all"));

	(void)peer;
	for (size_t i = 0; i < KC_ARRAY_SIZE(lists); i++)
		if (strcmp(op, lists[i].name) == 0)
			return list(ctl, lists[i].name,
				    all && lists[i].sql_all ? lists[i].sql_all : lists[i].sql);
	return kc_reply_fail(KCM_op_unknown, "{s:s}", "op", op);
}
