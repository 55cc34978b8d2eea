/* keycab's rendering of keycabd's refusals and errors (controller/cli/lang.c)
 * against the built catalogue ($KEYCAB_LOCALEDIR): Chinese from the code
 * and parameters, the rule named and what is missing translated; a code
 * this build does not know falls back to the English text as sent;
 * English output is the text as sent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "controller/cli/cli.h"

/* What cli_lang_print_failure prints for the reply given as JSON text. */
static char *render(const char *json, enum kc_lang lang)
{
	json_t *rep = json_loads(json, 0, NULL);
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	assert_non_null(rep);
	assert_non_null(f);
	cli_lang_print_failure(f, rep, lang);
	fclose(f);
	json_decref(rep);
	return out;
}

static void expect_text(const char *json, enum kc_lang lang, const char *want)
{
	char *got = render(json, lang);

	assert_string_equal(got, want);
	free(got);
}

static void test_refusal_known(void **state)
{
	const char *rep = "{\"ok\": false, \"refused\": true, \"rule\": 2,"
			  " \"reason\": \"The database is busy; try again.\","
			  " \"messages\": [{\"code\": \"db_busy\", \"params\": {}}],"
			  " \"missing\": [\"borrower contact\", \"borrower name\"]}";

	(void)state;
	expect_text(rep, KC_LANG_ZH,
		    "未能办理（保管规则 2：业主授权借用）：数据库忙，请重试。\n"
		    "  缺少：借用人联系方式、借用人姓名\n");
	expect_text(rep, KC_LANG_EN,
		    "REFUSED (custody rule 2): The database is busy; try again.\n"
		    "  missing: borrower contact, borrower name\n");
}

static void test_refusal_unknown_code(void **state)
{
	const char *rep = "{\"ok\": false, \"refused\": true, \"rule\": 4,"
			  " \"reason\": \"Said by a newer keycabd.\","
			  " \"messages\": [{\"code\": \"from_a_newer_keycabd\", \"params\": {}}],"
			  " \"missing\": [\"something new\"]}";

	(void)state;
	/* the English as sent; an unknown missing item as it is */
	expect_text(rep, KC_LANG_ZH,
		    "未能办理（保管规则 4：封存钥匙审批）：Said by a newer keycabd.\n"
		    "  缺少：something new\n");
	expect_text(rep, KC_LANG_EN, "REFUSED (custody rule 4): Said by a newer keycabd.\n"
				     "  missing: something new\n");
}

static void test_refusal_no_rule_no_code(void **state)
{
	const char *rep = "{\"ok\": false, \"refused\": true, \"rule\": 0,"
			  " \"reason\": \"There is no loan 9.\", \"missing\": []}";

	(void)state;
	expect_text(rep, KC_LANG_ZH, "未能办理：There is no loan 9.\n");
	expect_text(rep, KC_LANG_EN, "REFUSED: There is no loan 9.\n");
}

static void test_error(void **state)
{
	const char *known = "{\"ok\": false, \"code\": \"db_read_failed\","
			    " \"params\": {\"detail\": \"disk I/O error\"},"
			    " \"error\": \"Database read failed: disk I/O error.\"}";
	const char *unknown = "{\"ok\": false, \"code\": \"from_a_newer_keycabd\","
			      " \"params\": {}, \"error\": \"Something new went wrong.\"}";

	(void)state;
	expect_text(known, KC_LANG_ZH, "keycab：错误：数据库读取失败：disk I/O error。\n");
	expect_text(known, KC_LANG_EN, "keycab: error: Database read failed: disk I/O error.\n");
	expect_text(unknown, KC_LANG_ZH, "keycab：错误：Something new went wrong.\n");
	expect_text(unknown, KC_LANG_EN, "keycab: error: Something new went wrong.\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusal_known),
		cmocka_unit_test(test_refusal_unknown_code),
		cmocka_unit_test(test_refusal_no_rule_no_code),
		cmocka_unit_test(test_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
