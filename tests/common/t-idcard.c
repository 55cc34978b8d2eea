/* Unit tests of common/idcard.c: 居民身份证 numbers (GB 11643-1999). The
 * valid numbers below were computed apart from the code under test. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/idcard.h"

#define TODAY 20250601

static const char *const valid[] = {
	"11010519491231002X", /* the standard's own example: check character X */
	"440304199001011233",
	"310115200002294567", /* 29 February of a leap year divisible by 400 */
	"650102190001010016", /* 1 January 1900, the earliest date */
	"530102202406157890",
	"810000198511110007", /* a Hong Kong resident's permit */
};

static void test_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		assert_int_equal(kc_idcard_check(valid[i], TODAY), 0);
		assert_int_equal(kc_idcard_check_char(valid[i]), valid[i][17]);
	}
	/* a lower-case x is the same check character */
	assert_int_equal(kc_idcard_check("11010519491231002x", TODAY), 0);
	/* born today */
	assert_int_equal(kc_idcard_check("530102202406157890", 20240615), 0);
}

static void test_length_and_characters(void **state)
{
	(void)state;
	assert_int_equal(kc_idcard_check(NULL, TODAY), -EINVAL);
	assert_int_equal(kc_idcard_check("", TODAY), -EINVAL);
	assert_int_equal(kc_idcard_check("11010519491231002", TODAY), -EINVAL);   /* 17 */
	assert_int_equal(kc_idcard_check("11010519491231002X0", TODAY), -EINVAL); /* 19 */
	assert_int_equal(kc_idcard_check("110105194912310", TODAY), -EINVAL);     /* 15: old cards */
	assert_int_equal(kc_idcard_check("1101051949123100X2", TODAY), -EINVAL);  /* X not last */
	assert_int_equal(kc_idcard_check("11010519491231002Y", TODAY), -EINVAL);
	assert_int_equal(kc_idcard_check("1101051949 231002X", TODAY), -EINVAL);
	assert_int_equal(kc_idcard_check("11010519491231002X ", TODAY), -EINVAL);
	assert_int_equal(kc_idcard_check("-1010519491231002X", TODAY), -EINVAL);
	/* full-width digits are not digits (and not 18 bytes) */
	assert_int_equal(kc_idcard_check("１１0105194912310021", TODAY), -EINVAL);
	assert_int_equal(kc_idcard_check_char("1101051949123100"), 0);
	assert_int_equal(kc_idcard_check_char("1101051949123100a"), 0);
	assert_int_equal(kc_idcard_check_char(NULL), 0);
}

static void test_region(void **state)
{
	(void)state;
	/* valid check character, region starting with 0 */
	assert_int_equal(kc_idcard_check("010105194912310026", TODAY), -EDOM);
}

static void test_birth_date(void **state)
{
	char n[KC_IDCARD_LEN + 1];
	static const struct {
		const char *date;
		int rc;
	} dates[] = {
		{ "19491231", 0 },       { "20000229", 0 },        { "20240229", 0 },
		{ "19000101", 0 },       { "20250601", 0 },        { "18991231", -ERANGE },
		{ "19000229", -ERANGE }, /* 1900 was not a leap year */
		{ "20230229", -ERANGE }, { "19490230", -ERANGE }, { "19490431", -ERANGE },
		{ "19491301", -ERANGE }, { "19490001", -ERANGE }, { "19490100", -ERANGE },
		{ "19490132", -ERANGE }, { "20250602", -ERANGE }, /* tomorrow */
		{ "20990101", -ERANGE }, { "00000000", -ERANGE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		/* a correct check character, so only the date can be wrong */
		snprintf(n, sizeof(n), "110105%s002", dates[i].date);
		n[17] = kc_idcard_check_char(n);
		n[18] = 0;
		if (kc_idcard_check(n, TODAY) != dates[i].rc)
			fail_msg("%s: %d, want %d", n, kc_idcard_check(n, TODAY), dates[i].rc);
	}
}

/* Every single wrong character is caught: as a wrong check character, or
 * as a region or date that cannot be. */
static void test_one_wrong_digit(void **state)
{
	char n[KC_IDCARD_LEN + 1];

	(void)state;
	for (size_t v = 0; v < sizeof(valid) / sizeof(valid[0]); v++) {
		for (int pos = 0; pos < KC_IDCARD_LEN; pos++) {
			for (char c = '0'; c <= '9' + 1; c++) {
				char put = c > '9' ? 'X' : c;
				int rc;

				memcpy(n, valid[v], sizeof(n));
				if (n[pos] == put || (put == 'X' && pos < 17))
					continue;
				n[pos] = put;
				rc = kc_idcard_check(n, TODAY);
				if (pos == 0 && put == '0') {
					assert_int_equal(rc, -EDOM);
				} else if (pos >= 6 && pos < 14) {
					if (rc != -EBADMSG && rc != -ERANGE)
						fail_msg("%s (from %s): %d", n, valid[v], rc);
				} else if (rc != -EBADMSG) {
					fail_msg("%s (from %s): %d, want -EBADMSG", n, valid[v], rc);
				}
			}
		}
	}
	/* the example in words: one digit of the sequence number off by one */
	assert_int_equal(kc_idcard_check("11010519491231003X", TODAY), -EBADMSG);
	assert_int_equal(kc_idcard_check("110105194912310021", TODAY), -EBADMSG);
}

/* Two neighbours swapped are always caught; so are swaps at any distance
 * but 10, where MOD 11-2's weights repeat. */
static void test_swapped_digits(void **state)
{
	char n[KC_IDCARD_LEN + 1];

	(void)state;
	for (size_t v = 0; v < sizeof(valid) / sizeof(valid[0]); v++) {
		for (int i = 0; i < KC_IDCARD_LEN - 1; i++) {
			for (int j = i + 1; j < KC_IDCARD_LEN; j++) {
				int rc;

				memcpy(n, valid[v], sizeof(n));
				if (n[i] == n[j] || j - i == 10 || (j == 17 && n[17] == 'X'))
					continue;
				n[i] = valid[v][j];
				n[j] = valid[v][i];
				rc = kc_idcard_check(n, TODAY);
				if (rc == 0)
					fail_msg("%s (%s with %d and %d swapped) passes", n,
						 valid[v], i, j);
			}
		}
	}
	assert_int_equal(kc_idcard_check("440304199001012133", TODAY), -EBADMSG); /* 1 and 2 */
	assert_int_equal(kc_idcard_check("10110519491231002X", TODAY), -EBADMSG); /* 1 and 0 */
}

static void test_messages(void **state)
{
	static const int codes[] = { -EINVAL, -EDOM, -ERANGE, -EBADMSG };
	static const char *const names[] = { "id_card_form", "id_card_region", "id_card_birth_date",
					     "id_card_check_char" };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(kc_msg_name(kc_idcard_msg(codes[i])), names[i]);
		assert_true(strlen(kc_msg_template(kc_idcard_msg(codes[i]))) > 0);
	}
	assert_string_equal(kc_msg_name(kc_idcard_msg(-EIO)), "id_card_form");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_length_and_characters),
		cmocka_unit_test(test_region),
		cmocka_unit_test(test_birth_date),
		cmocka_unit_test(test_one_wrong_digit),
		cmocka_unit_test(test_swapped_digits),
		cmocka_unit_test(test_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
