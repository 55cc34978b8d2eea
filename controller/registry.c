/* The registry: sites, units, owners, keys and people imported or added by
 * an administrator, entrustments, authorisation letters and the owner's
 * confirmation. Each change is an event (architecture decision 4), so the
 * audit service can compute its reports from events alone. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "common/pdata.h"
#include "common/util.h"
#include "controller/ctl.h"
#include "controller/hwevents.h"
#include "controller/hwlink.h"
#include "controller/keys.h"
#include "controller/rules.h"
#include "controller/rules_access.h"
#include "controller/phones.h"
#include "controller/rules_intake.h"
#include "controller/registry.h"
#include "controller/reply.h"
#include "controller/request.h"
#include "controller/session.h"
#include "controller/row.h"

static bool valid_code(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 63)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return false;
	return true;
}

static bool valid_text(const char *s, size_t max)
{
	return s && *s && strlen(s) <= max;
}

static bool exists(struct kc_store *st, const char *sql, const char *code)
{
	int64_t v;

	return kc_store_int(st, &v, sql, "s", code) == 0;
}

/* Who did it: the logged-in person, or null for the console (root or
 * keycabd's own user at the socket). */
static const char *actor_of(const struct kc_peer *peer)
{
	return peer->person[0] ? peer->person : NULL;
}

static const char *row_str(json_t *row, const char *name)
{
	const char *s = kc_req_str(row, name);

	return s && *s ? s : NULL;
}

/* One row of an import: checks it, adds it, appends its event. Returns
 * 0 when added, 1 when the row is rejected (*why: the message saying why),
 * -EIO when the database write failed. */
typedef int (*row_fn)(struct kc_ctl *ctl, struct kc_peer *peer, json_t *row, json_t **why);

/* Rejects a row with message c (params as json_pack's fmt). */
static int reject(json_t **why, enum kc_msg_code c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*why = kc_msg_vnew(c, fmt, ap);
	va_end(ap);
	if (!*why)
		*why = kc_msg_new(c, NULL);
	return 1;
}

/* The end of a row: its event appended, or the write failed. */
static int row_added(struct kc_ctl *ctl, json_t *ev)
{
	return kc_store_append(ctl->st, ev) < 0 ? -EIO : 0;
}

/* How a member of an import row is checked, in the order of its table;
 * the first that fails rejects the row with its message. */
enum field_how {
	FIELD_CODE, /* a code (valid_code) */
	FIELD_TEXT, /* text of 1 to max bytes */
	FIELD_WORD, /* a word lookup knows (it returns >= 0) */
	FIELD_BOOL, /* yes or no (kc_parse_bool) */
	FIELD_REF,  /* the code of a row ref_sql finds; the message names it */
};
struct field_check {
	const char *name;
	enum field_how how;
	bool optional; /* a missing member passes */
	size_t max;
	int (*lookup)(const char *word);
	const char *ref_sql;
	enum kc_msg_code bad;
};

static bool field_ok(struct kc_ctl *ctl, const struct field_check *c, const char *v)
{
	bool b;

	if (!v)
		return c->optional;
	switch (c->how) {
	case FIELD_CODE:
		return valid_code(v);
	case FIELD_TEXT:
		return valid_text(v, c->max);
	case FIELD_WORD:
		return c->lookup(v) >= 0;
	case FIELD_BOOL:
		return kc_parse_bool(v, &b) == 0;
	case FIELD_REF:
		return exists(ctl->st, c->ref_sql, v);
	}
	return false;
}

/* 0 when every member of row passes checks, else 1 with *why (reject). */
static int check_fields(struct kc_ctl *ctl, json_t *row, const struct field_check *checks, size_t n,
			json_t **why)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = row_str(row, checks[i].name);

		if (field_ok(ctl, &checks[i], v))
			continue;
		if (checks[i].how == FIELD_REF)
			return reject(why, checks[i].bad, "{s:s}", checks[i].name, v ? v : "");
		return reject(why, checks[i].bad, NULL);
	}
	return 0;
}

/* An insert's result for a row: 0, 1 when a row of that code exists
 * already (message exists naming it as name), -EIO. */
static int inserted(int r, json_t **why, enum kc_msg_code exists_code, const char *name, const char *code)
{
	if (r == -EEXIST)
		return reject(why, exists_code, "{s:s}", name, code);
	return r < 0 ? -EIO : 0;
}

#define CODE_CHECK { "code", FIELD_CODE, false, 0, NULL, NULL, KCM_import_row_code_bad }
#define NAME_CHECK { "name", FIELD_TEXT, false, 120, NULL, NULL, KCM_import_row_name_bad }
/* A site's age: 0 new, 1 old, -1 neither. */
static int site_age(const char *age)
{
	return strcmp(age, "new") == 0 ? 0 : strcmp(age, "old") == 0 ? 1 : -1;
}

static int key_kind(const char *kind)
{
	return (int)kc_key_kind_from_string(kind);
}

static const struct field_check site_checks[] = {
	CODE_CHECK,
	NAME_CHECK,
	{ "age", FIELD_WORD, false, 0, site_age, NULL, KCM_import_row_age_bad },
};
static const struct field_check unit_checks[] = {
	CODE_CHECK,
	{ "site", FIELD_REF, false, 0, NULL, "SELECT 1 FROM sites WHERE code = ?", KCM_import_row_site_unknown },
	{ "vacant", FIELD_BOOL, true, 0, NULL, NULL, KCM_import_row_vacant_bad },
};
static const struct field_check owner_checks[] = {
	CODE_CHECK,
	NAME_CHECK,
	{ "unit", FIELD_REF, true, 0, NULL, "SELECT 1 FROM units WHERE code = ?", KCM_import_row_unit_unknown },
	{ "id_type", FIELD_TEXT, false, 32, NULL, NULL, KCM_import_row_id_type_missing },
};
static const struct field_check key_checks[] = {
	CODE_CHECK,
	{ "kind", FIELD_WORD, false, 0, key_kind, NULL, KCM_import_row_kind_bad },
};

static int add_site(struct kc_ctl *ctl, struct kc_peer *peer, json_t *row, json_t **why)
{
	const char *code = row_str(row, "code"), *name = row_str(row, "name");
	const char *age = row_str(row, "age");
	json_t *ev;
	int r;

	(void)peer;
	if ((r = check_fields(ctl, row, site_checks, KC_ARRAY_SIZE(site_checks), why)) != 0)
		return r;
	r = kc_store_x(ctl->st, "INSERT INTO sites (code, name, age) VALUES (?,?,?)", "sss", code, name,
		       age);
	if ((r = inserted(r, why, KCM_import_row_site_exists, "site", code)) != 0)
		return r;
	ev = kc_store_event(ctl->st, KC_EVT_SITE_REGISTERED);
	kc_json_str(ev, "site", code);
	json_object_set_new(json_object_get(ev, "data"), "name", json_string(name));
	json_object_set_new(json_object_get(ev, "data"), "age", json_string(age));
	return row_added(ctl, ev);
}

static int add_unit(struct kc_ctl *ctl, struct kc_peer *peer, json_t *row, json_t **why)
{
	const char *code = row_str(row, "code"), *site = row_str(row, "site");
	const char *building = row_str(row, "building"), *room = row_str(row, "room");
	const char *vac = row_str(row, "vacant");
	bool vacant = false;
	json_t *ev;
	int r;

	(void)peer;
	if ((r = check_fields(ctl, row, unit_checks, KC_ARRAY_SIZE(unit_checks), why)) != 0)
		return r;
	if (vac)
		kc_parse_bool(vac, &vacant);
	r = kc_store_x(ctl->st,
		       "INSERT INTO units (code, site, building, room, vacant) VALUES (?,?,?,?,?)",
		       "ssssi", code, site, building ? building : "", room ? room : "", vacant);
	if ((r = inserted(r, why, KCM_import_row_unit_exists, "unit", code)) != 0)
		return r;
	ev = kc_store_event(ctl->st, KC_EVT_UNIT_REGISTERED);
	kc_json_str(ev, "unit", code);
	kc_json_str(ev, "site", site);
	json_object_set_new(json_object_get(ev, "data"), "vacant", json_boolean(vacant));
	json_object_set_new(json_object_get(ev, "data"), "building",
			    json_string(building ? building : ""));
	json_object_set_new(json_object_get(ev, "data"), "room", json_string(room ? room : ""));
	return row_added(ctl, ev);
}

static int add_owner(struct kc_ctl *ctl, struct kc_peer *peer, json_t *row, json_t **why)
{
	const char *code = row_str(row, "code"), *name = row_str(row, "name");
	const char *phone = row_str(row, "phone"), *unit = row_str(row, "unit");
	const char *id_type = row_str(row, "id_type"), *id_hash = row_str(row, "id_hash");
	const char *id_masked = row_str(row, "id_masked");
	json_t *ev;
	int r;

	(void)peer;
	if ((r = check_fields(ctl, row, owner_checks, KC_ARRAY_SIZE(owner_checks), why)) != 0)
		return r;
	if (row_str(row, "id_error") && kc_msg_lookup(row_str(row, "id_error")) >= 0)
		return reject(why, (enum kc_msg_code)kc_msg_lookup(row_str(row, "id_error")), NULL);
	if (!id_hash || !id_masked)
		return reject(why, KCM_import_row_id_number_bad, NULL);
	r = kc_store_x(ctl->st,
		       "INSERT INTO owners (code, name, phone, unit, id_type, id_hash, id_masked)"
		       " VALUES (?,?,?,?,?,?,?)",
		       "sssssss", code, name, phone ? phone : "", unit, id_type, id_hash, id_masked);
	if ((r = inserted(r, why, KCM_import_row_owner_exists, "owner", code)) != 0)
		return r;
	ev = kc_store_event(ctl->st, KC_EVT_PERSON_REGISTERED);
	kc_json_str(ev, "person", code);
	kc_json_str(ev, "unit", unit);
	json_object_set_new(json_object_get(ev, "data"), "role", json_string("owner"));
	json_object_set_new(json_object_get(ev, "data"), "name", json_string(name));
	json_object_set_new(json_object_get(ev, "data"), "id_type", json_string(id_type));
	json_object_set_new(json_object_get(ev, "data"), "id_masked", json_string(id_masked));
	return row_added(ctl, ev);
}

/* A key is in custody once its slot reads it: until then it is awaited,
 * and its arrival is no surprise. A slot that reads another key's tag
 * does not hold this one; without hardware every key is in. */
bool kc_registry_slot_holds(struct kc_ctl *ctl, const char *slot, uint32_t tag)
{
	struct kc_slot_reading hs;

	if (!ctl->hw)
		return true;
	return kc_hwlink_reading(ctl->hw, kc_hwlink_slot_find(ctl->hw, slot), &hs) == 0 &&
	       hs.presence == KC_PRESENCE_PRESENT && (!tag || !hs.tag || hs.tag == tag);
}

static int add_key(struct kc_ctl *ctl, struct kc_peer *peer, json_t *row, json_t **why)
{
	const char *code = row_str(row, "code"), *unit = row_str(row, "unit");
	const char *kind = row_str(row, "kind"), *slot = row_str(row, "slot");
	const char *tag_s = row_str(row, "tag");
	long long tag = 0;
	bool present;
	char site[64] = "";
	sqlite3_stmt *s;
	json_t *ev;
	int r;

	(void)peer;
	if ((r = check_fields(ctl, row, key_checks, KC_ARRAY_SIZE(key_checks), why)) != 0)
		return r;
	s = unit ? kc_store_q(ctl->st, "SELECT site FROM units WHERE code = ?", "s", unit) : NULL;
	r = unit ? kc_row_step(s) : -ENOENT;
	if (r == 0)
		kc_row_text(s, 0, site, sizeof(site));
	kc_row_done(s);
	if (r == -EIO)
		return -EIO;
	if (!site[0]) {
		return reject(why, KCM_import_row_key_unit_unknown, "{s:s}", "unit", unit ? unit : "");
	}
	if (!slot) 
		return reject(why, KCM_import_row_slot_missing, NULL);
	if (ctl->hw && kc_hwlink_slot_find(ctl->hw, slot) < 0) {
		return reject(why, KCM_import_row_slot_unknown, "{s:s}", "slot", slot);
	}
	if (tag_s && kc_parse_long(tag_s, 0, 0xffffffffLL, &tag) < 0)
		return reject(why, KCM_import_row_tag_bad, NULL);
	if (tag) {
		int64_t dummy;

		if (kc_store_int(ctl->st, &dummy, "SELECT 1 FROM keys WHERE tag = ?", "I",
				 (int64_t)tag) == 0) {
			char hex[24];

			snprintf(hex, sizeof(hex), "0x%llx", tag);
			return reject(why, KCM_import_row_tag_taken, "{s:s}", "tag", hex);
		}
	}
	if (exists(ctl->st, "SELECT 1 FROM keys WHERE home_slot = ?", slot)) {
		return reject(why, KCM_import_row_slot_taken, "{s:s}", "slot", slot);
	}
	present = kc_registry_slot_holds(ctl, slot, (uint32_t)tag);
	r = kc_store_x(ctl->st,
		       "INSERT INTO keys (code, unit, kind, home_slot, tag, state, slot)"
		       " VALUES (?,?,?,?,?,?,?)",
		       "ssssIss", code, unit, kind, slot, (int64_t)tag, present ? "in" : "awaiting",
		       present ? slot : NULL);
	if ((r = inserted(r, why, KCM_import_row_key_exists, "key", code)) != 0)
		return r;
	ev = kc_store_event(ctl->st, KC_EVT_KEY_REGISTERED);
	kc_json_str(ev, "key", code);
	kc_json_str(ev, "kind", kind);
	kc_json_str(ev, "unit", unit);
	kc_json_str(ev, "site", site);
	kc_json_str(ev, "slot", slot);
	json_object_set_new(json_object_get(ev, "data"), "tag", json_integer(tag));
	json_object_set_new(json_object_get(ev, "data"), "state",
			    json_string(present ? "in" : "awaiting"));
	if (row_added(ctl, ev) < 0)
		return -EIO;
	/* put in before it was registered: the slot reading it is read again */
	return kc_hwevents_key_registered(ctl, slot, (uint32_t)tag);
}

/* The one costly step of an owner row, the ID hash, happens before the
 * transaction so the write lock is held only for the inserts. A number a
 * resident ID card cannot have leaves its message in "id_error"
 * instead; what the row came with under these names is dropped first. */
static void prepare_owner(json_t *row, int64_t now)
{
	const char *id = kc_req_str(row, "id_number");
	char h[KC_PWHASH_LEN], m[KC_MASK_LEN];
	enum kc_msg_code why;

	json_object_del(row, "id_hash");
	json_object_del(row, "id_masked");
	json_object_del(row, "id_error");
	if (id && kc_rules_id_number(kc_req_str(row, "id_type"), id, now, &why) < 0 && why != KCM_id_number_invalid)
		json_object_set_new(row, "id_error", json_string(kc_msg_name(why)));
	else if (id && kc_id_hash(id, h) == 0 && kc_id_mask(id, m, sizeof(m)) == 0) {
		json_object_set_new(row, "id_hash", json_string(h));
		json_object_set_new(row, "id_masked", json_string(m));
	}
	json_object_del(row, "id_number");
}

json_t *kc_registry_import(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	static const struct {
		const char *table;
		row_fn fn;
	} tables[] = { { "sites", add_site }, { "units", add_unit }, { "owners", add_owner },
		       { "keys", add_key } };
	const char *table = kc_req_str(req, "table");
	json_t *rows = json_object_get(req, "rows"), *rejected, *rep, *row;
	row_fn fn = NULL;
	int added = 0;
	size_t i;

	for (i = 0; table && i < KC_ARRAY_SIZE(tables); i++)
		if (strcmp(table, tables[i].table) == 0)
			fn = tables[i].fn;
	if (!fn)
		return kc_reply_fail(KCM_import_table_bad, NULL);
	if (!json_is_array(rows))
		return kc_reply_fail(KCM_import_rows_bad, NULL);
	if (fn == add_owner)
		json_array_foreach(rows, i, row)
			if (json_is_object(row))
				prepare_owner(row, kc_now_ms());
	rejected = json_array();
	if (kc_store_begin(ctl->st) < 0) {
		json_decref(rejected);
		return kc_reply_fail(KCM_db_busy, NULL);
	}
	json_array_foreach(rows, i, row) {
		json_t *why = NULL, *line = json_object_get(row, "_line");
		int r = json_is_object(row) ? fn(ctl, peer, row, &why) :
					      reject(&why, KCM_import_row_not_object, NULL);
		char text[256];

		if (r < 0) {
			json_decref(why);
			kc_store_rollback(ctl->st);
			json_decref(rejected);
			return kc_reply_fail(KCM_import_write_failed, "{s:s}", "detail",
					     kc_store_errmsg(ctl->st));
		}
		if (r == 0) {
			added++;
			continue;
		}
		/* the row's line, its reason in English, and its message */
		kc_msg_render(why, KC_LANG_EN, text, sizeof(text));
		json_object_set_new(why, "line",
				    line ? json_incref(line) : json_integer((json_int_t)i + 1));
		json_object_set_new(why, "reason", json_string(text));
		json_array_append_new(rejected, why);
	}
	if (kc_store_commit(ctl->st) < 0) {
		json_decref(rejected);
		return kc_reply_fail(KCM_import_commit_failed, NULL);
	}
	rep = kc_reply_ok();
	json_object_set_new(rep, "table", json_string(table));
	json_object_set_new(rep, "added", json_integer(added));
	json_object_set_new(rep, "rejected", rejected);
	return rep;
}

json_t *kc_registry_person_add(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	const char *code = kc_req_str(req, "code"), *name = kc_req_str(req, "name");
	const char *role = kc_req_str(req, "role"), *phone = kc_req_str(req, "phone");
	const char *pin = kc_req_str(req, "pin"), *card = kc_req_str(req, "card");
	const char *dept = kc_req_str(req, "department");
	char pin_hash[KC_PWHASH_LEN], card_hash[KC_CARD_HASH_LEN];
	json_t *rep, *ev;
	int r;

	if (!valid_code(code))
		return kc_reply_fail(KCM_person_add_code_bad, NULL);
	if (!valid_text(name, 120))
		return kc_reply_fail(KCM_person_add_name_needed, NULL);
	if (kc_role_from_string(role) == KC_ROLE_INVALID)
		return kc_reply_fail(KCM_person_add_role_bad, NULL);
	if (dept && *dept && !valid_text(dept, 120))
		return kc_reply_fail(KCM_person_add_department_bad, NULL);
	if (pin && kc_pin_check_form(pin) < 0)
		return kc_reply_fail(KCM_person_add_pin_form, NULL);
	if (!pin && !card)
		return kc_reply_fail(KCM_person_add_credential_needed, NULL);
	if (pin && kc_secret_hash(pin, pin_hash) < 0)
		return kc_reply_fail(KCM_person_add_pin_hash_failed, NULL);
	if (card && kc_card_hash(card, card_hash) < 0)
		return kc_reply_fail(KCM_person_add_card_hash_failed, NULL);
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	r = kc_store_x(ctl->st,
		       "INSERT INTO people (code, name, role, phone, pin_hash, card_hash, enrolled_by,"
		       " enrolled_ms, department) VALUES (?,?,?,?,?,?,?,?,?)",
		       "sssssssIs", code, name, role, phone ? phone : "", pin ? pin_hash : NULL,
		       card ? card_hash : NULL, actor_of(peer), kc_wall_ms(), dept ? dept : "");
	if (r == -EEXIST) {
		kc_store_rollback(ctl->st);
		return kc_reply_refuse(0, NULL, KCM_person_add_exists, "{s:s}", "person", code);
	}
	if (r < 0)
		goto fail;
	ev = kc_store_event(ctl->st, KC_EVT_PERSON_REGISTERED);
	kc_json_str(ev, "actor", actor_of(peer));
	kc_json_str(ev, "person", code);
	json_object_set_new(json_object_get(ev, "data"), "role", json_string(role));
	json_object_set_new(json_object_get(ev, "data"), "name", json_string(name));
	if (dept && *dept)
		json_object_set_new(json_object_get(ev, "data"), "department", json_string(dept));
	if (kc_store_append(ctl->st, ev) < 0)
		goto fail;
	if (kc_store_commit(ctl->st) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	rep = kc_reply_ok();
	json_object_set_new(rep, "person", json_string(code));
	return rep;
fail:
	return kc_reply_write_failed(kc_store_abort(ctl->st));
}

/* A time or a date at the desk, in the cabinet's zone; as says what a
 * bare date means (the start of that day, or all of it for an end). */
static int req_time(json_t *req, const char *name, enum kc_day_as as, int64_t dflt, int64_t *out)
{
	const char *s = kc_req_str(req, name);

	if (!s) {
		*out = dflt;
		return dflt ? 0 : -ENOENT;
	}
	return kc_local_parse(s, as, out);
}

int kc_registry_entrustment_add(struct kc_ctl *ctl, const char *actor, const char *owner, const char *name,
				const char *phone, const struct kc_key_info *k, int64_t start, int64_t end,
				int64_t *id)
{
	json_t *ev, *d;

	if (kc_store_x(ctl->st,
		       "INSERT INTO entrustments (owner, key, start_ms, end_ms, registered_by) VALUES (?,?,?,?,?)",
		       "ssIIs", owner, k->code, start, end, actor) < 0)
		return -EIO;
	*id = kc_store_last_id(ctl->st);
	ev = kc_store_event(ctl->st, KC_EVT_ENTRUSTMENT_REGISTERED);
	kc_json_str(ev, "actor", actor);
	kc_json_str(ev, "person", owner);
	kc_json_str(ev, "key", k->code);
	kc_json_str(ev, "kind", kc_key_kind_to_string(k->kind));
	kc_json_str(ev, "unit", k->unit);
	kc_json_str(ev, "site", k->site);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "entrustment", json_integer(*id));
	json_object_set_new(d, "owner_name", json_string(name));
	if (kc_phone_facts(ctl->conf, d, "owner_phone", phone) < 0) {
		json_decref(ev);
		return -EIO;
	}
	kc_json_time(d, "start", start);
	kc_json_time(d, "end", end);
	return kc_store_append(ctl->st, ev) < 0 ? -EIO : 0;
}

json_t *kc_registry_entrust(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	const char *key = kc_req_str(req, "key"), *owner = kc_req_str(req, "owner");
	struct kc_key_info k;
	char name[128] = "", phone[64] = "";
	struct kc_decision dec;
	int64_t start, end, id;
	sqlite3_stmt *s;
	int r;

	if (req_time(req, "start", KC_DAY_START, kc_now_ms(), &start) < 0)
		return kc_reply_fail(KCM_entrust_start_bad, "{s:s, s:s}", "field", "start", "zone",
				     kc_tz_name());
	if (req_time(req, "end", KC_DAY_END, 0, &end) < 0)
		return kc_reply_fail(KCM_entrust_end_needed, "{s:s, s:s}", "field", "end", "zone",
				     kc_tz_name());
	if (end <= start)
		return kc_reply_fail(KCM_entrust_end_before_start, NULL);
	r = kc_key_get(ctl->st, key, &k);
	if (r == -EIO)
		return kc_reply_read_failed(ctl->st);
	if (r < 0)
		return kc_reply_refuse(0, NULL, KCM_entrust_key_unknown, "{s:s}", "key", key ? key : "");
	if (k.kind != KC_KIND_ENTRUSTED && k.kind != KC_KIND_SEALED)
		return kc_reply_refuse(0, NULL, KCM_entrust_key_kind, "{s:s, s:s}", "key", k.code, "kind",
				       KC_WORD(kc_key_kind, k.kind));
	s = kc_store_q(ctl->st, "SELECT name, phone FROM owners WHERE code = ?", "s", owner ? owner : "");
	r = kc_row_step(s);
	if (r == 0) {
		kc_row_text(s, 0, name, sizeof(name));
		kc_row_text(s, 1, phone, sizeof(phone));
	}
	kc_row_done(s);
	if (r == -EIO)
		return kc_reply_read_failed(ctl->st);
	if (!name[0])
		return kc_reply_refuse(0, NULL, KCM_entrust_owner_unknown, "{s:s}", "owner",
				       owner ? owner : "");
	if (kc_store_int(ctl->st, &id, "SELECT id FROM entrustments WHERE key = ? AND state = 'open'",
			 "s", k.code) == 0)
		return kc_reply_refuse(0, NULL, KCM_entrust_open_already, "{s:s, s:I}", "key", k.code,
				       "entrustment", (json_int_t)id);
	kc_decision_init(&dec);
	dec.granted = true;
	kc_rules_entrust_period(start, end, ctl->conf->desk_entrust_max_ms, &dec);
	if (!dec.granted)
		return kc_reply_take(&dec);
	kc_decision_clear(&dec);
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	if (kc_registry_entrustment_add(ctl, actor_of(peer), owner, name, phone, &k, start, end, &id) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	return kc_store_commit(ctl->st) < 0 ? kc_reply_write_failed(kc_store_abort(ctl->st)) : kc_reply_id("entrustment", id);
}

json_t *kc_registry_letter_file(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	const char *borrower = kc_req_str(req, "borrower"), *id_type = kc_req_str(req, "id_type");
	const char *id_number = kc_req_str(req, "id_number"), *ref = kc_req_str(req, "reference");
	json_int_t ent = json_integer_value(json_object_get(req, "entrustment"));
	char h[KC_PWHASH_LEN], m[KC_MASK_LEN], key[64] = "", unit[64] = "", state[16] = "";
	enum kc_msg_code why;
	int64_t from, to, id;
	sqlite3_stmt *s;
	json_t *rep, *ev, *d;
	int r;

	s = kc_store_q(ctl->st,
		       "SELECT e.key, k.unit, e.state FROM entrustments e JOIN keys k ON k.code = e.key"
		       " WHERE e.id = ?",
		       "I", (int64_t)ent);
	r = kc_row_step(s);
	if (r == 0) {
		kc_row_text(s, 0, key, sizeof(key));
		kc_row_text(s, 1, unit, sizeof(unit));
		kc_row_text(s, 2, state, sizeof(state));
	}
	kc_row_done(s);
	if (r == -EIO)
		return kc_reply_read_failed(ctl->st);
	if (!key[0])
		return kc_reply_refuse(0, NULL, KCM_letter_entrustment_unknown, "{s:I}", "entrustment",
				       ent);
	if (strcmp(state, "open") != 0)
		return kc_reply_refuse(0, NULL, KCM_letter_entrustment_closed, "{s:I, s:s}",
				       "entrustment", ent, "state", state);
	if (!valid_text(borrower, 120))
		return kc_reply_fail(KCM_letter_borrower_needed, NULL);
	if (!valid_text(id_type, 32))
		return kc_reply_fail(KCM_letter_id_type_needed, NULL);
	if (id_number && kc_rules_id_number(id_type, id_number, kc_now_ms(), &why) < 0 && why != KCM_id_number_invalid)
		return kc_reply_fail(why, NULL);
	if (!id_number || kc_id_hash(id_number, h) < 0 || kc_id_mask(id_number, m, sizeof(m)) < 0)
		return kc_reply_fail(KCM_letter_id_number_bad, NULL);
	if (!valid_text(ref, 120))
		return kc_reply_fail(KCM_letter_reference_needed, NULL);
	if (req_time(req, "valid_from", KC_DAY_START, kc_now_ms(), &from) < 0 ||
	    req_time(req, "valid_to", KC_DAY_END, 0, &to) < 0)
		return kc_reply_fail(KCM_letter_times_bad, "{s:s}", "zone", kc_tz_name());
	if (to <= from)
		return kc_reply_fail(KCM_letter_to_before_from, NULL);
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	if (kc_store_x(ctl->st,
		       "INSERT INTO letters (entrustment, borrower, id_type, id_hash, id_masked, valid_from,"
		       " valid_to, reference, filed_by, filed_ms) VALUES (?,?,?,?,?,?,?,?,?,?)",
		       "IssssIIssI", (int64_t)ent, borrower, id_type, h, m, from, to, ref,
		       actor_of(peer), kc_now_ms()) < 0)
		goto fail;
	id = kc_store_last_id(ctl->st);
	ev = kc_store_event(ctl->st, KC_EVT_LETTER_FILED);
	kc_json_str(ev, "actor", actor_of(peer));
	kc_json_str(ev, "person", borrower);
	kc_json_str(ev, "key", key);
	kc_json_str(ev, "unit", unit);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "entrustment", json_integer(ent));
	json_object_set_new(d, "letter", json_integer(id));
	json_object_set_new(d, "reference", json_string(ref));
	json_object_set_new(d, "borrower", json_string(borrower));
	json_object_set_new(d, "id_type", json_string(id_type));
	json_object_set_new(d, "id_masked", json_string(m));
	kc_json_time(d, "valid_from", from);
	kc_json_time(d, "valid_to", to);
	rep = kc_store_append_commit(ctl->st, ev) < 0 ? kc_reply_write_failed(kc_store_abort(ctl->st)) : kc_reply_id("letter", id);
	if (json_is_true(json_object_get(rep, "ok")))
		json_object_set_new(rep, "id_masked", json_string(m));
	return rep;
fail:
	return kc_reply_write_failed(kc_store_abort(ctl->st));
}

json_t *kc_registry_letter_confirm(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	const char *channel = kc_req_str(req, "channel");
	json_int_t letter = json_integer_value(json_object_get(req, "letter"));
	char key[64] = "", unit[64] = "";
	int64_t at, ent = 0, confirmed = 0;
	sqlite3_stmt *s;
	json_t *ev, *d;
	int r;

	struct kc_decision dec;

	/* The rule asks which staff member confirmed: the console cannot. */
	kc_decision_init(&dec);
	if (!kc_rules_letter_confirmer(peer, &dec))
		return kc_reply_take(&dec);
	kc_decision_clear(&dec);
	if (!channel || (strcmp(channel, "phone") != 0 && strcmp(channel, "in_person") != 0 &&
			 strcmp(channel, "wechat") != 0 && strcmp(channel, "sms") != 0))
		return kc_reply_fail(KCM_letter_confirm_channel_bad, NULL);
	if (req_time(req, "at", KC_DAY_START, kc_now_ms(), &at) < 0)
		return kc_reply_fail(KCM_letter_confirm_at_bad, "{s:s}", "field", "at");
	if (at > kc_now_ms() + 60000)
		return kc_reply_fail(KCM_letter_confirm_future, NULL);
	s = kc_store_q(ctl->st,
		       "SELECT l.entrustment, e.key, k.unit, coalesce(l.confirmed_ms, 0) FROM letters l"
		       " JOIN entrustments e ON e.id = l.entrustment JOIN keys k ON k.code = e.key"
		       " WHERE l.id = ?",
		       "I", (int64_t)letter);
	r = kc_row_step(s);
	if (r == 0) {
		ent = sqlite3_column_int64(s, 0);
		kc_row_text(s, 1, key, sizeof(key));
		kc_row_text(s, 2, unit, sizeof(unit));
		confirmed = sqlite3_column_int64(s, 3);
	}
	kc_row_done(s);
	if (r == -EIO)
		return kc_reply_read_failed(ctl->st);
	if (!ent)
		return kc_reply_refuse(0, NULL, KCM_letter_unknown_to_confirm, "{s:I}", "letter", letter);
	if (confirmed)
		return kc_reply_refuse(0, NULL, KCM_letter_confirmed_already, "{s:I}", "letter", letter);
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	if (kc_store_x(ctl->st,
		       "UPDATE letters SET confirmed_by = ?, confirmed_ms = ?, channel = ? WHERE id = ?",
		       "sIsI", peer->person, at, channel, (int64_t)letter) < 0)
		goto fail;
	ev = kc_store_event(ctl->st, KC_EVT_LETTER_CONFIRMED);
	kc_json_str(ev, "actor", peer->person);
	kc_json_str(ev, "key", key);
	kc_json_str(ev, "unit", unit);
	d = json_object_get(ev, "data");
	json_object_set_new(d, "entrustment", json_integer(ent));
	json_object_set_new(d, "letter", json_integer(letter));
	json_object_set_new(d, "channel", json_string(channel));
	kc_json_time(d, "confirmed_at", at);
	return kc_store_append_commit(ctl->st, ev) < 0 ? kc_reply_write_failed(kc_store_abort(ctl->st)) : kc_reply_id("letter", letter);
fail:
	return kc_reply_write_failed(kc_store_abort(ctl->st));
}

json_t *kc_registry_vacancy(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	const char *unit = kc_req_str(req, "unit");
	json_t *v = json_object_get(req, "vacant"), *ev;
	char site[64] = "";
	sqlite3_stmt *s;
	int r;

	if (!json_is_boolean(v))
		return kc_reply_fail(KCM_vacancy_value_bad, NULL);
	s = kc_store_q(ctl->st, "SELECT site FROM units WHERE code = ?", "s", unit ? unit : "");
	r = kc_row_step(s);
	if (r == 0)
		kc_row_text(s, 0, site, sizeof(site));
	kc_row_done(s);
	if (r == -EIO)
		return kc_reply_read_failed(ctl->st);
	if (!site[0])
		return kc_reply_refuse(0, NULL, KCM_vacancy_unit_unknown, "{s:s}", "unit", unit ? unit : "");
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	if (kc_store_x(ctl->st, "UPDATE units SET vacant = ? WHERE code = ?", "is", json_is_true(v),
		       unit) < 0)
		goto fail;
	ev = kc_store_event(ctl->st, KC_EVT_UNIT_VACANCY);
	kc_json_str(ev, "actor", actor_of(peer));
	kc_json_str(ev, "unit", unit);
	kc_json_str(ev, "site", site);
	json_object_set_new(json_object_get(ev, "data"), "vacant", json_boolean(json_is_true(v)));
	if (kc_store_append(ctl->st, ev) < 0)
		goto fail;
	if (kc_store_commit(ctl->st) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	return kc_reply_ok();
fail:
	return kc_reply_write_failed(kc_store_abort(ctl->st));
}
