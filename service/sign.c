#include "service/sign.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "service/sbuf.h"

void kc_sha256_hex(const void *data, size_t len, char *out)
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(out, KC_SHA256_HEX, h, sizeof(h));
}

static void hmac(unsigned char out[crypto_auth_hmacsha256_BYTES], const void *key, size_t keylen,
		 const char *msg)
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, strlen(msg));
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof(st));
}

char *kc_sign_pct(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);
	char *out = malloc(3 * n + 1), *o = out;

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '_' || *p == '.' || *p == '~') {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/* "name:value\n" for each header (the value in lower case when lower),
 * then the names joined by ';'. */
static int canonical_headers(struct sbuf *b, struct sbuf *names, const struct kc_sign_header *h,
			     size_t n, bool lower)
{
	for (size_t i = 0; i < n; i++) {
		sbuf_printf(b, "%s:", h[i].name);
		for (const char *v = h[i].value; *v; v++)
			sbuf_addn(b, lower && *v >= 'A' && *v <= 'Z' ? &"abcdefghijklmnopqrstuvwxyz"[*v - 'A'] : v, 1);
		sbuf_add(b, "\n");
		sbuf_printf(names, "%s%s", i ? ";" : "", h[i].name);
	}
	return b->oom || names->oom ? -1 : 0;
}

char *kc_sign_acs3(const char *method, const char *query, const struct kc_sign_header *hdrs,
		   size_t nhdrs, const char *payload_sha256, const char *key_id, const char *secret)
{
	struct sbuf req = { 0 }, names = { 0 }, out = { 0 };
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char h[KC_SHA256_HEX], sig[2 * sizeof(mac) + 1], *sts = NULL;

	sbuf_printf(&req, "%s\n/\n%s\n", method, query);
	if (canonical_headers(&req, &names, hdrs, nhdrs, false) < 0)
		goto out;
	sbuf_printf(&req, "\n%s\n%s", names.p, payload_sha256);
	if (req.oom)
		goto out;
	kc_sha256_hex(req.p, req.len, h);
	if (asprintf(&sts, "ACS3-HMAC-SHA256\n%s", h) < 0) {
		sts = NULL;
		goto out;
	}
	hmac(mac, secret, strlen(secret), sts);
	sodium_bin2hex(sig, sizeof(sig), mac, sizeof(mac));
	sbuf_printf(&out, "ACS3-HMAC-SHA256 Credential=%s,SignedHeaders=%s,Signature=%s", key_id,
		       names.p, sig);
out:
	free(sts);
	free(req.p);
	free(names.p);
	return out.p ? sbuf_take(&out) : NULL;
}

char *kc_sign_tc3(const char *body, const struct kc_sign_header *hdrs, size_t nhdrs,
		  const char *service, long long ts, const char *secret_id, const char *secret_key)
{
	struct sbuf req = { 0 }, names = { 0 }, out = { 0 }, sts = { 0 };
	unsigned char k[crypto_auth_hmacsha256_BYTES];
	char h[KC_SHA256_HEX], date[16], sig[2 * sizeof(k) + 1], *key0 = NULL;
	time_t t = (time_t)ts;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d", &tm);
	sbuf_printf(&req, "POST\n/\n\n");
	if (canonical_headers(&req, &names, hdrs, nhdrs, true) < 0)
		goto out;
	kc_sha256_hex(body, strlen(body), h);
	sbuf_printf(&req, "\n%s\n%s", names.p, h);
	if (req.oom)
		goto out;
	kc_sha256_hex(req.p, req.len, h);
	sbuf_printf(&sts, "TC3-HMAC-SHA256\n%lld\n%s/%s/tc3_request\n%s", ts, date, service, h);
	if (sts.oom || asprintf(&key0, "TC3%s", secret_key) < 0) {
		key0 = NULL;
		goto out;
	}
	hmac(k, key0, strlen(key0), date);
	hmac(k, k, sizeof(k), service);
	hmac(k, k, sizeof(k), "tc3_request");
	hmac(k, k, sizeof(k), sts.p);
	sodium_bin2hex(sig, sizeof(sig), k, sizeof(k));
	sodium_memzero(k, sizeof(k));
	sbuf_printf(&out, "TC3-HMAC-SHA256 Credential=%s/%s/%s/tc3_request, SignedHeaders=%s, Signature=%s",
		       secret_id, date, service, names.p, sig);
out:
	if (key0) {
		sodium_memzero(key0, strlen(key0));
		free(key0);
	}
	free(req.p);
	free(names.p);
	free(sts.p);
	return out.p ? sbuf_take(&out) : NULL;
}
