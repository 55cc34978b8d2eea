#include "common/pdata.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Interactive-grade cost, lighter on memory: a cabinet board has little. */
#define PW_OPS 2
#define PW_MEM (16u << 20)

#define KEYED_PREFIX "$kb2$"
#define LEGACY_PREFIX "$argon2id$"

static unsigned char hash_key[KC_HASH_KEY_LEN];
static bool have_key;

int kc_pdata_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
}

int kc_pdata_key_set(const unsigned char *key, size_t len)
{
	if (!key || len != KC_HASH_KEY_LEN)
		return -EINVAL;
	memcpy(hash_key, key, KC_HASH_KEY_LEN);
	have_key = true;
	return 0;
}

static int write_all(int fd, const unsigned char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int kc_pdata_key_create(const char *path, char *err, size_t errlen)
{
	unsigned char key[KC_HASH_KEY_LEN];
	int fd, r;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == EEXIST)
		return 0;
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot create the key file: %s", path, strerror(-r));
		return r;
	}
	randombytes_buf(key, sizeof(key));
	r = write_all(fd, key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r < 0) {
		unlink(path);
		snprintf(err, errlen, "%s: cannot write the key file: %s", path, strerror(-r));
		return r;
	}
	return 1;
}

static int key_read(int fd, const char *path, char *err, size_t errlen)
{
	unsigned char key[KC_HASH_KEY_LEN + 1];
	struct stat sb;
	ssize_t n;

	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: the key file is not a regular file", path);
		return -EINVAL;
	}
	if (sb.st_mode & 077) {
		snprintf(err, errlen,
			 "%s: the key file may be read or written by others (mode %04o); it must be "
			 "readable by keycabd only: chmod 600 %s",
			 path, (unsigned)(sb.st_mode & 07777), path);
		return -EPERM;
	}
	do
		n = read(fd, key, sizeof(key));
	while (n < 0 && errno == EINTR);
	if (n != KC_HASH_KEY_LEN) {
		sodium_memzero(key, sizeof(key));
		snprintf(err, errlen, "%s: the key file must hold 32 bytes, it holds %lld", path,
			 (long long)sb.st_size);
		return -EINVAL;
	}
	kc_pdata_key_set(key, KC_HASH_KEY_LEN);
	sodium_memzero(key, sizeof(key));
	return 0;
}

int kc_pdata_key_load(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), r;

	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			snprintf(err, errlen,
				 "%s: no key file (the secret key of ID and card hashes); create it with "
				 "keycabd -c CONFIG --init-db, or put back the one made with this database",
				 path);
		else
			snprintf(err, errlen, "%s: cannot read the key file: %s", path, strerror(-r));
		return r;
	}
	r = key_read(fd, path, err, errlen);
	close(fd);
	return r;
}

/* BLAKE2b-256 keyed with the hash key over a domain ("id", "card", ...),
 * a zero byte and the value, as hex. */
static int keyed_hex(const char *domain, const char *value, char out[KC_CARD_HASH_LEN])
{
	unsigned char d[32];
	crypto_generichash_state h;

	if (!have_key)
		return -ENOKEY;
	crypto_generichash_init(&h, hash_key, sizeof(hash_key), sizeof(d));
	crypto_generichash_update(&h, (const unsigned char *)domain, strlen(domain) + 1);
	crypto_generichash_update(&h, (const unsigned char *)value, strlen(value));
	crypto_generichash_final(&h, d, sizeof(d));
	sodium_bin2hex(out, KC_CARD_HASH_LEN, d, sizeof(d));
	sodium_memzero(&h, sizeof(h));
	return 0;
}

int kc_pdata_key_check(char out[KC_CARD_HASH_LEN])
{
	return keyed_hex("key-check", "keycab", out);
}

int kc_card_hash(const char *card, char out[KC_CARD_HASH_LEN])
{
	if (!card || !*card)
		return -EINVAL;
	return keyed_hex("card", card, out);
}

int kc_id_normalise(const char *id, char *out, size_t len)
{
	size_t n = 0;

	if (!id)
		return -EINVAL;
	for (; *id; id++) {
		unsigned char c = (unsigned char)*id;

		if (c == ' ' || c == '-')
			continue;
		if (!isalnum(c) || c > 127)
			return -EINVAL;
		if (n + 1 >= len || n >= 32)
			return -EINVAL;
		out[n++] = (char)toupper(c);
	}
	if (n == 0)
		return -EINVAL;
	out[n] = '\0';
	return 0;
}

int kc_id_hash(const char *id, char out[KC_PWHASH_LEN])
{
	char norm[40];
	int r = kc_id_normalise(id, norm, sizeof(norm));

	if (r < 0)
		return r;
	memcpy(out, KEYED_PREFIX, sizeof(KEYED_PREFIX));
	r = keyed_hex("id", norm, out + strlen(KEYED_PREFIX));
	sodium_memzero(norm, sizeof(norm));
	return r;
}

bool kc_id_matches(const char *id, const char *stored_hash)
{
	char norm[40], h[KC_CARD_HASH_LEN];
	size_t p = strlen(KEYED_PREFIX);
	bool ok = false;

	if (!stored_hash || kc_id_normalise(id, norm, sizeof(norm)) < 0)
		return false;
	if (strncmp(stored_hash, KEYED_PREFIX, p) == 0)
		ok = strlen(stored_hash + p) == KC_CARD_HASH_LEN - 1 &&
		     keyed_hex("id", norm, h) == 0 &&
		     sodium_memcmp(h, stored_hash + p, KC_CARD_HASH_LEN - 1) == 0;
	else if (strncmp(stored_hash, LEGACY_PREFIX, strlen(LEGACY_PREFIX)) == 0)
		ok = crypto_pwhash_str_verify(stored_hash, norm, strlen(norm)) == 0;
	sodium_memzero(norm, sizeof(norm));
	return ok;
}

int kc_id_mask(const char *id, char *out, size_t len)
{
	char norm[40];
	size_t n;
	int r = kc_id_normalise(id, norm, sizeof(norm));

	if (r < 0)
		return r;
	n = strlen(norm);
	if (n + 1 > len)
		return -ENOSPC;
	/* all masked; the last 4 shown when there are more than 4 */
	memset(out, '*', n);
	if (n > 4)
		memcpy(out + n - 4, norm + n - 4, 4);
	out[n] = '\0';
	sodium_memzero(norm, sizeof(norm));
	return 0;
}

/* Spaces, "+", "-", "(" and ")" in a phone number are shown as they are
 * and not counted; every other character (a digit) is. */
static bool phone_separator(char c)
{
	return c == ' ' || c == '+' || c == '-' || c == '(' || c == ')';
}

static size_t utf8_len(const char *p)
{
	size_t n = 1;

	while (((unsigned char)p[n] & 0xC0) == 0x80)
		n++;
	return n;
}

int kc_phone_mask(const char *phone, char *out, size_t len)
{
	size_t digits = 0, seen = 0, head = 0, tail, o = 0;

	for (const char *p = phone; *p; p += utf8_len(p))
		digits += !phone_separator(*p);
	tail = digits >= 6 ? 4 : digits >= 3 ? 2 : 0;
	if (digits >= 11)
		head = digits - 8;
	for (const char *p = phone; *p;) {
		size_t n = utf8_len(p);
		bool shown = phone_separator(*p) || seen < head || seen >= digits - tail;

		seen += !phone_separator(*p);
		if (o + (shown ? n : 1) + 1 > len)
			return -ENOSPC;
		if (shown)
			memcpy(out + o, p, n);
		else
			out[o] = '*';
		o += shown ? n : 1;
		p += n;
	}
	out[o] = '\0';
	return 0;
}

/* The members that hold a phone number, wherever they are. */
static const char *const phone_members[] = { "owner_phone" };

void kc_json_phones_mask(json_t *obj)
{
	char m[4 * KC_MASK_LEN];

	for (size_t i = 0; i < sizeof(phone_members) / sizeof(phone_members[0]); i++) {
		json_t *v = json_object_get(obj, phone_members[i]);

		if (!json_is_string(v))
			continue;
		if (json_string_length(v) == 0 ||
		    kc_phone_mask(json_string_value(v), m, sizeof(m)) < 0)
			json_object_set_new(obj, phone_members[i], json_null());
		else
			json_object_set_new(obj, phone_members[i], json_string(m));
	}
}

int kc_notice_pk_parse(const char *b64, unsigned char pk[KC_NOTICE_PK_BYTES])
{
	size_t n = 0;

	if (sodium_init() < 0 ||
	    sodium_base642bin(pk, KC_NOTICE_PK_BYTES, b64, strlen(b64), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL) != 0 || n != KC_NOTICE_PK_BYTES)
		return -EINVAL;
	return 0;
}

int kc_json_phone_seal(json_t *data, const char *phone, const unsigned char *pk)
{
	char m[4 * KC_MASK_LEN];
	size_t n = phone ? strlen(phone) : 0, blen;
	unsigned char *box;
	char *b64;
	int r = 0;

	if (n == 0)
		return 0;
	if (kc_phone_mask(phone, m, sizeof(m)) == 0 &&
	    json_object_set_new(data, "phone_masked", json_string(m)) < 0)
		return -ENOMEM;
	if (!pk)
		return 0;
	blen = sodium_base64_ENCODED_LEN(n + crypto_box_SEALBYTES, sodium_base64_VARIANT_ORIGINAL);
	box = malloc(n + crypto_box_SEALBYTES);
	b64 = malloc(blen);
	if (!box || !b64 || sodium_init() < 0 || crypto_box_seal(box, (const unsigned char *)phone, n, pk) != 0) {
		r = -ENOMEM;
		goto out;
	}
	sodium_bin2base64(b64, blen, box, n + crypto_box_SEALBYTES, sodium_base64_VARIANT_ORIGINAL);
	if (json_object_set_new(data, "phone_sealed", json_string(b64)) < 0)
		r = -ENOMEM;
out:
	free(box);
	free(b64);
	return r;
}

int kc_pin_check_form(const char *pin)
{
	size_t n;

	if (!pin)
		return -EINVAL;
	n = strlen(pin);
	if (n < 4 || n > 12)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)pin[i]))
			return -EINVAL;
	return 0;
}

int kc_secret_hash(const char *secret, char out[KC_PWHASH_LEN])
{
	if (!secret || !*secret)
		return -EINVAL;
	return crypto_pwhash_str_alg(out, secret, strlen(secret), PW_OPS, PW_MEM,
				     crypto_pwhash_ALG_ARGON2ID13) < 0 ? -ENOMEM : 0;
}

bool kc_secret_matches(const char *secret, const char *stored_hash)
{
	if (!secret || !stored_hash)
		return false;
	return crypto_pwhash_str_verify(stored_hash, secret, strlen(secret)) == 0;
}

int kc_token_new(char *out, size_t nbytes)
{
	unsigned char buf[64];

	if (nbytes == 0 || nbytes > sizeof(buf))
		return -EINVAL;
	randombytes_buf(buf, nbytes);
	sodium_bin2hex(out, 2 * nbytes + 1, buf, nbytes);
	return 0;
}

void kc_token_hash(const char *token, char out[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(d, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(out, 65, d, sizeof(d));
}
