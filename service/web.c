#include "service/web.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "common/util.h"
#include "service/reports.h"
#include "service/config.h"
#include "service/sbuf.h"
#include "service/zone.h"

static const char style[] =
	"body{font-family:'Noto Sans CJK SC','Microsoft YaHei',sans-serif;margin:1em;color:#111}"
	"nav a{margin-right:1em}table{border-collapse:collapse;margin:.5em 0 1.5em;font-size:13px}"
	"th,td{border:1px solid #999;padding:2px 6px;vertical-align:top;text-align:left}"
	"th{background:#eee}th small{display:block;font-weight:normal;color:#555}"
	"form.filter label{margin-right:.8em;white-space:nowrap}form.filter input{width:9em}"
	".bad{color:#b00;font-weight:bold}.ok{color:#070}.meta{color:#555;font-size:12px}"
	"td{overflow-wrap:anywhere}td.code,td.code a{color:#666;font-size:11px}.pager a{margin-right:.8em}"
	/* a phone: tables become cards, one labelled line a cell */
	"@media screen and (max-width:700px){body{margin:.5em}h1 small{display:block}"
	"nav a{display:inline-block;margin:.2em .8em .2em 0}"
	"form.filter label{display:block;margin:.3em 0;white-space:normal}form.filter input,form.filter select"
	"{display:block;width:100%;max-width:100%;box-sizing:border-box;font-size:16px}"
	"table.report,table.report tbody,table.report tr,table.report td{display:block;width:auto}"
	"table.report thead{display:none}table.report{border:0;font-size:14px}"
	"table.report tr{border:1px solid #999;margin:0 0 .6em;padding:.3em .5em}"
	"table.report td{border:0;padding:1px 0}"
	"table.report td[data-label]::before{content:attr(data-label) '\\FF1A';color:#555;font-size:12px}}"
	"@media print{nav,form,.noprint{display:none}body{margin:0}table{font-size:10px}}";

const char *kc_web_t(const struct kc_web_page *pg, const char *en)
{
	return pg && pg->english ? en : kc_msg_gettext(KC_LANG_ZH, en);
}

static void head(struct sbuf *b, const char *title_zh, const char *title_en, const struct kc_web_page *pg)
{
	sbuf_add(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
	sbuf_html(b, title_zh);
	sbuf_add(b, " / ");
	sbuf_html(b, title_en);
	sbuf_add(b, " - keyauditd</title><style>");
	sbuf_add(b, style);
	sbuf_add(b, "</style></head><body>\n");
	if (pg && pg->user && !pg->print) {
		sbuf_add(b, "<nav><a href=\"/\">");
		sbuf_html(b, kc_web_t(pg, "Home"));
		sbuf_add(b, "</a>");
		for (size_t i = 0; i < kc_nreports; i++) {
			sbuf_printf(b, "<a href=\"/r/%s\">", kc_reports[i].name);
			sbuf_html(b, kc_reports[i].title_zh);
			sbuf_add(b, "</a>");
		}
		if (pg->role && strcmp(pg->role, "admin") == 0) {
			sbuf_add(b, "<a href=\"/accounts\">");
			sbuf_html(b, kc_web_t(pg, "Accounts"));
			sbuf_add(b, "</a>");
		}
		sbuf_add(b, "<form method=\"post\" action=\"/logout\" style=\"display:inline\">");
		sbuf_add(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
		sbuf_html(b, pg->csrf ? pg->csrf : "");
		sbuf_add(b, "\"><button type=\"submit\">退出 Log out (");
		sbuf_html(b, pg->user);
		sbuf_add(b, ")</button></form></nav>\n");
	}
	sbuf_add(b, "<h1>");
	sbuf_html(b, title_zh);
	sbuf_add(b, " <small>");
	sbuf_html(b, title_en);
	sbuf_add(b, "</small></h1>\n");
}

static void tail(struct sbuf *b)
{
	sbuf_add(b, "</body></html>\n");
}

void kc_web_head(struct sbuf *b, const char *title_zh, const char *title_en, const struct kc_web_page *pg)
{
	head(b, title_zh, title_en, pg);
}

void kc_web_tail(struct sbuf *b)
{
	tail(b);
}

char *kc_web_login(const char *message)
{
	struct sbuf b = { 0 };

	head(&b, "登录", "Log in", NULL);
	if (message) {
		sbuf_add(&b, "<p class=\"bad\" id=\"message\">");
		sbuf_html(&b, message);
		sbuf_add(&b, "</p>");
	}
	sbuf_add(&b, "<form method=\"post\" action=\"/login\">"
		     "<p><label>用户名 User <input name=\"user\" autocomplete=\"username\" required></label></p>"
		     "<p><label>密码 Password <input name=\"password\" type=\"password\""
		     " autocomplete=\"current-password\" required></label></p>"
		     "<p><button type=\"submit\">登录 Log in</button></p></form>");
	tail(&b);
	return sbuf_take(&b);
}

char *kc_web_message(const struct kc_web_page *pg, const char *title, const char *message)
{
	struct sbuf b = { 0 };

	head(&b, title, "", pg);
	sbuf_add(&b, "<p class=\"bad\" id=\"message\">");
	sbuf_html(&b, message);
	sbuf_add(&b, "</p>");
	tail(&b);
	return sbuf_take(&b);
}

struct filter {
	const char *name, *zh, *en;
};

/* The filters of a report's page (the key log's are web_keylog.c's). */
static const struct filter *filters_of(const char *report)
{
	static const struct filter now[] = { { "site", "项目", "Site" }, { "cabinet", "钥匙柜", "Cabinet" },
					     { NULL, NULL, NULL } };
	static const struct filter ent[] = { { "site", "项目", "Site" }, { "cabinet", "钥匙柜", "Cabinet" },
					     { "days", "天内到期", "Days ahead" }, { "from", "通知从", "Notices from" },
					     { "to", "到", "To" }, { NULL, NULL, NULL } };
	static const struct filter vacant[] = { { "site", "项目", "Site" }, { "month", "月份", "Month" },
						{ NULL, NULL, NULL } };
	static const struct filter ho[] = { { "site", "项目", "Site" }, { "cabinet", "钥匙柜", "Cabinet" },
					    { "from", "从", "From" }, { "to", "到", "To" },
					    { "unreviewed", "仅未审阅(1)", "Unreviewed only (1)" }, { NULL, NULL, NULL } };
	static const struct filter chain[] = { { "cabinet", "钥匙柜", "Cabinet" }, { NULL, NULL, NULL } };

	if (strcmp(report, "now") == 0)
		return now;
	if (strcmp(report, "entrustments") == 0)
		return ent;
	if (strcmp(report, "vacant") == 0)
		return vacant;
	if (strcmp(report, "handovers") == 0)
		return ho;
	return chain;
}

/* The report's query string, without page, with extra appended. */
static void query(struct sbuf *b, const json_t *params, const char *extra)
{
	const char *k;
	json_t *v;
	int first = 1;

	json_object_foreach((json_t *)params, k, v) {
		/* the page's position: page, or a key log cursor */
		if (strcmp(k, "page") == 0 || strcmp(k, "after") == 0 || strcmp(k, "before") == 0 ||
		    strcmp(k, "last") == 0 || !json_is_string(v))
			continue;
		sbuf_add(b, first ? "?" : "&amp;");
		first = 0;
		sbuf_url(b, k);
		sbuf_add(b, "=");
		sbuf_url(b, json_string_value(v));
	}
	if (extra) {
		sbuf_add(b, first ? "?" : "&amp;");
		sbuf_add(b, extra);
	}
}

/* "2026-10-02T11:01:00.000Z": a time, as stored and as JSON/CSV give it */
static bool is_iso_time(const char *s)
{
	return strlen(s) == 24 && s[4] == '-' && s[10] == 'T' && s[13] == ':' && s[23] == 'Z';
}

const struct kc_zone *kc_web_zone(const json_t *report)
{
	const struct kc_zone *z = kc_zone_get(json_string_value(json_object_get(report, "time_zone")));

	return z ? z : kc_zone_default();
}

/* A midnight UTC that is no local midnight is a date the cabinet recorded
 * before it had a time zone, shown as that date. */
void kc_web_time(const struct kc_zone *z, const char *iso, bool is_end, char *out, size_t len)
{
	int64_t ms;

	if (kc_time_parse(iso, &ms) < 0) {
		snprintf(out, len, "%s", iso);
		return;
	}
	if (ms % 86400000 == 0 && kc_zone_day_start(z, ms) != ms) {
		snprintf(out, len, "%.10s", iso);
		return;
	}
	kc_zone_format(z, ms, is_end ? KC_DAY_END : KC_DAY_START, out, len);
}

/* yes_is_bad: a column where "yes" is the alarming answer (overdue);
 * is_end: a date's exclusive end (an entrustment's), shown as its last day */
static void cell(struct sbuf *b, const json_t *v, const struct kc_zone *z, bool yes_is_bad, bool is_end)
{
	char num[32];
	char *dump;

	if (json_is_string(v) && is_iso_time(json_string_value(v))) {
		/* supervisors read local times, in the report's zone */
		kc_web_time(z, json_string_value(v), is_end, num, sizeof(num));
		sbuf_html(b, num);
	} else if (json_is_string(v)) {
		sbuf_html(b, json_string_value(v));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		sbuf_add(b, num);
	} else if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%.1f", json_real_value(v));
		sbuf_add(b, num);
	} else if (json_is_boolean(v)) {
		if (json_is_true(v))
			sbuf_add(b, yes_is_bad ? "<span class=\"bad\">是 yes</span>" : "<span class=\"ok\">是 yes</span>");
		else
			sbuf_add(b, yes_is_bad ? "<span class=\"ok\">否 no</span>" : "<span class=\"bad\">否 no</span>");
	} else if (json_is_array(v) || json_is_object(v)) {
		dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (dump)
			sbuf_html(b, dump);
		free(dump);
	}
}

static void review_form(struct sbuf *b, const json_t *row, const struct kc_zone *z)
{
	/* columns of the handovers section: 1 handover, 5 confirmed, 9 reviewed_by.
	 * A review is signed at the cabinet and shows here from its event. */
	if (!json_is_null(json_array_get(row, 9)))
		return;
	if (json_is_null(json_array_get(row, 5))) {
		sbuf_add(b, "接班未确认 not yet confirmed");
		return;
	}
	sbuf_add(b, "<span class=\"review\">待主管在钥匙柜签字审阅 to be signed at the cabinet: <code>keycab handover review ");
	cell(b, json_array_get(row, 1), z, false, false);
	sbuf_add(b, "</code></span>");
}

void kc_web_generated(struct sbuf *b, const json_t *report, const struct kc_web_page *pg)
{
	const struct kc_zone *z = kc_web_zone(report);
	int32_t off = kc_zone_offset(z, kc_wall_ms()) / 60;
	char when[32];

	sbuf_add(b, "<p class=\"meta\">生成时间 Generated ");
	kc_web_time(z, json_string_value(json_object_get(report, "generated")), false, when, sizeof(when));
	sbuf_html(b, when);
	sbuf_add(b, " (");
	sbuf_html(b, kc_zone_name(z));
	sbuf_printf(b, ", UTC%c%02d:%02d) &middot; ", off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
	sbuf_html(b, pg->user);
	sbuf_add(b, "</p>\n");
}

char *kc_web_report(const json_t *report, const struct kc_web_page *pg)
{
	const char *name = json_string_value(json_object_get(report, "report"));
	const json_t *params = json_object_get(report, "params"), *sec;
	const int is_ho = strcmp(name, "handovers") == 0;
	const struct kc_zone *z = kc_web_zone(report);
	struct sbuf b = { 0 };
	size_t i;

	if (pg->print && strcmp(name, "vacant") == 0)
		return kc_web_vacant_sheet(report, pg);
	if (strcmp(name, "keylog") == 0)
		return kc_web_keylog(report, pg);

	head(&b, json_string_value(json_object_get(report, "title_zh")),
	     json_string_value(json_object_get(report, "title_en")), pg);
	kc_web_generated(&b, report, pg);
	if (!pg->print) {
		sbuf_printf(&b, "<form class=\"filter\" method=\"get\" action=\"/r/%s\">", name);
		for (const struct filter *f = filters_of(name); f->name; f++) {
			const json_t *v = json_object_get(params, f->name);

			sbuf_printf(&b, "<label>%s %s <input name=\"%s\" value=\"", f->zh, f->en, f->name);
			if (json_is_string(v))
				sbuf_html(&b, json_string_value(v));
			sbuf_add(&b, "\"></label>");
		}
		sbuf_add(&b, "<button type=\"submit\">查询 Search</button></form>\n<p class=\"noprint\">");
		sbuf_printf(&b, "<a href=\"/r/%s", name);
		query(&b, params, "print=1");
		sbuf_add(&b, "\">打印版 Printable page</a> &middot; ");
		sbuf_printf(&b, "<a href=\"/api/v1/reports/%s", name);
		query(&b, params, "format=json");
		sbuf_add(&b, "\">JSON</a></p>\n");
	}
	json_array_foreach(json_object_get(report, "sections"), i, sec) {
		const char *sname = json_string_value(json_object_get(sec, "name"));
		const json_t *row, *col;
		size_t j, k;

		sbuf_printf(&b, "<h2 id=\"%s\">", sname);
		sbuf_html(&b, json_string_value(json_object_get(sec, "title_zh")));
		sbuf_add(&b, " <small>");
		sbuf_html(&b, json_string_value(json_object_get(sec, "title_en")));
		sbuf_printf(&b, "</small> <span class=\"count\">(%zu)</span></h2>\n",
			    json_array_size(json_object_get(sec, "rows")));
		if (!pg->print)
			kc_web_export_links(&b, name, params, sname);
		sbuf_printf(&b, "<table class=\"report\" data-section=\"%s\"><thead><tr>", sname);
		json_array_foreach(json_object_get(sec, "columns"), k, col) {
			sbuf_printf(&b, "<th data-col=\"%s\">", json_string_value(json_object_get(col, "name")));
			sbuf_html(&b, json_string_value(json_object_get(col, "zh")));
			sbuf_add(&b, "<small>");
			sbuf_html(&b, json_string_value(json_object_get(col, "en")));
			sbuf_add(&b, "</small></th>");
		}
		if (is_ho && !pg->print)
			sbuf_add(&b, "<th>审阅<small>Review</small></th>");
		sbuf_add(&b, "</tr></thead><tbody>\n");
		json_array_foreach(json_object_get(sec, "rows"), j, row) {
			sbuf_add(&b, "<tr>");
			json_array_foreach(row, k, col) {
				const char *cname = json_string_value(json_object_get(
					json_array_get(json_object_get(sec, "columns"), k), "name"));

				sbuf_add(&b, "<td data-label=\"");
				sbuf_html(&b, json_string_value(json_object_get(
					json_array_get(json_object_get(sec, "columns"), k), "zh")));
				sbuf_add(&b, "\">");
				cell(&b, col, z, cname && strcmp(cname, "overdue") == 0,
				     cname && strcmp(cname, "end") == 0);
				sbuf_add(&b, "</td>");
			}
			if (is_ho && !pg->print) {
				sbuf_add(&b, "<td>");
				review_form(&b, row, z);
				sbuf_add(&b, "</td>");
			}
			sbuf_add(&b, "</tr>\n");
		}
		sbuf_add(&b, "</tbody></table>\n");
		if (json_object_get(sec, "total")) {
			json_int_t total = json_integer_value(json_object_get(sec, "total"));
			json_int_t page = json_integer_value(json_object_get(sec, "page"));
			json_int_t size = json_integer_value(json_object_get(sec, "page_size"));
			char extra[48];

			if (pg->print)
				kc_web_print_notice(&b, sec);
			sbuf_printf(&b, "<p class=\"meta pager\">共 %lld 条 total, 第 %lld 页 page ",
				    (long long)total, (long long)page);
			if (!pg->print && page > 1) {
				snprintf(extra, sizeof(extra), "page=%lld", (long long)page - 1);
				sbuf_printf(&b, "<a href=\"/r/%s", name);
				query(&b, params, extra);
				sbuf_add(&b, "\">&larr; 上一页 previous</a> ");
			}
			if (!pg->print && page * size < total) {
				snprintf(extra, sizeof(extra), "page=%lld", (long long)page + 1);
				sbuf_printf(&b, "<a href=\"/r/%s", name);
				query(&b, params, extra);
				sbuf_add(&b, "\">下一页 next &rarr;</a>");
			}
			sbuf_add(&b, "</p>\n");
		}
	}
	tail(&b);
	return sbuf_take(&b);
}

void kc_web_export_links(struct sbuf *b, const char *report, const json_t *params, const char *section)
{
	char extra[96];

	/* the whole filtered report, every row (export_http.c) */
	snprintf(extra, sizeof(extra), "section=%s", section);
	sbuf_printf(b, "<p class=\"noprint\">导出全部 Export all: <a class=\"export\" href=\"/export/%s.csv", report);
	query(b, params, extra);
	sbuf_printf(b, "\">CSV</a> &middot; <a class=\"export\" href=\"/export/%s.xlsx", report);
	query(b, params, extra);
	sbuf_add(b, "\">Excel (XLSX)</a></p>\n");
}

void kc_web_print_notice(struct sbuf *b, const json_t *sec)
{
	json_int_t total = json_integer_value(json_object_get(sec, "total"));
	size_t rows = json_array_size(json_object_get(sec, "rows"));

	if (total <= 0 || (size_t)total <= rows)
		return;
	sbuf_printf(b, "<p class=\"bad notice\">打印版只含前 %zu 条，共 %lld 条；完整报表请导出 CSV 或 XLSX。"
		    " The printable page holds the first %zu of %lld rows; export CSV or XLSX for"
		    " all of them.</p>\n",
		    rows, (long long)total, rows, (long long)total);
}

void kc_web_query(struct sbuf *b, const json_t *params, const char *extra)
{
	query(b, params, extra);
}
