/* The request table: every op keycabd answers, who may send it, and its
 * handler (controller/README.md, "Protocol"). The access check is here
 * and only here; a handler sees a request its sender may make. */
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "controller/ctl.h"
#include "controller/outbox_ops.h"
#include "controller/request.h"
#include "controller/registry.h"
#include "controller/reply.h"
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
	KC_ACCESS_LIVE,       /* logged in, or the terminal key (subscribe.c) */
	KC_ACCESS_ROSTER,     /* logged in, the console, or the terminal key */
	KC_ACCESS_FORWARD,    /* the forward key: keycab-forward (outbox_ops.c) */
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

static const struct kc_request {
	const char *op;
	enum kc_access access;
	kc_request_fn *fn;
} requests[] = {
	{ "ping", KC_ACCESS_ANYONE, kc_reads_ping },
	{ "login", KC_ACCESS_ANYONE, login },
	{ "logout", KC_ACCESS_ANYONE, logout },
	{ "whoami", KC_ACCESS_SESSION, kc_reads_whoami },
	{ "release", KC_ACCESS_SESSION, kc_desk_release },
	{ "collect", KC_ACCESS_SESSION, kc_desk_collect },
	{ "approve", KC_ACCESS_MANAGER, kc_desk_approve },
	{ "id.release", KC_ACCESS_OPERATOR, kc_desk_id_release },
	{ "inspect", KC_ACCESS_LOGIN, kc_desk_inspect },
	{ "handover.start", KC_ACCESS_OPERATOR, kc_desk_handover_start },
	{ "handover.confirm", KC_ACCESS_OPERATOR, kc_desk_handover_confirm },
	{ "handover.review", KC_ACCESS_SUPERVISOR, kc_desk_handover_review },
	{ "alarm.clear", KC_ACCESS_OPERATOR, kc_desk_alarm_clear },
	{ "slot.reseat", KC_ACCESS_OPERATOR, kc_desk_reseat },
	{ "import", KC_ACCESS_ADMIN, kc_registry_import },
	{ "person.add", KC_ACCESS_REGISTRAR, kc_registry_person_add },
	{ "entrust", KC_ACCESS_DESK_ADMIN, kc_registry_entrust },
	{ "letter.file", KC_ACCESS_DESK_ADMIN, kc_registry_letter_file },
	{ "letter.confirm", KC_ACCESS_SESSION, kc_registry_letter_confirm },
	{ "unit.vacancy", KC_ACCESS_DESK_ADMIN, kc_registry_vacancy },
	{ "test.clock", KC_ACCESS_TEST_CLOCK, kc_reads_test_clock },
	{ "status", KC_ACCESS_READER, kc_reads_status },
	{ "slots", KC_ACCESS_READER, kc_reads_slots },
	{ "keys", KC_ACCESS_READER, kc_reads_list },
	{ "loans", KC_ACCESS_READER, kc_reads_list },
	{ "ids", KC_ACCESS_READER, kc_reads_list },
	{ "alarms", KC_ACCESS_READER, kc_reads_list },
	{ "entrustments", KC_ACCESS_READER, kc_reads_list },
	{ "letters", KC_ACCESS_READER, kc_reads_list },
	{ "people", KC_ACCESS_READER, kc_reads_list },
	{ "handovers", KC_ACCESS_READER, kc_reads_list },
	{ "notices", KC_ACCESS_READER, kc_reads_list },
	{ "approvals", KC_ACCESS_READER, kc_reads_list },
	{ "subscribe", KC_ACCESS_LIVE, kc_subscribe_request },
	{ "roster", KC_ACCESS_ROSTER, kc_subscribe_roster },
	{ "outbox.read", KC_ACCESS_FORWARD, kc_outbox_ops_read },
	{ "outbox.ack", KC_ACCESS_FORWARD, kc_outbox_ops_ack },
	{ "forward.report", KC_ACCESS_FORWARD, kc_outbox_ops_report },
};

static bool role_is(const struct kc_peer *peer, const char *a, const char *b)
{
	return strcmp(peer->role, a) == 0 || (b && strcmp(peer->role, b) == 0);
}

static json_t *need_operator(const struct kc_peer *peer)
{
	if (!peer->person[0])
		return kc_session_refuse(peer, 1, "operator login", KCM_login_needed_operator);
	if (role_is(peer, "engineer", NULL))
		return kc_reply_refuse(1, json_pack("[s]", "staff login"), KCM_engineer_not_operator,
				       "{s:s, s:s}", "person", peer->person, "name", peer->name);
	return NULL;
}

static json_t *need_reader(const struct kc_peer *peer)
{
	if (peer->console || peer->person[0])
		return NULL;
	return kc_session_refuse(peer, 1, "login", KCM_login_needed_read);
}

static json_t *need_admin(const struct kc_peer *peer, bool staff_ok)
{
	if (peer->console)
		return NULL;
	if (!peer->person[0])
		return kc_session_refuse(peer, 1, "operator login", KCM_login_needed);
	if (role_is(peer, "manager", "supervisor") || (staff_ok && role_is(peer, "staff", NULL)))
		return NULL;
	return kc_reply_refuse(1, json_pack("[s]", staff_ok ? "staff login" : "manager login"),
			       staff_ok ? KCM_role_needs_staff : KCM_role_needs_manager,
			       "{s:s, s:s, s:s}", "person", peer->person, "name", peer->name, "role",
			       peer->role);
}

/* People and their roles and credentials are set by the administrator
 * only: the console (root or keycabd's own user at the socket) with no
 * operator logged in. A logged-in person acts as that person wherever they
 * sit, so nobody registers an approver for themselves (rule 4). */
static json_t *need_registrar(const struct kc_peer *peer)
{
	if (peer->console && !peer->person[0])
		return NULL;
	if (peer->person[0])
		return kc_reply_refuse(1, json_pack("[s]", "administrator"), KCM_registrar_logged_in,
				       "{s:s, s:s, s:s}", "person", peer->person, "name", peer->name,
				       "role", peer->role);
	return kc_reply_refuse(1, json_pack("[s]", "administrator"), KCM_registrar_only, NULL);
}

/* Rule 4: someone logged in who is not a manager asks to approve. */
static json_t *not_manager(void)
{
	struct kc_decision d;
	json_t *rep;

	kc_decision_init(&d);
	kc_decision_refuse(&d, 4, KCM_approval_needs_manager, NULL);
	kc_decision_refuse(&d, 4, KCM_approval_not_manager, NULL);
	json_array_append_new(d.missing, json_string("manager login"));
	rep = kc_reply_decision(&d);
	kc_decision_clear(&d);
	return rep;
}

/* NULL when peer may send a request of this access class, else the reply. */
static json_t *access_check(const struct kc_ctl *ctl, const struct kc_peer *peer, enum kc_access a)
{
	json_t *rep;

	switch (a) {
	case KC_ACCESS_ANYONE:
	case KC_ACCESS_SESSION:
		return NULL;
	case KC_ACCESS_LOGIN:
		return peer->person[0] ? NULL
				       : kc_session_refuse(peer, 1, "login", KCM_login_needed_anyone);
	case KC_ACCESS_OPERATOR:
		return need_operator(peer);
	case KC_ACCESS_SUPERVISOR:
		if ((rep = need_operator(peer)) || role_is(peer, "supervisor", "manager"))
			return rep;
		return kc_reply_refuse(12, json_pack("[s]", "supervisor login"), KCM_supervisor_needed,
				       "{s:s, s:s, s:s}", "person", peer->person, "name", peer->name,
				       "role", peer->role);
	case KC_ACCESS_MANAGER:
		if (peer->person[0] && role_is(peer, "manager", NULL))
			return NULL;
		if (!peer->person[0])
			return kc_session_refuse(peer, 4, "manager login", KCM_approval_needs_manager);
		return not_manager();
	case KC_ACCESS_READER:
		return need_reader(peer);
	case KC_ACCESS_DESK_ADMIN:
		return need_admin(peer, true);
	case KC_ACCESS_ADMIN:
		return need_admin(peer, false);
	case KC_ACCESS_REGISTRAR:
		return need_registrar(peer);
	case KC_ACCESS_TEST_CLOCK:
		return ctl->test_clock ? NULL : kc_reply_fail(KCM_test_clock_off, NULL);
	case KC_ACCESS_LIVE:
		if (peer->terminal || peer->person[0])
			return NULL;
		return kc_session_refuse(peer, 1, "login or terminal key", KCM_subscribe_needs_login);
	case KC_ACCESS_ROSTER:
		if (peer->terminal || peer->console || peer->person[0])
			return NULL;
		return kc_session_refuse(peer, 1, "login or terminal key", KCM_roster_needs_login);
	case KC_ACCESS_FORWARD:
		return peer->forwarder ? NULL : kc_reply_fail(KCM_forward_key_needed, NULL);
	}
	return kc_reply_fail(KCM_internal_access_class, "{s:i}", "class", (int)a);
}

json_t *kc_request_handle(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	const char *op = kc_req_str(req, "op");
	const struct kc_request *r = NULL;
	json_t *rep;

	if ((rep = kc_session_terminal(ctl, req, peer)) || (rep = kc_outbox_ops_key(ctl, req, peer)))
		return rep;
	if (!op)
		return kc_reply_fail(KCM_request_no_op, NULL);
	for (size_t i = 0; i < KC_ARRAY_SIZE(requests) && !r; i++)
		if (strcmp(op, requests[i].op) == 0)
			r = &requests[i];
	if (!r || r->access != KC_ACCESS_ANYONE)
		kc_session_check(ctl, req, peer);
	if (!r) /* an unknown op says so only to someone who may read */
		return (rep = need_reader(peer)) ? rep : kc_reply_fail(KCM_op_unknown, "{s:s}", "op", op);
	if ((rep = access_check(ctl, peer, r->access)))
		return rep;
	return r->fn(ctl, peer, req);
}
