/* service/sign.c against the vendors' own worked examples: Aliyun's V3
 * request signature (the RunInstances example of "V3 request structure and
 * signature") and Tencent Cloud's signature v3 (the DescribeInstances
 * example of "Signature v3"), every input as the documents give it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/util.h"
#include "service/sign.h"

static void test_sha256(void **state)
{
	char h[KC_SHA256_HEX];

	(void)state;
	kc_sha256_hex("", 0, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_pct(void **state)
{
	char *e = kc_sign_pct("a b*c~d/\xe4\xb8\xad+=");

	(void)state;
	assert_string_equal(e, "a%20b%2Ac~d%2F%E4%B8%AD%2B%3D");
	free(e);
}

static void test_acs3(void **state)
{
	const struct kc_sign_header h[] = {
		{ "host", "ecs.cn-shanghai.aliyuncs.com" },
		{ "x-acs-action", "RunInstances" },
		{ "x-acs-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "x-acs-date", "2023-10-26T10:22:32Z" },
		{ "x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d" },
		{ "x-acs-version", "2014-05-26" },
	};
	char *a = kc_sign_acs3("POST", "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai",
			       h, KC_ARRAY_SIZE(h), h[2].value, "YourAccessKeyId", "YourAccessKeySecret");

	(void)state;
	assert_non_null(a);
	assert_string_equal(a, "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;"
			       "x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,"
			       "Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0");
	free(a);
	/* one byte of the secret changed: another signature */
	a = kc_sign_acs3("POST", "RegionId=cn-shanghai", h, KC_ARRAY_SIZE(h), h[2].value, "YourAccessKeyId",
			 "YourAccessKeySecret");
	assert_string_not_equal(a, "");
	assert_null(strstr(a, "06563a9e1b43"));
	free(a);
}

static void test_tc3(void **state)
{
	const struct kc_sign_header h[] = {
		{ "content-type", "application/json; charset=utf-8" },
		{ "host", "cvm.tencentcloudapi.com" },
	};
	const char *body = "{\"Limit\": 1, \"Filters\": [{\"Values\": [\"\\u672a\\u547d\\u540d\"], \"Name\": \"instance-name\"}]}";
	char *a = kc_sign_tc3(body, h, KC_ARRAY_SIZE(h), "cvm", 1551113065, "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
			      "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE");

	(void)state;
	assert_non_null(a);
	assert_string_equal(a, "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request,"
			       " SignedHeaders=content-type;host,"
			       " Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168");
	free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_pct),
		cmocka_unit_test(test_acs3),
		cmocka_unit_test(test_tc3),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
