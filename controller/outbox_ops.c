/* outbox.read, outbox.ack, forward.report: keycab-forward's requests. */
#include "controller/outbox_ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/db.h"
#include "common/sharedkey.h"
#include "common/util.h"
#include "controller/outbox.h"
#include "controller/reply.h"
#include "controller/request.h"

/* The most rows one outbox.read returns ([audit] batch_max's limit). */
#define OUTBOX_READ_MAX 10000

int kc_outbox_ops_open(struct kc_ctl *ctl, char *err, size_t errlen)
{
	static const struct kc_db_spec spec = {
		.program = "keycabd",
		.kind = "keycab",
		.open_flags = SQLITE_OPEN_NOMUTEX,
		.busy_ms = 5000,
	};

	if (!ctl->conf->audit_url[0])
		return 0;
	ctl->outbox = kc_db_connect(ctl->conf->db_path, &spec, err, errlen);
	if (!ctl->outbox)
		return -EIO;
	ctl->link = (struct kc_forward_status){ .service_seq = -1 };
	ctl->link_since_mono = kc_mono_ms();
	return 0;
}

void kc_outbox_ops_close(struct kc_ctl *ctl)
{
	kc_db_free(ctl->outbox);
	ctl->outbox = NULL;
	json_decref(ctl->link_feed);
	ctl->link_feed = NULL;
}

json_t *kc_outbox_ops_key(struct kc_ctl *ctl, json_t *req, struct kc_peer *peer)
{
	json_t *v = json_object_get(req, "forward_key");
	const unsigned char *want = ctl->conf->forward_key_file[0] ? ctl->conf->forward_key_digest : NULL;

	peer->forwarder = v && json_is_string(v) &&
			  kc_shared_key_take(want, (char *)json_string_value(v), json_string_length(v));
	if (!v || peer->forwarder)
		return NULL;
	return kc_reply_fail(want ? KCM_forward_key_wrong : KCM_forward_key_none, NULL);
}

bool kc_outbox_ops_link(struct kc_ctl *ctl, struct kc_forward_status *fs)
{
	int64_t heard = ctl->link_report_mono ? ctl->link_report_mono : ctl->link_since_mono, silent;
	struct kc_outbox_state os;

	if (!ctl->outbox)
		return false;
	silent = kc_mono_ms() - heard;
	*fs = ctl->link;
	if (silent >= KC_LINK_SILENT_MS) {
		if (fs->state != KC_LINK_OFFLINE || strcmp(fs->reason, "no_forwarder") != 0)
			fs->since_ms = kc_wall_ms() - (silent - KC_LINK_SILENT_MS);
		fs->state = KC_LINK_OFFLINE;
		kc_strlcpy(fs->reason, "no_forwarder", sizeof(fs->reason));
		snprintf(fs->last_error, sizeof(fs->last_error), "keycab-forward has not reported for %lld s",
			 (long long)(silent / 1000));
	}
	if (kc_outbox_state(ctl->outbox, &os) == 0) {
		fs->pending = os.pending;
		fs->retained = os.retained;
		fs->last_acked_seq = os.acked_max;
	}
	return ctl->link_report_mono || silent >= KC_LINK_SILENT_MS;
}

static json_t *outbox_failed(struct kc_ctl *ctl)
{
	return kc_reply_fail(KCM_forward_outbox_failed, "{s:s}", "detail", sqlite3_errmsg(ctl->outbox->h));
}

static json_t *bad_request(const char *op, const char *detail)
{
	return kc_reply_fail(KCM_forward_bad_request, "{s:s, s:s}", "op", op, "detail", detail);
}

/* The outbox's counts into rep: the reply of every outbox.* request. */
static json_t *with_state(struct kc_ctl *ctl, json_t *rep)
{
	struct kc_outbox_state os;

	if (kc_outbox_state(ctl->outbox, &os) < 0) {
		json_decref(rep);
		return outbox_failed(ctl);
	}
	json_object_set_new(rep, "state",
			    json_pack("{s:I, s:I, s:I, s:I}", "pending", (json_int_t)os.pending, "retained",
				      (json_int_t)os.retained, "first_kept", (json_int_t)os.first_kept,
				      "acked_max", (json_int_t)os.acked_max));
	return rep;
}

/* {"op": "outbox.read", "from": SEQ (0: the first not acknowledged),
 * "max": N (0: the counts only)} -> {"events": the rows' JSON array as
 * text, "count", "first", "last", "state": {...}}. */
json_t *kc_outbox_ops_read(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	json_int_t from = 0, max = 0;
	int64_t first = 0, last = 0;
	json_t *rep;
	char *body = NULL;
	int n = 0;

	(void)peer;
	if (!ctl->outbox)
		return kc_reply_fail(KCM_forward_off, NULL);
	if (json_unpack(req, "{s?I, s?I}", "from", &from, "max", &max) < 0 || from < 0 || max < 0 ||
	    max > OUTBOX_READ_MAX)
		return bad_request("outbox.read", "\"from\" and \"max\" must be whole numbers, max at most 10000");
	if (max > 0 && (n = kc_outbox_read(ctl->outbox, from, (int)max, &body, &first, &last)) < 0)
		return outbox_failed(ctl);
	rep = kc_reply_ok();
	json_object_set_new(rep, "events", json_string(body ? body : "[]"));
	json_object_set_new(rep, "count", json_integer(n));
	json_object_set_new(rep, "first", json_integer(first));
	json_object_set_new(rep, "last", json_integer(last));
	free(body);
	return with_state(ctl, rep);
}

/* {"op": "outbox.ack", "first", "upto"}: the office stored first..upto
 * durably (0..0: none; the retention prunes only) -> {"state": {...}}. */
json_t *kc_outbox_ops_ack(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	json_int_t first, upto;
	const struct kc_ctl_conf *c = ctl->conf;

	(void)peer;
	if (!ctl->outbox)
		return kc_reply_fail(KCM_forward_off, NULL);
	if (json_unpack(req, "{s:I, s:I}", "first", &first, "upto", &upto) < 0 ||
	    first < 0 || upto < 0 || (upto > 0 && first > upto) || upto > kc_store_last_seq(ctl->st))
		return bad_request("outbox.ack",
				   "\"first\" and \"upto\" must be the seqs of events in the outbox, first up to upto");
	if (kc_outbox_ack_keep(ctl->outbox, first, upto, kc_wall_ms(), c->fwd_keep_events, c->fwd_keep_ms) < 0)
		return outbox_failed(ctl);
	return with_state(ctl, kc_reply_ok());
}

/* {"op": "forward.report", the members of kc_link_status_json(), "feed":
 * the estate feed's state (controller/forward/feed.h)}: the links as
 * keycab-forward finds them. */
json_t *kc_outbox_ops_report(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	struct kc_forward_status st;
	char why[200];

	(void)peer;
	if (!ctl->outbox)
		return kc_reply_fail(KCM_forward_off, NULL);
	if (kc_link_status_parse(req, &st, why, sizeof(why)) < 0)
		return bad_request("forward.report", why);
	ctl->link = st;
	ctl->link_report_mono = kc_mono_ms();
	json_decref(ctl->link_feed);
	ctl->link_feed = json_is_object(json_object_get(req, "feed")) ? json_incref(json_object_get(req, "feed")) : NULL;
	return kc_reply_ok();
}
