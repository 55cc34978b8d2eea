#include "service/auth.h"

#include <errno.h>
#include <string.h>

#include "common/pdata.h"
#include "common/util.h"

int kc_role_parse(const char *s, enum kc_role *out)
{
	if (s && strcmp(s, "supervisor") == 0)
		*out = KC_ROLE_SUPERVISOR;
	else if (s && strcmp(s, "admin") == 0)
		*out = KC_ROLE_ADMIN;
	else
		return -EINVAL;
	return 0;
}

const char *kc_role_name(enum kc_role r)
{
	return r == KC_ROLE_ADMIN ? "admin" : r == KC_ROLE_SUPERVISOR ? "supervisor" : "none";
}

int kc_name_check(const char *s)
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

int kc_user_add(struct kc_db *db, const char *name, enum kc_role role, const char *password)
{
	char hash[KC_PWHASH_LEN];
	sqlite3_stmt *st;
	size_t n = password ? strlen(password) : 0;

	if (kc_name_check(name) < 0 || n < 8 || n > 128)
		return -EINVAL;
	if (kc_secret_hash(password, hash) < 0)
		return -ENOMEM;
	st = kc_db_stmt(db, "INSERT INTO users (name, role, pw_hash, created_ms) VALUES (?,?,?,?)");
	if (!st)
		return -EIO;
	kc_bind_text(st, 1, name);
	kc_bind_text(st, 2, kc_role_name(role));
	kc_bind_text(st, 3, hash);
	sqlite3_bind_int64(st, 4, kc_wall_ms());
	return step_done(st);
}

int kc_user_check(struct kc_db *db, const char *name, const char *password, enum kc_role *role)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT pw_hash, role FROM users WHERE name = ?");
	char hash[KC_PWHASH_LEN] = "";
	enum kc_role r = KC_ROLE_NONE;

	if (!st || !name || !password)
		return -EACCES;
	kc_bind_text(st, 1, name);
	if (sqlite3_step(st) == SQLITE_ROW) {
		kc_strlcpy(hash, (const char *)sqlite3_column_text(st, 0), sizeof(hash));
		kc_role_parse((const char *)sqlite3_column_text(st, 1), &r);
	}
	sqlite3_reset(st);
	if (!hash[0] || !kc_secret_matches(password, hash))
		return -EACCES;
	*role = r;
	return 0;
}

int kc_session_new(struct kc_db *db, const char *user, int ttl_s, char token[KC_TOKEN_LEN])
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

int kc_session_get(struct kc_db *db, const char *token, char *user, enum kc_role *role)
{
	sqlite3_stmt *st = kc_db_stmt(db,
		"SELECT u.name, u.role FROM sessions s JOIN users u ON u.name = s.user"
		" WHERE s.token_hash = ? AND s.expires_ms > ?");
	char hash[65];
	int r = -EACCES;

	if (!st || !token || strlen(token) != KC_TOKEN_LEN - 1)
		return -EACCES;
	kc_token_hash(token, hash);
	kc_bind_text(st, 1, hash);
	sqlite3_bind_int64(st, 2, kc_wall_ms());
	if (sqlite3_step(st) == SQLITE_ROW) {
		kc_strlcpy(user, (const char *)sqlite3_column_text(st, 0), KC_NAME_MAX + 1);
		r = kc_role_parse((const char *)sqlite3_column_text(st, 1), role) == 0 ? 0 : -EACCES;
	}
	sqlite3_reset(st);
	return r;
}

void kc_session_end(struct kc_db *db, const char *token)
{
	sqlite3_stmt *st = kc_db_stmt(db, "DELETE FROM sessions WHERE token_hash = ?");
	char hash[65];

	if (!st || !token)
		return;
	kc_token_hash(token, hash);
	kc_bind_text(st, 1, hash);
	kc_db_write_lock();
	step_done(st);
	kc_db_write_unlock();
}

int kc_session_expire(struct kc_db *db)
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

int kc_cabinet_add(struct kc_db *db, const char *id, char token[KC_TOKEN_LEN])
{
	sqlite3_stmt *st = kc_db_stmt(db, "INSERT INTO cabinets (id, token_hash, created_ms) VALUES (?,?,?)");
	char tok[KC_TOKEN_LEN], hash[65];
	int r;

	if (kc_name_check(id) < 0)
		return -EINVAL;
	if (!st)
		return -EIO;
	kc_token_new(tok, KC_TOKEN_BYTES);
	kc_token_hash(tok, hash);
	kc_bind_text(st, 1, id);
	kc_bind_text(st, 2, hash);
	sqlite3_bind_int64(st, 3, kc_wall_ms());
	kc_db_write_lock();
	r = step_done(st);
	kc_db_write_unlock();
	if (r == 0)
		memcpy(token, tok, KC_TOKEN_LEN);
	return r;
}

int kc_cabinet_rotate(struct kc_db *db, const char *id, char token[KC_TOKEN_LEN])
{
	sqlite3_stmt *st = kc_db_stmt(db, "UPDATE cabinets SET token_hash = ? WHERE id = ?");
	char tok[KC_TOKEN_LEN], hash[65];
	int r;

	if (!st)
		return -EIO;
	kc_token_new(tok, KC_TOKEN_BYTES);
	kc_token_hash(tok, hash);
	kc_bind_text(st, 1, hash);
	kc_bind_text(st, 2, id);
	kc_db_write_lock();
	r = step_done(st);
	if (r == 0 && sqlite3_changes(db->h) == 0)
		r = -ENOENT;
	kc_db_write_unlock();
	if (r == 0)
		memcpy(token, tok, KC_TOKEN_LEN);
	return r;
}
