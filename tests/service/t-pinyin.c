/* service/pinyin.c: names found by pinyin against the table generated
 * from Unihan (build/gen/pinyin/pinyin_table.c): whole, spaced, initials,
 * partial from a syllable's start, case, every reading of a polyphone,
 * ü as v and u, bad UTF-8, over-long names and queries; the pinyin shown
 * beside a name; the table itself sorted and in a-z. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "service/pinyin.h"

static bool names(const char *name, const char *query)
{
	struct kc_pinyin_query q;

	return kc_pinyin_query_set(&q, query) == 0 && kc_pinyin_match(name, &q);
}

static void test_match(void **state)
{
	static const char *const yes[][2] = {
		{ "张敏", "zhangmin" }, { "张敏", "zhang min" }, { "张敏", "zm" },	  { "张敏", "ZM" },
		{ "张敏", "zhangm" },   { "张敏", "敏" },	 { "张敏", "张m" },	  { "张敏", "zhang'min" },
		{ "张敏", "min" },	      { "张敏", "zhm" },	 { "李娜", "li" },	  { "李明", "li" },
		{ "单明", "shanming" }, { "单明", "danming" },	 { "单明", "chanm" },	  { "吕明", "lvming" },
		{ "吕明", "luming" },   { "Li Na", "lina" },	 { "Li Na", "LI" },	  { "欧阳娜娜", "ouyangn" },
		{ "欧阳娜娜", "yn" },   { "张 敏", "zhangmin" }, { "曾敏", "zengmin" }, { "曾敏", "cengmin" },
	};
	static const char *const no[][2] = {
		{ "张敏", "hangmin" }, { "张敏", "zhangmn" }, { "张敏", "mz" },	 { "张敏", "zhangminx" },
		{ "张敏", "x" },	     { "张敏", "%" },	    { "张敏", "' OR 1=1 --" }, { "李娜", "na li" },
		{ "张伟", "zm" },	     { "", "z" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!names(yes[i][0], yes[i][1]))
			fail_msg("%s should name %s", yes[i][1], yes[i][0]);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (names(no[i][0], no[i][1]))
			fail_msg("%s should not name %s", no[i][1], no[i][0]);
}

static void test_bad_input(void **state)
{
	struct kc_pinyin_query q;
	char longq[KC_PINYIN_QUERY_MAX + 2], longname[3 * 80 + 1] = "";

	(void)state;
	assert_int_equal(kc_pinyin_query_set(&q, ""), -EINVAL);
	assert_int_equal(kc_pinyin_query_set(&q, "  ' "), -EINVAL);
	memset(longq, 'z', sizeof(longq) - 1);
	longq[sizeof(longq) - 1] = '\0';
	assert_int_equal(kc_pinyin_query_set(&q, longq), -EINVAL);
	longq[KC_PINYIN_QUERY_MAX] = '\0';
	assert_int_equal(kc_pinyin_query_set(&q, longq), 0);
	assert_false(kc_pinyin_match("张张张", &q));
	/* bad UTF-8: its bytes as they are, no read past the end */
	assert_true(names("\xe5\xbc", "\xe5"));
	assert_false(names("\xff\xfe", "zhang"));
	assert_true(names("\xff张敏", "zm"));
	/* a name of 80 characters: its first 64 compared */
	for (int i = 0; i < 80; i++)
		strcat(longname, "张");
	assert_true(names(longname, "zhangzhang"));
	longname[3 * 64] = '\0';
	strcat(longname, "敏");
	assert_false(names(longname, "zhangmin"));
	assert_true(names(longname, "zhangzhang"));
}

static void test_pinyin_of(void **state)
{
	char out[64], small[6];

	(void)state;
	assert_int_equal(kc_pinyin_of("张敏", out, sizeof(out)), 0);
	assert_string_equal(out, "zhang min");
	assert_int_equal(kc_pinyin_of("单明", out, sizeof(out)), 0);
	assert_string_equal(out, "dan ming"); /* kMandarin's reading first */
	assert_int_equal(kc_pinyin_of("单Ann 明", out, sizeof(out)), 0);
	assert_string_equal(out, "dan Ann ming");
	assert_int_equal(kc_pinyin_of("张敏", small, sizeof(small)), -ENOSPC);
	assert_string_equal(small, "zhang");
}

static void test_table(void **state)
{
	(void)state;
	assert_true(kc_pinyin_count > 20000);
	for (size_t i = 0; i < kc_pinyin_count; i++) {
		const char *r = kc_pinyin_table[i].readings;

		if (i && kc_pinyin_table[i - 1].cp >= kc_pinyin_table[i].cp)
			fail_msg("U+%04X out of order", (unsigned)kc_pinyin_table[i].cp);
		if (!*r || strspn(r, "abcdefghijklmnopqrstuvwxyz ") != strlen(r))
			fail_msg("U+%04X: \"%s\"", (unsigned)kc_pinyin_table[i].cp, r);
	}
	assert_string_equal(kc_pinyin_readings(0x5F20), "zhang");
	assert_non_null(strstr(kc_pinyin_readings(0x957F), "chang"));
	assert_null(kc_pinyin_readings('a'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_pinyin_of),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
