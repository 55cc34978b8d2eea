/* What the pages that read a report's rows by column name share
 * (web.h): sections and cells by name, and the forms' token field. */
#include <string.h>

#include "service/sbuf.h"
#include "service/web.h"

const json_t *kc_web_section(const json_t *report, const char *name)
{
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(report, "sections"), i, s)
		if (strcmp(json_string_value(json_object_get(s, "name")) ?: "", name) == 0)
			return s;
	return NULL;
}

const json_t *kc_web_at(const json_t *sec, const json_t *row, const char *col)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(sec, "columns"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")) ?: "", col) == 0)
			return json_array_get(row, i);
	return NULL;
}

const char *kc_web_str(const json_t *sec, const json_t *row, const char *col)
{
	const char *s = json_string_value(kc_web_at(sec, row, col));

	return s ? s : "";
}

void kc_web_report_head(struct sbuf *b, const json_t *report, const struct kc_web_page *pg)
{
	kc_web_head(b, kc_web_t(pg, json_string_value(json_object_get(report, "title_en"))), pg);
	kc_web_generated(b, report, pg);
}

void kc_web_csrf_field(struct sbuf *b, const struct kc_web_page *pg)
{
	sbuf_add(b, "<input type=\"hidden\" name=\"csrf\" value=\"");
	sbuf_html(b, pg->csrf ? pg->csrf : "");
	sbuf_add(b, "\">");
}

void kc_web_checkboxes(struct sbuf *b, const char *name, const json_t *choices, const json_t *have)
{
	const json_t *c, *h;
	size_t i, j;

	json_array_foreach(choices, i, c) {
		const char *v = json_string_value(json_array_get(c, 0));
		bool on = false;

		json_array_foreach(have, j, h)
			on = on || strcmp(json_string_value(h), v) == 0;
		sbuf_add(b, "<label><input type=\"checkbox\" name=\"");
		sbuf_html(b, name);
		sbuf_add(b, "\" value=\"");
		sbuf_html(b, v);
		sbuf_printf(b, "\"%s> ", on ? " checked" : "");
		sbuf_html(b, json_string_value(json_array_get(c, 1)));
		sbuf_add(b, "</label> ");
	}
}
