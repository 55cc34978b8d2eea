/* Rules 1, 4 and 12 on who sent a request (struct kc_peer, as the
 * session check left it): each kc_rules_need_* says whether the sender
 * may, or refuses in d. Pure: the peer is a fact. */
#include <string.h>

#include "controller/rules_access.h"

/* peer's role is a, or b (KC_ROLE_INVALID: only a). */
static bool role_is(const struct kc_peer *peer, enum kc_role a, enum kc_role b)
{
	enum kc_role r = kc_role_from_string(peer->role);

	return r != KC_ROLE_INVALID && (r == a || r == b);
}

json_t *kc_rules_session_why(const struct kc_peer *peer)
{
	switch (peer->session_why) {
	case KCM_session_expired:
		return kc_msg_new(KCM_session_expired, "{s:I}", "idle_s", (json_int_t)peer->session_idle_s);
	case KCM_session_unknown:
	case KCM_session_read_failed:
		return kc_msg_new((enum kc_msg_code)peer->session_why, NULL);
	default: /* no session given, or none checked */
		return kc_msg_new(KCM_session_none, NULL);
	}
}

void kc_rules_session_detail(const struct kc_peer *peer, struct kc_decision *d)
{
	if (d->rule == 1 && !peer->person[0] && peer->session_given)
		kc_decision_refuse(d, 1, KCM_session_detail, "{s:o}", "detail", kc_rules_session_why(peer));
}

void kc_rules_no_session(const struct kc_peer *peer, int rule, const char *missing, enum kc_msg_code c,
			 struct kc_decision *d)
{
	kc_decision_refuse(d, rule, c, NULL);
	kc_decision_add(d, 1, kc_rules_session_why(peer));
	kc_decision_missing(d, missing);
}

bool kc_rules_need_login(const struct kc_peer *peer, enum kc_msg_code c, const char *missing,
			 struct kc_decision *d)
{
	if (peer->person[0])
		return true;
	kc_rules_no_session(peer, 1, missing, c, d);
	return false;
}

bool kc_rules_need_operator(const struct kc_peer *peer, struct kc_decision *d)
{
	if (!kc_rules_need_login(peer, KCM_login_needed_operator, "operator login", d))
		return false;
	if (!role_is(peer, KC_ROLE_ENGINEER, KC_ROLE_INVALID))
		return true;
	kc_decision_refuse(d, 1, KCM_engineer_not_operator, "{s:s, s:s}", "person", peer->person, "name",
			   peer->name);
	kc_decision_missing(d, "staff login");
	return false;
}

bool kc_rules_need_reader(const struct kc_peer *peer, struct kc_decision *d)
{
	return peer->console || kc_rules_need_login(peer, KCM_login_needed_read, "login", d);
}

bool kc_rules_need_admin(const struct kc_peer *peer, bool staff_ok, struct kc_decision *d)
{
	if (peer->console)
		return true;
	if (!kc_rules_need_login(peer, KCM_login_needed, "operator login", d))
		return false;
	if (role_is(peer, KC_ROLE_MANAGER, KC_ROLE_SUPERVISOR) ||
	    (staff_ok && role_is(peer, KC_ROLE_STAFF, KC_ROLE_INVALID)))
		return true;
	kc_decision_refuse(d, 1, staff_ok ? KCM_role_needs_staff : KCM_role_needs_manager,
			   "{s:s, s:s, s:s}", "person", peer->person, "name", peer->name, "role", peer->role);
	kc_decision_missing(d, staff_ok ? "staff login" : "manager login");
	return false;
}

bool kc_rules_need_registrar(const struct kc_peer *peer, struct kc_decision *d)
{
	if (peer->console && !peer->person[0])
		return true;
	if (peer->person[0])
		kc_decision_refuse(d, 1, KCM_registrar_logged_in, "{s:s, s:s, s:s}", "person", peer->person,
				   "name", peer->name, "role", peer->role);
	else
		kc_decision_refuse(d, 1, KCM_registrar_only, NULL);
	kc_decision_missing(d, "administrator");
	return false;
}

bool kc_rules_need_supervisor(const struct kc_peer *peer, struct kc_decision *d)
{
	if (!kc_rules_need_operator(peer, d))
		return false;
	if (role_is(peer, KC_ROLE_SUPERVISOR, KC_ROLE_MANAGER))
		return true;
	kc_decision_refuse(d, 12, KCM_supervisor_needed, "{s:s, s:s, s:s}", "person", peer->person, "name",
			   peer->name, "role", peer->role);
	kc_decision_missing(d, "supervisor login");
	return false;
}

bool kc_rules_need_manager(const struct kc_peer *peer, struct kc_decision *d)
{
	if (peer->person[0] && role_is(peer, KC_ROLE_MANAGER, KC_ROLE_INVALID))
		return true;
	if (!peer->person[0]) {
		kc_rules_no_session(peer, 4, "manager login", KCM_approval_needs_manager, d);
		return false;
	}
	kc_decision_refuse(d, 4, KCM_approval_needs_manager, NULL);
	kc_decision_refuse(d, 4, KCM_approval_not_manager, NULL);
	kc_decision_missing(d, "manager login");
	return false;
}

bool kc_rules_need_live(const struct kc_peer *peer, bool roster, struct kc_decision *d)
{
	if (peer->terminal || peer->person[0] || (roster ? peer->console : peer->forwarder))
		return true;
	kc_rules_no_session(peer, 1, "login or terminal key",
			    roster ? KCM_roster_needs_login : KCM_subscribe_needs_login, d);
	return false;
}

bool kc_rules_letter_confirmer(const struct kc_peer *peer, struct kc_decision *d)
{
	if (!peer->person[0])
		kc_decision_refuse(d, 1, KCM_letter_confirm_no_login, "{s:o}", "detail",
				   kc_rules_session_why(peer));
	else if (role_is(peer, KC_ROLE_ENGINEER, KC_ROLE_INVALID))
		kc_decision_refuse(d, 1, KCM_letter_confirm_by_engineer, NULL);
	else
		return true;
	kc_decision_missing(d, "staff login");
	return false;
}

static int64_t seconds_left(int64_t until, int64_t now)
{
	return until > now ? (until - now + 999) / 1000 : 0;
}

/* A wrong PIN counted: a lockout after pol->attempts, each twice as long
 * as the one before, up to pol->max_ms. */
static void count_wrong_pin(const struct kc_login_facts *f, const struct kc_lockout_policy *pol, int64_t now_ms,
			    struct kc_login_count *c)
{
	int64_t len = pol->base_ms;

	*c = (struct kc_login_count){ .write = true, .failures = f->failures + 1, .lockouts = f->lockouts,
				      .locked_until = f->locked_until, .tries = f->failures + 1 };
	if (c->tries < pol->attempts)
		return;
	for (int i = 0; i < f->lockouts && len < pol->max_ms; i++)
		len *= 2;
	if (len > pol->max_ms)
		len = pol->max_ms;
	c->lockouts++;
	c->failures = 0;
	c->lockout_ms = len;
	c->locked_until = now_ms + len;
}

bool kc_rules_login(const struct kc_login_facts *f, const struct kc_lockout_policy *pol, int64_t now_ms,
		    struct kc_login_count *count, struct kc_decision *d)
{
	char when[32];

	*count = (struct kc_login_count){ 0 };
	if (!f->found && f->by_card) {
		kc_decision_refuse(d, 1, KCM_card_unknown, NULL);
		kc_decision_missing(d, "registered card");
		return false;
	}
	if (!f->found) {
		kc_decision_refuse(d, 0, KCM_login_person_unknown, "{s:s}", "person", f->person ? f->person : "");
		return false;
	}
	if (f->inactive) {
		kc_decision_refuse(d, 1, KCM_login_person_inactive, "{s:s, s:s}", "person", f->code, "name", f->name);
		return false;
	}
	if (f->locked_until > now_ms) {
		kc_rules_fmt_local(f->locked_until, when, sizeof(when));
		kc_decision_refuse(d, 1, KCM_login_locked_out, "{s:s, s:s, s:s, s:I}", "person", f->code, "name",
				   f->name, "until", when, "seconds_left",
				   (json_int_t)seconds_left(f->locked_until, now_ms));
		kc_decision_missing(d, "lockout to end");
		return false;
	}
	if (f->credential_ok)
		return true;
	count_wrong_pin(f, pol, now_ms, count);
	if (count->lockout_ms) {
		kc_rules_fmt_local(count->locked_until, when, sizeof(when));
		kc_decision_refuse(d, 1, KCM_pin_wrong_locked, "{s:s, s:s, s:i, s:s, s:I}", "person", f->code,
				   "name", f->name, "failures", count->tries, "until", when, "seconds_left",
				   (json_int_t)seconds_left(count->locked_until, now_ms));
	} else {
		kc_decision_refuse(d, 1, f->enrol_code ? KCM_enrol_code_wrong : KCM_pin_wrong,
				   "{s:s, s:s, s:i, s:i, s:i}", "person", f->code, "name", f->name, "failures",
				   count->tries, "attempts", pol->attempts, "tries_left", pol->attempts - count->tries);
	}
	kc_decision_missing(d, f->enrol_code ? "enrolment code" : "correct PIN");
	return false;
}

void kc_rules_login_throttled(int64_t wait_ms, struct kc_decision *d)
{
	kc_decision_refuse(d, 1, KCM_login_throttled, "{s:I}", "seconds_left", (json_int_t)((wait_ms + 999) / 1000));
	kc_decision_missing(d, "wait");
}

bool kc_rules_terminal_key(bool configured, bool right, struct kc_decision *d)
{
	if (configured && right)
		return true;
	if (!configured) {
		kc_decision_refuse(d, 1, KCM_terminal_key_none, NULL);
		kc_decision_missing(d, "login");
	} else {
		kc_decision_refuse(d, 1, KCM_terminal_key_wrong, NULL);
		kc_decision_missing(d, "terminal key");
	}
	return false;
}
