/* Unit tests of common/: number and time parsing, the event chain, and
 * personal-data hashing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/event.h"
#include "common/pdata.h"
#include "common/sharedkey.h"
#include "common/util.h"

static void test_parse_long(void **state)
{
	long long v = 7;

	(void)state;
	assert_int_equal(kc_parse_long("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(kc_parse_long(" 0x10 ", 0, 100, &v), 0);
	assert_int_equal(v, 16);
	assert_int_equal(kc_parse_long("-1", 0, 100, &v), -ERANGE);
	assert_int_equal(kc_parse_long("101", 0, 100, &v), -ERANGE);
	assert_int_equal(kc_parse_long("99999999999999999999", 0, 100, &v), -ERANGE);
	assert_int_equal(kc_parse_long("12abc", 0, 100, &v), -EINVAL);
	assert_int_equal(kc_parse_long("", 0, 100, &v), -EINVAL);
	assert_int_equal(kc_parse_long(NULL, 0, 100, &v), -EINVAL);
	assert_int_equal(v, 16); /* untouched on failure */
}

static void test_parse_bool(void **state)
{
	bool b = false;

	(void)state;
	assert_int_equal(kc_parse_bool("Yes", &b), 0);
	assert_true(b);
	assert_int_equal(kc_parse_bool("off", &b), 0);
	assert_false(b);
	assert_int_equal(kc_parse_bool("maybe", &b), -EINVAL);
}

static void test_time(void **state)
{
	char buf[KC_TIME_LEN];
	int64_t ms = 0;

	(void)state;
	kc_time_format(1795381384123LL, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-22T21:03:04.123Z");
	assert_int_equal(kc_time_parse(buf, &ms), 0);
	assert_int_equal(ms, 1795381384123LL);
	assert_int_equal(kc_time_parse("2026-11-22", &ms), 0);
	assert_int_equal(ms, 1795305600000LL);
	assert_int_equal(kc_time_parse("2026-11-22 21:03", &ms), 0);
	assert_int_equal(ms, 1795381380000LL);
	assert_int_equal(kc_time_parse("2026-11-22T21:03:04.5Z", &ms), 0);
	assert_int_equal(ms, 1795381384500LL);
	assert_int_equal(kc_time_parse("2026-02-31", &ms), -EINVAL);
	assert_int_equal(kc_time_parse("2026-13-01", &ms), -EINVAL);
	assert_int_equal(kc_time_parse("2026-11-22T25:00", &ms), -EINVAL);
	assert_int_equal(kc_time_parse("2026-11-22x", &ms), -EINVAL);
	assert_int_equal(kc_time_parse("yesterday", &ms), -EINVAL);
}

static json_t *chain_event(int64_t seq, const char *prev, char hash[KC_HASH_HEX])
{
	json_t *ev = kc_event_new("desk-a", seq, 1795381384123LL + seq, "release.granted");

	assert_non_null(ev);
	json_object_set_new(ev, "key", json_string("K-3-1-502"));
	json_object_set_new(json_object_get(ev, "data"), "note",
			    json_string("钥匙\"quoted\""));
	assert_int_equal(kc_event_seal(ev, prev, hash), 0);
	return ev;
}

static void test_event_chain(void **state)
{
	char h1[KC_HASH_HEX], h2[KC_HASH_HEX], err[256];
	json_t *e1, *e2, *copy;
	char *canon;

	(void)state;
	e1 = chain_event(1, KC_GENESIS_HASH, h1);
	e2 = chain_event(2, h1, h2);
	assert_int_equal(kc_event_check(e1, KC_GENESIS_HASH, 1, err, sizeof(err)), 0);
	assert_int_equal(kc_event_check(e2, h1, 2, err, sizeof(err)), 0);

	/* The canonical form is sorted, compact, ASCII, and has no hash. */
	canon = kc_event_canonical(e1);
	assert_non_null(canon);
	assert_null(strstr(canon, "\"hash\""));
	assert_null(strchr(canon, ' '));
	assert_non_null(strstr(canon, "\\u94A5\\u5319"));
	assert_true(strstr(canon, "\"cabinet\"") < strstr(canon, "\"data\""));
	free(canon);

	/* Out of order: a gap is named as a gap. */
	assert_int_equal(kc_event_check(e2, KC_GENESIS_HASH, 1, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, "sequence gap"));
	/* A wrong predecessor is a chain break. */
	assert_int_equal(kc_event_check(e2, KC_GENESIS_HASH, 2, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "chain break at event 2"));

	/* Changing any member breaks its hash. */
	copy = json_deep_copy(e2);
	json_object_set_new(copy, "key", json_string("K-other"));
	assert_int_equal(kc_event_check(copy, h1, 2, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "does not match its content"));
	json_decref(copy);

	/* Malformed events are named, not crashed on. */
	copy = json_deep_copy(e1);
	json_object_set_new(copy, "ts", json_string("noon"));
	assert_int_equal(kc_event_check(copy, NULL, 0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "\"ts\""));
	json_decref(copy);
	copy = json_deep_copy(e1);
	json_object_set_new(copy, "seq", json_string("1"));
	assert_int_equal(kc_event_check(copy, NULL, 0, err, sizeof(err)), -EINVAL);
	json_decref(copy);
	copy = json_array();
	assert_int_equal(kc_event_check(copy, NULL, 0, err, sizeof(err)), -EINVAL);
	json_decref(copy);
	assert_int_equal(kc_event_seal(e1, "short", NULL), -EINVAL);

	json_decref(e1);
	json_decref(e2);
}

static void test_id_numbers(void **state)
{
	char hash[KC_PWHASH_LEN], mask[KC_MASK_LEN];

	(void)state;
	assert_int_equal(kc_id_mask("11010519491231002x", mask, sizeof(mask)), 0);
	assert_string_equal(mask, "**************002X");
	assert_int_equal(kc_id_mask("12", mask, sizeof(mask)), 0);
	assert_string_equal(mask, "**");
	assert_int_equal(kc_id_hash("110105 19491231 002X", hash), 0);
	assert_null(strstr(hash, "110105"));
	assert_non_null(strstr(hash, "$kb2$"));
	assert_true(kc_id_matches("11010519491231002x", hash));
	assert_false(kc_id_matches("11010519491231003X", hash));
	assert_int_equal(kc_id_hash("", hash), -EINVAL);
	assert_int_equal(kc_id_hash("1101;DROP", hash), -EINVAL);
	assert_int_equal(kc_id_hash("123456789012345678901234567890123", hash), -EINVAL);
}

static void test_phone_mask(void **state)
{
	static const struct {
		const char *phone, *shown;
	} cases[] = {
		{ "13812345678", "138****5678" },
		{ "+8613812345678", "+86138****5678" },
		{ "+86 138 1234 5678", "+86 138 **** 5678" },
		{ "(010) 6552-1234", "(010) ****-1234" },
		{ "0105521234", "******1234" },
		{ "12345", "***45" },
		{ "12", "**" },
		{ "１３８１２３４５６７８", "１３８****５６７８" }, /* full-width digits are digits too */
		{ "", "" },
	};
	json_t *o = json_pack("{s:s, s:s, s:s}", "owner_phone", "13800000001", "contact", "13800000002",
			      "name", "x");
	char out[64];

	(void)state;
	for (size_t i = 0; i < KC_ARRAY_SIZE(cases); i++) {
		assert_int_equal(kc_phone_mask(cases[i].phone, out, sizeof(out)), 0);
		assert_string_equal(out, cases[i].shown);
	}
	assert_int_equal(kc_phone_mask("13812345678", out, 11), -ENOSPC);
	kc_json_phones_mask(o);
	assert_string_equal(json_string_value(json_object_get(o, "owner_phone")), "138****0001");
	assert_string_equal(json_string_value(json_object_get(o, "contact")), "13800000002");
	json_object_set_new(o, "owner_phone", json_string(""));
	kc_json_phones_mask(o);
	assert_true(json_is_null(json_object_get(o, "owner_phone")));
	json_decref(o);
}

/* A key two programs share: one line, trimmed, checked, never in err. */
static void test_shared_key(void **state)
{
	static const char good[] = "  q1Zx3V9mK2pL8rT4wY7uN0bC5dF6gH1jS3aE9kM2=\n";
	char dir[] = "/tmp/t-common-sk.XXXXXX", path[64], key[KC_SHARED_KEY_MAX + 1], err[512];
	unsigned char d[KC_SHARED_KEY_DIGEST];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/terminal.key", dir);
	assert_int_equal(kc_shared_key_read(path, key, err, sizeof(err)), -ENOENT);
	printf("%s\n", err);
	f = fopen(path, "w");
	fputs(good, f);
	fclose(f);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(kc_shared_key_read(path, key, err, sizeof(err)), 0);
	assert_string_equal(key, "q1Zx3V9mK2pL8rT4wY7uN0bC5dF6gH1jS3aE9kM2=");
	kc_shared_key_digest(key, strlen(key), d);
	assert_true(kc_shared_key_matches(d, key, strlen(key)));
	assert_false(kc_shared_key_matches(d, key, strlen(key) - 1));
	assert_false(kc_shared_key_matches(d, "q1Zx3V9mK2pL8rT4wY7uN0bC5dF6gH1jS3aE9kM3=", strlen(key)));
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(kc_shared_key_read(path, key, err, sizeof(err)), -EPERM);
	printf("%s\n", err);
	assert_int_equal(chmod(path, 0660), 0);
	assert_int_equal(kc_shared_key_read(path, key, err, sizeof(err)), -EPERM);
	assert_int_equal(chmod(path, 0600), 0);
	f = fopen(path, "w");
	fputs("short-key\n", f);
	fclose(f);
	assert_int_equal(kc_shared_key_read(path, key, err, sizeof(err)), -EINVAL);
	printf("%s\n", err);
	assert_null(strstr(err, "short-key"));
	f = fopen(path, "w");
	fputs("q1Zx3V9mK2pL8rT4 wY7uN0bC5dF6gH1jS3aE9kM2=\n", f);
	fclose(f);
	assert_int_equal(kc_shared_key_read(path, key, err, sizeof(err)), -EINVAL);
	printf("%s\n", err);
	assert_int_equal(kc_shared_key_read(dir, key, err, sizeof(err)), -EINVAL);
	unlink(path);
	rmdir(dir);
}

static void test_pins_and_tokens(void **state)
{
	char hash[KC_PWHASH_LEN], tok[65], th[65], th2[65];

	(void)state;
	assert_int_equal(kc_pin_check_form("1234"), 0);
	assert_int_equal(kc_pin_check_form("123"), -EINVAL);
	assert_int_equal(kc_pin_check_form("12a4"), -EINVAL);
	assert_int_equal(kc_secret_hash("2468", hash), 0);
	assert_true(kc_secret_matches("2468", hash));
	assert_false(kc_secret_matches("2469", hash));
	assert_int_equal(kc_token_new(tok, 32), 0);
	assert_int_equal(strlen(tok), 64);
	kc_token_hash(tok, th);
	kc_token_hash(tok, th2);
	assert_string_equal(th, th2);
	assert_string_not_equal(th, tok);
}

/* Numbers in events are integers only: a real anywhere, even nested and
 * sealed with a right hash, is refused and its place named. */
static void test_event_reals(void **state)
{
	char h[KC_HASH_HEX], err[256];
	json_t *ev;

	(void)state;
	ev = kc_event_new("desk-a", 1, 1795381384123LL, "release.granted");
	json_object_set_new(json_object_get(ev, "data"), "window_ms", json_integer(10000));
	assert_int_equal(kc_event_seal(ev, KC_GENESIS_HASH, h), 0);
	assert_int_equal(kc_event_check(ev, KC_GENESIS_HASH, 1, err, sizeof(err)), 0);

	json_object_set_new(json_object_get(ev, "data"), "window_ms", json_real(10000.5));
	assert_int_equal(kc_event_seal(ev, KC_GENESIS_HASH, h), 0);
	assert_int_equal(kc_event_check(ev, KC_GENESIS_HASH, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "\"data.window_ms\" is a real number"));

	/* A whole-valued real is a real all the same. */
	json_object_set_new(json_object_get(ev, "data"), "window_ms", json_integer(10000));
	json_object_set_new(json_object_get(ev, "data"), "keys_out",
			    json_pack("[{s:s}, {s:s, s:f}]", "key", "K1", "key", "K2", "due", 2.0));
	assert_int_equal(kc_event_seal(ev, KC_GENESIS_HASH, h), 0);
	assert_int_equal(kc_event_check(ev, NULL, 0, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "\"data.keys_out[1].due\""));
	json_decref(ev);
}

static const unsigned char key_a[KC_HASH_KEY_LEN] = { 0x11, 0x22, 0x33 };
static const unsigned char key_b[KC_HASH_KEY_LEN] = { 0x11, 0x22, 0x34 };

/* Runs first: before a key is loaded nothing is hashed. */
static void test_no_key(void **state)
{
	char hash[KC_PWHASH_LEN], card[KC_CARD_HASH_LEN];

	(void)state;
	assert_int_equal(kc_id_hash("110105194912310021", hash), -ENOKEY);
	assert_int_equal(kc_card_hash("CARD-1", card), -ENOKEY);
	assert_int_equal(kc_pdata_key_check(card), -ENOKEY);
	assert_int_equal(kc_pdata_key_set(key_a, 16), -EINVAL);
	assert_int_equal(kc_pdata_key_set(key_a, sizeof(key_a)), 0);
}

static void hex(const unsigned char *d, size_t n, char *out)
{
	sodium_bin2hex(out, 2 * n + 1, d, n);
}

static void test_keyed_hashes(void **state)
{
	static const char id[] = "11010519491231002X";
	unsigned char d[64];
	char hash[KC_PWHASH_LEN], hash_b[KC_PWHASH_LEN], card_a[KC_CARD_HASH_LEN],
		card_b[KC_CARD_HASH_LEN], check_a[KC_CARD_HASH_LEN], check_b[KC_CARD_HASH_LEN],
		plain[129], legacy[KC_PWHASH_LEN];

	(void)state;
	assert_int_equal(kc_pdata_key_set(key_a, sizeof(key_a)), 0);
	assert_int_equal(kc_id_hash(id, hash), 0);
	assert_int_equal(strlen(hash), 5 + 64);
	assert_true(kc_id_matches("110105-19491231-002x", hash));
	/* the stored form is none of the unkeyed hashes of the number */
	crypto_hash_sha256(d, (const unsigned char *)id, strlen(id));
	hex(d, 32, plain);
	assert_null(strstr(hash, plain));
	crypto_generichash(d, 32, (const unsigned char *)id, strlen(id), NULL, 0);
	hex(d, 32, plain);
	assert_null(strstr(hash, plain));
	crypto_hash_sha512(d, (const unsigned char *)id, strlen(id));
	hex(d, 64, plain);
	assert_null(strstr(plain, hash + 5));
	assert_int_equal(kc_card_hash("CARD-0077", card_a), 0);
	assert_int_equal(strlen(card_a), 64);
	kc_token_hash("CARD-0077", plain);
	assert_string_not_equal(card_a, plain);
	assert_int_equal(kc_card_hash("", card_a), -EINVAL);
	assert_int_equal(kc_card_hash("CARD-0077", card_a), 0);
	assert_int_equal(kc_pdata_key_check(check_a), 0);

	/* another key: nothing matches */
	assert_int_equal(kc_pdata_key_set(key_b, sizeof(key_b)), 0);
	assert_false(kc_id_matches(id, hash));
	assert_int_equal(kc_id_hash(id, hash_b), 0);
	assert_string_not_equal(hash, hash_b);
	assert_int_equal(kc_card_hash("CARD-0077", card_b), 0);
	assert_string_not_equal(card_a, card_b);
	assert_int_equal(kc_pdata_key_check(check_b), 0);
	assert_string_not_equal(check_a, check_b);

	/* the right key again; an ID hashed before keyed hashes still matches */
	assert_int_equal(kc_pdata_key_set(key_a, sizeof(key_a)), 0);
	assert_true(kc_id_matches(id, hash));
	assert_int_equal(crypto_pwhash_str_alg(legacy, id, strlen(id), 2, 16u << 20,
					       crypto_pwhash_ALG_ARGON2ID13),
			 0);
	assert_true(kc_id_matches("11010519491231002x", legacy));
	assert_false(kc_id_matches("11010519491231003X", legacy));
	assert_false(kc_id_matches(id, "$kb2$00"));
	assert_false(kc_id_matches(id, plain));
}

static void test_key_file(void **state)
{
	char dir[] = "/tmp/t-common.XXXXXX", path[64], link[64], err[256];
	struct stat sb;
	mode_t old = umask(0);

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/k", dir);
	snprintf(link, sizeof(link), "%s/l", dir);
	assert_int_equal(kc_pdata_key_load(path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "--init-db"));
	assert_int_equal(kc_pdata_key_create(path, err, sizeof(err)), 1);
	umask(old);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(sb.st_size, KC_HASH_KEY_LEN);
	assert_int_equal(kc_pdata_key_create(path, err, sizeof(err)), 0);
	assert_int_equal(kc_pdata_key_load(path, err, sizeof(err)), 0);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(kc_pdata_key_load(path, err, sizeof(err)), -EPERM);
	printf("%s\n", err);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(truncate(path, 16), 0);
	assert_int_equal(kc_pdata_key_load(path, err, sizeof(err)), -EINVAL);
	printf("%s\n", err);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(kc_pdata_key_load(link, err, sizeof(err)), -ELOOP);
	unlink(link);
	unlink(path);
	rmdir(dir);
	assert_int_equal(kc_pdata_key_set(key_a, sizeof(key_a)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_key),      cmocka_unit_test(test_keyed_hashes),
		cmocka_unit_test(test_key_file),    cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_parse_bool),
		cmocka_unit_test(test_time),        cmocka_unit_test(test_event_chain), cmocka_unit_test(test_event_reals),
		cmocka_unit_test(test_id_numbers),  cmocka_unit_test(test_pins_and_tokens),
		cmocka_unit_test(test_phone_mask),  cmocka_unit_test(test_shared_key),
	};

	if (kc_pdata_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
