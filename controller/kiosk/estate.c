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

/* A PIN anyone would guess: one digit repeated (1111), or each digit one
 * more (1234) or one less (9876) than the one before it. */
static bool enrol_pin_weak(const char *pin)
{
	size_t n = strlen(pin);
	bool same = true, up = true, down = true;

	for (size_t i = 1; i < n; i++) {
		same &= pin[i] == pin[0];
		up &= pin[i] == pin[i - 1] + 1;
		down &= pin[i] == pin[i - 1] - 1;
	}
	return n > 1 && (same || up || down);
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
	if (enrol_pin_weak(pin))
		return KCM_kiosk_enrol_pin_weak;
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

/* ---- the site's settings ---- */

/* The settings of each site this cabinet serves, as keycabd's settings
 * op gives them: its "sites" (one object a site), or its one "settings". */
static json_t *settings_sites(json_t *rep)
{
	json_t *sites = json_object_get(rep, "sites"), *one = json_object_get(rep, "settings");

	if (json_is_array(sites))
		return json_incref(sites);
	return json_is_object(one) ? json_pack("[O]", one) : json_array();
}

/* Appends each string of from not in to yet, to at most max. */
static void settings_union(json_t *to, json_t *from, size_t max)
{
	size_t i, j;
	json_t *v, *w;

	json_array_foreach(from, i, v) {
		bool have = false;

		if (json_array_size(to) >= max)
			return;
		json_array_foreach(to, j, w) have |= json_equal(v, w);
		if (!have && (json_is_string(v) || json_is_integer(v)))
			json_array_append(to, v);
	}
}

/* presets, numbers, in increasing order (a few: inserted one by one). */
static json_t *settings_sorted(json_t *presets)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(presets, i, v) {
		size_t at = 0;

		while (at < json_array_size(out) &&
		       json_integer_value(json_array_get(out, at)) <= json_integer_value(v))
			at++;
		json_array_insert(out, at, v);
	}
	return out;
}

/* Whether the office has set the settings of a site of sites. */
static bool settings_from_office(json_t *sites)
{
	json_t *site;
	size_t i;

	json_array_foreach(sites, i, site) if (!json_is_false(json_object_get(site, "office"))) return true;
	return false;
}

/* The sites' settings as the terminal uses them: the phrases of every
 * site, the due-time presets of every site (shortest first), and for
 * each purpose the longest loan any site allows. */
static json_t *settings_merge(json_t *sites)
{
	json_t *m = json_pack("{s:{}, s:[], s:{}}", "phrases", "due_presets", "max_loan"), *site, *v, *presets;
	const char *purpose;
	size_t i;

	if (!m)
		return NULL;
	for (int k = 0; k < KIOSK_PHRASE_KINDS; k++)
		json_object_set_new(json_object_get(m, "phrases"), kiosk_phrase_kinds[k], json_array());
	json_array_foreach(sites, i, site) {
		if (json_is_false(json_object_get(site, "office")))
			continue; /* the cabinet's own settings: the terminal's serve */
		for (int k = 0; k < KIOSK_PHRASE_KINDS; k++)
			settings_union(json_object_get(json_object_get(m, "phrases"), kiosk_phrase_kinds[k]),
				       json_object_get(json_object_get(site, "phrases"), kiosk_phrase_kinds[k]),
				       KIOSK_PHRASES_MAX);
		settings_union(json_object_get(m, "due_presets"), json_object_get(site, "due_presets"), 16);
		json_object_foreach(json_object_get(site, "max_loan"), purpose, v) {
			json_t *had = json_object_get(json_object_get(m, "max_loan"), purpose);

			if (json_is_integer(v) && (!had || json_integer_value(v) > json_integer_value(had)))
				json_object_set(json_object_get(m, "max_loan"), purpose, v);
		}
	}
	presets = settings_sorted(json_object_get(m, "due_presets"));
	if (presets)
		json_object_set_new(m, "due_presets", presets);
	return m;
}

/* keycabd's settings, merged, when the office manages this cabinet and
 * has set a site's settings; NULL when it does not (standalone, no site's
 * settings from the office yet), or keycabd does not answer (then the
 * terminal's own [phrases] and presets serve). */
static json_t *estate_settings(void)
{
	json_t *req = json_pack("{s:s}", "op", "settings"), *rep = NULL, *sites, *m = NULL;
	char err[256];

	if (!req)
		return NULL;
	kiosk_keycabd_add_key(req);
	if (kiosk_keycabd_call(req, &rep, err, sizeof(err)) < 0) {
		json_decref(req);
		return NULL;
	}
	json_decref(req);
	if (json_is_true(json_object_get(rep, "ok")) &&
	    strcmp(json_string_value(json_object_get(rep, "mode")) ?: "", "managed") == 0) {
		sites = settings_sites(rep);
		m = sites && settings_from_office(sites) ? settings_merge(sites) : NULL;
		json_decref(sites);
	}
	json_decref(rep);
	return m;
}

json_t *kiosk_estate_phrases(json_t *rep)
{
	json_t *m = rep ? estate_settings() : NULL;

	if (!rep)
		return NULL;
	json_object_set_new(rep, "from", json_string(m ? "office" : "terminal"));
	if (m)
		json_object_set(rep, "phrases", json_object_get(m, "phrases"));
	json_decref(m);
	return rep;
}

json_t *kiosk_estate_settings(void)
{
	json_t *m = estate_settings();

	if (!m)
		return json_pack("{s:b, s:b}", "ok", 1, "managed", 0);
	json_object_set_new(m, "ok", json_true());
	json_object_set_new(m, "managed", json_true());
	return m;
}
