/* Rules 1, 4 and 12 on the sender of a request (controller/rules_access.c):
 * who may send what, as pure decisions on the peer. Each kc_rules_need_*
 * returns true when the sender may, else false with the refusal in d
 * (kc_decision_init'ed by the caller). */
#ifndef KC_CTL_RULES_ACCESS_H
#define KC_CTL_RULES_ACCESS_H
#include <stdbool.h>

#include "controller/ctl.h"
#include "controller/rules.h"

/* Why nobody is logged in for peer (session_none, session_expired,
 * session_unknown, session_read_failed), a new message. */
json_t *kc_rules_session_why(const struct kc_peer *peer);
/* A rule-1 refusal of a peer that gave a session nobody holds (unknown or
 * idle) as that refusal: why, in d. */
void kc_rules_session_detail(const struct kc_peer *peer, struct kc_decision *d);
/* Refuses by rule with message c, why nobody is logged in (rule 1) and
 * missing. */
void kc_rules_no_session(const struct kc_peer *peer, int rule, const char *missing, enum kc_msg_code c,
			 struct kc_decision *d);
/* Anyone logged in (message c, missing when not). */
bool kc_rules_need_login(const struct kc_peer *peer, enum kc_msg_code c, const char *missing,
			 struct kc_decision *d);
/* Logged in, not an engineer. */
bool kc_rules_need_operator(const struct kc_peer *peer, struct kc_decision *d);
/* Logged in, or the console. */
bool kc_rules_need_reader(const struct kc_peer *peer, struct kc_decision *d);
/* The console, a manager or supervisor, or (staff_ok) a staff member. */
bool kc_rules_need_admin(const struct kc_peer *peer, bool staff_ok, struct kc_decision *d);
/* The administrator: the console with nobody logged in. */
bool kc_rules_need_registrar(const struct kc_peer *peer, struct kc_decision *d);
/* Rule 12: an operator who is a supervisor or the manager. */
bool kc_rules_need_supervisor(const struct kc_peer *peer, struct kc_decision *d);
/* Rule 4: a manager. */
bool kc_rules_need_manager(const struct kc_peer *peer, struct kc_decision *d);
/* Live state: logged in, the terminal key or the forward key (keycab-forward
 * is woken by the pushes); roster: logged in, the terminal key or the
 * console. */
bool kc_rules_need_live(const struct kc_peer *peer, bool roster, struct kc_decision *d);
/* Rule 1: a letter's confirmation names the staff member who confirmed
 * it: someone logged in, not an engineer. */
bool kc_rules_letter_confirmer(const struct kc_peer *peer, struct kc_decision *d);

/* Rule 1 on a login (PIN or card), decided on the facts session.c loaded:
 * who the credential names, their failures and lockout, whether the
 * credential matched. */
struct kc_login_facts {
	bool by_card;          /* a card; else a person's code and PIN */
	const char *person;    /* the code given (PIN) */
	bool found;            /* the person, or the card's holder, is on file */
	const char *code, *name; /* found: who */
	int failures, lockouts; /* wrong PINs since the last lockout, lockouts so far */
	int64_t locked_until;  /* wall ms; 0: never locked out */
	bool credential_ok;    /* the PIN matched (a card found always does) */
	bool inactive;         /* found, and deactivated by the office */
	bool enrol_code;       /* the credential is an enrolment code, not a PIN */
};
/* [lockout]: wrong PINs before a lockout, the first lockout, the longest. */
struct kc_lockout_policy {
	int attempts;
	int64_t base_ms, max_ms;
};
/* What a wrong PIN leaves to write on the person (write: there is). */
struct kc_login_count {
	bool write;
	int failures, lockouts; /* failures: the count after this one (0 once locked out) */
	int64_t locked_until;
	int64_t lockout_ms;     /* this failure locks out for so long (0: it does not) */
	int tries;              /* the failures counted, this one included */
};
/* true when the login may go on; else false with the refusal in d: no
 * such person (no rule), a card nobody holds, a person deactivated, a
 * lockout under way, a wrong PIN or enrolment code (rule 1). A wrong PIN fills count, which the caller writes
 * with the failure's event before it answers. */
bool kc_rules_login(const struct kc_login_facts *f, const struct kc_lockout_policy *pol, int64_t now_ms,
		    struct kc_login_count *count, struct kc_decision *d);
/* Rule 1: logins refused by the socket's rate limit for wait_ms more. */
void kc_rules_login_throttled(int64_t wait_ms, struct kc_decision *d);
/* Rule 1: a terminal key given; configured: keycabd has one; right: it
 * matched. true when the sender is the terminal. */
bool kc_rules_terminal_key(bool configured, bool right, struct kc_decision *d);

#endif
