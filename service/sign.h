/* Request signatures of the SMS gateways, each as its vendor publishes it:
 * Aliyun's ACS3-HMAC-SHA256 (V3 request signature) and Tencent Cloud's
 * TC3-HMAC-SHA256 (API 3.0 signature v3). SHA-256 and HMAC-SHA-256 are
 * libsodium's. */
#ifndef KC_SERVICE_SIGN_H
#define KC_SERVICE_SIGN_H
#include <stddef.h>

#define KC_SHA256_HEX 65 /* 64 hex digits and the NUL */

/* hex(SHA-256(data)) into out[KC_SHA256_HEX]. */
void kc_sha256_hex(const void *data, size_t len, char *out);

/* RFC 3986 percent-encoding as both vendors use it (unreserved characters
 * A-Z a-z 0-9 - _ . ~ kept, every other byte %XX). Returns a malloc'd
 * string or NULL. */
char *kc_sign_pct(const char *s);

/* A header that is signed: name in lower case, the value as sent. */
struct kc_sign_header {
	const char *name;
	const char *value;
};

/* ACS3-HMAC-SHA256: the Authorization header's value for a request of
 * method to path "/" with the canonical query string query (already sorted
 * and encoded: kc_sign_pct), the signed headers hdrs (sorted by name; they
 * include x-acs-content-sha256, the hex SHA-256 of the body), signed with
 * the AccessKey secret. Returns a malloc'd string or NULL. */
char *kc_sign_acs3(const char *method, const char *query, const struct kc_sign_header *hdrs,
		   size_t nhdrs, const char *payload_sha256, const char *key_id, const char *secret);

/* TC3-HMAC-SHA256: the Authorization header's value for a POST of body to
 * "/" of service at the UTC second ts, the signed headers hdrs (sorted by
 * name: content-type, host, x-tc-action; their values signed in lower
 * case, as the algorithm has it). Returns a malloc'd string or NULL. */
char *kc_sign_tc3(const char *body, const struct kc_sign_header *hdrs, size_t nhdrs,
		  const char *service, long long ts, const char *secret_id, const char *secret_key);

#endif
