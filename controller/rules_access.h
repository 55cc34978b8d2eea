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
/* Live state: logged in or the terminal key; roster: the console too. */
bool kc_rules_need_live(const struct kc_peer *peer, bool roster, struct kc_decision *d);
/* Rule 1: a letter's confirmation names the staff member who confirmed
 * it: someone logged in, not an engineer. */
bool kc_rules_letter_confirmer(const struct kc_peer *peer, struct kc_decision *d);

#endif
