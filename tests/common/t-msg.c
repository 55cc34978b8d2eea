/* Unit tests of common/msg.c against the built catalogue
 * ($KEYCAB_LOCALEDIR, set by tests/run.sh): every message code has a
 * Chinese text with the same placeholders, and codes render with their
 * parameters in either language. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/msg.h"

/* The placeholders of t, sorted and joined, into out. */
static void placeholders(const char *t, char *out, size_t len)
{
	char names[32][64];
	size_t n = 0, k = 0;

	while ((t = strchr(t, '{')) && n < 32) {
		const char *close = strchr(t, '}');

		if (!close)
			break;
		if (t[1] != '=') /* a command-line hint is free text */
			snprintf(names[n++], sizeof(names[0]), "%.*s", (int)(close - t - 1), t + 1);
		t = close + 1;
	}
	qsort(names, n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		k += (size_t)snprintf(out + k, len - k, "%s,", names[i]);
}

static void test_every_code_translated(void **state)
{
	int untranslated = 0;

	(void)state;
	assert_non_null(getenv("KEYCAB_LOCALEDIR"));
	for (int c = 0; c < KCM__COUNT; c++) {
		const char *en = kc_msg_template((enum kc_msg_code)c);
		const char *zh = kc_msg_gettext(KC_LANG_ZH, en);
		char pe[512], pz[512];

		assert_true(en[0] != '\0');
		assert_int_equal(kc_msg_lookup(kc_msg_name((enum kc_msg_code)c)), c);
		if (zh == en || strcmp(zh, en) == 0) {
			fprintf(stderr, "no Chinese text for %s: \"%s\"\n", kc_msg_name((enum kc_msg_code)c), en);
			untranslated++;
			continue;
		}
		placeholders(en, pe, sizeof(pe));
		placeholders(zh, pz, sizeof(pz));
		if (strcmp(pe, pz) != 0) {
			fprintf(stderr, "%s: the Chinese text names {%s}, the English {%s}\n",
				kc_msg_name((enum kc_msg_code)c), pz, pe);
			untranslated++;
		}
	}
	assert_int_equal(untranslated, 0);
}

static void test_render(void **state)
{
	json_t *m = kc_msg_new(KCM_db_read_failed, "{s:s}", "detail", "disk I/O error");
	char buf[256];

	(void)state;
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "code")), "db_read_failed");
	assert_int_equal(kc_msg_render(m, KC_LANG_EN, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Database read failed: disk I/O error.");
	assert_int_equal(kc_msg_render(m, KC_LANG_ZH, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "数据库读取失败：disk I/O error。");
	/* cut short, still a string */
	assert_int_equal(kc_msg_render(m, KC_LANG_EN, buf, 10), -ENOSPC);
	assert_int_equal(strlen(buf), 9);
	json_decref(m);

	/* a parameter the message lacks stays a visible placeholder */
	m = kc_msg_new(KCM_db_read_failed, NULL);
	assert_int_equal(kc_msg_render(m, KC_LANG_EN, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Database read failed: {detail}.");
	json_decref(m);

	/* a code this build does not know */
	m = json_pack("{s:s, s:{}}", "code", "from_a_newer_keycabd", "params");
	assert_int_equal(kc_msg_render(m, KC_LANG_ZH, buf, sizeof(buf)), -ENOENT);
	json_decref(m);
}

static void test_command_hints(void **state)
{
	json_t *m = kc_msg_new(KCM_release_key_unknown, "{s:s}", "key", "K-9");
	char buf[256];

	(void)state;
	assert_int_equal(kc_msg_render(m, KC_LANG_EN, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "There is no key \"K-9\" in this cabinet; check the key code (keycab keys).");
	kc_msg_command_hints(false);
	assert_int_equal(kc_msg_render(m, KC_LANG_EN, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "There is no key \"K-9\" in this cabinet; check the key code.");
	assert_int_equal(kc_msg_render(m, KC_LANG_ZH, buf, sizeof(buf)), 0);
	assert_null(strstr(buf, "keycab"));
	kc_msg_command_hints(true);
	assert_int_equal(kc_msg_render(m, KC_LANG_ZH, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "（keycab keys）"));
	json_decref(m);
}

/* A hint holding a parameter: the person's code at the command line,
 * the name alone at the terminal. */
static void test_hint_with_param(void **state)
{
	json_t *m = kc_msg_new(KCM_login_locked_out, "{s:s, s:s, s:s}", "name", "李娜", "person", "S02", "until",
			       "2026-12-08 09:30");
	char buf[256];

	(void)state;
	assert_int_equal(kc_msg_render(m, KC_LANG_EN, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "李娜 (S02) is locked out"));
	assert_int_equal(kc_msg_render(m, KC_LANG_ZH, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "李娜（S02）因密码"));
	kc_msg_command_hints(false);
	assert_int_equal(kc_msg_render(m, KC_LANG_ZH, buf, sizeof(buf)), 0);
	assert_null(strstr(buf, "S02"));
	assert_non_null(strstr(buf, "李娜因密码输错次数过多已被锁定，请于2026-12-08 09:30后再试"));
	assert_int_equal(kc_msg_render(m, KC_LANG_EN, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "李娜 is locked out after too many wrong PINs until 2026-12-08 09:30; try again then.");
	kc_msg_command_hints(true);
	json_decref(m);
}

/* A member over its limit is named by its word (msgctxt "field"). */
static void test_field_word(void **state)
{
	json_t *m = kc_msg_new(KCM_text_too_long, "{s:s, s:i, s:i}", "field", "problems", "chars", 1500, "max", 1000);
	char buf[256];

	(void)state;
	assert_int_equal(kc_msg_render(m, KC_LANG_ZH, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "“问题描述”长1500个字符，最多允许1000个。未作任何更改。");
	assert_int_equal(kc_msg_render(m, KC_LANG_EN, buf, sizeof(buf)), 0);
	assert_non_null(strstr(buf, "\"problems\" is 1500 characters long"));
	json_decref(m);
}

static void test_words(void **state)
{
	(void)state;
	assert_string_equal(kc_msg_word(KC_LANG_ZH, "purpose", "inspection"), "空房检查");
	assert_string_equal(kc_msg_word(KC_LANG_EN, "purpose", "inspection"), "inspection");
	assert_string_equal(kc_msg_word(KC_LANG_ZH, "kind", "sealed"), "封存");
	/* not a word of the vocabulary: as it is */
	assert_string_equal(kc_msg_word(KC_LANG_ZH, "purpose", "K-101"), "K-101");
}

static void test_reply(void **state)
{
	json_t *rep = json_pack("{s:b, s:s, s:[{s:s, s:{s:s}}, {s:s, s:{}}]}", "ok", 0, "reason",
				"English as sent", "messages", "code", "db_write_failed", "params",
				"detail", "disk full", "code", "db_busy", "params");
	char buf[256];

	(void)state;
	assert_int_equal(kc_msg_render_reply(rep, KC_LANG_EN, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Database write failed: disk full. The database is busy; try again.");
	assert_int_equal(kc_msg_render_reply(rep, KC_LANG_ZH, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "数据库写入失败：disk full。数据库忙，请重试。");
	json_decref(rep);

	/* an older keycabd: no code, the text as sent */
	rep = json_pack("{s:b, s:s}", "ok", 0, "error", "something went wrong");
	assert_int_equal(kc_msg_render_reply(rep, KC_LANG_ZH, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "something went wrong");
	json_decref(rep);
}

static void test_env_lang(void **state)
{
	static const struct {
		const char *language, *lc_all, *lang;
		enum kc_lang want;
	} cases[] = {
		{ NULL, NULL, "zh_CN.UTF-8", KC_LANG_ZH },
		{ NULL, NULL, "en_US.UTF-8", KC_LANG_EN },
		{ NULL, NULL, NULL, KC_LANG_EN },
		{ NULL, "zh_CN.UTF-8", "en_GB.UTF-8", KC_LANG_ZH },
		{ "en", NULL, "zh_CN.UTF-8", KC_LANG_EN },
		{ "zh_CN:en", NULL, "C.UTF-8", KC_LANG_ZH },
		/* gettext ignores LANGUAGE in the C locale */
		{ "zh_CN", "C", NULL, KC_LANG_EN },
		{ NULL, NULL, "fr_FR.UTF-8", KC_LANG_EN },
	};
	enum kc_lang l;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsetenv("LC_MESSAGES");
		cases[i].language ? setenv("LANGUAGE", cases[i].language, 1) : unsetenv("LANGUAGE");
		cases[i].lc_all ? setenv("LC_ALL", cases[i].lc_all, 1) : unsetenv("LC_ALL");
		cases[i].lang ? setenv("LANG", cases[i].lang, 1) : unsetenv("LANG");
		assert_int_equal(kc_msg_env_lang(), cases[i].want);
	}
	assert_int_equal(kc_msg_parse_lang("zh-CN", &l), 0);
	assert_int_equal(l, KC_LANG_ZH);
	assert_int_equal(kc_msg_parse_lang("en", &l), 0);
	assert_int_equal(l, KC_LANG_EN);
	assert_int_equal(kc_msg_parse_lang("klingon", &l), -EINVAL);
	assert_string_equal(kc_msg_lang_tag(KC_LANG_ZH), "zh-CN");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_code_translated),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_command_hints),
		cmocka_unit_test(test_hint_with_param),
		cmocka_unit_test(test_field_word),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_env_lang),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
