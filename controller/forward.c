#include "controller/forward.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/util.h"

/* With nothing to send, look at the outbox this often anyway: rows may
 * come from another process, or a kick may have been missed. */
#define IDLE_RECHECK_MS 1000

struct kc_forwarder {
	char *url;	/* <base>/api/v1/events */
	char *auth;	/* "Authorization: Bearer ..." */
	char *ca_file;
	int batch_max, backoff_min_ms, backoff_max_ms;
	int batch_cur;	/* halved on 413 (a batch over the service's body limit), reset on success */
	sqlite3 *db;
	sqlite3_stmt *select, *del, *count;
	CURL *curl;
	pthread_t thread;
	int kick_fd, stop_fd;
	atomic_bool stopping;
	pthread_mutex_t lock;
	struct kc_forward_status status;
	unsigned rnd;
};

struct resp {
	char *p;
	size_t len;
};

static size_t on_body(void *data, size_t size, size_t n, void *user)
{
	struct resp *r = user;
	size_t add = size * n;
	char *np;

	if (r->len + add > (1u << 20))
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

static void set_status(struct kc_forwarder *f, int64_t pending, int64_t acked, bool ok, const char *error)
{
	pthread_mutex_lock(&f->lock);
	if (pending >= 0)
		f->status.pending = pending;
	if (acked > 0)
		f->status.last_acked_seq = acked;
	if (ok) {
		f->status.consecutive_failures = 0;
		f->status.last_error[0] = '\0';
	} else if (error) {
		f->status.consecutive_failures++;
		kc_strlcpy(f->status.last_error, error, sizeof(f->status.last_error));
	}
	pthread_mutex_unlock(&f->lock);
}

static int64_t pending(struct kc_forwarder *f)
{
	int64_t n = -1;

	sqlite3_reset(f->count);
	if (sqlite3_step(f->count) == SQLITE_ROW)
		n = sqlite3_column_int64(f->count, 0);
	sqlite3_reset(f->count);
	return n;
}

/* Reads up to batch_max rows as a JSON array text. Returns the number of
 * events (0: the outbox is empty) or -errno; *max_seq is the last one. */
static int read_batch(struct kc_forwarder *f, char **out, int64_t *max_seq)
{
	size_t cap = 4096, len = 1;
	char *buf = malloc(cap);
	int n = 0, rc;

	if (!buf)
		return -ENOMEM;
	buf[0] = '[';
	sqlite3_reset(f->select);
	sqlite3_bind_int(f->select, 1, f->batch_cur);
	while ((rc = sqlite3_step(f->select)) == SQLITE_ROW) {
		const char *body = (const char *)sqlite3_column_text(f->select, 1);
		size_t bl = (size_t)sqlite3_column_bytes(f->select, 1);

		if (len + bl + 3 > cap) {
			char *nb;

			cap = (len + bl + 3) * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				sqlite3_reset(f->select);
				return -ENOMEM;
			}
			buf = nb;
		}
		if (n)
			buf[len++] = ',';
		memcpy(buf + len, body, bl);
		len += bl;
		*max_seq = sqlite3_column_int64(f->select, 0);
		n++;
	}
	sqlite3_reset(f->select);
	if (rc != SQLITE_DONE) {
		free(buf);
		return -EIO;
	}
	buf[len++] = ']';
	buf[len] = '\0';
	*out = buf;
	return n;
}

/* Deletes the acknowledged rows: seq <= min(acked, what we sent). */
static int drop_acked(struct kc_forwarder *f, int64_t upto)
{
	int rc;

	sqlite3_reset(f->del);
	sqlite3_bind_int64(f->del, 1, upto);
	rc = sqlite3_step(f->del);
	sqlite3_reset(f->del);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* One batch. Returns 1 when sent and acknowledged in full (send the next
 * at once), 0 when the outbox is empty, -EAGAIN to back off (error in
 * status). */
static int forward_once(struct kc_forwarder *f)
{
	struct curl_slist *hdrs = NULL;
	struct resp resp = { NULL, 0 };
	char errbuf[CURL_ERROR_SIZE] = "", msg[256];
	int64_t max_seq = 0, acked = -1;
	json_t *answer = NULL;
	long status = 0;
	char *body = NULL;
	CURLcode cc;
	int n, r = -EAGAIN;

	n = read_batch(f, &body, &max_seq);
	if (n < 0) {
		snprintf(msg, sizeof(msg), "reading the outbox: %s", sqlite3_errmsg(f->db));
		set_status(f, -1, 0, false, msg);
		return -EAGAIN;
	}
	if (n == 0) {
		free(body);
		set_status(f, 0, 0, true, NULL);
		return 0;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, f->auth);
	curl_easy_setopt(f->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(f->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(f->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(f->curl, CURLOPT_WRITEDATA, &resp);
	curl_easy_setopt(f->curl, CURLOPT_ERRORBUFFER, errbuf);
	cc = curl_easy_perform(f->curl);
	curl_slist_free_all(hdrs);
	free(body);
	if (cc != CURLE_OK) {
		snprintf(msg, sizeof(msg), "POST %s: %s", f->url, errbuf[0] ? errbuf : curl_easy_strerror(cc));
		goto out;
	}
	curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
	answer = resp.p ? json_loads(resp.p, 0, NULL) : NULL;
	if (json_is_integer(json_object_get(answer, "last_seq")))
		acked = json_integer_value(json_object_get(answer, "last_seq"));
	if (acked > 0 && drop_acked(f, acked < max_seq ? acked : max_seq) < 0) {
		snprintf(msg, sizeof(msg), "deleting acknowledged rows: %s", sqlite3_errmsg(f->db));
		goto out;
	}
	if (status == 413 && f->batch_cur > 1) {
		f->batch_cur = (f->batch_cur + 1) / 2;
		snprintf(msg, sizeof(msg), "HTTP 413: batch too large for the service; now %d events a batch",
			 f->batch_cur);
		goto out;
	}
	if (status == 200 && acked >= max_seq) {
		if (f->batch_cur < f->batch_max)
			f->batch_cur = f->batch_cur * 2 < f->batch_max ? f->batch_cur * 2 : f->batch_max;
		r = 1;
		set_status(f, pending(f), acked, true, NULL);
		goto out;
	}
	if (status == 200)
		snprintf(msg, sizeof(msg), "the service stored up to %lld of a batch up to %lld", (long long)acked,
			 (long long)max_seq);
	else
		snprintf(msg, sizeof(msg), "HTTP %ld: %s", status,
			 json_is_string(json_object_get(answer, "message")) ?
				 json_string_value(json_object_get(answer, "message")) : "no message");
out:
	if (r < 0)
		set_status(f, pending(f), acked, false, msg);
	json_decref(answer);
	free(resp.p);
	return r;
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

/* Waits up to ms for a kick (when kick) or a stop. */
static void wait_for(struct kc_forwarder *f, int ms, bool kick)
{
	struct pollfd p[2] = { { .fd = f->stop_fd, .events = POLLIN }, { .fd = f->kick_fd, .events = POLLIN } };
	uint64_t v;

	if (poll(p, kick ? 2 : 1, ms) > 0 && kick && (p[1].revents & POLLIN) && read(f->kick_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: someone else drained it */
	}
}

static void *forward_main(void *arg)
{
	struct kc_forwarder *f = arg;
	int failures = 0;

	while (!atomic_load(&f->stopping)) {
		int r = forward_once(f);

		if (r > 0) {
			failures = 0;
			continue;
		}
		if (r == 0) {
			failures = 0;
			wait_for(f, IDLE_RECHECK_MS, true);
			continue;
		}
		/* backoff_min * 2^failures, capped, with +-25 % jitter; a kick
		 * does not cut it short (the service is the problem) */
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
			failures++;
			wait_for(f, (int)b, false);
		}
	}
	return NULL;
}

static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	if (s) {
		memcpy(s, a, la);
		memcpy(s + la, b, lb + 1);
	}
	return s;
}

static void forwarder_free(struct kc_forwarder *f)
{
	sqlite3_finalize(f->select);
	sqlite3_finalize(f->del);
	sqlite3_finalize(f->count);
	sqlite3_close(f->db);
	if (f->curl)
		curl_easy_cleanup(f->curl);
	if (f->kick_fd >= 0)
		close(f->kick_fd);
	if (f->stop_fd >= 0)
		close(f->stop_fd);
	pthread_mutex_destroy(&f->lock);
	free(f->url);
	if (f->auth)
		memset(f->auth, 0, strlen(f->auth));
	free(f->auth);
	free(f->ca_file);
	free(f);
}

struct kc_forwarder *kc_forwarder_start(const char *db_path, const struct kc_forward_config *cfg, char *err,
					size_t errlen)
{
	struct kc_forwarder *f;
	const char *base;
	char *trimmed;
	size_t bl;

	if (!db_path || !cfg || !cfg->url || !cfg->token || !*cfg->token) {
		snprintf(err, errlen, "the forwarder needs a database path, a service URL and a token");
		return NULL;
	}
	if (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0) {
		snprintf(err, errlen, "service URL \"%s\" is not http:// or https://", cfg->url);
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	f->kick_fd = f->stop_fd = -1;
	pthread_mutex_init(&f->lock, NULL);
	f->batch_max = cfg->batch_max > 0 ? cfg->batch_max : 100;
	f->batch_cur = f->batch_max;
	f->backoff_min_ms = cfg->backoff_min_ms > 0 ? cfg->backoff_min_ms : 500;
	f->backoff_max_ms = cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms : 60000;
	if (f->backoff_max_ms < f->backoff_min_ms)
		f->backoff_max_ms = f->backoff_min_ms;
	f->rnd = (unsigned)kc_mono_ms() ^ (unsigned)getpid();
	base = cfg->url;
	bl = strlen(base);
	trimmed = strndup(base, bl && base[bl - 1] == '/' ? bl - 1 : bl);
	f->url = trimmed ? join(trimmed, "/api/v1/events") : NULL;
	free(trimmed);
	f->auth = join("Authorization: Bearer ", cfg->token);
	f->ca_file = cfg->ca_file ? strdup(cfg->ca_file) : NULL;
	if (!f->url || !f->auth || (cfg->ca_file && !f->ca_file)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (sqlite3_open_v2(db_path, &f->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db_path, f->db ? sqlite3_errmsg(f->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(f->db, 5000);
	if (sqlite3_exec(f->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(f->db, "SELECT seq, body FROM outbox ORDER BY seq LIMIT ?", -1, &f->select, NULL) !=
		    SQLITE_OK ||
	    sqlite3_prepare_v2(f->db, "DELETE FROM outbox WHERE seq <= ?", -1, &f->del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(f->db, "SELECT count(*) FROM outbox", -1, &f->count, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", db_path, sqlite3_errmsg(f->db));
		goto fail;
	}
	f->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	f->curl = curl_easy_init();
	if (f->kick_fd < 0 || f->stop_fd < 0 || !f->curl) {
		snprintf(err, errlen, "cannot set up the forwarder: %s", strerror(errno));
		goto fail;
	}
	curl_easy_setopt(f->curl, CURLOPT_URL, f->url);
	curl_easy_setopt(f->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(f->curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(f->curl, CURLOPT_TIMEOUT_MS, 60000L);
	curl_easy_setopt(f->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(f->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(f->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(f->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(f->curl, CURLOPT_XFERINFODATA, f);
	if (f->ca_file)
		curl_easy_setopt(f->curl, CURLOPT_CAINFO, f->ca_file);
	f->status.pending = pending(f);
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
