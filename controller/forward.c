#include "controller/forward.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util.h"
#include "controller/outbox.h"

/* While the outbox's keeper cannot be reached, try it again this often. */
#define KEEPER_RETRY_MS 1000
/* Prune acknowledged rows past their age at least this often. */
#define PRUNE_EVERY_MS 60000

struct kc_forwarder {
	char *url;	/* <base>/api/v1/events */
	char *auth;	/* "Authorization: Bearer ..." */
	char *ca_file;
	int batch_max, backoff_min_ms, backoff_max_ms, idle_close_ms, heartbeat_ms, recheck_ms;
	int batch_cur;	/* halved on 413 (a batch over the service's body limit), reset on success */
	int64_t acked_max;	/* the highest acknowledged seq */
	int64_t resend_from;	/* > 0: the service is behind; send retained rows from here */
	int64_t last_xfer_mono, last_prune_mono;
	struct kc_outbox_port port;
	CURL *curl;	/* NULL while no connection is wanted */
	pthread_t thread;
	int kick_fd, stop_fd;
	int status_fd;	/* readable once the status has news (kc_forwarder_status_fd) */
	atomic_bool stopping;
	pthread_mutex_t lock;
	struct kc_forward_status status;
	bool news;	/* the state, or a finding of the service behind, changed: status_fd at the next set_status */
	unsigned rnd;
};

/* What one attempt came to. */
struct attempt {
	enum kc_link_state state;
	const char *reason;
	char msg[256];
	int64_t service_seq;	/* -1: no answer with a head */
};

static bool host_is_loopback(const char *h, size_t n)
{
	if ((n == 9 && strncasecmp(h, "localhost", 9) == 0) || (n == 5 && strncmp(h, "[::1]", 5) == 0))
		return true;
	if (n < 5 || strncmp(h, "127.", 4) != 0)
		return false;
	for (size_t i = 4; i < n; i++)
		if (!isdigit((unsigned char)h[i]) && h[i] != '.')
			return false;
	return true;
}

int kc_forward_url_check(const char *url, bool allow_plain_http, char *err, size_t errlen)
{
	const char *auth, *end, *at, *host;
	size_t n;

	if (strncmp(url, "https://", 8) == 0)
		return 0;
	if (strncmp(url, "http://", 7) != 0) {
		snprintf(err, errlen, "service URL \"%s\" is not https:// or http://", url);
		return -EINVAL;
	}
	if (allow_plain_http)
		return 0;
	auth = url + 7;
	end = auth + strcspn(auth, "/?#");
	at = memchr(auth, '@', (size_t)(end - auth));
	host = at ? at + 1 : auth;
	if (*host == '[')
		n = (size_t)((memchr(host, ']', (size_t)(end - host)) ? (const char *)memchr(host, ']', (size_t)(end - host)) + 1 : end) - host);
	else
		n = strcspn(host, ":/?#");
	if (host_is_loopback(host, n))
		return 0;
	snprintf(err, errlen,
		 "service URL \"%s\" is plain http:// to another machine: the token and the events would "
		 "cross the network in clear; use https:// (with ca_file) or set [forward] allow_plain_http = yes",
		 url);
	return -EINVAL;
}

size_t kc_forward_answer_add(void *data, size_t size, size_t n, void *user)
{
	struct kc_forward_answer *r = user;
	size_t add = size * n;
	char *np;

	if (r->len + add > (r->max ? r->max : (size_t)1 << 20))
		return 0; /* a service answer is small; refuse anything else */
	np = realloc(r->p, r->len + add + 1);
	if (!np)
		return 0;
	r->p = np;
	memcpy(r->p + r->len, data, add);
	r->len += add;
	r->p[r->len] = '\0';
	return add;
}

void kc_forward_curl_options(CURL *curl, const char *ca_file, curl_xferinfo_callback progress, void *user)
{
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, kc_forward_answer_add);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, user);
	if (ca_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
}

/* Records an attempt's outcome (a NULL a: only the counts); news of the
 * link (a new state, a finding of the service behind or its end) makes
 * status_fd readable. */
static void set_status(struct kc_forwarder *f, const struct attempt *a)
{
	struct kc_outbox_state os;
	bool have_counts = f->port.state(f->port.user, &os) == 0, news;
	uint64_t one = 1;

	if (have_counts && os.reopened) {
		/* the outbox's keeper restarted: what it holds is read again */
		f->acked_max = os.acked_max;
		f->resend_from = 0;
	}
	pthread_mutex_lock(&f->lock);
	if (have_counts) {
		f->status.pending = os.pending;
		f->status.retained = os.retained;
	}
	f->status.last_acked_seq = f->acked_max;
	if (a) {
		if (a->state != f->status.state || strcmp(a->reason, f->status.reason) != 0) {
			f->status.since_ms = kc_wall_ms();
			f->news = true;
		}
		f->status.state = a->state;
		kc_strlcpy(f->status.reason, a->reason, sizeof(f->status.reason));
		if (a->service_seq >= 0)
			f->status.service_seq = a->service_seq;
		if (a->state == KC_LINK_ONLINE) {
			f->status.consecutive_failures = 0;
			f->status.last_error[0] = '\0';
		} else {
			f->status.consecutive_failures++;
			kc_strlcpy(f->status.last_error, a->msg, sizeof(f->status.last_error));
		}
	}
	news = f->news;
	f->news = false;
	pthread_mutex_unlock(&f->lock);
	if (news && write(f->status_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: the news is pending anyway */
	}
}

static void fail_as(struct attempt *a, enum kc_link_state state, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail_as(struct attempt *a, enum kc_link_state state, const char *reason, const char *fmt, ...)
{
	va_list ap;

	a->state = state;
	a->reason = reason;
	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof(a->msg), fmt, ap);
	va_end(ap);
}

/* Marks first..upto acknowledged (rows sent again keep their first
 * acknowledgement time). */
static int mark_acked(struct kc_forwarder *f, int64_t first, int64_t upto)
{
	if (f->port.ack(f->port.user, first, upto) < 0)
		return -EIO;
	if (upto > f->acked_max)
		f->acked_max = upto;
	return 0;
}

/* Prunes past the retention window (the port's: a count and an age). */
static int prune(struct kc_forwarder *f)
{
	f->last_prune_mono = kc_mono_ms();
	return f->port.ack(f->port.user, 0, 0);
}

/* Aborts a transfer in flight when the forwarder is stopping. */
static int on_progress(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct kc_forwarder *f = user;

	(void)dt;
	(void)dn;
	(void)ut;
	(void)un;
	return atomic_load(&f->stopping) ? 1 : 0;
}

static int curl_setup(struct kc_forwarder *f)
{
	f->curl = curl_easy_init();
	if (!f->curl)
		return -ENOMEM;
	curl_easy_setopt(f->curl, CURLOPT_URL, f->url);
	kc_forward_curl_options(f->curl, f->ca_file, on_progress, f);
	curl_easy_setopt(f->curl, CURLOPT_MAXAGE_CONN, (long)(f->idle_close_ms + 999) / 1000);
	return 0;
}

/* Posts body within timeout_ms (0: a batch's 60 s); *status and
 * *answer (NULL when not JSON) on a transfer that completed, -EIO with
 * the reason in a otherwise. */
static int post(struct kc_forwarder *f, const char *body, long timeout_ms, long *status, json_t **answer,
		struct attempt *a)
{
	struct curl_slist *hdrs = NULL;
	struct kc_forward_answer resp = { NULL, 0, 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc;

	if (!f->curl && curl_setup(f) < 0) {
		fail_as(a, KC_LINK_OFFLINE, "unreachable", "cannot set up a connection: out of memory");
		return -EIO;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, f->auth);
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, timeout_ms ? timeout_ms : 60000L);
	curl_easy_setopt(f->curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms && timeout_ms < 5000 ? timeout_ms : 5000L);
	curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(f->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(f->curl, CURLOPT_ERRORBUFFER, errbuf);
	cc = curl_easy_perform(f->curl);
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hdrs);
	f->last_xfer_mono = kc_mono_ms();
	if (cc != CURLE_OK) {
		fail_as(a, KC_LINK_OFFLINE, "unreachable", "POST %s: %s", f->url,
			errbuf[0] ? errbuf : curl_easy_strerror(cc));
		free(resp.p);
		return -EIO;
	}
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, status);
	*answer = resp.p ? json_loads(resp.p, 0, NULL) : NULL;
	free(resp.p);
	return 0;
}

static const char *answer_str(const json_t *answer, const char *name, const char *dflt)
{
	const char *s = json_string_value(json_object_get(answer, name));

	return s ? s : dflt;
}

/* An answer's head lies below what the service acknowledged (upto): it
 * lost events (restored from an older backup). Records the finding; returns 1
 * when the rows it lacks are kept (sent again from its head + 1 at once),
 * 0 when they are not (a filled: stuck not_retained), -EIO (a filled). */
static int service_behind(struct kc_forwarder *f, int64_t head, int64_t upto, struct attempt *a)
{
	struct kc_forward_behind b = { kc_wall_ms(), head, head + 1, upto, 0, 0 };
	struct kc_outbox_state os;
	int64_t first_kept;

	if (f->port.state(f->port.user, &os) < 0) {
		fail_as(a, KC_LINK_OFFLINE, "outbox", "reading the outbox: %s", f->port.errmsg(f->port.user));
		return -EIO;
	}
	first_kept = os.first_kept;
	if (first_kept == 0 || first_kept > b.from)
		b.lost_to = first_kept == 0 || first_kept > b.to ? b.to : first_kept - 1;
	pthread_mutex_lock(&f->lock);
	/* the same finding again (a retry while stuck) keeps its time */
	if (f->status.behind.service_seq == b.service_seq && f->status.behind.to == b.to &&
	    f->status.behind.lost_to == b.lost_to && !f->status.behind.caught_up_ms)
		b.behind_ms = f->status.behind.behind_ms;
	f->status.behind = b;
	f->status.service_behind = true;
	f->news = true;
	pthread_mutex_unlock(&f->lock);
	if (b.lost_to) {
		/* the kept rows after the lost ones go first once the office
		 * takes them (its newer backup, or a new epoch) */
		if (first_kept && first_kept <= b.to)
			f->resend_from = first_kept;
		fail_as(a, KC_LINK_STUCK, "not_retained",
			"the office is behind: the service holds events up to %lld; events %lld..%lld are no longer "
			"kept here (past the [forward] retention) and cannot be sent again",
			(long long)head, (long long)b.from, (long long)b.lost_to);
		return 0;
	}
	f->resend_from = b.from;
	a->reason = "service_behind";
	return 1;
}

/* After a batch taken: the service is no longer behind once it holds
 * every row it lacked again, or (rows no longer kept) takes the rows after
 * them, as it does once its own backup or a new epoch dealt with them. */
static void caught_up(struct kc_forwarder *f)
{
	pthread_mutex_lock(&f->lock);
	if (f->status.service_behind && f->acked_max >= f->status.behind.to) {
		f->status.service_behind = false;
		f->status.behind.caught_up_ms = kc_wall_ms();
		f->news = true;
	}
	pthread_mutex_unlock(&f->lock);
}

/* A refusal (4xx other than 408/429 and a 413 the batch can shrink
 * under): what it means for the link. Returns 1 to send at once (the
 * service is behind and the rows it lacks are kept), or 0 (a filled). */
static int refused(struct kc_forwarder *f, long status, const json_t *answer, int64_t first, struct attempt *a)
{
	const char *error = answer_str(answer, "error", ""), *text = answer_str(answer, "message", "no message");

	if (status == 409 && strcmp(error, "gap") == 0 && a->service_seq >= 0 && a->service_seq < first - 1)
		return service_behind(f, a->service_seq, first - 1 > f->acked_max ? first - 1 : f->acked_max, a) > 0;
	if (status == 409)
		fail_as(a, KC_LINK_STUCK,
			strcmp(error, "gap") == 0 ? "gap" : strcmp(error, "chain_break") == 0 ? "chain_break"
											       : "conflict",
			"HTTP 409: %s", text);
	else if (status == 413)
		fail_as(a, KC_LINK_STUCK, "too_large", "HTTP 413: event %lld alone is over the service's limit",
			(long long)first);
	else if (status == 401 || status == 403)
		fail_as(a, KC_LINK_STUCK, "unauthorized", "HTTP %ld: %s", status, text);
	else
		fail_as(a, KC_LINK_STUCK, "invalid", "HTTP %ld: %s", status, text);
	return 0;
}

/* With nothing to send for half a heartbeat, an empty batch, answered
 * within a quarter: the service stores nothing and answers with its head,
 * so an idle cabinet learns within a heartbeat whether the link is up
 * (the service gone the moment after an answer: offline at most three
 * quarters of a heartbeat later), and whether the service lost events it
 * acknowledged. Returns 0 (answered), 1 (the service is behind: send
 * again at once) or -EAGAIN. */
static int heartbeat(struct kc_forwarder *f)
{
	struct attempt a = { KC_LINK_ONLINE, "", "", -1 };
	json_t *answer = NULL;
	long status = 0;
	int r = -EAGAIN;

	if (post(f, "[]", f->heartbeat_ms / 4, &status, &answer, &a) < 0)
		goto out;
	if (status >= 200 && status < 300) {
		if (json_is_integer(json_object_get(answer, "last_seq")))
			a.service_seq = json_integer_value(json_object_get(answer, "last_seq"));
		r = 0;
		if (a.service_seq >= 0 && a.service_seq < f->acked_max) {
			r = service_behind(f, a.service_seq, f->acked_max, &a);
			if (r <= 0)
				r = -EAGAIN;
		}
	} else {
		fail_as(&a, KC_LINK_OFFLINE, "http_error", "HTTP %ld: %s", status,
			answer_str(answer, "message", "no message"));
	}
out:
	set_status(f, &a);
	json_decref(answer);
	return r;
}

/* One batch. Returns 1 when sent and acknowledged in full (send the next
 * at once), 0 when there is nothing to send, -EAGAIN to back off (the
 * state is in status), -ENOTCONN when the outbox cannot be read (its
 * keeper is away: look again soon; the status stays as it was). */
static int forward_once(struct kc_forwarder *f)
{
	struct attempt a = { KC_LINK_ONLINE, "", "", -1 };
	int64_t first = 0, last = 0, acked = -1;
	json_t *answer = NULL;
	long status = 0;
	char *body = NULL;
	int n, r = -EAGAIN;

	if (f->resend_from > f->acked_max)
		f->resend_from = 0;
	n = f->port.read(f->port.user, f->resend_from, f->batch_cur, &body, &first, &last);
	if (n < 0)
		return -ENOTCONN; /* the link to the office is as it was */
	if (n == 0) {
		free(body);
		f->resend_from = 0;
		if (kc_mono_ms() - f->last_xfer_mono >= f->heartbeat_ms / 2)
			return heartbeat(f);
		set_status(f, NULL);
		return 0;
	}
	r = post(f, body, 0, &status, &answer, &a);
	free(body);
	if (r < 0) {
		r = -EAGAIN;
		goto out;
	}
	r = -EAGAIN;
	if (json_is_integer(json_object_get(answer, "last_seq"))) {
		acked = json_integer_value(json_object_get(answer, "last_seq"));
		a.service_seq = acked;
	}
	if (status >= 200 && status < 300) {
		if (acked > last) {
			fail_as(&a, KC_LINK_STUCK, "service_ahead",
				"HTTP %ld: the service says it holds up to event %lld, past the %lld..%lld sent; "
				"nothing taken as acknowledged",
				status, (long long)acked, (long long)first, (long long)last);
		} else if (acked < first) {
			fail_as(&a, KC_LINK_OFFLINE, "bad_answer",
				"HTTP %ld without an acknowledgement of events %lld..%lld", status, (long long)first,
				(long long)last);
		} else if (mark_acked(f, first, acked) < 0 || prune(f) < 0) {
			fail_as(&a, KC_LINK_OFFLINE, "outbox", "marking acknowledged rows: %s",
				f->port.errmsg(f->port.user));
		} else {
			if (f->resend_from)
				f->resend_from = acked + 1;
			caught_up(f);
			if (f->batch_cur < f->batch_max)
				f->batch_cur = f->batch_cur * 2 < f->batch_max ? f->batch_cur * 2 : f->batch_max;
			r = 1;
		}
		goto out;
	}
	if (status == 413 && f->batch_cur > 1 && last > first) {
		f->batch_cur = (int)((last - first + 2) / 2);
		r = 1; /* not a failure of the link: the same rows again, fewer at a time */
		goto out;
	}
	if ((status >= 400 && status < 500 && status != 408 && status != 429)) {
		if (refused(f, status, answer, first, &a) > 0)
			r = 1;
		goto out;
	}
	fail_as(&a, KC_LINK_OFFLINE, "http_error", "HTTP %ld: %s", status, answer_str(answer, "message", "no message"));
out:
	if (a.state == KC_LINK_ONLINE && f->resend_from && f->resend_from <= f->acked_max)
		a.reason = "service_behind"; /* more rows it lacks to send again */
	set_status(f, r < 0 || (status >= 200 && status < 300) || strcmp(a.reason, "service_behind") == 0 ? &a
													 : NULL);
	json_decref(answer);
	return r;
}

/* Closes the connection once it has been idle for idle_close_ms, or
 * now when the coming wait of wait_ms would keep it idle longer. Returns
 * how long to wait at most before looking again. */
static int let_go_if_idle(struct kc_forwarder *f, int wait_ms)
{
	int64_t idle;

	if (!f->curl)
		return wait_ms;
	idle = kc_mono_ms() - f->last_xfer_mono;
	if (idle >= f->idle_close_ms || wait_ms > f->idle_close_ms) {
		curl_easy_cleanup(f->curl);
		f->curl = NULL;
		return wait_ms;
	}
	return f->idle_close_ms - idle < wait_ms ? (int)(f->idle_close_ms - idle) : wait_ms;
}

/* With nothing to send: until the outbox is looked at again (unless a
 * kick comes first), at the latest when the next heartbeat is due (every
 * half heartbeat). */
static int idle_wait_ms(const struct kc_forwarder *f)
{
	int64_t due = f->last_xfer_mono + f->heartbeat_ms / 2 - kc_mono_ms();

	if (due < 1)
		due = 1;
	return due < f->recheck_ms ? (int)due : f->recheck_ms;
}

/* Waits up to ms for a stop, or for a kick when `kick`; a kick while
 * backing off only refreshes the backlog count. */
static void wait_for(struct kc_forwarder *f, int ms, bool kick)
{
	int64_t end = kc_mono_ms() + ms;

	for (;;) {
		struct pollfd p[2] = { { .fd = f->stop_fd, .events = POLLIN }, { .fd = f->kick_fd, .events = POLLIN } };
		int64_t left = end - kc_mono_ms();
		uint64_t v;

		if (left <= 0 || atomic_load(&f->stopping))
			return;
		if (poll(p, 2, (int)left) <= 0 || (p[0].revents & POLLIN))
			return;
		if ((p[1].revents & POLLIN) && read(f->kick_fd, &v, sizeof(v)) < 0) {
			/* EAGAIN: someone else drained it */
		}
		if (kick)
			return;
		set_status(f, NULL);
	}
}

static int backoff_ms(struct kc_forwarder *f, int failures, bool stuck)
{
	int64_t b = f->backoff_min_ms;
	int jitter;

	for (int i = 0; i < failures && b < f->backoff_max_ms; i++)
		b *= 2;
	if (b > f->backoff_max_ms || stuck)
		b = f->backoff_max_ms;
	jitter = (int)(b / 4);
	if (jitter > 0)
		b += (int64_t)(rand_r(&f->rnd) % (2 * jitter + 1)) - jitter;
	return (int)b;
}

static void *forward_main(void *arg)
{
	struct kc_forwarder *f = arg;
	int failures = 0;

	while (!atomic_load(&f->stopping)) {
		int r = forward_once(f), ms;
		bool stuck;

		if (r > 0) {
			failures = 0;
			continue;
		}
		if (r == 0) {
			failures = 0;
			if (kc_mono_ms() - f->last_prune_mono >= PRUNE_EVERY_MS && prune(f) == 0)
				set_status(f, NULL);
			wait_for(f, let_go_if_idle(f, idle_wait_ms(f)), true);
			continue;
		}
		if (r == -ENOTCONN) {
			/* not the link's failure: the outbox's keeper restarts */
			wait_for(f, let_go_if_idle(f, KEEPER_RETRY_MS), false);
			continue;
		}
		/* backoff_min * 2^failures, capped, with +-25 % jitter (stuck:
		 * the cap at once); a kick does not cut it short */
		pthread_mutex_lock(&f->lock);
		stuck = f->status.state == KC_LINK_STUCK;
		pthread_mutex_unlock(&f->lock);
		ms = backoff_ms(f, failures++, stuck);
		let_go_if_idle(f, ms);
		wait_for(f, ms, false);
	}
	return NULL;
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s)
		snprintf(s, la + lb + 1, "%s%s", a, b);
	return s;
}

static void forwarder_free(struct kc_forwarder *f)
{
	if (f->curl)
		curl_easy_cleanup(f->curl);
	if (f->kick_fd >= 0)
		close(f->kick_fd);
	if (f->stop_fd >= 0)
		close(f->stop_fd);
	if (f->status_fd >= 0)
		close(f->status_fd);
	pthread_mutex_destroy(&f->lock);
	free(f->url);
	if (f->auth)
		memset(f->auth, 0, strlen(f->auth));
	free(f->auth);
	free(f->ca_file);
	free(f);
}

/* The highest acknowledged seq, from the outbox. */
static int open_outbox(struct kc_forwarder *f, char *err, size_t errlen)
{
	struct kc_outbox_state os;

	if (f->port.state(f->port.user, &os) < 0) {
		snprintf(err, errlen, "reading the outbox: %s", f->port.errmsg(f->port.user));
		return -EIO;
	}
	f->acked_max = os.acked_max;
	return 0;
}

static void set_limits(struct kc_forwarder *f, const struct kc_forward_config *cfg)
{
	f->batch_max = cfg->batch_max > 0 ? cfg->batch_max : 100;
	f->batch_cur = f->batch_max;
	f->backoff_min_ms = cfg->backoff_min_ms > 0 ? cfg->backoff_min_ms : 500;
	f->backoff_max_ms = cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms : 60000;
	if (f->backoff_max_ms < f->backoff_min_ms)
		f->backoff_max_ms = f->backoff_min_ms;
	f->idle_close_ms = cfg->idle_close_ms > 0 ? cfg->idle_close_ms : KC_FORWARD_IDLE_CLOSE_MS;
	f->recheck_ms = cfg->recheck_ms > 0 ? cfg->recheck_ms : KC_FORWARD_RECHECK_MS;
	f->heartbeat_ms = cfg->heartbeat_ms > 0 ? cfg->heartbeat_ms : KC_FORWARD_HEARTBEAT_MS;
	f->rnd = (unsigned)kc_mono_ms() ^ (unsigned)getpid();
	f->status.service_seq = -1;
	f->status.since_ms = kc_wall_ms();
}

struct kc_forwarder *kc_forwarder_start(const struct kc_outbox_port *port, const struct kc_forward_config *cfg,
					char *err, size_t errlen)
{
	struct kc_forwarder *f;
	char *trimmed;
	size_t bl;

	if (!port || !cfg || !cfg->url || !cfg->token || !*cfg->token) {
		snprintf(err, errlen, "the forwarder needs an outbox, a service URL and a token");
		return NULL;
	}
	if (kc_forward_url_check(cfg->url, cfg->allow_plain_http, err, errlen) < 0)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->kick_fd = f->stop_fd = f->status_fd = -1;
	pthread_mutex_init(&f->lock, NULL);
	f->port = *port;
	set_limits(f, cfg);
	bl = strlen(cfg->url);
	trimmed = strndup(cfg->url, bl && cfg->url[bl - 1] == '/' ? bl - 1 : bl);
	f->url = trimmed ? join(trimmed, "/api/v1/events") : NULL;
	free(trimmed);
	f->auth = join("Authorization: Bearer ", cfg->token);
	f->ca_file = cfg->ca_file ? strdup(cfg->ca_file) : NULL;
	if (!f->url || !f->auth || (cfg->ca_file && !f->ca_file)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (open_outbox(f, err, errlen) < 0)
		goto fail;
	f->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->status_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (f->kick_fd < 0 || f->stop_fd < 0 || f->status_fd < 0) {
		snprintf(err, errlen, "cannot set up the forwarder: %s", strerror(errno));
		goto fail;
	}
	if (prune(f) < 0) {
		snprintf(err, errlen, "pruning acknowledged events: %s", f->port.errmsg(f->port.user));
		goto fail;
	}
	set_status(f, NULL);
	if (pthread_create(&f->thread, NULL, forward_main, f) != 0) {
		snprintf(err, errlen, "cannot start the forwarder thread");
		goto fail;
	}
	return f;
fail:
	forwarder_free(f);
	return NULL;
}

void kc_forwarder_kick(struct kc_forwarder *f)
{
	uint64_t one = 1;

	if (f && write(f->kick_fd, &one, sizeof(one)) < 0) {
		/* the counter is full: a kick is pending anyway */
	}
}

void kc_forwarder_stop(struct kc_forwarder *f)
{
	uint64_t one = 1;

	if (!f)
		return;
	atomic_store(&f->stopping, true);
	if (write(f->stop_fd, &one, sizeof(one)) < 0) {
		/* cannot fail for an eventfd far from its limit */
	}
	pthread_join(f->thread, NULL);
	forwarder_free(f);
}

void kc_forwarder_status(struct kc_forwarder *f, struct kc_forward_status *st)
{
	pthread_mutex_lock(&f->lock);
	*st = f->status;
	pthread_mutex_unlock(&f->lock);
}

int kc_forwarder_status_fd(struct kc_forwarder *f)
{
	return f->status_fd;
}
