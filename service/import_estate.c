/* An imported row through the estate (import_estate.h): checked by
 * kc_estate_check, applied by kc_estate_apply; whether it adds a row,
 * changes one or repeats what the estate holds, read from the estate's
 * master tables (schema/audit-013.sql). */
#include "service/import_estate.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "common/util.h"

static const enum kc_estate_what whats[] = {
	[KC_IMPORT_PEOPLE] = KC_ESTATE_PERSON,
	[KC_IMPORT_UNITS] = KC_ESTATE_UNIT,
	[KC_IMPORT_KEYS] = KC_ESTATE_KEY,
};

/* A table's stored row by its code, as the import's fields. A phone and a
 * card are kept only masked or hashed: a row that gives one is a change. */
static const struct {
	const char *code;
	const char *sql;
	const char *cols[8];
} stored[] = {
	[KC_IMPORT_PEOPLE] = { "person",
			       "SELECT name, role, department, active,"
			       " (SELECT json_group_array(site) FROM (SELECT site FROM estate_person_sites s"
			       "  WHERE s.person = p.person ORDER BY site))"
			       " FROM estate_people p WHERE person = ?",
			       { "name", "role", "department", "active", "sites", NULL } },
	[KC_IMPORT_UNITS] = { "unit", "SELECT site, building, room, vacant FROM estate_units WHERE unit = ?",
			      { "site", "building", "room", "vacant", NULL } },
	[KC_IMPORT_KEYS] = { "key", "SELECT unit, kind, cabinet, slot, tag FROM estate_keys WHERE key = ?",
			     { "unit", "kind", "cabinet", "slot", "tag", NULL } },
};

static const char *const action_names[] = { "add", "change", "same" };

const char *import_action_name(enum import_action a)
{
	return action_names[a];
}

/* Whether the stored column i (of statement st) holds what v gives. */
static bool same_value(sqlite3_stmt *st, int i, const char *name, const json_t *v)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	if (json_is_boolean(v) || json_is_integer(v))
		return sqlite3_column_type(st, i) == SQLITE_INTEGER &&
		       sqlite3_column_int64(st, i) == (json_is_boolean(v) ? json_is_true(v) : json_integer_value(v));
	if (strcmp(name, "sites") == 0) {
		json_t *have = json_loads(s ? s : "[]", 0, NULL), *want = json_copy((json_t *)v);
		bool eq;

		/* the order a sheet lists the sites in is no change */
		eq = have && want && json_array_size(have) == json_array_size(want);
		for (size_t k = 0; eq && k < json_array_size(want); k++) {
			bool found = false;

			for (size_t j = 0; j < json_array_size(have); j++)
				found |= json_equal(json_array_get(want, k), json_array_get(have, j));
			eq = found;
		}
		json_decref(have);
		json_decref(want);
		return eq;
	}
	return json_is_string(v) && s && strcmp(s, json_string_value(v)) == 0;
}

/* What the row would do: add, change, or nothing. -EIO. */
static int row_action(struct kc_db *db, enum kc_import_table t, const json_t *fields, enum import_action *act)
{
	sqlite3_stmt *st = kc_db_q(db, stored[t].sql, "s", json_string_value(json_object_get(fields, stored[t].code)));
	const char *name;
	const json_t *v;
	int r = st ? kc_db_row(st) : -EIO;

	if (r == -ENOENT) {
		*act = IMPORT_ADD;
		return 0;
	}
	if (r < 0)
		return -EIO;
	*act = IMPORT_SAME;
	json_object_foreach((json_t *)fields, name, v) {
		int col = -1;

		if (strcmp(name, stored[t].code) == 0)
			continue;
		for (int i = 0; stored[t].cols[i]; i++)
			if (strcmp(stored[t].cols[i], name) == 0)
				col = i;
		if (col < 0 || !same_value(st, col, name, v)) {
			*act = IMPORT_CHANGE;
			break;
		}
	}
	sqlite3_reset(st);
	return 0;
}

int import_estate_check(const struct kc_estate_ctx *x, enum kc_import_table t, const json_t *fields,
			enum import_action *act, json_t **why)
{
	int r = kc_estate_check(x, whats[t], fields, why);

	if (r == -EINVAL || r == -EACCES || r == -EBUSY || r == -ENOENT)
		return -EINVAL;
	if (r < 0)
		return r;
	return row_action(x->db, t, fields, act);
}

int import_estate_apply(const struct kc_estate_ctx *x, enum kc_import_table t, const json_t *rows, json_t **out,
			json_t **why, size_t *bad)
{
	return kc_estate_apply(x, whats[t], rows, out, why, bad);
}
