/* The sites an account reads (service/scope.h). */
#include "service/scope.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text column 0 of every row of st as the members of a set. */
static int scope_set(sqlite3_stmt *st, json_t *set)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			json_object_set_new(set, (const char *)sqlite3_column_text(st, 0), json_true());
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static char *scope_keys_json(const json_t *set)
{
	json_t *a = json_array();
	const char *k;
	json_t *v;
	char *out;

	json_object_foreach((json_t *)set, k, v)
		json_array_append_new(a, json_string(k));
	out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return out;
}

int kc_scope_load(struct kc_db *db, const char *user, enum kc_role role, struct kc_scope *out)
{
	struct kc_scope s = { false, json_object(), json_object(), NULL, NULL };
	sqlite3_stmt *st;
	int r = -EIO;

	if (!s.sites || !s.cabinets) {
		r = -ENOMEM;
		goto fail;
	}
	if (role != KC_ROLE_ADMIN) {
		st = kc_db_stmt(db, "SELECT site FROM user_sites WHERE user = ?");
		if (!st)
			goto fail;
		kc_bind_text(st, 1, user);
		if (scope_set(st, s.sites) < 0)
			goto fail;
	}
	s.limited = json_object_size(s.sites) > 0;
	if (s.limited) {
		s.sites_json = scope_keys_json(s.sites);
		st = kc_db_stmt(db, "SELECT cabinet FROM keys WHERE site IN (SELECT value FROM json_each(?1))"
				    " UNION SELECT cabinet FROM events INDEXED BY events_type"
				    " WHERE type = 'site.registered' AND site IN (SELECT value FROM json_each(?1))");
		if (!s.sites_json || !st)
			goto fail;
		kc_bind_text(st, 1, s.sites_json);
		if (scope_set(st, s.cabinets) < 0)
			goto fail;
		if (!(s.cabinets_json = scope_keys_json(s.cabinets))) {
			r = -ENOMEM;
			goto fail;
		}
	}
	*out = s;
	return 0;
fail:
	kc_scope_free(&s);
	return r;
}

void kc_scope_free(struct kc_scope *s)
{
	if (!s)
		return;
	json_decref(s->sites);
	json_decref(s->cabinets);
	free(s->sites_json);
	free(s->cabinets_json);
	memset(s, 0, sizeof(*s));
}

bool kc_scope_site(const struct kc_scope *s, const char *site)
{
	return !s || !s->limited || (site && json_object_get(s->sites, site));
}

bool kc_scope_cabinet(const struct kc_scope *s, const char *cabinet)
{
	return !s || !s->limited || (cabinet && json_object_get(s->cabinets, cabinet));
}

void kc_scope_query(struct kc_query *q, const struct kc_scope *s, const char *site_col, const char *cab_col)
{
	char frag[160];

	if (!s || !s->limited)
		return;
	if (site_col && cab_col) {
		snprintf(frag, sizeof(frag), " AND (%s IN (SELECT value FROM json_each(?))", site_col);
		kc_query_str(q, frag, s->sites_json);
		snprintf(frag, sizeof(frag), " OR (%s IS NULL AND %s IN (SELECT value FROM json_each(?))))", site_col,
			 cab_col);
		kc_query_str(q, frag, s->cabinets_json);
	} else if (site_col || cab_col) {
		snprintf(frag, sizeof(frag), " AND %s IN (SELECT value FROM json_each(?))", site_col ? site_col : cab_col);
		kc_query_str(q, frag, site_col ? s->sites_json : s->cabinets_json);
	}
}
