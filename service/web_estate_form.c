/* What the estate's pages share (service/web_estate.h): a form with
 * its form token, labelled inputs and selects, the choices of a word list
 * and of the registered sites, a time in a site's zone, a table's head,
 * row and cell. */
#include "service/web_estate.h"

#include <string.h>

#include "service/words.h"
#include "service/zone.h"

void est_hidden(struct est_page *p, const char *name, const char *value)
{
	sbuf_printf(p->b, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	sbuf_html(p->b, value ? value : "");
	sbuf_add(p->b, "\">");
}

void est_form(struct est_page *p, const char *path, const char *action, const char *cls)
{
	sbuf_printf(p->b, "<form method=\"post\" action=\"/estate/%s\" class=\"estate %s\">", path, cls ? cls : "");
	kc_web_csrf_field(p->b, &p->pg);
	est_hidden(p, "action", action);
}

void est_form_end(struct est_page *p, const char *button)
{
	sbuf_add(p->b, "<button type=\"submit\">");
	sbuf_html(p->b, ET(p, button));
	sbuf_add(p->b, "</button></form>");
}

void est_input(struct est_page *p, const char *label, const char *name, const char *value, const char *type)
{
	sbuf_add(p->b, "<label>");
	sbuf_html(p->b, ET(p, label));
	sbuf_printf(p->b, " <%s name=\"%s\"", strcmp(type, "textarea") == 0 ? "textarea rows=\"3\"" : "input", name);
	if (strcmp(type, "textarea") == 0) {
		sbuf_add(p->b, ">");
		sbuf_html(p->b, value ? value : "");
		sbuf_add(p->b, "</textarea></label> ");
		return;
	}
	sbuf_printf(p->b, " type=\"%s\" autocomplete=\"off\"", type);
	if (value) {
		sbuf_add(p->b, " value=\"");
		sbuf_html(p->b, value);
		sbuf_add(p->b, "\"");
	}
	sbuf_add(p->b, "></label> ");
}

void est_select(struct est_page *p, const char *label, const char *name, const json_t *choices, const char *cur,
		bool blank)
{
	const json_t *c;
	size_t i;

	sbuf_add(p->b, "<label>");
	sbuf_html(p->b, ET(p, label));
	sbuf_printf(p->b, " <select name=\"%s\">", name);
	if (blank)
		sbuf_add(p->b, "<option value=\"\"></option>");
	json_array_foreach(choices, i, c) {
		const char *v = json_string_value(json_array_get(c, 0));

		sbuf_add(p->b, "<option value=\"");
		sbuf_html(p->b, v);
		sbuf_printf(p->b, "\"%s>", cur && strcmp(cur, v) == 0 ? " selected" : "");
		sbuf_html(p->b, json_string_value(json_array_get(c, 1)));
		sbuf_add(p->b, "</option>");
	}
	sbuf_add(p->b, "</select></label> ");
}

json_t *est_word_choices(struct est_page *p, const char *ctx, const char *const *codes, size_t n)
{
	json_t *out = json_array();

	for (size_t i = 0; out && i < n; i++)
		json_array_append_new(out, json_pack("[s, s]", codes[i], kc_word(kc_web_lang(&p->pg), ctx, codes[i])));
	return out;
}

json_t *est_site_choices(struct est_page *p)
{
	json_t *sites = kc_estate_sites(&p->x), *out = json_array(), *s;
	size_t i;

	if (!sites || !out) {
		json_decref(sites);
		json_decref(out);
		return NULL;
	}
	json_array_foreach(sites, i, s)
		json_array_append_new(out, json_pack("[s, s]", est_str(s, "site"), est_str(s, "name")));
	json_decref(sites);
	return out;
}

const char *est_site_name(const json_t *choices, const char *site)
{
	const json_t *c;
	size_t i;

	json_array_foreach(choices, i, c)
		if (site && strcmp(json_string_value(json_array_get(c, 0)), site) == 0)
			return json_string_value(json_array_get(c, 1));
	return site ? site : "";
}

void est_time(struct est_page *p, const char *site, int64_t wall_ms, char *out, size_t len)
{
	sqlite3_stmt *st = site ? kc_db_q(p->x.db, "SELECT time_zone FROM estate_sites WHERE site = ?", "s", site) : NULL;
	const struct kc_zone *z = NULL;

	if (st && kc_db_row(st) == 0) {
		z = kc_zone_get((const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	kc_zone_format(z ? z : kc_zone_default(), wall_ms, KC_DAY_LAST, out, len);
}

void est_table(struct est_page *p, const char *cls, const char *const *cols)
{
	sbuf_printf(p->b, "<table class=\"report %s\"><thead><tr>", cls);
	for (; *cols; cols++) {
		sbuf_add(p->b, "<th>");
		sbuf_html(p->b, ET(p, *cols));
		sbuf_add(p->b, "</th>");
	}
	sbuf_add(p->b, "</tr></thead><tbody>\n");
}

void est_tr(struct est_page *p, const char *what, const char *code)
{
	sbuf_printf(p->b, "<tr data-%s=\"", what);
	sbuf_html(p->b, code);
	sbuf_add(p->b, "\">");
}

void est_td(struct est_page *p, const char *label)
{
	sbuf_add(p->b, "<td data-label=\"");
	sbuf_html(p->b, ET(p, label));
	sbuf_add(p->b, "\">");
}
