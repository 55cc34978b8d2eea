/* The rules on a change the office sends: pure decisions on the facts
 * controller/estate.c loaded (rules_estate.h). */
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "controller/rules_estate.h"

#define DAY_S (24LL * 3600)

static bool bad_value(struct kc_decision *d, const char *field)
{
	kc_decision_refuse(d, 0, KCM_estate_bad_value, "{s:s}", "field", field);
	return false;
}

/* A text of 1 to max characters (UTF-8: the bytes that start one), as
 * the request's member limits count them (ops.def). */
static bool text_ok(const char *s, size_t max)
{
	size_t n = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n <= max;
}

bool kc_rules_estate_site(const struct kc_estate_site_facts *f, struct kc_decision *d)
{
	if (!text_ok(f->name, 100))
		return bad_value(d, "name");
	if (!f->age || (strcmp(f->age, "new") != 0 && strcmp(f->age, "old") != 0))
		return bad_value(d, "age");
	if (!f->zone_ok)
		return bad_value(d, "time_zone");
	return true;
}

bool kc_rules_estate_unit(const struct kc_estate_unit_facts *f, struct kc_decision *d)
{
	if (!f->site_found) {
		kc_decision_refuse(d, 0, KCM_estate_site_unknown, "{s:s}", "site", f->site ? f->site : "");
		return false;
	}
	return true;
}

bool kc_rules_estate_key_set(const struct kc_estate_key_facts *f, struct kc_decision *d)
{
	if (kc_key_kind_from_string(f->kind) == KC_KIND_INVALID)
		return bad_value(d, "kind");
	if (f->tag < 0)
		return bad_value(d, "tag");
	/* a key is moved only from its slot, or before it was ever put in */
	if (f->key_found && f->moving && f->state != KC_KEY_IN && f->state != KC_KEY_AWAITING) {
		kc_decision_refuse(d, 0, KCM_estate_key_out, "{s:s, s:s}", "key", f->key, "state",
				   KC_WORD(kc_key_state, f->state));
		return false;
	}
	if (!f->unit_found) {
		kc_decision_refuse(d, 0, KCM_estate_unit_unknown, "{s:s}", "unit", f->unit ? f->unit : "");
		return false;
	}
	if (!f->slot_in_file) {
		kc_decision_refuse(d, 0, KCM_estate_slot_unknown, "{s:s}", "slot", f->slot ? f->slot : "");
		return false;
	}
	if (f->slot_home_of[0]) {
		kc_decision_refuse(d, 0, KCM_estate_slot_taken, "{s:s, s:s}", "slot", f->slot, "other",
				   f->slot_home_of);
		return false;
	}
	if (f->tag_of[0]) {
		char hex[24];

		snprintf(hex, sizeof(hex), "0x%llx", (long long)f->tag);
		kc_decision_refuse(d, 0, KCM_estate_tag_taken, "{s:s, s:s}", "tag", hex, "other", f->tag_of);
		return false;
	}
	return true;
}

bool kc_rules_estate_key_remove(const struct kc_estate_key_remove_facts *f, struct kc_decision *d)
{
	if (!f->key_found) {
		kc_decision_refuse(d, 0, KCM_estate_key_unknown, "{s:s}", "key", f->key ? f->key : "");
		return false;
	}
	if (f->state == KC_KEY_OUT || f->state == KC_KEY_RELEASING || f->state == KC_KEY_MISSING) {
		kc_decision_refuse(d, 0, KCM_estate_key_out, "{s:s, s:s}", "key", f->key, "state",
				   KC_WORD(kc_key_state, f->state));
		return false;
	}
	if (f->entrustment) {
		kc_decision_refuse(d, 0, KCM_estate_key_entrusted, "{s:s, s:I}", "key", f->key, "entrustment",
				   (json_int_t)f->entrustment);
		return false;
	}
	return true;
}

bool kc_rules_estate_person(const struct kc_estate_person_facts *f, struct kc_decision *d)
{
	if (!text_ok(f->name, 100))
		return bad_value(d, "name");
	if (kc_role_from_string(f->role) == KC_ROLE_INVALID)
		return bad_value(d, "role");
	if (f->department && *f->department && !text_ok(f->department, 100))
		return bad_value(d, "department");
	if (!f->active_ok)
		return bad_value(d, "active");
	if (!f->card_ok)
		return bad_value(d, "card_hash");
	if (f->card_holder[0]) {
		kc_decision_refuse(d, 0, KCM_estate_card_taken, "{s:s}", "other", f->card_holder);
		return false;
	}
	return true;
}

bool kc_rules_estate_person_known(const char *person, bool found, struct kc_decision *d)
{
	if (!found) {
		kc_decision_refuse(d, 0, KCM_estate_person_unknown, "{s:s}", "person", person ? person : "");
		return false;
	}
	return true;
}

/* An integer member of o within [min, max] seconds; absent passes. */
static bool seconds_ok(json_t *o, const char *name, long long min, long long max)
{
	json_t *v = json_object_get(o, name);

	return !v || (json_is_integer(v) && json_integer_value(v) >= min && json_integer_value(v) <= max);
}

/* An array of at most max items: texts of 1 to 100 characters (strings),
 * or integers in [60 s, 366 d]. */
static bool list_ok(json_t *a, size_t max, bool strings)
{
	size_t i;
	json_t *v;

	if (!a)
		return true;
	if (!json_is_array(a) || json_array_size(a) > max)
		return false;
	json_array_foreach(a, i, v) {
		if (strings ? !text_ok(json_string_value(v), 100)
			    : !json_is_integer(v) || json_integer_value(v) < 60 || json_integer_value(v) > 366 * DAY_S)
			return false;
	}
	return true;
}

bool kc_rules_estate_settings(json_t *data, bool site_found, struct kc_decision *d)
{
	static const char *const purposes[] = { "borrow", "inspection", "repair", "emergency" };
	static const char *const phrase_lists[] = { "problem", "alarm", "repair" };
	json_t *max_loan = json_object_get(data, "max_loan"), *phrases = json_object_get(data, "phrases");

	if (!site_found) {
		const char *site = json_string_value(json_object_get(data, "site"));

		kc_decision_refuse(d, 0, KCM_estate_site_unknown, "{s:s}", "site", site ? site : "");
		return false;
	}
	if (max_loan && !json_is_object(max_loan))
		return bad_value(d, "max_loan");
	for (size_t i = 0; i < KC_ARRAY_SIZE(purposes); i++)
		if (!seconds_ok(max_loan, purposes[i], 60, 366 * DAY_S))
			return bad_value(d, "max_loan");
	if (!list_ok(json_object_get(data, "due_presets"), 12, false))
		return bad_value(d, "due_presets");
	if (!seconds_ok(data, "notice_lead_s", 0, 365 * DAY_S))
		return bad_value(d, "notice_lead_s");
	if (!seconds_ok(data, "notice_reminder_s", 60, 90 * DAY_S))
		return bad_value(d, "notice_reminder_s");
	if (phrases && !json_is_object(phrases))
		return bad_value(d, "phrases");
	for (size_t i = 0; i < KC_ARRAY_SIZE(phrase_lists); i++)
		if (!list_ok(json_object_get(phrases, phrase_lists[i]), 20, true))
			return bad_value(d, "phrases");
	return true;
}

bool kc_rules_enrol_code_open(const char *person, const char *code_hash, int64_t until, int64_t now_ms,
			      struct kc_decision *d)
{
	char when[32];

	if (!code_hash || !code_hash[0]) {
		kc_decision_refuse(d, 1, KCM_enrol_code_none, "{s:s}", "person", person);
		kc_decision_missing(d, "enrolment code");
		return false;
	}
	if (until <= now_ms) {
		kc_rules_fmt_local(until, when, sizeof(when));
		kc_decision_refuse(d, 1, KCM_enrol_code_expired, "{s:s, s:s}", "person", person, "until", when);
		kc_decision_missing(d, "enrolment code");
		return false;
	}
	return true;
}
