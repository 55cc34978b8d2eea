/* The reports' list and the helpers the reports (report_<name>.c) share:
 * parameters, sections, rows, paging and zones. reports_run.c runs them. */
#include "service/reports.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "common/util.h"
#include "service/reports_impl.h"
#include "service/scope.h"

const struct kc_report_info kc_reports[] = {
	{ "keylog", KC_N_("Key log") },
	{ "now", KC_N_("Now: keys out, overdue, IDs held, alarms") },
	{ "entrustments", KC_N_("Entrustments and notices") },
	{ "vacant", KC_N_("Vacant-unit inspections") },
	{ "handovers", KC_N_("Shift handovers") },
	{ "chain", KC_N_("Chain verification") },
	{ "problems", KC_N_("Problems and their follow-up") },
	{ "deliveries", KC_N_("Notice deliveries") },
	{ "receipt", KC_N_("Key custody receipts") },
};
const size_t kc_nreports = KC_ARRAY_SIZE(kc_reports);


const char *kc_report_param(struct kc_report_ctx *c, const char *name)
{
	const char *v = c->p->get(c->p->ctx, name);

	if (v && !*v)
		return NULL;
	if (v)
		json_object_set_new(json_object_get(c->rep, "params"), name, json_string(v));
	return v;
}

int kc_report_bad(struct kc_report_ctx *c, const char *fmt, ...)
{
	va_list ap;

	/* in the language of the report's texts */
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, kc_msg_gettext(c->lang, fmt), ap);
	va_end(ap);
	return -EINVAL;
}

int kc_report_param_time(struct kc_report_ctx *c, const char *name, enum kc_day_as as, int64_t *out)
{
	const char *v = kc_report_param(c, name);
	size_t n;

	if (!v)
		return 0;
	if (kc_zone_parse(c->zone, v, as, out) < 0)
		return kc_report_bad(c,
				     "parameter \"%s\": \"%.40s\" is not a time like 2026-11-22 or 2026-11-22 21:03"
				     " (%s) or 2026-11-22T13:03:04Z (UTC)",
				     name, v, kc_zone_name(c->zone));
	n = strlen(v);
	if (as == KC_DAY_END && n > 10 && v[n - 1] != 'Z')
		*out += n == 16 ? 60000 : n == 19 ? 1000 : 1;
	return 1;
}

int kc_report_param_int(struct kc_report_ctx *c, const char *name, long long min, long long max, int64_t *out)
{
	const char *v = kc_report_param(c, name);
	long long n;

	if (!v)
		return 0;
	if (kc_parse_long(v, min, max, &n) < 0)
		return kc_report_bad(c, "parameter \"%s\": \"%.40s\" is not a number from %lld to %lld", name, v, min, max);
	*out = n;
	return 1;
}

int kc_report_param_name(struct kc_report_ctx *c, const char *name, const char **out)
{
	const char *v = kc_report_param(c, name);

	*out = NULL;
	if (v && strlen(v) > 200)
		return kc_report_bad(c, "parameter \"%s\" is too long", name);
	*out = v;
	return 0;
}

int kc_report_paging(struct kc_report_ctx *c)
{
	c->page = 1;
	c->page_size = 100;
	if (c->mode != KC_REPORT_PAGE) {
		/* every row: a printable page up to KC_PRINT_MAX, an export all */
		c->page_size = c->mode == KC_REPORT_PRINT ? KC_PRINT_MAX : (int64_t)1 << 40;
		return 0;
	}
	if (kc_report_param_int(c, "page", 1, 1000000, &c->page) < 0 ||
	    kc_report_param_int(c, "page_size", 1, 5000, &c->page_size) < 0)
		return -EINVAL;
	return 0;
}

json_t *kc_report_column(const char *name, const char *en)
{
	return json_pack("{s:s, s:s, s:s}", "name", name, "en", en, "zh", kc_msg_gettext(KC_LANG_ZH, en));
}

json_t *kc_report_section(struct kc_report_ctx *c, const char *name, const char *en,
			  const struct kc_report_col *cols)
{
	json_t *sec = json_pack("{s:s, s:s, s:s, s:[], s:[]}", "name", name, "title_en", en, "title_zh",
				kc_msg_gettext(KC_LANG_ZH, en), "columns", "rows");
	json_t *jc = json_object_get(sec, "columns");

	for (const struct kc_report_col *k = cols; k->name; k++)
		json_array_append_new(jc, kc_report_column(k->name, k->en));
	json_array_append_new(json_object_get(c->rep, "sections"), sec);
	return sec;
}

json_t *kc_report_cell(sqlite3_stmt *st, int i, char type)
{
	char buf[KC_TIME_LEN];

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	if (type == 't') {
		kc_time_format(sqlite3_column_int64(st, i), buf, sizeof(buf));
		return json_string(buf);
	}
	if (type == 'b')
		return json_boolean(sqlite3_column_int(st, i));
	if (type == 'j') {
		json_t *v = json_loads((const char *)sqlite3_column_text(st, i), JSON_DECODE_ANY, NULL);

		return v ? v : json_null();
	}
	return kc_column_json(st, i);
}

/* Runs q and appends its rows (one column per col) to sec. */
int kc_report_fill(struct kc_report_ctx *c, json_t *sec, const struct kc_query *q, const struct kc_report_col *cols)
{
	json_t *rows = json_object_get(sec, "rows");
	sqlite3_stmt *st;
	int rc, ncols = 0;

	while (cols[ncols].name)
		ncols++;
	if (c->export && !c->export->st && ncols <= KC_EXPORT_COLS &&
	    (!c->export->section || strcmp(c->export->section, json_string_value(json_object_get(sec, "name"))) == 0)) {
		/* the exported section: its rows are read as the client reads */
		c->export->st = kc_query_prepare(c->export->db, q);
		for (int i = 0; i < ncols; i++)
			c->export->types[i] = cols[i].type;
		c->export->types[ncols] = '\0';
		return c->export->st ? 0 : -EIO;
	}
	st = kc_query_prepare(c->db, q);
	if (!st)
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_array();

		for (int i = 0; i < ncols; i++)
			json_array_append_new(row, kc_report_cell(st, i, cols[i].type));
		json_array_append_new(rows, row);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int64_t kc_report_count(struct kc_report_ctx *c, const struct kc_query *q)
{
	sqlite3_stmt *st;
	int64_t n = -EIO;

	if (c->mode == KC_REPORT_EXPORT)
		return 0; /* an export has no pager: no count scan before its rows */
	st = kc_query_prepare(c->db, q);
	if (!st)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

void kc_report_set_paging(struct kc_report_ctx *c, json_t *sec, int64_t total)
{
	json_object_set_new(sec, "total", json_integer(total));
	json_object_set_new(sec, "page", json_integer(c->page));
	json_object_set_new(sec, "page_size", json_integer(c->page_size));
}

int kc_report_paged(struct kc_report_ctx *c, json_t *sec, const char *select, const char *count,
		    const struct kc_query *filter, const char *order, const struct kc_report_col *cols)
{
	struct kc_query q;
	int64_t total;

	memset(&q, 0, sizeof(q));
	kc_query_add(&q, select);
	kc_query_append(&q, filter);
	kc_query_add(&q, order);
	kc_query_int(&q, " LIMIT ?", c->page_size);
	kc_query_int(&q, " OFFSET ?", (c->page - 1) * c->page_size);
	if (kc_report_fill(c, sec, &q, cols) < 0)
		return -EIO;
	memset(&q, 0, sizeof(q));
	kc_query_add(&q, count);
	kc_query_append(&q, filter);
	if ((total = kc_report_count(c, &q)) < 0)
		return -EIO;
	kc_report_set_paging(c, sec, total);
	return 0;
}

/* Filters shared by several reports: site (on column col) and cabinet. */
int kc_report_site_cabinet(struct kc_report_ctx *c, struct kc_query *q, const char *site_col, const char **site,
			const char **cabinet)
{
	char frag[80];

	if (kc_report_param_name(c, "site", site) < 0 || kc_report_param_name(c, "cabinet", cabinet) < 0)
		return -EINVAL;
	if (*site && site_col) {
		snprintf(frag, sizeof(frag), " AND %s = ?", site_col);
		kc_query_str(q, frag, *site);
	}
	if (*cabinet)
		kc_query_str(q, " AND cabinet = ?", *cabinet);
	kc_scope_query(q, c->p->scope, site_col, "cabinet");
	return 0;
}

/* The latest time_zone named by the controller.started events of the
 * cabinets that ?1 selects (SQL giving cabinet ids), NULL for none. */
static const struct kc_zone *zone_named(struct kc_db *db, const char *cabinets, const char *arg)
{
	struct kc_query q = { 0 };
	const struct kc_zone *z = NULL;
	sqlite3_stmt *st;

	kc_query_add(&q, "SELECT json_extract(s.body, '$.data.time_zone') FROM events s INDEXED BY events_type"
			 " WHERE s.type = 'controller.started' AND json_extract(s.body, '$.data.time_zone') IS NOT NULL"
			 " AND (CASE WHEN instr(s.cabinet, '~') THEN substr(s.cabinet, 1, instr(s.cabinet, '~') - 1)"
			 " ELSE s.cabinet END) IN (");
	kc_query_str(&q, cabinets, arg);
	kc_query_add(&q, ") ORDER BY s.ts_ms DESC LIMIT 1");
	st = kc_query_prepare(db, &q);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		z = kc_zone_get((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return z;
}

const struct kc_zone *kc_report_site_zone(struct kc_db *db, const char *site)
{
	const struct kc_zone *z = zone_named(
		db,
		"SELECT CASE WHEN instr(r.cabinet, '~') THEN substr(r.cabinet, 1, instr(r.cabinet, '~') - 1)"
		" ELSE r.cabinet END FROM events r INDEXED BY events_type WHERE r.type = 'site.registered' AND r.site = ?",
		site);

	return z ? z : kc_zone_default();
}

const struct kc_zone *kc_report_cabinet_zone(struct kc_db *db, const char *cabinet)
{
	char base[256];
	const struct kc_zone *z;

	kc_strlcpy(base, cabinet, sizeof(base));
	base[strcspn(base, "~")] = '\0';
	z = zone_named(db, "?", base);
	return z ? z : kc_zone_default();
}
