/* The previews of imports waiting for their confirmation, kept in
 * keyauditd's memory (a restart forgets them; the admin previews again):
 * each under a random token, for one account and one table, with the
 * file's SHA-256 and bytes and the digest of what the preview said would
 * be written, for KC_IMPORT_VALID_MS, used once. */
#ifndef KC_SERVICE_IMPORT_TOKENS_H
#define KC_SERVICE_IMPORT_TOKENS_H
#include <stddef.h>
#include <stdint.h>

#include "service/auth.h"

#define KC_IMPORT_VALID_MS (15LL * 60 * 1000)
#define KC_IMPORT_PENDING_MAX 16 /* previews kept at once; a new one drops the oldest */

struct kc_import_pending {
	char user[KC_NAME_MAX + 1];
	int table;
	char file_sha[65]; /* the file's SHA-256, hex */
	char outcome[65];  /* what the preview would write, hashed */
	int64_t expires_ms;
	void *file; /* malloc'd copy of the file */
	size_t len;
};

/* Keeps p (its file copied) under a new token: 0, -ENOMEM. */
int kc_import_token_put(const struct kc_import_pending *p, int64_t now_ms, char token[KC_TOKEN_LEN]);
/* Takes the pending preview of token for user and table, not yet
 * expired (an apply uses it once): 0 with *out (out->file malloc'd: free
 * it), -ENOENT. */
int kc_import_token_take(const char *token, const char *user, int table, int64_t now_ms,
			 struct kc_import_pending *out);

#endif
