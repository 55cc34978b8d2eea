/* The preview and the apply of an import (import_preview.h): the header
 * row named by the columns' Chinese or English names, each row's cells
 * as the estate's fields (yes/no, numbers, words by their code or their
 * Chinese), what the file repeats (a code, a key's slot or tag), then
 * each row through the estate's check (import_estate.c). The preview is
 * kept under its token (import_tokens.c); the apply reads the same file
 * again and writes exactly what the preview said, or nothing. */
#include "service/import_preview.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "common/msg.h"
#include "common/pdata.h"
#include "common/util.h"
#include "service/import_estate.h"
#include "service/import_sheet.h"
#include "service/import_tokens.h"
#include "service/mask.h"
#include "service/sign.h"

enum field_type {
	F_TEXT,
	F_BOOL,	 /* 是/否, yes/no, true/false, 1/0 */
	F_INT,	 /* decimal or 0x hex */
	F_ROLE,	 /* a person's role: its code or its Chinese */
	F_KIND,	 /* a key's kind: likewise */
	F_LIST,	 /* codes separated by commas, 、 or blanks */
};

/* A column an import reads: the field, and the English names its header
 * may have; its Chinese names are the catalogue's word of the field in
 * the context "import_header" ("姓名|名字": the first is the one shown).
 * Names are compared without case, blanks, _ - or *. */
struct column {
	const char *field;
	enum field_type type;
	bool required;
	const char *names[4];
};

static const struct column people_cols[] = {
	{ "person", F_TEXT, true, { "person", "code", "personcode", NULL } },
	{ "name", F_TEXT, true, { "name", NULL } },
	{ "role", F_ROLE, true, { "role", NULL } },
	{ "phone", F_TEXT, false, { "phone", "mobile", NULL } },
	{ "department", F_TEXT, false, { "department", "dept", NULL } },
	{ "active", F_BOOL, false, { "active", NULL } },
	{ "sites", F_LIST, false, { "sites", "site", NULL } },
	{ "card", F_TEXT, false, { "card", NULL } },
	{ NULL, F_TEXT, false, { NULL } },
};

static const struct column units_cols[] = {
	{ "unit", F_TEXT, true, { "unit", "code", "unitcode", NULL } },
	{ "site", F_TEXT, true, { "site", NULL } },
	{ "building", F_TEXT, false, { "building", NULL } },
	{ "room", F_TEXT, false, { "room", NULL } },
	{ "vacant", F_BOOL, false, { "vacant", NULL } },
	{ NULL, F_TEXT, false, { NULL } },
};

static const struct column keys_cols[] = {
	{ "key", F_TEXT, true, { "key", "code", "keycode", NULL } },
	{ "unit", F_TEXT, true, { "unit", NULL } },
	{ "kind", F_KIND, true, { "kind", NULL } },
	{ "cabinet", F_TEXT, true, { "cabinet", NULL } },
	{ "slot", F_TEXT, true, { "slot", NULL } },
	{ "tag", F_INT, false, { "tag", NULL } },
	{ NULL, F_TEXT, false, { NULL } },
};

static const struct {
	const char *name;
	const char *code_field; /* the row's own code */
	const struct column *cols;
	bool admin_only;
} tables[] = {
	[KC_IMPORT_PEOPLE] = { "people", "person", people_cols, true },
	[KC_IMPORT_UNITS] = { "units", "unit", units_cols, false },
	[KC_IMPORT_KEYS] = { "keys", "key", keys_cols, false },
};

static const char *const roles[] = { "staff", "engineer", "manager", "supervisor", NULL };
static const char *const kinds[] = { "entrusted", "sealed", "vacant", "repair", NULL };

int kc_import_table_parse(const char *s, enum kc_import_table *out)
{
	for (size_t i = 0; s && i < KC_ARRAY_SIZE(tables); i++)
		if (strcmp(s, tables[i].name) == 0) {
			*out = (enum kc_import_table)i;
			return 0;
		}
	return -EINVAL;
}

const char *kc_import_table_name(enum kc_import_table t)
{
	return tables[t].name;
}

bool kc_import_table_allowed(enum kc_import_table t, enum kc_role role)
{
	return role == KC_ROLE_ADMIN || (!tables[t].admin_only && role == KC_ROLE_SUPERVISOR);
}

/* ---- the header row ---- */

/* A header as compared: ASCII letters lower-cased; blanks, _ , - and *
 * dropped; a note in brackets at its end ("手机（选填）") dropped. */
static void header_key(const char *h, char *out, size_t len)
{
	size_t o = 0;

	for (const char *p = h; *p && o + 1 < len; p++) {
		if (*p == '(' || strncmp(p, "\xef\xbc\x88", 3) == 0) /* ( or its full-width form */
			break;
		if (*p == ' ' || *p == '_' || *p == '-' || *p == '*')
			continue;
		out[o++] = (char)tolower((unsigned char)*p);
	}
	out[o] = '\0';
}

/* Whether key is one of the '|'-separated names of list. */
static bool in_list(const char *list, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = list; *p;) {
		size_t k = strcspn(p, "|");

		if (k == n && strncmp(p, key, n) == 0)
			return true;
		p += k + (p[k] == '|');
	}
	return false;
}

static const struct column *column_named(const struct column *cols, const char *header)
{
	char key[256];

	header_key(header, key, sizeof(key));
	for (const struct column *c = cols; c->field; c++) {
		const char *zh = kc_msg_word(KC_LANG_ZH, "import_header", c->field);

		if (zh != c->field && in_list(zh, key))
			return c;
		for (size_t i = 0; c->names[i]; i++)
			if (strcmp(key, c->names[i]) == 0)
				return c;
	}
	return NULL;
}

/* The header a column is shown by: its first Chinese name. */
static void column_title(const struct column *c, char *out, size_t len)
{
	const char *zh = kc_msg_word(KC_LANG_ZH, "import_header", c->field);
	size_t n = strcspn(zh, "|");

	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), zh);
}

/* The header row: for each column of the sheet, the column it is (NULL:
 * not read). 0, or -EINVAL with *why. */
static int header_map(enum kc_import_table t, const json_t *header, const struct column **map, json_t *columns,
		      json_t *ignored, json_t **why)
{
	const struct column *cols = tables[t].cols;
	const json_t *cells = json_object_get(header, "cells");
	long seen[16];
	size_t i;
	json_t *cell;

	for (size_t k = 0; k < KC_ARRAY_SIZE(seen); k++)
		seen[k] = -1;
	json_array_foreach(cells, i, cell) {
		const char *h = json_string_value(cell);
		const struct column *c = *h ? column_named(cols, h) : NULL;
		char name[8], first[8];

		map[i] = c;
		if (!c) {
			if (*h)
				json_array_append_new(ignored, json_string(h));
			continue;
		}
		kc_sheet_column_name((int)i, name);
		if (seen[c - cols] >= 0) {
			kc_sheet_column_name((int)seen[c - cols], first);
			*why = kc_msg_new(KCM_estimport_column_twice, "{s:s, s:s, s:s}", "header", h, "first", first,
					  "second", name);
			return -EINVAL;
		}
		seen[c - cols] = (long)i;
		json_array_append_new(columns, json_pack("{s:s, s:s, s:s}", "column", name, "header", h, "field", c->field));
	}
	for (const struct column *c = cols; c->field; c++)
		if (c->required && seen[c - cols] < 0) {
			char title[64];

			column_title(c, title, sizeof(title));
			*why = kc_msg_new(KCM_estimport_column_missing, "{s:s, s:s}", "column", title, "english", c->field);
			return -EINVAL;
		}
	return 0;
}

/* ---- a row's cells as fields ---- */

/* yes/no in a cell: y, yes, true, 1, n, no, false, 0 (any case), or the
 * Chinese words of the catalogue's "import_yes" and "import_no" (是, 否,
 * ...). */
static int parse_yes_no(const char *s, bool *out)
{
	static const char *const yes[] = { "y", "yes", "true", "1", NULL };
	static const char *const no[] = { "n", "no", "false", "0", NULL };
	char low[16];

	header_key(s, low, sizeof(low));
	for (size_t i = 0; yes[i]; i++)
		if (strcmp(low, yes[i]) == 0) {
			*out = true;
			return 0;
		}
	for (size_t i = 0; no[i]; i++)
		if (strcmp(low, no[i]) == 0) {
			*out = false;
			return 0;
		}
	if (in_list(kc_msg_word(KC_LANG_ZH, "import_yes", "yes"), s)) {
		*out = true;
		return 0;
	}
	if (in_list(kc_msg_word(KC_LANG_ZH, "import_no", "no"), s)) {
		*out = false;
		return 0;
	}
	return -EINVAL;
}

/* A word by its code or its Chinese (the catalogue's word in ctx). */
static const char *word_code(const char *s, const char *ctx, const char *const *codes)
{
	for (size_t i = 0; codes[i]; i++)
		if (strcasecmp(s, codes[i]) == 0 || strcmp(s, kc_msg_word(KC_LANG_ZH, ctx, codes[i])) == 0)
			return codes[i];
	return s; /* the estate's check names it */
}

/* A list cell: its entries, split at commas, semicolons (ASCII or
 * full-width), 、 and blanks. */
static json_t *list_of(const char *s)
{
	static const char *const seps[] = { ",", ";", " ", "\t", "\n", "\xef\xbc\x8c", "\xef\xbc\x9b", "\xe3\x80\x81",
					    "\xe3\x80\x80", NULL };
	json_t *out = json_array();
	const char *p = s, *start = s;

	while (out) {
		size_t k = 0;

		for (size_t i = 0; seps[i] && !k; i++)
			if (*p && strncmp(p, seps[i], strlen(seps[i])) == 0)
				k = strlen(seps[i]);
		if (k || !*p) {
			if (p > start)
				json_array_append_new(out, json_stringn(start, (size_t)(p - start)));
			if (!*p)
				break;
			p += k;
			start = p;
		} else {
			p++;
		}
	}
	return out;
}

/* The value of cell s of column c into fields; a bad value appends its
 * message to why. */
static void field_set(json_t *fields, const struct column *c, const char *header, const char *s, json_t *why)
{
	bool b;
	long long n;

	/* an empty cell changes nothing (a new row gets the estate's
	 * default); a required one is refused by row_fields */
	if (!*s)
		return;
	switch (c->type) {
	case F_BOOL:
		if (parse_yes_no(s, &b) == 0)
			json_object_set_new(fields, c->field, json_boolean(b));
		else
			json_array_append_new(why, kc_msg_new(KCM_estimport_cell_yes_no, "{s:s, s:s}", "header", header,
							      "value", s));
		return;
	case F_INT:
		if (kc_parse_long(s, 0, 0xffffffffLL, &n) < 0) {
			json_array_append_new(why, kc_msg_new(KCM_estimport_cell_number, "{s:s, s:s}", "header", header,
							      "value", s));
			return;
		}
		json_object_set_new(fields, c->field, json_integer(n));
		return;
	case F_ROLE:
		json_object_set_new(fields, c->field, json_string(word_code(s, "role", roles)));
		return;
	case F_KIND:
		json_object_set_new(fields, c->field, json_string(word_code(s, "kind", kinds)));
		return;
	case F_LIST:
		json_object_set_new(fields, c->field, list_of(s));
		return;
	default:
		json_object_set_new(fields, c->field, json_string(s));
	}
}

/* A data row as fields: *fields, and *why (an array, empty when the cells
 * are good). */
static void row_fields(enum kc_import_table t, const json_t *row, const struct column **map, size_t ncols,
		       const json_t *header, json_t **fields, json_t **why)
{
	const json_t *cells = json_object_get(row, "cells"), *hcells = json_object_get(header, "cells");
	const struct column *cols = tables[t].cols;

	*fields = json_object();
	*why = json_array();
	for (size_t i = 0; i < ncols; i++) {
		const char *s = json_string_value(json_array_get(cells, i));

		if (map[i])
			field_set(*fields, map[i], json_string_value(json_array_get(hcells, i)), s ? s : "", *why);
	}
	for (const struct column *c = cols; c->field; c++) {
		if (c->required && !json_object_get(*fields, c->field)) {
			const char *h = c->field;

			for (size_t i = 0; i < ncols; i++)
				if (map[i] == c)
					h = json_string_value(json_array_get(hcells, i));
			json_array_append_new(*why, kc_msg_new(KCM_estimport_cell_empty, "{s:s}", "header", h));
		}
	}
}

/* What the file says twice: a code, and for keys a slot of a cabinet
 * or a tag. Appends to why; remembers the row's in seen. */
static void row_repeats(enum kc_import_table t, const json_t *fields, json_int_t line, json_t *seen, json_t *why)
{
	const char *code = json_string_value(json_object_get(fields, tables[t].code_field));
	json_t *at;
	char key[2 * KC_SHEET_CELL_MAX * 4 + 16];

	if (code && *code) {
		snprintf(key, sizeof(key), "code\x1f%s", code);
		if ((at = json_object_get(seen, key)))
			json_array_append_new(why, kc_msg_new(KCM_estimport_code_twice, "{s:s, s:I}", "code", code, "first",
							      json_integer_value(at)));
		else
			json_object_set_new(seen, key, json_integer(line));
	}
	if (t != KC_IMPORT_KEYS)
		return;
	const char *cab = json_string_value(json_object_get(fields, "cabinet"));
	const char *slot = json_string_value(json_object_get(fields, "slot"));
	json_int_t tag = json_integer_value(json_object_get(fields, "tag"));

	if (cab && slot && *slot) {
		snprintf(key, sizeof(key), "slot\x1f%s\x1f%s", cab, slot);
		if ((at = json_object_get(seen, key)))
			json_array_append_new(why, kc_msg_new(KCM_estimport_slot_twice, "{s:s, s:s, s:I}", "cabinet", cab,
							      "slot", slot, "first", json_integer_value(at)));
		else
			json_object_set_new(seen, key, json_integer(line));
	}
	if (tag) {
		snprintf(key, sizeof(key), "tag\x1f%lld", (long long)tag);
		if ((at = json_object_get(seen, key)))
			json_array_append_new(why, kc_msg_new(KCM_estimport_tag_twice, "{s:I, s:I}", "tag", tag, "first",
							      json_integer_value(at)));
		else
			json_object_set_new(seen, key, json_integer(line));
	}
}

/* ---- the whole file ---- */

/* Every row of the file checked: *out as kc_import_preview's (without
 * the token), and the digest of what would be written. 0, or an error
 * with *why. */
static int check_file(const struct kc_estate_ctx *x, enum kc_import_table t, const void *data, size_t len,
		      json_t **out, char outcome[65], json_t **why)
{
	json_t *rows = NULL, *columns = json_array(), *ignored = json_array(), *accepted = json_array(),
	       *rejected = json_array(), *seen = json_object(), *res = NULL;
	const struct column **map = NULL;
	enum kc_sheet_format fmt;
	char sha[65], *dump;
	size_t i, ncols;
	json_t *row, *digest = json_array();
	int r;

	*why = NULL;
	r = kc_sheet_read(data, len, &rows, &fmt, why);
	if (r < 0)
		goto done;
	r = -ENOMEM;
	if (!columns || !ignored || !accepted || !rejected || !seen || !digest)
		goto done;
	ncols = json_array_size(json_object_get(json_array_get(rows, 0), "cells"));
	map = calloc(ncols + 1, sizeof(const struct column *));
	if (!map)
		goto done;
	r = header_map(t, json_array_get(rows, 0), map, columns, ignored, why);
	if (r < 0)
		goto done;
	if (json_array_size(rows) < 2) {
		*why = kc_msg_new(KCM_estimport_no_rows, NULL);
		r = -EINVAL;
		goto done;
	}
	json_array_foreach(rows, i, row) {
		json_int_t line = json_integer_value(json_object_get(row, "line"));
		json_t *fields, *bad, *ewhy = NULL;
		enum import_action act;
		const char *code;

		if (i == 0)
			continue;
		row_fields(t, row, map, ncols, json_array_get(rows, 0), &fields, &bad);
		if (!fields || !bad) {
			json_decref(fields);
			json_decref(bad);
			r = -ENOMEM;
			goto done;
		}
		row_repeats(t, fields, line, seen, bad);
		if (json_array_size(bad) == 0) {
			r = import_estate_check(x, t, fields, &act, &ewhy);
			if (r == -EINVAL) {
				json_array_append(bad, ewhy);
			} else if (r < 0) {
				json_decref(ewhy);
				json_decref(fields);
				json_decref(bad);
				*why = kc_msg_new(KCM_estimport_store_failed, NULL);
				goto done;
			}
			json_decref(ewhy);
		}
		code = json_string_value(json_object_get(fields, tables[t].code_field));
		if (json_array_size(bad) > 0) {
			json_array_append_new(rejected, json_pack("{s:I, s:s, s:o, s:o}", "line", line, "code",
								  code ? code : "", "why", bad, "fields", fields));
			continue;
		}
		json_decref(bad);
		json_array_append_new(digest, json_pack("[I, s, O]", line, import_action_name(act), fields));
		json_array_append_new(accepted, json_pack("{s:I, s:s, s:s, s:o}", "line", line, "action",
							  import_action_name(act), "code", code ? code : "", "fields",
							  fields));
	}
	dump = json_dumps(digest, JSON_COMPACT | JSON_SORT_KEYS);
	r = -ENOMEM;
	if (!dump)
		goto done;
	kc_sha256_hex(dump, strlen(dump), outcome);
	free(dump);
	kc_sha256_hex(data, len, sha);
	res = json_pack("{s:s, s:s, s:s, s:I, s:O, s:O, s:O, s:O}", "table", tables[t].name, "format",
			fmt == KC_SHEET_XLSX ? "xlsx" : "csv", "file_sha256", sha, "rows",
			(json_int_t)(json_array_size(rows) - 1), "columns", columns, "ignored", ignored, "accepted",
			accepted, "rejected", rejected);
	if (!res)
		goto done;
	*out = res;
	r = 0;
done:
	free(map);
	json_decref(rows);
	json_decref(columns);
	json_decref(ignored);
	json_decref(accepted);
	json_decref(rejected);
	json_decref(seen);
	json_decref(digest);
	return r;
}

/* Phone and card numbers in the preview's rows as the pages show them. */
static void mask_rows(json_t *preview)
{
	static const char *const lists[] = { "accepted", "rejected" };
	size_t i;
	json_t *row;
	char masked[64];

	for (size_t l = 0; l < KC_ARRAY_SIZE(lists); l++)
		json_array_foreach(json_object_get(preview, lists[l]), i, row) {
			json_t *f = json_object_get(row, "fields");
			const char *phone = json_string_value(json_object_get(f, "phone"));
			const char *card = json_string_value(json_object_get(f, "card"));

			if (phone && *phone) {
				kc_mask_phone(phone, masked, sizeof(masked));
				json_object_set_new(f, "phone", json_string(masked));
			}
			if (card && *card && kc_id_mask(card, masked, sizeof(masked)) == 0)
				json_object_set_new(f, "card", json_string(masked));
		}
}

static int refuse_role(enum kc_import_table t, const struct kc_estate_ctx *x, json_t **why)
{
	if (kc_import_table_allowed(t, x->role))
		return 0;
	*why = kc_msg_new(KCM_estimport_people_admin, NULL);
	return -EACCES;
}

int kc_import_preview(const struct kc_estate_ctx *x, enum kc_import_table t, const void *data, size_t len,
		      json_t **out, json_t **why)
{
	struct kc_import_pending p = { .table = (int)t, .file = (void *)data, .len = len };
	char token[KC_TOKEN_LEN], until[KC_TIME_LEN];
	json_t *res = NULL;
	int r;

	*why = NULL;
	if ((r = refuse_role(t, x, why)) < 0)
		return r;
	if (kc_db_begin(x->db) < 0) {
		*why = kc_msg_new(KCM_estimport_store_failed, NULL);
		return -EIO;
	}
	r = check_file(x, t, data, len, &res, p.outcome, why);
	kc_db_rollback(x->db); /* one snapshot read: nothing to keep */
	if (r < 0)
		return r;
	kc_strlcpy(p.user, x->user, sizeof(p.user));
	kc_strlcpy(p.file_sha, json_string_value(json_object_get(res, "file_sha256")), sizeof(p.file_sha));
	if (kc_import_token_put(&p, x->now_ms, token) < 0) {
		json_decref(res);
		return -ENOMEM;
	}
	kc_time_format(x->now_ms + KC_IMPORT_VALID_MS, until, sizeof(until));
	json_object_set_new(res, "token", json_string(token));
	json_object_set_new(res, "valid_until", json_string(until));
	mask_rows(res);
	*out = res;
	return 0;
}

/* The accepted rows of res that change the estate: their fields into
 * rows, their preview rows into done. */
static void rows_to_write(const json_t *res, json_t *rows, json_t *done)
{
	size_t i;
	json_t *row;

	json_array_foreach(json_object_get(res, "accepted"), i, row) {
		if (strcmp(json_string_value(json_object_get(row, "action")), "same") == 0)
			continue;
		json_array_append(rows, json_object_get(row, "fields"));
		json_array_append_new(done, json_pack("{s:O, s:O, s:O}", "line", json_object_get(row, "line"), "code",
						      json_object_get(row, "code"), "action",
						      json_object_get(row, "action")));
	}
}

/* The rows through the estate in one transaction: each row of done gets
 * what the estate did with it. */
static int write_rows(const struct kc_estate_ctx *x, enum kc_import_table t, const json_t *rows, json_t *done,
		      json_t **why)
{
	json_t *res = NULL, *msg = NULL, *o;
	size_t bad = 0, i;
	int r;

	if (json_array_size(rows) == 0)
		return 0;
	r = import_estate_apply(x, t, rows, &res, &msg, &bad);
	if (r < 0) {
		*why = kc_msg_new(KCM_estimport_apply_row, "{s:O, s:o}", "line",
				  json_object_get(json_array_get(done, bad), "line"), "reason",
				  msg ? msg : json_null());
		return r == -EIO || r == -ENOMEM ? r : -ESTALE;
	}
	json_array_foreach(res, i, o)
		json_object_update(json_array_get(done, i), o);
	json_decref(res);
	return 0;
}

int kc_import_apply(const struct kc_estate_ctx *x, enum kc_import_table t, const char *token, const void *data,
		    size_t len, json_t **out, json_t **why)
{
	struct kc_import_pending p;
	json_t *res = NULL, *rows = json_array(), *done = json_array();
	char outcome[65], sha[65];
	int r;

	*why = NULL;
	r = -ENOMEM;
	if (!rows || !done)
		goto done;
	if ((r = refuse_role(t, x, why)) < 0)
		goto done;
	r = kc_import_token_take(token, x->user, (int)t, x->now_ms, &p);
	if (r < 0) {
		*why = kc_msg_new(KCM_estimport_token_unknown, NULL);
		goto done;
	}
	if (data)
		kc_sha256_hex(data, len, sha);
	if (data && strcmp(sha, p.file_sha) != 0) {
		*why = kc_msg_new(KCM_estimport_file_changed, NULL);
		r = -ESTALE;
		goto done_file;
	}
	if (kc_db_begin(x->db) < 0) {
		*why = kc_msg_new(KCM_estimport_store_failed, NULL);
		r = -EIO;
		goto done_file;
	}
	r = check_file(x, t, p.file, p.len, &res, outcome, why);
	kc_db_rollback(x->db);
	if (r == 0 && strcmp(outcome, p.outcome) != 0) {
		*why = kc_msg_new(KCM_estimport_estate_changed, NULL);
		r = -ESTALE;
	}
	if (r == 0) {
		rows_to_write(res, rows, done);
		r = write_rows(x, t, rows, done, why);
	}
	if (r == 0) {
		*out = json_pack("{s:s, s:I, s:I, s:I, s:O}", "table", tables[t].name, "applied",
				 (json_int_t)json_array_size(done), "unchanged",
				 (json_int_t)(json_array_size(json_object_get(res, "accepted")) - json_array_size(done)),
				 "rejected", (json_int_t)json_array_size(json_object_get(res, "rejected")), "rows", done);
		if (!*out)
			r = -ENOMEM;
	}
	json_decref(res);
done_file:
	sodium_memzero(p.file, p.len);
	free(p.file);
done:
	json_decref(rows);
	json_decref(done);
	return r;
}
