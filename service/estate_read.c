/* The estate's master rows as the console and the API read them
 * (service/estate.h), each list within the reader's scope. */
#include "service/estate_impl.h"

#include <string.h>

#include "service/office.h"
#include "service/scope.h"

/* The rows sql gives (each one JSON object in its first column, binding
 * arg when not NULL), those whose member site_member is of x's scope
 * (every row when site_member is NULL); NULL on a database error. */
static json_t *rows(const struct kc_estate_ctx *x, const char *sql, const char *arg, const char *site_member)
{
	sqlite3_stmt *st = arg ? kc_db_q(x->db, sql, "s", arg) : kc_db_stmt(x->db, sql);
	json_t *out = json_array(), *j;
	int rc;

	if (!st || !out) {
		json_decref(out);
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		j = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		if (!j)
			continue;
		if (site_member && x->role != KC_ROLE_ADMIN) {
			const json_t *s = json_object_get(j, site_member), *v;
			bool mine = false;
			size_t i;

			if (json_is_array(s)) {
				json_array_foreach(s, i, v)
					mine = mine || kc_scope_site(x->scope, json_string_value(v));
			} else {
				mine = kc_scope_site(x->scope, json_string_value(s));
			}
			if (!mine) {
				json_decref(j);
				continue;
			}
		}
		json_array_append_new(out, j);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(out);
		return NULL;
	}
	return out;
}

json_t *kc_estate_sites(const struct kc_estate_ctx *x)
{
	return rows(x,
		    "SELECT json_object('site', s.site, 'name', s.name, 'age', s.age, 'time_zone', s.time_zone,"
		    " 'units', (SELECT count(*) FROM estate_units u WHERE u.site = s.site),"
		    " 'cabinets', (SELECT json_group_array(cabinet) FROM (SELECT cabinet FROM cabinet_sites c"
		    " WHERE c.site = s.site ORDER BY cabinet))) FROM estate_sites s ORDER BY s.site",
		    NULL, "site");
}

json_t *kc_estate_units(const struct kc_estate_ctx *x, const char *site)
{
	return rows(x,
		    "SELECT json_object('unit', u.unit, 'site', u.site, 'building', u.building, 'room', u.room,"
		    " 'vacant', json(CASE u.vacant WHEN 0 THEN 'false' ELSE 'true' END),"
		    " 'keys', (SELECT count(*) FROM estate_keys k WHERE k.unit = u.unit),"
		    " 'history', (SELECT json_group_array(json_object('at', h.at_ms, 'by', h.by, 'vacant',"
		    " json(CASE h.vacant WHEN 0 THEN 'false' ELSE 'true' END))) FROM (SELECT * FROM estate_unit_history h"
		    " WHERE h.unit = u.unit ORDER BY h.at_ms DESC, h.id DESC LIMIT 20) h))"
		    " FROM estate_units u WHERE ?1 = '' OR u.site = ?1 ORDER BY u.site, u.building, u.room, u.unit",
		    site ? site : "", "site");
}

json_t *kc_estate_keys(const struct kc_estate_ctx *x, const char *site)
{
	return rows(x,
		    "SELECT json_object('key', k.key, 'unit', k.unit, 'site', u.site, 'building', u.building, 'room',"
		    " u.room, 'kind', k.kind, 'cabinet', k.cabinet, 'slot', k.slot, 'tag', k.tag)"
		    " FROM estate_keys k JOIN estate_units u ON u.unit = k.unit WHERE ?1 = '' OR u.site = ?1"
		    " ORDER BY u.site, u.building, u.room, k.unit, k.key",
		    site ? site : "", "site");
}

json_t *kc_estate_people(const struct kc_estate_ctx *x)
{
	return rows(x,
		    "SELECT json_object('person', p.person, 'name', p.name, 'role', p.role, 'phone_masked',"
		    " p.phone_masked, 'department', p.department, 'active', json(CASE p.active WHEN 0 THEN 'false'"
		    " ELSE 'true' END), 'card_masked', p.card_masked, 'enrolled_by', p.enrolled_by, 'enrol_until',"
		    " p.enrol_until_ms, 'sites', (SELECT json_group_array(site) FROM (SELECT site FROM"
		    " estate_person_sites s WHERE s.person = p.person ORDER BY site)))"
		    " FROM estate_people p ORDER BY p.name, p.person",
		    NULL, "sites");
}

json_t *kc_estate_settings(const struct kc_estate_ctx *x)
{
	return rows(x,
		    "SELECT json_object('site', s.site, 'name', s.name, 'settings', json(t.data), 'updated', t.updated_ms,"
		    " 'by', t.updated_by) FROM estate_sites s LEFT JOIN estate_settings t ON t.site = s.site"
		    " ORDER BY s.site",
		    NULL, "site");
}

json_t *kc_estate_cabinets(const struct kc_estate_ctx *x)
{
	json_t *out = rows(x,
			   "SELECT json_object('cabinet', c.id, 'sites', (SELECT json_group_array(site) FROM (SELECT site"
			   " FROM cabinet_sites s WHERE s.cabinet = c.id ORDER BY site))) FROM cabinets c"
			   " WHERE c.id <> '" KC_OFFICE_CHAIN "' ORDER BY c.id",
			   NULL, x->role == KC_ROLE_ADMIN ? NULL : "sites");
	json_t *v;
	size_t i;

	json_array_foreach(out, i, v) {
		int m = est_cabinet_managed(x->db, est_str(v, "cabinet"));

		if (m < 0) {
			json_decref(out);
			return NULL;
		}
		json_object_set_new(v, "mode", json_string(m ? "managed" : "standalone"));
	}
	return out;
}
