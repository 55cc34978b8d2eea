/* Logins (PIN, card), lockouts, sessions. */
#ifndef KC_CTL_SESSION_H
#define KC_CTL_SESSION_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/msg.h"
#include "controller/ctl.h"
#include "controller/rules.h"

json_t *kc_session_login(struct kc_ctl *ctl, json_t *req);
json_t *kc_session_logout(struct kc_ctl *ctl, json_t *req);
/* Fills peer->person/role/name from the request's "session" token; on
 * failure leaves person empty and says why: peer->session_why (a message
 * code: no session, an unknown one, one ended idle) and, in English,
 * peer->session_error. */
void kc_session_check(struct kc_ctl *ctl, json_t *req, struct kc_peer *peer);
/* The terminal key ([socket] terminal_key) a request may carry as
 * "terminal_key": sets peer->terminal when it is the right one, and wipes
 * it from the request. NULL, or the refusal of a request with a wrong key,
 * or with one where keycabd has none. */
json_t *kc_session_terminal(struct kc_ctl *ctl, json_t *req, struct kc_peer *peer);
/* 1 while the session whose token has this hash (kc_token_hash) is open,
 * 0 once it ended (logged out, or idle past [session] idle_timeout),
 * -EIO when it cannot be read. Does not count as a use of the session. */
int kc_session_open(struct kc_ctl *ctl, const char *token_hash);
/* A login refused before any check, because its connection (or every
 * connection) failed too often lately: counted (by_card: a card's, else a
 * PIN's), and the reply says how long to wait. */
json_t *kc_session_login_throttled(struct kc_ctl *ctl, bool by_card, int64_t wait_ms);
/* Writes the summed failed logins of intervals that ended (all of them
 * when flush); returns the ms until the next interval ends. */
int64_t kc_session_tick(struct kc_ctl *ctl, bool flush);
/* The purpose of a check of an enrolment code (kc_session_verify_code). */
#define KC_SESSION_ENROL "enrol"
/* Checks a person's enrolment code at the terminal (code_ok: it matched
 * the open code), counting a wrong one towards the lockout like a wrong
 * PIN. NULL, or a refusal reply. */
json_t *kc_session_verify_code(struct kc_ctl *ctl, const char *person, bool code_ok);
/* Checks a second person's PIN (a manager's approval at the cabinet),
 * counting failures and lockouts like a login. 0, or a refusal reply. */
json_t *kc_session_verify_pin(struct kc_ctl *ctl, const char *person, const char *pin,
			      const char *purpose, char role_out[16]);

#endif
