/* keycab-kiosk's configuration: one table of keys (section, name, type,
 * range, default, field), read through the INI loader (common/ini.h);
 * and the secrets it names (the pairing key, the terminal key), read at
 * start from a file or a systemd credential. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ini.h"
#include "common/sharedkey.h"
#include "common/util.h"
#include "controller/client/client.h"
#include "controller/kiosk/cardreader.h"
#include "controller/kiosk/kiosk.h"

#define F(field) offsetof(struct kiosk_conf, field)
#define SIZE(field) ((long long)sizeof(((struct kiosk_conf *)0)->field))

const char *const kiosk_languages[] = { "zh-CN", "en", NULL };
const char *const kiosk_phrase_kinds[] = { "problem", "alarm", "repair", NULL };

/* A systemd credential's name: letters, digits, '-', '_', '.'; not "."
 * nor "..". */
static bool conf_credential_name(const char *v)
{
	static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";

	return v[0] && strspn(v, ok) == strlen(v) && strcmp(v, ".") != 0 && strcmp(v, "..") != 0;
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

/* The number of UTF-8 characters of s, or -1 for a control character
 * or bytes that are not UTF-8 text. */
static int conf_text_chars(const char *s, size_t len)
{
	int n = 0;

	for (size_t i = 0; i < len; n++) {
		unsigned char c = (unsigned char)s[i];
		size_t l = c < 0x80 ? 1 : c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;

		if (!l || i + l > len || c < 0x20 || c == 0x7f)
			return -1;
		for (size_t j = 1; j < l; j++)
			if (((unsigned char)s[i + j] & 0xc0) != 0x80)
				return -1;
		i += l;
	}
	return n;
}

/* [phrases] KIND = text | text ...: added to the kind's phrases (a kind
 * may have more than one line). */
static int conf_phrases(struct kc_ini *ini, const struct kc_ini_key *k, void *base, const char *value)
{
	struct kiosk_conf *c = base;
	int kind = (int)k->offset;

	for (const char *p = value;;) {
		size_t len = strcspn(p, "|");
		const char *s = p, *next = p[len] ? p + len + 1 : NULL;
		int chars;

		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		chars = conf_text_chars(s, len);
		if (len == 0) {
			kc_ini_fail(ini, k->name, "an empty phrase (phrases are separated by |)");
			return -EINVAL;
		}
		if (chars < 0 || chars > KIOSK_PHRASE_CHARS) {
			if (chars < 0)
				kc_ini_fail(ini, k->name, "\"%.*s\": not UTF-8 text", (int)len, s);
			else
				kc_ini_fail(ini, k->name, "\"%.*s\": longer than %d characters", (int)len, s,
					    KIOSK_PHRASE_CHARS);
			return -EINVAL;
		}
		if (c->nphrases[kind] == KIOSK_PHRASES_MAX) {
			kc_ini_fail(ini, k->name, "more than %d phrases", KIOSK_PHRASES_MAX);
			return -EINVAL;
		}
		memcpy(c->phrases[kind][c->nphrases[kind]], s, len);
		c->phrases[kind][c->nphrases[kind]++][len] = '\0';
		if (!next)
			return 0;
		p = next;
	}
}

/* Every key of kiosk.conf (systemd/keycab-kiosk.conf.example shows each
 * one, t-conf-examples checks). */
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
	{ "kiosk", "pinyin_dictionary", KC_INI_TEXT, F(pinyin_dictionary), 0, SIZE(pinyin_dictionary), 0,
	  KIOSK_PINYIN_DEFAULT, NULL, NULL },
	/* the offset of a [phrases] key: its kind */
	{ "phrases", "problem", KC_INI_FUNC, KIOSK_PHRASE_PROBLEM, 0, 0, 0, NULL, NULL, conf_phrases },
	{ "phrases", "alarm", KC_INI_FUNC, KIOSK_PHRASE_ALARM, 0, 0, 0, NULL, NULL, conf_phrases },
	{ "phrases", "repair", KC_INI_FUNC, KIOSK_PHRASE_REPAIR, 0, 0, 0, NULL, NULL, conf_phrases },
};

const struct kc_ini_key *kiosk_conf_keys(size_t *n)
{
	*n = KC_ARRAY_SIZE(kiosk_keys);
	return kiosk_keys;
}

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

int kiosk_conf_secret(const char *what, const char *spec, char out[KC_SHARED_KEY_MAX + 1], char *err, size_t errlen)
{
	char path[KIOSK_PATH_MAX + 128], why[KIOSK_PATH_MAX + 256];
	int r;

	r = conf_secret_path(what, spec, path, sizeof(path), err, errlen);
	if (r < 0)
		return r;
	r = kc_shared_key_read(path, out, why, sizeof(why));
	if (r < 0)
		snprintf(err, errlen, "%s: %s", what, why);
	return r;
}
