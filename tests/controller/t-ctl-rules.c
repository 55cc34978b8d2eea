/* Unit tests of controller/rules.c with the facts controller/facts.c
 * loads: each custody rule the cabinet decides (1-12), its grant and each
 * of its refusals, on a temp SQLite store or, for the other pure
 * decisions, on the facts alone (t-ctl-decide holds the release rules'
 * tests on facts alone). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/pdata.h"
#include "common/util.h"
#include "controller/facts.h"
#include "controller/rules.h"
#include "controller/store.h"

#define DAY (86400LL * 1000)

static char dir[64];
static struct kc_store *st;
static int64_t now;
/* The last release decision expect_release ran, for assert_msg. */
static struct kc_decision last;

static void sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sql(const char *fmt, ...)
{
	char q[2048], *e = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	if (sqlite3_exec(kc_store_db(st), q, NULL, NULL, &e) != SQLITE_OK)
		fail_msg("%s: %s", q, e);
}

static int setup(void **state)
{
	char path[128], err[256], idh[KC_PWHASH_LEN], bh[KC_PWHASH_LEN];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/t-ctl-rules.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/k.db", dir);
	st = kc_store_open(path, "cab", true, err, sizeof(err));
	if (!st)
		return -1;
	now = kc_wall_ms();
	kc_id_hash("110101198001011232", idh);
	kc_id_hash("E7654321", bh);
	sql("INSERT INTO sites (code, name, age) VALUES ('S', 'Site', 'new');"
	    "INSERT INTO units (code, site) VALUES ('U1','S'),('U2','S'),('U3','S'),('U4','S'),('U5','S');"
	    "INSERT INTO people (code, name, role) VALUES ('S01','Staff','staff'),"
	    " ('S02','Staff 2','staff'), ('E01','Eng','engineer'), ('M01','Mgr','manager');"
	    "INSERT INTO keys (code, unit, kind, home_slot, state, slot) VALUES"
	    " ('KE','U1','entrusted','A1','in','A1'), ('KS','U2','sealed','A2','in','A2'),"
	    " ('KV','U3','vacant','A3','in','A3'), ('KR','U4','repair','A4','in','A4'),"
	    " ('KO','U5','vacant','A5','out',NULL);");
	sql("INSERT INTO owners (code, name, id_type, id_hash, id_masked) VALUES"
	    " ('O1','Owner','id_card','%s','**************1232')", idh);
	sql("INSERT INTO entrustments (id, owner, key, start_ms, end_ms) VALUES (1,'O1','KE',%lld,%lld)",
	    (long long)(now - DAY), (long long)(now + 10 * DAY));
	/* letter 1: confirmed, valid now; 2: not confirmed; 3: expired */
	sql("INSERT INTO letters (id, entrustment, borrower, id_type, id_hash, id_masked, valid_from,"
	    " valid_to, reference, filed_ms, confirmed_by, confirmed_ms, channel) VALUES"
	    " (1,1,'Tenant Tan','passport','%s','****4321',%lld,%lld,'L-1',%lld,'S01',%lld,'phone'),"
	    " (2,1,'Tenant Tan','passport','%s','****4321',%lld,%lld,'L-2',%lld,NULL,NULL,NULL),"
	    " (3,1,'Tenant Tan','passport','%s','****4321',%lld,%lld,'L-3',%lld,'S01',%lld,'phone')",
	    bh, (long long)(now - DAY), (long long)(now + DAY), (long long)now, (long long)now, bh,
	    (long long)(now - DAY), (long long)(now + DAY), (long long)now, bh,
	    (long long)(now - 3 * DAY), (long long)(now - DAY), (long long)now, (long long)now);
	sql("INSERT INTO approvals (id, key, manager, method, valid_from, valid_to, created_ms) VALUES"
	    " (1,'KS','M01','issued',%lld,%lld,%lld), (2,'KS','M01','issued',%lld,%lld,%lld)",
	    (long long)(now - 60000), (long long)(now + 600000), (long long)now,
	    (long long)(now - 7200000), (long long)(now - 3600000), (long long)now);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	kc_decision_clear(&last);
	kc_store_free(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A good borrow request: every item rule 2 and 3 ask for. */
static struct kc_release_req borrow(void)
{
	return (struct kc_release_req){ .operator_code = "S01", .operator_role = "staff",
					.key = "KE", .purpose = "borrow", .borrower = "Tenant Tan",
					.contact = "13700000000", .signature = "SIG-1", .letter = 1,
					.id_type = "passport", .id_number = "E7654321" };
}

static bool missing_has(const struct kc_decision *d, const char *what)
{
	size_t i;
	json_t *v;

	json_array_foreach(d->missing, i, v)
		if (strstr(json_string_value(v), what))
			return true;
	return false;
}

/* A refusal's messages: each has a code this build knows and a Chinese
 * text of its own, together they give the English reason, and each
 * missing item is a word with a Chinese text. */
static void check_messages(const struct kc_decision *d)
{
	char en[2048] = "", one[512], zh[1024];
	size_t i, n = 0;
	json_t *m;

	if (d->granted) {
		assert_int_equal(json_array_size(d->msgs), 0);
		return;
	}
	assert_true(json_array_size(d->msgs) > 0);
	json_array_foreach(d->msgs, i, m) {
		const char *code = json_string_value(json_object_get(m, "code"));

		assert_non_null(code);
		assert_true(kc_msg_lookup(code) >= 0);
		assert_int_equal(kc_msg_render(m, KC_LANG_EN, one, sizeof(one)), 0);
		assert_null(strchr(one, '{'));
		assert_int_equal(kc_msg_render(m, KC_LANG_ZH, zh, sizeof(zh)), 0);
		assert_string_not_equal(zh, one);
		assert_null(strchr(zh, '{'));
		n += (size_t)snprintf(en + n, sizeof(en) - n, "%s%s", n ? " " : "", one);
	}
	/* the reason holds as much as fits */
	if (strlen(d->reason) < sizeof(d->reason) - 1)
		assert_string_equal(en, d->reason);
	else
		assert_memory_equal(en, d->reason, strlen(d->reason));
	json_array_foreach(d->missing, i, m) {
		const char *w = json_string_value(m);

		if (strcmp(kc_msg_word(KC_LANG_ZH, "missing", w), w) == 0)
			fail_msg("missing item \"%s\" has no Chinese word", w);
	}
}

/* Message i of d has code, and (when name is not NULL) its parameter
 * name reads value (a string, or an integer written out). */
static void assert_msg(const struct kc_decision *d, size_t i, const char *code, const char *name,
		       const char *value)
{
	json_t *m = json_array_get(d->msgs, i), *v;
	char num[32];

	if (!m)
		fail_msg("no message %zu (want %s): %s", i, code, d->reason);
	assert_string_equal(json_string_value(json_object_get(m, "code")), code);
	if (!name)
		return;
	v = json_object_get(json_object_get(m, "params"), name);
	assert_non_null(v);
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		assert_string_equal(num, value);
	} else {
		assert_string_equal(json_string_value(v), value);
	}
}

/* The three decisions that load facts from the store, as desk.c runs
 * them: load, then decide. 0 or the loader's -EIO. */
static int release(const struct kc_release_req *r, int64_t at, struct kc_decision *d)
{
	struct kc_ctl ctl = { .st = st, .db = kc_store_kdb(st) }; /* no hardware */
	struct kc_release_facts f;

	if (kc_facts_release(&ctl, r, &f) < 0)
		return -EIO;
	kc_rules_release(r, &f, at, d);
	return 0;
}

static int collect(const char *op, const char *role, const char *key, const char *id_number,
		   const char *signature, int64_t at, struct kc_decision *d)
{
	struct kc_entrustment_facts e;
	struct kc_key_info k;
	bool found;

	if (kc_facts_collect(st, key, &k, &found, &e) < 0)
		return -EIO;
	kc_rules_collect(op, role, key, found ? &k : NULL, &e, id_number, signature, at, d);
	return 0;
}

static int id_release(const char *op, int64_t loan, struct kc_decision *d)
{
	struct kc_id_loan_facts f;

	if (kc_facts_id_release(st, loan, &f) < 0)
		return -EIO;
	kc_rules_id_release(op, loan, &f, d);
	return 0;
}

/* Runs a release decision and checks granted / the refusing rule. */
static void expect_release(const struct kc_release_req *r, int rule, const char *missing_item,
			   const char *what)
{
	struct kc_decision *d = &last;

	kc_decision_clear(d);
	kc_decision_init(d);
	assert_int_equal(release(r, now, d), 0);
	printf("%-52s -> %s", what, d->granted ? "granted" : "refused");
	if (!d->granted)
		printf(" (rule %d: %s)", d->rule, d->reason);
	printf("\n");
	if (rule < 0) {
		assert_true(d->granted);
	} else {
		assert_false(d->granted);
		assert_int_equal(d->rule, rule);
		assert_true(d->reason[0] != '\0');
		if (missing_item)
			assert_true(missing_has(d, missing_item));
	}
	check_messages(d);
}

static void test_rule1_operator(void **state)
{
	struct kc_release_req r = { .key = "KV", .purpose = "inspection", .due_ms = now + DAY };

	(void)state;
	expect_release(&r, 1, "operator login", "rule 1: nobody logged in");
	assert_msg(&last, 0, "release_no_operator", NULL, NULL);
	r.operator_code = "E01";
	r.operator_role = "engineer";
	expect_release(&r, 1, "staff login", "rule 1: an engineer operates");
	assert_msg(&last, 0, "release_operator_not_staff", "operator", "E01");
	assert_msg(&last, 0, "release_operator_not_staff", "role", "engineer");
	r.operator_code = "S01";
	r.operator_role = "staff";
	expect_release(&r, -1, NULL, "rule 1: staff logged in");
	r.key = "NOPE";
	expect_release(&r, 0, NULL, "unknown key");
	assert_msg(&last, 0, "release_key_unknown", "key", "NOPE");
	r.key = "KO";
	expect_release(&r, 0, NULL, "key out on loan already");
	assert_msg(&last, 0, "key_out_on_loan", "key", "KO");
	assert_msg(&last, 0, "key_out_on_loan", "state", "out");
	{
		char zh[256];

		assert_int_equal(kc_msg_render(json_array_get(last.msgs, 0), KC_LANG_ZH, zh, sizeof(zh)), 0);
		printf("  zh: %s\n", zh);
		assert_non_null(strstr(zh, "KO"));
		assert_null(strstr(zh, "loan"));
	}
	sql("UPDATE keys SET state = 'missing' WHERE code = 'KO'");
	expect_release(&r, 0, NULL, "key missing (tamper)");
	assert_msg(&last, 0, "key_missing", "key", "KO");
}

static void test_rule2_3_borrow(void **state)
{
	struct kc_release_req r = borrow();

	(void)state;
	expect_release(&r, -1, NULL, "rules 2+3: letter, confirmation, ID, register");
	r.letter = 0;
	expect_release(&r, 2, "authorisation letter", "rule 2: no letter");
	assert_msg(&last, 0, "letter_needed", NULL, NULL);
	r.letter = 2;
	expect_release(&r, 2, "owner's confirmation", "rule 2: letter not confirmed");
	assert_msg(&last, 0, "letter_not_confirmed", "letter", "2");
	r.letter = 3;
	expect_release(&r, 2, "letter valid now", "rule 2: letter expired");
	assert_msg(&last, 0, "letter_not_valid_now", "letter", "3");
	{
		char from[32];

		kc_rules_fmt_local(now - 3 * DAY, from, sizeof(from));
		assert_msg(&last, 0, "letter_not_valid_now", "from", from);
	}
	r.letter = 99;
	expect_release(&r, 2, "authorisation letter", "rule 2: no such letter");
	assert_msg(&last, 0, "letter_unknown", "letter", "99");
	r = borrow();
	r.borrower = "Someone Else";
	expect_release(&r, 2, "letter naming this borrower", "rule 2: letter names another");
	assert_msg(&last, 0, "letter_other_borrower", "named", "Tenant Tan");
	assert_msg(&last, 0, "letter_other_borrower", "borrower", "Someone Else");
	r = borrow();
	r.contact = NULL;
	expect_release(&r, 2, "borrower contact", "rule 2: no contact");
	assert_msg(&last, 0, "borrower_contact_needed", NULL, NULL);
	r = borrow();
	r.signature = "";
	expect_release(&r, 2, "signature", "rule 2: no signature");
	assert_msg(&last, 0, "borrower_signature_needed", NULL, NULL);
	r = borrow();
	r.id_number = "E0000000";
	expect_release(&r, 2, "the ID named on the letter", "rule 2: ID is not the letter's");
	assert_msg(&last, 0, "id_not_on_letter", "letter", "1");
	r = borrow();
	r.id_number = NULL;
	expect_release(&r, 3, "ID to hold", "rule 3: no ID to hold");
	assert_msg(&last, 0, "borrower_id_needed", NULL, NULL);
	r = borrow();
	r.purpose = "inspection";
	expect_release(&r, 2, "purpose borrow", "rule 2: entrusted key for an inspection");
	assert_msg(&last, 0, "entrusted_key_wrong_purpose", "purpose", "inspection");
	r = (struct kc_release_req){ .operator_code = "S01", .operator_role = "staff", .key = "KE",
				     .purpose = "borrow" };
	{
		struct kc_decision d;

		kc_decision_init(&d);
		assert_int_equal(release(&r, now, &d), 0);
		printf("everything missing at once: %s\n", d.reason);
		assert_true(json_array_size(d.missing) >= 5);
		/* one message per failed check, in the order checked */
		check_messages(&d);
		assert_int_equal(json_array_size(d.msgs), 5);
		assert_msg(&d, 0, "borrower_name_needed", NULL, NULL);
		assert_msg(&d, 1, "letter_needed", NULL, NULL);
		assert_msg(&d, 2, "borrower_id_needed", NULL, NULL);
		assert_msg(&d, 3, "borrower_contact_needed", NULL, NULL);
		assert_msg(&d, 4, "borrower_signature_needed", NULL, NULL);
		kc_decision_clear(&d);
	}
}

static void test_rule4_sealed(void **state)
{
	struct kc_release_req r = { .operator_code = "S01", .operator_role = "staff", .key = "KS",
				    .purpose = "emergency" };

	(void)state;
	expect_release(&r, 4, "manager's approval", "rule 4: no approval");
	assert_msg(&last, 0, "approval_needed", "key", "KS");
	r.approval = 1;
	expect_release(&r, -1, NULL, "rule 4: approval issued beforehand");
	r.approval = 2;
	expect_release(&r, 4, "valid now", "rule 4: approval's window over");
	assert_msg(&last, 0, "approval_not_valid_now", "approval", "2");
	sql("UPDATE approvals SET used_loan = 7 WHERE id = 1");
	r.approval = 1;
	expect_release(&r, 4, "new manager's approval", "rule 4: approval used once already");
	assert_msg(&last, 0, "approval_used", "approval", "1");
	assert_msg(&last, 0, "approval_used", "loan", "7");
	r.approval = 0;
	r.approver = "M01";
	r.approver_role = "manager";
	r.approver_verified = true;
	expect_release(&r, -1, NULL, "rule 4: manager's credential at the cabinet");
	r.approver_verified = false;
	expect_release(&r, 4, NULL, "rule 4: manager's PIN wrong");
	assert_msg(&last, 0, "approver_credential_rejected", NULL, NULL);
	r.approver = "S02";
	r.approver_role = "staff";
	r.approver_verified = true;
	expect_release(&r, 4, NULL, "rule 4: second credential not a manager's");
	assert_msg(&last, 0, "approver_not_manager", "approver", "S02");
	r.operator_code = "M01";
	r.operator_role = "manager";
	r.approver = "M01";
	r.approver_role = "manager";
	expect_release(&r, 4, "second person", "rule 4: manager approves own release");
	assert_msg(&last, 0, "approver_is_operator", NULL, NULL);
	r = (struct kc_release_req){ .operator_code = "S01", .operator_role = "staff", .key = "KS",
				     .purpose = "borrow" };
	expect_release(&r, 4, "purpose emergency", "rule 4: sealed key to borrow");
	assert_msg(&last, 0, "sealed_key_wrong_purpose", "purpose", "borrow");
}

/* The four eyes as a pure decision: every case. */
static void test_rule4_four_eyes(void **state)
{
	const int64_t session = 1000000;

	(void)state;
	assert_int_equal(kc_rules_four_eyes("Q01", session, "M01", NULL, 0), KC_FOUR_EYES_OK);
	assert_int_equal(kc_rules_four_eyes("Q01", session, "M01", NULL, session - 1), KC_FOUR_EYES_OK);
	assert_int_equal(kc_rules_four_eyes("Q01", session, "M01", "S02", session - 1),
			 KC_FOUR_EYES_OK);
	assert_int_equal(kc_rules_four_eyes("Q01", session, "Q01", NULL, 0),
			 KC_FOUR_EYES_SAME_PERSON);
	assert_int_equal(kc_rules_four_eyes(NULL, session, "M01", NULL, 0), KC_FOUR_EYES_SAME_PERSON);
	assert_int_equal(kc_rules_four_eyes("Q01", session, NULL, NULL, 0), KC_FOUR_EYES_SAME_PERSON);
	/* enrolled by the operator: at any time */
	assert_int_equal(kc_rules_four_eyes("Q01", session, "M09", "Q01", 5),
			 KC_FOUR_EYES_ENROLLED_BY_OPERATOR);
	assert_int_equal(kc_rules_four_eyes("Q01", 0, "M09", "Q01", 5),
			 KC_FOUR_EYES_ENROLLED_BY_OPERATOR);
	/* enrolled in the operator's session, by the administrator or anyone */
	assert_int_equal(kc_rules_four_eyes("Q01", session, "M09", NULL, session),
			 KC_FOUR_EYES_ENROLLED_IN_SESSION);
	assert_int_equal(kc_rules_four_eyes("Q01", session, "M09", "S02", session + 1),
			 KC_FOUR_EYES_ENROLLED_IN_SESSION);
	/* no session known: only who, not when */
	assert_int_equal(kc_rules_four_eyes("Q01", 0, "M09", NULL, session), KC_FOUR_EYES_OK);
}

/* The four eyes in a release, with the operator's session in the store. */
static void test_rule4_four_eyes_store(void **state)
{
	struct kc_release_req r = { .operator_code = "S01", .operator_role = "staff", .key = "KS",
				    .purpose = "emergency", .approver_role = "manager",
				    .approver_verified = true };
	int64_t t = kc_wall_ms();

	(void)state;
	sql("INSERT INTO sessions (token_hash, person, created_ms, last_ms) VALUES ('h1','S01',%lld,%lld)",
	    (long long)(t - 60000), (long long)t);
	sql("INSERT INTO people (code, name, role, enrolled_by, enrolled_ms) VALUES"
	    " ('M02','New','manager',NULL,%lld), ('M03','Own','manager','S01',%lld)",
	    (long long)(t - 1000), (long long)(t - 3600000));
	r.approver = "M02";
	expect_release(&r, 4, "second person's approval", "rule 4: approver registered in the session");
	assert_msg(&last, 0, "approver_enrolled_in_session", "approver", "M02");
	assert_msg(&last, 0, "approver_enrolled_in_session", "operator", "S01");
	r.approver = "M03";
	expect_release(&r, 4, "second person's approval", "rule 4: approver the operator registered");
	assert_msg(&last, 0, "approver_enrolled_by_operator", "approver", "M03");
	r.approver = "M01";
	expect_release(&r, -1, NULL, "rule 4: approver registered before the session");
	r.approver = NULL;
	r.approver_role = NULL;
	sql("UPDATE approvals SET manager = 'M02' WHERE id = 1");
	r.approval = 1;
	expect_release(&r, 4, "second person's approval", "rule 4: approval issued by a manager registered in the session");
	sql("UPDATE approvals SET manager = 'M01' WHERE id = 1");
	expect_release(&r, -1, NULL, "rule 4: approval issued by a manager registered before");
	r.operator_code = "M01";
	r.operator_role = "manager";
	expect_release(&r, 4, "second person's approval", "rule 4: a manager opens with his own approval");
}

static void test_rule5_vacant(void **state)
{
	struct kc_release_req r = { .operator_code = "S01", .operator_role = "staff", .key = "KV",
				    .purpose = "inspection", .borrower = "E01" };

	(void)state;
	expect_release(&r, 5, "due time", "rule 5: no due time");
	assert_msg(&last, 0, "vacant_key_due_needed", NULL, NULL);
	r.due_ms = now - 1000;
	expect_release(&r, 5, "future", "rule 5: due in the past");
	assert_msg(&last, 0, "due_time_past", NULL, NULL);
	r.due_ms = now + 3600000;
	expect_release(&r, -1, NULL, "rule 5: inspection with due time");
	r.purpose = "borrow";
	expect_release(&r, 5, "inspection or repair", "rule 5: vacant key to borrow");
	assert_msg(&last, 0, "vacant_key_wrong_purpose", "purpose", "borrow");
	r.purpose = "repair";
	r.borrower = "NOBODY";
	expect_release(&r, 0, NULL, "rule 5: unknown borrower");
	assert_msg(&last, 0, "person_unknown", "person", "NOBODY");
}

static void test_rule6_repair(void **state)
{
	struct kc_release_req r = { .operator_code = "S01", .operator_role = "staff", .key = "KR",
				    .purpose = "repair", .borrower = "E01" };
	struct kc_decision d;

	(void)state;
	expect_release(&r, 6, "work order", "rule 6: no work order");
	assert_msg(&last, 0, "work_order_needed", NULL, NULL);
	r.work_order = "WO-1";
	kc_decision_init(&d);
	assert_int_equal(release(&r, now, &d), 0);
	assert_true(d.granted);
	assert_int_equal(d.due_ms, kc_rules_end_of_day(now));
	printf("rule 6: granted, due back at the end of the day\n");
	kc_decision_clear(&d);
	r.due_ms = kc_rules_end_of_day(now) + DAY;
	expect_release(&r, 6, "due time today", "rule 6: due tomorrow");
	assert_msg(&last, 0, "repair_due_after_today", NULL, NULL);
	r.due_ms = 0;
	r.borrower = "S02";
	expect_release(&r, 6, "engineer", "rule 6: repair key to staff");
	assert_msg(&last, 0, "repair_key_not_engineer", "person", "S02");
	assert_msg(&last, 0, "repair_key_not_engineer", "role", "staff");
}

static void test_rule7_expired(void **state)
{
	struct kc_release_req r = borrow();

	(void)state;
	sql("UPDATE entrustments SET end_ms = %lld WHERE id = 1", (long long)(now - 1000));
	expect_release(&r, 7, "owner in person", "rule 7: entrustment ended: owner only");
	assert_msg(&last, 0, "entrustment_ended", "key", "KE");
}

static void test_rule8_collect(void **state)
{
	struct kc_decision d;

	(void)state;
	kc_decision_init(&d);
	assert_int_equal(collect("S01", "staff", "KE", "110101198001011232", "SIG-9",
					  now, &d),
			 0);
	assert_true(d.granted);
	assert_string_equal(d.borrower, "O1");
	printf("rule 8: owner's ID matches, signed -> granted\n");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	assert_int_equal(collect("S01", "staff", "KE", "110101198001019998", "SIG-9",
					  now, &d),
			 0);
	assert_false(d.granted);
	assert_int_equal(d.rule, 8);
	printf("rule 8: wrong ID -> %s\n", d.reason);
	check_messages(&d);
	assert_msg(&d, 0, "owner_id_mismatch", "key", "KE");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	assert_int_equal(collect("S01", "staff", "KE", "110101198001011232", NULL, now,
					  &d),
			 0);
	assert_false(d.granted);
	assert_true(missing_has(&d, "signature"));
	check_messages(&d);
	assert_msg(&d, 0, "owner_signature_needed", NULL, NULL);
	kc_decision_clear(&d);
	kc_decision_init(&d);
	assert_int_equal(collect("S01", "staff", "KV", "110101198001011232", "S", now,
					  &d),
			 0);
	assert_false(d.granted);
	assert_int_equal(d.rule, 8);
	printf("rule 8: key with no entrustment -> %s\n", d.reason);
	check_messages(&d);
	assert_msg(&d, 0, "nothing_to_collect", "key", "KV");
	kc_decision_clear(&d);
}

static void test_rule3_id_release(void **state)
{
	struct kc_decision d;

	(void)state;
	sql("INSERT INTO loans (id, key, kind, purpose, borrower, borrower_type, operator, slot,"
	    " granted_ms, window_ms, state) VALUES (5,'KE','entrusted','borrow','Tenant Tan',"
	    " 'borrower','S01','A1',%lld,10000,'out');"
	    "INSERT INTO ids_held (loan, person, id_type, id_hash, id_masked, held_ms) VALUES"
	    " (5,'Tenant Tan','passport','x','****4321',%lld)",
	    (long long)now, (long long)now);
	kc_decision_init(&d);
	assert_int_equal(id_release("S01", 5, &d), 0);
	assert_false(d.granted);
	assert_int_equal(d.rule, 3);
	printf("rule 3: key out -> %s\n", d.reason);
	check_messages(&d);
	assert_msg(&d, 0, "id_key_not_back", "key", "KE");
	assert_msg(&d, 0, "id_key_not_back", "loan", "5");
	kc_decision_clear(&d);
	sql("UPDATE loans SET state = 'returned' WHERE id = 5");
	kc_decision_init(&d);
	assert_int_equal(id_release("S01", 5, &d), 0);
	assert_true(d.granted);
	printf("rule 3: key back -> the ID may go back\n");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	assert_int_equal(id_release("S01", 6, &d), 0);
	assert_false(d.granted);
	check_messages(&d);
	assert_msg(&d, 0, "id_not_held", "loan", "6");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	assert_int_equal(id_release(NULL, 5, &d), 0);
	assert_int_equal(d.rule, 1);
	check_messages(&d);
	assert_msg(&d, 0, "id_release_no_operator", NULL, NULL);
	kc_decision_clear(&d);
	sql("UPDATE ids_held SET released_ms = %lld WHERE loan = 5", (long long)now);
	kc_decision_init(&d);
	assert_int_equal(id_release("S01", 5, &d), 0);
	assert_false(d.granted);
	check_messages(&d);
	assert_msg(&d, 0, "id_given_back", "loan", "5");
	kc_decision_clear(&d);
}

/* One pure decision: granted, or refused by rule with missing items. */
static void expect(const struct kc_decision *d, bool granted, int rule, const char *missing0,
		   const char *what)
{
	printf("%s -> %s\n", what, d->granted ? "granted" : d->reason);
	check_messages(d);
	assert_int_equal(d->granted, granted);
	if (granted)
		return;
	assert_int_equal(d->rule, rule);
	assert_true(d->reason[0] != '\0');
	if (missing0)
		assert_string_equal(json_string_value(json_array_get(d->missing, 0)), missing0);
	else
		assert_int_equal(json_array_size(d->missing), 0);
}

static void test_rule4_approve(void **state)
{
	struct kc_key_info sealed = { .code = "KS", .kind = KC_KIND_SEALED };
	struct kc_key_info vacant = { .code = "KV", .kind = KC_KIND_VACANT };
	struct kc_decision d;

	(void)state;
	kc_decision_init(&d);
	kc_rules_approve("KS", &sealed, &d);
	expect(&d, true, 0, NULL, "rule 4: approval for a sealed key");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_approve("KV", &vacant, &d);
	expect(&d, false, 4, NULL, "rule 4: approval for a vacant key");
	assert_msg(&d, 0, "key_not_sealed", "key", "KV");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_approve("K-NOPE", NULL, &d);
	expect(&d, false, 0, NULL, "rule 4: approval for no key");
	assert_msg(&d, 0, "approval_key_unknown", "key", "K-NOPE");
	assert_non_null(strstr(d.reason, "K-NOPE"));
	kc_decision_clear(&d);
}

/* The desk's bound on a due time ([desk] max_loan_<purpose>): up to the
 * bound granted, past it refused naming the limit and its key; seconds
 * that would overflow a time are past any bound. */
static void test_due_bound(void **state)
{
	const int64_t t0 = 1764547200000LL; /* 2025-12-01 00:00 UTC, a midnight */
	enum kc_purpose p;
	struct kc_decision d;

	(void)state;
	assert_int_equal(kc_purpose_find("inspection", &p), 0);
	assert_int_equal(p, KC_PURPOSE_INSPECTION);
	assert_int_equal(kc_purpose_find("owner_collect", &p), -ENOENT);
	assert_int_equal(kc_purpose_find(NULL, &p), -ENOENT);
	assert_string_equal(kc_purpose_name(KC_PURPOSE_EMERGENCY), "emergency");
	assert_int_equal(kc_rules_due_in(t0, 3600), t0 + 3600000);
	assert_int_equal(kc_rules_due_in(t0, INT64_MAX), INT64_MAX);
	assert_int_equal(kc_rules_due_in(t0, INT64_MAX / 1000), INT64_MAX);
	assert_int_equal(kc_rules_due_in(t0, INT64_MIN), INT64_MAX);
	kc_decision_init(&d);
	kc_rules_due_bound(KC_PURPOSE_INSPECTION, KC_DAY_MS, t0, t0 + KC_DAY_MS, &d);
	expect(&d, true, 0, NULL, "a due time at the bound");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_due_bound(KC_PURPOSE_INSPECTION, KC_DAY_MS, t0, 0, &d);
	expect(&d, true, 0, NULL, "no due time");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_due_bound(KC_PURPOSE_INSPECTION, KC_DAY_MS, t0, t0 + KC_DAY_MS + 1, &d);
	expect(&d, false, 0, "due time within the limit", "a due time 1 ms past the bound");
	assert_msg(&d, 0, "due_beyond_limit", "limit", "1d");
	assert_msg(&d, 0, "due_beyond_limit", "setting", "[desk] max_loan_inspection");
	assert_msg(&d, 0, "due_beyond_limit", "latest", "2025-12-02 00:00");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_due_bound(KC_PURPOSE_BORROW, 36 * 3600000LL, t0, kc_rules_due_in(t0, INT64_MAX), &d);
	expect(&d, false, 0, "due time within the limit", "2^63-1 seconds ahead");
	assert_msg(&d, 0, "due_beyond_limit", "limit", "36h");
	kc_decision_clear(&d);
}

static void test_rule5_inspect(void **state)
{
	struct kc_loan_facts l = { .key = "KV", .purpose = "inspection", .state = "returned",
				   .inspection = "pending", .borrower = "E01" };
	struct kc_decision d;

	(void)state;
	kc_decision_init(&d);
	kc_rules_inspect(7, &l, "ok", NULL, NULL, &d);
	expect(&d, true, 0, NULL, "rule 5: inspection of a returned key");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_inspect(7, &l, "problems", "door sticks", "", &d);
	expect(&d, false, 5, "problems found", "rule 5: problems not forwarded");
	assert_msg(&d, 0, "inspection_problems_not_forwarded", NULL, NULL);
	assert_int_equal(json_array_size(d.missing), 2);
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_inspect(7, &l, "problems", "door sticks", "engineering", &d);
	expect(&d, true, 0, NULL, "rule 5: problems forwarded");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_inspect(8, NULL, "ok", NULL, NULL, &d);
	expect(&d, false, 0, NULL, "rule 5: no such loan");
	assert_msg(&d, 0, "loan_unknown", "loan", "8");
	assert_string_equal(d.reason, "There is no loan 8.");
	kc_decision_clear(&d);
	strcpy(l.state, "out");
	kc_decision_init(&d);
	kc_rules_inspect(7, &l, "ok", NULL, NULL, &d);
	expect(&d, false, 5, "key returned", "rule 5: key not back");
	assert_msg(&d, 0, "inspection_key_not_back", "loan", "7");
	kc_decision_clear(&d);
	strcpy(l.state, "returned");
	strcpy(l.purpose, "repair");
	kc_decision_init(&d);
	kc_rules_inspect(7, &l, "ok", NULL, NULL, &d);
	expect(&d, false, 5, NULL, "rule 5: a repair loan");
	assert_msg(&d, 0, "loan_not_inspection", "purpose", "repair");
	kc_decision_clear(&d);
	strcpy(l.purpose, "inspection");
	strcpy(l.inspection, "recorded");
	kc_decision_init(&d);
	kc_rules_inspect(7, &l, "ok", NULL, NULL, &d);
	expect(&d, false, 0, NULL, "rule 5: recorded already");
	assert_msg(&d, 0, "inspection_recorded_already", "loan", "7");
	kc_decision_clear(&d);
}

static void test_rule7_notice_stage(void **state)
{
	const int64_t lead = 7 * DAY, reminder = DAY;
	int64_t end = kc_local_next_day(now) + 10 * DAY; /* the end of a local day 10 days on */

	(void)state;
	assert_null(kc_rules_notice_stage(lead, reminder, end - 8 * DAY, end, 0, false, false));
	assert_string_equal(kc_rules_notice_stage(lead, reminder, end - 6 * DAY, end, 0, false, false),
			    "before_end");
	assert_null(kc_rules_notice_stage(lead, reminder, end - 6 * DAY, end, end - 6 * DAY, true,
					  false));
	assert_string_equal(kc_rules_notice_stage(lead, reminder, end - DAY / 2, end, 0, true, false),
			    "end");
	assert_null(kc_rules_notice_stage(lead, reminder, end - DAY / 2, end, end - DAY / 2, true,
					  true));
	assert_null(kc_rules_notice_stage(lead, reminder, end + 1000, end, end - 1000, true, true));
	assert_string_equal(kc_rules_notice_stage(lead, reminder, end + DAY, end, end - 1000, true,
						  true),
			    "reminder");
	printf("rule 7: before the end, on the end date, reminders a day apart\n");
}

static void test_rule9_returns(void **state)
{
	struct kc_key_info k = { .code = "KE", .home_slot = "A1" };
	char detail[200];
	json_t *m;

	(void)state;
	assert_false(kc_rules_overdue(0, now));
	assert_false(kc_rules_overdue(now + 1000, now));
	assert_true(kc_rules_overdue(now - 1000, now));
	assert_null(kc_rules_wrong_slot(&k, "A1"));
	m = kc_rules_wrong_slot(&k, "A7");
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "code")), "alarm_key_wrong_slot");
	assert_string_equal(json_string_value(json_object_get(json_object_get(m, "params"), "home")), "A1");
	assert_int_equal(kc_msg_render(m, KC_LANG_EN, detail, sizeof(detail)), 0);
	assert_string_equal(detail, "key KE was put in slot A7; its slot is A1");
	printf("rule 9: %s\n", detail);
	assert_int_equal(kc_msg_render(m, KC_LANG_ZH, detail, sizeof(detail)), 0);
	assert_non_null(strstr(detail, "A7"));
	assert_string_not_equal(detail, "key KE was put in slot A7; its slot is A1");
	json_decref(m);
}

static void test_rule9_reseat(void **state)
{
	struct kc_key_info k = { .code = "KE", .home_slot = "A1", .slot = "A7", .state = KC_KEY_IN };
	struct kc_key_info home = k, out = k;
	struct kc_decision d;

	(void)state;
	kc_strlcpy(home.slot, "A1", sizeof(home.slot));
	out.state = KC_KEY_OUT;
	out.slot[0] = '\0';
	kc_decision_init(&d);
	kc_rules_reseat("S01", "staff", "KE", &k, false, 0, &d);
	expect(&d, true, 0, NULL, "rule 9: re-seat of a key in a wrong slot");
	assert_string_equal(d.key.slot, "A7");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_reseat("S01", "staff", "KE", &k, false, KC_RULES_MAX_WINDOWS - 1, &d);
	expect(&d, true, 0, NULL, "rule 9: re-seat with the last window free");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_reseat(NULL, NULL, "KE", &k, false, 0, &d);
	expect(&d, false, 1, "operator login", "rule 1: re-seat with nobody logged in");
	assert_msg(&d, 0, "reseat_no_operator", NULL, NULL);
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_reseat("E01", "engineer", "KE", &k, false, 0, &d);
	expect(&d, false, 1, "staff login", "rule 1: re-seat by an engineer");
	assert_msg(&d, 0, "reseat_operator_not_staff", "role", "engineer");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_reseat("S01", "staff", "KX", NULL, false, 0, &d);
	expect(&d, false, 0, NULL, "re-seat of no such key");
	assert_msg(&d, 0, "reseat_key_unknown", "key", "KX");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_reseat("S01", "staff", "KE", &home, false, 0, &d);
	expect(&d, false, 9, NULL, "rule 9: re-seat of a key in its own slot");
	assert_msg(&d, 0, "reseat_key_at_home", "slot", "A1");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_reseat("S01", "staff", "KE", &out, false, 0, &d);
	expect(&d, false, 9, NULL, "rule 9: re-seat of a key on loan");
	assert_msg(&d, 0, "reseat_key_not_in_slot", "state", "out");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_reseat("S01", "staff", "KE", &k, true, 0, &d);
	expect(&d, false, 9, "empty home slot", "rule 9: re-seat with the home slot taken");
	assert_msg(&d, 0, "reseat_home_taken", "slot", "A1");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_reseat("S01", "staff", "KE", &k, false, KC_RULES_MAX_WINDOWS, &d);
	expect(&d, false, 10, "free release window", "rule 10: re-seat with every window open");
	assert_msg(&d, 0, "reseat_windows_full", "count", "64");
	kc_decision_clear(&d);
}

/* slot_refused(use, key, slot, windows, f, code, reason): the slot may not
 * open; its one message is code (with the key for a release, the slot) and
 * the English reason, rule 10, a working slot missing. */
static void slot_refused(enum kc_slot_use use, const char *key, const char *slot, int windows,
			 const struct kc_slot_facts *f, const char *code, const char *reason)
{
	struct kc_decision d;
	json_t *m, *p;

	kc_decision_init(&d);
	d.granted = true;
	assert_false(kc_rules_slot_usable(use, key, slot, windows, f, &d));
	printf("rule 10: %s\n", d.reason);
	assert_false(d.granted);
	assert_int_equal(d.rule, 10);
	assert_string_equal(d.reason, reason);
	assert_int_equal(json_array_size(d.msgs), 1);
	m = json_array_get(d.msgs, 0);
	p = json_object_get(m, "params");
	assert_string_equal(json_string_value(json_object_get(m, "code")), code);
	assert_string_equal(json_string_value(json_object_get(p, "slot")), slot);
	if (use == KC_SLOT_FOR_RELEASE)
		assert_string_equal(json_string_value(json_object_get(p, "key")), key);
	else
		assert_null(json_object_get(p, "key"));
	assert_int_equal(json_array_size(d.missing), 1);
	assert_string_equal(json_string_value(json_array_get(d.missing, 0)), "working slot");
	kc_decision_clear(&d);
}

static void test_rule10_slot_usable(void **state)
{
	struct kc_slot_facts ok = { .in_file = true };
	struct kc_slot_facts f;
	struct kc_decision d;

	(void)state;
	kc_decision_init(&d);
	d.granted = true;
	assert_true(kc_rules_slot_usable(KC_SLOT_FOR_RELEASE, "KA", "A1", 0, NULL, &d));
	assert_true(kc_rules_slot_usable(KC_SLOT_FOR_RESEAT, "KA", "A1", KC_RULES_MAX_WINDOWS - 1,
					 &ok, &d));
	assert_true(d.granted);
	assert_int_equal(json_array_size(d.msgs), 0);
	assert_string_equal(d.reason, "");
	kc_decision_clear(&d);

	slot_refused(KC_SLOT_FOR_RELEASE, "KA", "A1", KC_RULES_MAX_WINDOWS, &ok,
		     "release_slot_windows_full",
		     "Key KA cannot be released: 64 releases are open at once; try again when one closes.");
	slot_refused(KC_SLOT_FOR_RESEAT, "KA", "A1", KC_RULES_MAX_WINDOWS, NULL,
		     "reseat_slot_windows_full",
		     "Slot A1 cannot be opened: 64 releases are open at once; try again when one closes.");
	f = (struct kc_slot_facts){ .in_file = false };
	slot_refused(KC_SLOT_FOR_RELEASE, "KA", "Z9", 0, &f, "release_slot_not_in_file",
		     "Key KA cannot be released: slot Z9 is not in the cabinet file.");
	slot_refused(KC_SLOT_FOR_RESEAT, "KA", "Z9", 0, &f, "reseat_slot_not_in_file",
		     "Slot Z9 cannot be opened: slot Z9 is not in the cabinet file.");
	f = (struct kc_slot_facts){ .in_file = true, .fault = true };
	slot_refused(KC_SLOT_FOR_RELEASE, "KA", "A1", 0, &f, "release_slot_fault",
		     "Key KA cannot be released: the board of slot A1 is not answering (fault).");
	f = (struct kc_slot_facts){ .in_file = true, .lock_on = true };
	slot_refused(KC_SLOT_FOR_RESEAT, "KA", "A1", 0, &f, "reseat_slot_busy",
		     "Slot A1 cannot be opened: slot A1 is still open from the last release; try again in a moment.");
	f = (struct kc_slot_facts){ .in_file = true, .unknown = true };
	slot_refused(KC_SLOT_FOR_RELEASE, "KA", "A1", 0, &f, "release_slot_unread",
		     "Key KA cannot be released: slot A1 has not been read yet; try again in a moment.");
	f = (struct kc_slot_facts){ .in_file = true, .empty = true };
	slot_refused(KC_SLOT_FOR_RELEASE, "KA", "A1", 0, &f, "release_slot_empty",
		     "Key KA cannot be released: slot A1 reads empty although the key is recorded there.");
}

static void test_rule11_alarm_clear(void **state)
{
	struct kc_decision d;

	(void)state;
	kc_decision_init(&d);
	kc_rules_alarm_clear(3, true, 0, "key put back", &d);
	expect(&d, true, 0, NULL, "rule 11: clear with a note");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_alarm_clear(3, true, 0, "", &d);
	expect(&d, false, 11, "note", "rule 11: clear without a note");
	assert_msg(&d, 0, "alarm_note_needed", NULL, NULL);
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_alarm_clear(3, false, 0, "x", &d);
	expect(&d, false, 0, NULL, "rule 11: no such alarm");
	assert_msg(&d, 0, "alarm_unknown", "alarm", "3");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_alarm_clear(3, true, now, "x", &d);
	expect(&d, false, 0, NULL, "rule 11: cleared already");
	assert_msg(&d, 0, "alarm_cleared_already", "alarm", "3");
	kc_decision_clear(&d);
}

static void test_rule12_handover(void **state)
{
	struct kc_handover_facts h = { .outgoing = "S01" };
	struct kc_decision d;

	(void)state;
	kc_decision_init(&d);
	kc_rules_handover_sign(4, &h, "S01", false, &d);
	expect(&d, false, 12, "incoming staff login", "rule 12: confirmed by who started it");
	assert_msg(&d, 0, "handover_confirm_by_outgoing", "person", "S01");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_handover_sign(4, &h, "Q01", true, &d);
	expect(&d, false, 12, "incoming staff confirmation", "rule 12: reviewed before confirmed");
	assert_msg(&d, 0, "handover_not_confirmed", "handover", "4");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_handover_sign(4, &h, "S02", false, &d);
	expect(&d, true, 0, NULL, "rule 12: confirmed by the incoming staff");
	kc_decision_clear(&d);
	strcpy(h.incoming, "S02");
	h.confirmed_ms = now;
	kc_decision_init(&d);
	kc_rules_handover_sign(4, &h, "S03", false, &d);
	expect(&d, false, 12, NULL, "rule 12: confirmed twice");
	assert_msg(&d, 0, "handover_confirmed_already", "person", "S02");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_handover_sign(4, &h, "Q01", true, &d);
	expect(&d, true, 0, NULL, "rule 12: reviewed");
	kc_decision_clear(&d);
	h.reviewed_ms = now;
	kc_decision_init(&d);
	kc_rules_handover_sign(4, &h, "Q01", true, &d);
	expect(&d, false, 12, NULL, "rule 12: reviewed twice");
	assert_msg(&d, 0, "handover_reviewed_already", "handover", "4");
	kc_decision_clear(&d);
	kc_decision_init(&d);
	kc_rules_handover_sign(5, NULL, "Q01", true, &d);
	expect(&d, false, 0, NULL, "rule 12: no such handover");
	assert_msg(&d, 0, "handover_unknown", "handover", "5");
	kc_decision_clear(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rule1_operator, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule2_3_borrow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule4_sealed, setup, teardown),
		cmocka_unit_test(test_rule4_four_eyes),
		cmocka_unit_test_setup_teardown(test_rule4_four_eyes_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule5_vacant, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule6_repair, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule7_expired, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule8_collect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rule3_id_release, setup, teardown),
		cmocka_unit_test(test_rule4_approve),
		cmocka_unit_test(test_due_bound),
		cmocka_unit_test(test_rule5_inspect),
		cmocka_unit_test(test_rule7_notice_stage),
		cmocka_unit_test(test_rule9_returns),
		cmocka_unit_test(test_rule9_reseat),
		cmocka_unit_test(test_rule10_slot_usable),
		cmocka_unit_test(test_rule11_alarm_clear),
		cmocka_unit_test(test_rule12_handover),
	};

	static const unsigned char key[KC_HASH_KEY_LEN] = { 7 };

	kc_pdata_init();
	kc_pdata_key_set(key, sizeof(key));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
