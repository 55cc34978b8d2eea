/* Unit tests of the rules on the office's changes (controller/
 * rules_estate.c) and of a login's refusals they add (rules_access.c: a
 * deactivated person, a wrong enrolment code) as pure decisions: facts
 * built in memory go in, a decision comes out. Linked with the rules'
 * objects and common/ only (controller/module.mk): no database, no
 * hardware. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "controller/rules.h"
#include "controller/rules_access.h"
#include "controller/rules_estate.h"

#define NOW (1796000000000LL)

static struct kc_decision d;

/* The first refusal's code, after a fresh decision ran. */
static const char *code(void)
{
	return json_string_value(json_object_get(json_array_get(d.msgs, 0), "code"));
}

static const char *param(const char *name)
{
	return json_string_value(json_object_get(json_object_get(json_array_get(d.msgs, 0), "params"), name));
}

static void fresh(void)
{
	kc_decision_clear(&d);
	kc_decision_init(&d);
}

static void test_site_unit(void **state)
{
	struct kc_estate_site_facts s = { .name = "Xishan", .age = "new", .zone_ok = true };
	struct kc_estate_unit_facts u = { .unit = "U1", .site = "XS", .site_found = true };

	(void)state;
	fresh();
	assert_true(kc_rules_estate_site(&s, &d));
	s.zone_ok = false;
	assert_false(kc_rules_estate_site(&s, &d));
	assert_string_equal(code(), "estate_bad_value");
	assert_string_equal(param("field"), "time_zone");
	fresh();
	s.zone_ok = true;
	s.age = "middle";
	assert_false(kc_rules_estate_site(&s, &d));
	assert_string_equal(param("field"), "age");
	fresh();
	assert_true(kc_rules_estate_unit(&u, &d));
	u.site_found = false;
	assert_false(kc_rules_estate_unit(&u, &d));
	assert_string_equal(code(), "estate_site_unknown");
	assert_string_equal(param("site"), "XS");
}

static void test_key_set(void **state)
{
	struct kc_estate_key_facts f = { .key = "K1", .unit = "U1", .kind = "vacant", .slot = "C08", .tag = 0,
					 .unit_found = true, .slot_in_file = true, .slot_home_of = "", .tag_of = "" };

	(void)state;
	fresh();
	assert_true(kc_rules_estate_key_set(&f, &d));
	f.slot_in_file = false;
	assert_false(kc_rules_estate_key_set(&f, &d));
	assert_string_equal(code(), "estate_slot_unknown");
	fresh();
	f.slot_in_file = true;
	f.slot_home_of = "K2";
	assert_false(kc_rules_estate_key_set(&f, &d));
	assert_string_equal(code(), "estate_slot_taken");
	assert_string_equal(param("other"), "K2");
	fresh();
	f.slot_home_of = "";
	f.unit_found = false;
	assert_false(kc_rules_estate_key_set(&f, &d));
	assert_string_equal(code(), "estate_unit_unknown");
	fresh();
	f.unit_found = true;
	f.tag_of = "K3";
	f.tag = 0x1001;
	assert_false(kc_rules_estate_key_set(&f, &d));
	assert_string_equal(code(), "estate_tag_taken");
	fresh();
	f.tag_of = "";
	f.tag = -1;
	assert_false(kc_rules_estate_key_set(&f, &d));
	assert_string_equal(param("field"), "tag");
	/* a key moved: from its slot or before it was put in, never while out */
	f.tag = 0;
	f.key_found = true;
	f.moving = true;
	for (int s = 0; s < KC_KEY_STATE_MAX; s++) {
		bool may = s == KC_KEY_IN || s == KC_KEY_AWAITING;

		fresh();
		f.state = (enum kc_key_state)s;
		assert_int_equal(kc_rules_estate_key_set(&f, &d), may);
		if (!may)
			assert_string_equal(code(), "estate_key_out");
	}
	/* a change in place is no move: the state does not matter */
	fresh();
	f.moving = false;
	f.state = KC_KEY_OUT;
	assert_true(kc_rules_estate_key_set(&f, &d));
}

static void test_key_remove(void **state)
{
	struct kc_estate_key_remove_facts f = { .key = "K1", .key_found = true, .state = KC_KEY_IN };

	(void)state;
	fresh();
	assert_true(kc_rules_estate_key_remove(&f, &d));
	f.entrustment = 7;
	assert_false(kc_rules_estate_key_remove(&f, &d));
	assert_string_equal(code(), "estate_key_entrusted");
	fresh();
	f.state = KC_KEY_RELEASING;
	assert_false(kc_rules_estate_key_remove(&f, &d));
	assert_string_equal(code(), "estate_key_out");
	fresh();
	f.key_found = false;
	assert_false(kc_rules_estate_key_remove(&f, &d));
	assert_string_equal(code(), "estate_key_unknown");
}

static void test_person(void **state)
{
	struct kc_estate_person_facts f = { .name = "Zhou", .role = "staff", .active_ok = true, .card_ok = true,
					    .card_holder = "" };

	char name[512] = "";

	(void)state;
	fresh();
	assert_true(kc_rules_estate_person(&f, &d));
	/* names count in characters: 100 Chinese ones pass, 101 do not */
	for (int i = 0; i < 100; i++)
		strcat(name, "周");
	f.name = name;
	assert_true(kc_rules_estate_person(&f, &d));
	strcat(name, "周");
	assert_false(kc_rules_estate_person(&f, &d));
	assert_string_equal(param("field"), "name");
	fresh();
	f.name = "Zhou";
	f.card_holder = "S01";
	assert_false(kc_rules_estate_person(&f, &d));
	assert_string_equal(code(), "estate_card_taken");
	fresh();
	f.card_holder = "";
	f.role = "boss";
	assert_false(kc_rules_estate_person(&f, &d));
	assert_string_equal(param("field"), "role");
	fresh();
	assert_false(kc_rules_estate_person_known("P9", false, &d));
	assert_string_equal(code(), "estate_person_unknown");
}

static void test_settings(void **state)
{
	json_t *ok = json_loads("{\"site\": \"LJ\", \"max_loan\": {\"borrow\": 86400}, \"due_presets\": [1800, 3600],"
				" \"notice_reminder_s\": 3600, \"phrases\": {\"alarm\": [\"误报\"]}}",
				0, NULL);
	json_t *bad = json_pack("{s:s, s:[i]}", "site", "LJ", "due_presets", 5);
	json_t *long_phrase = json_pack("{s:s, s:{s:[s]}}", "site", "LJ", "phrases", "problem",
					"卫生间漏水，楼下天花板受潮，需尽快联系工程部上门检查处理并回复业主电话确认时间");

	(void)state;
	fresh();
	assert_true(kc_rules_estate_settings(ok, true, &d));
	assert_false(kc_rules_estate_settings(ok, false, &d));
	assert_string_equal(code(), "estate_site_unknown");
	fresh();
	assert_false(kc_rules_estate_settings(bad, true, &d));
	assert_string_equal(param("field"), "due_presets");
	/* a phrase of 40 Chinese characters (120 bytes) passes */
	fresh();
	assert_true(kc_rules_estate_settings(long_phrase, true, &d));
	json_decref(ok);
	json_decref(bad);
	json_decref(long_phrase);
}

/* The enrolment code: none open, expired; a deactivated person's login;
 * a wrong code counted as a wrong PIN is, under its own message. */
static void test_enrol_login(void **state)
{
	const struct kc_lockout_policy pol = { .attempts = 3, .base_ms = 60000, .max_ms = 150000 };
	struct kc_login_facts f = { .person = "P5", .found = true, .code = "P5", .name = "Wu", .credential_ok = true,
				    .inactive = true };
	struct kc_login_count c;

	(void)state;
	fresh();
	assert_false(kc_rules_enrol_code_open("P5", "", 0, NOW, &d));
	assert_string_equal(code(), "enrol_code_none");
	fresh();
	assert_false(kc_rules_enrol_code_open("P5", "ab", NOW - 1, NOW, &d));
	assert_string_equal(code(), "enrol_code_expired");
	fresh();
	assert_true(kc_rules_enrol_code_open("P5", "ab", NOW + 1, NOW, &d));
	assert_false(kc_rules_login(&f, &pol, NOW, &c, &d));
	assert_string_equal(code(), "login_person_inactive");
	assert_false(c.write);
	fresh();
	f.inactive = false;
	f.credential_ok = false;
	f.enrol_code = true;
	assert_false(kc_rules_login(&f, &pol, NOW, &c, &d));
	assert_string_equal(code(), "enrol_code_wrong");
	assert_true(c.write);
	assert_int_equal(c.failures, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_site_unit), cmocka_unit_test(test_key_set),  cmocka_unit_test(test_key_remove),
		cmocka_unit_test(test_person),    cmocka_unit_test(test_settings), cmocka_unit_test(test_enrol_login),
	};
	int rc;

	kc_decision_init(&d);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	kc_decision_clear(&d);
	return rc;
}
