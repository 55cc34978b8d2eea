/* Unit tests of the release rules (controller/rules_release.c) and of a
 * login's (controller/rules_access.c) as pure
 * decisions: facts built in memory go in, a decision comes out. No
 * database is opened and no hardware started; this program is linked with
 * the rules' objects only (controller/module.mk). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/pdata.h"
#include "common/util.h"
#include "controller/rules.h"
#include "controller/rules_access.h"

#define DAY (86400LL * 1000)
#define NOW (1796000000000LL) /* 2026-11-29, any time works */

static struct kc_decision d;

static struct kc_key_info key(const char *code, enum kc_key_kind kind, enum kc_key_state state)
{
	struct kc_key_info k = { .kind = kind, .state = state };

	kc_strlcpy(k.code, code, sizeof(k.code));
	kc_strlcpy(k.unit, "U1", sizeof(k.unit));
	kc_strlcpy(k.site, "S", sizeof(k.site));
	kc_strlcpy(k.home_slot, "A1", sizeof(k.home_slot));
	kc_strlcpy(k.slot, "A1", sizeof(k.slot));
	return k;
}

static struct kc_person_facts person(enum kc_role role)
{
	struct kc_person_facts p = { .found = true, .enrolled_by_admin = true, .role = role };

	return p;
}

/* The code of message i of the decision. */
static const char *msg(size_t i)
{
	return json_string_value(json_object_get(json_array_get(d.msgs, i), "code"));
}

static void decide(const struct kc_release_req *r, const struct kc_release_facts *f)
{
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_release(r, f, NOW, &d);
	printf("%-12s %-10s -> %s %d %s\n", r->key ? r->key : "-", r->purpose ? r->purpose : "-",
	       d.granted ? "granted" : "refused", d.rule, d.reason);
}

static void test_vacant(void **state)
{
	struct kc_release_req r = { .operator_code = "S01", .operator_role = "staff", .key = "KV",
				    .purpose = "inspection", .due_ms = NOW + 3600000 };
	struct kc_release_facts f = { .key_found = true, .key = key("KV", KC_KIND_VACANT, KC_KEY_IN),
				      .borrower = person(KC_ROLE_STAFF) };

	(void)state;
	decide(&r, &f);
	assert_true(d.granted);
	assert_string_equal(d.borrower, "S01");
	assert_string_equal(d.borrower_type, "person");
	assert_string_equal(d.key.code, "KV");
	assert_int_equal(d.due_ms, NOW + 3600000);
	f.borrower.found = false;
	decide(&r, &f);
	assert_false(d.granted);
	assert_string_equal(msg(0), "person_unknown");
	f.borrower = person(KC_ROLE_SUPERVISOR);
	decide(&r, &f);
	assert_int_equal(d.rule, 5);
	assert_string_equal(msg(0), "borrower_not_staff");
	f.borrower = person(KC_ROLE_ENGINEER);
	r.due_ms = NOW - 1;
	decide(&r, &f);
	assert_int_equal(d.rule, 5);
	assert_string_equal(msg(0), "due_time_past");
	r.due_ms = 0;
	decide(&r, &f);
	assert_string_equal(msg(0), "vacant_key_due_needed");
	r.purpose = "borrow";
	decide(&r, &f);
	assert_string_equal(msg(0), "vacant_key_wrong_purpose");
}

static void test_operator_and_key(void **state)
{
	struct kc_release_req r = { .key = "KV", .purpose = "repair", .due_ms = NOW + 1000 };
	struct kc_release_facts f = { .key_found = true, .key = key("KV", KC_KIND_VACANT, KC_KEY_OUT),
				      .borrower = person(KC_ROLE_STAFF) };

	(void)state;
	decide(&r, &f);
	assert_int_equal(d.rule, 1);
	assert_string_equal(msg(0), "release_no_operator");
	r.operator_code = "E01";
	r.operator_role = "engineer";
	decide(&r, &f);
	assert_int_equal(d.rule, 1);
	assert_string_equal(msg(0), "release_operator_not_staff");
	r.operator_role = "manager";
	decide(&r, &f);
	assert_int_equal(d.rule, 0);
	assert_string_equal(msg(0), "key_out_on_loan");
	f.key_found = false;
	decide(&r, &f);
	assert_string_equal(msg(0), "release_key_unknown");
	f.key_found = true;
	f.key = key("KV", KC_KIND_INVALID, KC_KEY_IN);
	decide(&r, &f);
	assert_string_equal(msg(0), "key_kind_unknown");
}

static void test_repair(void **state)
{
	struct kc_release_req r = { .operator_code = "S01", .operator_role = "staff", .key = "KR",
				    .purpose = "repair", .borrower = "E01", .work_order = "WO-1" };
	struct kc_release_facts f = { .key_found = true, .key = key("KR", KC_KIND_REPAIR, KC_KEY_IN),
				      .borrower = person(KC_ROLE_ENGINEER) };

	(void)state;
	decide(&r, &f);
	assert_true(d.granted);
	assert_int_equal(d.due_ms, kc_rules_end_of_day(NOW));
	f.borrower = person(KC_ROLE_STAFF);
	r.work_order = NULL;
	r.due_ms = kc_rules_end_of_day(NOW) + DAY;
	decide(&r, &f);
	assert_int_equal(d.rule, 6);
	assert_int_equal(json_array_size(d.msgs), 3);
	assert_string_equal(msg(0), "repair_key_not_engineer");
	assert_string_equal(msg(1), "work_order_needed");
	assert_string_equal(msg(2), "repair_due_after_today");
}

/* Rules 2, 3, 7: a borrower with a letter; the ID matched against the
 * letter's hash, so the hash key is set in main. */
static void test_borrow(void **state)
{
	struct kc_release_req r = { .operator_code = "S01", .operator_role = "staff", .key = "KE",
				    .purpose = "borrow", .borrower = "tenant tan", .contact = "13800000000",
				    .signature = "SIG-1", .letter = 1, .id_type = "passport",
				    .id_number = "E7654321" };
	struct kc_release_facts f = { .key_found = true, .key = key("KE", KC_KIND_ENTRUSTED, KC_KEY_IN) };

	(void)state;
	f.entrustment = (struct kc_entrustment_facts){ .found = true, .id = 7, .end_ms = NOW + DAY };
	f.letter = (struct kc_letter_facts){ .found = true, .entrustment = 7, .valid_from = NOW - DAY,
					     .valid_to = NOW + DAY, .confirmed_ms = NOW - 1 };
	kc_strlcpy(f.letter.borrower, "Tenant Tan", sizeof(f.letter.borrower));
	assert_int_equal(kc_id_hash("E7654321", f.letter.id_hash), 0);
	decide(&r, &f);
	assert_true(d.granted);
	assert_int_equal(d.letter, 1);
	assert_int_equal(d.entrustment, 7);
	assert_string_equal(d.borrower_type, "borrower");
	r.id_number = "E1111111";
	decide(&r, &f);
	assert_int_equal(d.rule, 2);
	assert_string_equal(msg(0), "id_not_on_letter");
	r.id_number = "E7654321";
	f.letter.entrustment = 8;
	decide(&r, &f);
	assert_string_equal(msg(0), "letter_other_entrustment");
	f.letter.entrustment = 7;
	f.letter.confirmed_ms = 0;
	f.letter.valid_to = NOW;
	decide(&r, &f);
	assert_int_equal(json_array_size(d.msgs), 2);
	assert_string_equal(msg(0), "letter_not_valid_now");
	assert_string_equal(msg(1), "letter_not_confirmed");
	f.letter.found = false;
	decide(&r, &f);
	assert_string_equal(msg(0), "letter_unknown");
	f.entrustment.end_ms = NOW;
	decide(&r, &f);
	assert_int_equal(d.rule, 7);
	assert_string_equal(msg(0), "entrustment_ended");
	f.entrustment.found = false;
	decide(&r, &f);
	assert_int_equal(d.rule, 2);
	assert_string_equal(msg(0), "no_open_entrustment");
}

/* Rule 4: an approval beforehand or a second credential, and four eyes on
 * the approver's enrolment and the operator's session; a remote approval
 * for its asker only. */
static void test_sealed(void **state)
{
	struct kc_release_req r = { .operator_code = "S01", .operator_role = "staff", .key = "KS",
				    .purpose = "emergency", .approval = 3 };
	struct kc_release_facts f = { .key_found = true, .key = key("KS", KC_KIND_SEALED, KC_KEY_IN),
				      .borrower = person(KC_ROLE_STAFF), .approver = person(KC_ROLE_MANAGER),
				      .session_ms = NOW - 60000 };

	(void)state;
	f.approval = (struct kc_approval_facts){ .found = true, .valid_from = NOW - 1000,
						 .valid_to = NOW + 1000 };
	kc_strlcpy(f.approval.key, "KS", sizeof(f.approval.key));
	kc_strlcpy(f.approval.manager, "M01", sizeof(f.approval.manager));
	f.approver.enrolled_ms = NOW - DAY;
	decide(&r, &f);
	assert_true(d.granted);
	assert_int_equal(d.approval, 3);
	assert_string_equal(d.approval_method, "issued");
	/* a remote approval, from the office, serves its asker only */
	kc_strlcpy(f.approval.method, "remote", sizeof(f.approval.method));
	kc_strlcpy(f.approval.asker, "S02", sizeof(f.approval.asker));
	decide(&r, &f);
	assert_int_equal(d.rule, 4);
	assert_string_equal(msg(0), "approval_other_asker");
	kc_strlcpy(f.approval.asker, "S01", sizeof(f.approval.asker));
	decide(&r, &f);
	assert_true(d.granted);
	assert_string_equal(d.approval_method, "remote");
	f.approval.method[0] = f.approval.asker[0] = '\0';
	f.approver.enrolled_ms = NOW - 1000; /* during the operator's session */
	decide(&r, &f);
	assert_int_equal(d.rule, 4);
	assert_string_equal(msg(0), "approver_enrolled_in_session");
	assert_int_equal(d.approval, 0);
	f.approver.enrolled_by_admin = false;
	kc_strlcpy(f.approver.enrolled_by, "S01", sizeof(f.approver.enrolled_by));
	decide(&r, &f);
	assert_string_equal(msg(0), "approver_enrolled_by_operator");
	f.approval.used_loan = 9;
	decide(&r, &f);
	assert_string_equal(msg(0), "approval_used");
	f.approval.found = false;
	decide(&r, &f);
	assert_string_equal(msg(0), "approval_unknown");
	r.approval = 0;
	r.approver = "S01";
	r.approver_role = "manager";
	r.approver_verified = true;
	decide(&r, &f);
	assert_string_equal(msg(0), "approver_is_operator");
	r.approver_role = "staff";
	decide(&r, &f);
	assert_string_equal(msg(0), "approver_not_manager");
	r.approver = NULL;
	decide(&r, &f);
	assert_string_equal(msg(0), "approval_needed");
}

static void test_collect(void **state)
{
	struct kc_key_info k = key("KE", KC_KIND_ENTRUSTED, KC_KEY_IN);
	struct kc_entrustment_facts e = { .found = true, .id = 4 };

	(void)state;
	kc_strlcpy(e.owner, "O1", sizeof(e.owner));
	kc_strlcpy(e.owner_id_type, "passport", sizeof(e.owner_id_type));
	assert_int_equal(kc_id_hash("E7654321", e.owner_id_hash), 0);
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_collect("S01", "staff", "KE", &k, &e, "E7654321", "SIG", NOW, &d);
	assert_true(d.granted);
	assert_string_equal(d.borrower, "O1");
	assert_string_equal(d.borrower_type, "owner");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_collect("S01", "staff", "KE", &k, &e, "E0000000", NULL, NOW, &d);
	assert_int_equal(d.rule, 8);
	assert_string_equal(msg(0), "owner_id_mismatch");
	assert_string_equal(msg(1), "owner_signature_needed");
	e.found = false;
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_collect("S01", "staff", "KE", &k, &e, "E7654321", "SIG", NOW, &d);
	assert_string_equal(msg(0), "nothing_to_collect");
}

static void test_id_release(void **state)
{
	struct kc_id_loan_facts f = { .found = true, .k = key("KE", KC_KIND_ENTRUSTED, KC_KEY_OUT) };

	(void)state;
	kc_strlcpy(f.state, "out", sizeof(f.state));
	kc_strlcpy(f.key, "KE", sizeof(f.key));
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_id_release("S01", 5, &f, &d);
	assert_int_equal(d.rule, 3);
	assert_string_equal(msg(0), "id_key_not_back");
	assert_string_equal(d.key.code, "KE");
	kc_strlcpy(f.state, "returned", sizeof(f.state));
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_id_release("S01", 5, &f, &d);
	assert_true(d.granted);
	f.released_ms = NOW;
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_id_release("S01", 5, &f, &d);
	assert_string_equal(msg(0), "id_given_back");
	f.found = false;
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_id_release("S01", 5, &f, &d);
	assert_string_equal(msg(0), "id_not_held");
}

/* A login decided on loaded facts: the wrong PINs counted up to a
 * lockout that doubles, a lockout under way, a card nobody holds, a person
 * not on file; nothing written by the rules, only said in count. */
static void test_login(void **state)
{
	const struct kc_lockout_policy pol = { .attempts = 3, .base_ms = 60000, .max_ms = 150000 };
	struct kc_login_facts f = { .person = "S02", .found = true, .code = "S02", .name = "Wang",
				    .credential_ok = true };
	struct kc_login_count c;

	(void)state;
	kc_decision_clear(&d);
	kc_decision_init(&d);
	assert_true(kc_rules_login(&f, &pol, NOW, &c, &d));
	assert_false(c.write);
	f.credential_ok = false;
	f.failures = 1;
	assert_false(kc_rules_login(&f, &pol, NOW, &c, &d));
	assert_int_equal(d.rule, 1);
	assert_string_equal(msg(0), "pin_wrong");
	assert_true(c.write);
	assert_int_equal(c.failures, 2);
	assert_int_equal(c.lockout_ms, 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_array_get(d.msgs, 0), "params"),
							    "tries_left")), 1);
	/* the third: locked out, twice as long after one lockout before */
	f.failures = 2;
	f.lockouts = 1;
	kc_decision_clear(&d);
	kc_decision_init(&d);
	assert_false(kc_rules_login(&f, &pol, NOW, &c, &d));
	assert_string_equal(msg(0), "pin_wrong_locked");
	assert_int_equal(c.failures, 0);
	assert_int_equal(c.lockouts, 2);
	assert_int_equal(c.tries, 3);
	assert_int_equal(c.lockout_ms, 120000);
	assert_int_equal(c.locked_until, NOW + 120000);
	/* ... never past the longest */
	f.lockouts = 5;
	assert_false(kc_rules_login(&f, &pol, NOW, &c, &d));
	assert_int_equal(c.lockout_ms, 150000);
	/* locked out: the right PIN is refused too, and nothing is counted */
	f.credential_ok = true;
	f.locked_until = NOW + 5000;
	kc_decision_clear(&d);
	kc_decision_init(&d);
	assert_false(kc_rules_login(&f, &pol, NOW, &c, &d));
	assert_int_equal(d.rule, 1);
	assert_string_equal(msg(0), "login_locked_out");
	assert_false(c.write);
	assert_string_equal(json_string_value(json_array_get(d.missing, 0)), "lockout to end");
	f.locked_until = NOW - 1;
	kc_decision_clear(&d);
	kc_decision_init(&d);
	assert_true(kc_rules_login(&f, &pol, NOW, &c, &d));
	/* nobody on file: a card is rule 1, a code no rule */
	f = (struct kc_login_facts){ .by_card = true };
	assert_false(kc_rules_login(&f, &pol, NOW, &c, &d));
	assert_int_equal(d.rule, 1);
	assert_string_equal(msg(0), "card_unknown");
	f = (struct kc_login_facts){ .person = "X9" };
	kc_decision_clear(&d);
	kc_decision_init(&d);
	assert_false(kc_rules_login(&f, &pol, NOW, &c, &d));
	assert_int_equal(d.rule, 0);
	assert_string_equal(msg(0), "login_person_unknown");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_login_throttled(1001, &d);
	assert_string_equal(msg(0), "login_throttled");
	assert_int_equal(d.rule, 1);
	kc_decision_clear(&d);
	kc_decision_init(&d);
	assert_false(kc_rules_terminal_key(true, false, &d));
	assert_string_equal(msg(0), "terminal_key_wrong");
	assert_true(kc_rules_terminal_key(true, true, &d));
}

/* The words decisions compare, each an enum with one table: a purpose a
 * release names, a loan's other purpose, an alarm's type. */
static void test_words(void **state)
{
	enum kc_purpose p;

	(void)state;
	assert_int_equal(kc_purpose_find("inspection", &p), 0);
	assert_int_equal(p, KC_PURPOSE_INSPECTION);
	assert_string_equal(kc_purpose_name(KC_PURPOSE_EMERGENCY), "emergency");
	/* a collection's loan, not a purpose a release may name */
	assert_int_equal(kc_purpose_from_string("owner_collect"), KC_PURPOSE_OWNER_COLLECT);
	assert_int_equal(kc_purpose_find("owner_collect", &p), -ENOENT);
	assert_int_equal(kc_purpose_find("lunch", &p), -ENOENT);
	assert_string_equal(kc_purpose_name(KC_PURPOSE_INVALID), "");
	for (int i = 0; i < KC_ALARM_TYPE_MAX; i++)
		assert_int_equal(kc_alarm_type_from_string(kc_alarm_type_to_string((enum kc_alarm_type)i)), i);
	assert_string_equal(kc_alarm_type_to_string(KC_ALARM_AUDIT_LINK), "audit_link");
	assert_int_equal(kc_alarm_type_from_string("flood"), KC_ALARM_TYPE_INVALID);
}

int main(void)
{
	static const unsigned char hkey[KC_HASH_KEY_LEN] = { 7 };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vacant),   cmocka_unit_test(test_operator_and_key),
		cmocka_unit_test(test_repair),   cmocka_unit_test(test_borrow),
		cmocka_unit_test(test_sealed),   cmocka_unit_test(test_collect),
		cmocka_unit_test(test_id_release), cmocka_unit_test(test_login),
		cmocka_unit_test(test_words),
	};
	int rc;

	kc_pdata_init();
	kc_pdata_key_set(hkey, sizeof(hkey));
	kc_decision_init(&d);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	kc_decision_clear(&d);
	return rc;
}
