/* Unit tests of the rules of taking keys in (controller/rules_intake.c)
 * as pure decisions: the free slot a new key goes into, a key's
 * enrolment with its owner and period, an entrustment's period changed.
 * Linked with the rules' objects only (tests/module.mk): no database, no
 * hardware. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/pdata.h"
#include "common/util.h"
#include "controller/rules_intake.h"

#define DAY KC_DAY_MS
#define NOW (1796000000000LL) /* 2026-12-01 */
#define MAX (366 * DAY)

static struct kc_decision d;

static void fresh(void)
{
	kc_decision_clear(&d);
	kc_decision_init(&d);
}

/* Whether the decision holds a message of code c, and its rule. */
static bool has(const char *c)
{
	for (size_t i = 0; i < json_array_size(d.msgs); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(d.msgs, i), "code")), c) == 0)
			return true;
	return false;
}

static struct kc_intake_slot_facts slot(const char *name, bool tags, bool empty, bool homed)
{
	struct kc_intake_slot_facts s = { .reads_tags = tags, .empty = empty, .homed = homed };

	kc_strlcpy(s.name, name, sizeof(s.name));
	return s;
}

static void test_free_slot(void **state)
{
	struct kc_intake_slot_facts s[4] = { slot("B01", false, true, false), slot("A01", true, true, true),
					     slot("A02", true, false, false), slot("A03", true, true, false) };

	(void)state;
	fresh();
	/* a slot that reads tags first, one that is empty and no key's home */
	assert_int_equal(kc_rules_intake_slot(s, 4, 0, &d), 3);
	assert_true(d.granted);
	s[3].awaited = true;
	fresh();
	assert_int_equal(kc_rules_intake_slot(s, 4, 0, &d), 0); /* no tag slot left: the other */
	s[0].lock_on = true;
	fresh();
	assert_int_equal(kc_rules_intake_slot(s, 4, 0, &d), -1);
	assert_false(d.granted);
	assert_int_equal(d.rule, 10);
	assert_true(has("intake_no_free_slot"));
	s[0].lock_on = false;
	fresh();
	assert_int_equal(kc_rules_intake_slot(s, 4, KC_RULES_MAX_WINDOWS, &d), -1);
	assert_true(has("intake_windows_full"));
}

static struct kc_intake_req owner_req(int64_t end)
{
	struct kc_intake_req r = { .slot = "A09", .kind = "entrusted", .unit = "U1", .owner_name = "李明",
				   .owner_phone = "13912345678", .id_type = "id_card",
				   .id_number = "110105198506123454", .end_ms = end };

	return r;
}

static struct kc_intake_facts ready(void)
{
	struct kc_intake_facts f = { .unit_found = true, .slot_in_file = true, .slot_awaited = true,
				     .slot_reads_tags = true, .slot_present = true, .tag = 0x3101 };

	return f;
}

static void test_enrol(void **state)
{
	struct kc_intake_req r = owner_req(NOW + 180 * DAY);
	struct kc_intake_facts f = ready();

	(void)state;
	fresh();
	kc_rules_intake_enrol(&r, &f, NOW, MAX, &d);
	assert_true(d.granted);
	/* what the slot says */
	f.tag = 0;
	fresh();
	kc_rules_intake_enrol(&r, &f, NOW, MAX, &d);
	assert_false(d.granted);
	assert_int_equal(d.rule, 9);
	assert_true(has("intake_tag_unread"));
	f = ready();
	kc_strlcpy(f.tag_key, "K1", sizeof(f.tag_key));
	fresh();
	kc_rules_intake_enrol(&r, &f, NOW, MAX, &d);
	assert_true(has("intake_tag_taken"));
	f = ready();
	f.slot_awaited = false;
	fresh();
	kc_rules_intake_enrol(&r, &f, NOW, MAX, &d);
	assert_int_equal(d.rule, 10);
	assert_true(has("intake_slot_not_opened"));
	f = ready();
	kc_strlcpy(f.home_key, "K2", sizeof(f.home_key));
	fresh();
	kc_rules_intake_enrol(&r, &f, NOW, MAX, &d);
	assert_true(has("intake_slot_taken"));
	f = ready();
	f.slot_present = false;
	fresh();
	kc_rules_intake_enrol(&r, &f, NOW, MAX, &d);
	assert_true(has("intake_slot_empty"));
	/* a vacant key has no owner; a key alone needs none */
	f = ready();
	r.kind = "vacant";
	fresh();
	kc_rules_intake_enrol(&r, &f, NOW, MAX, &d);
	assert_true(has("intake_kind_not_owned"));
	r = (struct kc_intake_req){ .slot = "A09", .kind = "vacant", .unit = "U1" };
	fresh();
	kc_rules_intake_enrol(&r, &f, NOW, MAX, &d);
	assert_true(d.granted);
	r.kind = "spare";
	fresh();
	kc_rules_intake_enrol(&r, &f, NOW, MAX, &d);
	assert_true(has("intake_kind_bad"));
}

static void test_owner_and_period(void **state)
{
	struct kc_intake_req r = owner_req(NOW + 367 * DAY);
	struct kc_intake_facts f = ready();

	(void)state;
	fresh();
	kc_rules_intake_request(&r, true, NOW, MAX, &d);
	assert_false(d.granted);
	assert_int_equal(d.rule, 7);
	assert_true(has("intake_period_too_long"));
	r.end_ms = NOW - DAY;
	fresh();
	kc_rules_intake_request(&r, true, NOW, MAX, &d);
	assert_true(has("intake_end_before_start"));
	r.end_ms = 0;
	fresh();
	kc_rules_intake_request(&r, true, NOW, MAX, &d);
	assert_true(has("intake_end_needed"));
	/* the owner: every fault at once, each a sentence */
	r = owner_req(NOW + 30 * DAY);
	r.owner_name = "";
	r.owner_phone = "123";
	r.id_number = "110105198506123451"; /* the check character is 4 */
	fresh();
	kc_rules_intake_enrol(&r, &f, NOW, MAX, &d);
	assert_true(has("intake_owner_name_needed"));
	assert_true(has("intake_owner_phone_bad"));
	assert_true(has("id_card_check_char"));
	assert_false(has("intake_period_too_long"));
	fresh();
	kc_rules_intake_request(&r, false, NOW, MAX, &d);
	assert_true(has("intake_unit_unknown"));
}

static void test_change(void **state)
{
	struct kc_entrust_change_facts f = { .found = true, .open = true, .start_ms = NOW - 10 * DAY,
					     .end_ms = NOW + 100 * DAY };

	(void)state;
	fresh();
	kc_rules_entrust_change(1, &f, true, NOW + 200 * DAY, NOW, MAX, &d);
	assert_true(d.granted);
	fresh();
	kc_rules_entrust_change(1, &f, true, NOW + 360 * DAY, NOW, MAX, &d); /* 370 days from its start */
	assert_true(has("intake_period_too_long"));
	fresh();
	kc_rules_entrust_change(1, &f, true, NOW + 50 * DAY, NOW, MAX, &d);
	assert_true(has("intake_extend_not_later"));
	fresh();
	kc_rules_entrust_change(1, &f, false, NOW + DAY / 2, NOW, MAX, &d);
	assert_true(d.granted);
	fresh();
	kc_rules_entrust_change(1, &f, false, NOW + 150 * DAY, NOW, MAX, &d);
	assert_true(has("intake_end_not_earlier"));
	fresh();
	kc_rules_entrust_change(1, &f, false, NOW - 1, NOW, MAX, &d);
	assert_true(has("intake_end_past"));
	f.open = false;
	fresh();
	kc_rules_entrust_change(1, &f, false, NOW + DAY / 2, NOW, MAX, &d);
	assert_true(has("intake_entrustment_closed"));
	fresh();
	kc_rules_entrust_change(7, NULL, true, NOW + DAY, NOW, MAX, &d);
	assert_true(has("intake_entrustment_unknown"));
}

int main(void)
{
	static const unsigned char hkey[KC_HASH_KEY_LEN] = { 7 };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_slot),
		cmocka_unit_test(test_enrol),
		cmocka_unit_test(test_owner_and_period),
		cmocka_unit_test(test_change),
	};
	int rc;

	kc_pdata_init();
	kc_pdata_key_set(hkey, sizeof(hkey));
	kc_decision_init(&d);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	kc_decision_clear(&d);
	return rc;
}
