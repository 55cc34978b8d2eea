/* Live state for terminals (controller/README.md, "Live state"). */
#include "controller/subscribe.h"

#include <stdlib.h>
#include <string.h>

#include "common/pdata.h"
#include "common/util.h"
#include "controller/backlog.h"
#include "controller/proto.h"
#include "controller/reply.h"
#include "controller/request.h"
#include "controller/session.h"

static void push(struct kc_ctl *ctl, json_t *msg)
{
	char *line;

	if (!msg)
		return;
	line = json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(msg);
	if (line)
		kc_proto_push(ctl->proto, line, strlen(line));
	free(line);
}

/* The event as a stream at the cabinet shows it: a copy, phone numbers
 * masked (the owner's, in notice.due and entrustment.registered); its
 * "hash" stays the sealed event's. The outbox, and so the office, keeps
 * them whole for the notice to the owner. No event carries an ID number
 * or a card id (only id_masked), nor a contact unmasked. */
static json_t *event_shown(const json_t *ev)
{
	json_t *shown = json_deep_copy(ev);

	kc_json_phones_mask(json_object_get(shown, "data"));
	return shown;
}

void kc_subscribe_event(void *arg, json_t *ev)
{
	struct kc_ctl *ctl = arg;
	json_t *shown;

	if (!ctl->proto || ctl->subscribers == 0)
		return;
	shown = event_shown(ev);
	if (shown)
		push(ctl, json_pack("{s:s, s:o}", "push", "event", "event", shown));
}

static bool session_open(void *arg, const char *token_hash)
{
	/* a session that cannot be read now is taken as open */
	return kc_session_open(arg, token_hash) != 0;
}

void kc_subscribe_tick(struct kc_ctl *ctl)
{
	int64_t now = kc_mono_ms();

	if (ctl->proto && now - ctl->subscribers_checked >= KC_PROTO_SESSION_CHECK_MS) {
		ctl->subscribers_checked = now;
		kc_proto_subscribers_check(ctl->proto, session_open, ctl);
	}
	if (!ctl->outbox || ctl->link_seen < 0 ||
	    (ctl->link_pushed == ctl->link_seen &&
	     strcmp(ctl->link_pushed_reason, ctl->link_reason) == 0))
		return;
	ctl->link_pushed = ctl->link_seen;
	kc_strlcpy(ctl->link_pushed_reason, ctl->link_reason, sizeof(ctl->link_pushed_reason));
	if (ctl->proto && kc_proto_pushes_wanted(ctl->proto))
		push(ctl, json_pack("{s:s, s:o}", "push", "link", "forward", kc_reads_forward(ctl)));
}

/* The connection becomes a subscriber once this reply is queued: the
 * status it carries and the pushes after it are one consistent stream
 * (every event after the status's last_seq is pushed, in order). */
json_t *kc_subscribe_request(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	json_t *status, *rep;

	if (!ctl->proto)
		return kc_reply_fail(KCM_subscribe_no_socket, NULL);
	/* the terminal always gets a place (proto.c makes room) */
	if (peer->forwarder && !peer->terminal && !peer->person[0] && kc_proto_forwarder_subscribed(ctl->proto))
		return kc_reply_fail(KCM_subscribe_forwarder_held, NULL);
	if (!peer->terminal && !peer->forwarder && kc_proto_subscribers(ctl->proto) >= KC_PROTO_MAX_SUBSCRIBERS)
		return kc_reply_fail(KCM_subscribe_full, "{s:i}", "max", KC_PROTO_MAX_SUBSCRIBERS);
	status = kc_reads_status(ctl, peer, req);
	if (!json_is_true(json_object_get(status, "ok")))
		return status;
	rep = kc_reply_ok();
	json_object_set_new(rep, "subscribed", json_true());
	json_object_set_new(rep, "status", status);
	peer->subscribe = true;
	return rep;
}

/* The people who log in with a PIN, for a terminal's name picker: code,
 * name and role only; nobody the office deactivated. And "enrolling":
 * those with an enrolment code from the office not used yet (open or
 * expired: the terminal's first sign-in says which), the same members. */
json_t *kc_subscribe_roster(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	sqlite3_stmt *s = kc_store_q(ctl->st,
				     "SELECT code AS person, name, role FROM people"
				     " WHERE pin_hash IS NOT NULL AND active = 1 ORDER BY code",
				     "");
	json_t *rep;

	(void)peer;
	(void)req;
	if (!s)
		return kc_reply_read_failed(ctl->st);
	rep = kc_reply_ok();
	json_object_set_new(rep, "people", kc_reply_rows(s));
	s = kc_store_q(ctl->st,
		       "SELECT code AS person, name, role FROM people"
		       " WHERE enrol_code_hash IS NOT NULL AND active = 1 ORDER BY code",
		       "");
	if (!s) {
		json_decref(rep);
		return kc_reply_read_failed(ctl->st);
	}
	json_object_set_new(rep, "enrolling", kc_reply_rows(s));
	return rep;
}

void kc_subscribe_storage(struct kc_ctl *ctl)
{
	json_t *msg;
	char *line;

	if (!ctl->proto || ctl->subscribers == 0)
		return;
	msg = json_pack("{s:s, s:o}", "push", "storage", "storage", kc_backlog_storage(ctl));
	line = msg ? json_dumps(msg, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	if (line)
		kc_proto_push(ctl->proto, line, strlen(line));
	free(line);
	json_decref(msg);
}
