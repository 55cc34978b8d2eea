/* The estate's sites with their buildings and units, and its keys by unit
 * (/estate/sites, /estate/keys; service/web_estate.h). */
#include "service/web_estate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/words.h"

static const char *const kinds[] = { "entrusted", "sealed", "vacant", "repair" };

static json_t *yes_no(struct est_page *p)
{
	return json_pack("[[s, s], [s, s]]", "0", ET(p, "occupied"), "1", ET(p, "vacant"));
}

/* "1栋101": a unit as people say it. */
static void unit_words(struct est_page *p, const json_t *u)
{
	const char *b = est_str(u, "building") ?: "", *r = est_str(u, "room") ?: "";

	if (!*b && !*r) {
		sbuf_html(p->b, est_str(u, "unit"));
		return;
	}
	sbuf_html(p->b, b);
	sbuf_html(p->b, r);
}

static void site_form(struct est_page *p, const json_t *s)
{
	json_t *ages = json_pack("[[s, s], [s, s]]", "new", ET(p, "new site"), "old", ET(p, "old site"));

	est_form(p, "sites", "site", s ? "row" : "new");
	if (s) {
		est_hidden(p, "site", est_str(s, "site"));
	} else {
		est_input(p, "Code", "site", NULL, "text");
	}
	est_input(p, "Name", "name", s ? est_str(s, "name") : NULL, "text");
	est_select(p, "Age", "age", ages, s ? est_str(s, "age") : "new", false);
	est_input(p, "Time zone", "time_zone", s ? est_str(s, "time_zone") : NULL, "text");
	est_form_end(p, "Save site");
	json_decref(ages);
}

static void unit_row(struct est_page *p, const json_t *u, const json_t *yn)
{
	const json_t *h;
	char when[40];
	size_t i;

	est_tr(p, "unit", est_str(u, "unit"));
	est_td(p, "Unit");
	unit_words(p, u);
	sbuf_add(p->b, " <span class=\"meta\">");
	sbuf_html(p->b, est_str(u, "unit"));
	sbuf_add(p->b, "</span></td>");
	est_td(p, "Vacancy");
	est_form(p, "sites", "unit", "row");
	est_hidden(p, "unit", est_str(u, "unit"));
	est_hidden(p, "site", est_str(u, "site"));
	est_select(p, "Vacancy", "vacant", yn, json_is_true(json_object_get(u, "vacant")) ? "1" : "0", false);
	est_form_end(p, "Save");
	sbuf_add(p->b, "</td>");
	est_td(p, "Keys");
	sbuf_printf(p->b, "%lld</td>", (long long)json_integer_value(json_object_get(u, "keys")));
	est_td(p, "History");
	sbuf_add(p->b, "<small class=\"meta\">");
	json_array_foreach(json_object_get(u, "history"), i, h) {
		if (i == 5)
			break;
		est_time(p, est_str(u, "site"), json_integer_value(json_object_get(h, "at")), when, sizeof(when));
		sbuf_html(p->b, when);
		sbuf_add(p->b, " ");
		sbuf_html(p->b, json_is_true(json_object_get(h, "vacant")) ? ET(p, "vacant") : ET(p, "occupied"));
		sbuf_add(p->b, " (");
		sbuf_html(p->b, est_str(h, "by") ?: ET(p, "from the cabinets"));
		sbuf_add(p->b, ")<br>");
	}
	sbuf_add(p->b, "</small></td></tr>\n");
}

int web_estate_sites(struct est_page *p)
{
	static const char *const cols[] = { "Unit", "Vacancy", "Keys", "History", NULL };
	json_t *sites = kc_estate_sites(&p->x), *units = kc_estate_units(&p->x, NULL), *yn = yes_no(p), *choices;
	const json_t *s, *u;
	size_t i, j;

	if (!sites || !units) {
		json_decref(sites);
		json_decref(units);
		json_decref(yn);
		return -EIO;
	}
	json_array_foreach(sites, i, s) {
		sbuf_add(p->b, "<h2 data-site=\"");
		sbuf_html(p->b, est_str(s, "site"));
		sbuf_add(p->b, "\">");
		sbuf_html(p->b, est_str(s, "name"));
		sbuf_add(p->b, " <small class=\"meta\">");
		sbuf_html(p->b, est_str(s, "site"));
		sbuf_add(p->b, " · ");
		sbuf_html(p->b, strcmp(est_str(s, "age") ?: "", "old") == 0 ? ET(p, "old site") : ET(p, "new site"));
		sbuf_add(p->b, " · ");
		sbuf_html(p->b, est_str(s, "time_zone") ?: ET(p, "the office's time zone"));
		sbuf_add(p->b, "</small></h2>\n");
		if (p->admin)
			site_form(p, s);
		est_table(p, "units", cols);
		json_array_foreach(units, j, u)
			if (strcmp(est_str(u, "site"), est_str(s, "site")) == 0)
				unit_row(p, u, yn);
		sbuf_add(p->b, "</tbody></table>\n");
	}
	choices = est_site_choices(p);
	if (choices && json_array_size(choices)) {
		sbuf_printf(p->b, "<h2>%s</h2>", ET(p, "New unit, or change one"));
		est_form(p, "sites", "unit", "new");
		est_select(p, "Site", "site", choices, NULL, false);
		est_input(p, "Unit code", "unit", NULL, "text");
		est_input(p, "Building", "building", NULL, "text");
		est_input(p, "Room", "room", NULL, "text");
		est_select(p, "Vacancy", "vacant", yn, NULL, true);
		est_form_end(p, "Save unit");
	}
	if (p->admin) {
		sbuf_printf(p->b, "<h2>%s</h2>", ET(p, "New site"));
		site_form(p, NULL);
	}
	json_decref(choices);
	json_decref(sites);
	json_decref(units);
	json_decref(yn);
	return 0;
}

/* The managed cabinets as choices. */
static json_t *cabinet_choices(struct est_page *p)
{
	json_t *cabs = kc_estate_cabinets(&p->x), *out = json_array(), *c;
	size_t i;

	json_array_foreach(cabs, i, c)
		if (strcmp(est_str(c, "mode") ?: "", "managed") == 0)
			json_array_append_new(out, json_pack("[s, s]", est_str(c, "cabinet"), est_str(c, "cabinet")));
	json_decref(cabs);
	return out;
}

static void key_row(struct est_page *p, const json_t *k)
{
	char tag[24];

	est_tr(p, "key", est_str(k, "key"));
	est_td(p, "Unit");
	unit_words(p, k);
	sbuf_add(p->b, "</td>");
	est_td(p, "Key");
	sbuf_html(p->b, kc_word(kc_web_lang(&p->pg), "kind", est_str(k, "kind")));
	sbuf_add(p->b, " <span class=\"meta\">");
	sbuf_html(p->b, est_str(k, "key"));
	sbuf_add(p->b, "</span></td>");
	est_td(p, "Cabinet");
	sbuf_html(p->b, est_str(k, "cabinet"));
	sbuf_add(p->b, "</td>");
	est_td(p, "Slot");
	sbuf_html(p->b, est_str(k, "slot"));
	sbuf_add(p->b, "</td>");
	est_td(p, "Tag");
	snprintf(tag, sizeof(tag), "%lld", (long long)json_integer_value(json_object_get(k, "tag")));
	sbuf_html(p->b, strcmp(tag, "0") == 0 ? ET(p, "none") : tag);
	sbuf_add(p->b, "</td>");
	est_td(p, "Actions");
	est_form(p, "keys", "remove", "row");
	est_hidden(p, "key", est_str(k, "key"));
	est_form_end(p, "Remove");
	sbuf_add(p->b, "</td></tr>\n");
}

int web_estate_keys(struct est_page *p)
{
	static const char *const cols[] = { "Unit", "Key", "Cabinet", "Slot", "Tag", "Actions", NULL };
	json_t *keys = kc_estate_keys(&p->x, NULL), *units = kc_estate_units(&p->x, NULL), *cabs = cabinet_choices(p);
	json_t *unit_choices = json_array(), *kind_choices = est_word_choices(p, "kind", kinds, KC_ARRAY_SIZE(kinds));
	const json_t *k, *u;
	size_t i;
	int r = keys && units && cabs && unit_choices && kind_choices ? 0 : -EIO;

	if (r == 0) {
		est_table(p, "keys", cols);
		json_array_foreach(keys, i, k)
			key_row(p, k);
		sbuf_add(p->b, "</tbody></table>\n");
		json_array_foreach(units, i, u) {
			struct sbuf w = { 0 };
			char *label;

			sbuf_add(&w, est_str(u, "building") ?: "");
			sbuf_add(&w, est_str(u, "room") ?: "");
			sbuf_printf(&w, " (%s)", est_str(u, "unit"));
			label = sbuf_take(&w);
			json_array_append_new(unit_choices, json_pack("[s, s]", est_str(u, "unit"), label ? label : ""));
			free(label);
		}
		sbuf_printf(p->b, "<h2>%s</h2><p class=\"meta\">%s</p>", ET(p, "New key, or move one"),
			    ET(p, "A key moved to another cabinet is removed from the old one."));
		est_form(p, "keys", "key", "new");
		est_input(p, "Key code", "key", NULL, "text");
		est_select(p, "Unit", "unit", unit_choices, NULL, true);
		est_select(p, "Kind", "kind", kind_choices, NULL, true);
		est_select(p, "Cabinet", "cabinet", cabs, NULL, true);
		est_input(p, "Slot", "slot", NULL, "text");
		est_input(p, "Tag", "tag", NULL, "number");
		est_form_end(p, "Save key");
	}
	json_decref(keys);
	json_decref(units);
	json_decref(cabs);
	json_decref(unit_choices);
	json_decref(kind_choices);
	return r;
}
