/* A login at the terminal: a PIN from a page or a card from the reader,
 * checked by keycabd; the session token it gives stays here, bound to the
 * page's cookie. And the end of one: logout at keycabd, the pages told. */
#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "controller/kiosk/kiosk.h"

static void login_who(const json_t *rep, struct kiosk_who *who)
{
	const char *s;

	memset(who, 0, sizeof(*who));
	if ((s = json_string_value(json_object_get(rep, "person"))))
		kc_strlcpy(who->person, s, sizeof(who->person));
	if ((s = json_string_value(json_object_get(rep, "name"))))
		kc_strlcpy(who->name, s, sizeof(who->name));
	if ((s = json_string_value(json_object_get(rep, "role"))))
		kc_strlcpy(who->role, s, sizeof(who->role));
}

/* Wipes and drops the token member of a reply. */
static void login_drop_token(json_t *rep)
{
	json_t *t = json_object_get(rep, "session");

	if (json_is_string(t)) {
		char *p = (char *)json_string_value(t);

		sodium_memzero(p, strlen(p));
	}
	json_object_del(rep, "session");
}

void kiosk_logout_token(const char *token, const char *cookie, const char *why)
{
	json_t *req = json_pack("{s:s, s:s}", "op", "logout", "session", token), *rep = NULL;
	char err[256];

	if (req && kiosk_keycabd_call(req, &rep, err, sizeof(err)) < 0)
		kc_notice("logout at keycabd (%s): %s", why, err);
	json_decref(req);
	json_decref(rep);
	if (cookie)
		kiosk_relay_publish("logout", json_pack("{s:s}", "reason", why), cookie);
}

json_t *kiosk_login(json_t *req, const char *cookie, const char *how, int *rc)
{
	json_t *rep = NULL;
	char err[256];
	int r;

	json_object_set_new(req, "op", json_string("login"));
	r = kiosk_keycabd_call(req, &rep, err, sizeof(err));
	if (r < 0) {
		kc_warn("login by %s: keycabd cannot be asked: %s", how, err);
		*rc = r;
		return NULL;
	}
	if (!json_is_true(json_object_get(rep, "ok")) || !json_is_string(json_object_get(rep, "session"))) {
		const char *person = json_string_value(json_object_get(req, "person"));

		kc_notice("login by %s%s%s refused by keycabd", how, person ? " for " : "", person ? person : "");
		login_drop_token(rep);
		return rep;
	}
	return kiosk_login_bind(rep, cookie, how);
}

json_t *kiosk_login_bind(json_t *rep, const char *cookie, const char *how)
{
	json_t *tok = json_object_get(rep, "session");
	struct kiosk_who who;
	char old[KIOSK_TOKEN_MAX];
	json_int_t idle_s;
	int r;

	login_who(rep, &who);
	r = kiosk_session_bind(cookie, json_string_value(tok), &who, old);
	if (r < 0) {
		kc_warn("login by %s for %s: no room for another login at this terminal", how, who.person);
		kiosk_logout_token(json_string_value(tok), NULL, "no room");
		json_decref(rep);
		return kiosk_error(KCM_kiosk_busy);
	}
	if (old[0]) {
		kiosk_logout_token(old, NULL, "replaced");
		sodium_memzero(old, sizeof(old));
	}
	kc_info("login by %s: %s (%s)", how, who.person, who.role);
	login_drop_token(rep);
	/* the page counts down the shorter of the two idle times */
	idle_s = kiosk_session_idle_ms() / 1000;
	if (json_integer_value(json_object_get(rep, "idle_timeout_s")) > 0 &&
	    json_integer_value(json_object_get(rep, "idle_timeout_s")) < idle_s)
		idle_s = json_integer_value(json_object_get(rep, "idle_timeout_s"));
	json_object_set_new(rep, "idle_timeout_s", json_integer(idle_s));
	return rep;
}
