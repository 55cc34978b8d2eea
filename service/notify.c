#include "service/notify.h"
#include "service/templates.h"

#include <curl/curl.h>
#include <sodium.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util.h"
#include "service/channel.h"
#include "service/notice_key.h"


struct rec;

#define ROUND 16 /* deliveries taken at once, their records written together */

/* The send times of a paced channel in the last minute (a ring), and
 * when it may send again after the receiver said it was over its rate. */
struct pace {
	int64_t *at;
	int n, head;
	int64_t hold_until;
};

struct kc_notifier {
	const struct kc_audit_config *cfg;
	struct kc_db *db;
	CURL *curl;
	pthread_t thread;
	int wake_fd;
	atomic_bool stop;
	atomic_int health;
	struct kc_notice_keys *keys; /* NULL: no notice_key_file */
	struct pace *pace;	     /* one per channel */
	struct rec *recs;	     /* the round's records, written together */
	int nrecs;
};

struct delivery {
	int64_t id;
	int attempts;
	char *webhook, *channel, *target, *template_id, *params, *state, *out_id, *gateway_id;
	int64_t sent_ms;
	char *payload, *text_zh, *text_en;
};

static void delivery_free(struct delivery *d)
{
	char **f[] = { &d->webhook, &d->channel, &d->target, &d->template_id, &d->params, &d->state,
		       &d->out_id, &d->gateway_id, &d->payload, &d->text_zh, &d->text_en };

	for (size_t i = 0; i < KC_ARRAY_SIZE(f); i++)
		free(*f[i]);
}

/* What becomes of a delivery after an attempt or a look-up. */
struct outcome {
	const char *state;
	bool counted;	   /* the attempt counts toward max_attempts */
	int64_t next_ms;
	const char *error; /* NULL: none */
};

static int64_t backoff(const struct kc_audit_config *cfg, int attempts)
{
	/* backoff_min * 2^(attempts-1), capped */
	int64_t b = cfg->backoff_min_ms;

	for (int i = 1; i < attempts && b < cfg->backoff_max_ms; i++)
		b *= 2;
	return b < cfg->backoff_max_ms ? b : cfg->backoff_max_ms;
}

/* What an attempt or a look-up came to, to be written with the others of
 * its round in one transaction. */
struct rec {
	int64_t id, now, next_ms, sent_ms;
	int attempts;
	bool delivered, sent_before; /* sent_before: sent_ms is the first send's */
	char *out_id;
	const char *state; /* a string constant */
	struct kc_send_result res;
	char error[256];
	bool has_error;
};

/* Writes one record (inside the caller's transaction). */
static int rec_write(struct kc_notifier *n, const struct rec *r)
{
	const struct kc_send_result *res = &r->res;
	sqlite3_stmt *st = kc_db_stmt(n->db, "INSERT INTO attempts (delivery_id, at_ms, http_status, error, answer,"
					     " gateway_id) VALUES (?,?,?,?,?,?)");

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, r->now);
	if (res->http_status)
		sqlite3_bind_int64(st, 3, res->http_status);
	else
		sqlite3_bind_null(st, 3);
	kc_bind_text(st, 4, res->why[0] ? res->why : NULL);
	kc_bind_text(st, 5, res->answer[0] ? res->answer : NULL);
	kc_bind_text(st, 6, res->gateway_id[0] ? res->gateway_id : NULL);
	if (sqlite3_step(st) != SQLITE_DONE)
		return -EIO;
	st = kc_db_stmt(n->db,
		"UPDATE deliveries SET attempts = ?, state = ?, next_ms = ?, last_error = ?,"
		" delivered_ms = coalesce(?, delivered_ms), out_id = ?, gateway_id = coalesce(?, gateway_id),"
		" sent_ms = coalesce(sent_ms, ?) WHERE id = ?");
	if (!st)
		return -EIO;
	sqlite3_bind_int(st, 1, r->attempts);
	kc_bind_text(st, 2, r->state);
	sqlite3_bind_int64(st, 3, r->next_ms);
	kc_bind_text(st, 4, r->has_error ? r->error : NULL);
	if (r->delivered)
		sqlite3_bind_int64(st, 5, r->now);
	else
		sqlite3_bind_null(st, 5);
	kc_bind_text(st, 6, r->out_id);
	kc_bind_text(st, 7, res->gateway_id[0] ? res->gateway_id : NULL);
	if (r->sent_before || strcmp(r->state, "pending") != 0)
		sqlite3_bind_int64(st, 8, r->sent_ms ? r->sent_ms : r->now);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_int64(st, 9, r->id);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
}

/* Writes the round's records in one transaction (one commit, one fsync,
 * one turn of the writers' lock for a round, not one a message). */
static int flush(struct kc_notifier *n)
{
	int r = 0;

	if (!n->nrecs)
		return 0;
	kc_db_write_lock();
	if (kc_db_begin(n->db) < 0) {
		r = -EIO;
	} else {
		for (int i = 0; i < n->nrecs && r == 0; i++)
			r = rec_write(n, &n->recs[i]);
		if (r == 0 && kc_db_commit(n->db) < 0)
			r = -EIO;
		if (r < 0)
			kc_db_rollback(n->db);
	}
	kc_db_write_unlock();
	for (int i = 0; i < n->nrecs; i++)
		free(n->recs[i].out_id);
	n->nrecs = 0;
	return r;
}

/* Keeps the attempt's record for the round's transaction. */
static int record(struct kc_notifier *n, const struct delivery *d, const struct kc_send_result *res,
		  const struct outcome *o, int attempts, int64_t now)
{
	struct rec *r = &n->recs[n->nrecs];

	memset(r, 0, sizeof(*r));
	r->id = d->id;
	r->now = now;
	r->next_ms = o->next_ms;
	r->sent_ms = d->sent_ms;
	r->attempts = attempts;
	r->state = o->state;
	r->delivered = strcmp(o->state, "delivered") == 0;
	r->sent_before = strcmp(d->state, "pending") != 0;
	r->res = *res;
	r->has_error = o->error != NULL;
	snprintf(r->error, sizeof(r->error), "%s", o->error ? o->error : "");
	if (d->out_id && !(r->out_id = strdup(d->out_id)))
		return -ENOMEM;
	n->nrecs++;
	return 0;
}

/* The next time the channel may send, or 0 when it may now. */
static int64_t pace_wait(const struct kc_channel_conf *ch, const struct pace *p, int64_t now)
{
	int64_t oldest;

	if (p->hold_until > now)
		return p->hold_until;
	if (!ch || ch->per_minute <= 0 || p->n < ch->per_minute)
		return 0;
	oldest = p->at[p->head]; /* the ring is full: head is the oldest */
	return oldest + 60000 > now ? oldest + 60000 : 0;
}

static void pace_note(const struct kc_channel_conf *ch, struct pace *p, int64_t now)
{
	if (!ch || ch->per_minute <= 0 || !p->at)
		return;
	p->at[p->head] = now;
	p->head = (p->head + 1) % ch->per_minute;
	if (p->n < ch->per_minute)
		p->n++;
}

static int defer(struct kc_notifier *n, int64_t id, int64_t at)
{
	sqlite3_stmt *st;
	int r;

	kc_db_write_lock();
	st = kc_db_stmt(n->db, "UPDATE deliveries SET next_ms = ? WHERE id = ?");
	r = -EIO;
	if (st) {
		sqlite3_bind_int64(st, 1, at);
		sqlite3_bind_int64(st, 2, id);
		r = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
		sqlite3_reset(st);
	}
	kc_db_write_unlock();
	return r;
}

/* What a send's result makes of the delivery. */
static struct outcome after_send(const struct kc_audit_config *cfg, const struct kc_channel_type *t,
				 const struct kc_send_result *res, int attempts, int64_t now)
{
	struct outcome o = { "pending", true, now + backoff(cfg, attempts), res->why };

	switch (res->outcome) {
	case KC_SEND_OK:
		o.state = res->delivered ? "delivered" : "sent";
		o.error = NULL;
		if (!res->delivered && !t->query)
			o.state = "delivered"; /* the gateway reports nothing further */
		break;
	case KC_SEND_UNCLEAR:
		if (!t->resend_unclear)
			o.state = "unclear";
		break;
	case KC_SEND_LIMIT:
		if (t->resend_unclear) {
			/* the robot's rate: paced and sent again, never dropped */
			o.counted = false;
			o.next_ms = now + 60000;
		} else {
			o.state = "failed"; /* a per-number limit: recorded, not sent again */
		}
		break;
	case KC_SEND_REFUSED:
		o.state = "failed";
		break;
	default:
		break;
	}
	if (o.counted && attempts >= cfg->max_attempts && strcmp(o.state, "pending") == 0)
		o.state = "failed";
	return o;
}

/* What a look-up's result makes of an unclear or sent delivery. */
static struct outcome after_lookup(const struct kc_audit_config *cfg, const struct kc_channel_type *t,
				   const struct delivery *d, const struct kc_send_result *res, int attempts,
				   int64_t now)
{
	bool unclear = strcmp(d->state, "unclear") == 0;
	struct outcome o = { d->state, true, now + backoff(cfg, attempts), d->state[0] == 'u' ? res->why : NULL };

	switch (res->outcome) {
	case KC_SEND_OK:
		o.state = res->delivered ? "delivered" : "sent";
		o.error = NULL;
		break;
	case KC_SEND_PENDING:
		o.state = "sent";
		o.error = NULL;
		break;
	case KC_SEND_REFUSED:
		o.state = "failed";
		o.error = res->why;
		break;
	case KC_SEND_NOT_FOUND:
		if (unclear && t->lookup_lists_sent) {
			o.state = "pending"; /* the gateway never took it: send it */
			o.next_ms = now;
			o.error = "not taken by the gateway: sent again";
		}
		break;
	default:
		break;
	}
	if (attempts >= cfg->max_attempts && strcmp(o.state, "unclear") == 0) {
		o.state = "failed";
		o.error = "no clear answer from the gateway; not sent again";
	} else if (attempts >= cfg->max_attempts && strcmp(o.state, "sent") == 0) {
		o.next_ms = INT64_MAX; /* no receipt: asked enough */
	}
	return o;
}

/* The channel a delivery goes through: a [channel NAME], or a [notify]
 * webhook as a webhook channel of its own in tmp. */
static const struct kc_channel_conf *delivery_channel(struct kc_notifier *n, const struct delivery *d,
						      struct kc_channel_conf *tmp, int *index)
{
	*index = -1;
	if (!d->channel) {
		memset(tmp, 0, sizeof(*tmp));
		tmp->kind = KC_CHANNEL_WEBHOOK;
		tmp->url = d->webhook;
		return tmp;
	}
	for (int i = 0; i < n->cfg->nchannels; i++)
		if (strcmp(n->cfg->channels[i].name, d->channel) == 0) {
			*index = i;
			return &n->cfg->channels[i];
		}
	return NULL;
}

/* The recipient's number, opened from the notice's phone_sealed into
 * phone. 0, or -ENOKEY (no key opens it, or the notice has none). */
static int open_phone(struct kc_notifier *n, const struct delivery *d, char *phone, size_t len)
{
	json_t *p = json_loads(d->payload, 0, NULL);
	const char *sealed = json_string_value(json_object_get(json_object_get(p, "fields"), "phone_sealed"));
	int r = kc_notice_keys_open(n->keys, sealed, phone, len);

	json_decref(p);
	return r < 0 ? -ENOKEY : 0;
}

/* Sends, or looks up, one delivery; records what came of it. */
static int attempt(struct kc_notifier *n, struct delivery *d)
{
	const struct kc_audit_config *cfg = n->cfg;
	struct kc_channel_conf tmp;
	struct kc_send_result res = { 0 };
	struct outcome o;
	char phone[64] = "", out_id[48];
	const struct kc_channel_type *t;
	const struct kc_channel_conf *ch;
	json_t *params = NULL;
	int64_t now = kc_wall_ms(), wait;
	bool person = d->target && strcmp(d->target, "person") == 0;
	bool lookup = strcmp(d->state, "pending") != 0;
	int idx, r, attempts = d->attempts;

	ch = delivery_channel(n, d, &tmp, &idx);
	if (!ch) {
		o = (struct outcome){ "failed", true, now, "the channel is no longer in the configuration" };
		snprintf(res.why, sizeof(res.why), "%s", o.error);
		return record(n, d, &res, &o, attempts + 1, now);
	}
	t = kc_channel_type(ch->kind);
	if (!lookup && idx >= 0 && (wait = pace_wait(ch, &n->pace[idx], now)) > 0)
		return defer(n, d->id, wait);
	if (person && open_phone(n, d, phone, sizeof(phone)) < 0 && t->needs_template) {
		o = (struct outcome){ "failed", true, now, "the phone number does not open with the notice keys" };
		snprintf(res.why, sizeof(res.why), "%s", o.error);
		return record(n, d, &res, &o, attempts + 1, now);
	}
	if (!d->out_id) {
		unsigned char rnd[6];
		char hex[13];

		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
		snprintf(out_id, sizeof(out_id), "kc-%lld-%s", (long long)d->id, hex);
		d->out_id = strdup(out_id);
		if (!d->out_id)
			return -ENOMEM;
	}
	params = d->params ? json_loads(d->params, 0, NULL) : json_array();
	{
		struct kc_send_msg m = {
			.ch = ch,
			.payload = d->payload,
			.text_zh = d->text_zh,
			.text_en = d->text_en,
			.phone = phone[0] ? phone : NULL,
			.email = person ? NULL : d->target,
			.template_id = d->template_id,
			.params = params,
			.out_id = d->out_id,
			.gateway_id = d->gateway_id,
			.sent_ms = d->sent_ms,
			.now_ms = now,
			.timeout_ms = cfg->webhook_timeout_ms,
			.stop = &n->stop,
		};

		r = lookup ? (t->query ? t->query(n->curl, &m, &res) : 0) : t->send(n->curl, &m, &res);
		if (lookup && !t->query)
			res.outcome = KC_SEND_NOT_FOUND;
	}
	sodium_memzero(phone, sizeof(phone));
	json_decref(params);
	if (r < 0)
		return -ENOMEM;
	if (res.outcome == KC_SEND_STOPPED)
		return 0; /* stopping: not an attempt; it is made again after the restart */
	now = kc_wall_ms();
	/* counted from the answer: the robot counts from its arrival, earlier */
	if (!lookup && idx >= 0)
		pace_note(ch, &n->pace[idx], now);
	/* over the receiver's rate: the whole channel waits, not this message alone */
	if (!lookup && idx >= 0 && res.outcome == KC_SEND_LIMIT && t->resend_unclear)
		n->pace[idx].hold_until = now + 60000;
	o = lookup ? after_lookup(cfg, t, d, &res, attempts + 1, now) : after_send(cfg, t, &res, attempts + 1, now);
	return record(n, d, &res, &o, o.counted ? attempts + 1 : attempts, now);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return v ? strdup((const char *)v) : NULL;
}

/* The deliveries due (to send, or to look up), up to ROUND of them, in
 * d; or the time to wait for the next in *wait_ms. Returns how many, or
 * -EIO, -ENOMEM. */
static int next_due(struct kc_notifier *n, struct delivery *d, int *wait_ms)
{
	sqlite3_stmt *st = kc_db_stmt(n->db,
		"SELECT d.id, d.attempts, d.webhook, d.channel, d.target, d.template, d.params, d.state, d.out_id,"
		" d.gateway_id, d.sent_ms, n.payload, n.text_zh, n.text_en, d.next_ms FROM deliveries d"
		" JOIN notices n ON n.id = d.notice_id"
		" WHERE d.state IN ('pending', 'unclear', 'sent') ORDER BY d.next_ms, d.id LIMIT ?");
	int64_t now = kc_wall_ms(), at;
	int rc, k = 0;

	if (!st)
		return -EIO;
	*wait_ms = 60000;
	sqlite3_bind_int(st, 1, ROUND);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct delivery *e = &d[k];
		char **f[] = { &e->webhook, &e->channel, &e->target, &e->template_id, &e->params,
			       &e->state, &e->out_id, &e->gateway_id };

		at = sqlite3_column_int64(st, 14);
		if (at > now) {
			*wait_ms = at - now < 60000 ? (int)(at - now) : 60000;
			break;
		}
		e->id = sqlite3_column_int64(st, 0);
		e->attempts = sqlite3_column_int(st, 1);
		for (size_t i = 0; i < KC_ARRAY_SIZE(f); i++)
			*f[i] = col_dup(st, 2 + (int)i);
		e->sent_ms = sqlite3_column_int64(st, 10);
		e->payload = col_dup(st, 11);
		e->text_zh = col_dup(st, 12);
		e->text_en = col_dup(st, 13);
		k++;
		if (!e->webhook || !e->state || !e->payload || !e->text_zh || !e->text_en) {
			k = -ENOMEM;
			break;
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		k = -EIO;
	sqlite3_reset(st);
	return k;
}

/* Whether a delivery's record is written at once, before anything else is
 * sent: a gateway whose send is not to be repeated (SMS). */
static bool record_now(struct kc_notifier *n, const struct delivery *d)
{
	for (int i = 0; d->channel && i < n->cfg->nchannels; i++)
		if (strcmp(n->cfg->channels[i].name, d->channel) == 0)
			return !kc_channel_type(n->cfg->channels[i].kind)->resend_unclear;
	return false;
}

/* A round: the deliveries due, each sent or looked up, their records
 * written together (an SMS's at once). */
static void *notifier_main(void *arg)
{
	struct kc_notifier *n = arg;

	while (!atomic_load(&n->stop)) {
		struct delivery d[ROUND];
		struct pollfd p = { .fd = n->wake_fd, .events = POLLIN };
		int wait_ms = 1000, k, r = 0;

		memset(d, 0, sizeof(d));
		k = next_due(n, d, &wait_ms);
		for (int i = 0; i < k && r == 0 && !atomic_load(&n->stop); i++) {
			r = attempt(n, &d[i]);
			if (r == 0 && record_now(n, &d[i]))
				r = flush(n);
		}
		if (flush(n) < 0)
			r = -EIO;
		for (int i = 0; i < ROUND; i++)
			delivery_free(&d[i]);
		atomic_store(&n->health, k < 0 || r < 0 ? -EIO : 0);
		if (k > 0 && r == 0)
			continue;
		if (poll(&p, 1, k < 0 || r < 0 ? 1000 : wait_ms) > 0) {
			uint64_t v;

			if (read(n->wake_fd, &v, sizeof(v)) < 0)
				continue;
		}
	}
	return NULL;
}

static void notifier_free(struct kc_notifier *n)
{
	if (n->pace)
		for (int i = 0; i < n->cfg->nchannels; i++)
			free(n->pace[i].at);
	free(n->pace);
	free(n->recs);
	kc_notice_keys_free(n->keys);
	if (n->curl)
		curl_easy_cleanup(n->curl);
	if (n->db)
		kc_db_free(n->db);
	if (n->wake_fd >= 0)
		close(n->wake_fd);
	free(n);
}

struct kc_notifier *kc_notifier_start(const struct kc_audit_config *cfg, char *err, size_t errlen)
{
	struct kc_notifier *n = calloc(1, sizeof(*n));

	if (!n) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n->cfg = cfg;
	n->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->wake_fd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		goto fail;
	}
	n->pace = calloc((size_t)cfg->nchannels + 1, sizeof(*n->pace));
	for (int i = 0; n->pace && i < cfg->nchannels; i++)
		if (cfg->channels[i].per_minute > 0 &&
		    !(n->pace[i].at = calloc((size_t)cfg->channels[i].per_minute, sizeof(int64_t))))
			break;
	n->recs = calloc(ROUND, sizeof(*n->recs));
	if (!n->pace || !n->recs) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (cfg->notice_key_file) {
		n->keys = kc_notice_keys_load(cfg->notice_key_file, err, errlen);
		if (!n->keys)
			goto fail;
	}
	n->db = kc_db_open(cfg->db_path, 0, err, errlen);
	if (!n->db)
		goto fail;
	n->curl = curl_easy_init();
	if (!n->curl) {
		snprintf(err, errlen, "curl_easy_init failed");
		goto fail;
	}
	if (pthread_create(&n->thread, NULL, notifier_main, n) != 0) {
		snprintf(err, errlen, "cannot start the notifier thread");
		goto fail;
	}
	return n;
fail:
	notifier_free(n);
	return NULL;
}

void kc_notifier_wake(struct kc_notifier *n)
{
	uint64_t one = 1;

	if (n && write(n->wake_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: a wake-up is pending anyway */
	}
}

void kc_notifier_stop(struct kc_notifier *n)
{
	if (!n)
		return;
	atomic_store(&n->stop, true);
	kc_notifier_wake(n);
	pthread_join(n->thread, NULL);
	notifier_free(n);
}

int kc_notifier_health(struct kc_notifier *n)
{
	return n ? atomic_load(&n->health) : 0;
}
