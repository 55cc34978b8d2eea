/* The problems page (rule 5: 发现问题及时转呈相关部门并跟进处理情况): each
 * problem found in an inspection with its state, who forwarded it where
 * and when, who resolved it and how, its age, and the form for its next
 * step (open: forward to a department and a person; forwarded: resolve
 * with a note). The forms' handlers (http_problems.c) record
 * office-chain events (office_acts.c). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "service/problem_state.h"
#include "service/sbuf.h"
#include "service/scope.h"
#include "service/web.h"
#include "service/zone.h"

const char *kc_web_problem_state(const struct kc_web_page *pg, const char *code)
{
	enum kc_problem_state s;

	if (kc_problem_state_find(code, &s) < 0)
		return code;
	switch (s) {
	case KC_PROBLEM_OPEN:
		return kc_web_t(pg, "Open, not yet forwarded");
	case KC_PROBLEM_FORWARDED:
		return kc_web_t(pg, "Forwarded, being followed up");
	default:
		return kc_web_t(pg, "Resolved");
	}
}

/* "who, when" of a step; nothing when it was not taken. */
static void step(struct sbuf *b, const struct kc_zone *z, const char *who, const json_t *when)
{
	char t[40];

	if (!json_is_string(when))
		return;
	kc_web_time(z, json_string_value(when), false, t, sizeof(t));
	sbuf_add(b, "<span class=\"meta\">");
	sbuf_html(b, who);
	sbuf_add(b, " &middot; ");
	sbuf_html(b, t);
	sbuf_add(b, "</span>");
}

static void hidden(struct sbuf *b, const char *name, const char *value)
{
	sbuf_printf(b, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	sbuf_html(b, value);
	sbuf_add(b, "\">");
}

/* The form of a problem's next step. */
static void next_form(struct sbuf *b, const struct kc_web_page *pg, const json_t *sec, const json_t *row)
{
	const char *state = kc_web_str(sec, row, "state");
	char seq[24];
	bool open = strcmp(state, kc_problem_state_name(KC_PROBLEM_OPEN)) == 0;

	if (strcmp(state, kc_problem_state_name(KC_PROBLEM_RESOLVED)) == 0) {
		sbuf_add(b, "—");
		return;
	}
	snprintf(seq, sizeof(seq), "%lld", (long long)json_integer_value(kc_web_at(sec, row, "inspection")));
	sbuf_printf(b, "<form method=\"post\" class=\"act\" action=\"/r/problems/%s\">", open ? "forward" : "resolve");
	kc_web_csrf_field(b, pg);
	hidden(b, "cabinet", kc_web_str(sec, row, "cabinet"));
	hidden(b, "inspection", seq);
	if (open) {
		sbuf_add(b, "<label>");
		sbuf_html(b, kc_web_t(pg, "Department"));
		sbuf_add(b, " <input name=\"department\"></label> <label>");
		sbuf_html(b, kc_web_t(pg, "To whom"));
		sbuf_add(b, " <input name=\"to\"></label> <button type=\"submit\">");
		sbuf_html(b, kc_web_t(pg, "Forward"));
	} else {
		sbuf_add(b, "<label>");
		sbuf_html(b, kc_web_t(pg, "How it was resolved"));
		sbuf_add(b, " <input name=\"note\"></label> <button type=\"submit\">");
		sbuf_html(b, kc_web_t(pg, "Record as resolved"));
	}
	sbuf_add(b, "</button></form>");
}

static void filters(struct sbuf *b, const struct kc_web_page *pg, const json_t *params)
{
	static const char *const states[] = { "", "unresolved", "open", "forwarded", "resolved" };
	const char *have = json_string_value(json_object_get(params, "state")) ?: "";
	const char *site = json_string_value(json_object_get(params, "site")) ?: "";

	sbuf_add(b, "<form class=\"filter\" method=\"get\" action=\"/r/problems\"><label>");
	sbuf_html(b, kc_web_t(pg, "Site"));
	sbuf_add(b, " <input name=\"site\" value=\"");
	sbuf_html(b, site);
	sbuf_add(b, "\"></label><label>");
	sbuf_html(b, kc_web_t(pg, "State"));
	sbuf_add(b, " <select name=\"state\">");
	for (size_t i = 0; i < KC_ARRAY_SIZE(states); i++) {
		sbuf_printf(b, "<option value=\"%s\"%s>", states[i], strcmp(have, states[i]) == 0 ? " selected" : "");
		sbuf_html(b, i == 0 ? kc_web_t(pg, "All") : i == 1 ? kc_web_t(pg, "Not yet resolved")
								   : kc_web_problem_state(pg, states[i]));
		sbuf_add(b, "</option>");
	}
	sbuf_add(b, "</select></label><button type=\"submit\">");
	sbuf_html(b, kc_web_t(pg, "Search"));
	sbuf_add(b, "</button></form>\n");
}

static void problem_row(struct sbuf *b, const struct kc_web_page *pg, const struct kc_zone *z, const json_t *sec,
			const json_t *row)
{
	const char *name = kc_web_str(sec, row, "inspector_name"), *to = kc_web_str(sec, row, "forwarded_to");
	const char *site = kc_web_str(sec, row, "site_name");
	char t[40];

	sbuf_printf(b, "<tr class=\"problem\" data-cabinet=\"");
	sbuf_html(b, kc_web_str(sec, row, "cabinet"));
	sbuf_printf(b, "\" data-inspection=\"%lld\" data-state=\"%s\"><td data-label=\"",
		    (long long)json_integer_value(kc_web_at(sec, row, "inspection")), kc_web_str(sec, row, "state"));
	sbuf_html(b, kc_web_t(pg, "Unit"));
	sbuf_add(b, "\">");
	sbuf_html(b, *site ? site : kc_web_str(sec, row, "site"));
	sbuf_add(b, " ");
	sbuf_html(b, kc_web_str(sec, row, "unit"));
	sbuf_add(b, "</td><td data-label=\"");
	sbuf_html(b, kc_web_t(pg, "Found"));
	sbuf_add(b, "\">");
	kc_web_time(z, kc_web_str(sec, row, "found"), false, t, sizeof(t));
	sbuf_html(b, t);
	sbuf_add(b, " <span class=\"meta\">");
	sbuf_html(b, *name ? name : kc_web_str(sec, row, "inspector"));
	sbuf_add(b, "</span></td><td data-label=\"");
	sbuf_html(b, kc_web_t(pg, "Problems"));
	sbuf_add(b, "\">");
	sbuf_html(b, kc_web_str(sec, row, "problems"));
	sbuf_add(b, "</td><td class=\"state\" data-label=\"");
	sbuf_html(b, kc_web_t(pg, "State"));
	sbuf_add(b, "\">");
	sbuf_html(b, kc_web_problem_state(pg, kc_web_str(sec, row, "state")));
	sbuf_add(b, "</td><td class=\"forwarded\" data-label=\"");
	sbuf_html(b, kc_web_t(pg, "Forwarded to"));
	sbuf_add(b, "\">");
	sbuf_html(b, kc_web_str(sec, row, "department"));
	if (*to) {
		sbuf_add(b, " ");
		sbuf_html(b, to);
	}
	sbuf_add(b, " ");
	step(b, z, kc_web_str(sec, row, "forwarded_by"), kc_web_at(sec, row, "forwarded"));
	sbuf_add(b, "</td><td class=\"resolved\" data-label=\"");
	sbuf_html(b, kc_web_t(pg, "Resolution"));
	sbuf_add(b, "\">");
	sbuf_html(b, kc_web_str(sec, row, "resolution"));
	sbuf_add(b, " ");
	step(b, z, kc_web_str(sec, row, "resolved_by"), kc_web_at(sec, row, "resolved"));
	sbuf_add(b, "</td><td class=\"age\" data-label=\"");
	sbuf_html(b, kc_web_t(pg, "Age (days)"));
	sbuf_printf(b, "\">%lld</td>", (long long)json_integer_value(kc_web_at(sec, row, "age_days")));
	if (!pg->print) {
		sbuf_add(b, "<td data-label=\"");
		sbuf_html(b, kc_web_t(pg, "Next step"));
		sbuf_add(b, "\">");
		next_form(b, pg, sec, row);
		sbuf_add(b, "</td>");
	}
	sbuf_add(b, "</tr>\n");
}

char *kc_web_problems(const json_t *report, const struct kc_web_page *pg)
{
	static const char *const heads[] = { "Unit", "Found", "Problems", "State", "Forwarded to", "Resolution",
					     "Age (days)", "Next step" };
	const json_t *params = json_object_get(report, "params"), *sec = kc_web_section(report, "problems"), *row;
	const struct kc_zone *z = kc_web_zone(report);
	struct sbuf b = { 0 };
	size_t i;

	kc_web_report_head(&b, report, pg);
	if (!pg->print) {
		filters(&b, pg, params);
		sbuf_add(&b, "<p class=\"noprint\"><a href=\"/r/problems");
		kc_web_query(&b, params, "print=1");
		sbuf_add(&b, "\">");
		sbuf_html(&b, kc_web_t(pg, "Printable page"));
		sbuf_add(&b, "</a></p>\n");
		kc_web_export_links(&b, pg, "problems", params, "problems");
	}
	sbuf_add(&b, "<p class=\"meta\" id=\"unresolved\">");
	sbuf_html(&b, kc_web_t(pg, "Not yet resolved"));
	sbuf_printf(&b, ": %lld</p>\n", (long long)json_integer_value(json_object_get(sec, "unresolved")));
	sbuf_add(&b, "<table class=\"report\" data-section=\"problems\"><thead><tr>");
	for (i = 0; i < KC_ARRAY_SIZE(heads) - (pg->print ? 1 : 0); i++) {
		sbuf_add(&b, "<th>");
		sbuf_html(&b, kc_web_t(pg, heads[i]));
		sbuf_add(&b, "</th>");
	}
	sbuf_add(&b, "</tr></thead><tbody>\n");
	json_array_foreach(json_object_get(sec, "rows"), i, row)
		problem_row(&b, pg, z, sec, row);
	sbuf_add(&b, "</tbody></table>\n");
	if (pg->print)
		kc_web_print_notice(&b, pg, sec);
	kc_web_tail(&b);
	return sbuf_take(&b);
}
