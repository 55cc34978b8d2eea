/* Office accounts as an admin manages them in the console (kc_account_*):
 * the list, a new account with its sites, disabling and enabling, the
 * role, the sites, and one-time password reset codes. Passwords are kept
 * as argon2id hashes (auth.c), reset codes as their SHA-256. Each change
 * is sealed as an event of the office chain (office.c) naming the acting
 * admin (by), in the same transaction. Each call returns 0 or a negative
 * errno and logs nothing. */
#ifndef KC_SERVICE_ACCOUNTS_H
#define KC_SERVICE_ACCOUNTS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "service/auth.h"
#include "service/store.h"

/* How long a reset code works. */
#define KC_ACCOUNT_RESET_TTL_S (24 * 3600)

/* Every account: [{"name", "role", "disabled" (bool), "created" (ms),
 * "sites": [site, ...] (empty: every site), "locked_s" (the login backoff's
 * lock of the name)}], by name. NULL on a database error. */
json_t *kc_account_list(struct kc_db *db, int64_t now_ms);
/* The registered sites, [[site, name], ...]; NULL on a database error. */
json_t *kc_account_site_choices(struct kc_db *db);
/* 0 when every site of sites (a JSON array of strings) is registered;
 * -ENOENT with *bad the first that is not; -EINVAL for a value that is
 * not a string; -EIO. */
int kc_account_sites_check(struct kc_db *db, const json_t *sites, const char **bad);

/* A new account with its sites (checked first: kc_auth_name_check,
 * kc_auth_password_check, kc_account_sites_check) and, for a manager, the
 * person code it is on the cabinets (NULL: none). 0, -EEXIST, -EIO. */
int kc_account_create(struct kc_db *db, const char *by, const char *name, enum kc_role role, const char *password,
		      const json_t *sites, const char *person);
/* Disables (ending the account's sessions and unused reset codes) or
 * enables an account. 0, -ENOENT, -EBUSY (the last enabled admin), -EIO. */
int kc_account_set_disabled(struct kc_db *db, const char *by, const char *name, bool disabled);
/* 0, -ENOENT, -EBUSY (would leave no enabled admin), -EIO. */
int kc_account_set_role(struct kc_db *db, const char *by, const char *name, enum kc_role role);
/* The account's sites (empty: every site). 0, -ENOENT, -EIO. */
int kc_account_set_sites(struct kc_db *db, const char *by, const char *name, const json_t *sites);
/* Lifts the login backoff's lock of the account's name (auth.c): 1 when
 * it was locked (the act is then recorded), 0 when it was not, -ENOENT,
 * -EIO. */
int kc_account_unlock(struct kc_db *db, const char *by, const char *name);

/* A one-time code that lets the account set a new password, valid for
 * KC_ACCOUNT_RESET_TTL_S; its earlier unused codes stop working. 0 with
 * code written, -ENOENT, -EIO. */
int kc_account_reset_issue(struct kc_db *db, const char *name, const char *by, char code[KC_TOKEN_LEN]);
/* The account a code is for while it works: 0 with user (KC_NAME_MAX+1
 * bytes), -ENOENT (unknown, used, expired, or its account disabled), -EIO. */
int kc_account_reset_peek(struct kc_db *db, const char *code, char *user);
/* Spends code: the account's new password (kc_auth_password_check
 * first), its sessions ended, recorded with the account as the actor. 0
 * with user written, -ENOENT, -ENOMEM, -EIO. */
int kc_account_reset_redeem(struct kc_db *db, const char *code, const char *password, char *user);

#endif
