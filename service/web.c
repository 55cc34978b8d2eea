#include "service/web.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "common/util.h"
#include "service/reports.h"
#include "service/config.h"
#include "service/keylog_text.h"
#include "service/sbuf.h"
#include "service/words.h"
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

enum kc_lang kc_web_lang(const struct kc_web_page *pg)
{
	return pg && pg->english ? KC_LANG_EN : KC_LANG_ZH;
}

/* The toggle to the other language: a form, as it changes the account. */
static void lang_toggle(struct sbuf *b, const struct kc_web_page *pg)
{
	sbuf_add(b, "<form method=\"post\" action=\"/lang\" class=\"lang\" style=\"display:inline\">"
		    "<input type=\"hidden\" name=\"csrf\" value=\"");
	sbuf_html(b, pg->csrf ? pg->csrf : "");
	sbuf_add(b, "\"><input type=\"hidden\" name=\"back\" value=\"");
	sbuf_html(b, pg->url ? pg->url : "/");
	/* each language named in itself */
	sbuf_printf(b, "\"><input type=\"hidden\" name=\"lang\" value=\"%s\">"
		       "<button type=\"submit\" id=\"lang-toggle\" lang=\"%s\">%s</button></form>",
		    pg->english ? "zh" : "en", pg->english ? "zh-CN" : "en", pg->english ? "中文" : "English");
}

static void head(struct sbuf *b, const char *title, const struct kc_web_page *pg)
{
	sbuf_printf(b, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>",
		    kc_msg_lang_tag(kc_web_lang(pg)));
	sbuf_html(b, title);
	sbuf_add(b, " - keyauditd</title><style>");
	sbuf_add(b, style);
	sbuf_add(b, "</style></head><body>\n");
	if (pg && pg->user && !pg->print) {
		sbuf_add(b, "<nav><a href=\"/\">");
		sbuf_html(b, kc_web_t(pg, "Home"));
		sbuf_add(b, "</a>");
		for (size_t i = 0; i < kc_nreports; i++) {
			sbuf_printf(b, "<a href=\"/r/%s\">", kc_reports[i].name);
			sbuf_html(b, kc_web_t(pg, kc_reports[i].title));
			sbuf_add(b, "</a>");
		}
		if (pg->role && strcmp(pg->role, "admin") == 0) {
			sbuf_add(b, "<a href=\"/accounts\">");
			sbuf_html(b, kc_web_t(pg, "Accounts"));
			sbuf_add(b, "</a>");
		}
		lang_toggle(b, pg);
		sbuf_add(b, " <form method=\"post\" action=\"/logout\" style=\"display:inline\">");
		sbuf_add(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
		sbuf_html(b, pg->csrf ? pg->csrf : "");
		sbuf_add(b, "\"><button type=\"submit\">");
		sbuf_html(b, kc_web_t(pg, "Log out"));
		sbuf_add(b, " (");
		sbuf_html(b, pg->user);
		sbuf_add(b, ")</button></form></nav>\n");
	}
	sbuf_add(b, "<h1>");
	sbuf_html(b, title);
	sbuf_add(b, "</h1>\n");
}

static void tail(struct sbuf *b)
{
	sbuf_add(b, "</body></html>\n");
}

void kc_web_head(struct sbuf *b, const char *title, const struct kc_web_page *pg)
{
	head(b, title, pg);
}

void kc_web_tail(struct sbuf *b)
{
	tail(b);
}

char *kc_web_login(const struct kc_web_page *pg, const char *message)
{
	struct sbuf b = { 0 };

	head(&b, kc_web_t(pg, "Sign in"), NULL);
	if (message) {
		sbuf_add(&b, "<p class=\"bad\" id=\"message\">");
		sbuf_html(&b, message);
		sbuf_add(&b, "</p>");
	}
	sbuf_add(&b, "<form method=\"post\" action=\"/login\"><p><label>");
	sbuf_html(&b, kc_web_t(pg, "User name"));
	sbuf_add(&b, " <input name=\"user\" autocomplete=\"username\" required></label></p><p><label>");
	sbuf_html(&b, kc_web_t(pg, "Password"));
	sbuf_add(&b, " <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required>"
		     "</label></p><p><button type=\"submit\">");
	sbuf_html(&b, kc_web_t(pg, "Sign in"));
	sbuf_add(&b, "</button></p></form>");
	tail(&b);
	return sbuf_take(&b);
}

char *kc_web_message(const struct kc_web_page *pg, const char *title, const char *message)
{
	struct sbuf b = { 0 };

	head(&b, title, pg);
	sbuf_add(&b, "<p class=\"bad\" id=\"message\">");
	sbuf_html(&b, message);
	sbuf_add(&b, "</p>");
	tail(&b);
	return sbuf_take(&b);
}

struct filter {
	const char *name, *label;	/* label: a msgid */
};

/* The filters of a report's page (the key log's are web_keylog.c's). */
static const struct filter *filters_of(const char *report)
{
	static const struct filter now[] = { { "site", KC_N_("Site") }, { "cabinet", KC_N_("Cabinet") }, { NULL, NULL } };
	static const struct filter ent[] = { { "site", KC_N_("Site") },	 { "cabinet", KC_N_("Cabinet") },
					     { "days", KC_N_("Days ahead") }, { "from", KC_N_("Notices from") },
					     { "to", KC_N_("To") },		 { NULL, NULL } };
	static const struct filter vacant[] = { { "site", KC_N_("Site") }, { "month", KC_N_("Month") }, { NULL, NULL } };
	static const struct filter chain[] = { { "cabinet", KC_N_("Cabinet") }, { NULL, NULL } };

	if (strcmp(report, "now") == 0)
		return now;
	if (strcmp(report, "entrustments") == 0)
		return ent;
	if (strcmp(report, "vacant") == 0)
		return vacant;
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
static void cell(struct sbuf *b, const struct kc_web_page *pg, const char *cname, const json_t *v,
		 const struct kc_zone *z, bool yes_is_bad, bool is_end)
{
	const char *word;
	char text[512];

	char num[32];
	char *dump;

	if (json_is_string(v) && is_iso_time(json_string_value(v))) {
		/* supervisors read local times, in the report's zone */
		kc_web_time(z, json_string_value(v), is_end, num, sizeof(num));
		sbuf_html(b, num);
	} else if (json_is_string(v) && cname && strcmp(cname, "type") == 0) {
		/* an event's type by its name, else a kind of alarm or refusal as a word */
		word = kc_keylog_type_name(kc_web_lang(pg), json_string_value(v));
		if (word == json_string_value(v))
			word = kc_word(kc_web_lang(pg), "type", word);
		sbuf_html(b, word);
	} else if (json_is_string(v) && cname && (strcmp(cname, "message") == 0 || strcmp(cname, "detail") == 0)) {
		/* the service's or a cabinet's sentence (a message of the catalogue) in the page's language */
		kc_keylog_reason(kc_web_lang(pg), json_string_value(v), text, sizeof(text));
		sbuf_html(b, text);
	} else if (json_is_string(v) && cname && strcmp(cname, "link") == 0 && strchr(json_string_value(v), ':')) {
		/* a link held up, and why: "stuck: gap" */
		const char *s = json_string_value(v), *colon = strchr(s, ':');

		snprintf(text, sizeof(text), "%.*s", (int)(colon - s), s);
		sbuf_html(b, kc_word(kc_web_lang(pg), "link", text));
		sbuf_html(b, kc_web_t(pg, ": "));
		sbuf_html(b, kc_word(kc_web_lang(pg), "type", colon[1] == ' ' ? colon + 2 : colon + 1));
	} else if (json_is_string(v)) {
		/* a column of words (kind, state, ...) shows each as a word */
		word = kc_word(kc_web_lang(pg), cname, json_string_value(v));
		sbuf_html(b, word);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		sbuf_add(b, num);
	} else if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%.1f", json_real_value(v));
		sbuf_add(b, num);
	} else if (json_is_boolean(v)) {
		sbuf_printf(b, "<span class=\"%s\">", json_is_true(v) == yes_is_bad ? "bad" : "ok");
		sbuf_html(b, kc_word(kc_web_lang(pg), "bool", json_is_true(v) ? "yes" : "no"));
		sbuf_add(b, "</span>");
	} else if (json_is_array(v) && json_array_size(v) && json_is_object(json_array_get(v, 0))) {
		/* a list of records (a handover's keys out, IDs, alarms): one a line */
		size_t i;
		const json_t *o;

		json_array_foreach(v, i, o) {
			const char *k;
			const json_t *m;
			bool first = true;

			if (i)
				sbuf_add(b, "<br>");
			json_object_foreach((json_t *)o, k, m) {
				if (!first)
					sbuf_add(b, " &middot; ");
				first = false;
				cell(b, pg, k, m, z, false, false);
			}
		}
	} else if (json_is_array(v) || json_is_object(v)) {
		dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (dump)
			sbuf_html(b, dump);
		free(dump);
	}
}

void kc_web_generated(struct sbuf *b, const json_t *report, const struct kc_web_page *pg)
{
	const struct kc_zone *z = kc_web_zone(report);
	int32_t off = kc_zone_offset(z, kc_wall_ms()) / 60;
	char when[32];

	sbuf_add(b, "<p class=\"meta\">");
	sbuf_html(b, kc_web_t(pg, "Generated"));
	sbuf_add(b, " ");
	kc_web_time(z, json_string_value(json_object_get(report, "generated")), false, when, sizeof(when));
	sbuf_html(b, when);
	sbuf_add(b, " ");
	sbuf_html(b, kc_zone_name(z));
	/* the zone's offset, as its people say it */
	sbuf_printf(b, kc_web_t(pg, " (UTC%c%02d:%02d)"), off < 0 ? '-' : '+', abs(off) / 60, abs(off) % 60);
	sbuf_add(b, " &middot; ");
	sbuf_html(b, pg->user);
	sbuf_add(b, "</p>\n");
}

char *kc_web_report(const json_t *report, const struct kc_web_page *pg)
{
	const char *name = json_string_value(json_object_get(report, "report"));
	const json_t *params = json_object_get(report, "params"), *sec;
	const struct kc_zone *z = kc_web_zone(report);
	struct sbuf b = { 0 };
	size_t i;

	if (pg->print && strcmp(name, "vacant") == 0)
		return kc_web_vacant_sheet(report, pg);
	if (strcmp(name, "keylog") == 0)
		return kc_web_keylog(report, pg);
	if (strcmp(name, "problems") == 0)
		return kc_web_problems(report, pg);
	if (strcmp(name, "handovers") == 0)
		return kc_web_handovers(report, pg);

	head(&b, kc_web_t(pg, json_string_value(json_object_get(report, "title_en"))), pg);
	kc_web_generated(&b, report, pg);
	if (!pg->print) {
		sbuf_printf(&b, "<form class=\"filter\" method=\"get\" action=\"/r/%s\">", name);
		for (const struct filter *f = filters_of(name); f->name; f++) {
			const json_t *v = json_object_get(params, f->name);

			sbuf_add(&b, "<label>");
			sbuf_html(&b, kc_web_t(pg, f->label));
			sbuf_printf(&b, " <input name=\"%s\" value=\"", f->name);
			if (json_is_string(v))
				sbuf_html(&b, json_string_value(v));
			sbuf_add(&b, "\"></label>");
		}
		sbuf_add(&b, "<button type=\"submit\">");
		sbuf_html(&b, kc_web_t(pg, "Search"));
		sbuf_add(&b, "</button></form>\n<p class=\"noprint\">");
		sbuf_printf(&b, "<a href=\"/r/%s", name);
		query(&b, params, "print=1");
		sbuf_add(&b, "\">");
		sbuf_html(&b, kc_web_t(pg, "Printable page"));
		sbuf_add(&b, "</a> &middot; ");
		sbuf_printf(&b, "<a href=\"/api/v1/reports/%s", name);
		query(&b, params, "format=json");
		sbuf_add(&b, "\">JSON</a></p>\n");
	}
	json_array_foreach(json_object_get(report, "sections"), i, sec) {
		const char *sname = json_string_value(json_object_get(sec, "name"));
		const json_t *row, *col;
		size_t j, k;

		sbuf_printf(&b, "<h2 id=\"%s\">", sname);
		sbuf_html(&b, kc_web_t(pg, json_string_value(json_object_get(sec, "title_en"))));
		sbuf_printf(&b, " <span class=\"count\">(%zu)</span></h2>\n",
			    json_array_size(json_object_get(sec, "rows")));
		if (!pg->print)
			kc_web_export_links(&b, pg, name, params, sname);
		sbuf_printf(&b, "<table class=\"report\" data-section=\"%s\"><thead><tr>", sname);
		json_array_foreach(json_object_get(sec, "columns"), k, col) {
			sbuf_printf(&b, "<th data-col=\"%s\">", json_string_value(json_object_get(col, "name")));
			sbuf_html(&b, kc_web_t(pg, json_string_value(json_object_get(col, "en"))));
			sbuf_add(&b, "</th>");
		}
		sbuf_add(&b, "</tr></thead><tbody>\n");
		json_array_foreach(json_object_get(sec, "rows"), j, row) {
			sbuf_add(&b, "<tr>");
			json_array_foreach(row, k, col) {
				const char *cname = json_string_value(json_object_get(
					json_array_get(json_object_get(sec, "columns"), k), "name"));

				sbuf_add(&b, "<td data-label=\"");
				sbuf_html(&b, kc_web_t(pg, json_string_value(json_object_get(
					json_array_get(json_object_get(sec, "columns"), k), "en"))));
				sbuf_add(&b, "\">");
				cell(&b, pg, cname, col, z, cname && strcmp(cname, "overdue") == 0,
				     cname && strcmp(cname, "end") == 0);
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
				kc_web_print_notice(&b, pg, sec);
			sbuf_add(&b, "<p class=\"meta pager\">");
			sbuf_printf(&b, kc_web_t(pg, "%lld rows, page %lld"), (long long)total, (long long)page);
			sbuf_add(&b, " ");
			if (!pg->print && page > 1) {
				snprintf(extra, sizeof(extra), "page=%lld", (long long)page - 1);
				sbuf_printf(&b, "<a href=\"/r/%s", name);
				query(&b, params, extra);
				sbuf_add(&b, "\">&larr; ");
				sbuf_html(&b, kc_web_t(pg, "Previous page"));
				sbuf_add(&b, "</a> ");
			}
			if (!pg->print && page * size < total) {
				snprintf(extra, sizeof(extra), "page=%lld", (long long)page + 1);
				sbuf_printf(&b, "<a href=\"/r/%s", name);
				query(&b, params, extra);
				sbuf_add(&b, "\">");
				sbuf_html(&b, kc_web_t(pg, "Next page"));
				sbuf_add(&b, " &rarr;</a>");
			}
			sbuf_add(&b, "</p>\n");
		}
	}
	tail(&b);
	return sbuf_take(&b);
}

void kc_web_export_links(struct sbuf *b, const struct kc_web_page *pg, const char *report, const json_t *params,
			 const char *section)
{
	char extra[96];

	/* the whole filtered report, every row (export_http.c) */
	snprintf(extra, sizeof(extra), "section=%s", section);
	sbuf_add(b, "<p class=\"noprint\">");
	sbuf_html(b, kc_web_t(pg, "Export all:"));
	sbuf_printf(b, " <a class=\"export\" href=\"/export/%s.csv", report);
	query(b, params, extra);
	sbuf_printf(b, "\">CSV</a> &middot; <a class=\"export\" href=\"/export/%s.xlsx", report);
	query(b, params, extra);
	sbuf_add(b, "\">Excel (XLSX)</a></p>\n");
}

void kc_web_print_notice(struct sbuf *b, const struct kc_web_page *pg, const json_t *sec)
{
	json_int_t total = json_integer_value(json_object_get(sec, "total"));
	size_t rows = json_array_size(json_object_get(sec, "rows"));

	if (total <= 0 || (size_t)total <= rows)
		return;
	sbuf_add(b, "<p class=\"bad notice\">");
	sbuf_printf(b, kc_web_t(pg, "The printable page holds the first %zu of %lld rows; export CSV or XLSX for all of them."),
		    rows, (long long)total);
	sbuf_add(b, "</p>\n");
}

void kc_web_query(struct sbuf *b, const json_t *params, const char *extra)
{
	query(b, params, extra);
}
