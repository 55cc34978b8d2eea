/* Office accounts as an admin manages them (service/accounts.h). */
#include "service/accounts.h"

#include <errno.h>
#include <string.h>

#include "common/pdata.h"
#include "common/util.h"
#include "service/office.h"
#include "service/store.h"

json_t *kc_account_list(struct kc_db *db, int64_t now_ms)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT u.name, u.role, u.disabled_ms IS NOT NULL, u.created_ms,"
					  " (SELECT json_group_array(s.site) FROM (SELECT site FROM user_sites"
					  "  WHERE user = u.name ORDER BY site) s), u.person FROM users u ORDER BY u.name");
	json_t *out = json_array();
	int rc;

	if (!st || !out) {
		json_decref(out);
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		json_t *sites = json_loads((const char *)sqlite3_column_text(st, 4), 0, NULL);

		json_array_append_new(out, json_pack("{s:s, s:s, s:b, s:I, s:o, s:i, s:s?}", "name", name, "role",
						     (const char *)sqlite3_column_text(st, 1), "disabled",
						     sqlite3_column_int(st, 2), "created",
						     (json_int_t)sqlite3_column_int64(st, 3), "sites",
						     sites ? sites : json_array(), "locked_s",
						     kc_auth_login_locked(name, now_ms), "person",
						     (const char *)sqlite3_column_text(st, 5)));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(out);
		return NULL;
	}
	return out;
}

json_t *kc_account_site_choices(struct kc_db *db)
{
	/* the sites the cabinets registered and those the office's estate holds */
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT site, coalesce(name, site) FROM sites UNION SELECT site, name FROM"
					  " estate_sites WHERE site NOT IN (SELECT site FROM sites) ORDER BY 1");
	json_t *out = json_array();
	int rc;

	if (!st || !out) {
		json_decref(out);
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(out, json_pack("[s, s]", (const char *)sqlite3_column_text(st, 0),
						     (const char *)sqlite3_column_text(st, 1)));
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(out);
		return NULL;
	}
	return out;
}

int kc_account_sites_check(struct kc_db *db, const json_t *sites, const char **bad)
{
	const json_t *v;
	size_t i;
	int64_t n;
	int r;

	json_array_foreach(sites, i, v) {
		if (!json_is_string(v))
			return -EINVAL;
		r = kc_db_int(db, &n, "SELECT (SELECT count(*) FROM sites WHERE site = ?1) + (SELECT count(*) FROM"
				      " estate_sites WHERE site = ?1)", "s", json_string_value(v));
		if (r < 0)
			return -EIO;
		if (n == 0) {
			*bad = json_string_value(v);
			return -ENOENT;
		}
	}
	return 0;
}

/* Whether name is an account: 0, -ENOENT, -EIO. */
static int account_exists(struct kc_db *db, const char *name)
{
	int64_t n;

	if (kc_db_int(db, &n, "SELECT count(*) FROM users WHERE name = ?", "s", name) < 0)
		return -EIO;
	return n ? 0 : -ENOENT;
}

/* Whether an enabled admin is left when name stops being one: 0, -EBUSY
 * (name is the last), -EIO. */
static int admin_left(struct kc_db *db, const char *name)
{
	int64_t n;

	if (kc_db_int(db, &n, "SELECT count(*) FROM users WHERE role = 'admin' AND disabled_ms IS NULL AND name <> ?",
		      "s", name) < 0)
		return -EIO;
	return n ? 0 : -EBUSY;
}

/* Seals the act in the office chain, inside the caller's transaction:
 * data {"account": name} with the member key set to val (borrowed) when
 * key is given. */
static int act_record(struct kc_db *db, enum kc_event_type type, const char *by, const char *name, const char *key,
		      const json_t *val)
{
	json_t *d = json_pack("{s:s}", "account", name);
	int r;

	if (!d)
		return -ENOMEM;
	if (key)
		json_object_set(d, key, (json_t *)val);
	r = kc_office_append(db, type, by, NULL, d, NULL);
	json_decref(d);
	return r;
}

static int sites_write(struct kc_db *db, const char *name, const json_t *sites)
{
	const json_t *v;
	size_t i;
	int r = kc_db_x(db, "DELETE FROM user_sites WHERE user = ?", "s", name);

	json_array_foreach(sites, i, v) {
		if (r < 0)
			break;
		r = kc_db_x(db, "INSERT OR IGNORE INTO user_sites (user, site) VALUES (?, ?)", "ss", name,
			    json_string_value(v));
	}
	return r;
}

int kc_account_create(struct kc_db *db, const char *by, const char *name, enum kc_role role, const char *password,
		      const json_t *sites, const char *person)
{
	char hash[KC_PWHASH_LEN];
	json_t *d = json_pack("{s:s, s:s, s:O, s:s*}", "account", name, "role", kc_auth_role_name(role), "sites", sites,
			      "person", person);
	int r;

	if (!d || kc_auth_password_hash(password, hash) < 0) {
		json_decref(d);
		return -ENOMEM;
	}
	if (kc_db_write_begin(db) < 0) {
		json_decref(d);
		return -EIO;
	}
	r = kc_db_x(db, "INSERT INTO users (name, role, pw_hash, created_ms, person) VALUES (?, ?, ?, ?, ?)", "sssIs",
		    name, kc_auth_role_name(role), hash, kc_wall_ms(), person);
	if (r == 0)
		r = sites_write(db, name, sites);
	if (r == 0)
		r = kc_office_append(db, KC_EVT_OFFICE_ACCOUNT_CREATED, by, NULL, d, NULL);
	memset(hash, 0, sizeof(hash));
	json_decref(d);
	return kc_db_write_end(db, r);
}

int kc_account_set_disabled(struct kc_db *db, const char *by, const char *name, bool disabled)
{
	int r;

	if (kc_db_write_begin(db) < 0)
		return -EIO;
	r = account_exists(db, name);
	if (r == 0 && disabled)
		r = admin_left(db, name);
	if (r == 0)
		r = kc_db_x(db, "UPDATE users SET disabled_ms = CASE WHEN ? THEN coalesce(disabled_ms, ?) END WHERE name = ?",
			    "iIs", disabled ? 1 : 0, kc_wall_ms(), name);
	if (r == 0 && disabled)
		r = kc_db_x(db, "DELETE FROM sessions WHERE user = ?", "s", name);
	if (r == 0 && disabled)
		r = kc_db_x(db, "DELETE FROM reset_codes WHERE user = ? AND used_ms IS NULL", "s", name);
	if (r == 0)
		r = act_record(db, disabled ? KC_EVT_OFFICE_ACCOUNT_DISABLED : KC_EVT_OFFICE_ACCOUNT_ENABLED, by, name, NULL,
			       NULL);
	return kc_db_write_end(db, r);
}

int kc_account_set_role(struct kc_db *db, const char *by, const char *name, enum kc_role role)
{
	json_t *rv = json_string(kc_auth_role_name(role));
	int r;

	if (kc_db_write_begin(db) < 0)
		return -EIO;
	r = account_exists(db, name);
	if (r == 0 && role != KC_ROLE_ADMIN)
		r = admin_left(db, name);
	if (r == 0)
		r = kc_db_x(db, "UPDATE users SET role = ? WHERE name = ?", "ss", kc_auth_role_name(role), name);
	if (r == 0)
		r = act_record(db, KC_EVT_OFFICE_ACCOUNT_ROLE_CHANGED, by, name, "role", rv);
	json_decref(rv);
	return kc_db_write_end(db, r);
}

int kc_account_set_sites(struct kc_db *db, const char *by, const char *name, const json_t *sites)
{
	int r;

	if (kc_db_write_begin(db) < 0)
		return -EIO;
	r = account_exists(db, name);
	if (r == 0)
		r = sites_write(db, name, sites);
	if (r == 0)
		r = act_record(db, KC_EVT_OFFICE_ACCOUNT_SITES_CHANGED, by, name, "sites", sites);
	return kc_db_write_end(db, r);
}

int kc_account_unlock(struct kc_db *db, const char *by, const char *name)
{
	int r, was;

	if (kc_db_write_begin(db) < 0)
		return -EIO;
	r = account_exists(db, name);
	was = r == 0 && kc_auth_login_unlock(name, kc_wall_ms());
	if (was)
		r = act_record(db, KC_EVT_OFFICE_ACCOUNT_UNLOCKED, by, name, NULL, NULL);
	r = kc_db_write_end(db, r);
	return r < 0 ? r : was;
}

int kc_account_reset_issue(struct kc_db *db, const char *name, const char *by, char code[KC_TOKEN_LEN])
{
	char tok[KC_TOKEN_LEN], hash[65];
	int64_t now = kc_wall_ms();
	int r;

	kc_token_new(tok, KC_TOKEN_BYTES);
	kc_token_hash(tok, hash);
	if (kc_db_write_begin(db) < 0)
		return -EIO;
	r = account_exists(db, name);
	if (r == 0)
		r = kc_db_x(db, "DELETE FROM reset_codes WHERE user = ? AND used_ms IS NULL", "s", name);
	if (r == 0)
		r = kc_db_x(db, "INSERT INTO reset_codes (code_hash, user, issued_by, expires_ms) VALUES (?, ?, ?, ?)",
			    "sssI", hash, name, by, now + (int64_t)KC_ACCOUNT_RESET_TTL_S * 1000);
	if (r == 0)
		r = act_record(db, KC_EVT_OFFICE_PASSWORD_RESET_ISSUED, by, name, NULL, NULL);
	r = kc_db_write_end(db, r);
	if (r == 0)
		memcpy(code, tok, KC_TOKEN_LEN);
	return r;
}

int kc_account_reset_peek(struct kc_db *db, const char *code, char *user)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT r.user FROM reset_codes r JOIN users u ON u.name = r.user"
					  " WHERE r.code_hash = ? AND r.used_ms IS NULL AND r.expires_ms > ?"
					  " AND u.disabled_ms IS NULL");
	char hash[65];
	int rc;

	if (!st)
		return -EIO;
	if (!code || strlen(code) != KC_TOKEN_LEN - 1)
		return -ENOENT;
	kc_token_hash(code, hash);
	kc_bind_text(st, 1, hash);
	sqlite3_bind_int64(st, 2, kc_wall_ms());
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		kc_strlcpy(user, (const char *)sqlite3_column_text(st, 0), KC_NAME_MAX + 1);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

int kc_account_reset_redeem(struct kc_db *db, const char *code, const char *password, char *user)
{
	char who[KC_NAME_MAX + 1], hash[KC_PWHASH_LEN], chash[65];
	int r;

	if (kc_db_write_begin(db) < 0)
		return -EIO;
	r = kc_account_reset_peek(db, code, who);
	if (r == 0)
		r = kc_auth_password_hash(password, hash);
	if (r == 0) {
		kc_token_hash(code, chash);
		r = kc_db_x(db, "UPDATE reset_codes SET used_ms = ? WHERE code_hash = ?", "Is", kc_wall_ms(), chash);
	}
	if (r == 0)
		r = kc_db_x(db, "UPDATE users SET pw_hash = ? WHERE name = ?", "ss", hash, who);
	if (r == 0)
		r = kc_db_x(db, "DELETE FROM sessions WHERE user = ?", "s", who);
	if (r == 0)
		r = act_record(db, KC_EVT_OFFICE_PASSWORD_RESET_USED, who, who, NULL, NULL);
	memset(hash, 0, sizeof(hash));
	r = kc_db_write_end(db, r);
	if (r == 0)
		kc_strlcpy(user, who, KC_NAME_MAX + 1);
	return r;
}
