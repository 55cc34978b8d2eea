#include "service/config.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ini.h"
#include "common/util.h"
#include "service/templates.h"
#include "service/zone.h"

static int set_str(char **slot, const char *v)
{
	char *c = strdup(v);

	if (!c)
		return -ENOMEM;
	free(*slot);
	*slot = c;
	return 0;
}

int kc_config_defaults(struct kc_audit_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = 8080;
	cfg->body_limit = 4L << 20;
	cfg->threads = 4;
	cfg->session_ttl_s = 8 * 3600;
	cfg->max_connections = 16384;
	cfg->per_address_limit = 64;
	cfg->idle_timeout_s = 30;
	cfg->backoff_min_ms = 1000;
	cfg->backoff_max_ms = 10 * 60 * 1000;
	cfg->max_attempts = 12;
	cfg->webhook_timeout_ms = 10000;
	if (set_str(&cfg->listen, "127.0.0.1") < 0 || set_str(&cfg->time_zone, KC_TZ_DEFAULT) < 0 ||
	    set_str(&cfg->db_path, "/var/lib/keyauditd/audit.db") < 0)
		return -ENOMEM;
	cfg->offline_after_s = 900;
	cfg->enrol_code_valid_s = 72 * 3600;
	cfg->approval_valid_ms = INT64_C(30) * 60 * 1000;
	cfg->daily_summary_min = -1;
	cfg->feed_wait_max_s = 30;
	cfg->feed_held_max = 20000;
	for (int k = 0; k < KC_NOTICE_KINDS; k++)
		if (set_str(&cfg->tmpl_zh[k], kc_template_default(k, "zh")) < 0 ||
		    set_str(&cfg->tmpl_en[k], kc_template_default(k, "en")) < 0)
			return -ENOMEM;
	return 0;
}

void kc_config_free(struct kc_audit_config *cfg)
{
	free(cfg->file);
	free(cfg->listen);
	free(cfg->time_zone);
	free(cfg->estate);
	free(cfg->port_file);
	free(cfg->tls_cert);
	free(cfg->tls_key);
	free(cfg->db_path);
	free(cfg->templates_dir);
	free(cfg->key_use_sites);
	free(cfg->secrets_file);
	free(cfg->notice_key_file);
	free(cfg->card_key_file);
	kc_config_channels_free(cfg);
	for (int i = 0; i < cfg->nwebhooks; i++)
		free(cfg->webhooks[i]);
	for (int k = 0; k < KC_NOTICE_KINDS; k++) {
		free(cfg->tmpl_zh[k]);
		free(cfg->tmpl_en[k]);
	}
	memset(cfg, 0, sizeof(*cfg));
}

static int set_int(int *slot, const char *v, long long min, long long max, char *err, size_t errlen)
{
	long long n;
	int r = kc_parse_long(v, min, max, &n);

	if (r == -EINVAL) {
		snprintf(err, errlen, "\"%s\" is not a number", v);
		return r;
	}
	if (r == -ERANGE) {
		snprintf(err, errlen, "%s is out of range (%lld to %lld)", v, min, max);
		return r;
	}
	*slot = (int)n;
	return 0;
}

static int check_url(const char *v, char *err, size_t errlen)
{
	if (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0) {
		snprintf(err, errlen, "\"%s\" is not an http:// or https:// URL", v);
		return -EINVAL;
	}
	return 0;
}

static int set_listen(struct kc_audit_config *cfg, const char *key, const char *value, char *err,
		      size_t errlen)
{
	unsigned char a[16];

	(void)key;
	if (inet_pton(AF_INET, value, a) != 1 && inet_pton(AF_INET6, value, a) != 1) {
		snprintf(err, errlen, "\"%s\" is not a numeric IPv4 or IPv6 address", value);
		return -EINVAL;
	}
	return set_str(&cfg->listen, value);
}

static int set_body_limit(struct kc_audit_config *cfg, const char *key, const char *value,
			  char *err, size_t errlen)
{
	int v;
	int r = set_int(&v, value, 1024, 256L << 20, err, errlen);

	(void)key;
	if (r == 0)
		cfg->body_limit = v;
	return r;
}

static int set_time_zone(struct kc_audit_config *cfg, const char *key, const char *value,
			 char *err, size_t errlen)
{
	(void)key;
	if (!kc_zone_get(value)) {
		snprintf(err, errlen, "\"%s\" is not a time zone in %s (like Asia/Shanghai)", value,
			 KC_TZ_DIR);
		return -EINVAL;
	}
	return set_str(&cfg->time_zone, value);
}

static int set_webhook(struct kc_audit_config *cfg, const char *key, const char *value,
		       char *err, size_t errlen)
{
	int r = check_url(value, err, errlen);

	(void)key;
	if (r < 0)
		return r;
	if (cfg->nwebhooks == KC_MAX_WEBHOOKS) {
		snprintf(err, errlen, "at most %d webhooks", KC_MAX_WEBHOOKS);
		return -EINVAL;
	}
	cfg->webhooks[cfg->nwebhooks] = strdup(value);
	if (!cfg->webhooks[cfg->nwebhooks])
		return -ENOMEM;
	cfg->nwebhooks++;
	return 0;
}

/* HH:MM, a local time of day */
static int set_daily_summary(struct kc_audit_config *cfg, const char *key, const char *value, char *err,
			     size_t errlen)
{
	int h, m, n = 0;

	(void)key;
	if (sscanf(value, "%2d:%2d%n", &h, &m, &n) != 2 || value[n] != '\0' || n != 5 || h > 23 || m > 59 ||
	    h < 0 || m < 0) {
		snprintf(err, errlen, "\"%s\" is no time of day like 08:00", value);
		return -EINVAL;
	}
	cfg->daily_summary_min = h * 60 + m;
	return 0;
}

/* [estate] approval_valid: 1 minute to 24 hours. */
static int set_approval_valid(struct kc_audit_config *cfg, const char *key, const char *value, char *err,
			      size_t errlen)
{
	(void)key;
	if (kc_parse_duration(value, INT64_C(60) * 1000, INT64_C(24) * 3600 * 1000, &cfg->approval_valid_ms) < 0) {
		snprintf(err, errlen, "\"%s\" is not a duration from 1m to 24h (e.g. 30m)", value);
		return -EINVAL;
	}
	return 0;
}

static int set_estate(struct kc_audit_config *cfg, const char *key, const char *value,
		      char *err, size_t errlen)
{
	(void)key;
	if (strlen(value) > KC_ESTATE_MAX) {
		snprintf(err, errlen, "at most %d bytes", KC_ESTATE_MAX);
		return -EINVAL;
	}
	return set_str(&cfg->estate, value);
}

/* A time ("30s", "72h") in [min_ms, max_ms] into *out_s, in seconds;
 * range says the bounds in the message. */
static int set_seconds(int *out_s, const char *value, int64_t min_ms, int64_t max_ms, const char *range, char *err,
		       size_t errlen)
{
	int64_t ms;

	if (kc_parse_duration(value, min_ms, max_ms, &ms) < 0) {
		snprintf(err, errlen, "a time from %s", range);
		return -EINVAL;
	}
	*out_s = (int)(ms / 1000);
	return 0;
}

/* [estate] feed_wait_max: "30s", "1m" or seconds, 1 s to 5 min. */
static int set_feed_wait_max(struct kc_audit_config *cfg, const char *key, const char *value, char *err,
			     size_t errlen)
{
	(void)key;
	return set_seconds(&cfg->feed_wait_max_s, value, 1000, 300000, "1s to 5m (\"30s\")", err, errlen);
}

static int set_enrol_code_valid(struct kc_audit_config *cfg, const char *key, const char *value, char *err,
				size_t errlen)
{
	(void)key;
	return set_seconds(&cfg->enrol_code_valid_s, value, 60000, 30 * KC_DAY_MS, "1m to 30d (\"72h\")", err, errlen);
}

/* <kind>.zh or <kind>.en, kind a notice kind (kc_notice_kind_name). */
static int set_template(struct kc_audit_config *cfg, const char *key, const char *value,
			char *err, size_t errlen)
{
	const char *dot = strrchr(key, '.');
	enum kc_notice_kind k;
	char why[384];

	if (!dot || kc_notice_kind_find(key, (size_t)(dot - key), &k) < 0 ||
	    (strcmp(dot, ".zh") != 0 && strcmp(dot, ".en") != 0)) {
		snprintf(err, errlen, "unknown key");
		return -EINVAL;
	}
	if (kc_template_check(k, value, 1, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", strchr(why, ':') + 2);
		return -EINVAL;
	}
	return set_str(strcmp(dot, ".zh") == 0 ? &cfg->tmpl_zh[k] : &cfg->tmpl_en[k], value);
}

/* The directory of the template files (read once the file is through:
 * kc_config_templates). */
static int set_template_dir(struct kc_audit_config *cfg, const char *key, const char *value,
			    char *err, size_t errlen)
{
	(void)key;
	if (!*value) {
		snprintf(err, errlen, "the directory name is empty");
		return -EINVAL;
	}
	return set_str(&cfg->templates_dir, value);
}

int kc_config_templates(struct kc_audit_config *cfg, char *err, size_t errlen)
{
	static const char *const langs[] = { "zh", "en" };
	char path[4096];
	DIR *d;

	if (!cfg->templates_dir)
		return 0;
	d = opendir(cfg->templates_dir);
	if (!d) {
		snprintf(err, errlen, "%s: %s", cfg->templates_dir, strerror(errno));
		return -EINVAL;
	}
	closedir(d);
	for (int k = 0; k < KC_NOTICE_KINDS; k++)
		for (size_t l = 0; l < KC_ARRAY_SIZE(langs); l++) {
			char **slot = l == 0 ? &cfg->tmpl_zh[k] : &cfg->tmpl_en[k], *text = NULL;
			int r;

			snprintf(path, sizeof(path), "%s/%s.%s.txt", cfg->templates_dir, kc_notice_kind_name(k),
				 langs[l]);
			r = kc_template_read(k, path, &text, err, errlen);
			if (r == -ENOENT)
				continue;
			if (r < 0)
				return r == -ENOMEM ? r : -EINVAL;
			free(*slot);
			*slot = text;
		}
	return 0;
}

#define CINT(sec, name, field, min, max) \
	{ sec, name, KC_CONFIG_INT, offsetof(struct kc_audit_config, field), min, max, NULL, NULL, NULL }
#define CTEXT(sec, name, field) \
	{ sec, name, KC_CONFIG_TEXT, offsetof(struct kc_audit_config, field), 0, 0, NULL, NULL, NULL }
#define CFILE(sec, name, field, what) \
	{ sec, name, KC_CONFIG_FILE, offsetof(struct kc_audit_config, field), 0, 0, what, NULL, NULL }
#define CFUNC(sec, name, fn) { sec, name, KC_CONFIG_FUNC, 0, 0, 0, NULL, fn, NULL }
#define CSECT(sec, fn) { sec, NULL, KC_CONFIG_FUNC, 0, 0, 0, NULL, NULL, fn }

/* Every key of keyauditd.conf (service/README.md explains them;
 * systemd/keyauditd.conf.example shows each one, t-conf-examples checks). */
static const struct kc_config_key config_keys[] = {
	CFUNC("server", "listen", set_listen),
	CINT("server", "port", port, 0, 65535),
	CTEXT("server", "port_file", port_file),
	CFUNC("server", "body_limit", set_body_limit),
	CINT("server", "threads", threads, 1, 64),
	CINT("server", "session_ttl_s", session_ttl_s, 60, 7 * 86400LL),
	CFILE("server", "tls_cert", tls_cert, "file name"),
	CFILE("server", "tls_key", tls_key, "file name"),
	CINT("server", "max_connections", max_connections, 16, 1000000),
	CINT("server", "per_address_limit", per_address_limit, 1, 1000000),
	CINT("server", "idle_timeout_s", idle_timeout_s, 1, 3600),
	CFUNC("server", "time_zone", set_time_zone),
	CFILE("database", "path", db_path, "database path"),
	CFUNC("notify", "webhook", set_webhook),
	CINT("notify", "backoff_min_ms", backoff_min_ms, 10, 3600000),
	CINT("notify", "backoff_max_ms", backoff_max_ms, 10, 86400000),
	CINT("notify", "max_attempts", max_attempts, 1, 1000),
	CINT("notify", "timeout_ms", webhook_timeout_ms, 100, 600000),
	CFUNC("report", "estate", set_estate),
	CINT("notify", "offline_after_s", offline_after_s, 5, 7 * 86400LL),
	CTEXT("notify", "key_use_sites", key_use_sites),
	CFUNC("notify", "daily_summary_at", set_daily_summary),
	CFUNC("templates", "dir", set_template_dir),
	CFUNC("templates", NULL, set_template),
	CFILE("notify", "secrets_file", secrets_file, "file name"),
	CFILE("notify", "notice_key_file", notice_key_file, "file name"),
	CSECT("channel", kc_config_channel_key),
	CSECT("route", kc_config_route_key),
	CSECT("departments", kc_config_department_key),
	CFUNC("estate", "feed_wait_max", set_feed_wait_max),
	CINT("estate", "feed_held_max", feed_held_max, 1, 1000000),
	CFILE("estate", "card_key_file", card_key_file, "file name"),
	CFUNC("estate", "enrol_code_valid", set_enrol_code_valid),
	CFUNC("estate", "approval_valid", set_approval_valid),
};

const struct kc_config_key *kc_config_keys(size_t *n)
{
	*n = KC_ARRAY_SIZE(config_keys);
	return config_keys;
}

int kc_config_section_is(const char *header, const char *table_section)
{
	size_t n = strlen(table_section);

	return strncmp(header, table_section, n) == 0 && (header[n] == '\0' || header[n] == ' ');
}

int kc_config_set(struct kc_audit_config *cfg, const char *section, const char *key,
		  const char *value, char *err, size_t errlen)
{
	bool known_section = false;

	for (size_t i = 0; i < KC_ARRAY_SIZE(config_keys); i++) {
		const struct kc_config_key *k = &config_keys[i];

		if (k->set_in && kc_config_section_is(section, k->section))
			return k->set_in(cfg, section, key, value, err, errlen);
		if (strcmp(k->section, section) != 0)
			continue;
		known_section = true;
		if (k->name && strcmp(k->name, key) != 0)
			continue;
		switch (k->kind) {
		case KC_CONFIG_INT:
			return set_int((int *)((char *)cfg + k->off), value, k->min, k->max, err, errlen);
		case KC_CONFIG_TEXT:
			return set_str((char **)((char *)cfg + k->off), value);
		case KC_CONFIG_FILE:
			if (!*value) {
				snprintf(err, errlen, "the %s is empty", k->what);
				return -EINVAL;
			}
			return set_str((char **)((char *)cfg + k->off), value);
		case KC_CONFIG_FUNC:
			return k->set(cfg, key, value, err, errlen);
		}
	}
	snprintf(err, errlen, known_section ? "unknown key" : "unknown section");
	return -EINVAL;
}

static void config_key(struct kc_ini *ini, const char *name, const char *value)
{
	struct kc_audit_config *cfg = ini->user;
	char why[256] = "";
	int r = kc_config_set(cfg, ini->section, name, value, why, sizeof(why));

	if (r == -ENOMEM)
		kc_strlcpy(why, "out of memory", sizeof(why));
	if (r < 0)
		kc_ini_fail(ini, name, "%s", why);
	else if (kc_config_section_is(ini->section, "route"))
		cfg->routes[cfg->nroutes - 1].line = ini->line;
	else if (kc_config_section_is(ini->section, "departments"))
		cfg->departments[cfg->ndepartments - 1].line = ini->line;
}

/* "[channel NAME]": the channel begins at its header. */
static void config_section(struct kc_ini *ini, const char *header)
{
	char why[256] = "";

	if (kc_config_section_is(header, "channel") &&
	    kc_config_channel_add(ini->user, header, ini->line, why, sizeof(why)) < 0)
		kc_ini_fail(ini, NULL, "%s", why);
}

/* What spans keys, once the file is through. */
static void config_end(struct kc_ini *ini)
{
	struct kc_audit_config *cfg = ini->user;
	char why[512];

	ini->section[0] = '\0';
	if (cfg->backoff_max_ms < cfg->backoff_min_ms)
		kc_ini_fail_at(ini, 0, NULL, "[notify] backoff_max_ms (%d) is below backoff_min_ms (%d)",
			       cfg->backoff_max_ms, cfg->backoff_min_ms);
	else if (!cfg->tls_cert != !cfg->tls_key)
		kc_ini_fail_at(ini, 0, NULL, "[server] tls_cert and tls_key go together: set both for HTTPS,"
			       " neither for plain HTTP");
	else if (kc_config_templates(cfg, why, sizeof(why)) < 0)
		kc_ini_fail_at(ini, 0, NULL, "[templates] dir: %s", why);
	else {
		int line;

		if (kc_config_channels_check(cfg, &line, why, sizeof(why)) < 0)
			kc_ini_fail_at(ini, line, NULL, "%s", why);
	}
}

int kc_config_load(struct kc_audit_config *cfg, const char *path, char *err, size_t errlen)
{
	static const struct kc_ini_spec spec = {
		.section = config_section,
		.key = config_key,
		.end = config_end,
		.syntax = "syntax error (expected \"key = value\" or \"[section]\")",
		.cannot_open = "",
	};
	int r = kc_ini_load(path, &spec, cfg, err, errlen);

	if (r < 0)
		return r;
	return set_str(&cfg->file, path);
}
