/* The key log's page: filters picked from the data (the report's
 * "choices"), each event as a sentence with its time, site and cabinet,
 * the event code in a secondary column, and keyset paging (newest,
 * newer, older, oldest). */
#include "service/web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#include "service/sbuf.h"
#include "service/words.h"

static const char *param(const json_t *report, const char *name)
{
	return json_string_value(json_object_get(json_object_get(report, "params"), name));
}

/* A select of the choices [value, label, ...] named list, "All" first;
 * label is a msgid. */
static void select_of(struct sbuf *b, const struct kc_web_page *pg, const json_t *report, const char *name,
		      const char *label, const char *list)
{
	const char *cur = param(report, name);
	const json_t *opt;
	size_t i;

	sbuf_add(b, "<label>");
	sbuf_html(b, kc_web_t(pg, label));
	sbuf_printf(b, " <select name=\"%s\"><option value=\"\">", name);
	sbuf_html(b, kc_web_t(pg, "All"));
	sbuf_add(b, "</option>");
	if (!json_array_size(json_object_get(json_object_get(report, "choices"), list))) {
		sbuf_add(b, "<option value=\"\" disabled>");
		sbuf_html(b, kc_web_t(pg, "(pick a site or building first)"));
		sbuf_add(b, "</option>");
	}
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

static void text_input(struct sbuf *b, const struct kc_web_page *pg, const json_t *report, const char *name,
		       const char *label, const char *extra)
{
	const char *cur = param(report, name);

	sbuf_add(b, "<label>");
	sbuf_html(b, kc_web_t(pg, label));
	sbuf_printf(b, " <input name=\"%s\" %s value=\"", name, extra);
	if (cur)
		sbuf_html(b, cur);
	sbuf_add(b, "\"></label>");
}

static void filters(struct sbuf *b, const struct kc_web_page *pg, const json_t *report)
{
	const json_t *opt;
	size_t i;

	sbuf_add(b, "<form class=\"filter\" method=\"get\" action=\"/r/keylog\">");
	/* a person by (part of) the name or its pinyin; the list offers the
	 * registered ones */
	sbuf_add(b, "<label>");
	sbuf_html(b, kc_web_t(pg, "Person"));
	sbuf_add(b, " <input name=\"person\" list=\"people\" autocomplete=\"off\" placeholder=\"");
	sbuf_html(b, kc_web_t(pg, "Type a name"));
	sbuf_add(b, "\" value=\"");
	if (param(report, "person"))
		sbuf_html(b, param(report, "person"));
	sbuf_add(b, "\"></label>");
	sbuf_add(b, "<datalist id=\"people\">");
	json_array_foreach(json_object_get(json_object_get(report, "choices"), "people"), i, opt) {
		const char *role = json_string_value(json_array_get(opt, 2)), *py = json_string_value(json_array_get(opt, 3));

		/* the label: the role, and the pinyin the name is found by */
		sbuf_add(b, "<option value=\"");
		sbuf_html(b, json_string_value(json_array_get(opt, 0)));
		sbuf_add(b, "\">");
		sbuf_html(b, role ? kc_word(kc_web_lang(pg), "role", role) : "");
		if (py && *py) {
			sbuf_add(b, role ? " " : "");
			sbuf_html(b, py);
		}
		sbuf_add(b, "</option>");
	}
	sbuf_add(b, "</datalist>");
	select_of(b, pg, report, "site", KC_N_("Site"), "sites");
	select_of(b, pg, report, "building", KC_N_("Building"), "buildings");
	select_of(b, pg, report, "unit", KC_N_("Unit"), "units");
	select_of(b, pg, report, "key", KC_N_("Key"), "keys");
	select_of(b, pg, report, "kind", KC_N_("Kind of key"), "kinds");
	select_of(b, pg, report, "type", KC_N_("Event"), "types");
	select_of(b, pg, report, "cabinet", KC_N_("Cabinet"), "cabinets");
	text_input(b, pg, report, "from", KC_N_("From"), "type=\"date\"");
	text_input(b, pg, report, "to", KC_N_("To"), "type=\"date\"");
	sbuf_add(b, "<button type=\"submit\">");
	sbuf_html(b, kc_web_t(pg, "Search"));
	sbuf_add(b, "</button></form>\n");
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
	sbuf_add(b, "<td data-label=\"");
	sbuf_html(b, label);
	sbuf_printf(b, "\"%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	sbuf_html(b, text ? text : "");
	sbuf_add(b, "</td>");
}

/* The table's columns: name, heading (a msgid). */
static const char *const table_cols[][2] = {
	{ "ts", KC_N_("Time") }, { "text", KC_N_("What happened") }, { "site", KC_N_("Site") }, { "cabinet", KC_N_("Cabinet") }, { "code", KC_N_("Event code") },
};

static void table(struct sbuf *b, const struct kc_web_page *pg, const json_t *report, const json_t *sec)
{
	const struct kc_zone *z = kc_web_zone(report);
	const json_t *cols = json_object_get(sec, "columns"), *row;
	const char *h[KC_ARRAY_SIZE(table_cols)];
	size_t i;

	sbuf_add(b, "<table class=\"report\" data-section=\"events\"><thead><tr>");
	for (i = 0; i < KC_ARRAY_SIZE(table_cols); i++) {
		h[i] = kc_web_t(pg, table_cols[i][1]);
		sbuf_printf(b, "<th data-col=\"%s\">", table_cols[i][0]);
		sbuf_html(b, h[i]);
		sbuf_add(b, "</th>");
	}
	sbuf_add(b, "</tr></thead><tbody>\n");
	json_array_foreach(json_object_get(sec, "rows"), i, row) {
		const char *ts = col_str(cols, row, "ts"), *site = col_str(cols, row, "site_name");
		char when[32], code[160];

		kc_web_time(z, ts ? ts : "", false, when, sizeof(when));
		snprintf(code, sizeof(code), "%s #%lld", col_str(cols, row, "type"),
			 (long long)json_integer_value(json_array_get(row, 2)));
		sbuf_add(b, "<tr>");
		td(b, h[0], NULL, when);
		td(b, h[1], "text", col_str(cols, row, "text"));
		td(b, h[2], NULL, site ? site : col_str(cols, row, "site"));
		td(b, h[3], NULL, col_str(cols, row, "cabinet"));
		td(b, h[4], "code", code);
		sbuf_add(b, "</tr>\n");
	}
	sbuf_add(b, "</tbody></table>\n");
}

/* text: HTML in the page's language */
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

static void pager(struct sbuf *b, const struct kc_web_page *pg, const json_t *report, const json_t *sec)
{
	const json_t *prev = json_object_get(sec, "prev"), *next = json_object_get(sec, "next");
	const char *last = param(report, "last"), *before = param(report, "before"), *after = param(report, "after");
	long long total = (long long)json_integer_value(json_object_get(sec, "total"));
	char text[96];

	sbuf_add(b, "<p class=\"meta pager\"><span id=\"total\">");
	if (json_is_true(json_object_get(sec, "total_more")))
		sbuf_printf(b, kc_web_t(pg, "more than %lld rows"), total);
	else
		sbuf_printf(b, kc_web_t(pg, "%lld rows"), total);
	sbuf_printf(b, kc_web_t(pg, ", %lld a page"), (long long)json_integer_value(json_object_get(sec, "page_size")));
	sbuf_add(b, "</span> ");
	if (pg->print) {
		sbuf_add(b, "</p>\n");
		return;
	}
	if (after || before || last) {
		snprintf(text, sizeof(text), "&laquo; %s", kc_web_t(pg, "Newest"));
		link(b, report, "first", NULL, NULL, text);
	}
	if (json_is_string(prev)) {
		snprintf(text, sizeof(text), "&larr; %s", kc_web_t(pg, "Newer"));
		link(b, report, "prev", "before=", json_string_value(prev), text);
	}
	if (json_is_string(next)) {
		snprintf(text, sizeof(text), "%s &rarr;", kc_web_t(pg, "Older"));
		link(b, report, "next", "after=", json_string_value(next), text);
	}
	if (!last && (json_is_string(next))) {
		snprintf(text, sizeof(text), "%s &raquo;", kc_web_t(pg, "Oldest"));
		link(b, report, "last", "last=1", NULL, text);
	}
	sbuf_add(b, "</p>\n");
}

char *kc_web_keylog(const json_t *report, const struct kc_web_page *pg)
{
	const json_t *sec = json_array_get(json_object_get(report, "sections"), 0);
	struct sbuf b = { 0 };

	kc_web_head(&b, kc_web_t(pg, "Key log"), pg);
	kc_web_generated(&b, report, pg);
	if (!pg->print) {
		filters(&b, pg, report);
		sbuf_add(&b, "<p class=\"noprint\"><a href=\"/r/keylog");
		kc_web_query(&b, json_object_get(report, "params"), "print=1");
		sbuf_add(&b, "\">");
		sbuf_html(&b, kc_web_t(pg, "Printable page"));
		sbuf_add(&b, "</a> &middot; <a href=\"/api/v1/reports/keylog");
		kc_web_query(&b, json_object_get(report, "params"), "format=json");
		sbuf_add(&b, "\">JSON</a></p>\n");
		kc_web_export_links(&b, pg, "keylog", json_object_get(report, "params"), "events");
	}
	sbuf_add(&b, "<h2 id=\"events\">");
	sbuf_html(&b, kc_web_t(pg, "Events, newest first"));
	sbuf_add(&b, "</h2>\n");
	if (pg->print)
		kc_web_print_notice(&b, pg, sec);
	table(&b, pg, report, sec);
	pager(&b, pg, report, sec);
	kc_web_tail(&b);
	return sbuf_take(&b);
}
