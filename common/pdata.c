#include "common/pdata.h"

#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <string.h>

/* Interactive-grade cost, lighter on memory: a cabinet board has little. */
#define PW_OPS 2
#define PW_MEM (16u << 20)

int kc_pdata_init(void)
{
	return sodium_init() < 0 ? -EIO : 0;
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
	r = crypto_pwhash_str_alg(out, norm, strlen(norm), PW_OPS, PW_MEM,
				  crypto_pwhash_ALG_ARGON2ID13);
	sodium_memzero(norm, sizeof(norm));
	return r < 0 ? -ENOMEM : 0;
}

bool kc_id_matches(const char *id, const char *stored_hash)
{
	char norm[40];
	bool ok;

	if (!stored_hash || kc_id_normalise(id, norm, sizeof(norm)) < 0)
		return false;
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
	for (size_t i = 0; i < n; i++)
		out[i] = (n > 4 && i < n - 4) || n <= 4 ? '*' : norm[i];
	out[n] = '\0';
	sodium_memzero(norm, sizeof(norm));
	return 0;
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
