/* What the console's pages share (web.h): texts in the page's language,
 * the head with its navigation and the tail, the sign-in and message
 * pages, times in a report's zone, the query string, export links and
 * the printable page's notice. */
#include "service/web.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "common/util.h"
#include "service/reports.h"
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
		sbuf_add(b, "<a href=\"/estate/people\">");
		sbuf_html(b, kc_web_t(pg, "Estate"));
		sbuf_add(b, "</a>");
		if (pg->role && strcmp(pg->role, "manager") == 0) {
			sbuf_add(b, "<a href=\"/approvals\" id=\"nav-approvals\">");
			sbuf_html(b, kc_web_t(pg, "Approvals"));
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
