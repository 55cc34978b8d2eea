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

/* An e-mail address as the pages may show it: m***@example.com. */
static void mask_email(const char *a, char *out, size_t len)
{
	const char *at = strchr(a, '@');

	snprintf(out, len, "%.1s***%s", a, at ? at : "");
}

/* The template's parameters: [[name, value], ...] from the fields named
 * in names (space-separated), as the notice's Chinese text shows them. */
static char *sms_params(const char *names, const json_t *zh_fields)
{
	json_t *a = json_array();
	char *out = NULL;

	for (const char *f = names ? names : ""; a && *f;) {
		size_t w;
		char name[64];

		f += strspn(f, " \t");
		w = strcspn(f, " \t");
		if (!w)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)w, f);
		json_array_append_new(a, json_pack("[s,s]", name,
						   json_string_value(json_object_get(zh_fields, name)) ?: "-"));
		f += w;
	}
	if (a)
		out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return out;
}

/* The channel of a rule's target for a notice: its own, or for the
 * target department the notice's department's group ([departments]), else
 * the target's fallback. -1: nowhere. */
static int target_channel(const struct kc_audit_config *cfg, const struct kc_route_target *t, const json_t *fields)
{
	const char *dept = json_string_value(json_object_get(fields, "department"));

	if (t->channel >= 0)
		return t->channel;
	for (int i = 0; dept && i < cfg->ndepartments; i++)
		if (strcmp(cfg->departments[i].name, dept) == 0)
			return cfg->departments[i].channel;
	return t->fallback;
}

/* A department target with no group for the notice's department and no
 * fallback: a delivery failed at once that says so (st: add_deliveries'). */
static int no_group(sqlite3_stmt *st, int64_t id, const json_t *fields, int64_t now_ms)
{
	const char *dept = json_string_value(json_object_get(fields, "department"));
	char why[192];

	if (dept && strcmp(dept, "-") != 0)
		snprintf(why, sizeof(why), "no group for the department %s ([departments])", dept);
	else
		snprintf(why, sizeof(why), "the person has no department");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_int64(st, 1, id);
	kc_bind_text(st, 2, "-");
	sqlite3_bind_int64(st, 3, now_ms);
	kc_bind_text(st, 4, "department");
	kc_bind_text(st, 5, "-");
	kc_bind_text(st, 9, "failed");
	kc_bind_text(st, 10, why);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
}

/* The deliveries of notice id: one per [notify] webhook, one per target
 * of each [route] rule naming its kind. */
static int add_deliveries(struct kc_db *db, const struct kc_audit_config *cfg, enum kc_notice_kind kind,
			  int64_t id, const json_t *fields, const json_t *zh_fields, int64_t now_ms)
{
	sqlite3_stmt *st = kc_db_stmt(db,
		"INSERT INTO deliveries (notice_id, webhook, next_ms, channel, recipient, target, template, params,"
		" state, last_error) VALUES (?,?,?,?,?,?,?,?,?,?)");
	const char *masked = json_string_value(json_object_get(fields, "phone_masked"));
	const char *sealed = json_string_value(json_object_get(fields, "phone_sealed"));
	bool has_phone = sealed && strcmp(sealed, "-") != 0;
	int r = 0;

	if (!st)
		return -EIO;
	for (int w = 0; w < cfg->nwebhooks && r == 0; w++) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		sqlite3_bind_int64(st, 1, id);
		kc_bind_text(st, 2, cfg->webhooks[w]);
		sqlite3_bind_int64(st, 3, now_ms);
		kc_bind_text(st, 9, "pending");
		r = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	}
	for (int i = 0; i < cfg->nroutes && r == 0; i++) {
		const struct kc_route *rt = &cfg->routes[i];
		const char *site = json_string_value(json_object_get(fields, "site"));

		if (strcmp(rt->kind, kc_notice_kind_name(kind)) != 0 ||
		    (rt->site && (!site || strcmp(rt->site, site) != 0)))
			continue;
		for (int t = 0; t < rt->ntargets && r == 0; t++) {
			int c = target_channel(cfg, &rt->targets[t], fields);
			const struct kc_channel_conf *ch;
			const char *rcpt = rt->targets[t].recipient;
			bool person = rcpt && strcmp(rcpt, "person") == 0;
			bool sms;
			char who[128] = "-", *params = NULL;

			if (c < 0) {
				r = no_group(st, id, fields, now_ms);
				continue;
			}
			ch = &cfg->channels[c];
			sms = kc_channel_type(ch->kind)->needs_template;

			if (person)
				snprintf(who, sizeof(who), "%s", has_phone && masked ? masked : "-");
			else if (rcpt)
				mask_email(rcpt, who, sizeof(who));
			if (sms) {
				params = sms_params(ch->tmpl_params[kind], zh_fields);
				if (!params) {
					r = -ENOMEM;
					break;
				}
			}
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			sqlite3_bind_int64(st, 1, id);
			kc_bind_text(st, 2, ch->url);
			sqlite3_bind_int64(st, 3, now_ms);
			kc_bind_text(st, 4, ch->name);
			kc_bind_text(st, 5, who);
			kc_bind_text(st, 6, rcpt);
			kc_bind_text(st, 7, sms ? ch->tmpl_id[kind] : NULL);
			kc_bind_text(st, 8, params);
			/* an SMS with no number to send to is failed at once, and says so */
			kc_bind_text(st, 9, sms && !has_phone ? "failed" : "pending");
			kc_bind_text(st, 10, sms && !has_phone ? "the notice carries no phone number" : NULL);
			r = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
			free(params);
		}
	}
	sqlite3_reset(st);
	return r;
}

int kc_notice_add(struct kc_db *db, const struct kc_audit_config *cfg, enum kc_notice_kind kind,
		  const char *cabinet, int64_t seq, const char *type, const json_t *fields,
		  int64_t now_ms)
{
	char *zh = NULL, *en = NULL, *payload = NULL, err[128];
	json_t *zh_fields = kc_notice_words(fields, KC_LANG_ZH), *en_fields = kc_notice_words(fields, KC_LANG_EN);
	sqlite3_stmt *st;
	int64_t id;
	json_t *body;
	int r = -ENOMEM;

	if (!zh_fields || !en_fields)
		goto out;
	r = kc_template_render(cfg->tmpl_zh[kind], zh_fields, &zh, err, sizeof(err));
	if (r < 0)
		goto out;
	r = kc_template_render(cfg->tmpl_en[kind], en_fields, &en, err, sizeof(err));
	if (r < 0)
		goto out;
	body = json_pack("{s:s, s:s, s:I, s:s, s:O, s:s, s:s, s:s, s:O?, s:O?, s:O?}", "notice",
			 kc_notice_kind_name(kind), "cabinet", cabinet, "seq", (json_int_t)seq, "type", type,
			 "fields", fields, "text_zh", zh, "text_en", en, "recipient", kc_notice_recipient(kind),
			 "event_time", json_object_get(fields, "event_time"), "site", json_object_get(fields, "site_code"),
			 "site_name", json_object_get(fields, "site"));
	if (!body) {
		r = -ENOMEM;
		goto out;
	}
	payload = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(body);
	if (!payload) {
		r = -ENOMEM;
		goto out;
	}
	st = kc_db_stmt(db,
		"INSERT OR IGNORE INTO notices (cabinet, seq, type, notice, entrustment, stage, key, unit,"
		" site, person, created_ms, payload, text_zh, text_en) VALUES"
		" (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!st) {
		r = -EIO;
		goto out;
	}
	kc_bind_text(st, 1, cabinet);
	sqlite3_bind_int64(st, 2, seq);
	kc_bind_text(st, 3, type);
	{
		static const char *m[] = { "notice", "entrustment", "stage", "key", "unit_code", "site_code",
					   "person_code" };

		for (size_t i = 0; i < KC_ARRAY_SIZE(m); i++) {
			const json_t *v = json_object_get(fields, m[i]);
			long long n;

			if (i < 2 && json_is_string(v) && kc_parse_long(json_string_value(v), 0, INT64_MAX, &n) == 0)
				sqlite3_bind_int64(st, 4 + (int)i, n);
			else if (i >= 2 && json_is_string(v) && strcmp(json_string_value(v), "-") != 0)
				kc_bind_text(st, 4 + (int)i, json_string_value(v));
			else
				sqlite3_bind_null(st, 4 + (int)i);
		}
	}
	sqlite3_bind_int64(st, 11, now_ms);
	kc_bind_text(st, 12, payload);
	kc_bind_text(st, 13, zh);
	kc_bind_text(st, 14, en);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_reset(st);
	if (r < 0 || sqlite3_changes(db->h) == 0)
		goto out;
	id = sqlite3_last_insert_rowid(db->h);
	r = add_deliveries(db, cfg, kind, id, fields, zh_fields, now_ms);
	if (r < 0)
		goto out;
	r = 1;
out:
	json_decref(zh_fields);
	json_decref(en_fields);
	free(zh);
	free(en);
	free(payload);
	return r;
}

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
