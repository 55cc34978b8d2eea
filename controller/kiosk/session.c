/* The terminal's logins: the screen's cookie (pair.c: only the paired
 * screen logs in) bound to the keycabd session token of whoever logged in
 * there. The token never leaves the kiosk. A login ends after idle_ms
 * without a request, at logout, when a new login replaces it, or when
 * another screen is paired. */
#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "controller/kiosk/kiosk.h"

struct kiosk_login_slot {
	bool used;
	char cookie[KIOSK_COOKIE_LEN];
	char token[KIOSK_TOKEN_MAX];
	struct kiosk_who who;
	int64_t last_ms;
};

static struct {
	pthread_mutex_t lock;
	struct kiosk_login_slot *slots;
	int n;
	int64_t idle_ms;
} ks = { .lock = PTHREAD_MUTEX_INITIALIZER };

int kiosk_session_init(int64_t idle_ms, int max)
{
	if (sodium_init() < 0)
		return -EIO;
	ks.slots = calloc((size_t)max, sizeof(*ks.slots));
	if (!ks.slots)
		return -ENOMEM;
	ks.n = max;
	ks.idle_ms = idle_ms;
	return 0;
}

int64_t kiosk_session_idle_ms(void)
{
	return ks.idle_ms;
}

static void session_wipe(struct kiosk_login_slot *s)
{
	sodium_memzero(s, sizeof(*s));
}

/* Constant time: the cookie is the page's credential. */
static struct kiosk_login_slot *session_find(const char *cookie)
{
	size_t len = strlen(cookie);

	if (len != KIOSK_COOKIE_LEN - 1)
		return NULL;
	for (int i = 0; i < ks.n; i++)
		if (ks.slots[i].used && sodium_memcmp(ks.slots[i].cookie, cookie, len) == 0)
			return &ks.slots[i];
	return NULL;
}

static int session_take(struct kiosk_login_slot *s, char cookie[KIOSK_COOKIE_LEN], char token[KIOSK_TOKEN_MAX])
{
	if (cookie)
		kc_strlcpy(cookie, s->cookie, KIOSK_COOKIE_LEN);
	kc_strlcpy(token, s->token, KIOSK_TOKEN_MAX);
	session_wipe(s);
	return 1;
}

int kiosk_session_bind(const char *cookie, const char *token, const struct kiosk_who *who,
		       char old[KIOSK_TOKEN_MAX])
{
	struct kiosk_login_slot *s;
	int r = 0;

	old[0] = '\0';
	if (strlen(cookie) != KIOSK_COOKIE_LEN - 1 || strlen(token) >= KIOSK_TOKEN_MAX)
		return -EINVAL;
	pthread_mutex_lock(&ks.lock);
	s = session_find(cookie);
	if (s) {
		kc_strlcpy(old, s->token, KIOSK_TOKEN_MAX);
	} else {
		for (int i = 0; i < ks.n && !s; i++)
			if (!ks.slots[i].used)
				s = &ks.slots[i];
	}
	if (s) {
		session_wipe(s);
		s->used = true;
		kc_strlcpy(s->cookie, cookie, sizeof(s->cookie));
		kc_strlcpy(s->token, token, sizeof(s->token));
		s->who = *who;
		s->last_ms = kc_mono_ms();
	} else {
		r = -ENOSPC;
	}
	pthread_mutex_unlock(&ks.lock);
	return r;
}

int kiosk_session_use(const char *cookie, char token[KIOSK_TOKEN_MAX], struct kiosk_who *who)
{
	struct kiosk_login_slot *s;
	int r = -ENOENT;

	pthread_mutex_lock(&ks.lock);
	s = session_find(cookie);
	if (s && kc_mono_ms() - s->last_ms < ks.idle_ms) {
		s->last_ms = kc_mono_ms();
		kc_strlcpy(token, s->token, KIOSK_TOKEN_MAX);
		if (who)
			*who = s->who;
		r = 0;
	}
	pthread_mutex_unlock(&ks.lock);
	return r;
}

int kiosk_session_end(const char *cookie, char token[KIOSK_TOKEN_MAX])
{
	struct kiosk_login_slot *s;
	int r = -ENOENT;

	pthread_mutex_lock(&ks.lock);
	s = session_find(cookie);
	if (s)
		r = session_take(s, NULL, token) > 0 ? 0 : -ENOENT;
	pthread_mutex_unlock(&ks.lock);
	return r;
}

int kiosk_session_expire(int64_t now_ms, char cookie[KIOSK_COOKIE_LEN], char token[KIOSK_TOKEN_MAX])
{
	int r = 0;

	pthread_mutex_lock(&ks.lock);
	for (int i = 0; i < ks.n && !r; i++)
		if (ks.slots[i].used && now_ms - ks.slots[i].last_ms >= ks.idle_ms)
			r = session_take(&ks.slots[i], cookie, token);
	pthread_mutex_unlock(&ks.lock);
	return r;
}

int kiosk_session_pop(char cookie[KIOSK_COOKIE_LEN], char token[KIOSK_TOKEN_MAX])
{
	int r = 0;

	pthread_mutex_lock(&ks.lock);
	for (int i = 0; i < ks.n && !r; i++)
		if (ks.slots[i].used)
			r = session_take(&ks.slots[i], cookie, token);
	pthread_mutex_unlock(&ks.lock);
	return r;
}

int kiosk_session_count(void)
{
	int n = 0;

	pthread_mutex_lock(&ks.lock);
	for (int i = 0; i < ks.n; i++)
		n += ks.slots[i].used;
	pthread_mutex_unlock(&ks.lock);
	return n;
}
