/* The monthly vacant-unit report as it is filed: the vacant report's
 * printable page (/r/vacant?print=1). For each site, on pages of its own:
 * the estate and the site by name, the month, when it was generated
 * (local time), coverage against target, the units not inspected, the
 * problems found with their follow-up, the inspection keys that ran
 * overdue, and the lines to sign (prepared by, supervisor, date); before
 * them, with more than one site, the sites side by side. In the account's
 * language (the "keycab" catalogue's texts), people by name.
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
	char month[32];	     /* 2026年11月, 2026-11 */
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

/* none: a msgid */
static void td_time(struct sbuf *b, const struct sheet *x, const json_t *v, const char *none)
{
	char t[32];

	if (!json_is_string(v)) {
		td(b, *none ? kc_web_t(x->pg, none) : "");
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

/* A table's head: the column titles (msgids), repeated on each printed
 * page. */
static void thead(struct sbuf *b, const struct kc_web_page *pg, const char *const *titles)
{
	sbuf_add(b, "<table><thead><tr>");
	for (; *titles; titles++) {
		sbuf_add(b, "<th>");
		sbuf_html(b, kc_web_t(pg, *titles));
		sbuf_add(b, "</th>");
	}
	sbuf_add(b, "</tr></thead><tbody>\n");
}

/* A part of a site's sheet: its heading with the count of its rows (n,
 * and count, as the page says it); false (and "none") when there are
 * none, else the head of its table. */
static bool part(struct sbuf *b, const struct kc_web_page *pg, const char *heading, long long n, const char *count,
		 const char *const *titles)
{
	sbuf_add(b, "<h2>");
	sbuf_html(b, kc_web_t(pg, heading));
	sbuf_add(b, " ");
	sbuf_html(b, count);
	sbuf_add(b, "</h2>\n");
	if (n == 0) {
		sbuf_add(b, "<p class=\"none\">");
		sbuf_html(b, kc_web_t(pg, "None"));
		sbuf_add(b, "</p>\n");
		return false;
	}
	thead(b, pg, titles);
	return true;
}

/* Coverage against target as a bar (inline SVG, 200 wide): the coverage
 * filled, the target a mark. */
static void bar(struct sbuf *b, const struct kc_web_page *pg, double coverage, long target, bool met)
{
	char label[96];

	snprintf(label, sizeof(label), kc_web_t(pg, "Coverage %.1f%%, target %ld%%"), coverage, target);
	sbuf_add(b, "<svg width=\"200\" height=\"14\" viewBox=\"0 0 200 14\" role=\"img\" aria-label=\"");
	sbuf_html(b, label);
	sbuf_printf(b,
		    "\"><rect x=\"0\" y=\"2\" width=\"200\" height=\"10\" fill=\"#f2f2f2\" stroke=\"#999\"/>"
		    "<rect x=\"0\" y=\"2\" width=\"%.1f\" height=\"10\" fill=\"%s\"/>"
		    "<line x1=\"%ld\" y1=\"0\" x2=\"%ld\" y2=\"14\" stroke=\"#000\" stroke-width=\"2\"/></svg>",
		    2 * fmin(fmax(coverage, 0), 100), met ? "#4a9a5a" : "#c84a4a", 2 * target,
		    2 * target);
}

/* The coverage cells of a sites row: vacant, inspected, not inspected,
 * coverage (and its bar), target, verdict. */
static void coverage_cells(struct sbuf *b, const struct kc_web_page *pg, const json_t *sites, const json_t *row)
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
		bar(b, pg, json_number_value(cov), target, met);
	} else {
		sbuf_add(b, "— ");
		sbuf_html(b, kc_web_t(pg, "(no vacant units this month)"));
	}
	sbuf_printf(b, "</td><td class=\"n\">%ld %%</td><td class=\"%s\">", target, met ? "ok" : "bad");
	sbuf_html(b, kc_web_t(pg, met ? KC_N_("met") : KC_N_("not met")));
	sbuf_add(b, "</td>");
}

static const char *const coverage_titles[] = { KC_N_("Vacant units"), KC_N_("Inspected"), KC_N_("Not inspected"), KC_N_("Coverage"), KC_N_("Target"),
					       KC_N_("Verdict"), NULL };

static void heading(struct sbuf *b, const struct sheet *x)
{
	sbuf_add(b, "<p class=\"estate\">");
	if (x->pg->estate && *x->pg->estate)
		sbuf_html(b, x->pg->estate);
	else
		sbuf_printf(b, "%s<span class=\"line\"></span>", kc_web_t(x->pg, "Property service centre: "));
	sbuf_add(b, "</p>\n<h1>");
	sbuf_html(b, kc_web_t(x->pg, "Monthly vacant-unit inspection report"));
	sbuf_add(b, "</h1>\n");
}

/* A heading cell of a meta table (en: a msgid). */
static void th(struct sbuf *b, const struct sheet *x, const char *en)
{
	sbuf_add(b, "<th>");
	sbuf_html(b, kc_web_t(x->pg, en));
	sbuf_add(b, "</th>");
}

/* The cell of when the sheet was generated, in its zone. */
static void td_generated(struct sbuf *b, const struct sheet *x)
{
	th(b, x, KC_N_("Generated"));
	sbuf_add(b, "<td>");
	sbuf_html(b, x->generated);
	sbuf_add(b, " (");
	sbuf_html(b, kc_zone_name(x->z));
	sbuf_add(b, ")</td></tr></table>\n");
}

static void meta(struct sbuf *b, const struct sheet *x, const char *site_name, const char *age)
{
	sbuf_add(b, "<table class=\"meta\"><tr>");
	th(b, x, KC_N_("Site"));
	td(b, site_name);
	th(b, x, KC_N_("Month"));
	td(b, x->month);
	sbuf_add(b, "</tr><tr>");
	th(b, x, KC_N_("Kind of site"));
	td(b, age);
	td_generated(b, x);
}

/* A part of a site's sheet that lists the site's rows of one section of
 * the report: its section, heading and columns, and how a row's cells are
 * written. */
struct part_spec {
	const char *section, *heading;
	const char *const *titles;
	void (*cells)(struct sbuf *b, const struct sheet *x, const json_t *sec, const json_t *row);
};

/* The part p of site's sheet: n rows (count: n as the page says it). */
static void part_rows(struct sbuf *b, const struct sheet *x, const char *site, long long n, const char *count,
		      const struct part_spec *p)
{
	const json_t *sec = section(x->report, p->section), *row;
	size_t i;

	if (!part(b, x->pg, p->heading, n, count, p->titles))
		return;
	json_array_foreach(json_object_get(sec, "rows"), i, row) {
		if (!of_site(sec, row, site))
			continue;
		sbuf_add(b, "<tr>");
		p->cells(b, x, sec, row);
		sbuf_add(b, "</tr>\n");
	}
	sbuf_add(b, "</tbody></table>\n");
}

static void not_inspected_cells(struct sbuf *b, const struct sheet *x, const json_t *sec, const json_t *row)
{
	(void)x;
	td(b, str(sec, row, "unit"));
	td(b, str(sec, row, "building"));
	td(b, str(sec, row, "room"));
}

static void not_inspected(struct sbuf *b, const struct sheet *x, const char *site, long long n)
{
	static const char *const titles[] = { KC_N_("Unit"), KC_N_("Building"), KC_N_("Room"), NULL };
	static const struct part_spec spec = { "not_inspected", KC_N_("2. Vacant units not inspected"), titles,
					       not_inspected_cells };
	char count[48];

	snprintf(count, sizeof(count), kc_web_t(x->pg, "(%lld units)"), n);
	part_rows(b, x, site, n, count, &spec);
}

static void problems_cells(struct sbuf *b, const struct sheet *x, const json_t *sec, const json_t *row)
{
	const char *fwd = str(sec, row, "forwarded_to");
	int64_t ts = 0;

	td(b, str(sec, row, "unit"));
	td_time(b, x, at(sec, row, "ts"), "");
	td_person(b, sec, row, "inspector", "inspector_name");
	td(b, str(sec, row, "problems"));
	if (*fwd) {
		sbuf_add(b, "<td>");
		sbuf_html(b, kc_web_t(x->pg, "Forwarded to "));
		sbuf_html(b, fwd);
		sbuf_add(b, "</td>");
	} else {
		sbuf_add(b, "<td class=\"bad\">");
		sbuf_html(b, kc_web_t(x->pg, "Not forwarded, to follow up"));
		sbuf_add(b, "</td>");
	}
	kc_time_parse(str(sec, row, "ts"), &ts);
	sbuf_add(b, "<td class=\"n\">");
	sbuf_printf(b, kc_web_t(x->pg, "%lld days"), (long long)((x->now - ts) / 86400000));
	sbuf_add(b, "</td>");
}

static void problems(struct sbuf *b, const struct sheet *x, const char *site, long long n)
{
	static const char *const titles[] = { KC_N_("Unit"), KC_N_("Inspected at"), KC_N_("Inspector"), KC_N_("Problems found"), KC_N_("Follow-up"), KC_N_("Days since"),
					      NULL };
	static const struct part_spec spec = { "problems", KC_N_("3. Problems found and their follow-up"), titles,
					       problems_cells };
	char count[48];

	snprintf(count, sizeof(count), kc_web_t(x->pg, "(%lld rows)"), n);
	part_rows(b, x, site, n, count, &spec);
}

static void overdue_cells(struct sbuf *b, const struct sheet *x, const json_t *sec, const json_t *row)
{
	td(b, str(sec, row, "key"));
	td(b, str(sec, row, "unit"));
	td_person(b, sec, row, "person", "person_name");
	td_time(b, x, at(sec, row, "out"), "");
	td_time(b, x, at(sec, row, "due"), "");
	td_time(b, x, at(sec, row, "returned"), KC_N_("Not returned"));
}

static void overdue(struct sbuf *b, const struct sheet *x, const char *site, long long n)
{
	static const char *const titles[] = { KC_N_("Key"), KC_N_("Unit"), KC_N_("Borrower"), KC_N_("Out since"), KC_N_("Due"), KC_N_("Returned"), NULL };
	static const struct part_spec spec = { "overdue", KC_N_("4. Inspection keys returned late"), titles,
					       overdue_cells };
	char count[48];

	snprintf(count, sizeof(count), kc_web_t(x->pg, "(%lld keys)"), n);
	part_rows(b, x, site, n, count, &spec);
}

/* The lines to sign: prepared by, the supervisor who checked it, date. */
static const char *const sign_lines[] = { KC_N_("Prepared by: "), KC_N_("Supervisor: "), KC_N_("Date: ") };
/* Rule 5's follow-up: the site's problems not yet resolved, whenever
 * found, with their state (open or forwarded, to whom) and age. */
static void unresolved(struct sbuf *b, const struct sheet *x, const char *site)
{
	const struct kc_web_page *pg = x->pg;
	static const char *const titles[] = { KC_N_("Unit"),	      KC_N_("Found"),	     KC_N_("Problems"),
					      KC_N_("Follow-up"), KC_N_("Forwarded to"), KC_N_("Age (days)"),
					      NULL };
	const json_t *sec = section(x->report, "unresolved"), *row;
	long long n = 0;
	char count[48];
	size_t i;

	json_array_foreach(json_object_get(sec, "rows"), i, row)
		n += of_site(sec, row, site);
	snprintf(count, sizeof(count), kc_web_t(pg, "(%lld problems)"), n);
	if (!part(b, pg, KC_N_("5. Problems not yet resolved, with their follow-up"), n, count, titles))
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
	const char *age = kc_web_t(x->pg, strcmp(str(sites, row, "age"), "new") == 0 ? KC_N_("New site") : KC_N_("Old site"));

	sbuf_printf(b, "<section class=\"sheet%s\">\n", first ? " first" : "");
	heading(b, x);
	meta(b, x, *name ? name : site, age);
	sbuf_add(b, "<h2>");
	sbuf_html(b, kc_web_t(x->pg, "1. Inspection coverage"));
	sbuf_add(b, "</h2>\n");
	thead(b, x->pg, coverage_titles);
	sbuf_add(b, "<tr>");
	coverage_cells(b, x->pg, sites, row);
	sbuf_add(b, "</tr></tbody></table>\n");
	not_inspected(b, x, site, (long long)json_integer_value(at(sites, row, "not_inspected")));
	problems(b, x, site, (long long)json_integer_value(at(sites, row, "problems")));
	overdue(b, x, site, (long long)json_integer_value(at(sites, row, "overdue")));
	unresolved(b, x, site);
	sbuf_add(b, "<table class=\"sign\"><tr>");
	for (size_t k = 0; k < KC_ARRAY_SIZE(sign_lines); k++) {
		sbuf_add(b, "<td>");
		sbuf_html(b, kc_web_t(x->pg, sign_lines[k]));
		sbuf_add(b, "<span class=\"line\"></span></td>");
	}
	sbuf_add(b, "</tr></table>\n</section>\n");
}

/* With more than one site: the sites side by side, first. */
static void summary(struct sbuf *b, const struct sheet *x)
{
	static const char *const titles[] = { KC_N_("Site"),	       KC_N_("Kind of site"), KC_N_("Vacant units"), KC_N_("Inspected"),
					      KC_N_("Not inspected"), KC_N_("Coverage"),     KC_N_("Target"),       KC_N_("Verdict"),
					      NULL };
	const json_t *sites = section(x->report, "sites"), *row;
	size_t i;

	sbuf_add(b, "<section class=\"sheet first\">\n");
	heading(b, x);
	sbuf_add(b, "<table class=\"meta\"><tr>");
	th(b, x, KC_N_("Month"));
	td(b, x->month);
	td_generated(b, x);
	sbuf_add(b, "<h2>");
	sbuf_html(b, kc_web_t(x->pg, "Inspection coverage of each site"));
	sbuf_add(b, "</h2>\n");
	thead(b, x->pg, titles);
	json_array_foreach(json_object_get(sites, "rows"), i, row) {
		const char *name = str(sites, row, "name");

		sbuf_add(b, "<tr>");
		td(b, *name ? name : str(sites, row, "site"));
		td(b, kc_web_t(x->pg, strcmp(str(sites, row, "age"), "new") == 0 ? KC_N_("New site") : KC_N_("Old site")));
		coverage_cells(b, x->pg, sites, row);
		sbuf_add(b, "</tr>\n");
	}
	sbuf_add(b, "</tbody></table>\n<p class=\"none\">");
	sbuf_html(b, kc_web_t(x->pg, "Each site's details and signatures follow, a site to a page."));
	sbuf_add(b, "</p>\n</section>\n");
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
		snprintf(x.month, sizeof(x.month), kc_web_t(pg, "%d-%02d"), y, m);
	kc_web_time(x.z, json_string_value(json_object_get(report, "generated")), false, x.generated,
		    sizeof(x.generated));
	sbuf_printf(&b, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
		       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>",
		    kc_msg_lang_tag(kc_web_lang(pg)));
	sbuf_html(&b, kc_web_t(pg, "Monthly vacant-unit inspection report"));
	sbuf_add(&b, " ");
	sbuf_html(&b, x.month);
	if (pg->estate && *pg->estate) {
		sbuf_add(&b, " - ");
		sbuf_html(&b, pg->estate);
	}
	sbuf_add(&b, "</title><style>");
	/* every printed page's number and the page count, in the page's language */
	sbuf_printf(&b, "@page{size:A4;margin:15mm 14mm 18mm;@bottom-center{content:%s;font-size:9pt;color:#333}}",
		    kc_web_t(pg, "\"Page \" counter(page) \" of \" counter(pages)"));
	sbuf_add(&b, sheet_style);
	sbuf_add(&b, "</style></head><body>\n<p class=\"noprint\"><a href=\"/r/vacant?month=");
	sbuf_url(&b, month ? month : "");
	sbuf_add(&b, "\">&larr; ");
	sbuf_html(&b, kc_web_t(pg, "Back to the vacant-unit inspections"));
	sbuf_add(&b, "</a> &middot; ");
	sbuf_html(&b, kc_web_t(pg, "Print this page with the browser (Ctrl+P); each site prints on pages of its own."));
	sbuf_add(&b, "</p>\n");
	if (n > 1)
		summary(&b, &x);
	json_array_foreach(json_object_get(sites, "rows"), i, row)
		site_sheet(&b, &x, row, n == 1);
	if (n == 0) {
		heading(&b, &x);
		sbuf_add(&b, "<p class=\"none\">");
		sbuf_html(&b, kc_web_t(pg, "No sites."));
		sbuf_add(&b, "</p>\n");
	}
	sbuf_add(&b, "</body></html>\n");
	return sbuf_take(&b);
}
