/* The handovers page (rule 12): each handover as the sheet the desk
 * signs, in local time: who handed over and who took over, the keys out
 * with borrower (by name) and due time, the IDs held (masked), the open
 * alarms, and its review: by whom, when and where (at the office or at
 * the cabinet), or the form that signs it at the office. ?print=1 is the
 * printable sheets, with a line to sign on each one not yet reviewed. */
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "service/keylog_text.h"
#include "service/sbuf.h"
#include "service/web.h"
#include "service/words.h"
#include "service/zone.h"

static const char sheet_style[] =
	"<style>section.sheet{border:1px solid #999;padding:.4em .8em;margin:0 0 1em;break-inside:avoid}"
	"section.sheet h2{font-size:16px;margin:.2em 0}section.sheet h3{font-size:14px;margin:.5em 0 .2em}"
	"form.filter input[type=checkbox]{width:auto}.review form{display:inline}.signline{display:inline-block;width:10em;border-bottom:1px solid #000}"
	"@media print{section.sheet{border:0;border-bottom:1px solid #000}}</style>\n";

static void text(struct sbuf *b, const struct kc_web_page *pg, const char *en)
{
	sbuf_html(b, kc_web_t(pg, en));
}

/* A person by name and code, "name (code)"; the code alone when no name
 * is registered. */
static void person(struct sbuf *b, const char *code, const char *name)
{
	sbuf_html(b, name && *name ? name : code);
	if (name && *name && code && strcmp(name, code) != 0) {
		sbuf_add(b, " (");
		sbuf_html(b, code);
		sbuf_add(b, ")");
	}
}

static void when(struct sbuf *b, const struct kc_zone *z, const char *iso)
{
	char t[40];

	kc_web_time(z, iso, false, t, sizeof(t));
	sbuf_html(b, t);
}

static const char *member(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name)) ?: "";
}

/* How a list's cell shows an item's member. */
enum cell_as { AS_TEXT, AS_PERSON, AS_TIME, AS_ALARM, AS_ID_TYPE };

/* The three lists of a sheet, each a column of the report holding an
 * array of objects: its heading, and its columns (label, member, how). */
static const struct sheet_list {
	const char *col, *cls, *heading;
	struct {
		const char *label, *member;
		enum cell_as as;
	} cells[5];
} sheet_lists[] = {
	{ "keys_out", "keys-out", "Keys out",
	  { { "Key", "key", AS_TEXT }, { "Unit", "unit", AS_TEXT }, { "Borrower", "person", AS_PERSON },
	    { "Due", "due", AS_TIME } } },
	{ "ids_held", "ids-held", "IDs held",
	  { { "Holder", "person", AS_PERSON }, { "ID type", "id_type", AS_ID_TYPE },
	    { "ID number (masked)", "id_masked", AS_TEXT } } },
	{ "alarms", "alarms", "Open alarms",
	  { { "Alarm", "type", AS_ALARM }, { "Key", "key", AS_TEXT }, { "Unit", "unit", AS_TEXT },
	    { "Slot", "slot", AS_TEXT } } },
};

static void list_cell(struct sbuf *b, const struct kc_web_page *pg, const struct kc_zone *z, const json_t *it, const char *m, enum cell_as as)
{
	switch (as) {
	case AS_PERSON:
		person(b, member(it, m), member(it, "name"));
		break;
	case AS_TIME:
		when(b, z, member(it, m));
		break;
	case AS_ALARM:
		sbuf_html(b, kc_word(kc_web_lang(pg), "alarm", member(it, m)));
		break;
	case AS_ID_TYPE:
		sbuf_html(b, kc_word(kc_web_lang(pg), "id_type", member(it, m)));
		break;
	default:
		sbuf_html(b, member(it, m));
	}
}

/* One list of a sheet: its heading with its count, then its table, or
 * None when it is empty. */
static void sheet_list(struct sbuf *b, const struct kc_web_page *pg, const struct kc_zone *z,
		       const struct sheet_list *l, const json_t *items)
{
	const json_t *it;
	size_t i, c;

	sbuf_add(b, "<h3>");
	text(b, pg, l->heading);
	sbuf_printf(b, " (%zu)</h3>", json_array_size(items));
	if (json_array_size(items) == 0) {
		sbuf_add(b, "<p class=\"none\">");
		text(b, pg, "None");
		sbuf_add(b, "</p>\n");
		return;
	}
	sbuf_printf(b, "<table class=\"report %s\"><thead><tr>", l->cls);
	for (c = 0; c < KC_ARRAY_SIZE(l->cells) && l->cells[c].label; c++) {
		sbuf_add(b, "<th>");
		text(b, pg, l->cells[c].label);
		sbuf_add(b, "</th>");
	}
	sbuf_add(b, "</tr></thead><tbody>\n");
	json_array_foreach(items, i, it) {
		sbuf_add(b, "<tr>");
		for (c = 0; c < KC_ARRAY_SIZE(l->cells) && l->cells[c].label; c++) {
			sbuf_add(b, "<td data-label=\"");
			text(b, pg, l->cells[c].label);
			sbuf_add(b, "\">");
			list_cell(b, pg, z, it, l->cells[c].member, l->cells[c].as);
			sbuf_add(b, "</td>");
		}
		sbuf_add(b, "</tr>\n");
	}
	sbuf_add(b, "</tbody></table>\n");
}

/* The review: signed (by whom, when, where), the form that signs it, or
 * why it cannot be signed yet. */
static void review(struct sbuf *b, const struct kc_web_page *pg, const struct kc_zone *z, const json_t *sec,
		   const json_t *row)
{
	const char *at = kc_web_str(sec, row, "reviewed_at"), *note = kc_web_str(sec, row, "review_note");

	sbuf_add(b, "<p class=\"review\">");
	if (json_is_string(kc_web_at(sec, row, "reviewed"))) {
		text(b, pg, "Reviewed by");
		sbuf_add(b, " <b class=\"reviewer\">");
		person(b, kc_web_str(sec, row, "reviewed_by"), kc_web_str(sec, row, "reviewed_by_name"));
		sbuf_add(b, "</b> &middot; ");
		when(b, z, kc_web_str(sec, row, "reviewed"));
		sbuf_printf(b, " &middot; <span class=\"where %s\">", at);
		text(b, pg, strcmp(at, "office") == 0 ? "signed at the office" : "signed at the cabinet");
		sbuf_add(b, "</span>");
		if (*note) {
			sbuf_add(b, " &middot; ");
			text(b, pg, "Note");
			sbuf_add(b, ": ");
			sbuf_html(b, note);
		}
	} else if (!json_is_string(kc_web_at(sec, row, "confirmed"))) {
		sbuf_add(b, "<span class=\"bad\">");
		text(b, pg, "Not yet confirmed by the incoming staff: it is reviewed once confirmed");
		sbuf_add(b, "</span>");
	} else if (pg->print) {
		text(b, pg, "Reviewed by");
		sbuf_add(b, ": <span class=\"signline\"></span> ");
		text(b, pg, "Date");
		sbuf_add(b, ": <span class=\"signline\"></span>");
	} else {
		sbuf_add(b, "<form method=\"post\" action=\"/r/handovers/review\">");
		kc_web_csrf_field(b, pg);
		sbuf_add(b, "<input type=\"hidden\" name=\"cabinet\" value=\"");
		sbuf_html(b, kc_web_str(sec, row, "cabinet"));
		sbuf_printf(b, "\"><input type=\"hidden\" name=\"handover\" value=\"%lld\"><label>",
			    (long long)json_integer_value(kc_web_at(sec, row, "handover")));
		text(b, pg, "Review note");
		sbuf_add(b, " <input name=\"note\"></label> <button type=\"submit\">");
		text(b, pg, "Sign the review");
		sbuf_add(b, "</button></form>");
	}
	sbuf_add(b, "</p>\n");
}

static void sheet(struct sbuf *b, const struct kc_web_page *pg, const struct kc_zone *z, const json_t *sec,
		  const json_t *row)
{
	long long ho = (long long)json_integer_value(kc_web_at(sec, row, "handover"));

	sbuf_add(b, "<section class=\"sheet\" data-cabinet=\"");
	sbuf_html(b, kc_web_str(sec, row, "cabinet"));
	sbuf_printf(b, "\" data-handover=\"%lld\" data-reviewed=\"%s\"><h2>", ho, kc_web_str(sec, row, "reviewed_at"));
	text(b, pg, "Handover sheet");
	sbuf_printf(b, " %lld &middot; ", ho);
	text(b, pg, "Cabinet");
	sbuf_add(b, " ");
	sbuf_html(b, kc_web_str(sec, row, "cabinet"));
	sbuf_add(b, "</h2>\n<p>");
	text(b, pg, "Handed over by");
	sbuf_add(b, " ");
	person(b, kc_web_str(sec, row, "outgoing"), kc_web_str(sec, row, "outgoing_name"));
	sbuf_add(b, " &middot; ");
	when(b, z, kc_web_str(sec, row, "started"));
	sbuf_add(b, "<br>");
	text(b, pg, "Taken over by");
	sbuf_add(b, " ");
	if (json_is_string(kc_web_at(sec, row, "confirmed"))) {
		person(b, kc_web_str(sec, row, "incoming"), kc_web_str(sec, row, "incoming_name"));
		sbuf_add(b, " &middot; ");
		when(b, z, kc_web_str(sec, row, "confirmed"));
	} else {
		text(b, pg, "not yet confirmed");
	}
	sbuf_add(b, "</p>\n");
	for (size_t i = 0; i < KC_ARRAY_SIZE(sheet_lists); i++)
		sheet_list(b, pg, z, &sheet_lists[i], kc_web_at(sec, row, sheet_lists[i].col));
	review(b, pg, z, sec, row);
	sbuf_add(b, "</section>\n");
}

static void filters(struct sbuf *b, const struct kc_web_page *pg, const json_t *params)
{
	static const struct {
		const char *name, *en, *type;
	} fields[] = { { "site", "Site", "text" }, { "cabinet", "Cabinet", "text" },
		       { "from", "From", "date" }, { "to", "To", "date" } };
	const char *unrev = json_string_value(json_object_get(params, "unreviewed"));

	sbuf_add(b, "<form class=\"filter\" method=\"get\" action=\"/r/handovers\">");
	for (size_t i = 0; i < KC_ARRAY_SIZE(fields); i++) {
		const char *v = json_string_value(json_object_get(params, fields[i].name));

		sbuf_add(b, "<label>");
		text(b, pg, fields[i].en);
		sbuf_printf(b, " <input type=\"%s\" name=\"%s\" value=\"", fields[i].type, fields[i].name);
		sbuf_html(b, v ? v : "");
		sbuf_add(b, "\"></label>");
	}
	sbuf_printf(b, "<label><input type=\"checkbox\" name=\"unreviewed\" value=\"1\"%s> ",
		    unrev && strcmp(unrev, "0") != 0 ? " checked" : "");
	text(b, pg, "Unreviewed only");
	sbuf_add(b, "</label><button type=\"submit\">");
	text(b, pg, "Search");
	sbuf_add(b, "</button></form>\n");
}

static void pager(struct sbuf *b, const struct kc_web_page *pg, const json_t *params, const json_t *sec)
{
	json_int_t total = json_integer_value(json_object_get(sec, "total"));
	json_int_t page = json_integer_value(json_object_get(sec, "page"));
	json_int_t size = json_integer_value(json_object_get(sec, "page_size"));
	char extra[48];

	sbuf_add(b, "<p class=\"meta pager\">");
	text(b, pg, "Total");
	sbuf_printf(b, " %lld &middot; ", (long long)total);
	text(b, pg, "Page");
	sbuf_printf(b, " %lld ", (long long)page);
	if (!pg->print && page > 1) {
		snprintf(extra, sizeof(extra), "page=%lld", (long long)page - 1);
		sbuf_add(b, "<a href=\"/r/handovers");
		kc_web_query(b, params, extra);
		sbuf_add(b, "\">&larr; ");
		text(b, pg, "previous");
		sbuf_add(b, "</a> ");
	}
	if (!pg->print && page * size < total) {
		snprintf(extra, sizeof(extra), "page=%lld", (long long)page + 1);
		sbuf_add(b, "<a href=\"/r/handovers");
		kc_web_query(b, params, extra);
		sbuf_add(b, "\">");
		text(b, pg, "next");
		sbuf_add(b, " &rarr;</a>");
	}
	sbuf_add(b, "</p>\n");
}

char *kc_web_handovers(const json_t *report, const struct kc_web_page *pg)
{
	const json_t *params = json_object_get(report, "params"), *sec = kc_web_section(report, "handovers"), *row;
	const struct kc_zone *z = kc_web_zone(report);
	struct sbuf b = { 0 };
	size_t i;

	kc_web_report_head(&b, report, pg);
	sbuf_add(&b, sheet_style);
	if (!pg->print) {
		filters(&b, pg, params);
		sbuf_add(&b, "<p class=\"noprint\"><a class=\"print\" href=\"/r/handovers");
		kc_web_query(&b, params, "print=1");
		sbuf_add(&b, "\">");
		text(&b, pg, "Printable sheets");
		sbuf_add(&b, "</a></p>\n");
		kc_web_export_links(&b, pg, "handovers", params, "handovers");
	}
	sbuf_add(&b, "<p class=\"meta\" id=\"unreviewed\">");
	text(&b, pg, "Unreviewed");
	sbuf_printf(&b, ": %lld</p>\n", (long long)json_integer_value(json_object_get(sec, "unreviewed")));
	json_array_foreach(json_object_get(sec, "rows"), i, row)
		sheet(&b, pg, z, sec, row);
	if (pg->print)
		kc_web_print_notice(&b, pg, sec);
	pager(&b, pg, params, sec);
	kc_web_tail(&b);
	return sbuf_take(&b);
}
