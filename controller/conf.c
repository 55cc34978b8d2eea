/* keycabd's configuration: one table of keys (section, name, type, range,
 * default, field), read through the INI loader (common/ini.h); the checks
 * across keys come once the file is through. */
#include "controller/conf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ini.h"
#include "common/pdata.h"
#include "common/util.h"

#define F(field) offsetof(struct kc_ctl_conf, field)
/* the longest any [desk] max_loan_<purpose> may be: a year and a day */
#define KC_LOAN_MAX_MS (366 * KC_DAY_MS)
#define SIZE(field) ((long long)sizeof(((struct kc_ctl_conf *)0)->field))
/* a text that must not be empty */
#define TEXT(sec, name, field, def) { sec, name, KC_INI_TEXT, F(field), 1, SIZE(field), 0, def, NULL, NULL }
#define MS(sec, name, field, min, max, def) { sec, name, KC_INI_MS, F(field), min, max, def, NULL, NULL, NULL }
#define MS_INT(sec, name, field, min, max, def) { sec, name, KC_INI_MS_INT, F(field), min, max, def, NULL, NULL, NULL }
#define INT(sec, name, field, min, max, def) { sec, name, KC_INI_INT, F(field), min, max, def, NULL, NULL, NULL }
#define LONG(sec, name, field, min, max, def) { sec, name, KC_INI_LONG, F(field), min, max, def, NULL, NULL, NULL }
#define FUNC(sec, name, fn) { sec, name, KC_INI_FUNC, 0, 0, 0, 0, NULL, NULL, fn }

static int ctl_time_zone(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *v)
{
	struct kc_ctl_conf *c = base;
	int r = kc_tz_check(v);

	if (r == -ENOENT)
		kc_ini_fail(ini, k->name, "\"%s\" is not a time zone in %s (e.g. Asia/Shanghai; is tzdata installed?)",
			    v, KC_TZ_DIR);
	else if (r < 0)
		kc_ini_fail(ini, k->name, "\"%s\" is not a time zone name (an IANA name like Asia/Shanghai)", v);
	else /* a zone name is shorter than KC_TZ_LEN, the field's size */
		kc_strlcpy(c->time_zone, v, sizeof(c->time_zone));
	return r < 0 ? -EINVAL : 0;
}

static int ctl_socket_mode(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *v)
{
	struct kc_ctl_conf *c = base;
	unsigned long m;
	char *end;

	errno = 0;
	m = strtoul(v, &end, 8);
	if (errno || end == v || *end || m > 0777 || (m & 0600) != 0600) {
		kc_ini_fail(ini, k->name, "\"%s\" must be an octal mode like 0660 that lets the owner read and write", v);
		return -EINVAL;
	}
	c->socket_mode = (mode_t)m;
	return 0;
}

/* A shared key's file (file, of size len), read once here into its
 * digest, unless the file's name is all that is wanted (digest NULL). */
static int ctl_shared_key(struct kc_ini *ini, const struct kc_ini_key *k, const char *v, char *file, size_t len,
			  unsigned char *digest)
{
	char key[KC_SHARED_KEY_MAX + 1], why[512];

	if (kc_strlcpy(file, v, len) >= len || v[0] != '/') {
		kc_ini_fail(ini, k->name, "\"%s\" must be an absolute path shorter than %zu bytes", v, len);
		return -EINVAL;
	}
	if (!digest)
		return 0;
	if (kc_shared_key_read(v, key, why, sizeof(why)) < 0) {
		kc_ini_fail(ini, k->name, "%s", why);
		return -EINVAL;
	}
	kc_shared_key_digest(key, strlen(key), digest);
	explicit_bzero(key, sizeof(key));
	return 0;
}

/* The terminal key's file: keycabd keeps its digest. */
static int ctl_terminal_key(struct kc_ini *ini, const struct kc_ini_key *k, void *base,
			    const char *v)
{
	struct kc_ctl_conf *c = base;

	return ctl_shared_key(ini, k, v, c->terminal_key_file, sizeof(c->terminal_key_file),
			      c->terminal_key_digest);
}

/* The forward key's file: keycabd keeps its digest (keycab-forward reads
 * the key when it connects). */
static int ctl_forward_key(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *v)
{
	struct kc_ctl_conf *c = base;

	return ctl_shared_key(ini, k, v, c->forward_key_file, sizeof(c->forward_key_file),
			      c->forward_part ? NULL : c->forward_key_digest);
}

static int ctl_audit_url(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *v)
{
	static const struct kc_ini_key url = TEXT("audit", "url", audit_url, NULL);

	(void)k;
	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
		kc_ini_fail(ini, url.name, "\"%s\" must start with http:// or https://", v);
		return -EINVAL;
	}
	return kc_ini_set(ini, &url, 1, "audit", base, "url", v);
}

static int ctl_plain_http(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *v)
{
	struct kc_ctl_conf *c = base;

	if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
		kc_ini_fail(ini, k->name, "\"%s\" must be yes or no", v);
		return -EINVAL;
	}
	c->fwd_allow_plain_http = strcmp(v, "yes") == 0;
	return 0;
}

static int ctl_keep_days(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *v)
{
	struct kc_ctl_conf *c = base;
	long long days;

	if (kc_parse_long(v, 0, 3650, &days) < 0) {
		kc_ini_fail(ini, k->name, "\"%s\" must be a whole number of days from 0 to 3650", v);
		return -EINVAL;
	}
	c->fwd_keep_ms = days * KC_DAY_MS;
	return 0;
}

static int ctl_notice_pk(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *v)
{
	struct kc_ctl_conf *c = base;

	if (kc_notice_pk_parse(v, c->notice_pk) < 0) {
		kc_ini_fail(ini, k->name, "\"%s\" is not a notice public key (the office's: 32 bytes in"
			    " base64)", v);
		return -EINVAL;
	}
	c->has_notice_pk = true;
	return 0;
}

/* [estate] mode: standalone (the registry is kept at the cabinet) or
 * managed (by the office, through estate.apply). */
static int ctl_estate_mode(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *v)
{
	struct kc_ctl_conf *c = base;

	if (strcmp(v, "standalone") != 0 && strcmp(v, "managed") != 0) {
		kc_ini_fail(ini, k->name, "\"%s\" must be standalone or managed", v);
		return -EINVAL;
	}
	c->estate_managed = strcmp(v, "managed") == 0;
	return 0;
}

/* Every key of keycabd.conf (controller/README.md explains them;
 * systemd/keycabd.conf.example shows each one, t-conf-examples checks). */
static const struct kc_ini_key ctl_keys[] = {
	TEXT("cabinet", "file", cabinet_file, "/etc/keycab/cabinet.conf"),
	FUNC("cabinet", "time_zone", ctl_time_zone),
	TEXT("database", "path", db_path, "/var/lib/keycabd/keycab.db"),
	TEXT("database", "key_file", key_file, NULL),
	TEXT("socket", "path", socket_path, "/run/keycabd/keycabd.sock"),
	FUNC("socket", "mode", ctl_socket_mode),
	TEXT("socket", "group", socket_group, NULL),
	MS("socket", "idle_timeout", socket_idle_ms, 1000, KC_DAY_MS, 120000),
	FUNC("socket", "terminal_key", ctl_terminal_key),
	FUNC("socket", "forward_key", ctl_forward_key),
	MS("release", "window", release_window_ms, 1000, 60000, 10000),
	MS("release", "grace", release_grace_ms, 0, 30000, 2000),
	INT("lockout", "attempts", lockout_attempts, 1, 100, 5),
	MS("lockout", "base", lockout_base_ms, 1000, KC_DAY_MS, 60000),
	MS("lockout", "max", lockout_max_ms, 1000, 30 * KC_DAY_MS, 3600000),
	MS("lockout", "summary_interval", lockout_summary_ms, 1000, 3600000, 60000),
	MS("session", "idle_timeout", session_idle_ms, 1000, KC_DAY_MS, 300000),
	MS("notice", "lead", notice_lead_ms, 0, 365 * KC_DAY_MS, 7 * KC_DAY_MS),
	MS("notice", "reminder", notice_reminder_ms, 60000, 90 * KC_DAY_MS, KC_DAY_MS),
	MS("notice", "scan_interval", scan_interval_ms, 200, 3600000, 5000),
	MS("desk", "max_loan_borrow", desk_loan_max_ms[KC_PURPOSE_BORROW], 60000, KC_LOAN_MAX_MS, 7 * KC_DAY_MS),
	MS("desk", "max_loan_inspection", desk_loan_max_ms[KC_PURPOSE_INSPECTION], 60000, KC_LOAN_MAX_MS,
	   2 * KC_DAY_MS),
	MS("desk", "max_loan_repair", desk_loan_max_ms[KC_PURPOSE_REPAIR], 60000, KC_LOAN_MAX_MS, 7 * KC_DAY_MS),
	MS("desk", "max_loan_emergency", desk_loan_max_ms[KC_PURPOSE_EMERGENCY], 60000, KC_LOAN_MAX_MS, KC_DAY_MS),
	MS("desk", "max_entrustment", desk_entrust_max_ms, KC_DAY_MS, 3660 * KC_DAY_MS, 366 * KC_DAY_MS),
	MS("desk", "intake_wait", desk_intake_wait_ms, 1000, 3600000, 300000),
	FUNC("audit", "url", ctl_audit_url),
	TEXT("audit", "token_file", audit_token_file, NULL),
	TEXT("audit", "ca_file", audit_ca_file, NULL),
	INT("audit", "batch_max", audit_batch_max, 1, 10000, 100),
	MS_INT("audit", "backoff_min", audit_backoff_min_ms, 10, 600000, 500),
	MS_INT("audit", "backoff_max", audit_backoff_max_ms, 100, 3600000, 60000),
	FUNC("forward", "allow_plain_http", ctl_plain_http),
	LONG("forward", "keep_acked_events", fwd_keep_events, 0, 10000000, 10000),
	FUNC("forward", "keep_acked_days", ctl_keep_days),
	MS("forward", "idle_close", fwd_idle_close_ms, 100, 600000, 5000),
	MS("forward", "heartbeat", fwd_heartbeat_ms, 1000, 3600000, 30000),
	FUNC("notify", "notice_public_key", ctl_notice_pk),
	FUNC("estate", "mode", ctl_estate_mode),
};

const struct kc_ini_key *kc_ctl_conf_keys(size_t *n)
{
	*n = KC_ARRAY_SIZE(ctl_keys);
	return ctl_keys;
}

void kc_ctl_conf_defaults(struct kc_ctl_conf *c)
{
	memset(c, 0, sizeof(*c));
	kc_ini_defaults(ctl_keys, KC_ARRAY_SIZE(ctl_keys), NULL, c);
	kc_strlcpy(c->time_zone, KC_TZ_DEFAULT, sizeof(c->time_zone));
	c->socket_mode = 0660;
	c->fwd_keep_ms = 30 * KC_DAY_MS;
}

/* keycab-forward's keys: [audit], [forward], [socket] path and forward_key. */
static bool forward_part(const char *section, const char *name)
{
	return strcmp(section, "audit") == 0 || strcmp(section, "forward") == 0 ||
	       (strcmp(section, "socket") == 0 && (strcmp(name, "path") == 0 || strcmp(name, "forward_key") == 0));
}

static void ctl_key(struct kc_ini *ini, const char *name, const char *value)
{
	const struct kc_ctl_conf *c = ini->user;

	if (!c->forward_part || forward_part(ini->section, name))
		kc_ini_set(ini, ctl_keys, KC_ARRAY_SIZE(ctl_keys), ini->section, ini->user, name, value);
}

/* What spans keys, once the file is through. */
static void ctl_end(struct kc_ini *ini)
{
	struct kc_ctl_conf *c = ini->user;

	ini->section[0] = '\0';
	if (c->lockout_max_ms < c->lockout_base_ms)
		kc_ini_fail_at(ini, 0, NULL, "[lockout] max must not be below [lockout] base");
	else if (c->audit_backoff_max_ms < c->audit_backoff_min_ms)
		kc_ini_fail_at(ini, 0, NULL, "[audit] backoff_max must not be below [audit] backoff_min");
	else if (!c->key_file[0] &&
		 snprintf(c->key_file, sizeof(c->key_file), "%s.key", c->db_path) >= (int)sizeof(c->key_file))
		kc_ini_fail_at(ini, 0, NULL, "[database] key_file: the default (the path and .key) is too long");
	else if (c->audit_url[0] && !c->audit_token_file[0])
		kc_ini_fail_at(ini, 0, NULL, "[audit] url is set but token_file is not");
}

static const struct kc_ini_spec ctl_spec = {
	.key = ctl_key,
	.end = ctl_end,
	.syntax = "not an INI line (expected [section] or key = value)",
	.cannot_open = "cannot open: ",
};

int kc_ctl_conf_load(struct kc_ctl_conf *c, const char *path, char *err, size_t errlen)
{
	kc_strlcpy(c->path, path, sizeof(c->path));
	return kc_ini_load(path, &ctl_spec, c, err, errlen) < 0 ? -EINVAL : 0;
}

int kc_ctl_conf_load_forward(struct kc_ctl_conf *c, const char *path, char *err, size_t errlen)
{
	c->forward_part = true;
	return kc_ctl_conf_load(c, path, err, errlen);
}
