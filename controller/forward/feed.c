/* The office's change feed to keycabd (feed.h): one thread, its own curl
 * handle and its own connection to keycabd. */
#include "controller/forward/feed.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>

#include "common/log.h"
#include "common/util.h"
#include "controller/forward.h"

#define WAIT_DEFAULT_S 25
/* a held poll's answer is late this long past its wait: the office is gone */
#define POLL_SLACK_MS 15000
/* 100 changes, each up to a settings.set with its phrases */
#define ANSWER_MAX ((size_t)16 << 20)

enum feed_state { FEED_STARTING, FEED_RUNNING, FEED_OFFLINE, FEED_ERROR, FEED_STANDALONE };
static const char *const state_names[] = { "starting", "running", "offline", "error", "standalone" };

struct kc_feed_link {
	pthread_t thread;
	pthread_mutex_t lock; /* guards the status and the condition */
	pthread_cond_t cond;  /* stopping */
	atomic_bool stopping;
	struct kc_fwd_port *port;
	CURL *curl;
	char *url_base, *auth, *ca_file;
	int backoff_min_ms, backoff_max_ms, wait_s;
	unsigned rnd;
	int64_t position; /* the thread's; -1 unknown */
	enum feed_state state_seen; /* the thread's copy of state */
	bool quick; /* the next poll is not held: the office's newest change learnt at once */
	/* the status */
	enum feed_state state;
	int64_t shown_position, last_change, since_ms;
	long applied, refused, duplicates;
	char last_error[256];
};

/* The status: a state (its time kept while it stays), and why. */
static void set_state(struct kc_feed_link *f, enum feed_state s, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_state(struct kc_feed_link *f, enum feed_state s, const char *fmt, ...)
{
	va_list ap;

	f->state_seen = s;
	pthread_mutex_lock(&f->lock);
	if (f->state != s)
		f->since_ms = kc_wall_ms();
	f->state = s;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(f->last_error, sizeof(f->last_error), fmt, ap);
		va_end(ap);
	}
	f->shown_position = f->position;
	pthread_mutex_unlock(&f->lock);
}

json_t *kc_feed_link_status(struct kc_feed_link *f)
{
	json_t *j;

	if (!f)
		return json_null();
	pthread_mutex_lock(&f->lock);
	j = json_pack("{s:s, s:I, s:I, s:i, s:i, s:i, s:s, s:I}", "state", state_names[f->state], "position",
		      (json_int_t)f->shown_position, "last_change", (json_int_t)f->last_change, "applied",
		      (int)f->applied, "refused", (int)f->refused, "duplicates", (int)f->duplicates, "last_error",
		      f->last_error, "since_ms", (json_int_t)f->since_ms);
	pthread_mutex_unlock(&f->lock);
	return j;
}

/* Sleeps ms unless stopping. */
static void pause_ms(struct kc_feed_link *f, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&f->lock);
	while (!atomic_load(&f->stopping))
		if (pthread_cond_timedwait(&f->cond, &f->lock, &ts) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&f->lock);
}

/* backoff_min * 2^failures, capped, with +-25 % jitter (the outbox's
 * forwarder backs off the same way) */
static int backoff_ms(struct kc_feed_link *f, int failures)
{
	int64_t b = f->backoff_min_ms;
	int jitter;

	for (int i = 0; i < failures && b < f->backoff_max_ms; i++)
		b *= 2;
	if (b > f->backoff_max_ms)
		b = f->backoff_max_ms;
	jitter = (int)(b / 4);
	if (jitter > 0)
		b += (int64_t)(rand_r(&f->rnd) % (2 * jitter + 1)) - jitter;
	return (int)b;
}

/* ---- keycabd: estate.position, estate.apply ---- */

/* A failed reply's code and sentence. */
static const char *reply_code(const json_t *rep)
{
	const char *c = json_string_value(json_object_get(rep, "code"));

	return c ? c : "";
}

static const char *reply_error(const json_t *rep)
{
	const char *e = json_string_value(json_object_get(rep, "error"));

	return e ? e : json_string_value(json_object_get(rep, "reason")) ?: "refused";
}

/* estate.position: 0 (f->position set), -EPERM (standalone), -EIO. */
static int feed_position(struct kc_feed_link *f)
{
	json_t *rep = NULL;
	json_int_t pos;
	int r = 0;

	if (kc_fwd_port_request(f->port, json_pack("{s:s}", "op", "estate.position"), &rep) < 0) {
		set_state(f, FEED_ERROR, "keycabd: %s", f->port->err);
		return -EIO;
	}
	if (json_is_true(json_object_get(rep, "ok")) && json_unpack(rep, "{s:I}", "position", &pos) == 0 && pos >= 0) {
		f->position = pos;
		f->quick = true;
	}
	else if (strcmp(reply_code(rep), "estate_standalone") == 0 || strcmp(reply_code(rep), "op_unknown") == 0)
		r = -EPERM; /* a keycabd without the estate's ops is standalone too */
	else {
		set_state(f, FEED_ERROR, "keycabd estate.position: %s", reply_error(rep));
		r = -EIO;
	}
	json_decref(rep);
	return r;
}

/* One change through estate.apply: 0 (applied, a duplicate or refused:
 * f->position moved), -EPERM (standalone), -EAGAIN (an error: nothing
 * written; ask the position again). */
static int feed_apply(struct kc_feed_link *f, const json_t *change)
{
	json_t *req = json_deep_copy(change), *rep = NULL;
	json_int_t n = json_integer_value(json_object_get(change, "change")), pos;
	int r = 0;

	if (!req || json_object_set_new(req, "op", json_string("estate.apply")) < 0) {
		json_decref(req);
		set_state(f, FEED_ERROR, "out of memory");
		return -EAGAIN;
	}
	if (kc_fwd_port_request(f->port, req, &rep) < 0) {
		set_state(f, FEED_ERROR, "keycabd: %s", f->port->err);
		return -EAGAIN;
	}
	if (json_unpack(rep, "{s:I}", "position", &pos) < 0)
		pos = -1;
	if (json_is_true(json_object_get(rep, "ok")) && pos >= n) {
		bool dup = json_is_true(json_object_get(rep, "duplicate"));

		pthread_mutex_lock(&f->lock);
		*(dup ? &f->duplicates : &f->applied) += 1;
		pthread_mutex_unlock(&f->lock);
		f->position = pos;
	} else if (json_is_true(json_object_get(rep, "refused")) && pos >= n) {
		kc_notice("change %lld (%s) refused by keycabd: %s", (long long)n,
			  json_string_value(json_object_get(change, "type")) ?: "?", reply_error(rep));
		pthread_mutex_lock(&f->lock);
		f->refused++;
		pthread_mutex_unlock(&f->lock);
		f->position = pos;
	} else if (strcmp(reply_code(rep), "estate_standalone") == 0) {
		r = -EPERM;
	} else {
		set_state(f, FEED_ERROR, "keycabd estate.apply of change %lld: %s", (long long)n, reply_error(rep));
		r = -EAGAIN;
	}
	json_decref(rep);
	return r;
}

/* ---- the office: GET /api/v1/feed ---- */

/* Cuts a poll short when stopping; a poll the office took (its request
 * sent: held there) is the link running again. */
static int on_progress(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct kc_feed_link *f = user;
	curl_off_t sent = 0;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	if (f->state_seen != FEED_RUNNING && curl_easy_getinfo(f->curl, CURLINFO_PRETRANSFER_TIME_T, &sent) == CURLE_OK &&
	    sent > 0)
		set_state(f, FEED_RUNNING, "%s", "");
	return atomic_load(&f->stopping) ? 1 : 0;
}

/* One poll: *status and *answer (NULL when no JSON), or -EIO (offline,
 * the status says why). */
static int feed_get(struct kc_feed_link *f, long *status, json_t **answer)
{
	struct curl_slist *hdrs = curl_slist_append(NULL, f->auth);
	struct kc_forward_answer a = { NULL, 0, ANSWER_MAX };
	char url[2048], errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc;

	snprintf(url, sizeof(url), "%s/api/v1/feed?after=%lld&wait=%d", f->url_base, (long long)f->position,
		 f->quick ? 0 : f->wait_s);
	f->quick = false;
	curl_easy_setopt(f->curl, CURLOPT_URL, url);
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(f->curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, (long)f->wait_s * 1000L + POLL_SLACK_MS);
	cc = curl_easy_perform(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	if (cc != CURLE_OK) {
		free(a.p);
		if (!atomic_load(&f->stopping))
			set_state(f, FEED_OFFLINE, "GET %s/api/v1/feed: %s", f->url_base,
				  errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return -EIO;
	}
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, status);
	*answer = a.p ? json_loads(a.p, 0, NULL) : NULL;
	free(a.p);
	return 0;
}

/* A poll and the changes it brought applied in order: 1 (some came), 0
 * (none), -EPERM (standalone), -EAGAIN (ask the position again), -EIO
 * (the office out of reach or refusing). */
static int feed_once(struct kc_feed_link *f)
{
	json_t *answer = NULL, *changes, *c;
	long status = 0;
	size_t i;
	int r = 0;

	if (feed_get(f, &status, &answer) < 0)
		return -EIO;
	changes = json_object_get(answer, "changes");
	if (status == 409 && strcmp(json_string_value(json_object_get(answer, "error")) ?: "", "cabinet_standalone") == 0)
		r = -EPERM;
	else if (status != 200 || !json_is_array(changes)) {
		set_state(f, status >= 500 || status == 0 ? FEED_OFFLINE : FEED_ERROR, "GET %s/api/v1/feed: %ld %s",
			  f->url_base, status, json_string_value(json_object_get(answer, "message")) ?: "");
		r = -EIO;
	}
	if (r == 0) {
		json_int_t last = json_integer_value(json_object_get(answer, "last"));

		pthread_mutex_lock(&f->lock);
		f->last_change = last;
		pthread_mutex_unlock(&f->lock);
		if (json_array_size(changes) == 0)
			set_state(f, FEED_RUNNING, "%s", "");
	}
	json_array_foreach(changes, i, c) {
		if (r < 0 || atomic_load(&f->stopping))
			break;
		if (json_integer_value(json_object_get(c, "change")) <= f->position)
			continue; /* applied already */
		r = feed_apply(f, c);
		if (r == 0)
			set_state(f, FEED_RUNNING, "%s", "");
	}
	if (r == 0 && json_array_size(changes))
		r = 1;
	json_decref(answer);
	return r;
}

static void *feed_main(void *arg)
{
	struct kc_feed_link *f = arg;
	bool known = false;
	int failures = 0;

	while (!atomic_load(&f->stopping)) {
		int r = known ? 0 : feed_position(f);

		if (r == 0) {
			known = true;
			r = feed_once(f);
		}
		if (r == -EPERM) {
			set_state(f, FEED_STANDALONE, "%s", "");
			kc_notice("the estate feed is off: this cabinet is standalone (%s)",
				  known ? "the office or keycabd says so" : "keycabd says so");
			break;
		}
		if (r >= 0) {
			failures = 0;
			continue;
		}
		if (atomic_load(&f->stopping))
			break;
		if (r == -EAGAIN)
			known = false;
		if (failures == 0) {
			pthread_mutex_lock(&f->lock);
			kc_warn("the estate feed: %s; trying again with backoff", f->last_error);
			pthread_mutex_unlock(&f->lock);
		}
		pause_ms(f, backoff_ms(f, failures++));
	}
	return NULL;
}

static void link_free(struct kc_feed_link *f)
{
	if (f->curl)
		curl_easy_cleanup(f->curl);
	pthread_cond_destroy(&f->cond);
	pthread_mutex_destroy(&f->lock);
	free(f->url_base);
	free(f->ca_file);
	if (f->auth)
		explicit_bzero(f->auth, strlen(f->auth));
	free(f->auth);
	free(f);
}

struct kc_feed_link *kc_feed_link_start(struct kc_fwd_port *port, const struct kc_feed_link_config *cfg, char *err,
					size_t errlen)
{
	struct kc_feed_link *f = calloc(1, sizeof(*f));
	pthread_condattr_t ca;
	size_t n;
	int r;

	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&f->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cond, &ca);
	pthread_condattr_destroy(&ca);
	f->port = port;
	f->position = f->shown_position = f->last_change = -1;
	f->since_ms = kc_wall_ms();
	f->rnd = (unsigned)kc_mono_ms();
	f->backoff_min_ms = cfg->backoff_min_ms > 0 ? cfg->backoff_min_ms : 500;
	f->backoff_max_ms = cfg->backoff_max_ms >= f->backoff_min_ms ? cfg->backoff_max_ms : 60000;
	f->wait_s = cfg->wait_s > 0 ? cfg->wait_s : WAIT_DEFAULT_S;
	n = strlen(cfg->url);
	while (n && cfg->url[n - 1] == '/')
		n--;
	f->url_base = strndup(cfg->url, n);
	f->ca_file = cfg->ca_file ? strdup(cfg->ca_file) : NULL;
	f->auth = malloc(strlen(cfg->token) + 32);
	f->curl = curl_easy_init();
	if (!f->url_base || (cfg->ca_file && !f->ca_file) || !f->auth || !f->curl) {
		link_free(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	sprintf(f->auth, "Authorization: Bearer %s", cfg->token);
	kc_forward_curl_options(f->curl, f->ca_file, on_progress, f);
	curl_easy_setopt(f->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	r = pthread_create(&f->thread, NULL, feed_main, f);
	if (r != 0) {
		link_free(f);
		snprintf(err, errlen, "cannot start the feed's thread: %s", strerror(r));
		return NULL;
	}
	return f;
}

void kc_feed_link_stop(struct kc_feed_link *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	atomic_store(&f->stopping, true);
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	link_free(f);
}
