/* The key log's page: filters picked from the data (the report's
 * "choices"), each event as a sentence with its time, site and cabinet,
 * the event code in a secondary column, and keyset paging (newest,
 * newer, older, oldest). */
#include "service/web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "service/keylog_text.h"
#include "service/sbuf.h"

static const char *param(const json_t *report, const char *name)
{
	return json_string_value(json_object_get(json_object_get(report, "params"), name));
}

/* A select of the choices [value, label, ...] named list, "全部" first. */
static void select_of(struct sbuf *b, const json_t *report, const char *name, const char *label,
		      const char *list)
{
	const char *cur = param(report, name);
	const json_t *opt;
	size_t i;

	sbuf_printf(b, "<label>%s <select name=\"%s\"><option value=\"\">全部</option>", label, name);
	if (!json_array_size(json_object_get(json_object_get(report, "choices"), list)))
		sbuf_add(b, "<option value=\"\" disabled>（先选项目或楼栋）</option>");
	json_array_foreach(json_object_get(json_object_get(report, "choices"), list), i, opt) {
		const char *v = json_string_value(json_array_get(opt, 0));
		const char *l = json_string_value(json_array_get(opt, 1));

		if (!v)
			continue;
		sbuf_add(b, "<option value=\"");
		sbuf_html(b, v);
		sbuf_add(b, cur && strcmp(cur, v) == 0 ? "\" selected>" : "\">");
		sbuf_html(b, l ? l : v);
		sbuf_add(b, "</option>");
	}
	sbuf_add(b, "</select></label>");
}

static void text_input(struct sbuf *b, const json_t *report, const char *name, const char *label,
		       const char *extra)
{
	const char *cur = param(report, name);

	sbuf_printf(b, "<label>%s <input name=\"%s\" %s value=\"", label, name, extra);
	if (cur)
		sbuf_html(b, cur);
	sbuf_add(b, "\"></label>");
}

static void filters(struct sbuf *b, const json_t *report)
{
	const json_t *opt;
	size_t i;

	sbuf_add(b, "<form class=\"filter\" method=\"get\" action=\"/r/keylog\">");
	/* a person by (part of) the name; the list offers the registered ones */
	text_input(b, report, "person", "人员", "list=\"people\" placeholder=\"输入姓名\" autocomplete=\"off\"");
	sbuf_add(b, "<datalist id=\"people\">");
	json_array_foreach(json_object_get(json_object_get(report, "choices"), "people"), i, opt) {
		const char *role = json_string_value(json_array_get(opt, 2));

		sbuf_add(b, "<option value=\"");
		sbuf_html(b, json_string_value(json_array_get(opt, 0)));
		sbuf_add(b, "\">");
		sbuf_html(b, role ? kc_keylog_word("role", role) : "");
		sbuf_add(b, "</option>");
	}
	sbuf_add(b, "</datalist>");
	select_of(b, report, "site", "项目", "sites");
	select_of(b, report, "building", "楼栋", "buildings");
	select_of(b, report, "unit", "房屋", "units");
	select_of(b, report, "key", "钥匙", "keys");
	select_of(b, report, "kind", "钥匙类别", "kinds");
	select_of(b, report, "type", "事件", "types");
	select_of(b, report, "cabinet", "钥匙柜", "cabinets");
	text_input(b, report, "from", "从", "type=\"date\"");
	text_input(b, report, "to", "到", "type=\"date\"");
	sbuf_add(b, "<button type=\"submit\">查询</button></form>\n");
}

static const char *col_str(const json_t *cols, const json_t *row, const char *name)
{
	const json_t *c;
	size_t k;

	json_array_foreach(cols, k, c) {
		if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0)
			return json_string_value(json_array_get(row, k));
	}
	return NULL;
}

static void td(struct sbuf *b, const char *label, const char *cls, const char *text)
{
	sbuf_printf(b, "<td data-label=\"%s\"%s%s%s>", label, cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	sbuf_html(b, text ? text : "");
	sbuf_add(b, "</td>");
}

static void table(struct sbuf *b, const json_t *report, const json_t *sec)
{
	const struct kc_zone *z = kc_web_zone(report);
	const json_t *cols = json_object_get(sec, "columns"), *row;
	size_t i;

	sbuf_add(b, "<table class=\"report\" data-section=\"events\"><thead><tr><th data-col=\"ts\">时间</th>"
		    "<th data-col=\"text\">事件</th><th data-col=\"site\">项目</th><th data-col=\"cabinet\">钥匙柜</th>"
		    "<th data-col=\"code\">事件代码</th></tr></thead><tbody>\n");
	json_array_foreach(json_object_get(sec, "rows"), i, row) {
		const char *ts = col_str(cols, row, "ts"), *site = col_str(cols, row, "site_name");
		char when[32], code[160];

		kc_web_time(z, ts ? ts : "", false, when, sizeof(when));
		snprintf(code, sizeof(code), "%s #%lld", col_str(cols, row, "type"),
			 (long long)json_integer_value(json_array_get(row, 2)));
		sbuf_add(b, "<tr>");
		td(b, "时间", NULL, when);
		td(b, "事件", "text", col_str(cols, row, "text"));
		td(b, "项目", NULL, site ? site : col_str(cols, row, "site"));
		td(b, "钥匙柜", NULL, col_str(cols, row, "cabinet"));
		td(b, "事件代码", "code", code);
		sbuf_add(b, "</tr>\n");
	}
	sbuf_add(b, "</tbody></table>\n");
}

static void link(struct sbuf *b, const json_t *report, const char *id, const char *pos, const char *cursor,
		 const char *text)
{
	struct sbuf extra = { 0 };
	char *e;

	sbuf_printf(b, "<a id=\"%s\" href=\"/r/keylog", id);
	if (pos) {
		sbuf_add(&extra, pos);
		if (cursor)
			sbuf_url(&extra, cursor);
	}
	e = pos ? sbuf_take(&extra) : NULL;
	kc_web_query(b, json_object_get(report, "params"), e);
	free(e);
	sbuf_printf(b, "\">%s</a>", text);
}

static void pager(struct sbuf *b, const json_t *report, const json_t *sec, int print)
{
	const json_t *prev = json_object_get(sec, "prev"), *next = json_object_get(sec, "next");
	const char *last = param(report, "last"), *before = param(report, "before"), *after = param(report, "after");

	sbuf_add(b, "<p class=\"meta pager\"><span id=\"total\">");
	if (json_is_true(json_object_get(sec, "total_more")))
		sbuf_printf(b, "超过 %lld 条", (long long)json_integer_value(json_object_get(sec, "total")));
	else
		sbuf_printf(b, "共 %lld 条", (long long)json_integer_value(json_object_get(sec, "total")));
	sbuf_printf(b, "，每页 %lld 条</span> ", (long long)json_integer_value(json_object_get(sec, "page_size")));
	if (print) {
		sbuf_add(b, "</p>\n");
		return;
	}
	if (after || before || last)
		link(b, report, "first", NULL, NULL, "&laquo; 最新");
	if (json_is_string(prev))
		link(b, report, "prev", "before=", json_string_value(prev), "&larr; 较新");
	if (json_is_string(next))
		link(b, report, "next", "after=", json_string_value(next), "较早 &rarr;");
	if (!last && (json_is_string(next)))
		link(b, report, "last", "last=1", NULL, "最早 &raquo;");
	sbuf_add(b, "</p>\n");
}

char *kc_web_keylog(const json_t *report, const struct kc_web_page *pg)
{
	const json_t *sec = json_array_get(json_object_get(report, "sections"), 0);
	struct sbuf b = { 0 };

	kc_web_head(&b, "钥匙日志", "Key log", pg);
	kc_web_generated(&b, report, pg);
	if (!pg->print) {
		filters(&b, report);
		sbuf_add(&b, "<p class=\"noprint\"><a href=\"/r/keylog");
		kc_web_query(&b, json_object_get(report, "params"), "print=1");
		sbuf_add(&b, "\">打印版</a> &middot; <a href=\"/api/v1/reports/keylog");
		kc_web_query(&b, json_object_get(report, "params"), "format=json");
		sbuf_add(&b, "\">JSON</a></p>\n");
		kc_web_export_links(&b, "keylog", json_object_get(report, "params"), "events");
	}
	sbuf_add(&b, "<h2 id=\"events\">事件（最新在前）</h2>\n");
	if (pg->print)
		kc_web_print_notice(&b, sec);
	table(&b, report, sec);
	pager(&b, report, sec, pg->print);
	kc_web_tail(&b);
	return sbuf_take(&b);
}
