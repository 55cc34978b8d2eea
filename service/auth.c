#include "service/auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/pdata.h"
#include "common/util.h"

/* Each role's word, by enum kc_role. */
static const char *const role_names[] = {
	[KC_ROLE_NONE] = "none",
	[KC_ROLE_SUPERVISOR] = "supervisor",
	[KC_ROLE_ADMIN] = "admin",
	[KC_ROLE_MANAGER] = "manager",
};

int kc_auth_role_parse(const char *s, enum kc_role *out)
{
	for (size_t i = KC_ROLE_SUPERVISOR; s && i < KC_ARRAY_SIZE(role_names); i++)
		if (strcmp(s, role_names[i]) == 0) {
			*out = (enum kc_role)i;
			return 0;
		}
	return -EINVAL;
}

const char *kc_auth_role_name(enum kc_role r)
{
	return (unsigned)r < KC_ARRAY_SIZE(role_names) ? role_names[r] : role_names[KC_ROLE_NONE];
}

int kc_auth_name_check(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > KC_NAME_MAX)
		return -EINVAL;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '_' || *s == '-'))
			return -EINVAL;
	return 0;
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	return rc == SQLITE_CONSTRAINT ? -EEXIST : -EIO;
}

int kc_auth_password_check(const char *name, const char *password)
{
	size_t n = password ? strlen(password) : 0;
	int letters = 0, digits = 0, others = 0;

	if (n < KC_AUTH_PASSWORD_MIN || n > KC_AUTH_PASSWORD_MAX || (name && strcmp(name, password) == 0))
		return -EINVAL;
	for (const char *p = password; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			letters = 1;
		else if (*p >= '0' && *p <= '9')
			digits = 1;
		else
			others = 1;
	}
	return letters + digits + others >= 2 ? 0 : -EINVAL;
}

int kc_auth_password_hash(const char *password, char *hash)
{
	return kc_secret_hash(password, hash) < 0 ? -ENOMEM : 0;
}

int kc_auth_user_add(struct kc_db *db, const char *name, enum kc_role role, const char *password)
{
	char hash[KC_PWHASH_LEN];
	sqlite3_stmt *st;

	if (kc_auth_name_check(name) < 0 || kc_auth_password_check(name, password) < 0)
		return -EINVAL;
	if (kc_auth_password_hash(password, hash) < 0)
		return -ENOMEM;
	st = kc_db_stmt(db, "INSERT INTO users (name, role, pw_hash, created_ms) VALUES (?,?,?,?)");
	if (!st)
		return -EIO;
	kc_bind_text(st, 1, name);
	kc_bind_text(st, 2, kc_auth_role_name(role));
	kc_bind_text(st, 3, hash);
	sqlite3_bind_int64(st, 4, kc_wall_ms());
	return step_done(st);
}

static char dummy_hash[KC_PWHASH_LEN];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void auth_dummy_make(void)
{
	char secret[2 * 16 + 1];

	kc_token_new(secret, 16);
	kc_secret_hash(secret, dummy_hash);
}

int kc_auth_user_check(struct kc_db *db, const char *name, const char *password, enum kc_role *role)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT pw_hash, role, disabled_ms IS NOT NULL FROM users WHERE name = ?");
	char hash[KC_PWHASH_LEN] = "";
	enum kc_role r = KC_ROLE_NONE;
	int disabled = 0;

	if (!st || !name || !password)
		return -EACCES;
	kc_bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		kc_strlcpy(hash, (const char *)sqlite3_column_text(st, 0), sizeof(hash));
		kc_auth_role_parse((const char *)sqlite3_column_text(st, 1), &r);
		disabled = sqlite3_column_int(st, 2);
	}
	sqlite3_reset(st);
	if (!hash[0]) {
		pthread_once(&dummy_once, auth_dummy_make);
		kc_secret_matches(password, dummy_hash);
		return -EACCES;
	}
	if (!kc_secret_matches(password, hash))
		return -EACCES;
	if (disabled)
		return -EPERM;
	*role = r;
	return 0;
}

/* ---- login backoff ---- */

#define LOGIN_SLOTS 4096
#define LOGIN_FORGET_MS (INT64_C(15) * 60 * 1000)

/* While a name is locked, a clean address may check it once in this
 * period: a guesser with many addresses gets at most one guess a period,
 * its user waits a second at most. */
#define LOGIN_CLEAN_SPACING_MS 1000

struct login_slot {
	char key[KC_NAME_MAX + 3]; /* "u:" name or "a:" address; "" when free */
	int fails, inflight;
	int64_t until_ms, last_ms;
	int64_t clean_ms; /* a name's: the last check from a clean address while it was locked */
};

static struct login_slot login_slots[LOGIN_SLOTS];
static pthread_mutex_t login_mutex = PTHREAD_MUTEX_INITIALIZER;

static void login_key(char *out, size_t len, char kind, const char *what)
{
	snprintf(out, len, "%c:%.*s", kind, KC_NAME_MAX, what ? what : "");
}

/* The slot of key, taking a free or forgettable one (the least recently
 * used that is neither locked nor in use) when it has none. */
static struct login_slot *login_slot_get(const char *key, int64_t now, const struct login_slot *keep)
{
	struct login_slot *victim = NULL;

	for (size_t i = 0; i < LOGIN_SLOTS; i++) {
		struct login_slot *e = &login_slots[i];

		if (e->key[0] && strcmp(e->key, key) == 0) {
			if (e->inflight == 0 && now >= e->until_ms && now - e->last_ms > LOGIN_FORGET_MS)
				e->fails = 0;
			return e;
		}
		if (e == keep || e->inflight || now < e->until_ms)
			continue;
		if (!victim || !e->key[0] || (victim->key[0] && e->last_ms < victim->last_ms))
			victim = e;
	}
	if (!victim)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	kc_strlcpy(victim->key, key, sizeof(victim->key));
	victim->last_ms = now;
	return victim;
}

/* 0, or the milliseconds this slot is still locked for. */
static int64_t login_slot_wait(const struct login_slot *e, int free_fails, int64_t now)
{
	if (now < e->until_ms)
		return e->until_ms - now;
	/* past its free failures, one check at a time */
	if (e->fails >= free_fails && e->inflight > 0)
		return 1000;
	return 0;
}

/* 0, or the milliseconds the name's slot u holds a check from the
 * address of slot a. A clean address (no failure on record) is not held
 * by the name's lock: its checks of a locked name are spaced and one at a
 * time. */
static int64_t login_name_wait(const struct login_slot *u, const struct login_slot *a, int64_t now)
{
	int64_t w = login_slot_wait(u, KC_AUTH_LOGIN_FREE_USER, now);

	if (w == 0 || a->fails > 0)
		return w;
	if (now - u->clean_ms < LOGIN_CLEAN_SPACING_MS)
		return LOGIN_CLEAN_SPACING_MS - (now - u->clean_ms);
	return u->inflight > 0 ? LOGIN_CLEAN_SPACING_MS : 0;
}

/* Returns the milliseconds this failure locks the slot for, or 0. A
 * success clears a slot that is not locked; a locked name stays locked
 * when its user signs in from a clean address (the lock is a guesser's). */
static int64_t login_slot_done(struct login_slot *e, int free_fails, int ok, int64_t now)
{
	if (e->inflight > 0)
		e->inflight--;
	e->last_ms = now;
	if (ok) {
		if (now >= e->until_ms) {
			e->fails = 0;
			e->until_ms = 0;
		}
		return 0;
	}
	e->fails++;
	if (e->fails >= free_fails) {
		int shift = e->fails - free_fails;
		int64_t lock = (int64_t)1000 << (shift > 10 ? 10 : shift);

		if (lock > (int64_t)KC_AUTH_LOGIN_LOCK_MAX_S * 1000)
			lock = (int64_t)KC_AUTH_LOGIN_LOCK_MAX_S * 1000;
		e->until_ms = now + lock;
		return lock;
	}
	return 0;
}

int kc_auth_login_begin(const char *user, const char *addr, int64_t now_ms, int *retry_s)
{
	char ku[sizeof(login_slots[0].key)], ka[sizeof(login_slots[0].key)];
	struct login_slot *u, *a;
	int64_t wait;

	login_key(ku, sizeof(ku), 'u', user);
	login_key(ka, sizeof(ka), 'a', addr);
	pthread_mutex_lock(&login_mutex);
	u = login_slot_get(ku, now_ms, NULL);
	a = login_slot_get(ka, now_ms, u);
	if (!u || !a) {
		/* every slot locked or in use: a flood; refuse for a second */
		wait = 1000;
	} else {
		int64_t wu = login_name_wait(u, a, now_ms);
		int64_t wa = login_slot_wait(a, KC_AUTH_LOGIN_FREE_ADDR, now_ms);

		wait = wu > wa ? wu : wa;
		if (wait == 0) {
			if (now_ms < u->until_ms) /* a clean address's check of a locked name */
				u->clean_ms = now_ms;
			u->inflight++;
			a->inflight++;
		}
	}
	pthread_mutex_unlock(&login_mutex);
	if (wait == 0)
		return 0;
	*retry_s = (int)((wait + 999) / 1000);
	return -EAGAIN;
}

int kc_auth_login_end(const char *user, const char *addr, int ok, int64_t now_ms)
{
	char ku[sizeof(login_slots[0].key)], ka[sizeof(login_slots[0].key)];
	struct login_slot *u, *a;
	int64_t lu = 0, la = 0;

	login_key(ku, sizeof(ku), 'u', user);
	login_key(ka, sizeof(ka), 'a', addr);
	pthread_mutex_lock(&login_mutex);
	u = login_slot_get(ku, now_ms, NULL);
	if (u)
		lu = login_slot_done(u, KC_AUTH_LOGIN_FREE_USER, ok, now_ms);
	a = login_slot_get(ka, now_ms, u);
	if (a)
		la = login_slot_done(a, KC_AUTH_LOGIN_FREE_ADDR, ok, now_ms);
	pthread_mutex_unlock(&login_mutex);
	return (int)(((lu > la ? lu : la) + 999) / 1000);
}

int kc_auth_login_locked(const char *user, int64_t now_ms)
{
	char ku[sizeof(login_slots[0].key)];
	int64_t left = 0;

	login_key(ku, sizeof(ku), 'u', user);
	pthread_mutex_lock(&login_mutex);
	for (size_t i = 0; i < LOGIN_SLOTS; i++) {
		if (strcmp(login_slots[i].key, ku) == 0 && now_ms < login_slots[i].until_ms)
			left = login_slots[i].until_ms - now_ms;
	}
	pthread_mutex_unlock(&login_mutex);
	return (int)((left + 999) / 1000);
}

int kc_auth_login_unlock(const char *user, int64_t now_ms)
{
	char ku[sizeof(login_slots[0].key)];
	int was = 0;

	login_key(ku, sizeof(ku), 'u', user);
	pthread_mutex_lock(&login_mutex);
	for (size_t i = 0; i < LOGIN_SLOTS; i++) {
		struct login_slot *e = &login_slots[i];

		if (strcmp(e->key, ku) != 0)
			continue;
		was = now_ms < e->until_ms;
		e->fails = 0;
		e->until_ms = 0;
		e->clean_ms = 0;
	}
	pthread_mutex_unlock(&login_mutex);
	return was;
}

int kc_auth_session_new(struct kc_db *db, const char *user, int ttl_s, char token[KC_TOKEN_LEN])
{
	sqlite3_stmt *st = kc_db_stmt(db, "INSERT INTO sessions (token_hash, user, expires_ms) VALUES (?,?,?)");
	char tok[KC_TOKEN_LEN], hash[65];
	int r;

	if (!st)
		return -EIO;
	kc_token_new(tok, KC_TOKEN_BYTES);
	kc_token_hash(tok, hash);
	kc_bind_text(st, 1, hash);
	kc_bind_text(st, 2, user);
	sqlite3_bind_int64(st, 3, kc_wall_ms() + (int64_t)ttl_s * 1000);
	kc_db_write_lock();
	r = step_done(st);
	kc_db_write_unlock();
	if (r == 0)
		memcpy(token, tok, KC_TOKEN_LEN);
	return r;
}

int kc_auth_session_get(struct kc_db *db, const char *token, char *user, enum kc_role *role)
{
	sqlite3_stmt *st = kc_db_stmt(db,
		"SELECT u.name, u.role FROM sessions s JOIN users u ON u.name = s.user"
		" WHERE s.token_hash = ? AND s.expires_ms > ? AND u.disabled_ms IS NULL");
	char hash[65];
	int r = -EACCES;

	if (!st || !token || strlen(token) != KC_TOKEN_LEN - 1)
		return -EACCES;
	kc_token_hash(token, hash);
	kc_bind_text(st, 1, hash);
	sqlite3_bind_int64(st, 2, kc_wall_ms());
	if (sqlite3_step(st) == SQLITE_ROW) {
		kc_strlcpy(user, (const char *)sqlite3_column_text(st, 0), KC_NAME_MAX + 1);
		r = kc_auth_role_parse((const char *)sqlite3_column_text(st, 1), role) == 0 ? 0 : -EACCES;
	}
	sqlite3_reset(st);
	return r;
}

int kc_auth_session_end(struct kc_db *db, const char *token)
{
	sqlite3_stmt *st = kc_db_stmt(db, "DELETE FROM sessions WHERE token_hash = ?");
	char hash[65];
	int r;

	if (!st)
		return -EIO;
	kc_token_hash(token, hash);
	kc_bind_text(st, 1, hash);
	kc_db_write_lock();
	r = step_done(st);
	kc_db_write_unlock();
	return r;
}

int kc_auth_session_expire(struct kc_db *db)
{
	sqlite3_stmt *st = kc_db_stmt(db, "DELETE FROM sessions WHERE expires_ms <= ?");
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, kc_wall_ms());
	kc_db_write_lock();
	r = step_done(st);
	if (r == 0)
		r = sqlite3_changes(db->h);
	kc_db_write_unlock();
	return r;
}

/* A new token for cabinet id: the cabinet added with it, or (rotate) its
 * token replaced. The token in token only once it is stored. */
static int cabinet_token(struct kc_db *db, const char *id, bool rotate, char token[KC_TOKEN_LEN])
{
	sqlite3_stmt *st = kc_db_stmt(db, rotate ? "UPDATE cabinets SET token_hash = ?1 WHERE id = ?2"
					   : "INSERT INTO cabinets (id, token_hash, created_ms) VALUES (?2,?1,?3)");
	char tok[KC_TOKEN_LEN], hash[65];
	int r;

	/* a chain no cabinet sends (the office chain, "@office") has no token */
	if (kc_auth_name_check(id) < 0)
		return rotate ? -ENOENT : -EINVAL;
	if (!st)
		return -EIO;
	kc_token_new(tok, KC_TOKEN_BYTES);
	kc_token_hash(tok, hash);
	kc_bind_text(st, 1, hash);
	kc_bind_text(st, 2, id);
	if (!rotate)
		sqlite3_bind_int64(st, 3, kc_wall_ms());
	kc_db_write_lock();
	r = step_done(st);
	if (r == 0 && rotate && sqlite3_changes(db->h) == 0)
		r = -ENOENT;
	kc_db_write_unlock();
	if (r == 0)
		memcpy(token, tok, KC_TOKEN_LEN);
	return r;
}

int kc_auth_cabinet_add(struct kc_db *db, const char *id, char token[KC_TOKEN_LEN])
{
	return cabinet_token(db, id, false, token);
}

int kc_auth_cabinet_rotate(struct kc_db *db, const char *id, char token[KC_TOKEN_LEN])
{
	return cabinet_token(db, id, true, token);
}

int kc_auth_cabinet_by_token(struct kc_db *db, const char *token, char *cabinet, size_t len)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT id FROM cabinets WHERE token_hash = ?");
	char hash[65];
	int rc;

	if (!st)
		return -EIO;
	kc_token_hash(token, hash);
	kc_bind_text(st, 1, hash);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		kc_strlcpy(cabinet, (const char *)sqlite3_column_text(st, 0), len);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? -EACCES : -EIO;
}
