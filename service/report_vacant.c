/* Vacant-unit inspections of a month, per site (report 4, rule 5). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "common/util.h"
#include "service/reports_impl.h"
#include "service/scope.h"

/* ---- 4. vacant-unit inspections (rule 5) ---- */

static const struct kc_report_col vsite_cols[] = {
	{ "site", KC_N_("Site"), 's' },		{ "name", KC_N_("Name"), 's' },
	{ "age", KC_N_("New/old"), 's' },	{ "target_pct", KC_N_("Target %"), 's' },
	{ "vacant", KC_N_("Vacant units"), 's' }, { "inspected", KC_N_("Inspected"), 's' },
	{ "coverage_pct", KC_N_("Coverage %"), 's' }, { "target_met", KC_N_("Target met"), 'b' },
	{ "not_inspected", KC_N_("Not inspected"), 's' }, { "problems", KC_N_("Problems"), 's' },
	{ "forwarded", KC_N_("Forwarded"), 's' }, { "overdue", KC_N_("Overdue loans"), 's' },
	{ NULL, NULL, 0 },
};
static const struct kc_report_col vunit_cols[] = {
	{ "site", KC_N_("Site"), 's' },		{ "unit", KC_N_("Unit"), 's' },
	{ "building", KC_N_("Building"), 's' },	{ "room", KC_N_("Room"), 's' },
	{ NULL, NULL, 0 },
};
static const struct kc_report_col vinsp_cols[] = {
	{ "site", KC_N_("Site"), 's' },		{ "unit", KC_N_("Unit"), 's' },
	{ "ts", KC_N_("Inspected at"), 't' },	{ "inspector", KC_N_("Inspector"), 's' },
	{ "inspector_name", KC_N_("Inspector's name"), 's' },
	{ "key", KC_N_("Key"), 's' },		{ "result", KC_N_("Result"), 's' },
	{ "problems", KC_N_("Problems"), 's' },	{ "forwarded_to", KC_N_("Forwarded to"), 's' },
	{ "actor", KC_N_("Recorded by"), 's' },	{ NULL, NULL, 0 },
};
static const struct kc_report_col voverdue_cols[] = {
	{ "site", KC_N_("Site"), 's' },		{ "unit", KC_N_("Unit"), 's' },
	{ "key", KC_N_("Key"), 's' },		{ "person", KC_N_("Borrower"), 's' },
	{ "person_name", KC_N_("Borrower's name"), 's' },
	{ "cabinet", KC_N_("Cabinet"), 's' },	{ "loan", KC_N_("Loan"), 's' },
	{ "out", KC_N_("Out"), 't' },		{ "due", KC_N_("Due"), 't' },
	{ "returned", KC_N_("Returned"), 't' },	{ NULL, NULL, 0 },
};

#define PERSON_NAME(col) KC_PERSON_NAME_SQL(col)
/* The month of each site in its own zone: m(site, s, e), [s, e) from the
 * JSON object :months ({"site": [s, e]}). The queries scan [:lo, :hi),
 * the union of those months, then keep each site's own. */
#define MONTHS                                                                                       \
	"WITH m(site, s, e) AS MATERIALIZED (SELECT key, json_extract(value, '$[0]'),"               \
	" json_extract(value, '$[1]') FROM json_each(:months)) "
/* Vacant units of the month: vacant at any time in their site's month. */
#define VACANT_UNITS                                                                                  \
	"SELECT DISTINCT va.site, va.unit, m.s, m.e FROM vacancies va JOIN m ON m.site = va.site"     \
	" WHERE va.from_ms < m.e AND (va.to_ms IS NULL OR va.to_ms > m.s)"
#define OVERDUE_LOANS                                                                                \
	MONTHS "SELECT l.site, l.unit, l.key, l.person, " PERSON_NAME("l.person") ", l.cabinet, l.loan,"  \
	" l.out_ms, l.due_ms, l.returned_ms"                                                          \
	" FROM loans l INDEXED BY loans_insp CROSS JOIN m ON m.site = l.site"                        \
	" WHERE l.kind = 'vacant' AND l.purpose = 'inspection' AND l.out_ms >= :lo AND l.out_ms < :hi" \
	" AND l.out_ms >= m.s AND l.out_ms < m.e AND l.state <> 'not_taken'"                          \
	" AND (l.overdue OR l.returned_ms > l.due_ms OR (l.returned_ms IS NULL AND l.due_ms < :now))"
/* The month's inspections: INSPECTIONS_FROM(index) WHERE ...; a problem
 * is forwarded where the office forwarded it (problems), else where the
 * cabinet recorded. */
#define INSPECTIONS_FROM(index)                                                                     \
	MONTHS "SELECT x.site, x.unit, x.ts_ms, x.inspector, " PERSON_NAME("x.inspector") ", x.key, x.result," \
	" x.problems, coalesce((SELECT pr.department FROM problems pr WHERE pr.cabinet = x.cabinet"    \
	" AND pr.seq = x.seq), x.forwarded_to),"                                                      \
	" x.actor FROM inspections x INDEXED BY " index " CROSS JOIN m ON m.site = x.site"           \
	" WHERE x.ts_ms >= :lo AND x.ts_ms < :hi AND x.ts_ms >= m.s AND x.ts_ms < m.e"

/* Runs q (rows whose first column is the site) into rows, and counts
 * them per site into member a of the site objects; with b, also counts
 * the rows whose column bcol is a non-empty string. */
static int list_and_count(struct kc_report_ctx *c, const struct kc_query *q, const struct kc_report_col *cols, json_t *rows,
			  json_t *sites, const char *a, const char *b, int bcol)
{
	sqlite3_stmt *st = kc_query_prepare(c->db, q);
	int rc, ncols = 0;

	if (!st)
		return -EIO;
	while (cols[ncols].name)
		ncols++;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *srow = json_object_get(sites, (const char *)sqlite3_column_text(st, 0));
		json_t *row = json_array();

		for (int i = 0; i < ncols; i++)
			json_array_append_new(row, kc_report_cell(st, i, cols[i].type));
		json_array_append_new(rows, row);
		if (!srow)
			continue;
		json_object_set_new(srow, a, json_integer(json_integer_value(json_object_get(srow, a)) + 1));
		if (b && sqlite3_column_bytes(st, bcol) > 0)
			json_object_set_new(srow, b, json_integer(json_integer_value(json_object_get(srow, b)) + 1));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* The month of each site: *months the JSON text of {"site": [start,
 * end]}, each in the site's zone, and [*lo, *hi) their union. */
struct vmonths {
	json_t *m;
	char *text;
	int64_t lo, hi;
};

static int vmonth_add(struct kc_db *db, struct vmonths *vm, const char *site, const char *month)
{
	int64_t s, e;

	if (json_object_get(vm->m, site))
		return 0;
	if (kc_zone_month(kc_report_site_zone(db, site), month, &s, &e) < 0)
		return -EINVAL;
	json_object_set_new(vm->m, site, json_pack("[I, I]", (json_int_t)s, (json_int_t)e));
	if (!vm->lo || s < vm->lo)
		vm->lo = s;
	if (e > vm->hi)
		vm->hi = e;
	return 0;
}

/* q: sql, with the months and :now for the placeholders it uses. */
static void vq(struct kc_query *q, const char *sql, const struct vmonths *vm, int64_t now)
{
	memset(q, 0, sizeof(*q));
	kc_query_add(q, sql);
	if (strstr(sql, ":months"))
		kc_query_set_str(q, ":months", vm->text);
	if (strstr(sql, ":lo"))
		kc_query_set_int(q, ":lo", vm->lo);
	if (strstr(sql, ":hi"))
		kc_query_set_int(q, ":hi", vm->hi);
	if (strstr(sql, ":now"))
		kc_query_set_int(q, ":now", now);
}

/* The month's vacant units of every site in scope (or of site), each site's month
 * in its own zone, in one pass, each with whether it was inspected: sites
 * gets {"site": {"name", "age", "target", "nv", "ni", ...}} for each
 * registered site (nv vacant, ni inspected), ni_rows (when not NULL) the
 * units not inspected as [site, unit, building, room], vm the months
 * (also of a site with vacancies but no site.registered). 0, -EINVAL (a
 * bad month), -EIO. */
static int coverage(struct kc_db *db, const char *site, const struct kc_scope *scope, const char *month,
		    struct vmonths *vm, json_t *sites, json_t *ni_rows)
{
	struct kc_query q;
	sqlite3_stmt *st;
	int rc;

	memset(&q, 0, sizeof(q));
	kc_query_add(&q, "SELECT site, name, age, 1 FROM sites WHERE (:site IS NULL OR site = :site)");
	kc_scope_query(&q, scope, "site", NULL);
	kc_query_add(&q, " UNION ALL SELECT DISTINCT site, NULL, NULL, 0 FROM vacancies WHERE (:site IS NULL OR site = :site)"
			 " AND site NOT IN (SELECT site FROM sites)");
	kc_scope_query(&q, scope, "site", NULL);
	kc_query_add(&q, " ORDER BY 1");
	kc_query_set_str(&q, ":site", site);
	if (!(st = kc_query_prepare(db, &q)))
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *sname = (const char *)sqlite3_column_text(st, 0), *age = (const char *)sqlite3_column_text(st, 2);

		if (vmonth_add(db, vm, sname, month) < 0) {
			sqlite3_finalize(st);
			return -EINVAL;
		}
		if (!sqlite3_column_int(st, 3))
			continue;
		json_object_set_new(sites, sname,
				    json_pack("{s:o, s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "name", kc_column_json(st, 1),
					      "age", age, "target", strcmp(age, "new") == 0 ? 80 : 100, "nv", 0, "ni", 0,
					      "problems", 0, "forwarded", 0, "overdue", 0));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || !(vm->text = json_dumps(vm->m, JSON_COMPACT)))
		return -EIO;

	vq(&q, MONTHS "SELECT v.site, v.unit, u.building, u.room, EXISTS (SELECT 1 FROM inspections x"
		      " WHERE x.site = v.site AND x.unit = v.unit AND x.ts_ms >= v.s AND x.ts_ms < v.e)"
		      " FROM (" VACANT_UNITS ") v LEFT JOIN units u USING (site, unit) ORDER BY v.site, v.unit",
	   vm, 0);
	if (!(st = kc_query_prepare(db, &q)))
		return -EIO;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *srow = json_object_get(sites, (const char *)sqlite3_column_text(st, 0));
		int inspected = sqlite3_column_int(st, 4);

		if (srow) {
			json_object_set_new(srow, "nv", json_integer(json_integer_value(json_object_get(srow, "nv")) + 1));
			if (inspected)
				json_object_set_new(srow, "ni",
						    json_integer(json_integer_value(json_object_get(srow, "ni")) + 1));
		}
		if (!inspected && ni_rows)
			json_array_append_new(ni_rows,
					      json_pack("[o, o, o, o]", kc_column_json(st, 0), kc_column_json(st, 1),
							kc_column_json(st, 2), kc_column_json(st, 3)));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int kc_report_vacant_coverage(struct kc_db *db, const char *site, const char *month, json_t **out)
{
	struct vmonths vm = { json_object(), NULL, 0, 0 };
	json_t *sites = json_object();
	int r = coverage(db, site, NULL, month, &vm, sites, NULL);

	json_decref(vm.m);
	free(vm.text);
	if (r < 0) {
		json_decref(sites);
		return r;
	}
	*out = sites;
	return 0;
}

int kc_report_vacant(struct kc_report_ctx *c)
{
	const char *month, *site = NULL, *key;
	int64_t start, end, total;
	char buf[16];
	struct kc_query q;
	struct vmonths vm = { json_object(), NULL, 0, 0 };
	json_t *sec, *sites = NULL, *ni_sec = NULL, *val, *problems = NULL, *overdue = NULL;

	month = kc_report_param(c, "month");
	if (kc_report_param_name(c, "site", &site) < 0 || kc_report_paging(c) < 0) {
		json_decref(vm.m);
		return -EINVAL;
	}
	if (!month) {
		kc_zone_month_of(c->zone, c->now, buf, sizeof(buf));
		month = buf;
		json_object_set_new(json_object_get(c->rep, "params"), "month", json_string(buf));
	}
	if (kc_zone_month(c->zone, month, &start, &end) < 0) {
		json_decref(vm.m);
		return kc_report_bad(c, "parameter \"month\": \"%.20s\" is not a month like 2026-11", month);
	}

	sites = json_object();
	ni_sec = json_pack("{s:s, s:s, s:s, s:[], s:[]}", "name", "not_inspected", "title_en",
			   "Vacant units not yet inspected", "title_zh",
			   kc_msg_gettext(KC_LANG_ZH, "Vacant units not yet inspected"), "columns", "rows");
	if (coverage(c->db, site, c->p->scope, month, &vm, sites, json_object_get(ni_sec, "rows")) < 0)
		goto fail;

	problems = json_array();
	overdue = json_array();
	vq(&q, INSPECTIONS_FROM("inspections_problems") " AND x.result = 'problems' ORDER BY x.site, x.ts_ms", &vm,
	   c->now);
	if (list_and_count(c, &q, vinsp_cols, problems, sites, "problems", "forwarded", 8) < 0)
		goto fail;
	vq(&q, OVERDUE_LOANS " ORDER BY l.site, l.out_ms", &vm, c->now);
	if (list_and_count(c, &q, voverdue_cols, overdue, sites, "overdue", NULL, 0) < 0)
		goto fail;

	sec = kc_report_section(c, "sites", "Per site", vsite_cols);
	json_object_foreach(sites, key, val) {
		json_int_t nv = json_integer_value(json_object_get(val, "nv"));
		json_int_t ni = json_integer_value(json_object_get(val, "ni"));
		json_int_t target = json_integer_value(json_object_get(val, "target"));

		json_array_append_new(json_object_get(sec, "rows"),
				      json_pack("[s, O, O, I, I, I, o, b, I, O, O, O]", key, json_object_get(val, "name"),
						json_object_get(val, "age"), target, nv, ni,
						nv ? json_real(floor(1000.0 * (double)ni / (double)nv + 0.5) / 10) : json_null(),
						nv == 0 || 100 * ni >= target * nv, nv - ni, json_object_get(val, "problems"),
						json_object_get(val, "forwarded"), json_object_get(val, "overdue")));
	}
	json_decref(sites);
	sites = NULL;
	sec = kc_report_section(c, "not_inspected", "Vacant units not yet inspected", vunit_cols);
	json_object_set(sec, "rows", json_object_get(ni_sec, "rows"));
	json_decref(ni_sec);
	ni_sec = NULL;

	vq(&q, INSPECTIONS_FROM("inspections_ts") " ORDER BY x.site, x.ts_ms", &vm, c->now);
	kc_query_int(&q, " LIMIT ?", c->page_size);
	kc_query_int(&q, " OFFSET ?", (c->page - 1) * c->page_size);
	sec = kc_report_section(c, "inspections", "Inspections", vinsp_cols);
	if (kc_report_fill(c, sec, &q, vinsp_cols) < 0)
		goto fail;
	vq(&q, MONTHS "SELECT count(*) FROM inspections x INDEXED BY inspections_ts CROSS JOIN m ON m.site = x.site"
		      " WHERE x.ts_ms >= :lo AND x.ts_ms < :hi AND x.ts_ms >= m.s AND x.ts_ms < m.e",
	   &vm, c->now);
	if ((total = kc_report_count(c, &q)) < 0)
		goto fail;
	kc_report_set_paging(c, sec, total);

	sec = kc_report_section(c, "problems", "Problems found and where forwarded", vinsp_cols);
	json_object_set_new(sec, "rows", problems);
	sec = kc_report_section(c, "overdue", "Inspection loans that ran overdue", voverdue_cols);
	json_object_set_new(sec, "rows", overdue);
	json_decref(vm.m);
	free(vm.text);
	/* rule 5's follow-up: what is still open, whenever it was found */
	return kc_report_problems_unresolved(c, site);
fail:
	json_decref(vm.m);
	free(vm.text);
	json_decref(sites);
	json_decref(ni_sec);
	json_decref(problems);
	json_decref(overdue);
	return -EIO;
}
