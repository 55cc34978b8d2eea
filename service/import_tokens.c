/* Previews waiting for their confirmation (import_tokens.h): a small
 * table under a mutex, searched by token; expired entries are dropped
 * as new ones come. */
#include "service/import_tokens.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/pdata.h"
#include "common/util.h"

struct slot {
	char token[KC_TOKEN_LEN];
	struct kc_import_pending p;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot slots[KC_IMPORT_PENDING_MAX];

static void slot_clear(struct slot *s)
{
	free(s->p.file);
	memset(s, 0, sizeof(*s));
}

int kc_import_token_put(const struct kc_import_pending *p, int64_t now_ms, char token[KC_TOKEN_LEN])
{
	struct slot *use = NULL;
	void *copy = malloc(p->len ? p->len : 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, p->file, p->len);
	if (kc_token_new(token, KC_TOKEN_BYTES) < 0) {
		free(copy);
		return -ENOMEM;
	}
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < KC_IMPORT_PENDING_MAX; i++) {
		struct slot *s = &slots[i];

		if (s->token[0] && s->p.expires_ms <= now_ms)
			slot_clear(s);
		if (!s->token[0] && !use)
			use = s;
	}
	if (!use) { /* every one in use: the one that expires first goes */
		use = &slots[0];
		for (size_t i = 1; i < KC_IMPORT_PENDING_MAX; i++)
			if (slots[i].p.expires_ms < use->p.expires_ms)
				use = &slots[i];
		slot_clear(use);
	}
	use->p = *p;
	use->p.file = copy;
	use->p.expires_ms = now_ms + KC_IMPORT_VALID_MS;
	kc_strlcpy(use->token, token, sizeof(use->token));
	pthread_mutex_unlock(&lock);
	return 0;
}

int kc_import_token_take(const char *token, const char *user, int table, int64_t now_ms,
			 struct kc_import_pending *out)
{
	int r = -ENOENT;

	if (!token || strlen(token) != KC_TOKEN_LEN - 1)
		return -ENOENT;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < KC_IMPORT_PENDING_MAX; i++) {
		struct slot *s = &slots[i];

		if (!s->token[0] || sodium_memcmp(s->token, token, KC_TOKEN_LEN - 1) != 0)
			continue;
		if (s->p.expires_ms <= now_ms) {
			slot_clear(s);
			break;
		}
		if (strcmp(s->p.user, user) != 0 || s->p.table != table)
			break;
		*out = s->p;
		s->p.file = NULL; /* now the caller's */
		slot_clear(s);
		r = 0;
		break;
	}
	pthread_mutex_unlock(&lock);
	return r;
}
