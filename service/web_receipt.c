/* The receipt of an entrustment as the owner signs it (持钥凭证), printable
 * from the office: the owner, the unit, the key with its slot and tag, the
 * period, the clerk and the time in the cabinet's zone, names and words
 * rather than codes, then the changes of its period and its letters; or,
 * with no entrustment named, the entrustments to pick one from. */
#include "service/web.h"

#include <stdio.h>
#include <string.h>

#include "service/sbuf.h"
#include "service/words.h"

static const char receipt_style[] =
	"<style>table.receipt th{text-align:left;width:10em;font-weight:normal}"
	".signs{display:flex;gap:3em;margin-top:2em}.signs div{flex:1;border-bottom:1px solid #000;padding-bottom:2em}</style>\n";

static void text(struct sbuf *b, const struct kc_web_page *pg, const char *en)
{
	sbuf_html(b, kc_web_t(pg, en));
}

/* A line of the receipt: its label (a msgid) and its value. */
static void line(struct sbuf *b, const struct kc_web_page *pg, const char *label, const char *value, const char *id)
{
	sbuf_printf(b, "<tr id=\"%s\"><th>", id);
	text(b, pg, label);
	sbuf_add(b, "</th><td>");
	sbuf_html(b, value && *value ? value : "-");
	sbuf_add(b, "</td></tr>\n");
}

static const char *when(const struct kc_zone *z, const char *iso, bool is_end, char *buf, size_t len)
{
	kc_web_time(z, iso, is_end, buf, len);
	return buf;
}

static void receipt(struct sbuf *b, const struct kc_web_page *pg, const struct kc_zone *z, const json_t *sec,
		    const json_t *row)
{
	enum kc_lang lang = kc_web_lang(pg);
	const json_t *tag = kc_web_at(sec, row, "tag");
	char unit[256], period[96], t1[40], t2[40], id[128], tagtext[24];

	snprintf(unit, sizeof(unit), "%s %s%s %s", kc_web_str(sec, row, "site_name"), kc_web_str(sec, row, "building"),
		 kc_web_t(pg, "Bldg"), kc_web_str(sec, row, "room"));
	if (!*kc_web_str(sec, row, "building"))
		snprintf(unit, sizeof(unit), "%s", kc_web_str(sec, row, "unit"));
	snprintf(period, sizeof(period), "%s %s %s", when(z, kc_web_str(sec, row, "start"), false, t1, sizeof(t1)),
		 kc_web_t(pg, "to"), when(z, kc_web_str(sec, row, "end"), true, t2, sizeof(t2)));
	snprintf(id, sizeof(id), "%s %s", kc_word(lang, "id_type", kc_web_str(sec, row, "id_type")),
		 kc_web_str(sec, row, "id_masked"));
	snprintf(tagtext, sizeof(tagtext), json_integer_value(tag) ? "0x%llx" : "-", (unsigned long long)json_integer_value(tag));
	sbuf_add(b, "<section class=\"receipt\"><h2>");
	text(b, pg, "Key custody receipt");
	sbuf_add(b, " · ");
	text(b, pg, "keys entrusted");
	sbuf_add(b, "</h2><table class=\"receipt\">\n");
	line(b, pg, "Entrustment", kc_web_str(sec, row, "entrustment"), "rc-entrustment");
	line(b, pg, "Owner", kc_web_str(sec, row, "owner_name"), "rc-owner");
	line(b, pg, "Phone", kc_web_str(sec, row, "owner_phone"), "rc-phone");
	line(b, pg, "ID", id, "rc-id");
	line(b, pg, "Unit", unit, "rc-unit");
	line(b, pg, "Entrusted", period, "rc-period");
	line(b, pg, "Key", kc_web_str(sec, row, "key"), "rc-key");
	line(b, pg, "Kind", kc_word(lang, "kind", kc_web_str(sec, row, "kind")), "rc-kind");
	line(b, pg, "Slot", kc_web_str(sec, row, "slot"), "rc-slot");
	line(b, pg, "Tag", tagtext, "rc-tag");
	line(b, pg, "Clerk", kc_web_str(sec, row, "clerk"), "rc-clerk");
	line(b, pg, "Time", when(z, kc_web_str(sec, row, "registered"), false, t1, sizeof(t1)), "rc-time");
	if (*kc_web_str(sec, row, "closed"))
		line(b, pg, "Closed", when(z, kc_web_str(sec, row, "closed"), false, t1, sizeof(t1)), "rc-closed");
	sbuf_add(b, "</table>\n<div class=\"signs\"><div>");
	text(b, pg, "Owner’s signature:");
	sbuf_add(b, "</div><div>");
	text(b, pg, "Clerk’s signature:");
	sbuf_add(b, "</div></div></section>\n");
}

/* The changes of the period and the letters, each a line. */
static void history(struct sbuf *b, const struct kc_web_page *pg, const struct kc_zone *z, const json_t *report)
{
	const json_t *ch = kc_web_section(report, "changes"), *lt = kc_web_section(report, "letters"), *row;
	enum kc_lang lang = kc_web_lang(pg);
	char t1[40], t2[40], t3[40];
	size_t i;

	sbuf_add(b, "<ul id=\"rc-history\">\n");
	json_array_foreach(json_object_get(ch, "rows"), i, row) {
		sbuf_add(b, "<li>");
		sbuf_printf(b, "%s ", when(z, kc_web_str(ch, row, "at"), false, t1, sizeof(t1)));
		sbuf_html(b, kc_word(lang, "entrustment_change", kc_web_str(ch, row, "change")));
		sbuf_printf(b, ": %s → %s (", when(z, kc_web_str(ch, row, "previous_end"), true, t2, sizeof(t2)),
			    when(z, kc_web_str(ch, row, "end"), true, t3, sizeof(t3)));
		sbuf_html(b, kc_web_str(ch, row, "clerk"));
		sbuf_add(b, ")</li>\n");
	}
	json_array_foreach(json_object_get(lt, "rows"), i, row) {
		sbuf_add(b, "<li>");
		sbuf_printf(b, "%s ", when(z, kc_web_str(lt, row, "at"), false, t1, sizeof(t1)));
		text(b, pg, "Authorisation letter");
		sbuf_add(b, " ");
		sbuf_html(b, kc_web_str(lt, row, "reference"));
		sbuf_add(b, ": ");
		sbuf_html(b, kc_web_str(lt, row, "borrower"));
		sbuf_add(b, ", ");
		sbuf_html(b, kc_word(lang, "id_type", kc_web_str(lt, row, "id_type")));
		sbuf_add(b, " ");
		sbuf_html(b, kc_web_str(lt, row, "id_masked"));
		sbuf_printf(b, ", %s → %s</li>\n", when(z, kc_web_str(lt, row, "valid_from"), false, t2, sizeof(t2)),
			    when(z, kc_web_str(lt, row, "valid_to"), true, t3, sizeof(t3)));
	}
	sbuf_add(b, "</ul>\n");
}

/* The entrustments to pick from, each a link to its receipt. */
static void pick(struct sbuf *b, const struct kc_web_page *pg, const struct kc_zone *z, const json_t *sec)
{
	const json_t *row;
	char t1[40], t2[40];
	size_t i;

	sbuf_add(b, "<ul id=\"rc-pick\">\n");
	json_array_foreach(json_object_get(sec, "rows"), i, row) {
		sbuf_add(b, "<li><a href=\"/r/receipt?cabinet=");
		sbuf_html(b, kc_web_str(sec, row, "cabinet"));
		sbuf_add(b, "&amp;entrustment=");
		sbuf_html(b, kc_web_str(sec, row, "entrustment"));
		sbuf_add(b, "\">");
		sbuf_html(b, kc_web_str(sec, row, "unit"));
		sbuf_add(b, " · ");
		sbuf_html(b, kc_web_str(sec, row, "owner_name"));
		sbuf_printf(b, " · %s – %s</a></li>\n", when(z, kc_web_str(sec, row, "start"), false, t1, sizeof(t1)),
			    when(z, kc_web_str(sec, row, "end"), true, t2, sizeof(t2)));
	}
	if (!json_array_size(json_object_get(sec, "rows"))) {
		sbuf_add(b, "<li class=\"none\">");
		text(b, pg, "None");
		sbuf_add(b, "</li>");
	}
	sbuf_add(b, "</ul>\n");
}

char *kc_web_receipt(const json_t *report, const struct kc_web_page *pg)
{
	const json_t *sec = kc_web_section(report, "receipt");
	const struct kc_zone *z = kc_web_zone(report);
	struct sbuf b = { 0 };

	kc_web_report_head(&b, report, pg);
	sbuf_add(&b, receipt_style);
	if (!sec)
		pick(&b, pg, z, kc_web_section(report, "entrustments"));
	else if (!json_array_size(json_object_get(sec, "rows"))) {
		sbuf_add(&b, "<p class=\"none\" id=\"rc-none\">");
		text(&b, pg, "There is no such entrustment");
		sbuf_add(&b, "</p>\n");
	} else {
		receipt(&b, pg, z, sec, json_array_get(json_object_get(sec, "rows"), 0));
		history(&b, pg, z, report);
	}
	kc_web_tail(&b);
	return sbuf_take(&b);
}
