/* Vacant-unit inspections of a month, per site (report 4, rule 5). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/reports_impl.h"

/* ---- 4. vacant-unit inspections (rule 5) ---- */

static const struct kc_report_col vsite_cols[] = {
	{ "site", "Site", "项目", 's' },		{ "name", "Name", "名称", 's' },
	{ "age", "New/old", "新/老项目", 's' },	{ "target_pct", "Target %", "目标抽查率%", 's' },
	{ "vacant", "Vacant units", "空置房数", 's' }, { "inspected", "Inspected", "已检查", 's' },
	{ "coverage_pct", "Coverage %", "抽查率%", 's' }, { "target_met", "Target met", "达标", 'b' },
	{ "not_inspected", "Not inspected", "未检查", 's' }, { "problems", "Problems", "发现问题", 's' },
	{ "forwarded", "Forwarded", "已转呈", 's' }, { "overdue", "Overdue loans", "逾期借用", 's' },
	{ NULL, NULL, NULL, 0 },
};
static const struct kc_report_col vunit_cols[] = {
	{ "site", "Site", "项目", 's' },		{ "unit", "Unit", "房号", 's' },
	{ "building", "Building", "楼栋", 's' },	{ "room", "Room", "房间", 's' },
	{ NULL, NULL, NULL, 0 },
};
static const struct kc_report_col vinsp_cols[] = {
	{ "site", "Site", "项目", 's' },		{ "unit", "Unit", "房号", 's' },
	{ "ts", "Inspected", "检查时间", 't' },	{ "inspector", "Inspector", "检查人", 's' },
	{ "key", "Key", "钥匙", 's' },		{ "result", "Result", "结果", 's' },
	{ "problems", "Problems", "问题", 's' },	{ "forwarded_to", "Forwarded to", "转呈部门", 's' },
	{ "actor", "Recorded by", "登记人", 's' },	{ NULL, NULL, NULL, 0 },
};
static const struct kc_report_col voverdue_cols[] = {
	{ "site", "Site", "项目", 's' },		{ "unit", "Unit", "房号", 's' },
	{ "key", "Key", "钥匙", 's' },		{ "person", "Borrower", "借用人", 's' },
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "loan", "Loan", "借用单", 's' },
	{ "out", "Out", "借出", 't' },		{ "due", "Due", "应还", 't' },
	{ "returned", "Returned", "归还", 't' },	{ NULL, NULL, NULL, 0 },
};

/* Vacant units of the month: vacant at any time in [:start, :end) at
 * :site (NULL: every site). */
#define VACANT_UNITS \
	"SELECT DISTINCT site, unit FROM vacancies WHERE from_ms < :end AND (to_ms IS NULL OR to_ms > :start)" \
	" AND (:site IS NULL OR site = :site)"
#define OVERDUE_LOANS \
	"SELECT site, unit, key, person, cabinet, loan, out_ms, due_ms, returned_ms FROM loans INDEXED BY loans_insp" \
	" WHERE kind = 'vacant' AND purpose = 'inspection' AND out_ms >= :start AND out_ms < :end" \
	" AND (:site IS NULL OR site = :site) AND state <> 'not_taken'" \
	" AND (overdue OR returned_ms > due_ms OR (returned_ms IS NULL AND due_ms < :now))"

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

/* q: sql, with the month's values for the placeholders it uses of
 * :start, :end, :site and :now. */
static void vq(struct kc_query *q, const char *sql, int64_t start, int64_t end, const char *site, int64_t now)
{
	memset(q, 0, sizeof(*q));
	kc_query_add(q, sql);
	if (strstr(sql, ":start"))
		kc_query_set_int(q, ":start", start);
	if (strstr(sql, ":end"))
		kc_query_set_int(q, ":end", end);
	if (strstr(sql, ":site"))
		kc_query_set_str(q, ":site", site);
	if (strstr(sql, ":now"))
		kc_query_set_int(q, ":now", now);
}

int kc_report_vacant(struct kc_report_ctx *c)
{
	const char *month, *site = NULL, *key;
	int y, m, n = 0, rc;
	int64_t start, end, total;
	char buf[KC_TIME_LEN];
	struct kc_query q;
	json_t *sec, *sites = NULL, *ni_sec = NULL, *val, *problems = NULL, *overdue = NULL;
	sqlite3_stmt *st;

	month = kc_report_param(c, "month");
	if (kc_report_param_name(c, "site", &site) < 0 || kc_report_paging(c) < 0)
		return -EINVAL;
	if (!month) {
		kc_time_format(c->now, buf, sizeof(buf));
		buf[7] = '\0';
		month = buf;
		json_object_set_new(json_object_get(c->rep, "params"), "month", json_string(buf));
	}
	if (sscanf(month, "%4d-%2d%n", &y, &m, &n) != 2 || n != 7 || month[7] || m < 1 || m > 12 || y < 1970)
		return kc_report_bad(c, "parameter \"month\": \"%.20s\" is not a month like 2026-11", month);
	snprintf(buf, sizeof(buf), "%04d-%02d-01", y % 10000, m);
	kc_time_parse(buf, &start);
	snprintf(buf, sizeof(buf), "%04d-%02d-01", (m == 12 ? y + 1 : y) % 10000, m == 12 ? 1 : m + 1);
	kc_time_parse(buf, &end);

	/* One pass over the month's vacant units, each with whether it was
	 * inspected; the per-site figures are summed here. */
	sites = json_object();
	vq(&q, "SELECT site, name, age FROM sites WHERE (:site IS NULL OR site = :site) ORDER BY site", start, end, site,
	   c->now);
	if (!(st = kc_query_prepare(c->db, &q)))
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *age = (const char *)sqlite3_column_text(st, 2);

		json_object_set_new(sites, (const char *)sqlite3_column_text(st, 0),
				    json_pack("{s:o, s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "name", kc_column_json(st, 1),
					      "age", age, "target", strcmp(age, "new") == 0 ? 80 : 100, "nv", 0, "ni", 0,
					      "problems", 0, "forwarded", 0, "overdue", 0));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;

	ni_sec = json_pack("{s:s, s:s, s:s, s:[], s:[]}", "name", "not_inspected", "title_en",
			   "Vacant units not yet inspected", "title_zh", "未检查的空置房", "columns", "rows");
	vq(&q, "SELECT v.site, v.unit, u.building, u.room, EXISTS (SELECT 1 FROM inspections x"
	       " WHERE x.site = v.site AND x.unit = v.unit AND x.ts_ms >= :start AND x.ts_ms < :end)"
	       " FROM (" VACANT_UNITS ") v LEFT JOIN units u USING (site, unit) ORDER BY v.site, v.unit",
	   start, end, site, c->now);
	if (!(st = kc_query_prepare(c->db, &q)))
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *srow = json_object_get(sites, (const char *)sqlite3_column_text(st, 0));
		int inspected = sqlite3_column_int(st, 4);

		if (srow) {
			json_object_set_new(srow, "nv", json_integer(json_integer_value(json_object_get(srow, "nv")) + 1));
			if (inspected)
				json_object_set_new(srow, "ni",
						    json_integer(json_integer_value(json_object_get(srow, "ni")) + 1));
		}
		if (!inspected)
			json_array_append_new(json_object_get(ni_sec, "rows"),
					      json_pack("[o, o, o, o]", kc_column_json(st, 0), kc_column_json(st, 1),
							kc_column_json(st, 2), kc_column_json(st, 3)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;

	problems = json_array();
	overdue = json_array();
	vq(&q, "SELECT site, unit, ts_ms, inspector, key, result, problems, forwarded_to, actor FROM inspections"
	       " INDEXED BY inspections_problems WHERE ts_ms >= :start AND ts_ms < :end AND (:site IS NULL OR site = :site)"
	       " AND result = 'problems' ORDER BY site, ts_ms",
	   start, end, site, c->now);
	if (list_and_count(c, &q, vinsp_cols, problems, sites, "problems", "forwarded", 7) < 0)
		goto fail;
	vq(&q, OVERDUE_LOANS " ORDER BY site, out_ms", start, end, site, c->now);
	if (list_and_count(c, &q, voverdue_cols, overdue, sites, "overdue", NULL, 0) < 0)
		goto fail;

	sec = kc_report_section(c, "sites", "Per site", "各项目", vsite_cols);
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
	sec = kc_report_section(c, "not_inspected", "Vacant units not yet inspected", "未检查的空置房", vunit_cols);
	json_object_set(sec, "rows", json_object_get(ni_sec, "rows"));
	json_decref(ni_sec);
	ni_sec = NULL;

	vq(&q, "SELECT site, unit, ts_ms, inspector, key, result, problems, forwarded_to, actor FROM inspections"
	       " INDEXED BY inspections_ts WHERE ts_ms >= :start AND ts_ms < :end AND (:site IS NULL OR site = :site)"
	       " ORDER BY site, ts_ms",
	   start, end, site, c->now);
	kc_query_int(&q, " LIMIT ?", c->page_size);
	kc_query_int(&q, " OFFSET ?", (c->page - 1) * c->page_size);
	sec = kc_report_section(c, "inspections", "Inspections", "检查记录", vinsp_cols);
	if (kc_report_fill(c, sec, &q, vinsp_cols) < 0)
		goto fail;
	vq(&q, "SELECT count(*) FROM inspections INDEXED BY inspections_ts WHERE ts_ms >= :start AND ts_ms < :end AND (:site IS NULL OR site = :site)",
	   start, end, site, c->now);
	if ((total = kc_report_count(c, &q)) < 0)
		goto fail;
	kc_report_set_paging(c, sec, total);

	sec = kc_report_section(c, "problems", "Problems found and where forwarded", "发现的问题及转呈", vinsp_cols);
	json_object_set_new(sec, "rows", problems);
	sec = kc_report_section(c, "overdue", "Inspection loans that ran overdue", "逾期归还的检查借用", voverdue_cols);
	json_object_set_new(sec, "rows", overdue);
	return 0;
fail:
	json_decref(sites);
	json_decref(ni_sec);
	json_decref(problems);
	json_decref(overdue);
	return -EIO;
}
