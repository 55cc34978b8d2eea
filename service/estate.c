/* The estate's rows applied (service/estate.h): in one write transaction
 * the master rows, an office-chain event a row, and the changes on the
 * feeds of the managed cabinets each row concerns. */
#include "service/estate_impl.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "common/pdata.h"
#include "common/util.h"
#include "service/office.h"

/* What applying one row gives back. */
struct est_out {
	struct est_sent sent;
	char code[9]; /* a new enrolment code, "" for none */
	int64_t until_ms;
};

/* Seals the row's office event: data (consumed) with the cabinets the
 * changes went to. */
static int record(const struct kc_estate_ctx *x, enum kc_event_type type, const struct kc_office_about *about,
		  json_t *data, const struct est_out *o)
{
	int r;

	if (!data)
		return -ENOMEM;
	json_object_set(data, "cabinets", o->sent.cabinets);
	json_object_set_new(data, "changes", json_integer(o->sent.changes));
	r = kc_office_append(x->db, type, x->user, about, data, NULL);
	json_decref(data);
	return r;
}

/* type with data to each cabinet of cabs; data_fn's fresh data each. */
static int send_all(const struct kc_estate_ctx *x, struct est_out *o, const json_t *cabs, const char *type,
		    const json_t *data)
{
	const json_t *v;
	size_t i;
	int r = cabs ? 0 : -EIO;

	json_array_foreach(cabs, i, v) {
		if (r < 0)
			break;
		r = est_send(x, &o->sent, json_string_value(v), type, json_deep_copy(data));
	}
	return r;
}

static bool listed(const json_t *list, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(list, i, v)
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

/* A site's change (site.set, unit.set, settings.set: data, consumed) to
 * the cabinets serving site, and its office event. */
static int site_change(const struct kc_estate_ctx *x, struct est_out *o, const char *site, const char *type,
		       json_t *data, enum kc_event_type evt, const struct kc_office_about *about)
{
	json_t *cabs = est_site_cabinets(x->db, site, NULL);
	int r = data ? send_all(x, o, cabs, type, data) : -EIO;

	json_decref(cabs);
	if (r == 0)
		return record(x, evt, about, data, o);
	json_decref(data);
	return r;
}

static int apply_site(const struct kc_estate_ctx *x, const json_t *m, struct est_out *o)
{
	const char *site = est_str(m, "site");
	struct kc_office_about about = { .site = site };
	int r = kc_db_x(x->db,
			"INSERT INTO estate_sites (site, name, age, time_zone, updated_ms, updated_by)"
			" VALUES (?, ?, ?, nullif(?, ''), ?, ?) ON CONFLICT (site) DO UPDATE SET name = excluded.name,"
			" age = excluded.age, time_zone = excluded.time_zone, updated_ms = excluded.updated_ms,"
			" updated_by = excluded.updated_by",
			"ssssIs", site, est_str(m, "name"), est_str(m, "age"), est_str(m, "time_zone") ?: "", x->now_ms,
			x->user);

	if (r < 0)
		return r;
	return site_change(x, o, site, "site.set", est_site_data(x, site), KC_EVT_OFFICE_ESTATE_SITE_SAVED, &about);
}

static int apply_unit(const struct kc_estate_ctx *x, const json_t *m, struct est_out *o)
{
	const char *unit = est_str(m, "unit"), *site = est_str(m, "site");
	struct kc_office_about about = { .site = site, .unit = unit };
	int vacant = json_is_true(json_object_get(m, "vacant"));
	int r = kc_db_x(x->db,
			"INSERT INTO estate_units (unit, site, building, room, vacant, updated_ms, updated_by)"
			" VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (unit) DO UPDATE SET building = excluded.building,"
			" room = excluded.room, vacant = excluded.vacant, updated_ms = excluded.updated_ms,"
			" updated_by = excluded.updated_by",
			"ssssiIs", unit, site, est_str(m, "building") ?: "", est_str(m, "room") ?: "", vacant, x->now_ms,
			x->user);

	if (r == 0)
		r = kc_db_x(x->db,
			    "INSERT INTO estate_unit_history (unit, site, building, room, vacant, at_ms, by)"
			    " VALUES (?, ?, ?, ?, ?, ?, ?)",
			    "ssssiIs", unit, site, est_str(m, "building") ?: "", est_str(m, "room") ?: "", vacant, x->now_ms,
			    x->user);
	if (r < 0)
		return r;
	return site_change(x, o, site, "unit.set", est_unit_data(x->db, unit), KC_EVT_OFFICE_ESTATE_UNIT_SAVED, &about);
}

/* The cabinet a key is at now ("" for a new key) and its unit's site. */
static int key_place(struct kc_db *db, const char *key, char *cabinet, char *site)
{
	sqlite3_stmt *st = kc_db_q(db,
				   "SELECT k.cabinet, u.site FROM estate_keys k JOIN estate_units u ON u.unit = k.unit"
				   " WHERE k.key = ?",
				   "s", key);
	int r = st ? kc_db_row(st) : -EIO;

	cabinet[0] = site[0] = '\0';
	if (r == 0) {
		kc_strlcpy(cabinet, (const char *)sqlite3_column_text(st, 0), KC_NAME_MAX + 1);
		kc_strlcpy(site, (const char *)sqlite3_column_text(st, 1), EST_CODE_MAX + 1);
		sqlite3_reset(st);
	}
	return r == -ENOENT ? 0 : r;
}

/* key.remove to the key's cabinet when it is managed. */
static int send_remove(const struct kc_estate_ctx *x, struct est_out *o, const char *cabinet, const char *key)
{
	int m = est_cabinet_managed(x->db, cabinet);

	if (m <= 0)
		return m;
	return est_send(x, &o->sent, cabinet, "key.remove", json_pack("{s:s}", "key", key));
}

static int apply_key(const struct kc_estate_ctx *x, const json_t *m, struct est_out *o)
{
	const char *key = est_str(m, "key"), *cabinet = est_str(m, "cabinet");
	char was[KC_NAME_MAX + 1], was_site[EST_CODE_MAX + 1], site[EST_CODE_MAX + 1];
	struct kc_office_about about = { .site = site, .unit = est_str(m, "unit"), .key = key };
	json_t *d;
	int r = key_place(x->db, key, was, was_site);

	if (r == 0)
		r = est_unit_site(x->db, est_str(m, "unit"), site);
	if (r == 0)
		r = kc_db_x(x->db,
			    "INSERT INTO estate_keys (key, unit, kind, cabinet, slot, tag, updated_ms, updated_by)"
			    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET unit = excluded.unit,"
			    " kind = excluded.kind, cabinet = excluded.cabinet, slot = excluded.slot, tag = excluded.tag,"
			    " updated_ms = excluded.updated_ms, updated_by = excluded.updated_by",
			    "sssssIIs", key, est_str(m, "unit"), est_str(m, "kind"), cabinet, est_str(m, "slot"),
			    (int64_t)json_integer_value(json_object_get(m, "tag")), x->now_ms, x->user);
	/* moved to another cabinet: removed at the old one first */
	if (r == 0 && was[0] && strcmp(was, cabinet) != 0)
		r = send_remove(x, o, was, key);
	if (r < 0)
		return r;
	d = est_key_data(x->db, key);
	r = d ? est_send(x, &o->sent, cabinet, "key.set", json_deep_copy(d)) : -EIO;
	if (r < 0) {
		json_decref(d);
		return r;
	}
	json_object_set_new(d, "cabinet", json_string(cabinet));
	if (was[0] && strcmp(was, cabinet) != 0)
		json_object_set_new(d, "previous_cabinet", json_string(was));
	return record(x, KC_EVT_OFFICE_ESTATE_KEY_SAVED, &about, d, o);
}

static int apply_key_remove(const struct kc_estate_ctx *x, const json_t *m, struct est_out *o)
{
	const char *key = est_str(m, "key");
	char was[KC_NAME_MAX + 1], site[EST_CODE_MAX + 1];
	struct kc_office_about about = { .site = site, .key = key };
	int r = key_place(x->db, key, was, site);

	if (r == 0)
		r = kc_db_x(x->db, "DELETE FROM estate_keys WHERE key = ?", "s", key);
	if (r == 0)
		r = send_remove(x, o, was, key);
	if (r == 0)
		r = record(x, KC_EVT_OFFICE_ESTATE_KEY_REMOVED, &about, json_pack("{s:s, s:s}", "key", key, "cabinet", was),
			   o);
	return r;
}

/* The managed cabinets a person is on: those serving their sites. */
static json_t *person_cabinets(struct kc_db *db, const char *person)
{
	sqlite3_stmt *st = kc_db_q(db, "SELECT json_group_array(site) FROM estate_person_sites WHERE person = ?", "s",
				   person);
	json_t *sites, *cabs;

	if (!st || kc_db_row(st) < 0)
		return NULL;
	sites = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_reset(st);
	cabs = sites ? est_site_cabinets(db, NULL, sites) : NULL;
	json_decref(sites);
	return cabs;
}

/* A new one-time code: 8 digits, its SHA-256 stored with its end. */
static int enrol_issue(const struct kc_estate_ctx *x, const char *person, struct est_out *o)
{
	char hash[65];
	int64_t valid_s = x->cfg && x->cfg->enrol_code_valid_s > 0 ? x->cfg->enrol_code_valid_s : 72 * 3600;
	int r;

	snprintf(o->code, sizeof(o->code), "%08u", (unsigned)randombytes_uniform(100000000));
	kc_token_hash(o->code, hash);
	o->until_ms = x->now_ms + valid_s * 1000;
	r = kc_db_x(x->db, "UPDATE estate_people SET enrol_hash = ?, enrol_until_ms = ? WHERE person = ?", "sIs", hash,
		    o->until_ms, person);
	sodium_memzero(hash, sizeof(hash));
	return r;
}

/* The card and phone columns of a person as the row gives them: set,
 * withdrawn ("" or null), or left (absent). */
static int person_secrets(const struct kc_estate_ctx *x, const json_t *m)
{
	const char *person = est_str(m, "person"), *card = est_str(m, "card"), *phone = est_str(m, "phone");
	char norm[64], hash[KC_CARD_HASH_LEN], masked[KC_MASK_LEN];
	json_t *ph;
	int r = 0;

	if (json_object_get(m, "card")) {
		if (card && *card && (kc_id_normalise(card, norm, sizeof(norm)) < 0 || kc_card_hash(norm, hash) < 0 ||
				      kc_id_mask(norm, masked, sizeof(masked)) < 0))
			return -EINVAL;
		r = kc_db_x(x->db, "UPDATE estate_people SET card_hash = ?, card_masked = ? WHERE person = ?", "sss",
			    card && *card ? hash : NULL, card && *card ? masked : NULL, person);
		sodium_memzero(norm, sizeof(norm));
	}
	if (r == 0 && json_object_get(m, "phone")) {
		ph = json_object();
		r = ph ? est_phone_keep(x, phone && *phone ? phone : "", ph) : -ENOMEM;
		if (r == 0)
			r = kc_db_x(x->db, "UPDATE estate_people SET phone_masked = ?, phone_sealed = ? WHERE person = ?",
				    "sss", est_str(ph, "phone_masked") ?: "", est_str(ph, "phone_sealed"), person);
		json_decref(ph);
	}
	return r;
}

/* person.set (the typed phone in it when there is one) to each cabinet of
 * now; person.enrol too to those new to them; active false to those of
 * before they leave. */
static int person_fanout(const struct kc_estate_ctx *x, const json_t *m, const json_t *before, const json_t *now,
			 struct est_out *o)
{
	const char *person = est_str(m, "person");
	json_t *d = est_person_data(x, person), *gone, *enrol = est_enrol_data(x, person);
	const json_t *v;
	size_t i;
	int r = d ? 0 : -EIO;

	if (d && json_is_string(json_object_get(m, "phone")))
		json_object_set(d, "phone", json_object_get(m, "phone"));
	json_array_foreach(now, i, v) {
		if (r == 0)
			r = est_send(x, &o->sent, json_string_value(v), "person.set", json_deep_copy(d));
		if (r == 0 && enrol && !listed(before, json_string_value(v)))
			r = est_send(x, &o->sent, json_string_value(v), "person.enrol", json_deep_copy(enrol));
	}
	gone = d ? json_deep_copy(d) : NULL;
	if (gone)
		json_object_set_new(gone, "active", json_false());
	json_array_foreach(before, i, v)
		if (r == 0 && !listed(now, json_string_value(v)))
			r = est_send(x, &o->sent, json_string_value(v), "person.set", json_deep_copy(gone));
	json_decref(gone);
	json_decref(enrol);
	json_decref(d);
	return r;
}

static int apply_person(const struct kc_estate_ctx *x, const json_t *m, struct est_out *o)
{
	const char *person = est_str(m, "person");
	struct kc_office_about about = { .person = person };
	const json_t *by = json_object_get(m, "enrolled_by"), *v;
	json_t *before = NULL, *now = NULL, *d;
	char until[KC_TIME_LEN];
	int64_t n;
	size_t i;
	int r = kc_db_int(x->db, &n, "SELECT count(*) FROM estate_people WHERE person = ?", "s", person);

	if (r == 0)
		before = person_cabinets(x->db, person);
	if (!before)
		return -EIO;
	r = kc_db_x(x->db,
		    "INSERT INTO estate_people (person, name, role, department, active, enrolled_by, created_ms,"
		    " updated_ms, updated_by) VALUES (?1, ?2, ?3, ?4, ?5, nullif(?6, ''), ?7, ?7, ?8)"
		    " ON CONFLICT (person) DO UPDATE SET name = excluded.name, role = excluded.role,"
		    " department = excluded.department, active = excluded.active, enrolled_by = excluded.enrolled_by,"
		    " updated_ms = excluded.updated_ms, updated_by = excluded.updated_by",
		    "ssssisIs", person, est_str(m, "name"), est_str(m, "role"), est_str(m, "department") ?: "",
		    json_is_true(json_object_get(m, "active")), json_is_string(by) ? json_string_value(by) : "",
		    x->now_ms, x->user);
	if (r == 0)
		r = person_secrets(x, m);
	if (r == 0)
		r = kc_db_x(x->db, "DELETE FROM estate_person_sites WHERE person = ?", "s", person);
	json_array_foreach(json_object_get(m, "sites"), i, v)
		if (r == 0)
			r = kc_db_x(x->db, "INSERT OR IGNORE INTO estate_person_sites (person, site) VALUES (?, ?)", "ss",
				    person, json_string_value(v));
	/* deactivated: no code of theirs works any more */
	if (r == 0 && !json_is_true(json_object_get(m, "active")))
		r = kc_db_x(x->db, "UPDATE estate_people SET enrol_hash = NULL, enrol_until_ms = NULL WHERE person = ?",
			    "s", person);
	if (r == 0 && n == 0 && json_is_true(json_object_get(m, "active")))
		r = enrol_issue(x, person, o);
	if (r == 0)
		now = person_cabinets(x->db, person);
	if (r == 0 && !now)
		r = -EIO;
	if (r == 0)
		r = person_fanout(x, m, before, now, o);
	json_decref(before);
	json_decref(now);
	if (r < 0)
		return r;
	d = est_person_data(x, person);
	if (!d)
		return -EIO;
	json_object_del(d, "phone");
	json_object_del(d, "card_hash");
	json_object_set(d, "sites", json_object_get(m, "sites"));
	r = record(x, KC_EVT_OFFICE_ESTATE_PERSON_SAVED, &about, d, o);
	if (r == 0 && o->code[0]) {
		kc_time_format(o->until_ms, until, sizeof(until));
		d = json_pack("{s:s, s:s}", "person", person, "until", until);
		r = d ? kc_office_append(x->db, KC_EVT_OFFICE_ESTATE_PERSON_ENROL_ISSUED, x->user, &about, d, NULL)
		      : -ENOMEM;
		json_decref(d);
	}
	return r;
}

/* An enrolment code or an unlock, to each cabinet the person is on. */
static int apply_person_act(const struct kc_estate_ctx *x, enum kc_estate_what what, const json_t *m,
			    struct est_out *o)
{
	const char *person = est_str(m, "person");
	struct kc_office_about about = { .person = person };
	json_t *cabs = person_cabinets(x->db, person), *d = NULL;
	char until[KC_TIME_LEN];
	int r = cabs ? 0 : -EIO;

	if (r == 0 && what == KC_ESTATE_PERSON_ENROL)
		r = enrol_issue(x, person, o);
	if (r == 0)
		d = what == KC_ESTATE_PERSON_ENROL ? est_enrol_data(x, person) : json_pack("{s:s}", "person", person);
	if (r == 0)
		r = d ? send_all(x, o, cabs, what == KC_ESTATE_PERSON_ENROL ? "person.enrol" : "person.unlock", d)
		      : -EIO;
	json_decref(cabs);
	json_decref(d);
	if (r < 0)
		return r;
	if (what == KC_ESTATE_PERSON_UNLOCK)
		return record(x, KC_EVT_OFFICE_ESTATE_PERSON_UNLOCKED, &about, json_pack("{s:s}", "person", person), o);
	kc_time_format(o->until_ms, until, sizeof(until));
	return record(x, KC_EVT_OFFICE_ESTATE_PERSON_ENROL_ISSUED, &about,
		      json_pack("{s:s, s:s}", "person", person, "until", until), o);
}

static int apply_settings(const struct kc_estate_ctx *x, const json_t *m, struct est_out *o)
{
	const char *site = est_str(m, "site");
	struct kc_office_about about = { .site = site };
	json_t *keep = json_deep_copy(m);
	char *text;
	int r;

	if (!keep)
		return -ENOMEM;
	json_object_del(keep, "site");
	text = json_dumps(keep, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(keep);
	if (!text)
		return -ENOMEM;
	r = kc_db_x(x->db,
		    "INSERT INTO estate_settings (site, data, updated_ms, updated_by) VALUES (?, ?, ?, ?)"
		    " ON CONFLICT (site) DO UPDATE SET data = excluded.data, updated_ms = excluded.updated_ms,"
		    " updated_by = excluded.updated_by",
		    "ssIs", site, text, x->now_ms, x->user);
	free(text);
	if (r < 0)
		return r;
	return site_change(x, o, site, "settings.set", est_settings_data(x->db, site), KC_EVT_OFFICE_ESTATE_SETTINGS_SAVED, &about);
}

static int apply_cabinet(const struct kc_estate_ctx *x, const json_t *m, struct est_out *o)
{
	const char *cabinet = est_str(m, "cabinet");
	const json_t *sites = json_object_get(m, "sites"), *v;
	sqlite3_stmt *st = kc_db_q(x->db, "SELECT json_group_array(site) FROM cabinet_sites WHERE cabinet = ?", "s",
				   cabinet);
	json_t *was = NULL, *added = json_array();
	size_t i;
	int managed = est_cabinet_managed(x->db, cabinet), r = -EIO;

	if (st && kc_db_row(st) == 0) {
		was = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		sqlite3_reset(st);
	}
	if (was && added && managed >= 0)
		r = kc_db_x(x->db, "DELETE FROM cabinet_sites WHERE cabinet = ?", "s", cabinet);
	json_array_foreach(sites, i, v) {
		if (r < 0)
			break;
		r = kc_db_x(x->db, "INSERT OR IGNORE INTO cabinet_sites (cabinet, site) VALUES (?, ?)", "ss", cabinet,
			    json_string_value(v));
		if (r == 0 && !listed(was, json_string_value(v)) && !listed(added, json_string_value(v)))
			json_array_append(added, (json_t *)v);
	}
	/* a managed cabinet given a site gets the whole site */
	json_array_foreach(added, i, v)
		if (r == 0 && managed > 0)
			r = est_snapshot(x, &o->sent, cabinet, json_string_value(v));
	if (r == 0)
		r = record(x, KC_EVT_OFFICE_ESTATE_CABINET_SITES_CHANGED, NULL,
			   json_pack("{s:s, s:O, s:O, s:O}", "cabinet", cabinet, "sites", sites, "added", added,
				     "previous", was),
			   o);
	json_decref(was);
	json_decref(added);
	return r;
}

static int apply_one(const struct kc_estate_ctx *x, enum kc_estate_what what, const json_t *m, struct est_out *o)
{
	switch (what) {
	case KC_ESTATE_SITE:
		return apply_site(x, m, o);
	case KC_ESTATE_UNIT:
		return apply_unit(x, m, o);
	case KC_ESTATE_KEY:
		return apply_key(x, m, o);
	case KC_ESTATE_KEY_REMOVE:
		return apply_key_remove(x, m, o);
	case KC_ESTATE_PERSON:
		return apply_person(x, m, o);
	case KC_ESTATE_PERSON_ENROL:
	case KC_ESTATE_PERSON_UNLOCK:
		return apply_person_act(x, what, m, o);
	case KC_ESTATE_SETTINGS:
		return apply_settings(x, m, o);
	case KC_ESTATE_CABINET:
		return apply_cabinet(x, m, o);
	default:
		return -EINVAL;
	}
}

/* What a row's apply gives back (o is consumed). */
static json_t *out_json(struct est_out *o)
{
	json_t *j = json_pack("{s:i, s:o}", "changes", o->sent.changes, "cabinets", o->sent.cabinets);
	char until[KC_TIME_LEN];

	o->sent.cabinets = NULL;
	if (j && o->code[0]) {
		kc_time_format(o->until_ms, until, sizeof(until));
		json_object_set_new(j, "enrol_code", json_string(o->code));
		json_object_set_new(j, "until", json_string(until));
	}
	sodium_memzero(o->code, sizeof(o->code));
	return j;
}

int kc_estate_apply(const struct kc_estate_ctx *x, enum kc_estate_what what, const json_t *rows, json_t **out,
		    json_t **msg, size_t *bad)
{
	json_t *res = json_array(), *m;
	const json_t *row;
	size_t i;
	int r = 0;

	*out = *msg = NULL;
	*bad = 0;
	if (!res)
		return -ENOMEM;
	if (!json_is_array(rows) || json_array_size(rows) == 0) {
		json_decref(res);
		*msg = kc_msg_new(KCM_office_estate_missing, "{s:s}", "field", kc_estate_what_name(what) ?: "?");
		return -EINVAL;
	}
	if (kc_db_write_begin(x->db) < 0) {
		json_decref(res);
		*msg = kc_msg_new(KCM_office_estate_store_failed, NULL);
		return -EIO;
	}
	json_array_foreach(rows, i, row) {
		struct est_out o = { { 0, json_array() }, "", 0 };

		m = est_merged(x, what, row, &r);
		if (m && o.sent.cabinets) {
			r = est_check_merged(x, what, m, msg);
			if (r == 0)
				r = apply_one(x, what, m, &o);
		} else if (r == 0) {
			r = -ENOMEM;
		}
		json_decref(m);
		if (r == 0)
			json_array_append_new(res, out_json(&o));
		json_decref(o.sent.cabinets);
		sodium_memzero(o.code, sizeof(o.code));
		if (r < 0) {
			*bad = i;
			break;
		}
	}
	r = kc_db_write_end(x->db, r);
	if (r < 0) {
		json_decref(res);
		if (!*msg)
			*msg = kc_msg_new(KCM_office_estate_store_failed, NULL);
		return r == -ENOMEM || r == -EINVAL || r == -EACCES || r == -EBUSY || r == -ENOENT ? r : -EIO;
	}
	*out = res;
	return 0;
}
