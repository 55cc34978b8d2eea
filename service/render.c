/* The reports as JSON (rows as objects) and CSV (one section). */
#include "service/reports.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/sbuf.h"

char *kc_render_json(const json_t *report)
{
	json_t *copy = json_deep_copy(report), *sec;
	size_t i;
	char *out;

	if (!copy)
		return NULL;
	json_array_foreach(json_object_get(copy, "sections"), i, sec) {
		json_t *cols = json_object_get(sec, "columns"), *rows = json_object_get(sec, "rows");
		json_t *objs = json_array(), *row;
		size_t j;

		json_array_foreach(rows, j, row) {
			json_t *o = json_object();
			json_t *cv;
			size_t k;

			json_array_foreach(cols, k, cv)
				json_object_set(o, json_string_value(json_object_get(cv, "name")),
						json_array_get(row, k));
			json_array_append_new(objs, o);
		}
		json_object_set_new(sec, "rows", objs);
	}
	out = json_dumps(copy, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(copy);
	return out;
}

void kc_render_csv_field(struct sbuf *b, const json_t *v)
{
	char num[32];
	char *dump = NULL;
	const char *s;

	if (json_is_null(v) || !v)
		return;
	if (json_is_string(v)) {
		s = json_string_value(v);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		s = num;
	} else if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%.1f", json_real_value(v));
		s = num;
	} else if (json_is_boolean(v)) {
		s = json_is_true(v) ? "true" : "false";
	} else {
		dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		s = dump ? dump : "";
	}
	/* RFC 4180 quoting; a leading =, +, - or @ is quoted with a ' so a
	 * spreadsheet does not run it as a formula. */
	if (strpbrk(s, ",\"\r\n") || strchr("=+-@", s[0]) != NULL) {
		sbuf_addn(b, "\"", 1);
		if (s[0] && strchr("=+-@", s[0]))
			sbuf_addn(b, "'", 1);
		for (const char *p = s; *p; p++) {
			if (*p == '"')
				sbuf_addn(b, "\"", 1);
			sbuf_addn(b, p, 1);
		}
		sbuf_addn(b, "\"", 1);
	} else {
		sbuf_addn(b, s, strlen(s));
	}
	free(dump);
}

char *kc_render_csv(const json_t *report, const char *section_name)
{
	const json_t *secs = json_object_get(report, "sections"), *sec = NULL, *s, *row, *cv;
	struct sbuf b = { 0 };
	size_t i, j;

	json_array_foreach(secs, i, s) {
		if (!section_name || strcmp(json_string_value(json_object_get(s, "name")), section_name) == 0) {
			sec = s;
			break;
		}
	}
	if (!sec)
		return NULL;
	sbuf_addn(&b, "\xEF\xBB\xBF", 3); /* BOM: spreadsheets then read UTF-8 */
	json_array_foreach(json_object_get(sec, "columns"), j, cv) {
		if (j)
			sbuf_addn(&b, ",", 1);
		kc_render_csv_field(&b, json_object_get(cv, "name"));
	}
	sbuf_addn(&b, "\r\n", 2);
	json_array_foreach(json_object_get(sec, "rows"), i, row) {
		json_array_foreach(row, j, cv) {
			if (j)
				sbuf_addn(&b, ",", 1);
			kc_render_csv_field(&b, cv);
		}
		sbuf_addn(&b, "\r\n", 2);
	}
	return sbuf_take(&b);
}

