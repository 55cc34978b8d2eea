/* Unit tests of controller/kiosk/pinyin.c: Debian's luna_pinyin dictionary
 * (rime-data-luna-pinyin) loaded as keycab-kiosk loads it, words found by
 * their pinyin in simplified characters, most frequent first; a small
 * dictionary of the same shape with its odd lines; a missing file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "controller/kiosk/pinyin.h"

#define LUNA "/usr/share/rime-data/build/luna_pinyin.table.txt"

static struct kiosk_pinyin *luna;

static int luna_load(void **state)
{
	char err[256] = "";

	(void)state;
	if (access(LUNA, R_OK) == 0 && kiosk_pinyin_load(LUNA, &luna, err, sizeof(err)) < 0)
		fprintf(stderr, "%s\n", err);
	return 0;
}

static int luna_free(void **state)
{
	(void)state;
	kiosk_pinyin_free(luna);
	return 0;
}

/* The first candidate for q, and how much of q it takes. */
static const char *first(const struct kiosk_pinyin *d, const char *q, unsigned *used)
{
	struct kiosk_pinyin_cand c[8];
	int n = kiosk_pinyin_lookup(d, q, c, 8);

	assert_true(n > 0);
	if (used)
		*used = c[0].used;
	return c[0].word;
}

/* Whether word is among q's first max candidates, all taking all of q. */
static bool among(const struct kiosk_pinyin *d, const char *q, const char *word, int max)
{
	struct kiosk_pinyin_cand c[64];
	int n = kiosk_pinyin_lookup(d, q, c, max);

	for (int i = 0; i < n; i++)
		if (strcmp(c[i].word, word) == 0)
			return c[i].used == strlen(q);
	return false;
}

static void test_t2s(void **state)
{
	(void)state;
	assert_int_equal(kiosk_t2s(0x885b), 0x536b); /* 衛 卫 */
	assert_int_equal(kiosk_t2s(0x9593), 0x95f4); /* 間 间 */
	assert_int_equal(kiosk_t2s(0x6c34), 0x6c34); /* 水 */
	assert_int_equal(kiosk_t2s('a'), 'a');
}

static void test_luna(void **state)
{
	unsigned used;

	(void)state;
	if (!luna)
		skip();
	printf("luna_pinyin: %zu words, %zu bytes\n", kiosk_pinyin_words(luna), kiosk_pinyin_bytes(luna));
	assert_true(kiosk_pinyin_words(luna) > 100000);
	assert_true(kiosk_pinyin_bytes(luna) < 16u << 20);
	assert_string_equal(first(luna, "weishengjian", &used), "卫生间");
	assert_int_equal(used, 12);
	assert_string_equal(first(luna, "loushui", &used), "漏水");
	assert_int_equal(used, 7);
	assert_string_equal(first(luna, "zhang", NULL), "张");
	assert_true(among(luna, "zhang", "章", 10));
	assert_true(among(luna, "xi'an", "西安", 5));
	assert_true(among(luna, "menchuang", "门窗", 5));
	/* the last syllable still being typed */
	assert_true(among(luna, "weishengj", "卫生间", 5));
	assert_true(among(luna, "lous", "漏水", 10));
	/* a last syllable typed whole that starts longer ones too (shu: shui),
	 * with no word of the whole syllable: the longer ones' words */
	assert_string_equal(first(luna, "loushu", &used), "漏水");
	assert_int_equal(used, 6);
	assert_string_equal(first(luna, "weishengji", &used), "卫生间");
	assert_int_equal(used, 10);
	/* more than a word: the first word of it first, the rest still pinyin */
	assert_string_equal(first(luna, "weishengjianloushui", &used), "卫生间");
	assert_int_equal(used, 12);
	/* single characters after the words */
	assert_true(among(luna, "shui", "水", 5));
}

static void test_queries(void **state)
{
	struct kiosk_pinyin_cand c[4];
	char longq[KIOSK_PINYIN_QUERY_MAX + 2];

	(void)state;
	if (!luna)
		skip();
	assert_int_equal(kiosk_pinyin_lookup(luna, "Zhang", c, 4), -EINVAL);
	assert_int_equal(kiosk_pinyin_lookup(luna, "zh1", c, 4), -EINVAL);
	assert_int_equal(kiosk_pinyin_lookup(luna, "", c, 4), 0);
	assert_int_equal(kiosk_pinyin_lookup(luna, "qqqq", c, 4), 0);
	memset(longq, 'a', sizeof(longq) - 1);
	longq[sizeof(longq) - 1] = '\0';
	assert_int_equal(kiosk_pinyin_lookup(luna, longq, c, 4), -EINVAL);
	longq[KIOSK_PINYIN_QUERY_MAX] = '\0';
	assert_true(kiosk_pinyin_lookup(luna, longq, c, 4) >= 0);
	/* a query of many splits stays bounded */
	assert_true(kiosk_pinyin_lookup(luna, "xianxianxianxianxianxianxian", c, 4) > 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_small(void **state)
{
	char dir[] = "/tmp/t-kiosk-pinyin-XXXXXX", path[64], err[256] = "";
	struct kiosk_pinyin *d = NULL;
	struct kiosk_pinyin_cand c[8];
	int n;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.dict.yaml", dir);
	write_file(path, "---\nname: x\nsort: by_weight\n...\n"
			 "# a comment\n"
			 "\n"
			 "張\tzhang\t300\n"
			 "张\tzhang\t50\r\n"
			 "章\tzhang\t200\n"
			 "長\tchang\t10%\n"
			 "abc\tzhang\t999\n"
			 "掌\tZhang\t999\n"
			 "杖\tzhang\n"
			 "衛生間\twei sheng jian\t7\n"
			 "一二三四五六七八九\tyi er san si wu liu qi ba jiu\t9\n"
			 "no tab here\n");
	assert_int_equal(kiosk_pinyin_load(path, &d, err, sizeof(err)), 0);
	assert_int_equal(kiosk_pinyin_words(d), 5); /* 张 (張+张), 章, 长, 杖, 卫生间 */
	n = kiosk_pinyin_lookup(d, "zhang", c, 8);
	assert_int_equal(n, 3);
	assert_string_equal(c[0].word, "张");
	assert_string_equal(c[1].word, "章");
	assert_string_equal(c[2].word, "杖");
	n = kiosk_pinyin_lookup(d, "zh", c, 8);
	assert_int_equal(n, 3);
	n = kiosk_pinyin_lookup(d, "c", c, 8);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].word, "长");
	assert_string_equal(first(d, "weishengjian", NULL), "卫生间");
	assert_int_equal(kiosk_pinyin_lookup(d, "yiersansiwuliuqibajiu", c, 8), 0);
	kiosk_pinyin_free(d);

	write_file(path, "# nothing\n");
	assert_int_equal(kiosk_pinyin_load(path, &d, err, sizeof(err)), -EINVAL);
	assert_null(d);
	assert_non_null(strstr(err, "no word"));
	assert_non_null(strstr(err, path));
	unlink(path);
	assert_int_equal(kiosk_pinyin_load(path, &d, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_t2s),
		cmocka_unit_test(test_luna),
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_small),
	};

	return cmocka_run_group_tests(tests, luna_load, luna_free);
}
