/* The terminal of a cabinet the office manages (controller/README.md,
 * "The terminal": a first sign-in, the site's settings): a person's first
 * sign-in with the office's enrolment code and a new PIN (keycabd's op
 * person.enrol, then a login bound to the screen's cookie), and the
 * site's quick phrases and due-time presets from keycabd's settings op. */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "controller/client/client.h"
#include "controller/kiosk/kiosk.h"

#define ENROL_CODE_DIGITS 8

/* The members of a first sign-in, each a string. */
static const char *const enrol_members[] = { "person", "code", "pin", "pin_again" };

/* Wipes every member of a first sign-in but the person (code and PINs). */
static void enrol_wipe(json_t *req)
{
	for (size_t i = 1; i < KC_ARRAY_SIZE(enrol_members); i++) {
		json_t *v = json_object_get(req, enrol_members[i]);

		if (json_is_string(v))
			sodium_memzero((char *)json_string_value(v), json_string_length(v));
	}
}

static bool enrol_digits(const char *s, size_t n)
{
	return strlen(s) == n && strspn(s, "0123456789") == n;
}

/* What is wrong with a first sign-in's members, before keycabd is asked:
 * 0 when nothing. */
static enum kc_msg_code enrol_check(json_t *req)
{
	const char *key, *pin, *again;
	json_t *v;

	json_object_foreach(req, key, v) {
		bool known = false;

		for (size_t i = 0; i < KC_ARRAY_SIZE(enrol_members); i++)
			known |= strcmp(key, enrol_members[i]) == 0;
		if (!known || !json_is_string(v))
			return KCM_kiosk_enrol_fields;
	}
	for (size_t i = 0; i < KC_ARRAY_SIZE(enrol_members); i++)
		if (!json_string_length(json_object_get(req, enrol_members[i])))
			return KCM_kiosk_enrol_incomplete;
	if (!enrol_digits(json_string_value(json_object_get(req, "code")), ENROL_CODE_DIGITS))
		return KCM_kiosk_enrol_code_form;
	pin = json_string_value(json_object_get(req, "pin"));
	again = json_string_value(json_object_get(req, "pin_again"));
	if (strlen(pin) != strlen(again) || sodium_memcmp(pin, again, strlen(pin)) != 0)
		return KCM_kiosk_enrol_pins_differ;
	return 0;
}

json_t *kiosk_estate_enrol(json_t *req, const char *cookie, unsigned *status)
{
	enum kc_msg_code bad = enrol_check(req);
	const char *person = json_string_value(json_object_get(req, "person"));
	json_t *ask, *rep = NULL;
	char err[256];
	int r;

	*status = 200;
	if (bad) {
		*status = 400;
		enrol_wipe(req);
		return kiosk_error(bad);
	}
	ask = json_pack("{s:s, s:s, s:s, s:s}", "op", "person.enrol", "person", person, "code",
			json_string_value(json_object_get(req, "code")), "pin",
			json_string_value(json_object_get(req, "pin")));
	r = ask ? kiosk_keycabd_call(ask, &rep, err, sizeof(err)) : -ENOMEM;
	if (ask)
		enrol_wipe(ask);
	json_decref(ask);
	if (r < 0) {
		kc_warn("first sign-in for %s: keycabd cannot be asked: %s", person, err);
		enrol_wipe(req);
		*status = 503;
		return kiosk_error(KCM_kiosk_keycabd_down);
	}
	if (!json_is_true(json_object_get(rep, "ok"))) {
		kc_notice("first sign-in for %s refused by keycabd", person);
		enrol_wipe(req);
		return rep;
	}
	kc_info("first sign-in: %s set a PIN with the office's enrolment code", person);
	if (json_is_string(json_object_get(rep, "session"))) {
		enrol_wipe(req);
		rep = kiosk_login_bind(rep, cookie, "first sign-in");
	} else {
		json_t *login = json_pack("{s:s, s:s}", "person", person, "pin",
					  json_string_value(json_object_get(req, "pin")));
		int rc = 0;

		json_decref(rep);
		enrol_wipe(req);
		rep = login ? kiosk_login(login, cookie, "PIN set at the first sign-in", &rc) : NULL;
		if (login)
			kc_secret_wipe_request(login);
		json_decref(login);
		if (!rep) {
			*status = 503;
			return kiosk_error(KCM_kiosk_keycabd_down);
		}
	}
	if (rep)
		json_object_set_new(rep, "enrolled", json_true());
	return rep;
}
