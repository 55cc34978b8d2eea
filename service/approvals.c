/* A manager's approval from the office (service/approvals.h). */
#include "service/approvals.h"

#include <errno.h>
#include <string.h>

#include "common/event.h"
#include "common/msg.h"
#include "common/util.h"
#include "service/auth.h"
#include "service/feed.h"
#include "service/office.h"
#include "service/office_acts.h"
#include "service/reports_impl.h"
#include "service/zone.h"

/* The asker's name: the office's estate people, else as the cabinets
 * registered them (person.registered, or an estate.applied person.set),
 * the newest. */
#define PERSON_NAME_SQL_ASKER                                                                                 \
	"coalesce((SELECT p.name FROM estate_people p WHERE p.person = r.asker),"                            \
	" (SELECT json_extract(e.body, '$.data.name') FROM events e WHERE e.person = r.asker AND (e.type ="  \
	" 'person.registered' OR (e.type = 'estate.applied' AND json_extract(e.body, '$.data.change_type') =" \
	" 'person.set')) ORDER BY e.ts_ms DESC LIMIT 1))"

int kc_approvals_person(struct kc_db *db, const char *account, char *person, size_t len)
{
	sqlite3_stmt *st = kc_db_q(db, "SELECT person FROM users WHERE name = ? AND role = 'manager'"
				       " AND person IS NOT NULL AND disabled_ms IS NULL",
				   "s", account);
	int r = st ? kc_db_row(st) : -EIO;

	if (r == -ENOENT)
		return -EPERM;
	if (r < 0)
		return -EIO;
	kc_strlcpy(person, (const char *)sqlite3_column_text(st, 0), len);
	sqlite3_reset(st);
	return 0;
}

/* Each row's unit_label: its unit as people name it (1栋103), from the
 * units the cabinets registered; its code when they did not. 0, -EIO. */
static int unit_labels(struct kc_db *db, json_t *rows)
{
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row) {
		sqlite3_stmt *st = kc_db_q(db, kc_report_unit_label_sql, "ss",
					   json_string_value(json_object_get(row, "unit")),
					   json_string_value(json_object_get(row, "site")));
		int r = st ? kc_db_row(st) : -EIO;

		if (r == -EIO)
			return r;
		if (r == 0) {
			json_object_set_new(row, "unit_label", kc_column_json(st, 0));
			sqlite3_reset(st);
		}
	}
	return 0;
}

json_t *kc_approvals_pending(struct kc_db *db, const char *person)
{
	sqlite3_stmt *st = kc_db_q(
		db,
		"SELECT r.cabinet, r.request, r.asked_ms, r.asker, coalesce(" PERSON_NAME_SQL_ASKER ", r.asker),"
		" r.key, k.kind, r.unit, r.unit,"
		" r.site, coalesce((SELECT s.name FROM sites s WHERE s.site = r.site), r.site), r.reason"
		" FROM approval_requests r LEFT JOIN keys k ON k.cabinet = r.cabinet AND k.key = r.key"
		" WHERE r.manager = ? AND r.state = 'pending' ORDER BY r.asked_ms, r.cabinet, r.request",
		"s", person);
	static const char *const cols[] = { "cabinet", "request", "asked_ms", "asker", "asker_name", "key",
					    "kind", "unit", "unit_label", "site", "site_name", "reason" };
	json_t *out = json_array();
	int rc;

	if (!st || !out) {
		json_decref(out);
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_object();

		for (size_t i = 0; i < KC_ARRAY_SIZE(cols); i++)
			json_object_set_new(row, cols[i], kc_column_json(st, (int)i));
		json_array_append_new(out, row);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE || unit_labels(db, out) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* A request as the answer reads it, in the answer's transaction. */
struct ask {
	char key[128], unit[128], site[128], asker[128], manager[128], state[16], asker_name[128];
};

/* 0, -ENOENT, -EIO. */
static int ask_load(struct kc_db *db, const char *cabinet, int64_t request, struct ask *a)
{
	sqlite3_stmt *st = kc_db_q(db,
				   "SELECT coalesce(r.key, ''), coalesce(r.unit, ''), coalesce(r.site, ''), r.asker,"
				   " r.manager, r.state, coalesce(" PERSON_NAME_SQL_ASKER ", r.asker)"
				   " FROM approval_requests r WHERE r.cabinet = ? AND r.request = ?",
				   "sI", cabinet, request);
	char *const out[] = { a->key, a->unit, a->site, a->asker, a->manager, a->state, a->asker_name };
	int r = st ? kc_db_row(st) : -EIO;

	if (r < 0)
		return r;
	for (size_t i = 0; i < KC_ARRAY_SIZE(out); i++)
		kc_strlcpy(out[i], (const char *)sqlite3_column_text(st, (int)i) ?: "", sizeof(a->key));
	sqlite3_reset(st);
	return 0;
}

/* Four eyes on what the office knows: the manager is not the asker, and
 * nothing records the asker registering the manager: a cabinet's
 * person.registered by the asker, a person.set applied naming the asker
 * as who enrolled them, the office's estate people (enrolled_by).
 * 0, -EACCES (*msg set), -EIO. */
static int four_eyes(struct kc_db *db, const struct ask *a, json_t **msg)
{
	int64_t n = 0;

	if (strcmp(a->asker, a->manager) == 0) {
		*msg = kc_msg_new(KCM_approval_office_self, NULL);
		return -EACCES;
	}
	if (kc_db_int(db, &n,
		      "SELECT (SELECT count(*) FROM events WHERE person = ?1 AND ((type = 'person.registered'"
		      " AND actor = ?2) OR (type = 'estate.applied' AND json_extract(body, '$.data.change_type') ="
		      " 'person.set' AND json_extract(body, '$.data.enrolled_by') = ?2)))"
		      " + (SELECT count(*) FROM estate_people WHERE person = ?1 AND enrolled_by = ?2)",
		      "ss", a->manager, a->asker) < 0)
		return -EIO;
	if (n > 0) {
		*msg = kc_msg_new(KCM_approval_office_enrolled_by_asker, "{s:s}", "asker", a->asker_name);
		return -EACCES;
	}
	return 0;
}

/* The checks before an answer, in its transaction: 0 or the refusal
 * (*msg set, but for -EIO). */
static int answer_check(struct kc_db *db, const char *person, const char *cabinet, int64_t request,
			struct ask *a, json_t **msg)
{
	int r = ask_load(db, cabinet, request, a);

	if (r == -ENOENT) {
		*msg = kc_msg_new(KCM_approval_office_unknown, "{s:s, s:I}", "cabinet", cabinet, "request",
				  (json_int_t)request);
		return r;
	}
	if (r < 0)
		return r;
	if (strcmp(a->state, "pending") != 0) {
		*msg = kc_msg_new(KCM_approval_office_answered, "{s:s}", "state", a->state);
		return -EALREADY;
	}
	if (strcmp(a->manager, person) != 0) {
		*msg = kc_msg_new(KCM_approval_office_other_manager, NULL);
		return -EPERM;
	}
	return four_eyes(db, a, msg);
}

/* The office-chain event and the cabinet's change of an answer: 0,
 * -EAGAIN (a standalone cabinet: it takes no change), -ENOMEM, -EIO. */
static int answer_write(struct kc_db *db, const char *account, const char *cabinet, int64_t request,
			const struct ask *a, bool grant, const char *reason, int64_t valid_to, int64_t now_ms)
{
	struct kc_office_about about = { .site = a->site[0] ? a->site : NULL, .unit = a->unit[0] ? a->unit : NULL,
					 .key = a->key[0] ? a->key : NULL, .person = a->asker };
	json_t *change = json_pack("{s:I, s:s, s:s}", "request", (json_int_t)request, "key", a->key, "manager",
				   a->manager);
	json_t *data = NULL;
	int r = -ENOMEM;

	if (!change)
		return -ENOMEM;
	if (grant) {
		kc_json_str(change, "asker", a->asker);
		kc_json_time(change, "valid_to", valid_to);
	} else {
		kc_json_str(change, "reason", reason);
	}
	data = json_deep_copy(change);
	if (data && json_object_set_new(data, "cabinet", json_string(cabinet)) == 0) {
		json_object_set_new(data, "asker", json_string(a->asker));
		r = kc_office_append(db, grant ? KC_EVT_OFFICE_APPROVAL_GRANTED : KC_EVT_OFFICE_APPROVAL_REFUSED,
				     account, &about, data, NULL);
	}
	if (r == 0) {
		int64_t n = kc_feed_add(db, cabinet, grant ? "approval.grant" : "approval.refuse", change, account,
					now_ms);

		r = n > 0 ? 0 : n == -EPERM ? -EAGAIN : (int)n;
	}
	json_decref(change);
	json_decref(data);
	return r;
}

int kc_approvals_answer(struct kc_db *db, const char *account, const char *cabinet, int64_t request, bool grant,
			const char *reason, int64_t valid_ms, int64_t now_ms, json_t **msg)
{
	char person[128], until[40];
	struct ask a;
	int r;

	*msg = NULL;
	r = kc_approvals_person(db, account, person, sizeof(person));
	if (r == -EPERM) {
		*msg = kc_msg_new(KCM_approval_office_not_manager, NULL);
		return r;
	}
	if (r == 0 && !grant && !kc_office_filled(reason)) {
		*msg = kc_msg_new(KCM_approval_office_refusal_reason_needed, NULL);
		return -EINVAL;
	}
	if (r < 0 || kc_db_write_begin(db) < 0) {
		*msg = kc_msg_new(KCM_approval_office_store_failed, NULL);
		return -EIO;
	}
	r = answer_check(db, person, cabinet, request, &a, msg);
	if (r == 0)
		r = answer_write(db, account, cabinet, request, &a, grant, reason, now_ms + valid_ms, now_ms);
	r = kc_db_write_end(db, r);
	if (r == -EAGAIN)
		*msg = kc_msg_new(KCM_approval_office_standalone, "{s:s}", "cabinet", cabinet);
	if (r == 0) {
		kc_zone_format(kc_report_cabinet_zone(db, cabinet), now_ms + valid_ms, KC_DAY_LAST, until,
			       sizeof(until));
		*msg = grant ? kc_msg_new(KCM_approval_office_granted, "{s:s, s:s}", "asker", a.asker_name, "valid_to",
					  until)
			     : kc_msg_new(KCM_approval_office_refused, "{s:s}", "asker", a.asker_name);
	} else if (!*msg) {
		*msg = kc_msg_new(KCM_approval_office_store_failed, NULL);
	}
	return r;
}
