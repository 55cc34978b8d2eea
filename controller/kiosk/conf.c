/* keycab-kiosk's configuration: one table of keys (section, name, type,
 * range, default, field), read through the INI loader (common/ini.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "common/ini.h"
#include "common/util.h"
#include "controller/client/client.h"
#include "controller/kiosk/cardreader.h"
#include "controller/kiosk/kiosk.h"

#define F(field) offsetof(struct kiosk_conf, field)
#define SIZE(field) ((long long)sizeof(((struct kiosk_conf *)0)->field))

const char *const kiosk_languages[] = { "zh-CN", "en", NULL };

static const struct kc_ini_key kiosk_keys[] = {
	{ "kiosk", "port", KC_INI_INT, F(port), 0, 65535, 8470, NULL, NULL, NULL },
	{ "kiosk", "socket", KC_INI_TEXT, F(socket_path), 1, SIZE(socket_path), 0, KC_CLIENT_SOCKET_DEFAULT,
	  NULL, NULL },
	{ "kiosk", "idle_timeout", KC_INI_MS, F(idle_ms), 5000, 3600000, 60000, NULL, NULL, NULL },
	{ "kiosk", "language", KC_INI_CHOICE, F(language), 0, 0, 0, NULL, kiosk_languages, NULL },
	{ "kiosk", "max_pages", KC_INI_INT, F(max_streams), 1, 64, 8, NULL, NULL, NULL },
	{ "card_reader", "device", KC_INI_TEXT, F(card_device), 0, SIZE(card_device), 0, "", NULL, NULL },
	{ "card_reader", "key_timeout", KC_INI_MS_INT, F(card_key_timeout_ms), 50, 5000,
	  KC_CARDREADER_KEY_TIMEOUT_MS, NULL, NULL, NULL },
};

void kiosk_conf_defaults(struct kiosk_conf *c)
{
	memset(c, 0, sizeof(*c));
	kc_ini_defaults(kiosk_keys, KC_ARRAY_SIZE(kiosk_keys), NULL, c);
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
