/* keycab-kiosk's configuration: one table of keys (section, name, type,
 * range, default, field), read through the INI loader (common/ini.h);
 * and the secrets it names (the pairing key, the terminal key), read at
 * start from a file or a systemd credential. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ini.h"
#include "common/util.h"
#include "controller/client/client.h"
#include "controller/kiosk/cardreader.h"
#include "controller/kiosk/kiosk.h"

#define F(field) offsetof(struct kiosk_conf, field)
#define SIZE(field) ((long long)sizeof(((struct kiosk_conf *)0)->field))

const char *const kiosk_languages[] = { "zh-CN", "en", NULL };

bool kiosk_urlsafe(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!s[i] || !strchr(KIOSK_URLSAFE, s[i]))
			return false;
	return true;
}

/* A systemd credential's name: base64url's characters and '.', not "."
 * nor "..". */
static bool conf_credential_name(const char *v)
{
	for (const char *p = v; *p; p++)
		if (*p != '.' && !kiosk_urlsafe(p, 1))
			return false;
	return v[0] && strcmp(v, ".") != 0 && strcmp(v, "..") != 0;
}

/* A secret's place: an absolute path, or a credential name. */
static int conf_secret(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *value)
{
	char *field = (char *)base + k->offset;

	if (value[0] && value[0] != '/' && !conf_credential_name(value)) {
		kc_ini_fail(ini, k->name, "\"%s\" is neither an absolute path nor a credential name", value);
		return -EINVAL;
	}
	if (strlen(value) >= KIOSK_PATH_MAX) {
		kc_ini_fail(ini, k->name, "longer than %d characters", KIOSK_PATH_MAX - 1);
		return -EINVAL;
	}
	kc_strlcpy(field, value, KIOSK_PATH_MAX);
	return 0;
}

static const struct kc_ini_key kiosk_keys[] = {
	{ "kiosk", "port", KC_INI_INT, F(port), 0, 65535, 8470, NULL, NULL, NULL },
	{ "kiosk", "socket", KC_INI_TEXT, F(socket_path), 1, SIZE(socket_path), 0, KC_CLIENT_SOCKET_DEFAULT,
	  NULL, NULL },
	{ "kiosk", "idle_timeout", KC_INI_MS, F(idle_ms), 5000, 3600000, 60000, NULL, NULL, NULL },
	{ "kiosk", "language", KC_INI_CHOICE, F(language), 0, 0, 0, NULL, kiosk_languages, NULL },
	{ "kiosk", "max_pages", KC_INI_INT, F(max_streams), 1, 64, 8, NULL, NULL, NULL },
	{ "kiosk", "pairing_key", KC_INI_FUNC, F(pairing_key), 0, 0, 0, NULL, NULL, conf_secret },
	{ "kiosk", "terminal_key", KC_INI_FUNC, F(terminal_key), 0, 0, 0, NULL, NULL, conf_secret },
	{ "card_reader", "device", KC_INI_TEXT, F(card_device), 0, SIZE(card_device), 0, "", NULL, NULL },
	{ "card_reader", "key_timeout", KC_INI_MS_INT, F(card_key_timeout_ms), 50, 5000,
	  KC_CARDREADER_KEY_TIMEOUT_MS, NULL, NULL, NULL },
};

void kiosk_conf_defaults(struct kiosk_conf *c)
{
	memset(c, 0, sizeof(*c));
	kc_ini_defaults(kiosk_keys, KC_ARRAY_SIZE(kiosk_keys), NULL, c);
	kc_strlcpy(c->pairing_key, KIOSK_PAIRING_CREDENTIAL, sizeof(c->pairing_key));
}

static void kiosk_conf_key(struct kc_ini *ini, const char *name, const char *value)
{
	kc_ini_set(ini, kiosk_keys, KC_ARRAY_SIZE(kiosk_keys), ini->section, ini->user, name, value);
}

static void kiosk_conf_end(struct kc_ini *ini)
{
	struct kiosk_conf *c = ini->user;

	ini->section[0] = '\0';
	if (c->card_device[0] && c->card_device[0] != '/')
		kc_ini_fail_at(ini, 0, NULL, "[card_reader] device: \"%s\" is not an absolute path"
			       " (e.g. /dev/input/by-id/usb-...-event-kbd)", c->card_device);
}

static const struct kc_ini_spec kiosk_conf_spec = {
	.key = kiosk_conf_key,
	.end = kiosk_conf_end,
	.syntax = "not an INI line (expected [section] or key = value)",
	.cannot_open = "cannot open: ",
};

int kiosk_conf_load(struct kiosk_conf *c, const char *path, char *err, size_t errlen)
{
	kc_strlcpy(c->path, path, sizeof(c->path));
	return kc_ini_load(path, &kiosk_conf_spec, c, err, errlen) < 0 ? -EINVAL : 0;
}

/* Where a secret is: spec itself, or the credential spec in
 * $CREDENTIALS_DIRECTORY. */
static int conf_secret_path(const char *what, const char *spec, char *path, size_t len, char *err, size_t errlen)
{
	const char *dir;

	if (spec[0] == '/') {
		kc_strlcpy(path, spec, len);
		return 0;
	}
	dir = getenv("CREDENTIALS_DIRECTORY");
	if (!dir || !dir[0]) {
		snprintf(err, errlen,
			 "%s: \"%s\" is a credential name, but $CREDENTIALS_DIRECTORY is not set (start it under"
			 " systemd with LoadCredential=%s:FILE, or give an absolute path)", what, spec, spec);
		return -ENOENT;
	}
	if ((size_t)snprintf(path, len, "%s/%s", dir, spec) >= len) {
		snprintf(err, errlen, "%s: $CREDENTIALS_DIRECTORY/%s is too long a path", what, spec);
		return -ENAMETOOLONG;
	}
	return 0;
}

int kiosk_conf_secret(const char *what, const char *spec, size_t min, bool url_safe, char *out, size_t outlen,
		      char *err, size_t errlen)
{
	char path[KIOSK_PATH_MAX + 128], buf[KIOSK_TERMINAL_KEY_MAX + 64];
	struct stat st;
	size_t start = 0, n = 0;
	ssize_t got;
	int fd, r;

	r = conf_secret_path(what, spec, path, sizeof(path), err, errlen);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot read %s: %s", what, path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s is not a regular file", what, path);
		close(fd);
		return -EINVAL;
	}
	if (st.st_mode & S_IRWXO) {
		snprintf(err, errlen, "%s: %s can be read by every user (chmod o-rwx)", what, path);
		close(fd);
		return -EPERM;
	}
	while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) > 0)
		n += (size_t)got;
	close(fd);
	/* trimmed: a trailing newline, spaces around */
	while (n > 0 && strchr(" \t\r\n", buf[n - 1]))
		n--;
	while (start < n && strchr(" \t\r\n", buf[start]))
		start++;
	if (n - start < min || n - start >= outlen) {
		snprintf(err, errlen, "%s: %s holds %s%zu characters, not %zu to %zu", what, path,
			 n - start >= outlen ? "more than " : "", n - start >= outlen ? outlen - 1 : n - start, min,
			 outlen - 1);
		r = -EINVAL;
	} else if (url_safe && !kiosk_urlsafe(buf + start, n - start)) {
		snprintf(err, errlen, "%s: %s: only A-Z a-z 0-9 - _ may be in it (it goes in a URL)", what, path);
		r = -EINVAL;
	} else {
		memcpy(out, buf + start, n - start);
		out[n - start] = '\0';
		r = 0;
	}
	sodium_memzero(buf, sizeof(buf));
	return r;
}
