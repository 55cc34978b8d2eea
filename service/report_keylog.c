/* The key log: events filtered by site, cabinet, building, unit, key,
 * person (by name or code), kind and type (report 1), newest first, each
 * as a sentence (service/keylog_text.c).
 *
 * Paging is by keyset: a page starts after (or ends before) the cursor
 * "ts_ms.seq.cabinet" of a row, so every page is one index range read,
 * the last as fast as the first. The total is counted up to
 * KEYLOG_COUNT_CAP rows; beyond that the section says "more". */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/keylog_text.h"
#include "service/words.h"
#include "service/mask.h"
#include "service/pinyin.h"
#include "service/reports_impl.h"
#include "service/scope.h"

#define KEYLOG_COUNT_CAP 10000

enum { C_TS, C_CAB, C_SEQ, C_TYPE, C_ACTOR, C_PERSON, C_KEY, C_KIND, C_UNIT, C_SITE, C_SLOT, C_WHY, C_DATA };

static const struct kc_report_col keylog_cols[] = {
	{ "ts", KC_N_("Time"), 't' },		{ "cabinet", KC_N_("Cabinet"), 's' },
	{ "seq", KC_N_("Seq"), 's' },		{ "type", KC_N_("Event code"), 's' },
	{ "actor", KC_N_("Operator"), 's' },	{ "person", KC_N_("Person"), 's' },
	{ "key", KC_N_("Key"), 's' },		{ "kind", KC_N_("Kind"), 's' },
	{ "unit", KC_N_("Unit"), 's' },		{ "site", KC_N_("Site"), 's' },
	{ "slot", KC_N_("Slot"), 's' },	{ "why", KC_N_("Why"), 's' },
	{ "data", KC_N_("Details"), 'j' },	{ NULL, NULL, 0 },
};

/* Columns each row gets from the names: added after keylog_cols. */
static const char *const named_cols[][2] = {
	{ "text", KC_N_("What happened") }, { "type_zh", KC_N_("Event") },  { "actor_name", KC_N_("Operator") },
	{ "person_name", KC_N_("Person") }, { "unit_label", KC_N_("Unit") }, { "site_name", KC_N_("Site") },
};

/* "why": the reason, purpose or result the event carries. */
static const char why_sql[] =
	"coalesce(json_extract(body, '$.data.reason'), json_extract(body, '$.data.purpose'),"
	" json_extract(body, '$.data.result'), json_extract(body, '$.data.alarm_type'),"
	" json_extract(body, '$.data.stage'))";

/* The codes a person filter names, bound as a JSON array (people_codes). */
static const char people_code_sql[] = "SELECT value FROM json_each(?)";

struct cursor {
	int64_t ts, seq;
	const char *cabinet;
};

static int cursor_parse(const char *s, struct cursor *c)
{
	char *end;

	c->ts = strtoll(s, &end, 10);
	if (*end != '.')
		return -EINVAL;
	c->seq = strtoll(end + 1, &end, 10);
	if (*end != '.' || !end[1])
		return -EINVAL;
	c->cabinet = end + 1;
	return 0;
}

static json_t *cursor_of(const json_t *row)
{
	char buf[320];
	int64_t ms;

	if (kc_time_parse(json_string_value(json_array_get(row, C_TS)), &ms) < 0)
		return json_null();
	snprintf(buf, sizeof(buf), "%" PRId64 ".%" PRId64 ".%s", ms, (int64_t)json_integer_value(json_array_get(row, C_SEQ)),
		 json_string_value(json_array_get(row, C_CAB)));
	return json_string(buf);
}

/* Events of the units S selects (SQL with one "?", bound to v): those
 * that name the unit, and those of its keys that name only the key (IDs
 * held, release taken) or only the slot. */
static void units_filter(struct kc_query *w, const char *set, const char *v)
{
	char frag[256];

	snprintf(frag, sizeof(frag), " AND (unit IN (%s)", set);
	kc_query_str(w, frag, v);
	snprintf(frag, sizeof(frag), " OR (unit IS NULL AND (key IN (SELECT k.key FROM keys k WHERE"
		 " k.cabinet = events.cabinet AND k.unit IN (%s))", set);
	kc_query_str(w, frag, v);
	snprintf(frag, sizeof(frag), " OR (key IS NULL AND slot IN (SELECT k.slot FROM keys k WHERE"
		 " k.cabinet = events.cabinet AND k.unit IN (%s))))))", set);
	kc_query_str(w, frag, v);
}

/* The filters but the person's (keylog_read), appended to where. */
static int keylog_filter(struct kc_report_ctx *c, struct kc_query *where)
{
	static const char *eq[] = { "cabinet", "key", "kind", "type", "actor", "site" };
	const char *v;
	int64_t from = 0, to = 0;
	int hf, ht;

	if ((hf = kc_report_param_time(c, "from", KC_DAY_START, &from)) < 0 ||
	    (ht = kc_report_param_time(c, "to", KC_DAY_END, &to)) < 0)
		return -EINVAL;
	kc_query_add(where, " WHERE 1");
	for (size_t i = 0; i < KC_ARRAY_SIZE(eq); i++) {
		char frag[40];

		if (kc_report_param_name(c, eq[i], &v) < 0)
			return -EINVAL;
		if (!v)
			continue;
		snprintf(frag, sizeof(frag), " AND %s = ?", eq[i]);
		kc_query_str(where, frag, v);
	}
	if (kc_report_param_name(c, "unit", &v) < 0)
		return -EINVAL;
	if (v)
		units_filter(where, "?", v);
	if (kc_report_param_name(c, "building", &v) < 0)
		return -EINVAL;
	if (v)
		units_filter(where, "SELECT u.unit FROM units u WHERE u.building = ?", v);
	kc_scope_query(where, c->p->scope, "site", "cabinet");
	if (hf)
		kc_query_int(where, " AND ts_ms >= ?", from);
	if (ht)
		kc_query_int(where, " AND ts_ms < ?", to);
	return 0;
}

/* A cached lookup: the text column 0 of sql with ?1 (and ?2) bound. */
static const char *lookup(struct kc_db *db, const char *sql, const char *a, const char *b, char *out, size_t len)
{
	sqlite3_stmt *st;
	const char *r = NULL;

	if (!a || !(st = kc_db_stmt(db, sql)))
		return NULL;
	kc_bind_text(st, 1, a);
	if (b)
		kc_bind_text(st, 2, b);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
		kc_strlcpy(out, (const char *)sqlite3_column_text(st, 0), len);
		r = out;
	}
	sqlite3_reset(st);
	return r;
}

/* "1栋103": a unit as people name it, from its building and room; its
 * code without them. */
#define UNIT_LABEL                                                                                   \
	"SELECT CASE WHEN building IS NOT NULL AND room IS NOT NULL THEN building"                        \
	" || CASE WHEN building GLOB '*[0-9]' THEN '栋' ELSE '' END || room ELSE unit END"
const char kc_report_unit_label_sql[] = UNIT_LABEL " FROM units WHERE site = ?2 AND unit = ?1";
/* the same of the estate's unit ?1 (the office's master rows) */
const char kc_report_estate_unit_label_sql[] = UNIT_LABEL " FROM estate_units WHERE unit = ?1";
/* a key's unit and site, for the events that name only the key */
static const char key_unit_sql[] = "SELECT unit FROM keys WHERE cabinet = ?2 AND key = ?1";
static const char key_site_sql[] = "SELECT site FROM keys WHERE cabinet = ?2 AND key = ?1";
static const char site_name_sql[] = "SELECT coalesce(name, site) FROM sites WHERE site = ?1";

static const char *str_at(const json_t *row, int i)
{
	return json_string_value(json_array_get(row, (size_t)i));
}

/* The people, code -> [name, role, cabinet]: the latest registration of
 * each at a cabinet, then the estate's people as the office keeps them
 * (their name and role win; the cabinet, for a person no cabinet
 * registered, one serving a site of theirs): one read a page. NULL on
 * failure. */
static json_t *people_map(struct kc_db *db)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT person, n, r, cabinet, o FROM"
					  " (SELECT person, json_extract(body, '$.data.name') AS n,"
					  " json_extract(body, '$.data.role') AS r, cabinet, 0 AS o, ts_ms AS t"
					  " FROM events INDEXED BY events_type"
					  " WHERE type = 'person.registered' AND person IS NOT NULL"
					  " UNION ALL SELECT p.person, p.name, p.role, (SELECT c.cabinet"
					  " FROM estate_person_sites s JOIN cabinet_sites c ON c.site = s.site"
					  " WHERE s.person = p.person ORDER BY c.cabinet LIMIT 1), 1, p.updated_ms"
					  " FROM estate_people p) ORDER BY o, t");
	json_t *m = json_object();
	int rc;

	if (!st || !m) {
		json_decref(m);
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *code = (const char *)sqlite3_column_text(st, 0);
		json_t *had = json_object_get(m, code);

		if (had && sqlite3_column_int(st, 4)) { /* the office's: a cabinet's registration keeps its cabinet */
			json_array_set_new(had, 0, kc_column_json(st, 1));
			json_array_set_new(had, 1, kc_column_json(st, 2));
		} else {
			json_object_set_new(m, code, json_pack("[o, o, o]", kc_column_json(st, 1), kc_column_json(st, 2),
							       kc_column_json(st, 3)));
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* The codes the person filter q names, as a JSON array: q itself, and
 * those of the registered people (people_map) whose name q gives by
 * characters or pinyin (kc_pinyin_match). NULL on failure. */
static char *people_codes(const json_t *people, const char *q)
{
	json_t *a = json_pack("[s]", q), *p;
	struct kc_pinyin_query pq;
	const char *code;
	char *s;

	if (!a)
		return NULL;
	if (kc_pinyin_query_set(&pq, q) < 0)
		pq.n = 0; /* spaces only: the code alone */
	json_object_foreach((json_t *)people, code, p) {
		const char *name = json_string_value(json_array_get(p, 0));

		if (name && pq.n && strcmp(code, q) != 0 && kc_pinyin_match(name, &pq))
			json_array_append_new(a, json_string(code));
	}
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

/* code's name in people (the code itself when it has none), NULL for none */
static const char *name_of(const json_t *people, const char *code)
{
	const char *n = code ? json_string_value(json_array_get(json_object_get(people, code), 0)) : NULL;

	return n ? n : code;
}

/* Appends the named columns (named_cols) to each row. */
static int name_rows(struct kc_report_ctx *c, json_t *rows, const json_t *people)
{
	json_t *row;
	size_t i;

	json_array_foreach(rows, i, row) {
		char ul[128], sn[128], ku[128], ks[128];
		const char *unit = str_at(row, C_UNIT), *site = str_at(row, C_SITE);
		struct kc_keylog_event e = { 0 };
		char *text, *masked = NULL;

		if (!unit) {
			unit = lookup(c->db, key_unit_sql, str_at(row, C_KEY), str_at(row, C_CAB), ku, sizeof(ku));
			site = lookup(c->db, key_site_sql, str_at(row, C_KEY), str_at(row, C_CAB), ks, sizeof(ks));
		}
		e.type = str_at(row, C_TYPE);
		e.actor = name_of(people, str_at(row, C_ACTOR));
		e.person = name_of(people, str_at(row, C_PERSON));
		e.unit = site ? lookup(c->db, kc_report_unit_label_sql, unit, site, ul, sizeof(ul)) : NULL;
		e.unit = e.unit ? e.unit : unit;
		e.site = lookup(c->db, site_name_sql, str_at(row, C_SITE), NULL, sn, sizeof(sn));
		e.key = str_at(row, C_KEY);
		e.kind = str_at(row, C_KIND);
		e.slot = str_at(row, C_SLOT);
		e.data = json_array_get(row, C_DATA);
		/* the sentence quotes free text (problems): phones masked */
		if (!(text = kc_keylog_sentence(c->lang, &e)) || !(masked = kc_mask_digits(text))) {
			free(text);
			return -ENOMEM;
		}
		json_array_append_new(row, json_string(masked));
		free(text);
		free(masked);
		json_array_append_new(row, json_string(kc_keylog_type_name(c->lang, e.type)));
		json_array_append_new(row, e.actor ? json_string(e.actor) : json_null());
		json_array_append_new(row, e.person ? json_string(e.person) : json_null());
		json_array_append_new(row, e.unit ? json_string(e.unit) : json_null());
		json_array_append_new(row, e.site ? json_string(e.site) : json_null());
	}
	return 0;
}

#define KEYLOG_CHOICES_MAX 500

/* The rows of sql (text columns) as arrays, with ?1 the site and ?2 the
 * building asked for (NULL: any); none when there are more than
 * KEYLOG_CHOICES_MAX (the page asks for a site or building first; the
 * SQL reads one more, in its primary key's order, so it stops there).
 * arg binds ?1 to ?4: the site and building asked for, the scope's sites
 * and cabinets.
 * NULL on failure. */
static json_t *choice_rows(struct kc_db *db, const char *sql, const char *const arg[4])
{
	sqlite3_stmt *st = kc_db_stmt(db, sql);
	json_t *out = json_array();
	int rc;

	if (!st || !out) {
		json_decref(out);
		return NULL;
	}
	for (int i = 0; i < sqlite3_bind_parameter_count(st) && i < 4; i++)
		kc_bind_text(st, i + 1, arg[i]);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (json_array_size(out) == KEYLOG_CHOICES_MAX) {
			json_array_clear(out);
			rc = SQLITE_DONE;
			break;
		}
		json_t *row = json_array();

		for (int i = 0; i < sqlite3_column_count(st); i++)
			json_array_append_new(row, kc_column_json(st, i));
		json_array_append_new(out, row);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* A choice within the reader's scope: ?3 its sites, ?4 its cabinets (JSON
 * arrays; NULL for every site). */
#define IN_SITES(col) "(?3 IS NULL OR " col " IN (SELECT value FROM json_each(?3)))"
#define IN_CABINETS(col) "(?4 IS NULL OR " col " IN (SELECT value FROM json_each(?4)))"

/* What the page's filters offer: [value, label] pairs from the data;
 * people as [name, code, role, pinyin], staff and engineers (an owner is found by
 * typing the name, not offered). */
static int choices(struct kc_report_ctx *c, const json_t *people)
{
	static const char *const sql[][2] = {
		{ "sites", "SELECT site, coalesce(name, site) FROM sites WHERE " IN_SITES("site") " ORDER BY site" },
		{ "cabinets", "SELECT id, id FROM cabinets WHERE " IN_CABINETS("id") " ORDER BY id" },
		{ "buildings", "SELECT DISTINCT building, building || CASE WHEN building GLOB '*[0-9]' THEN '栋'"
			       " ELSE '' END FROM units WHERE building IS NOT NULL AND " IN_SITES("site")
			       " ORDER BY building" },
		{ "units", "SELECT u.unit, coalesce(s.name, u.site) || ' ' || CASE WHEN u.building IS NOT NULL AND"
			   " u.room IS NOT NULL THEN u.building || CASE WHEN u.building GLOB '*[0-9]' THEN '栋'"
			   " ELSE '' END || u.room ELSE u.unit END FROM units u LEFT JOIN sites s ON s.site = u.site"
			   " WHERE (?1 IS NULL OR u.site = ?1) AND (?2 IS NULL OR u.building = ?2)"
			   " AND " IN_SITES("u.site") " ORDER BY u.site, u.unit LIMIT 501" },
		{ "keys", "SELECT k.key, k.key || coalesce('（' || CASE WHEN u.building IS NOT NULL AND u.room IS NOT"
			  " NULL THEN u.building || CASE WHEN u.building GLOB '*[0-9]' THEN '栋' ELSE '' END || u.room"
			  " ELSE k.unit END || '）', '') FROM keys k LEFT JOIN units u ON u.site = k.site AND"
			  " u.unit = k.unit WHERE (?1 IS NULL OR k.site = ?1) AND (?2 IS NULL OR u.building = ?2)"
			  " AND " IN_SITES("k.site") " AND " IN_CABINETS("k.cabinet") " ORDER BY k.cabinet, k.key LIMIT 501" },
	};
	static const char *const kinds[] = { "entrusted", "sealed", "vacant", "repair" };
	json_t *ch = json_object(), *a, *p;
	const struct kc_scope *sc = c->p->scope;
	const char *t, *arg[4] = { kc_report_param(c, "site"), kc_report_param(c, "building"),
				   sc && sc->limited ? sc->sites_json : NULL, sc && sc->limited ? sc->cabinets_json : NULL };

	if (!ch)
		return -ENOMEM;
	json_object_set_new(c->rep, "choices", ch);
	for (size_t i = 0; i < KC_ARRAY_SIZE(sql); i++) {
		if (!(a = choice_rows(c->db, sql[i][1], arg)))
			return -EIO;
		json_object_set_new(ch, sql[i][0], a);
	}
	a = json_array();
	json_object_foreach((json_t *)people, t, p) {
		const char *role = json_string_value(json_array_get(p, 1));

		const char *name = json_string_value(json_array_get(p, 0));
		char py[256];

		if (name && !(role && strcmp(role, "owner") == 0) &&
		    kc_scope_cabinet(sc, json_string_value(json_array_get(p, 2)))) {
			kc_pinyin_of(name, py, sizeof(py)); /* cut when long: a label */
			json_array_append_new(a, json_pack("[s, s, O, s]", name, t, json_array_get(p, 1), py));
		}
	}
	json_object_set_new(ch, "people", a);
	a = json_array();
	for (size_t i = 0; (t = kc_keylog_type_at(i)); i++)
		json_array_append_new(a, json_pack("[s, s]", t, kc_keylog_type_name(c->lang, t)));
	json_object_set_new(ch, "types", a);
	a = json_array();
	for (size_t i = 0; i < KC_ARRAY_SIZE(kinds); i++)
		json_array_append_new(a, json_pack("[s, s]", kinds[i], kc_word(c->lang, "kind", kinds[i])));
	json_object_set_new(ch, "kinds", a);
	return 0;
}

static void reverse(json_t *rows)
{
	size_t n = json_array_size(rows);

	for (size_t i = 0; i < n / 2; i++) {
		json_t *a = json_incref(json_array_get(rows, i));

		json_array_set(rows, i, json_array_get(rows, n - 1 - i));
		json_array_set_new(rows, n - 1 - i, a);
	}
}

/* How a page is read: the rows after (or before) cur in the order read
 * (newest first when desc), limit of them. */
struct keylog_read {
	const struct kc_query *where;
	const char *person;	/* the codes named (people_codes), NULL: anyone */
	const struct cursor *cur;	/* NULL: from the start */
	bool desc;
	bool count;		/* for the count: in no order */
	int64_t limit;
};

/* The (cabinet, seq) of the events of r's filter, through the index of
 * column col (person or actor) when r names a person: those whose col is
 * one of the person's codes. */
static void keylog_arm(struct kc_query *q, const struct keylog_read *r, const char *col)
{
	char frag[400];

	if (col) {
		snprintf(frag, sizeof(frag), "SELECT * FROM (SELECT cabinet, seq FROM events INDEXED BY events_%s", col);
		kc_query_add(q, frag);
	} else {
		kc_query_add(q, "SELECT ts_ms, cabinet, seq, type, actor, person, key, kind, unit, site, slot, ");
		kc_query_add(q, why_sql);
		kc_query_add(q, ", json_extract(body, '$.data') FROM events");
	}
	kc_query_append(q, r->where);
	if (col) {
		snprintf(frag, sizeof(frag), " AND %s IN (%s", col, people_code_sql);
		kc_query_str(q, frag, r->person);
		kc_query_add(q, ")");
	}
	if (r->cur) {
		kc_query_int(q, r->desc ? " AND (ts_ms, cabinet, seq) < (?" : " AND (ts_ms, cabinet, seq) > (?", r->cur->ts);
		kc_query_str(q, ", ?", r->cur->cabinet);
		kc_query_int(q, ", ?)", r->cur->seq);
	}
	if (!r->count)
		kc_query_add(q, r->desc ? " ORDER BY ts_ms DESC, cabinet DESC, seq DESC" : " ORDER BY ts_ms, cabinet, seq");
	kc_query_int(q, " LIMIT ?", r->limit);
	if (col)
		kc_query_add(q, ")");
}

/* The page's rows, in the order read. A person's events are read as two
 * index ranges (as person, as operator), each cut at the page's length,
 * then merged: the cost follows that person's events, not the log. */
static void keylog_page(struct kc_query *q, const struct keylog_read *r)
{
	if (!r->person) {
		keylog_arm(q, r, NULL);
		return;
	}
	kc_query_add(q, "SELECT e.ts_ms, e.cabinet, e.seq, type, actor, person, key, kind, unit, site, slot, ");
	kc_query_add(q, why_sql);
	kc_query_add(q, ", json_extract(body, '$.data') FROM (");
	keylog_arm(q, r, "person");
	kc_query_add(q, " UNION ");
	keylog_arm(q, r, "actor");
	/* CROSS JOIN: the few rows found, then each event by its key */
	kc_query_add(q, ") AS p CROSS JOIN events e ON e.cabinet = p.cabinet AND e.seq = p.seq");
	kc_query_add(q, r->desc ? " ORDER BY e.ts_ms DESC, e.cabinet DESC, e.seq DESC" : " ORDER BY e.ts_ms, e.cabinet, e.seq");
	kc_query_int(q, " LIMIT ?", r->limit);
}

/* The count, up to KEYLOG_COUNT_CAP + 1. */
static void keylog_count(struct kc_query *q, const struct keylog_read *page)
{
	struct keylog_read r = *page;

	r.cur = NULL;
	r.count = true;
	r.limit = KEYLOG_COUNT_CAP + 1;
	if (!r.person) {
		kc_query_add(q, "SELECT count(*) FROM (SELECT 1 FROM events");
		kc_query_append(q, r.where);
		kc_query_int(q, " LIMIT ?)", r.limit);
		return;
	}
	kc_query_add(q, "SELECT count(*) FROM (");
	keylog_arm(q, &r, "person");
	kc_query_add(q, " UNION ");
	keylog_arm(q, &r, "actor");
	kc_query_add(q, ")");
}

/* The page rd reads, named from people, into c's report; after, before:
 * the cursor asked for, back: read against the shown order. */
static int keylog_rows(struct kc_report_ctx *c, const struct keylog_read *rd, const json_t *people, const char *after,
		       const char *before, bool back)
{
	struct kc_query q = { 0 }, cq = { 0 };
	json_t *sec, *rows;
	int64_t total;
	bool more;
	size_t n;

	keylog_page(&q, rd);
	keylog_count(&cq, rd);
	sec = kc_report_section(c, "events", "Events", keylog_cols);
	for (size_t i = 0; i < KC_ARRAY_SIZE(named_cols); i++)
		json_array_append_new(json_object_get(sec, "columns"),
				      kc_report_column(named_cols[i][0], named_cols[i][1]));
	if (kc_report_fill(c, sec, &q, keylog_cols) < 0 || (total = kc_report_count(c, &cq)) < 0)
		return -EIO;
	rows = json_object_get(sec, "rows");
	more = json_array_size(rows) > (size_t)c->page_size;
	if (more)
		json_array_remove(rows, (size_t)c->page_size);
	if (back)
		reverse(rows);
	if (name_rows(c, rows, people) < 0 || choices(c, people) < 0)
		return -EIO;
	n = json_array_size(rows);
	kc_report_set_paging(c, sec, total > KEYLOG_COUNT_CAP ? KEYLOG_COUNT_CAP : total);
	json_object_set_new(sec, "total_more", json_boolean(total > KEYLOG_COUNT_CAP));
	/* a page before this one: rows before its first; after: after its last */
	json_object_set_new(sec, "prev", n && (back ? more : (after != NULL)) ? cursor_of(json_array_get(rows, 0))
									   : json_null());
	json_object_set_new(sec, "next", n && (back ? (before != NULL) : more) ? cursor_of(json_array_get(rows, n - 1))
									     : json_null());
	return 0;
}

int kc_report_keylog(struct kc_report_ctx *c)
{
	struct kc_query where = { 0 };
	struct keylog_read rd = { 0 };
	const char *order, *after, *before, *last, *who;
	struct cursor cur = { 0 };
	char *codes = NULL;
	json_t *people;
	bool desc, back;
	int rc;

	c->page = 1;
	c->page_size = 100;
	if (c->mode != KC_REPORT_PAGE)
		kc_report_paging(c); /* every row: a printable page up to its limit, an export all */
	else if (kc_report_param_int(c, "page_size", 1, 5000, &c->page_size) < 0)
		return -EINVAL;
	order = kc_report_param(c, "order");
	if (order && strcmp(order, "desc") != 0 && strcmp(order, "asc") != 0)
		return kc_report_bad(c, "parameter \"order\" must be asc or desc");
	desc = !order || strcmp(order, "desc") == 0;
	after = kc_report_param(c, "after");
	before = kc_report_param(c, "before");
	last = kc_report_param(c, "last");
	if (!!after + !!before + !!last > 1)
		return kc_report_bad(c, "give one of \"after\", \"before\" and \"last\"");
	if ((after && cursor_parse(after, &cur) < 0) || (before && cursor_parse(before, &cur) < 0))
		return kc_report_bad(c, "parameter \"%s\" is not a key log position", after ? "after" : "before");
	if (last && strcmp(last, "1") != 0)
		return kc_report_bad(c, "parameter \"last\" must be 1");
	if (keylog_filter(c, &where) < 0 || kc_report_param_name(c, "person", &who) < 0)
		return -EINVAL;
	/* the people once a page: their names for the rows, and the codes
	 * the person filter names */
	if (!(people = people_map(c->db)))
		return -EIO;
	if (who && !(codes = people_codes(people, who))) {
		json_decref(people);
		return -ENOMEM;
	}
	/* back: read against the shown order (the page before a row, the
	 * last page), then turn the rows round */
	back = before || last;
	rd.where = &where;
	rd.person = codes;
	rd.cur = after || before ? &cur : NULL;
	rd.desc = desc != back;
	rd.limit = c->page_size + 1;
	rc = keylog_rows(c, &rd, people, after, before, back);
	free(codes);
	json_decref(people);
	return rc;
}
