/* Who is who (kc_auth_*): people (supervisors, admins) and their roles,
 * the login backoff, web sessions, and cabinets with their bearer tokens.
 * Secrets are stored hashed only: passwords with argon2id, session and
 * cabinet tokens with SHA-256. */
#ifndef KC_SERVICE_AUTH_H
#define KC_SERVICE_AUTH_H
#include <stddef.h>
#include <stdint.h>

#include "service/store.h"

#define KC_TOKEN_BYTES 32
#define KC_TOKEN_LEN (2 * KC_TOKEN_BYTES + 1)
#define KC_NAME_MAX 64

/* manager: an account that answers the approval requests addressed to
 * its cabinet person (users.person; service/approvals.h) */
enum kc_role { KC_ROLE_NONE, KC_ROLE_SUPERVISOR, KC_ROLE_ADMIN, KC_ROLE_MANAGER };

int kc_auth_role_parse(const char *s, enum kc_role *out);
const char *kc_auth_role_name(enum kc_role r);
/* Names of users and cabinets: 1 to 64 of [A-Za-z0-9._-]. */
int kc_auth_name_check(const char *s);

/* A password an account may have: 8 to 128 bytes, of at least two
 * kinds of characters (letters, digits, others), not the account's name.
 * 0 or -EINVAL. */
#define KC_AUTH_PASSWORD_MIN 8
#define KC_AUTH_PASSWORD_MAX 128
int kc_auth_password_check(const char *name, const char *password);
/* The argon2id hash of a new password (KC_PWHASH_LEN bytes): 0, -ENOMEM. */
int kc_auth_password_hash(const char *password, char *hash);

/* Returns 0, -EEXIST, -EINVAL (bad name or password), -EIO. */
int kc_auth_user_add(struct kc_db *db, const char *name, enum kc_role role, const char *password);
/* Returns 0 with *role set, -EPERM for the right password of a disabled
 * account, or -EACCES. An unknown name costs what a known one does: its
 * password is checked against a dummy argon2id hash. */
int kc_auth_user_check(struct kc_db *db, const char *name, const char *password, enum kc_role *role);

/* Login backoff, in memory: failed password checks are counted per login
 * name and per client address (an IPv6 address by its /64). After
 * KC_AUTH_LOGIN_FREE_USER failures for a name, or KC_AUTH_LOGIN_FREE_ADDR
 * from an address, each further failure locks it for twice as long as the
 * one before, from 1 s up to KC_AUTH_LOGIN_LOCK_MAX_S. A locked address is
 * refused. A locked name is refused from addresses with a failure on
 * record; a clean address (none) may still try it, one check at a time
 * and one a second, so that guessing from elsewhere cannot lock its user
 * out. A success
 * clears the counts that are not locked; a quarter of an hour without a
 * failure forgets them. */
#define KC_AUTH_LOGIN_FREE_USER 5
#define KC_AUTH_LOGIN_FREE_ADDR 20
#define KC_AUTH_LOGIN_LOCK_MAX_S 900
/* Before a password check: 0 (then call kc_auth_login_end), or -EAGAIN
 * with *retry_s, the seconds left. */
int kc_auth_login_begin(const char *user, const char *addr, int64_t now_ms, int *retry_s);
/* After the check: returns the seconds this failure locks the name or the
 * address for (the longer), 0 when it locks neither. */
int kc_auth_login_end(const char *user, const char *addr, int ok, int64_t now_ms);
/* The seconds the name is locked for now, 0 when it is not. */
int kc_auth_login_locked(const char *user, int64_t now_ms);
/* An admin's unlock: forgets the name's failures and lock. Returns 1 when
 * it was locked, else 0. */
int kc_auth_login_unlock(const char *user, int64_t now_ms);

int kc_auth_session_new(struct kc_db *db, const char *user, int ttl_s, char token[KC_TOKEN_LEN]);
/* Returns 0 with user (KC_NAME_MAX+1 bytes) and role set, or -EACCES
 * (also for the session of a disabled account). */
int kc_auth_session_get(struct kc_db *db, const char *token, char *user, enum kc_role *role);
/* Ends the session of token (a sign-out): 0, or -EIO when the database
 * could not delete it (the session still works). */
int kc_auth_session_end(struct kc_db *db, const char *token);
/* Drops expired sessions; returns how many, or -EIO. */
int kc_auth_session_expire(struct kc_db *db);

/* Registers a cabinet and writes its new token (shown once). Returns 0,
 * -EEXIST, -EINVAL, -EIO. */
int kc_auth_cabinet_add(struct kc_db *db, const char *id, char token[KC_TOKEN_LEN]);
/* A new token for a cabinet; the old one stops working. -ENOENT, -EIO. */
int kc_auth_cabinet_rotate(struct kc_db *db, const char *id, char token[KC_TOKEN_LEN]);
/* The cabinet a bearer token belongs to. Returns 0 (cabinet written),
 * -EACCES for an unknown token, -EIO on a database error. */
int kc_auth_cabinet_by_token(struct kc_db *db, const char *token, char *cabinet, size_t len);

#endif
