/* The estate's changes to the cabinets' feeds (service/estate.h): which
 * managed cabinets a row concerns, each change's data as the feed
 * carries it (service/README.md, The estate), and the snapshot of a site
 * for a cabinet newly given it. Called inside the apply's transaction. */
#include "service/estate_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/event.h"
#include "common/util.h"
#include "service/feed.h"

int est_cabinet_managed(struct kc_db *db, const char *cabinet)
{
	int r = kc_feed_cabinet_managed(db, cabinet);

	return r == -ENOENT ? 0 : r < 0 ? -EIO : r;
}

int est_send(const struct kc_estate_ctx *x, struct est_sent *s, const char *cabinet, const char *type, json_t *data)
{
	const json_t *v;
	size_t i;
	bool listed = false;
	int r;

	if (!data)
		return -ENOMEM;
	r = kc_feed_add(x->db, cabinet, type, data, x->user, x->now_ms);
	json_decref(data);
	if (r < 0)
		return r;
	s->changes++;
	json_array_foreach(s->cabinets, i, v)
		listed = listed || strcmp(json_string_value(v), cabinet) == 0;
	if (!listed)
		json_array_append_new(s->cabinets, json_string(cabinet));
	return 0;
}

/* The first column of each row of st, as strings, managed cabinets only
 * when managed. */
static json_t *column_list(struct kc_db *db, sqlite3_stmt *st, bool managed)
{
	json_t *out = json_array(), *all = json_array();
	const json_t *v;
	size_t i;
	int rc;

	if (!st || !out || !all)
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(all, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		goto fail;
	json_array_foreach(all, i, v) {
		int m = managed ? est_cabinet_managed(db, json_string_value(v)) : 1;

		if (m < 0)
			goto fail;
		if (m)
			json_array_append(out, (json_t *)v);
	}
	json_decref(all);
	return out;
fail:
	json_decref(out);
	json_decref(all);
	return NULL;
}

json_t *est_site_cabinets(struct kc_db *db, const char *site, const json_t *sites)
{
	json_t *one = sites ? NULL : json_pack("[s]", site ? site : "");
	char *list = json_dumps(sites ? sites : one, JSON_COMPACT);
	sqlite3_stmt *st = list ? kc_db_q(db, "SELECT DISTINCT cabinet FROM cabinet_sites WHERE site IN"
					      " (SELECT value FROM json_each(?)) ORDER BY cabinet",
					  "s", list)
				: NULL;
	json_t *out = column_list(db, st, true);

	free(list);
	json_decref(one);
	return out;
}

/* One JSON object of the row sql gives for code, NULL when none or on an error. */
static json_t *row_json(struct kc_db *db, const char *sql, const char *code)
{
	sqlite3_stmt *st = kc_db_q(db, sql, "s", code);
	json_t *j;

	if (!st || kc_db_row(st) < 0)
		return NULL;
	j = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_reset(st);
	return j;
}

json_t *est_person_data(const struct kc_estate_ctx *x, const char *person)
{
	json_t *d = row_json(x->db,
			     "SELECT json_object('person', person, 'name', name, 'role', role, 'department', department,"
			     " 'active', json(CASE active WHEN 0 THEN 'false' ELSE 'true' END), 'enrolled_by', enrolled_by,"
			     " 'card_hash', card_hash, 'card_masked', card_masked, 'phone_sealed', phone_sealed,"
			     " 'phone_masked', phone_masked) FROM estate_people WHERE person = ?",
			     person);
	char phone[64];

	if (!d)
		return NULL;
	/* the cabinet keeps the number itself: sent when the office can open it */
	if (est_str(d, "phone_sealed") && est_phone_open(x, est_str(d, "phone_sealed"), phone, sizeof(phone)) == 0)
		json_object_set_new(d, "phone", json_string(phone));
	else if (!*(est_str(d, "phone_masked") ?: ""))
		json_object_set_new(d, "phone", json_string(""));
	memset(phone, 0, sizeof(phone));
	json_object_del(d, "phone_sealed");
	json_object_del(d, "phone_masked");
	return d;
}

json_t *est_site_data(const struct kc_estate_ctx *x, const char *site)
{
	json_t *d = row_json(x->db,
			     "SELECT json_object('site', site, 'name', name, 'age', age, 'time_zone', time_zone)"
			     " FROM estate_sites WHERE site = ?",
			     site);

	if (d && !est_str(d, "time_zone"))
		json_object_set_new(d, "time_zone", json_string(x->cfg && x->cfg->time_zone ? x->cfg->time_zone : "UTC"));
	return d;
}

json_t *est_unit_data(struct kc_db *db, const char *unit)
{
	return row_json(db,
			"SELECT json_object('unit', unit, 'site', site, 'building', building, 'room', room, 'vacant',"
			" json(CASE vacant WHEN 0 THEN 'false' ELSE 'true' END)) FROM estate_units WHERE unit = ?",
			unit);
}

json_t *est_key_data(struct kc_db *db, const char *key)
{
	return row_json(db,
			"SELECT json_object('key', key, 'unit', unit, 'kind', kind, 'slot', slot, 'tag', tag)"
			" FROM estate_keys WHERE key = ?",
			key);
}

json_t *est_settings_data(struct kc_db *db, const char *site)
{
	return row_json(db, "SELECT json_set(data, '$.site', site) FROM estate_settings WHERE site = ?", site);
}

json_t *est_enrol_data(const struct kc_estate_ctx *x, const char *person)
{
	sqlite3_stmt *st = kc_db_q(x->db,
				   "SELECT enrol_hash, enrol_until_ms FROM estate_people WHERE person = ?"
				   " AND enrol_hash IS NOT NULL AND enrol_until_ms > ? AND active",
				   "sI", person, x->now_ms);
	char until[KC_TIME_LEN];
	json_t *d;

	if (!st || kc_db_row(st) < 0)
		return NULL;
	kc_time_format(sqlite3_column_int64(st, 1), until, sizeof(until));
	d = json_pack("{s:s, s:s, s:s}", "person", person, "code_hash", (const char *)sqlite3_column_text(st, 0),
		      "until", until);
	sqlite3_reset(st);
	return d;
}

/* Each code sql gives for site, sent as type with the data of fn. */
static int send_each(const struct kc_estate_ctx *x, struct est_sent *s, const char *cabinet, const char *sql,
		     const char *site, const char *type, json_t *(*fn)(struct kc_db *, const char *))
{
	sqlite3_stmt *st = kc_db_q(x->db, sql, "ss", site, cabinet);
	json_t *codes = column_list(x->db, st, false);
	const json_t *v;
	size_t i;
	int r = codes ? 0 : -EIO;

	json_array_foreach(codes, i, v) {
		if (r < 0)
			break;
		r = est_send(x, s, cabinet, type, fn(x->db, json_string_value(v)));
	}
	json_decref(codes);
	return r;
}

int est_snapshot(const struct kc_estate_ctx *x, struct est_sent *s, const char *cabinet, const char *site)
{
	sqlite3_stmt *st;
	json_t *people, *d;
	const json_t *v;
	size_t i;
	int r = est_send(x, s, cabinet, "site.set", est_site_data(x, site));

	if (r == 0)
		r = send_each(x, s, cabinet,
			      "SELECT unit FROM estate_units WHERE site = ?1 AND ?2 IS NOT NULL ORDER BY building, room, unit",
			      site, "unit.set", est_unit_data);
	if (r == 0)
		r = send_each(x, s, cabinet,
			      "SELECT k.key FROM estate_keys k JOIN estate_units u ON u.unit = k.unit"
			      " WHERE u.site = ?1 AND k.cabinet = ?2 ORDER BY k.unit, k.key",
			      site, "key.set", est_key_data);
	if (r < 0)
		return r;
	st = kc_db_q(x->db,
		     "SELECT p.person FROM estate_people p JOIN estate_person_sites s ON s.person = p.person"
		     " WHERE s.site = ? AND p.active ORDER BY p.person",
		     "s", site);
	people = column_list(x->db, st, false);
	if (!people)
		return -EIO;
	json_array_foreach(people, i, v) {
		r = est_send(x, s, cabinet, "person.set", est_person_data(x, json_string_value(v)));
		d = r == 0 ? est_enrol_data(x, json_string_value(v)) : NULL;
		if (d)
			r = est_send(x, s, cabinet, "person.enrol", d);
		if (r < 0)
			break;
	}
	json_decref(people);
	d = r == 0 ? est_settings_data(x->db, site) : NULL;
	if (d)
		r = est_send(x, s, cabinet, "settings.set", d);
	return r;
}
