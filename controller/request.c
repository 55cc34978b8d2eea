/* The request table: every op keycabd answers, who may send it, its
 * handler and its arguments, from controller/ops.def (controller/README.md,
 * "Protocol"). The access check and the arguments' check are here and
 * only here, with the check of every text's length before them; a
 * handler sees a request its sender may make, its arguments of the types
 * the spec gives. */
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "controller/ctl.h"
#include "controller/estate.h"
#include "controller/intake.h"
#include "controller/opcheck.h"
#include "controller/outbox_ops.h"
#include "controller/request.h"
#include "controller/registry.h"
#include "controller/reply.h"
#include "controller/rules_access.h"
#include "controller/session.h"

enum kc_access {
	KC_ACCESS_ANYONE,     /* no session is looked at */
	KC_ACCESS_SESSION,    /* the session is checked; the handler's rule decides (rule 1) */
	KC_ACCESS_LOGIN,      /* anyone logged in */
	KC_ACCESS_OPERATOR,   /* logged in, not an engineer */
	KC_ACCESS_SUPERVISOR, /* an operator who is a supervisor or the manager (rule 12) */
	KC_ACCESS_MANAGER,    /* a manager (rule 4) */
	KC_ACCESS_READER,     /* logged in, or the console */
	KC_ACCESS_DESK_ADMIN, /* the console, a manager, supervisor or staff member */
	KC_ACCESS_ADMIN,      /* the console, a manager or supervisor */
	KC_ACCESS_REGISTRAR,  /* the administrator: the console with nobody logged in */
	KC_ACCESS_TEST_CLOCK, /* keycabd --test-clock */
	KC_ACCESS_LIVE,       /* logged in, the terminal key or the forward key (subscribe.c) */
	KC_ACCESS_ROSTER,     /* logged in, the console, or the terminal key */
	KC_ACCESS_FORWARD,    /* the forward key: keycab-forward (outbox_ops.c) */
	KC_ACCESS_OFFICE,     /* the forward key: the office's changes through keycab-forward (estate.c) */
};

static json_t *login(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	(void)peer;
	return kc_session_login(ctl, req);
}

static json_t *logout(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	(void)peer;
	return kc_session_logout(ctl, req);
}

/* The table is ops.def's: an op, who may send it, its handler, its
 * arguments (checked by opcheck.c once the access is; NULL: none
 * checked). */
static const struct kc_request {
	const char *op;
	enum kc_access access;
	kc_request_fn *fn;
	const char *args;
} requests[] = {
#define KC_OP(op, access, kiosk, handler, args) { op, KC_ACCESS_##access, handler, args },
#include "controller/ops.def"
};

/* A sender's refusal by the access rules (rules_access.h) as the reply;
 * NULL when the sender may. */
static json_t *decided(bool may, struct kc_decision *d)
{
	if (may) {
		kc_decision_clear(d);
		return NULL;
	}
	return kc_reply_take(d);
}

/* NULL when peer may send a request of this access class, else the reply. */
static json_t *access_check(const struct kc_ctl *ctl, const struct kc_peer *peer, enum kc_access a)
{
	struct kc_decision d;

	if (a == KC_ACCESS_ANYONE || a == KC_ACCESS_SESSION)
		return NULL;
	if (a == KC_ACCESS_TEST_CLOCK)
		return ctl->test_clock ? NULL : kc_reply_fail(KCM_test_clock_off, NULL);
	if (a == KC_ACCESS_FORWARD)
		return peer->forwarder ? NULL : kc_reply_fail(KCM_forward_key_needed, NULL);
	if (a == KC_ACCESS_OFFICE)
		return peer->forwarder ? NULL : kc_reply_fail(KCM_estate_office_only, NULL);
	kc_decision_init(&d);
	switch (a) {
	case KC_ACCESS_LOGIN:
		return decided(kc_rules_need_login(peer, KCM_login_needed_anyone, "login", &d), &d);
	case KC_ACCESS_OPERATOR:
		return decided(kc_rules_need_operator(peer, &d), &d);
	case KC_ACCESS_SUPERVISOR:
		return decided(kc_rules_need_supervisor(peer, &d), &d);
	case KC_ACCESS_MANAGER:
		return decided(kc_rules_need_manager(peer, &d), &d);
	case KC_ACCESS_READER:
		return decided(kc_rules_need_reader(peer, &d), &d);
	case KC_ACCESS_DESK_ADMIN:
		return decided(kc_rules_need_admin(peer, true, &d), &d);
	case KC_ACCESS_ADMIN:
		return decided(kc_rules_need_admin(peer, false, &d), &d);
	case KC_ACCESS_REGISTRAR:
		return decided(kc_rules_need_registrar(peer, &d), &d);
	case KC_ACCESS_LIVE:
		return decided(kc_rules_need_live(peer, false, &d), &d);
	case KC_ACCESS_ROSTER:
		return decided(kc_rules_need_live(peer, true, &d), &d);
	default:
		kc_decision_clear(&d);
		return kc_reply_fail(KCM_internal_access_class, "{s:i}", "class", (int)a);
	}
}

json_t *kc_request_handle(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	const char *op = json_string_value(json_object_get(req, "op"));
	const struct kc_request *r = NULL;
	json_t *rep;

	/* the keys a sender names (a peer is none of these until it does) */
	if ((rep = kc_opcheck_text(req)) ||
	    (json_object_get(req, "terminal_key") && (rep = kc_session_terminal(ctl, req, peer))) ||
	    (json_object_get(req, "forward_key") && (rep = kc_outbox_ops_key(ctl, req, peer))))
		return rep;
	if (!op)
		return kc_reply_fail(KCM_request_no_op, NULL);
	for (size_t i = 0; i < KC_ARRAY_SIZE(requests) && !r; i++)
		if (strcmp(op, requests[i].op) == 0)
			r = &requests[i];
	if (!r || r->access != KC_ACCESS_ANYONE)
		kc_session_check(ctl, req, peer);
	if (!r) /* an unknown op says so only to someone who may read */
		return (rep = access_check(ctl, peer, KC_ACCESS_READER)) ? rep
									    : kc_reply_fail(KCM_op_unknown, "{s:s}", "op", op);
	/* a managed cabinet's registry is the office's, whoever asks */
	if ((rep = kc_estate_op_refused(ctl, op)) || (rep = access_check(ctl, peer, r->access)) ||
	    (rep = kc_opcheck_args(op, r->args, req)))
		return rep;
	return r->fn(ctl, peer, req);
}
