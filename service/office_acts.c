/* The office's acts signed in the console (service/office_acts.h). */
#include "service/office_acts.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "common/msg.h"
#include "common/util.h"
#include "service/office.h"
#include "service/problem_state.h"
#include "service/reports_impl.h"
#include "service/zone.h"
#include "service/store.h"

unsigned kc_office_status(int r)
{
	switch (r) {
	case 0:
		return 200;
	case -EINVAL:
		return 400;
	case -EPERM:
	case -EACCES:
		return 403;
	case -ENOENT:
		return 404;
	case -EAGAIN:
	case -EALREADY:
		return 409;
	default:
		return 500;
	}
}

bool kc_office_filled(const char *s)
{
	for (; s && *s; s++)
		if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
			return true;
	return false;
}

/* When, in the local time of cabinet's site. */
static void act_time(struct kc_db *db, const char *cabinet, int64_t ms, char *out, size_t len)
{
	kc_zone_format(kc_report_cabinet_zone(db, cabinet), ms, KC_DAY_LAST, out, len);
}

int kc_office_review(struct kc_db *db, const char *actor, const char *cabinet, int64_t handover, const char *note,
		     json_t **msg)
{
	sqlite3_stmt *st;
	char when[40] = "";
	char by[128] = "";
	int r, confirmed = 0, reviewed = 0;
	json_t *data;

	*msg = NULL;
	if (!kc_office_filled(cabinet) || handover < 1) {
		*msg = kc_msg_new(KCM_office_form_missing, "{s:s}", "field", !kc_office_filled(cabinet) ? "cabinet" : "handover");
		return -EINVAL;
	}
	if (kc_db_write_begin(db) < 0)
		goto store_failed;
	st = kc_db_stmt(db, "SELECT confirmed_ms IS NOT NULL, reviewed_ms, reviewed_by FROM handovers"
			    " WHERE cabinet = ? AND handover = ?");
	r = -EIO;
	if (st) {
		kc_bind_text(st, 1, cabinet);
		sqlite3_bind_int64(st, 2, handover);
		r = kc_db_row(st);
	}
	if (r == 0) {
		confirmed = sqlite3_column_int(st, 0);
		reviewed = sqlite3_column_type(st, 1) != SQLITE_NULL;
		if (reviewed) {
			act_time(db, cabinet, sqlite3_column_int64(st, 1), when, sizeof(when));
			kc_strlcpy(by, (const char *)sqlite3_column_text(st, 2) ?: "?", sizeof(by));
		}
		sqlite3_reset(st);
	}
	if (r == 0 && reviewed)
		r = -EALREADY;
	else if (r == 0 && !confirmed)
		r = -EAGAIN;
	if (r == 0) {
		data = json_pack("{s:s, s:I, s:s}", "cabinet", cabinet, "handover", (json_int_t)handover, "note",
				 note ? note : "");
		r = data ? kc_office_append(db, KC_EVT_OFFICE_HANDOVER_REVIEWED, actor, NULL, data, NULL) : -ENOMEM;
		json_decref(data);
	}
	r = kc_db_write_end(db, r);
	switch (r) {
	case 0:
		*msg = kc_msg_new(KCM_office_handover_review_signed, "{s:s, s:I}", "cabinet", cabinet, "handover",
				  (json_int_t)handover);
		return 0;
	case -ENOENT:
		*msg = kc_msg_new(KCM_office_handover_unknown, "{s:s, s:I}", "cabinet", cabinet, "handover",
				  (json_int_t)handover);
		return r;
	case -EAGAIN:
		*msg = kc_msg_new(KCM_office_handover_unconfirmed, "{s:s, s:I}", "cabinet", cabinet, "handover",
				  (json_int_t)handover);
		return r;
	case -EALREADY:
		*msg = kc_msg_new(KCM_office_handover_reviewed_already, "{s:s, s:I, s:s, s:s}", "cabinet", cabinet,
				  "handover", (json_int_t)handover, "by", by, "when", when);
		return r;
	}
store_failed:
	*msg = kc_msg_new(KCM_office_store_failed, NULL);
	return -EIO;
}

/* Where a problem stands, read in the act's transaction. */
struct problem {
	char site[256], unit[256];
	bool forwarded, resolved;
	char resolved_by[256], resolved_when[40];
};

/* 0, -ENOENT (no inspection of cabinet that found problems), -EIO. */
static int problem_load(struct kc_db *db, const char *cabinet, int64_t inspection, struct problem *p)
{
	sqlite3_stmt *st = kc_db_stmt(db,
		"SELECT i.site, i.unit, " KC_PROBLEM_STATE_SQL ", p.resolved_by, p.resolved_ms"
		" FROM inspections i LEFT JOIN problems p ON p.cabinet = i.cabinet AND p.seq = i.seq"
		" WHERE i.cabinet = ? AND i.seq = ? AND i.result = 'problems'");
	const char *state;
	int r;

	if (!st)
		return -EIO;
	kc_bind_text(st, 1, cabinet);
	sqlite3_bind_int64(st, 2, inspection);
	r = kc_db_row(st);
	if (r < 0)
		return r;
	memset(p, 0, sizeof(*p));
	kc_strlcpy(p->site, (const char *)sqlite3_column_text(st, 0) ?: "", sizeof(p->site));
	kc_strlcpy(p->unit, (const char *)sqlite3_column_text(st, 1) ?: "", sizeof(p->unit));
	state = (const char *)sqlite3_column_text(st, 2);
	p->resolved = strcmp(state, kc_problem_state_name(KC_PROBLEM_RESOLVED)) == 0;
	p->forwarded = p->resolved || strcmp(state, kc_problem_state_name(KC_PROBLEM_FORWARDED)) == 0;
	if (p->resolved) {
		kc_strlcpy(p->resolved_by, (const char *)sqlite3_column_text(st, 3) ?: "?", sizeof(p->resolved_by));
		act_time(db, cabinet, sqlite3_column_int64(st, 4), p->resolved_when, sizeof(p->resolved_when));
	}
	sqlite3_reset(st);
	return 0;
}

/* The message of a problem act that recorded nothing. */
static json_t *problem_refusal(int r, const char *cabinet, int64_t inspection, const struct problem *p)
{
	switch (r) {
	case -ENOENT:
		return kc_msg_new(KCM_office_problem_unknown, "{s:s, s:I}", "cabinet", cabinet, "inspection",
				  (json_int_t)inspection);
	case -EALREADY:
		return kc_msg_new(KCM_office_problem_resolved_already, "{s:s, s:s}", "by", p->resolved_by, "when",
				  p->resolved_when);
	case -EAGAIN:
		return kc_msg_new(KCM_office_problem_not_forwarded, NULL);
	default:
		return kc_msg_new(KCM_office_store_failed, NULL);
	}
}

/* Records a problem's next step (type, data) after the checks. */
static int problem_act(struct kc_db *db, const char *actor, const char *cabinet, int64_t inspection,
		       enum kc_event_type type, json_t *data, json_t **msg)
{
	struct problem p = { 0 };
	int r;

	if (!data) {
		*msg = kc_msg_new(KCM_office_store_failed, NULL);
		return -ENOMEM;
	}
	if (kc_db_write_begin(db) < 0) {
		json_decref(data);
		*msg = kc_msg_new(KCM_office_store_failed, NULL);
		return -EIO;
	}
	r = problem_load(db, cabinet, inspection, &p);
	if (r == 0 && p.resolved)
		r = -EALREADY;
	else if (r == 0 && type == KC_EVT_OFFICE_PROBLEM_RESOLVED && !p.forwarded)
		r = -EAGAIN;
	if (r == 0) {
		struct kc_office_about about = { .site = p.site[0] ? p.site : NULL, .unit = p.unit[0] ? p.unit : NULL };

		r = kc_office_append(db, type, actor, &about, data, NULL);
	}
	json_decref(data);
	r = kc_db_write_end(db, r);
	if (r < 0)
		*msg = problem_refusal(r, cabinet, inspection, &p);
	return r;
}

int kc_office_problem_forward(struct kc_db *db, const char *actor, const char *cabinet, int64_t inspection,
			      const char *department, const char *to, json_t **msg)
{
	int r;

	*msg = NULL;
	if (!kc_office_filled(cabinet) || inspection < 1) {
		*msg = kc_msg_new(KCM_office_form_missing, "{s:s}", "field", "inspection");
		return -EINVAL;
	}
	if (!kc_office_filled(department)) {
		*msg = kc_msg_new(KCM_office_problem_department, NULL);
		return -EINVAL;
	}
	r = problem_act(db, actor, cabinet, inspection, KC_EVT_OFFICE_PROBLEM_FORWARDED,
			json_pack("{s:s, s:I, s:s, s:s}", "cabinet", cabinet, "inspection", (json_int_t)inspection,
				  "department", department, "to", to ? to : ""),
			msg);
	if (r == 0)
		*msg = kc_msg_new(KCM_office_problem_forwarded, "{s:s}", "department", department);
	return r;
}

int kc_office_problem_resolve(struct kc_db *db, const char *actor, const char *cabinet, int64_t inspection,
			      const char *note, json_t **msg)
{
	int r;

	*msg = NULL;
	if (!kc_office_filled(cabinet) || inspection < 1) {
		*msg = kc_msg_new(KCM_office_form_missing, "{s:s}", "field", "inspection");
		return -EINVAL;
	}
	if (!kc_office_filled(note)) {
		*msg = kc_msg_new(KCM_office_problem_note, NULL);
		return -EINVAL;
	}
	r = problem_act(db, actor, cabinet, inspection, KC_EVT_OFFICE_PROBLEM_RESOLVED,
			json_pack("{s:s, s:I, s:s}", "cabinet", cabinet, "inspection", (json_int_t)inspection, "note",
				  note),
			msg);
	if (r == 0)
		*msg = kc_msg_new(KCM_office_problem_resolved, NULL);
	return r;
}
