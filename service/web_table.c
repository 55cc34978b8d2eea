/* A report's page as tables (web.h, kc_web_table): its filters, each
 * section's rows with their columns' headings, export links and paging;
 * times in the report's zone, codes as words in the page's language. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "common/util.h"
#include "service/keylog_text.h"
#include "service/sbuf.h"
#include "service/web.h"
#include "service/words.h"
#include "service/zone.h"

/* "2026-10-02T11:01:00.000Z": a time, as stored and as JSON/CSV give it */
static bool is_iso_time(const char *s)
{
	return strlen(s) == 24 && s[4] == '-' && s[10] == 'T' && s[13] == ':' && s[23] == 'Z';
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

char *kc_web_table(const json_t *report, const struct kc_web_page *pg)
{
	const char *name = json_string_value(json_object_get(report, "report"));
	const json_t *params = json_object_get(report, "params"), *sec;
	const struct kc_zone *z = kc_web_zone(report);
	struct sbuf b = { 0 };
	size_t i;

	kc_web_head(&b, kc_web_t(pg, json_string_value(json_object_get(report, "title_en"))), pg);
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
		kc_web_query(&b, params, "print=1");
		sbuf_add(&b, "\">");
		sbuf_html(&b, kc_web_t(pg, "Printable page"));
		sbuf_add(&b, "</a> &middot; ");
		sbuf_printf(&b, "<a href=\"/api/v1/reports/%s", name);
		kc_web_query(&b, params, "format=json");
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
				kc_web_query(&b, params, extra);
				sbuf_add(&b, "\">&larr; ");
				sbuf_html(&b, kc_web_t(pg, "Previous page"));
				sbuf_add(&b, "</a> ");
			}
			if (!pg->print && page * size < total) {
				snprintf(extra, sizeof(extra), "page=%lld", (long long)page + 1);
				sbuf_printf(&b, "<a href=\"/r/%s", name);
				kc_web_query(&b, params, extra);
				sbuf_add(&b, "\">");
				sbuf_html(&b, kc_web_t(pg, "Next page"));
				sbuf_add(&b, " &rarr;</a>");
			}
			sbuf_add(&b, "</p>\n");
		}
	}
	kc_web_tail(&b);
	return sbuf_take(&b);
}
