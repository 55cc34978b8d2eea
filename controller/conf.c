#include "controller/conf.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define DAY_MS (24LL * 3600 * 1000)

void kc_ctl_conf_defaults(struct kc_ctl_conf *c)
{
	memset(c, 0, sizeof(*c));
	kc_strlcpy(c->cabinet_file, "/etc/keycab/cabinet.conf", sizeof(c->cabinet_file));
	kc_strlcpy(c->time_zone, KC_TZ_DEFAULT, sizeof(c->time_zone));
	kc_strlcpy(c->db_path, "/var/lib/keycabd/keycab.db", sizeof(c->db_path));
	kc_strlcpy(c->socket_path, "/run/keycabd/keycabd.sock", sizeof(c->socket_path));
	c->socket_mode = 0660;
	c->release_window_ms = 10000;
	c->release_grace_ms = 2000;
	c->lockout_attempts = 5;
	c->lockout_base_ms = 60000;
	c->lockout_max_ms = 3600000;
	c->session_idle_ms = 300000;
	c->notice_lead_ms = 7 * DAY_MS;
	c->notice_reminder_ms = DAY_MS;
	c->scan_interval_ms = 5000;
	c->audit_batch_max = 100;
	c->audit_backoff_min_ms = 500;
	c->audit_backoff_max_ms = 60000;
	c->socket_idle_ms = 120000;
	c->lockout_summary_ms = 60000;
	c->fwd_keep_events = 10000;
	c->fwd_keep_ms = 30 * DAY_MS;
	c->fwd_idle_close_ms = 5000;
}

int kc_parse_duration(const char *s, int64_t min_ms, int64_t max_ms, int64_t *out)
{
	static const struct {
		const char *suffix;
		int64_t ms;
	} units[] = { { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", DAY_MS } };
	char num[32];
	size_t n;
	long long v;
	int64_t mult = 1000;

	if (!s)
		return -EINVAL;
	n = strlen(s);
	if (n == 0 || n >= sizeof(num))
		return -EINVAL;
	kc_strlcpy(num, s, sizeof(num));
	/* longest suffix first: "ms" before "s" and "m" */
	for (size_t i = 0; i < KC_ARRAY_SIZE(units); i++) {
		size_t l = strlen(units[i].suffix);

		if (n > l && strcmp(num + n - l, units[i].suffix) == 0) {
			num[n - l] = '\0';
			mult = units[i].ms;
			break;
		}
	}
	if (kc_parse_long(num, 0, INT64_MAX / DAY_MS, &v) < 0)
		return -EINVAL;
	if (v * mult < min_ms || v * mult > max_ms)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

struct load_ctx {
	struct kc_ctl_conf *c;
	char *err;
	size_t errlen;
	char msg[256];
	bool failed;
};

#define BAD(...)                                                 \
	do {                                                     \
		if (!x->failed)                                  \
			snprintf(x->msg, sizeof(x->msg), __VA_ARGS__); \
		x->failed = true;                                \
		return 0;                                        \
	} while (0)

static int set_str(struct load_ctx *x, const char *section, const char *name, const char *value,
		   char *dst, size_t len)
{
	if (strlen(value) >= len)
		BAD("[%s] %s: too long (at most %zu characters)", section, name, len - 1);
	if (value[0] == '\0')
		BAD("[%s] %s: must not be empty", section, name);
	kc_strlcpy(dst, value, len);
	return 1;
}

static int set_dur(struct load_ctx *x, const char *section, const char *name, const char *value,
		   int64_t min, int64_t max, int64_t *dst)
{
	int r = kc_parse_duration(value, min, max, dst);

	if (r == -ERANGE)
		BAD("[%s] %s: \"%s\" is out of range (%lld ms to %lld ms)", section, name, value,
		    (long long)min, (long long)max);
	if (r < 0)
		BAD("[%s] %s: \"%s\" is not a duration (e.g. 10s, 5m, 2h, 7d, 500ms)", section, name,
		    value);
	return 1;
}

static int set_int(struct load_ctx *x, const char *section, const char *name, const char *value,
		   long long min, long long max, int *dst)
{
	long long v;

	if (kc_parse_long(value, min, max, &v) < 0)
		BAD("[%s] %s: \"%s\" must be a whole number from %lld to %lld", section, name, value,
		    min, max);
	*dst = (int)v;
	return 1;
}

/* [forward]: what the forwarder keeps and how it may connect. */
static int forward_key(struct load_ctx *x, const char *name, const char *value)
{
	struct kc_ctl_conf *c = x->c;
	long long v;

	if (strcmp(name, "allow_plain_http") == 0) {
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
			BAD("[forward] allow_plain_http: \"%s\" must be yes or no", value);
		c->fwd_allow_plain_http = strcmp(value, "yes") == 0;
		return 1;
	}
	if (strcmp(name, "keep_acked_events") == 0) {
		if (kc_parse_long(value, 0, 10000000, &v) < 0)
			BAD("[forward] keep_acked_events: \"%s\" must be a whole number from 0 to 10000000", value);
		c->fwd_keep_events = v;
		return 1;
	}
	if (strcmp(name, "keep_acked_days") == 0) {
		if (kc_parse_long(value, 0, 3650, &v) < 0)
			BAD("[forward] keep_acked_days: \"%s\" must be a whole number of days from 0 to 3650", value);
		c->fwd_keep_ms = v * DAY_MS;
		return 1;
	}
	if (strcmp(name, "idle_close") == 0)
		return set_dur(x, "forward", name, value, 100, 600000, &c->fwd_idle_close_ms);
	BAD("[forward] %s: unknown key", name);
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *x = user;
	struct kc_ctl_conf *c = x->c;

	if (!name)
		return 1; /* a section header alone */
#define IS(s, n) (strcmp(section, s) == 0 && strcmp(name, n) == 0)
	if (IS("cabinet", "file"))
		return set_str(x, section, name, value, c->cabinet_file, sizeof(c->cabinet_file));
	if (IS("cabinet", "time_zone")) {
		int r = kc_tz_check(value);

		if (r == -ENOENT)
			BAD("[cabinet] time_zone: \"%s\" is not a time zone in %s (e.g. Asia/Shanghai; is tzdata installed?)",
			    value, KC_TZ_DIR);
		if (r < 0)
			BAD("[cabinet] time_zone: \"%s\" is not a time zone name (an IANA name like Asia/Shanghai)",
			    value);
		return set_str(x, section, name, value, c->time_zone, sizeof(c->time_zone));
	}
	if (IS("database", "path"))
		return set_str(x, section, name, value, c->db_path, sizeof(c->db_path));
	if (IS("database", "key_file"))
		return set_str(x, section, name, value, c->key_file, sizeof(c->key_file));
	if (IS("socket", "path"))
		return set_str(x, section, name, value, c->socket_path, sizeof(c->socket_path));
	if (IS("socket", "group"))
		return set_str(x, section, name, value, c->socket_group, sizeof(c->socket_group));
	if (IS("socket", "mode")) {
		char *end;
		unsigned long m;

		errno = 0;
		m = strtoul(value, &end, 8);
		if (errno || end == value || *end || m > 0777 || (m & 0600) != 0600)
			BAD("[socket] mode: \"%s\" must be an octal mode like 0660 that lets the owner read and write",
			    value);
		c->socket_mode = (mode_t)m;
		return 1;
	}
	if (IS("socket", "idle_timeout"))
		return set_dur(x, section, name, value, 1000, DAY_MS, &c->socket_idle_ms);
	if (IS("lockout", "summary_interval"))
		return set_dur(x, section, name, value, 1000, 3600000, &c->lockout_summary_ms);
	if (IS("release", "window"))
		return set_dur(x, section, name, value, 1000, 60000, &c->release_window_ms);
	if (IS("release", "grace"))
		return set_dur(x, section, name, value, 0, 30000, &c->release_grace_ms);
	if (IS("lockout", "attempts"))
		return set_int(x, section, name, value, 1, 100, &c->lockout_attempts);
	if (IS("lockout", "base"))
		return set_dur(x, section, name, value, 1000, DAY_MS, &c->lockout_base_ms);
	if (IS("lockout", "max"))
		return set_dur(x, section, name, value, 1000, 30 * DAY_MS, &c->lockout_max_ms);
	if (IS("session", "idle_timeout"))
		return set_dur(x, section, name, value, 1000, DAY_MS, &c->session_idle_ms);
	if (IS("notice", "lead"))
		return set_dur(x, section, name, value, 0, 365 * DAY_MS, &c->notice_lead_ms);
	if (IS("notice", "reminder"))
		return set_dur(x, section, name, value, 60000, 90 * DAY_MS, &c->notice_reminder_ms);
	if (IS("notice", "scan_interval"))
		return set_dur(x, section, name, value, 200, 3600000, &c->scan_interval_ms);
	if (IS("audit", "url")) {
		if (strncmp(value, "http://", 7) != 0 && strncmp(value, "https://", 8) != 0)
			BAD("[audit] url: \"%s\" must start with http:// or https://", value);
		return set_str(x, section, name, value, c->audit_url, sizeof(c->audit_url));
	}
	if (IS("audit", "token_file"))
		return set_str(x, section, name, value, c->audit_token_file, sizeof(c->audit_token_file));
	if (IS("audit", "ca_file"))
		return set_str(x, section, name, value, c->audit_ca_file, sizeof(c->audit_ca_file));
	if (IS("audit", "batch_max"))
		return set_int(x, section, name, value, 1, 10000, &c->audit_batch_max);
	if (IS("audit", "backoff_min")) {
		int64_t ms;

		if (!set_dur(x, section, name, value, 10, 600000, &ms))
			return 0;
		c->audit_backoff_min_ms = (int)ms;
		return 1;
	}
	if (IS("audit", "backoff_max")) {
		int64_t ms;

		if (!set_dur(x, section, name, value, 100, 3600000, &ms))
			return 0;
		c->audit_backoff_max_ms = (int)ms;
		return 1;
	}
	if (strcmp(section, "forward") == 0)
		return forward_key(x, name, value);
#undef IS
	BAD("[%s] %s: unknown key", section, name);
}

int kc_ctl_conf_load(struct kc_ctl_conf *c, const char *path, char *err, size_t errlen)
{
	struct load_ctx x = { .c = c, .err = err, .errlen = errlen };
	int line;

	kc_strlcpy(c->path, path, sizeof(c->path));
	line = ini_parse(path, handler, &x);
	if (line == -1) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -EINVAL;
	}
	if (line == -2) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	if (line > 0) {
		if (x.failed)
			snprintf(err, errlen, "%s:%d: %s", path, line, x.msg);
		else
			snprintf(err, errlen, "%s:%d: not an INI line (expected [section] or key = value)",
				 path, line);
		return -EINVAL;
	}
	if (c->lockout_max_ms < c->lockout_base_ms) {
		snprintf(err, errlen, "%s: [lockout] max must not be below [lockout] base", path);
		return -EINVAL;
	}
	if (c->audit_backoff_max_ms < c->audit_backoff_min_ms) {
		snprintf(err, errlen, "%s: [audit] backoff_max must not be below [audit] backoff_min", path);
		return -EINVAL;
	}
	if (!c->key_file[0] &&
	    snprintf(c->key_file, sizeof(c->key_file), "%s.key", c->db_path) >= (int)sizeof(c->key_file)) {
		snprintf(err, errlen, "%s: [database] key_file: the default (the path and .key) is too long", path);
		return -EINVAL;
	}
	if (c->audit_url[0] && !c->audit_token_file[0]) {
		snprintf(err, errlen, "%s: [audit] url is set but token_file is not", path);
		return -EINVAL;
	}
	return 0;
}
