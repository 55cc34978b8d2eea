/* service/mask.c: phone numbers, digit runs in free text, webhook URLs,
 * and a report masked by column and member name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "service/mask.h"

static void url_is(const char *url, const char *want)
{
	char out[256];

	kc_mask_url(url, out, sizeof(out));
	assert_string_equal(out, want);
}

static void test_phone(void **state)
{
	char out[32];

	(void)state;
	kc_mask_phone("13812345678", out, sizeof(out));
	assert_string_equal(out, "138****5678");
	kc_mask_phone("+8613812345678", out, sizeof(out));
	assert_string_equal(out, "+86138****5678");
	kc_mask_phone("12345678", out, sizeof(out));
	assert_string_equal(out, "****5678");
	kc_mask_phone("1234", out, sizeof(out));
	assert_string_equal(out, "**34");
	kc_mask_phone("13812345678", out, 5); /* too long for out: nothing shown */
	assert_string_equal(out, "****");
}

static void test_digits(void **state)
{
	char *m;

	(void)state;
	m = kc_mask_digits("请致电 13812345678 或 0755-12345678，工单 WO-2026-0107，2026-12-31 到期，1234567");
	assert_string_equal(m, "请致电 138****5678 或 0755-****5678，工单 WO-2026-0107，2026-12-31 到期，***4567");
	free(m);
}

static void test_url(void **state)
{
	(void)state;
	url_is("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7d2e-4bc4-97a0-0ec2e1f3abcd",
	       "https://qyapi.weixin.qq.com/…?key=****abcd");
	url_is("https://oapi.dingtalk.com/robot/send?access_token=0123456789wxyz&sign=1",
	       "https://oapi.dingtalk.com/…?access_token=****wxyz&sign=****");
	url_is("https://hooks.slack.com/services/T000/B000/XXXXXXXXwxyz", "https://hooks.slack.com/…****wxyz");
	url_is("https://user:secret@hooks.example.org:8443/x?token=abcdefgh#frag",
	       "https://hooks.example.org:8443/…?token=****efgh");
	url_is("http://127.0.0.1:8080/", "http://127.0.0.1:8080");
	url_is("http://127.0.0.1:8080?k=v", "http://127.0.0.1:8080?k=****");
	url_is("not a url at all", "************ all");
}

static void test_report(void **state)
{
	json_t *rep = json_pack(
		"{s:[{s:[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}], s:[[s, {s:s, s:s, s:[{s:s}]}, s, s, s]]}]}", "sections",
		"columns", "name", "owner_phone", "name", "data", "name", "webhook", "name", "text_zh", "name", "key",
		"rows", "13812345678", "owner_phone", "13912345678", "problems", "联系 13712345678", "keys_out",
		"detail", "业主 13612345678", "https://h.example/p?key=abcdefgh", "您好 13512345678", "K-13512345678");
	json_t *row;
	char *dump;

	(void)state;
	kc_mask_report(rep);
	row = json_array_get(json_object_get(json_array_get(json_object_get(rep, "sections"), 0), "rows"), 0);
	dump = json_dumps(row, JSON_COMPACT | JSON_ENSURE_ASCII * 0);
	assert_string_equal(dump, "[\"138****5678\",{\"owner_phone\":\"139****5678\",\"problems\":\"联系 137****5678\","
				  "\"keys_out\":[{\"detail\":\"业主 136****5678\"}]},\"https://h.example/…?key=****efgh\","
				  "\"您好 135****5678\",\"K-13512345678\"]");
	free(dump);
	json_decref(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phone),
		cmocka_unit_test(test_digits),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
