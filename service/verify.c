/* What the reports read, checked against the events: each stored event's
 * extracted columns against its body, and every derived table against a
 * re-derivation of all stored events (kc_derive_event, the code ingest
 * runs) into an in-memory database migrated to the same schema. */
#include "service/verify.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/chain.h"
#include "service/derive.h"
#include "service/sbuf.h"

struct verify {
	struct kc_db *mem; /* main: the re-derivation; "s": the stored database */
	kc_verify_report_fn report;
	void *ctx;
	int64_t diffs;
};

/* The derived tables, their keys, and the columns not derived from events
 * (a notice's row id and when it was made; the service's own ingest
 * notices have a negative seq). */
static const struct verify_table {
	const char *name;
	const char *key[3];
	const char *skip[2];
	const char *where;
} verify_tables[] = {
	{ "sites", { "site" }, { NULL }, "1" },
	{ "units", { "site", "unit" }, { NULL }, "1" },
	{ "vacancies", { "site", "unit", "from_ms" }, { NULL }, "1" },
	{ "keys", { "cabinet", "key" }, { NULL }, "1" },
	{ "loans", { "cabinet", "loan" }, { NULL }, "1" },
	{ "ids_held", { "cabinet", "loan" }, { NULL }, "1" },
	{ "alarms", { "cabinet", "alarm" }, { NULL }, "1" },
	{ "entrustments", { "cabinet", "entrustment" }, { NULL }, "1" },
	{ "inspections", { "cabinet", "seq" }, { NULL }, "1" },
	{ "handovers", { "cabinet", "handover" }, { NULL }, "1" },
	{ "problems", { "cabinet", "seq" }, { NULL }, "1" },
	{ "notices", { "cabinet", "seq", "type" }, { "id", "created_ms" }, "seq > 0" },
};

/* The event members kept as columns of events. */
static const char *const verify_event_cols[] = { "type", "actor", "person", "key", "kind",
						 "unit", "site", "slot", "prev" };

static void verify_diff(struct verify *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void verify_diff(struct verify *v, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	v->diffs++;
	v->report(v->ctx, line);
}

/* A value for a sentence: quoted and cut short, personal data not shown. */
static void verify_value(const char *col, const char *val, char *out, size_t len)
{
	if (!val)
		snprintf(out, len, "NULL");
	else if (strstr(col, "phone") || strstr(col, "id_") || strcmp(col, "payload") == 0 ||
		 strncmp(col, "text_", 5) == 0)
		snprintf(out, len, "(%zu bytes, not shown)", strlen(val));
	else
		snprintf(out, len, "\"%.60s%s\"", val, strlen(val) > 60 ? "..." : "");
}

/* A JSON member as the text its column holds (kc_bind_json_str), or NULL. */
static const char *verify_member_text(const json_t *v, char *buf, size_t len)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_boolean(v)) {
		snprintf(buf, len, "%d", json_is_true(v));
		return buf;
	}
	return NULL;
}

static bool verify_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The extracted columns of one stored event against its body. Columns of
 * st: cabinet, seq, ts_ms, body, then verify_event_cols. */
static void verify_event_columns(struct verify *v, sqlite3_stmt *st, const json_t *ev)
{
	const char *cab = (const char *)sqlite3_column_text(st, 0);
	long long seq = sqlite3_column_int64(st, 1);
	char buf[32], sv[96], ev_v[96];
	int64_t ts_ms = 0;

	if (!json_is_integer(json_object_get(ev, "seq")) || json_integer_value(json_object_get(ev, "seq")) != seq ||
	    !json_is_string(json_object_get(ev, "cabinet")) ||
	    !kc_chain_key_of(cab, json_string_value(json_object_get(ev, "cabinet"))))
		verify_diff(v, "events (cabinet=%s, seq=%lld): the body is of another cabinet or seq", cab, seq);
	if (kc_time_parse(json_string_value(json_object_get(ev, "ts")), &ts_ms) < 0 ||
	    ts_ms != sqlite3_column_int64(st, 2))
		verify_diff(v, "events (cabinet=%s, seq=%lld): column ts_ms: stored %lld, the event body gives %lld",
			    cab, seq, (long long)sqlite3_column_int64(st, 2), (long long)ts_ms);
	for (size_t i = 0; i < KC_ARRAY_SIZE(verify_event_cols); i++) {
		const char *col = verify_event_cols[i];
		const char *stored = (const char *)sqlite3_column_text(st, 4 + (int)i);
		const char *want = verify_member_text(json_object_get(ev, col), buf, sizeof(buf));

		if (verify_same(stored, want))
			continue;
		verify_value(col, stored, sv, sizeof(sv));
		verify_value(col, want, ev_v, sizeof(ev_v));
		verify_diff(v, "events (cabinet=%s, seq=%lld): column %s: stored %s, the event body gives %s", cab,
			    seq, col, sv, ev_v);
	}
}

/* Every stored event, in the order they were stored. */
static int verify_events(struct verify *v, const struct kc_audit_config *cfg, int64_t *events)
{
	sqlite3_stmt *st, *copy;
	int rc, r = 0;

	if (sqlite3_prepare_v2(v->mem->h,
			       "SELECT cabinet, seq, ts_ms, body, type, actor, person, key, kind, unit, site, slot,"
			       " prev, received_ms FROM s.events ORDER BY received_ms, cabinet, seq",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	/* each event beside the re-derivation before it is derived: a notice
	 * names people and zones by the events stored before it, as at ingest */
	if (sqlite3_prepare_v2(v->mem->h, "INSERT INTO main.events SELECT * FROM s.events WHERE cabinet = ? AND seq = ?",
			       -1, &copy, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -EIO;
	}
	*events = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *ev = json_loads((const char *)sqlite3_column_text(st, 3), 0, NULL);

		if (!json_is_object(ev)) {
			verify_diff(v, "events (cabinet=%s, seq=%lld): the stored body is not a JSON object",
				    (const char *)sqlite3_column_text(st, 0), (long long)sqlite3_column_int64(st, 1));
			json_decref(ev);
			continue;
		}
		verify_event_columns(v, st, ev);
		r = 0;
		if (json_is_object(json_object_get(ev, "data")) && json_is_string(json_object_get(ev, "type"))) {
			int64_t ts_ms = 0;

			/* as ingest derives it: under the chain key it is stored
			 * by; an event lacking a member a table needs leaves no rows */
			kc_time_parse(json_string_value(json_object_get(ev, "ts")), &ts_ms);
			sqlite3_bind_value(copy, 1, sqlite3_column_value(st, 0));
			sqlite3_bind_int64(copy, 2, sqlite3_column_int64(st, 1));
			r = sqlite3_step(copy) == SQLITE_DONE ? 0 : -EIO;
			sqlite3_reset(copy);
			/* made when it was received, as at ingest */
			if (r == 0)
				r = kc_derive_stored(v->mem, cfg, (const char *)sqlite3_column_text(st, 0), ev, ts_ms,
						     sqlite3_column_int64(st, 13));
			if (r == -EINVAL || r > 0)
				r = 0;
		}
		json_decref(ev);
		if (r < 0)
			break;
		(*events)++;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = -EIO;
	sqlite3_finalize(st);
	sqlite3_finalize(copy);
	return r;
}

/* The columns of table t the events give, comma-separated. */
static int verify_columns(struct verify *v, const struct verify_table *t, struct sbuf *cols)
{
	sqlite3_stmt *st;
	int rc, n = 0;

	if (sqlite3_prepare_v2(v->mem->h, "SELECT name FROM pragma_table_info(?1, 'main') ORDER BY cid", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if ((t->skip[0] && strcmp(name, t->skip[0]) == 0) || (t->skip[1] && strcmp(name, t->skip[1]) == 0))
			continue;
		sbuf_printf(cols, "%s\"%s\"", n++ ? ", " : "", name);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE && n > 0 && !cols->oom ? 0 : -EIO;
}

/* "(k1=v1, k2=v2)" of a row whose key columns come first in st. */
static void verify_key_text(const struct verify_table *t, sqlite3_stmt *st, char *out, size_t len)
{
	size_t n = 0;

	out[0] = '\0';
	for (int i = 0; i < 3 && t->key[i] && n < len; i++) {
		const char *val = (const char *)sqlite3_column_text(st, i);

		n += (size_t)snprintf(out + n, len - n, "%s%s=%s", i ? ", " : "(", t->key[i], val ? val : "NULL");
	}
	if (n < len)
		snprintf(out + n, len - n, ")");
}

/* One row of t by key in schema db ("main" or "s"); NULL when none. */
static sqlite3_stmt *verify_row(struct verify *v, const struct verify_table *t, const char *cols, const char *db,
				sqlite3_stmt *key)
{
	struct sbuf q = { 0 };
	sqlite3_stmt *st = NULL;
	char *sql;

	sbuf_printf(&q, "SELECT %s FROM %s.\"%s\" WHERE %s", cols, db, t->name, t->where);
	for (int i = 0; i < 3 && t->key[i]; i++)
		sbuf_printf(&q, " AND \"%s\" IS ?%d", t->key[i], i + 1);
	sql = sbuf_take(&q);
	if (!sql || sqlite3_prepare_v2(v->mem->h, sql, -1, &st, NULL) != SQLITE_OK) {
		free(sql);
		return NULL;
	}
	free(sql);
	for (int i = 0; i < 3 && t->key[i]; i++)
		sqlite3_bind_value(st, i + 1, sqlite3_column_value(key, i));
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return NULL;
	}
	return st;
}

/* Names each column in which the stored row differs from the derived one. */
static void verify_row_diff(struct verify *v, const struct verify_table *t, const char *where, sqlite3_stmt *mine,
			    sqlite3_stmt *stored)
{
	for (int i = 0; i < sqlite3_column_count(mine); i++) {
		const char *col = sqlite3_column_name(mine, i);
		const char *a = (const char *)sqlite3_column_text(stored, i);
		char sv[96], dv[96];

		if (sqlite3_column_type(mine, i) == sqlite3_column_type(stored, i) &&
		    verify_same(a, (const char *)sqlite3_column_text(mine, i)))
			continue;
		verify_value(col, a, sv, sizeof(sv));
		verify_value(col, (const char *)sqlite3_column_text(mine, i), dv, sizeof(dv));
		verify_diff(v, "%s %s: column %s: stored %s, the events give %s", t->name, where, col, sv, dv);
	}
}

static int verify_table(struct verify *v, const struct verify_table *t)
{
	struct sbuf cols = { 0 }, keys = { 0 }, q = { 0 };
	sqlite3_stmt *st = NULL;
	char *c = NULL, *k = NULL, *sql = NULL;
	int rc, r = -EIO;

	if (verify_columns(v, t, &cols) < 0)
		goto out;
	for (int i = 0; i < 3 && t->key[i]; i++)
		sbuf_printf(&keys, "%s\"%s\"", i ? ", " : "", t->key[i]);
	c = sbuf_take(&cols);
	k = sbuf_take(&keys);
	if (!c || !k)
		goto out;
	/* The keys of the rows that are not the same on both sides. */
	sbuf_printf(&q,
		    "SELECT %s FROM (SELECT %s FROM main.\"%s\" WHERE %s EXCEPT SELECT %s FROM s.\"%s\" WHERE %s)"
		    " UNION SELECT %s FROM (SELECT %s FROM s.\"%s\" WHERE %s EXCEPT SELECT %s FROM main.\"%s\" WHERE %s)"
		    " ORDER BY %s",
		    k, c, t->name, t->where, c, t->name, t->where, k, c, t->name, t->where, c, t->name, t->where, k);
	sql = sbuf_take(&q);
	if (!sql || sqlite3_prepare_v2(v->mem->h, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_stmt *mine = verify_row(v, t, c, "main", st), *stored = verify_row(v, t, c, "s", st);
		char where[256];

		verify_key_text(t, st, where, sizeof(where));
		if (!mine)
			verify_diff(v, "%s %s: a stored row that no event gives (inserted or changed behind the log)",
				    t->name, where);
		else if (!stored)
			verify_diff(v, "%s %s: the events give this row but it is not stored (deleted)", t->name,
				    where);
		else
			verify_row_diff(v, t, where, mine, stored);
		sqlite3_finalize(mine);
		sqlite3_finalize(stored);
	}
	r = rc == SQLITE_DONE ? 0 : -EIO;
out:
	sqlite3_finalize(st);
	free(c);
	free(k);
	free(sql);
	free(cols.p);
	free(keys.p);
	return r;
}

/* Attaches the stored database to the in-memory one as "s". */
static int verify_attach(struct kc_db *mem, struct kc_db *db)
{
	const char *path = sqlite3_db_filename(db->h, "main");
	sqlite3_stmt *st;
	int rc;

	if (!path || !*path || sqlite3_prepare_v2(mem->h, "ATTACH DATABASE ? AS s", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int kc_verify_derived(struct kc_db *db, const struct kc_audit_config *cfg, kc_verify_report_fn report,
		      void *ctx, int64_t *events, int64_t *differences, char *err, size_t errlen)
{
	struct verify v = { .report = report, .ctx = ctx };
	int r;

	*events = 0;
	*differences = 0;
	v.mem = kc_db_open(":memory:", 1, err, errlen);
	if (!v.mem)
		return -EIO;
	r = verify_attach(v.mem, db);
	if (r < 0) {
		snprintf(err, errlen, "cannot attach the stored database: %s", sqlite3_errmsg(v.mem->h));
		goto out;
	}
	/* One read transaction: the events and the tables of one moment. */
	r = kc_db_exec(v.mem, "BEGIN");
	if (r == 0)
		r = verify_events(&v, cfg, events);
	for (size_t i = 0; r == 0 && i < KC_ARRAY_SIZE(verify_tables); i++)
		r = verify_table(&v, &verify_tables[i]);
	if (r < 0)
		snprintf(err, errlen, "re-deriving the report tables failed: %s", sqlite3_errmsg(v.mem->h));
	kc_db_rollback(v.mem);
	*differences = v.diffs;
out:
	kc_db_free(v.mem);
	return r;
}
