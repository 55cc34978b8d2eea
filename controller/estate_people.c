/* The office's changes to people (person.set, person.enrol,
 * person.unlock) and the terminal's enrolment: a PIN set with the
 * one-time code the office issued (op person.enrol). */
#include <errno.h>
#include <string.h>
#include <sodium.h>

#include "common/pdata.h"
#include "common/util.h"
#include "controller/estate.h"
#include "controller/reply.h"
#include "controller/request.h"
#include "controller/row.h"
#include "controller/rules_estate.h"
#include "controller/session.h"

/* Whether person is on the roll: 1, 0 or -EIO. */
static int person_found(struct kc_ctl *ctl, const char *person)
{
	int64_t v;
	int r = kc_store_int(ctl->st, &v, "SELECT 1 FROM people WHERE code = ?", "s", person ? person : "");

	return r == 0 ? 1 : r == -ENOENT ? 0 : -EIO;
}

/* Who holds card hash h besides person, into holder ("" nobody). 0 or
 * -EIO. */
static int card_holder(struct kc_ctl *ctl, const char *h, const char *person, char *holder, size_t len)
{
	sqlite3_stmt *s;
	int r;

	holder[0] = '\0';
	if (!h)
		return 0;
	s = kc_store_q(ctl->st, "SELECT code FROM people WHERE card_hash = ? AND code != ?", "ss", h, person);
	r = kc_row_step(s);
	if (r == 0)
		kc_row_text(s, 0, holder, len);
	kc_row_done(s);
	return r == -EIO ? -EIO : 0;
}

/* A card member: absent (unchanged), null (withdrawn) or a keyed hash of
 * 64 lower-case hex digits with its masked form. */
static bool card_ok(json_t *data)
{
	json_t *h = json_object_get(data, "card_hash");
	const char *v = json_string_value(h);

	if (!h || json_is_null(h))
		return true;
	if (!v || strlen(v) != KC_CARD_HASH_LEN - 1 || strspn(v, "0123456789abcdef") != KC_CARD_HASH_LEN - 1)
		return false;
	return json_string_value(json_object_get(data, "card_masked")) != NULL;
}

int kc_estate_person_set(struct kc_ctl *ctl, const struct kc_estate_change *c, json_t *members, json_t *extra,
			 struct kc_decision *d)
{
	const char *person = kc_estate_str(c, "person"), *name = kc_estate_str(c, "name"), *role = kc_estate_str(c, "role");
	const char *phone = kc_estate_str(c, "phone"), *dept = kc_estate_str(c, "department"), *by = kc_estate_str(c, "enrolled_by");
	json_t *active = json_object_get(c->data, "active"), *card = json_object_get(c->data, "card_hash");
	char holder[64];
	struct kc_estate_person_facts f = { .name = name, .role = role, .department = dept,
					    .active_ok = !active || json_is_boolean(active),
					    .card_ok = card_ok(c->data), .card_holder = holder };
	bool on = !active || json_is_true(active);
	int64_t now = kc_wall_ms();

	(void)extra;
	kc_json_str(members, "person", person);
	if (!person || !*person || strlen(person) > 63)
		return kc_decision_refuse(d, 0, KCM_estate_bad_value, "{s:s}", "field", "person"), 1;
	if (card_holder(ctl, f.card_ok ? json_string_value(card) : NULL, person, holder, sizeof(holder)) < 0)
		return -EIO;
	if (!kc_rules_estate_person(&f, d))
		return 1;
	/* who enrolled them, and when their role last changed (rule 4's
	 * four eyes) */
	if (kc_store_x(ctl->st,
		       "INSERT INTO people (code, name, role, phone, department, active, enrolled_by, enrolled_ms)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (code) DO UPDATE SET name = ?2,"
		       " role = ?3, phone = ?4, department = ?5, active = ?6, enrolled_by = ?7,"
		       " enrolled_ms = CASE WHEN role != ?3 THEN ?8 ELSE enrolled_ms END",
		       "sssssisI", person, name, role, phone ? phone : "", dept ? dept : "", on, by, now) < 0)
		return -EIO;
	if (card && kc_store_x(ctl->st,
			       "UPDATE people SET card_hash = ?, card_masked = ?, enrolled_ms = ? WHERE code = ?",
			       "ssIs", json_string_value(card),
			       json_string_value(json_object_get(c->data, "card_masked")), now, person) < 0)
		return -EIO;
	/* deactivated: their sessions end now */
	if (!on && kc_store_x(ctl->st, "DELETE FROM sessions WHERE person = ?", "s", person) < 0)
		return -EIO;
	return 0;
}

int kc_estate_person_enrol(struct kc_ctl *ctl, const struct kc_estate_change *c, json_t *members, json_t *extra,
			   struct kc_decision *d)
{
	const char *person = kc_estate_str(c, "person"), *hash = kc_estate_str(c, "code_hash"), *until_s = kc_estate_str(c, "until");
	int64_t until;
	int r;

	kc_json_str(members, "person", person);
	if ((r = person_found(ctl, person)) < 0)
		return -EIO;
	if (!kc_rules_estate_person_known(person, r, d))
		return 1;
	if (!hash || strlen(hash) != 64 || strspn(hash, "0123456789abcdef") != 64)
		return kc_decision_refuse(d, 0, KCM_estate_bad_value, "{s:s}", "field", "code_hash"), 1;
	if (!until_s || kc_time_parse(until_s, &until) < 0)
		return kc_decision_refuse(d, 0, KCM_estate_bad_value, "{s:s}", "field", "until"), 1;
	kc_json_time(extra, "until", until);
	return kc_store_x(ctl->st, "UPDATE people SET enrol_code_hash = ?, enrol_until = ? WHERE code = ?", "sIs",
			  hash, until, person) < 0
		       ? -EIO
		       : 0;
}

int kc_estate_person_unlock(struct kc_ctl *ctl, const struct kc_estate_change *c, json_t *members,
			    json_t *extra, struct kc_decision *d)
{
	const char *person = kc_estate_str(c, "person");
	int r;

	(void)extra;
	kc_json_str(members, "person", person);
	if ((r = person_found(ctl, person)) < 0)
		return -EIO;
	if (!kc_rules_estate_person_known(person, r, d))
		return 1;
	return kc_store_x(ctl->st, "UPDATE people SET failures = 0, lockouts = 0, locked_until = 0 WHERE code = ?",
			  "s", person) < 0
		       ? -EIO
		       : 0;
}

/* person.enrol at the terminal: person, the one-time code the office
 * issued, a new PIN. The code is checked like a PIN (a wrong one counts
 * towards the lockout); it is good once, until its end. */
json_t *kc_estate_enrol(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	const char *person = kc_req_str(req, "person"), *code = kc_req_str(req, "code"), *pin = kc_req_str(req, "pin");
	char stored[65] = "", given[65], pin_hash[KC_PWHASH_LEN];
	int64_t until = 0;
	struct kc_decision d;
	sqlite3_stmt *s;
	json_t *rep, *ev;
	int r;

	(void)peer;
	if (kc_pin_check_form(pin) < 0)
		return kc_reply_fail(KCM_person_add_pin_form, NULL);
	s = kc_store_q(ctl->st, "SELECT coalesce(enrol_code_hash, ''), enrol_until FROM people WHERE code = ?", "s",
		       person);
	r = kc_row_step(s);
	if (r == 0) {
		kc_row_text(s, 0, stored, sizeof(stored));
		until = sqlite3_column_int64(s, 1);
	}
	kc_row_done(s);
	if (r == -EIO)
		return kc_reply_read_failed(ctl->st);
	/* no code open (none issued, used, expired): nothing to guess */
	kc_decision_init(&d);
	if (r == 0 && !kc_rules_enrol_code_open(person, stored, until, kc_wall_ms(), &d))
		return kc_reply_take(&d);
	kc_decision_clear(&d);
	kc_token_hash(code, given);
	/* who they are, deactivated, locked out, a wrong code (counted) */
	if ((rep = kc_session_verify_code(ctl, person, stored[0] && sodium_memcmp(stored, given, 64) == 0)))
		return rep;
	if (kc_secret_hash(pin, pin_hash) < 0)
		return kc_reply_fail(KCM_person_add_pin_hash_failed, NULL);
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	if (kc_store_x(ctl->st,
		       "UPDATE people SET pin_hash = ?, enrol_code_hash = NULL, enrol_until = 0, failures = 0,"
		       " lockouts = 0, locked_until = 0, enrolled_ms = ? WHERE code = ?",
		       "sIs", pin_hash, kc_wall_ms(), person) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	ev = kc_store_event(ctl->st, KC_EVT_PERSON_ENROLLED);
	kc_json_str(ev, "person", person);
	json_object_set_new(json_object_get(ev, "data"), "method", json_string("enrolment_code"));
	if (kc_store_append_commit(ctl->st, ev) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	rep = kc_reply_ok();
	json_object_set_new(rep, "person", json_string(person));
	return rep;
}
