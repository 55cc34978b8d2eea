/* The estate's rows checked (service/estate.h): each error a message
 * code with its parameters (common/msgs/estate-office.def), nothing
 * written. A row is checked as it stands once applied: the stored row
 * with the given members over it, so a row may name only what changes
 * ({"person": "E01", "active": false}). */
#include "service/estate_impl.h"

#include <errno.h>
#include <string.h>

#include "common/pdata.h"
#include "common/util.h"
#include "service/scope.h"
#include "service/zone.h"

static const char *const whats[KC_ESTATE_WHATS] = {
	[KC_ESTATE_SITE] = "site",	       [KC_ESTATE_UNIT] = "unit",
	[KC_ESTATE_KEY] = "key",	       [KC_ESTATE_KEY_REMOVE] = "key_remove",
	[KC_ESTATE_PERSON] = "person",	       [KC_ESTATE_PERSON_ENROL] = "person_enrol",
	[KC_ESTATE_PERSON_UNLOCK] = "person_unlock", [KC_ESTATE_SETTINGS] = "settings",
	[KC_ESTATE_CABINET] = "cabinet",
};

const char *kc_estate_what_name(enum kc_estate_what what)
{
	return (unsigned)what < KC_ESTATE_WHATS ? whats[what] : NULL;
}

int kc_estate_what_find(const char *name, enum kc_estate_what *out)
{
	for (int i = 0; name && i < KC_ESTATE_WHATS; i++)
		if (strcmp(whats[i], name) == 0) {
			*out = (enum kc_estate_what)i;
			return 0;
		}
	return -ENOENT;
}

unsigned kc_estate_status(int r)
{
	switch (r) {
	case 0:
		return 200;
	case -EINVAL:
		return 400;
	case -EACCES:
		return 403;
	case -ENOENT:
		return 404;
	case -EBUSY:
		return 409;
	default:
		return 500;
	}
}

const char *est_str(const json_t *row, const char *name)
{
	return json_string_value(json_object_get(row, name));
}

/* *msg set to code with fmt's params; returns r. */
static int refuse(json_t **msg, int r, enum kc_msg_code code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*msg = kc_msg_vnew(code, fmt, ap);
	va_end(ap);
	return *msg ? r : -ENOMEM;
}

static bool code_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > EST_CODE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* The number of UTF-8 characters of s, -1 for a control character. */
static long text_chars(const char *s)
{
	long n = 0;

	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return -1;
		n += ((unsigned char)*s & 0xc0) != 0x80;
	}
	return n;
}

/* A code member: 0, or -EINVAL with *msg. */
static int need_code(const json_t *row, const char *field, json_t **msg)
{
	const json_t *v = json_object_get(row, field);

	if (!v || json_is_null(v) || (json_is_string(v) && !json_string_length(v)))
		return refuse(msg, -EINVAL, KCM_office_estate_missing, "{s:s}", "field", field);
	if (!code_ok(json_string_value(v)))
		return refuse(msg, -EINVAL, KCM_office_estate_code_bad, "{s:s, s:s}", "field", field, "value",
			      json_is_string(v) ? json_string_value(v) : "?");
	return 0;
}

/* A text member of 1 (0 when it may be empty) to max characters. */
static int need_text(const json_t *row, const char *field, long min, long max, json_t **msg)
{
	const json_t *v = json_object_get(row, field);
	long n = json_is_string(v) ? text_chars(json_string_value(v)) : -1;

	if (!v && min > 0)
		return refuse(msg, -EINVAL, KCM_office_estate_missing, "{s:s}", "field", field);
	if (n < min || n > max)
		return refuse(msg, -EINVAL, KCM_office_estate_text_bad, "{s:s, s:I}", "field", field, "max",
			      (json_int_t)max);
	return 0;
}

static int need_bool(const json_t *row, const char *field, json_t **msg)
{
	if (!json_is_boolean(json_object_get(row, field)))
		return refuse(msg, -EINVAL, KCM_office_estate_bool_bad, "{s:s}", "field", field);
	return 0;
}

static int need_int(const json_t *v, const char *field, json_int_t min, json_int_t max, json_t **msg)
{
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
		return refuse(msg, -EINVAL, KCM_office_estate_number_bad, "{s:s, s:I, s:I}", "field", field, "min", min,
			      "max", max);
	return 0;
}

/* Whether a master row exists: 0, -ENOENT, -EIO. */
static int exists(struct kc_db *db, const char *sql, const char *code)
{
	int64_t n;

	if (kc_db_int(db, &n, sql, "s", code) < 0)
		return -EIO;
	return n ? 0 : -ENOENT;
}

static int site_known(const struct kc_estate_ctx *x, const char *site, json_t **msg)
{
	int r = exists(x->db, "SELECT count(*) FROM estate_sites WHERE site = ?", site);

	if (r == -ENOENT)
		return refuse(msg, -EINVAL, KCM_office_estate_site_unknown, "{s:s}", "site", site);
	return r;
}

/* A supervisor's: site must be of their scope. */
static int site_mine(const struct kc_estate_ctx *x, const char *site, json_t **msg)
{
	if (x->role == KC_ROLE_ADMIN || kc_scope_site(x->scope, site))
		return 0;
	return refuse(msg, -EACCES, KCM_office_estate_not_yours, "{s:s}", "site", site ? site : "");
}

static int admin_only(const struct kc_estate_ctx *x, json_t **msg)
{
	if (x->role == KC_ROLE_ADMIN)
		return 0;
	return refuse(msg, -EACCES, KCM_office_estate_admin_only, NULL);
}

int est_unit_site(struct kc_db *db, const char *unit, char *out)
{
	sqlite3_stmt *st = kc_db_q(db, "SELECT site FROM estate_units WHERE unit = ?", "s", unit);
	int r = st ? kc_db_row(st) : -EIO;

	if (r == 0) {
		kc_strlcpy(out, (const char *)sqlite3_column_text(st, 0), EST_CODE_MAX + 1);
		sqlite3_reset(st);
	}
	return r;
}

static int check_site(const struct kc_estate_ctx *x, const json_t *row, json_t **msg)
{
	const char *age = est_str(row, "age"), *zone = est_str(row, "time_zone");
	int r = admin_only(x, msg);

	if (r == 0)
		r = need_code(row, "site", msg);
	if (r == 0)
		r = need_text(row, "name", 1, EST_NAME_MAX, msg);
	if (r == 0 && (!age || (strcmp(age, "new") != 0 && strcmp(age, "old") != 0)))
		r = refuse(msg, -EINVAL, KCM_office_estate_age_bad, "{s:s}", "value", age ? age : "");
	if (r == 0 && zone && *zone && !kc_zone_get(zone))
		r = refuse(msg, -EINVAL, KCM_office_estate_zone_bad, "{s:s}", "value", zone);
	return r;
}

static int check_unit(const struct kc_estate_ctx *x, const json_t *row, json_t **msg)
{
	const char *unit = est_str(row, "unit"), *site = est_str(row, "site");
	char was[EST_CODE_MAX + 1];
	int r = need_code(row, "unit", msg);

	if (r == 0)
		r = need_code(row, "site", msg);
	if (r == 0)
		r = site_known(x, site, msg);
	if (r == 0)
		r = site_mine(x, site, msg);
	if (r == 0 && (r = est_unit_site(x->db, unit, was)) == 0 && strcmp(was, site) != 0)
		return refuse(msg, -EINVAL, KCM_office_estate_unit_site, "{s:s, s:s}", "unit", unit, "site", was);
	if (r == -ENOENT)
		r = 0;
	if (r == 0)
		r = need_text(row, "building", 0, EST_PLACE_MAX, msg);
	if (r == 0)
		r = need_text(row, "room", 0, EST_PLACE_MAX, msg);
	if (r == 0)
		r = need_bool(row, "vacant", msg);
	return r;
}

static int check_kind(const char *kind, json_t **msg)
{
	static const char *const kinds[] = { "entrusted", "sealed", "vacant", "repair" };

	for (size_t i = 0; kind && i < KC_ARRAY_SIZE(kinds); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return 0;
	return refuse(msg, -EINVAL, KCM_office_estate_kind_bad, "{s:s}", "value", kind ? kind : "");
}

/* The cabinet a key goes to: registered, managed, serving site. */
static int check_cabinet_for(const struct kc_estate_ctx *x, const char *cabinet, const char *site, json_t **msg)
{
	int r = exists(x->db, "SELECT count(*) FROM cabinets WHERE id = ? AND id NOT LIKE '@%'", cabinet);
	int64_t n;

	if (r == -ENOENT)
		return refuse(msg, -EINVAL, KCM_office_estate_cabinet_unknown, "{s:s}", "cabinet", cabinet);
	if (r < 0)
		return r;
	r = est_cabinet_managed(x->db, cabinet);
	if (r == 0)
		return refuse(msg, -EBUSY, KCM_office_estate_cabinet_standalone, "{s:s}", "cabinet", cabinet);
	if (r < 0)
		return r;
	if (kc_db_int(x->db, &n, "SELECT count(*) FROM cabinet_sites WHERE cabinet = ? AND site = ?", "ss", cabinet,
		      site) < 0)
		return -EIO;
	if (n == 0)
		return refuse(msg, -EINVAL, KCM_office_estate_cabinet_site, "{s:s, s:s}", "cabinet", cabinet, "site",
			      site);
	return 0;
}

static int check_key(const struct kc_estate_ctx *x, const json_t *row, json_t **msg)
{
	const char *key = est_str(row, "key"), *unit = est_str(row, "unit"), *cabinet = est_str(row, "cabinet");
	char site[EST_CODE_MAX + 1], was[EST_CODE_MAX + 1];
	sqlite3_stmt *st;
	int r = need_code(row, "key", msg);

	if (r == 0)
		r = need_code(row, "unit", msg);
	if (r == 0 && (r = est_unit_site(x->db, unit, site)) == -ENOENT)
		return refuse(msg, -EINVAL, KCM_office_estate_unit_unknown, "{s:s}", "unit", unit);
	if (r == 0)
		r = site_mine(x, site, msg);
	/* a key moved from another site's unit: that site must be theirs too */
	st = r == 0 ? kc_db_q(x->db, "SELECT u.site FROM estate_keys k JOIN estate_units u ON u.unit = k.unit"
				     " WHERE k.key = ?", "s", key) : NULL;
	if (st && kc_db_row(st) == 0) {
		kc_strlcpy(was, (const char *)sqlite3_column_text(st, 0), sizeof(was));
		sqlite3_reset(st);
		r = site_mine(x, was, msg);
	}
	if (r == 0)
		r = check_kind(est_str(row, "kind"), msg);
	if (r == 0)
		r = need_code(row, "cabinet", msg);
	if (r == 0)
		r = need_code(row, "slot", msg);
	if (r == 0)
		r = need_int(json_object_get(row, "tag"), "tag", 0, 2147483647, msg);
	if (r == 0)
		r = check_cabinet_for(x, cabinet, site, msg);
	if (r < 0)
		return r;
	st = kc_db_q(x->db, "SELECT key FROM estate_keys WHERE cabinet = ? AND slot = ? AND key <> ?", "sss", cabinet,
		     est_str(row, "slot"), key);
	r = st ? kc_db_row(st) : -EIO;
	if (r == 0) {
		kc_strlcpy(was, (const char *)sqlite3_column_text(st, 0), sizeof(was));
		sqlite3_reset(st);
		return refuse(msg, -EBUSY, KCM_office_estate_slot_taken, "{s:s, s:s, s:s}", "slot", est_str(row, "slot"),
			      "cabinet", cabinet, "key", was);
	}
	return r == -ENOENT ? 0 : r;
}

static int check_key_remove(const struct kc_estate_ctx *x, const json_t *row, json_t **msg)
{
	sqlite3_stmt *st;
	char site[EST_CODE_MAX + 1];
	int r = need_code(row, "key", msg);

	if (r < 0)
		return r;
	st = kc_db_q(x->db, "SELECT u.site FROM estate_keys k JOIN estate_units u ON u.unit = k.unit WHERE k.key = ?",
		     "s", est_str(row, "key"));
	r = st ? kc_db_row(st) : -EIO;
	if (r == -ENOENT)
		return refuse(msg, -EINVAL, KCM_office_estate_key_unknown, "{s:s}", "key", est_str(row, "key"));
	if (r < 0)
		return r;
	kc_strlcpy(site, (const char *)sqlite3_column_text(st, 0), sizeof(site));
	sqlite3_reset(st);
	return site_mine(x, site, msg);
}

static int person_known(const struct kc_estate_ctx *x, const char *person, json_t **msg)
{
	int r = exists(x->db, "SELECT count(*) FROM estate_people WHERE person = ?", person);

	if (r == -ENOENT)
		return refuse(msg, -ENOENT, KCM_office_estate_person_unknown, "{s:s}", "person", person);
	return r;
}

static int check_role(const char *role, json_t **msg)
{
	static const char *const roles[] = { "staff", "engineer", "manager", "supervisor" };

	for (size_t i = 0; role && i < KC_ARRAY_SIZE(roles); i++)
		if (strcmp(role, roles[i]) == 0)
			return 0;
	return refuse(msg, -EINVAL, KCM_office_estate_role_bad, "{s:s}", "value", role ? role : "");
}

static int check_phone(const json_t *row, json_t **msg)
{
	const char *p = est_str(row, "phone");
	int digits = 0;

	if (!json_object_get(row, "phone") || json_is_null(json_object_get(row, "phone")) || (p && !*p))
		return 0;
	for (; p && *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!strchr(" +-()", *p))
			digits = 99;
	}
	if (!p || digits < 3 || digits > 20)
		return refuse(msg, -EINVAL, KCM_office_estate_phone_bad, NULL);
	return 0;
}

/* A card typed: its form, the card key, and no other person's. */
static int check_card(const struct kc_estate_ctx *x, const json_t *row, json_t **msg)
{
	const char *card = est_str(row, "card");
	char norm[64], hash[KC_CARD_HASH_LEN];
	sqlite3_stmt *st;
	int r;

	if (!card || !*card)
		return json_is_string(json_object_get(row, "card")) || !json_object_get(row, "card") ||
				       json_is_null(json_object_get(row, "card"))
			       ? 0
			       : refuse(msg, -EINVAL, KCM_office_estate_card_bad, NULL);
	if (kc_id_normalise(card, norm, sizeof(norm)) < 0)
		return refuse(msg, -EINVAL, KCM_office_estate_card_bad, NULL);
	r = kc_card_hash(norm, hash);
	if (r == -ENOKEY)
		return refuse(msg, -EINVAL, KCM_office_estate_card_key, NULL);
	if (r < 0)
		return r;
	st = kc_db_q(x->db, "SELECT person FROM estate_people WHERE card_hash = ? AND person <> ?", "ss", hash,
		     est_str(row, "person"));
	r = st ? kc_db_row(st) : -EIO;
	if (r == 0) {
		r = refuse(msg, -EBUSY, KCM_office_estate_card_taken, "{s:s}", "person",
			   (const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
		return r;
	}
	return r == -ENOENT ? 0 : r;
}

static int check_sites(const struct kc_estate_ctx *x, const json_t *sites, json_t **msg)
{
	const json_t *v;
	size_t i;
	int r;

	if (!json_is_array(sites) || json_array_size(sites) > 200)
		return refuse(msg, -EINVAL, KCM_office_estate_list_bad, "{s:s, s:i}", "field", "sites", "max", 200);
	json_array_foreach(sites, i, v) {
		if (!code_ok(json_string_value(v)))
			return refuse(msg, -EINVAL, KCM_office_estate_code_bad, "{s:s, s:s}", "field", "sites", "value",
				      json_is_string(v) ? json_string_value(v) : "?");
		if ((r = site_known(x, json_string_value(v), msg)) < 0)
			return r;
	}
	return 0;
}

static int check_person(const struct kc_estate_ctx *x, const json_t *row, json_t **msg)
{
	const json_t *by = json_object_get(row, "enrolled_by");
	int r = admin_only(x, msg);

	if (r == 0)
		r = need_code(row, "person", msg);
	if (r == 0)
		r = need_text(row, "name", 1, EST_NAME_MAX, msg);
	if (r == 0)
		r = check_role(est_str(row, "role"), msg);
	if (r == 0)
		r = check_phone(row, msg);
	if (r == 0)
		r = need_text(row, "department", 0, EST_NAME_MAX, msg);
	if (r == 0)
		r = need_bool(row, "active", msg);
	if (r == 0)
		r = check_sites(x, json_object_get(row, "sites"), msg);
	if (r == 0 && json_array_size(json_object_get(row, "sites")) == 0)
		r = refuse(msg, -EINVAL, KCM_office_estate_sites_none, NULL);
	if (r == 0 && by && !json_is_null(by) && !(json_is_string(by) && !json_string_length(by))) {
		r = need_code(row, "enrolled_by", msg);
		if (r == 0 && strcmp(json_string_value(by), est_str(row, "person")) == 0)
			r = refuse(msg, -EINVAL, KCM_office_estate_self_enrolled, NULL);
		if (r == 0)
			r = person_known(x, json_string_value(by), msg);
		if (r == -ENOENT)
			r = -EINVAL;
	}
	if (r == 0)
		r = check_card(x, row, msg);
	return r;
}

static int check_person_act(const struct kc_estate_ctx *x, enum kc_estate_what what, const json_t *row,
			    json_t **msg)
{
	int64_t active = 0;
	int r = admin_only(x, msg);

	if (r == 0)
		r = need_code(row, "person", msg);
	if (r == 0)
		r = person_known(x, est_str(row, "person"), msg);
	if (r == 0 && what == KC_ESTATE_PERSON_ENROL) {
		if (kc_db_int(x->db, &active, "SELECT active FROM estate_people WHERE person = ?", "s",
			      est_str(row, "person")) < 0)
			return -EIO;
		if (!active)
			r = refuse(msg, -EINVAL, KCM_office_estate_inactive, "{s:s}", "person", est_str(row, "person"));
	}
	return r;
}

/* A list of at most max whole numbers in [min, max_v], at least one. */
static int check_int_list(const json_t *v, const char *field, size_t max, json_int_t min, json_int_t max_v,
			  json_t **msg)
{
	const json_t *e;
	size_t i;

	if (!json_is_array(v) || json_array_size(v) == 0 || json_array_size(v) > max)
		return refuse(msg, -EINVAL, KCM_office_estate_list_bad, "{s:s, s:I}", "field", field, "max",
			      (json_int_t)max);
	json_array_foreach(v, i, e)
		if (need_int(e, field, min, max_v, msg) < 0)
			return -EINVAL;
	return 0;
}

#define EST_S_MIN 60
#define EST_S_MAX (90LL * 86400)

static int check_settings(const struct kc_estate_ctx *x, const json_t *row, json_t **msg)
{
	static const char *const loans[] = { "borrow", "inspection", "repair", "emergency" };
	static const char *const phrases[] = { "problem", "alarm", "repair" };
	const json_t *ml = json_object_get(row, "max_loan"), *ph = json_object_get(row, "phrases"), *e;
	const char *site = est_str(row, "site");
	char field[48];
	size_t i;
	int r = need_code(row, "site", msg);

	if (r == 0)
		r = site_known(x, site, msg);
	if (r == 0)
		r = site_mine(x, site, msg);
	for (size_t k = 0; r == 0 && k < KC_ARRAY_SIZE(loans); k++) {
		snprintf(field, sizeof(field), "max_loan.%s", loans[k]);
		r = need_int(json_object_get(ml, loans[k]), field, EST_S_MIN, EST_S_MAX, msg);
	}
	if (r == 0)
		r = check_int_list(json_object_get(row, "due_presets"), "due_presets", 12, EST_S_MIN, EST_S_MAX, msg);
	if (r == 0)
		r = need_int(json_object_get(row, "notice_lead_s"), "notice_lead_s", 0, EST_S_MAX, msg);
	if (r == 0)
		r = need_int(json_object_get(row, "notice_reminder_s"), "notice_reminder_s", EST_S_MIN, EST_S_MAX, msg);
	for (size_t k = 0; r == 0 && k < KC_ARRAY_SIZE(phrases); k++) {
		const json_t *list = json_object_get(ph, phrases[k]);

		snprintf(field, sizeof(field), "phrases.%s", phrases[k]);
		if (!json_is_array(list) || json_array_size(list) > 20)
			return refuse(msg, -EINVAL, KCM_office_estate_list_bad, "{s:s, s:i}", "field", field, "max", 20);
		json_array_foreach(list, i, e) {
			long n = json_is_string(e) ? text_chars(json_string_value(e)) : -1;

			if (n < 1 || n > 40)
				return refuse(msg, -EINVAL, KCM_office_estate_list_bad, "{s:s, s:i}", "field", field, "max",
					      20);
		}
	}
	return r;
}

static int check_cabinet(const struct kc_estate_ctx *x, const json_t *row, json_t **msg)
{
	const char *cabinet = est_str(row, "cabinet");
	int r = admin_only(x, msg);

	if (r == 0)
		r = need_code(row, "cabinet", msg);
	if (r == 0 && (r = exists(x->db, "SELECT count(*) FROM cabinets WHERE id = ? AND id NOT LIKE '@%'", cabinet)) ==
			      -ENOENT)
		return refuse(msg, -ENOENT, KCM_office_estate_cabinet_unknown, "{s:s}", "cabinet", cabinet);
	if (r == 0)
		r = check_sites(x, json_object_get(row, "sites"), msg);
	return r;
}

int est_check_merged(const struct kc_estate_ctx *x, enum kc_estate_what what, const json_t *row, json_t **msg)
{
	*msg = NULL;
	if (!json_is_object(row))
		return refuse(msg, -EINVAL, KCM_office_estate_missing, "{s:s}", "field", kc_estate_what_name(what) ?: "?");
	switch (what) {
	case KC_ESTATE_SITE:
		return check_site(x, row, msg);
	case KC_ESTATE_UNIT:
		return check_unit(x, row, msg);
	case KC_ESTATE_KEY:
		return check_key(x, row, msg);
	case KC_ESTATE_KEY_REMOVE:
		return check_key_remove(x, row, msg);
	case KC_ESTATE_PERSON:
		return check_person(x, row, msg);
	case KC_ESTATE_PERSON_ENROL:
	case KC_ESTATE_PERSON_UNLOCK:
		return check_person_act(x, what, row, msg);
	case KC_ESTATE_SETTINGS:
		return check_settings(x, row, msg);
	case KC_ESTATE_CABINET:
		return check_cabinet(x, row, msg);
	default:
		return -EINVAL;
	}
}

/* ---- the stored row, to merge a change over ---- */

static json_t *stored(struct kc_db *db, enum kc_estate_what what, const char *code, int *r)
{
	static const char *const sql[KC_ESTATE_WHATS] = {
		[KC_ESTATE_SITE] = "SELECT json_object('site', site, 'name', name, 'age', age, 'time_zone',"
				   " coalesce(time_zone, '')) FROM estate_sites WHERE site = ?",
		[KC_ESTATE_UNIT] = "SELECT json_object('unit', unit, 'site', site, 'building', building, 'room', room,"
				   " 'vacant', json(CASE vacant WHEN 0 THEN 'false' ELSE 'true' END))"
				   " FROM estate_units WHERE unit = ?",
		[KC_ESTATE_KEY] = "SELECT json_object('key', key, 'unit', unit, 'kind', kind, 'cabinet', cabinet,"
				  " 'slot', slot, 'tag', tag) FROM estate_keys WHERE key = ?",
		[KC_ESTATE_PERSON] = "SELECT json_object('person', p.person, 'name', p.name, 'role', p.role,"
				     " 'department', p.department, 'active', json(CASE p.active WHEN 0 THEN 'false'"
				     " ELSE 'true' END), 'enrolled_by', p.enrolled_by, 'sites', (SELECT"
				     " json_group_array(site) FROM (SELECT site FROM estate_person_sites WHERE"
				     " person = p.person ORDER BY site))) FROM estate_people p WHERE p.person = ?",
		[KC_ESTATE_SETTINGS] = "SELECT data FROM estate_settings WHERE site = ?",
		[KC_ESTATE_CABINET] = "SELECT json_object('cabinet', ?1, 'sites', (SELECT json_group_array(site) FROM"
				      " (SELECT site FROM cabinet_sites WHERE cabinet = ?1 ORDER BY site)))",
	};
	sqlite3_stmt *st;
	json_t *j;

	*r = 0;
	if (!sql[what] || !code)
		return json_object();
	st = kc_db_q(db, sql[what], "s", code);
	*r = st ? kc_db_row(st) : -EIO;
	if (*r == -ENOENT) {
		*r = 0;
		return json_object();
	}
	if (*r < 0)
		return NULL;
	j = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
	sqlite3_reset(st);
	if (!j)
		*r = -ENOMEM;
	return j;
}

/* The member naming the row of what. */
static const char *code_member(enum kc_estate_what what)
{
	switch (what) {
	case KC_ESTATE_SITE:
	case KC_ESTATE_SETTINGS:
		return "site";
	case KC_ESTATE_UNIT:
		return "unit";
	case KC_ESTATE_KEY:
	case KC_ESTATE_KEY_REMOVE:
		return "key";
	case KC_ESTATE_CABINET:
		return "cabinet";
	default:
		return "person";
	}
}

/* The members of a new row that may be left out, and their values (JSON). */
static const struct {
	enum kc_estate_what what;
	const char *member, *value;
} defaults[] = {
	{ KC_ESTATE_PERSON, "active", "true" },	  { KC_ESTATE_PERSON, "department", "\"\"" },
	{ KC_ESTATE_PERSON, "enrolled_by", "null" }, { KC_ESTATE_UNIT, "vacant", "false" },
	{ KC_ESTATE_UNIT, "building", "\"\"" },	  { KC_ESTATE_UNIT, "room", "\"\"" },
	{ KC_ESTATE_KEY, "tag", "0" },		  { KC_ESTATE_SITE, "time_zone", "\"\"" },
	{ KC_ESTATE_CABINET, "sites", "[]" },
};

json_t *est_merged(const struct kc_estate_ctx *x, enum kc_estate_what what, const json_t *row, int *r)
{
	json_t *m;

	*r = 0;
	if (!json_is_object(row))
		return json_deep_copy(row ? row : json_null());
	m = stored(x->db, what, est_str(row, code_member(what)), r);
	if (!m)
		return NULL;
	/* a settings row is whole */
	if (what == KC_ESTATE_SETTINGS)
		json_object_clear(m);
	/* what a new row has unless it says otherwise */
	for (size_t i = 0; i < KC_ARRAY_SIZE(defaults); i++)
		if (defaults[i].what == what && !json_object_get(m, defaults[i].member))
			json_object_set_new(m, defaults[i].member, json_loads(defaults[i].value, JSON_DECODE_ANY, NULL));
	if (json_object_update(m, (json_t *)row) < 0) {
		json_decref(m);
		*r = -ENOMEM;
		return NULL;
	}
	return m;
}

int kc_estate_check(const struct kc_estate_ctx *x, enum kc_estate_what what, const json_t *row, json_t **msg)
{
	int r;
	json_t *m = est_merged(x, what, row, &r);

	*msg = NULL;
	if (!m)
		return r < 0 ? r : -ENOMEM;
	r = est_check_merged(x, what, m, msg);
	json_decref(m);
	return r;
}
