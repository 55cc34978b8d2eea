/* The derived tables the reports read, kept in step with the events in
 * the ingest transaction (architecture decision 4: reports come from
 * events alone). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <jansson.h>
#include <string.h>

#include "common/util.h"
#include "common/event_types.h"
#include "service/derive.h"
#include "service/feed.h"
#include "service/notice_facts.h"

struct ctx {
	struct kc_db *db;
	const struct kc_audit_config *cfg;
	const json_t *ev;
	const json_t *data;
	int64_t ts_ms;
	int64_t now_ms;
};

/* Binds the arguments described by fmt, one letter each:
 *   e: a member of the event (next arg: name)
 *   d: a member of data (next arg: name)
 *   t: a time in data as ms, or NULL (next arg: name)
 *   T: the event's ts_ms
 *   b: a bool in data as 0/1 (next arg: name)
 *   s: a C string (next arg) */
static int run(struct ctx *c, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st = kc_db_stmt(c->db, sql);
	va_list ap;
	int i = 1, rc;

	if (!st)
		return -EIO;
	va_start(ap, fmt);
	for (const char *f = fmt; *f; f++, i++) {
		const char *name = *f == 'T' ? NULL : va_arg(ap, const char *);
		const json_t *v;
		int64_t ms;

		switch (*f) {
		case 'e':
			kc_bind_json_str(st, i, c->ev, name);
			break;
		case 'd':
			kc_bind_json_str(st, i, c->data, name);
			break;
		case 't':
			v = json_object_get(c->data, name);
			if (json_is_string(v) && kc_time_parse(json_string_value(v), &ms) == 0)
				sqlite3_bind_int64(st, i, ms);
			else
				sqlite3_bind_null(st, i);
			break;
		case 'T':
			sqlite3_bind_int64(st, i, c->ts_ms);
			break;
		case 'b':
			sqlite3_bind_int(st, i, json_is_true(json_object_get(c->data, name)));
			break;
		case 's':
			kc_bind_text(st, i, name);
			break;
		}
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	/* A member a report table needs is missing or wrong: the event's
	 * fault, not the database's (see ingest_one). */
	return (rc & 0xff) == SQLITE_CONSTRAINT ? -EINVAL : -EIO;
}

static int set_vacancy(struct ctx *c, bool vacant)
{
	int r;

	if (vacant)
		return run(c,
			   "INSERT INTO vacancies (site, unit, from_ms) SELECT ?1, ?2, ?3 WHERE NOT EXISTS"
			   " (SELECT 1 FROM vacancies WHERE site = ?1 AND unit = ?2 AND to_ms IS NULL)",
			   "eeT", "site", "unit");
	r = run(c, "UPDATE vacancies SET to_ms = ?3 WHERE site = ?1 AND unit = ?2 AND to_ms IS NULL",
		"eeT", "site", "unit");
	return r;
}

static int notice(struct ctx *c, enum kc_notice_kind kind)
{
	return kc_notice_event(c->db, c->cfg, kind, c->ev, c->now_ms);
}

/* Whether the owners of site's entrusted keys hear of their keys' use
 * ([notify] key_use_sites: codes, or "*"). */
static bool key_use_told(const struct kc_audit_config *cfg, const char *site)
{
	const char *p = cfg->key_use_sites;
	size_t n = site ? strlen(site) : 0;

	while (p && *p) {
		size_t w;

		p += strspn(p, " ,");
		w = strcspn(p, " ,");
		if ((w == 1 && *p == '*') || (site && w == n && strncmp(p, site, n) == 0))
			return true;
		p += w;
	}
	return false;
}

/* key_out, key_back: an entrusted key left or came back, told to its
 * owner where the key's site says so */
static int key_use_notice(struct ctx *c, enum kc_notice_kind kind)
{
	sqlite3_stmt *st = kc_db_stmt(c->db, "SELECT kind, site FROM keys WHERE cabinet = ? AND key = ?");
	bool entrusted = false, told = false;

	if (!st)
		return -EIO;
	kc_bind_json_str(st, 1, c->ev, "cabinet");
	kc_bind_json_str(st, 2, c->ev, "key");
	if (sqlite3_step(st) == SQLITE_ROW) {
		entrusted = strcmp((const char *)sqlite3_column_text(st, 0) ?: "", "entrusted") == 0;
		told = key_use_told(c->cfg, (const char *)sqlite3_column_text(st, 1));
	}
	sqlite3_reset(st);
	return entrusted && told ? notice(c, kind) : 0;
}

typedef int (*derive_fn)(struct ctx *c);

static int derive_site_registered(struct ctx *c)
{
	const char *age = json_string_value(json_object_get(c->data, "age"));

	return run(c, "INSERT OR REPLACE INTO sites (site, name, age) VALUES (?,?,?)", "eds", "site", "name",
		   age && strcmp(age, "new") == 0 ? "new" : "old");
}

static int derive_unit_registered(struct ctx *c)
{
	int r = run(c,
		    "INSERT INTO units (site, unit, building, room, vacant) VALUES (?,?,?,?,?)"
		    " ON CONFLICT (site, unit) DO UPDATE SET building = excluded.building,"
		    " room = excluded.room, vacant = excluded.vacant",
		    "eeddb", "site", "unit", "building", "room", "vacant");

	return r < 0 ? r : set_vacancy(c, json_is_true(json_object_get(c->data, "vacant")));
}

static int derive_unit_vacancy(struct ctx *c)
{
	int r = run(c,
		    "INSERT INTO units (site, unit, vacant) VALUES (?,?,?)"
		    " ON CONFLICT (site, unit) DO UPDATE SET vacant = excluded.vacant",
		    "eeb", "site", "unit", "vacant");

	return r < 0 ? r : set_vacancy(c, json_is_true(json_object_get(c->data, "vacant")));
}

static int derive_key_registered(struct ctx *c)
{
	return run(c, "INSERT OR REPLACE INTO keys (cabinet, key, kind, unit, site, slot) VALUES (?,?,?,?,?,?)",
		   "eeeeee", "cabinet", "key", "kind", "unit", "site", "slot");
}

static int derive_entrustment_registered(struct ctx *c)
{
	return run(c,
		   "INSERT OR REPLACE INTO entrustments (cabinet, entrustment, key, unit, site, owner,"
		   " owner_name, owner_phone, start_ms, end_ms, phone_sealed) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
		   "edeeeeddttd", "cabinet", "entrustment", "key", "unit", "site", "person", "owner_name",
		   "owner_phone", "start", "end", "phone_sealed");
}

/* An entrustment extended or ended early: its new end. */
static int derive_entrustment_changed(struct ctx *c)
{
	return run(c, "UPDATE entrustments SET end_ms = ? WHERE cabinet = ? AND entrustment = ?", "ted", "end",
		   "cabinet", "entrustment");
}

/* collection.completed and entrustment.closed */
static int derive_entrustment_closed(struct ctx *c)
{
	const json_t *reason = json_object_get(c->data, "reason");
	int r;

	/* The owner took the key home: that loan never comes back. */
	if (json_is_integer(json_object_get(c->data, "loan"))) {
		r = run(c, "UPDATE loans SET state = 'collected' WHERE cabinet = ? AND loan = ?", "ed", "cabinet",
			"loan");
		if (r < 0)
			return r;
	}
	return run(c,
		   "UPDATE entrustments SET closed_ms = coalesce(closed_ms, ?), close_reason ="
		   " coalesce(close_reason, ?) WHERE cabinet = ? AND entrustment = ?",
		   "Tsed", json_is_string(reason) ? json_string_value(reason) : "collected", "cabinet",
		   "entrustment");
}

static int derive_release_granted(struct ctx *c)
{
	return run(c,
		   "INSERT OR REPLACE INTO loans (cabinet, loan, key, kind, unit, site, slot, person,"
		   " actor, purpose, work_order, out_ms, due_ms, contact, signature, phone_sealed)"
		   " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		   "edeeeeeeeddTtddd", "cabinet", "loan", "key", "kind", "unit", "site", "slot", "person",
		   "actor", "purpose", "work_order", "due", "contact", "signature", "phone_sealed");
}

static int derive_release_taken(struct ctx *c)
{
	int r = run(c, "UPDATE loans SET state = 'out', out_ms = ? WHERE cabinet = ? AND loan = ?", "Ted",
		    "cabinet", "loan");

	return r < 0 ? r : key_use_notice(c, KC_NOTICE_KEY_OUT);
}

static int derive_release_not_taken(struct ctx *c)
{
	return run(c, "UPDATE loans SET state = 'not_taken' WHERE cabinet = ? AND loan = ?", "ed", "cabinet",
		   "loan");
}

static int derive_loan_returned(struct ctx *c)
{
	int r = run(c,
		    "UPDATE loans SET state = 'returned', returned_ms = ?, overdue = max(overdue, ?)"
		    " WHERE cabinet = ? AND loan = ?",
		    "Tbed", "overdue", "cabinet", "loan");

	return r < 0 ? r : key_use_notice(c, KC_NOTICE_KEY_BACK);
}

static int derive_loan_overdue(struct ctx *c)
{
	int r = run(c, "UPDATE loans SET overdue = 1 WHERE cabinet = ? AND loan = ?", "ed", "cabinet", "loan");

	return r < 0 ? r : notice(c, KC_NOTICE_LOAN_OVERDUE);
}

static int derive_inspection_recorded(struct ctx *c)
{
	return run(c,
		   /* The inspector: the event's person, the engineer who
		    * borrowed the key; for an event without one, the loan's. */
		   "INSERT OR REPLACE INTO inspections (cabinet, seq, loan, ts_ms, key, unit, site,"
		   " actor, result, problems, forwarded_to, inspector) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,"
		   "?9,?10,?11, coalesce(?12, (SELECT person FROM loans WHERE cabinet = ?1 AND loan = ?3)))",
		   "eedTeeeeddde", "cabinet", "seq", "loan", "key", "unit", "site", "actor", "result",
		   "problems", "forwarded_to", "person");
}

static int derive_id_held(struct ctx *c)
{
	return run(c,
		   "INSERT OR REPLACE INTO ids_held (cabinet, loan, person, key, site, id_type,"
		   " id_masked, held_ms) VALUES (?,?,?,?,"
		   " (SELECT site FROM keys WHERE keys.cabinet = ?1 AND keys.key = ?4),?,?,?)",
		   "edeeddT", "cabinet", "loan", "person", "key", "id_type", "id_masked");
}

static int derive_id_released(struct ctx *c)
{
	return run(c, "UPDATE ids_held SET released_ms = ? WHERE cabinet = ? AND loan = ?", "Ted", "cabinet",
		   "loan");
}

static int derive_handover_started(struct ctx *c)
{
	char *keys = json_dumps(json_object_get(c->data, "keys_out"), JSON_COMPACT | JSON_ENCODE_ANY);
	char *ids = json_dumps(json_object_get(c->data, "ids_held"), JSON_COMPACT | JSON_ENCODE_ANY);
	char *alarms = json_dumps(json_object_get(c->data, "alarms"), JSON_COMPACT | JSON_ENCODE_ANY);
	int r;

	r = run(c,
		"INSERT OR REPLACE INTO handovers (cabinet, handover, outgoing, started_ms, keys_out,"
		" ids_held, alarms) VALUES (?,?,?,?,?,?,?)",
		"edeTsss", "cabinet", "handover", "actor", keys ? keys : "[]", ids ? ids : "[]",
		alarms ? alarms : "[]");
	free(keys);
	free(ids);
	free(alarms);
	return r;
}

static int derive_handover_confirmed(struct ctx *c)
{
	return run(c, "UPDATE handovers SET incoming = ?, confirmed_ms = ? WHERE cabinet = ? AND handover = ?",
		   "eTed", "actor", "cabinet", "handover");
}

/* A handover is reviewed once, at the cabinet or at the office: the
 * first review to arrive is kept, whichever end signed it. */
static int derive_handover_reviewed(struct ctx *c)
{
	return run(c,
		   "UPDATE handovers SET reviewed_by = ?, reviewed_ms = ?, review_note = ?, reviewed_at = 'cabinet'"
		   " WHERE cabinet = ? AND handover = ? AND reviewed_ms IS NULL",
		   "eTded", "actor", "note", "cabinet", "handover");
}

/* office chain: data names the handover's cabinet (its chain key) */
static int derive_office_handover_reviewed(struct ctx *c)
{
	return run(c,
		   "UPDATE handovers SET reviewed_by = ?, reviewed_ms = ?, review_note = ?, reviewed_at = 'office'"
		   " WHERE cabinet = ? AND handover = ? AND reviewed_ms IS NULL",
		   "eTddd", "actor", "note", "cabinet", "handover");
}

/* office chain: data names the problem by its inspection (cabinet, seq) */
static int derive_office_problem_forwarded(struct ctx *c)
{
	return run(c,
		   "INSERT INTO problems (cabinet, seq, department, forwarded_to, forwarded_by, forwarded_ms)"
		   " VALUES (?,?,?,?,?,?) ON CONFLICT (cabinet, seq) DO UPDATE SET department = excluded.department,"
		   " forwarded_to = excluded.forwarded_to, forwarded_by = excluded.forwarded_by,"
		   " forwarded_ms = excluded.forwarded_ms",
		   "ddddeT", "cabinet", "inspection", "department", "to", "actor");
}

/* A problem the cabinet forwarded (its inspection names a department)
 * has no row before it is resolved; its department is the cabinet's. The
 * upsert's NOT NULL department holds before its conflict is seen, so the
 * row's own department is read first. */
static int derive_office_problem_resolved(struct ctx *c)
{
	return run(c,
		   "INSERT INTO problems (cabinet, seq, department, resolved_by, resolved_ms, resolution)"
		   " VALUES (?1, ?2, coalesce((SELECT department FROM problems WHERE cabinet = ?1 AND seq = ?2),"
		   " (SELECT nullif(forwarded_to, '') FROM inspections WHERE cabinet = ?1 AND seq = ?2)),"
		   " ?3, ?4, ?5) ON CONFLICT (cabinet, seq) DO UPDATE SET resolved_by = excluded.resolved_by,"
		   " resolved_ms = excluded.resolved_ms, resolution = excluded.resolution",
		   "ddeTd", "cabinet", "inspection", "actor", "note");
}

/* A clerk's request for a manager's approval (service/approvals.c); a
 * request seen again (an event sent twice) is kept as first derived. */
static int derive_approval_asked(struct ctx *c)
{
	return run(c,
		   "INSERT OR IGNORE INTO approval_requests (cabinet, request, asked_ms, asker, manager, key, unit,"
		   " site, reason) VALUES (?,?,?,?,?,?,?,?,?)",
		   "edTedeeed", "cabinet", "request", "actor", "manager", "key", "unit", "site", "reason");
}

static int derive_approval_cancelled(struct ctx *c)
{
	return run(c,
		   "UPDATE approval_requests SET state = 'cancelled', answered_ms = ?"
		   " WHERE cabinet = ? AND request = ? AND state = 'pending'",
		   "Ted", "cabinet", "request");
}

/* office chain: data names the request by its cabinet */
static int derive_office_approval_granted(struct ctx *c)
{
	return run(c,
		   "UPDATE approval_requests SET state = 'granted', answered_by = ?, answered_ms = ?, valid_to_ms = ?"
		   " WHERE cabinet = ? AND request = ? AND state = 'pending'",
		   "eTtdd", "actor", "valid_to", "cabinet", "request");
}

static int derive_office_approval_refused(struct ctx *c)
{
	return run(c,
		   "UPDATE approval_requests SET state = 'refused', answered_by = ?, answered_ms = ?, refusal = ?"
		   " WHERE cabinet = ? AND request = ? AND state = 'pending'",
		   "eTddd", "actor", "reason", "cabinet", "request");
}

static int derive_notice_due(struct ctx *c)
{
	const char *stage = json_string_value(json_object_get(c->data, "stage"));
	enum kc_notice_kind k = KC_NOTICE_REMINDER;

	if (stage && strcmp(stage, "before_end") == 0)
		k = KC_NOTICE_BEFORE_END;
	else if (stage && strcmp(stage, "end") == 0)
		k = KC_NOTICE_END;
	return notice(c, k);
}

static int derive_alarm_raised(struct ctx *c)
{
	const char *at = json_string_value(json_object_get(c->data, "alarm_type"));
	int r;

	r = run(c,
		"INSERT OR REPLACE INTO alarms (cabinet, alarm, alarm_type, key, slot, unit, site,"
		" person, detail, raised_ms) VALUES (?,?,?,?,?,?,?,?,?,?)",
		"edd" "eeeee" "dT", "cabinet", "alarm", "alarm_type", "key", "slot", "unit", "site", "person",
		"detail");
	if (r < 0 || !at)
		return r;
	/* a board's fault: one alarm naming its board and slots */
	if (strcmp(at, "fault") == 0 && json_object_get(c->data, "board"))
		return notice(c, KC_NOTICE_BOARD_FAULT);
	if (strcmp(at, "tamper") != 0 && strcmp(at, "wrong_slot") != 0)
		return r;
	return notice(c, KC_NOTICE_ALARM);
}

static int derive_alarm_cleared(struct ctx *c)
{
	const char *at = json_string_value(json_object_get(c->data, "alarm_type"));
	int r = run(c, "UPDATE alarms SET cleared_ms = ?, cleared_by = ? WHERE cabinet = ? AND alarm = ?", "Teed",
		    "actor", "cabinet", "alarm");

	if (r < 0 || !at || strcmp(at, "fault") != 0 || !json_object_get(c->data, "board"))
		return r;
	return notice(c, KC_NOTICE_BOARD_OK);
}

/* key.set applied: the key as key.registered gives it; the kind, unit
 * and slot from the change's data where the event names none. */
static int derive_estate_key(struct ctx *c)
{
	return run(c,
		   "INSERT OR REPLACE INTO keys (cabinet, key, kind, unit, site, slot)"
		   " VALUES (?,?,coalesce(?,?),coalesce(?,?),?,coalesce(?,?))",
		   "eeedededd", "cabinet", "key", "kind", "kind", "unit", "unit", "site", "slot", "slot");
}

/* The report rows of an applied change, as its *.registered type's
 * (person.set: none, as person.registered). */
static const struct {
	const char *change_type;
	derive_fn fn;
} estate_derive[] = {
	{ "site.set", derive_site_registered },
	{ "unit.set", derive_unit_registered },
	{ "key.set", derive_estate_key },
};

/* estate.applied, estate.refused: the feed's change marked, an applied
 * change's report rows. */
static int derive_estate(struct ctx *c)
{
	const char *type = json_string_value(json_object_get(c->ev, "type"));
	const char *change_type = json_string_value(json_object_get(c->data, "change_type"));
	const json_t *change = json_object_get(c->data, "change");
	const char *chain = json_string_value(json_object_get(c->ev, "cabinet"));
	bool refused = type && strcmp(type, "estate.refused") == 0;
	char cabinet[128];
	int r;

	if (!json_is_integer(change) || !change_type || !chain)
		return -EINVAL;
	/* the feed is the cabinet's, whatever its chain's epoch ("C1~2") */
	snprintf(cabinet, sizeof(cabinet), "%.*s", (int)strcspn(chain, "~"), chain);
	r = kc_feed_mark(c->db, cabinet, json_integer_value(change),
			 refused, c->ts_ms, json_integer_value(json_object_get(c->ev, "seq")),
			 json_string_value(json_object_get(c->data, "code")), json_object_get(c->data, "params"));
	for (size_t i = 0; r == 0 && !refused && i < KC_ARRAY_SIZE(estate_derive); i++)
		if (strcmp(change_type, estate_derive[i].change_type) == 0)
			r = estate_derive[i].fn(c);
	return r;
}

/* The report tables each type updates; the types marked KC_EVT_DERIVED in
 * common/event_types.h, and only those, have a function here. */
static const derive_fn derive_by_type[KC_EVT_COUNT] = {
	[KC_EVT_SITE_REGISTERED] = derive_site_registered,
	[KC_EVT_UNIT_REGISTERED] = derive_unit_registered,
	[KC_EVT_UNIT_VACANCY] = derive_unit_vacancy,
	[KC_EVT_KEY_REGISTERED] = derive_key_registered,
	[KC_EVT_ENTRUSTMENT_REGISTERED] = derive_entrustment_registered,
	[KC_EVT_COLLECTION_COMPLETED] = derive_entrustment_closed,
	[KC_EVT_ENTRUSTMENT_CLOSED] = derive_entrustment_closed,
	[KC_EVT_ENTRUSTMENT_CHANGED] = derive_entrustment_changed,
	[KC_EVT_RELEASE_GRANTED] = derive_release_granted,
	[KC_EVT_RELEASE_TAKEN] = derive_release_taken,
	[KC_EVT_RELEASE_NOT_TAKEN] = derive_release_not_taken,
	[KC_EVT_LOAN_RETURNED] = derive_loan_returned,
	[KC_EVT_LOAN_OVERDUE] = derive_loan_overdue,
	[KC_EVT_INSPECTION_RECORDED] = derive_inspection_recorded,
	[KC_EVT_ID_HELD] = derive_id_held,
	[KC_EVT_ID_RELEASED] = derive_id_released,
	[KC_EVT_HANDOVER_STARTED] = derive_handover_started,
	[KC_EVT_HANDOVER_CONFIRMED] = derive_handover_confirmed,
	[KC_EVT_HANDOVER_REVIEWED] = derive_handover_reviewed,
	[KC_EVT_NOTICE_DUE] = derive_notice_due,
	[KC_EVT_ALARM_RAISED] = derive_alarm_raised,
	[KC_EVT_ALARM_CLEARED] = derive_alarm_cleared,
	[KC_EVT_OFFICE_HANDOVER_REVIEWED] = derive_office_handover_reviewed,
	[KC_EVT_OFFICE_PROBLEM_FORWARDED] = derive_office_problem_forwarded,
	[KC_EVT_OFFICE_PROBLEM_RESOLVED] = derive_office_problem_resolved,
	[KC_EVT_ESTATE_APPLIED] = derive_estate,
	[KC_EVT_ESTATE_REFUSED] = derive_estate,
	[KC_EVT_APPROVAL_ASKED] = derive_approval_asked,
	[KC_EVT_APPROVAL_CANCELLED] = derive_approval_cancelled,
	[KC_EVT_OFFICE_APPROVAL_GRANTED] = derive_office_approval_granted,
	[KC_EVT_OFFICE_APPROVAL_REFUSED] = derive_office_approval_refused,
};

bool kc_derive_has(enum kc_event_type t)
{
	return (unsigned)t < KC_EVT_COUNT && derive_by_type[t];
}

int kc_derive_event(struct kc_db *db, const struct kc_audit_config *cfg, const json_t *ev,
		    int64_t ts_ms, int64_t now_ms)
{
	struct ctx c = { db, cfg, ev, json_object_get(ev, "data"), ts_ms, now_ms };
	enum kc_event_type t;

	if (kc_event_type_find(json_string_value(json_object_get(ev, "type")), &t) < 0 || !derive_by_type[t])
		return 0;
	return derive_by_type[t](&c);
}

int kc_derive_stored(struct kc_db *db, const struct kc_audit_config *cfg, const char *chain, const json_t *ev,
		     int64_t ts_ms, int64_t now_ms)
{
	json_t *keyed = NULL;
	int r;

	if (strcmp(chain, json_string_value(json_object_get(ev, "cabinet")) ?: "") != 0) {
		keyed = json_copy((json_t *)ev);
		if (!keyed || json_object_set_new(keyed, "cabinet", json_string(chain)) < 0) {
			json_decref(keyed);
			return -ENOMEM;
		}
	}
	r = kc_db_exec(db, "SAVEPOINT derive");
	if (r == 0)
		r = kc_derive_event(db, cfg, keyed ? keyed : ev, ts_ms, now_ms);
	json_decref(keyed);
	if (r == -EINVAL && kc_db_exec(db, "ROLLBACK TO derive") < 0)
		return -EIO;
	if (r >= 0 || r == -EINVAL) {
		if (kc_db_exec(db, "RELEASE derive") < 0)
			return -EIO;
	}
	return r;
}
