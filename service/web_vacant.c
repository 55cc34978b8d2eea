/* The monthly vacant-unit report as it is filed: the vacant report's
 * printable page (/r/vacant?print=1). For each site, on pages of its own:
 * the estate and the site by name, the month, when it was generated
 * (local time), coverage against target, the units not inspected, the
 * problems found with their follow-up, the inspection keys that ran
 * overdue, and the lines to sign (制表人, 审核主管, 日期); before them, with
 * more than one site, the sites side by side. In Chinese, people by name.
 * In print every page carries its number and the page count (@page margin
 * boxes) and a table that runs over pages repeats its header. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/sbuf.h"
#include "service/web.h"
#include "service/zone.h"

static const char sheet_style[] =
	"@page{size:A4;margin:15mm 14mm 18mm;"
	"@bottom-center{content:\"第 \" counter(page) \" 页 / 共 \" counter(pages) \" 页\";font-size:9pt;color:#333}}"
	"body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei',sans-serif;color:#111;"
	"font-size:12px;margin:1em}"
	"@media screen{body{max-width:190mm;margin:1em auto}}"
	"@media print{.noprint{display:none}body{margin:0}}"
	".estate{text-align:center;font-size:15px;margin:0}h1{text-align:center;font-size:20px;margin:.2em 0 .6em}"
	"h2{font-size:14px;margin:1.2em 0 .4em;break-after:avoid}"
	"table{border-collapse:collapse;width:100%;margin:.3em 0}"
	"th,td{border:1px solid #777;padding:3px 6px;text-align:left;vertical-align:top}th{background:#eee}"
	"thead{display:table-header-group}tr{break-inside:avoid}td.n{text-align:right}"
	"table.meta th{width:6em}.bad{color:#b00;font-weight:bold}.ok{color:#070}.none{color:#555}"
	"section.sheet{break-before:page}section.sheet.first{break-before:auto}"
	".sign{margin-top:2.5em;break-inside:avoid}.sign td{border:none;padding:1.5em 0 0;width:33%}"
	".line{display:inline-block;width:9em;border-bottom:1px solid #000}";

/* What every site's sheet shares. */
struct sheet {
	const json_t *report;
	const struct kc_web_page *pg;
	const struct kc_zone *z;
	char month[32];	     /* 2026年11月 */
	char generated[32];  /* local */
	int64_t now;
};

static const json_t *section(const json_t *report, const char *name)
{
	return kc_web_section(report, name);
}

static const json_t *at(const json_t *sec, const json_t *row, const char *col)
{
	return kc_web_at(sec, row, col);
}

static const char *str(const json_t *sec, const json_t *row, const char *col)
{
	return kc_web_str(sec, row, col);
}

/* The rows of sec that belong to site. */
static bool of_site(const json_t *sec, const json_t *row, const char *site)
{
	return strcmp(str(sec, row, "site"), site) == 0;
}

static void td(struct sbuf *b, const char *text)
{
	sbuf_add(b, "<td>");
	sbuf_html(b, text);
	sbuf_add(b, "</td>");
}

static void td_time(struct sbuf *b, const struct sheet *x, const json_t *v, const char *none)
{
	char t[32];

	if (!json_is_string(v)) {
		td(b, none);
		return;
	}
	kc_web_time(x->z, json_string_value(v), false, t, sizeof(t));
	td(b, t);
}

/* A person by name, the code only when no name is known. */
static void td_person(struct sbuf *b, const json_t *sec, const json_t *row, const char *code_col,
		      const char *name_col)
{
	const char *name = str(sec, row, name_col);

	td(b, *name ? name : str(sec, row, code_col));
}

/* A table's head: the column titles, repeated on each printed page. */
static void thead(struct sbuf *b, const char *const *titles)
{
	sbuf_add(b, "<table><thead><tr>");
	for (; *titles; titles++) {
		sbuf_add(b, "<th>");
		sbuf_html(b, *titles);
		sbuf_add(b, "</th>");
	}
	sbuf_add(b, "</tr></thead><tbody>\n");
}

/* A part of a site's sheet: its heading with the count of its rows;
 * false (and 无) when there are none, else the head of its table. */
static bool part(struct sbuf *b, const char *heading, long long n, const char *unit, const char *const *titles)
{
	sbuf_add(b, "<h2>");
	sbuf_html(b, heading);
	sbuf_printf(b, "（%lld %s）</h2>\n", n, unit);
	if (n == 0) {
		sbuf_add(b, "<p class=\"none\">无</p>\n");
		return false;
	}
	thead(b, titles);
	return true;
}

/* Coverage against target as a bar (inline SVG, 200 wide): the coverage
 * filled, the target a mark. */
static void bar(struct sbuf *b, double coverage, long target, bool met)
{
	sbuf_printf(b,
		    "<svg width=\"200\" height=\"14\" viewBox=\"0 0 200 14\" role=\"img\""
		    " aria-label=\"覆盖率 %.1f%%，目标 %ld%%\">"
		    "<rect x=\"0\" y=\"2\" width=\"200\" height=\"10\" fill=\"#f2f2f2\" stroke=\"#999\"/>"
		    "<rect x=\"0\" y=\"2\" width=\"%.1f\" height=\"10\" fill=\"%s\"/>"
		    "<line x1=\"%ld\" y1=\"0\" x2=\"%ld\" y2=\"14\" stroke=\"#000\" stroke-width=\"2\"/></svg>",
		    coverage, target, 2 * fmin(fmax(coverage, 0), 100), met ? "#4a9a5a" : "#c84a4a", 2 * target,
		    2 * target);
}

/* The coverage cells of a sites row: vacant, inspected, not inspected,
 * coverage (and its bar), target, verdict. */
static void coverage_cells(struct sbuf *b, const json_t *sites, const json_t *row)
{
	const json_t *cov = at(sites, row, "coverage_pct");
	long target = (long)json_integer_value(at(sites, row, "target_pct"));
	bool met = json_is_true(at(sites, row, "target_met"));

	sbuf_printf(b, "<td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td>",
		    (long long)json_integer_value(at(sites, row, "vacant")),
		    (long long)json_integer_value(at(sites, row, "inspected")),
		    (long long)json_integer_value(at(sites, row, "not_inspected")));
	if (json_is_number(cov)) {
		sbuf_printf(b, "%.1f %% ", json_number_value(cov));
		bar(b, json_number_value(cov), target, met);
	} else {
		sbuf_add(b, "—（本月无空置房）");
	}
	sbuf_printf(b, "</td><td class=\"n\">%ld %%</td><td class=\"%s\">%s</td>", target, met ? "ok" : "bad",
		    met ? "达标" : "未达标");
}

static const char *const coverage_titles[] = { "空置房（套）", "已巡检", "未巡检", "覆盖率", "目标", "结论", NULL };

static void heading(struct sbuf *b, const struct sheet *x)
{
	sbuf_add(b, "<p class=\"estate\">");
	if (x->pg->estate && *x->pg->estate)
		sbuf_html(b, x->pg->estate);
	else
		sbuf_add(b, "物业服务中心：<span class=\"line\"></span>");
	sbuf_add(b, "</p>\n<h1>空置房巡检月报</h1>\n");
}

static void meta(struct sbuf *b, const struct sheet *x, const char *site_name, const char *age)
{
	sbuf_add(b, "<table class=\"meta\"><tr><th>项目</th>");
	td(b, site_name);
	sbuf_add(b, "<th>统计月份</th>");
	td(b, x->month);
	sbuf_add(b, "</tr><tr><th>项目类别</th>");
	td(b, age);
	sbuf_add(b, "<th>生成时间</th><td>");
	sbuf_html(b, x->generated);
	sbuf_add(b, "（");
	sbuf_html(b, kc_zone_name(x->z));
	sbuf_add(b, "）</td></tr></table>\n");
}

static void not_inspected(struct sbuf *b, const struct sheet *x, const char *site, long long n)
{
	static const char *const titles[] = { "房号", "楼栋", "房间", NULL };
	const json_t *sec = section(x->report, "not_inspected"), *row;
	size_t i;

	if (!part(b, "二、未巡检的空置房", n, "套", titles))
		return;
	json_array_foreach(json_object_get(sec, "rows"), i, row) {
		if (!of_site(sec, row, site))
			continue;
		sbuf_add(b, "<tr>");
		td(b, str(sec, row, "unit"));
		td(b, str(sec, row, "building"));
		td(b, str(sec, row, "room"));
		sbuf_add(b, "</tr>\n");
	}
	sbuf_add(b, "</tbody></table>\n");
}

static void problems(struct sbuf *b, const struct sheet *x, const char *site, long long n)
{
	static const char *const titles[] = { "房号", "巡检时间", "巡检人", "发现的问题", "跟进情况", "已过天数", NULL };
	const json_t *sec = section(x->report, "problems"), *row;
	size_t i;

	if (!part(b, "三、发现的问题及跟进情况", n, "条", titles))
		return;
	json_array_foreach(json_object_get(sec, "rows"), i, row) {
		const char *fwd = str(sec, row, "forwarded_to");
		int64_t ts = 0;

		if (!of_site(sec, row, site))
			continue;
		sbuf_add(b, "<tr>");
		td(b, str(sec, row, "unit"));
		td_time(b, x, at(sec, row, "ts"), "");
		td_person(b, sec, row, "inspector", "inspector_name");
		td(b, str(sec, row, "problems"));
		if (*fwd) {
			sbuf_add(b, "<td>已转呈 ");
			sbuf_html(b, fwd);
			sbuf_add(b, "</td>");
		} else {
			sbuf_add(b, "<td class=\"bad\">未转呈，待跟进</td>");
		}
		kc_time_parse(str(sec, row, "ts"), &ts);
		sbuf_printf(b, "<td class=\"n\">%lld 天</td></tr>\n", (long long)((x->now - ts) / 86400000));
	}
	sbuf_add(b, "</tbody></table>\n");
}

static void overdue(struct sbuf *b, const struct sheet *x, const char *site, long long n)
{
	static const char *const titles[] = { "钥匙", "房号", "借用人", "借出时间", "应还时间", "归还时间", NULL };
	const json_t *sec = section(x->report, "overdue"), *row;
	size_t i;

	if (!part(b, "四、逾期归还的巡检钥匙", n, "把", titles))
		return;
	json_array_foreach(json_object_get(sec, "rows"), i, row) {
		if (!of_site(sec, row, site))
			continue;
		sbuf_add(b, "<tr>");
		td(b, str(sec, row, "key"));
		td(b, str(sec, row, "unit"));
		td_person(b, sec, row, "person", "person_name");
		td_time(b, x, at(sec, row, "out"), "");
		td_time(b, x, at(sec, row, "due"), "");
		td_time(b, x, at(sec, row, "returned"), "未归还");
		sbuf_add(b, "</tr>\n");
	}
	sbuf_add(b, "</tbody></table>\n");
}

/* Rule 5's follow-up: the site's problems not yet resolved, whenever
 * found, with their state (open or forwarded, to whom) and age. */
static void unresolved(struct sbuf *b, const struct sheet *x, const char *site)
{
	const struct kc_web_page *pg = x->pg;
	const char *const titles[] = { kc_web_t(pg, "Unit"), kc_web_t(pg, "Found"), kc_web_t(pg, "Problems"),
				       kc_web_t(pg, "Follow-up"), kc_web_t(pg, "Forwarded to"),
				       kc_web_t(pg, "Age (days)"), NULL };
	const json_t *sec = section(x->report, "unresolved"), *row;
	long long n = 0;
	size_t i;

	json_array_foreach(json_object_get(sec, "rows"), i, row)
		n += of_site(sec, row, site);
	if (!part(b, kc_web_t(pg, "5. Problems not yet resolved, with their follow-up"), n,
		  kc_web_t(pg, "problems"), titles))
		return;
	json_array_foreach(json_object_get(sec, "rows"), i, row) {
		const char *dept = str(sec, row, "department"), *to = str(sec, row, "forwarded_to");

		if (!of_site(sec, row, site))
			continue;
		sbuf_printf(b, "<tr class=\"problem %s\">", str(sec, row, "state"));
		td(b, str(sec, row, "unit"));
		td_time(b, x, at(sec, row, "found"), "");
		td(b, str(sec, row, "problems"));
		td(b, kc_web_problem_state(pg, str(sec, row, "state")));
		sbuf_add(b, "<td>");
		sbuf_html(b, dept);
		if (*to) {
			sbuf_add(b, " ");
			sbuf_html(b, to);
		}
		sbuf_add(b, "</td>");
		sbuf_printf(b, "<td class=\"n\">%lld</td></tr>\n", (long long)json_integer_value(at(sec, row, "age_days")));
	}
	sbuf_add(b, "</tbody></table>\n");
}

static void site_sheet(struct sbuf *b, const struct sheet *x, const json_t *row, bool first)
{
	const json_t *sites = section(x->report, "sites");
	const char *site = str(sites, row, "site"), *name = str(sites, row, "name");
	const char *age = strcmp(str(sites, row, "age"), "new") == 0 ? "新项目" : "老项目";

	sbuf_printf(b, "<section class=\"sheet%s\">\n", first ? " first" : "");
	heading(b, x);
	meta(b, x, *name ? name : site, age);
	sbuf_add(b, "<h2>一、巡检覆盖率</h2>\n");
	thead(b, coverage_titles);
	sbuf_add(b, "<tr>");
	coverage_cells(b, sites, row);
	sbuf_add(b, "</tr></tbody></table>\n");
	not_inspected(b, x, site, (long long)json_integer_value(at(sites, row, "not_inspected")));
	problems(b, x, site, (long long)json_integer_value(at(sites, row, "problems")));
	overdue(b, x, site, (long long)json_integer_value(at(sites, row, "overdue")));
	unresolved(b, x, site);
	sbuf_add(b, "<table class=\"sign\"><tr><td>制表人：<span class=\"line\"></span></td>"
		    "<td>审核主管：<span class=\"line\"></span></td><td>日期：<span class=\"line\"></span></td></tr>"
		    "</table>\n</section>\n");
}

/* With more than one site: the sites side by side, first. */
static void summary(struct sbuf *b, const struct sheet *x)
{
	static const char *const titles[] = { "项目", "类别", "空置房（套）", "已巡检", "未巡检", "覆盖率", "目标",
					      "结论", NULL };
	const json_t *sites = section(x->report, "sites"), *row;
	size_t i;

	sbuf_add(b, "<section class=\"sheet first\">\n");
	heading(b, x);
	sbuf_add(b, "<table class=\"meta\"><tr><th>统计月份</th>");
	td(b, x->month);
	sbuf_add(b, "<th>生成时间</th><td>");
	sbuf_html(b, x->generated);
	sbuf_add(b, "（");
	sbuf_html(b, kc_zone_name(x->z));
	sbuf_add(b, "）</td></tr></table>\n<h2>各项目巡检覆盖率</h2>\n");
	thead(b, titles);
	json_array_foreach(json_object_get(sites, "rows"), i, row) {
		const char *name = str(sites, row, "name");

		sbuf_add(b, "<tr>");
		td(b, *name ? name : str(sites, row, "site"));
		td(b, strcmp(str(sites, row, "age"), "new") == 0 ? "新项目" : "老项目");
		coverage_cells(b, sites, row);
		sbuf_add(b, "</tr>\n");
	}
	sbuf_add(b, "</tbody></table>\n<p class=\"none\">各项目的明细与签字见后续各页。</p>\n</section>\n");
}

char *kc_web_vacant_sheet(const json_t *report, const struct kc_web_page *pg)
{
	const json_t *sites = section(report, "sites"), *row;
	const char *month = json_string_value(json_object_get(json_object_get(report, "params"), "month"));
	struct sheet x = { report, pg, kc_web_zone(report), "", "", kc_wall_ms() };
	struct sbuf b = { 0 };
	int y = 0, m = 0;
	size_t i, n = json_array_size(json_object_get(sites, "rows"));

	if (month && sscanf(month, "%4d-%2d", &y, &m) == 2)
		snprintf(x.month, sizeof(x.month), "%d年%d月", y, m);
	kc_web_time(x.z, json_string_value(json_object_get(report, "generated")), false, x.generated,
		    sizeof(x.generated));
	sbuf_add(&b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>空置房巡检月报 ");
	sbuf_html(&b, x.month);
	if (pg->estate && *pg->estate) {
		sbuf_add(&b, " - ");
		sbuf_html(&b, pg->estate);
	}
	sbuf_add(&b, "</title><style>");
	sbuf_add(&b, sheet_style);
	sbuf_add(&b, "</style></head><body>\n<p class=\"noprint\"><a href=\"/r/vacant?month=");
	sbuf_url(&b, month ? month : "");
	sbuf_add(&b, "\">&larr; 返回空置房检查</a> &middot; 用浏览器的打印（Ctrl+P）打印本页，每个项目单独成页。</p>\n");
	if (n > 1)
		summary(&b, &x);
	json_array_foreach(json_object_get(sites, "rows"), i, row)
		site_sheet(&b, &x, row, n == 1);
	if (n == 0) {
		heading(&b, &x);
		sbuf_add(&b, "<p class=\"none\">没有项目。</p>\n");
	}
	sbuf_add(&b, "</body></html>\n");
	return sbuf_take(&b);
}
