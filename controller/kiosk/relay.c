/* Live state for the pages: one subscription connection to keycabd
 * ({"op":"subscribe"}), shared by every page, relayed as server-sent
 * events. Each message is queued once in a ring; each page's stream reads
 * the ring at its own pace. When keycabd goes away the thread connects
 * again with a doubling delay and tells the pages (event: keycabd); after
 * each new subscription they get its status snapshot again, since the
 * events of the gap are not pushed. A keycabd that answers subscribe with
 * an error gives no live state: the pages get keycabd up/down only. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "controller/client/client.h"
#include "controller/kiosk/kiosk.h"

#define RELAY_RING 256		 /* messages a page may fall behind by */
#define RELAY_KEEPALIVE_MS 15000 /* a comment line on a quiet stream */
#define RELAY_BACKOFF_MIN_MS 250
#define RELAY_BACKOFF_MAX_MS 5000
#define RELAY_PING_MS 60000	 /* without subscribe: keeps the connection from keycabd's idle close */
#define RELAY_RETRY_MS 1000	 /* the page's EventSource reconnects after this */

struct relay_msg {
	uint64_t seq;
	char *text; /* "event: ...\ndata: ...\n\n" */
	size_t len;
	char cookie[KIOSK_COOKIE_LEN]; /* empty: for every page */
};

struct kiosk_stream {
	struct kiosk_stream *next;
	uint64_t next_seq;
	uint64_t opened; /* order of opening */
	char cookie[KIOSK_COOKIE_LEN];
	char *pend;	 /* bytes to send before the next message */
	size_t pend_len, pend_off;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct relay_msg ring[RELAY_RING];
	uint64_t head;		 /* seq of the next message */
	struct kiosk_stream *streams;
	int nstreams, max_streams;
	uint64_t opened;
	bool stopping;
	bool up;
	char *status;		 /* the last status snapshot, as a message; NULL: none */
	char *kiosk;		 /* the terminal's settings, as a message */
	/* the thread */
	pthread_t thread;
	bool started;
	int stopfd;
	char path[108];
} rl = { .lock = PTHREAD_MUTEX_INITIALIZER, .stopfd = -1 };

/* "event: NAME\ndata: JSON\n\n"; data taken. NULL when out of memory. */
static char *relay_format(const char *event, json_t *data, size_t *len)
{
	char *js = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
	char *text = NULL;
	int n;

	json_decref(data);
	if (!js)
		return NULL;
	n = asprintf(&text, "event: %s\ndata: %s\n\n", event, js);
	free(js);
	if (n < 0)
		return NULL;
	if (len)
		*len = (size_t)n;
	return text;
}

/* Called with the lock held. */
static void relay_queue(char *text, size_t len, const char *cookie)
{
	struct relay_msg *m = &rl.ring[rl.head % RELAY_RING];

	free(m->text);
	m->seq = rl.head++;
	m->text = text;
	m->len = len;
	kc_strlcpy(m->cookie, cookie ? cookie : "", sizeof(m->cookie));
	pthread_cond_broadcast(&rl.cond);
}

void kiosk_relay_publish(const char *event, json_t *data, const char *cookie)
{
	size_t len;
	char *text = relay_format(event, data, &len);

	if (!text)
		return;
	pthread_mutex_lock(&rl.lock);
	relay_queue(text, len, cookie);
	pthread_mutex_unlock(&rl.lock);
}

void kiosk_relay_set_kiosk(json_t *data)
{
	size_t len;
	char *text = relay_format("kiosk", data, &len);
	char *copy = text ? strdup(text) : NULL;

	if (!copy) {
		free(text);
		return;
	}
	pthread_mutex_lock(&rl.lock);
	free(rl.kiosk);
	rl.kiosk = copy;
	relay_queue(text, len, NULL);
	pthread_mutex_unlock(&rl.lock);
}

/* keycabd up or down: told to the pages when it changes. */
static void relay_set_up(bool up)
{
	size_t len;
	char *text;

	pthread_mutex_lock(&rl.lock);
	if (rl.up == up) {
		pthread_mutex_unlock(&rl.lock);
		return;
	}
	rl.up = up;
	if (!up) {
		free(rl.status);
		rl.status = NULL;
	}
	pthread_mutex_unlock(&rl.lock);
	if (up)
		kc_notice("connected to keycabd");
	else
		kc_warn("keycabd is not there: the pages are told; trying again");
	text = relay_format("keycabd", json_pack("{s:b}", "up", up), &len);
	if (!text)
		return;
	pthread_mutex_lock(&rl.lock);
	relay_queue(text, len, NULL);
	pthread_mutex_unlock(&rl.lock);
}

static void relay_set_status(json_t *status)
{
	size_t len;
	char *text = relay_format("status", status, &len);
	char *copy = text ? strdup(text) : NULL;

	if (!copy) {
		free(text);
		return;
	}
	pthread_mutex_lock(&rl.lock);
	free(rl.status);
	rl.status = copy;
	relay_queue(text, len, NULL);
	pthread_mutex_unlock(&rl.lock);
}

/* ---- the pages' streams ---- */

/* Adds text to what waits for the page: bytes, not a C string. */
static int stream_append(struct kiosk_stream *s, const char *text)
{
	size_t n = strlen(text);
	char *p = realloc(s->pend, s->pend_len + n);

	if (!p)
		return -ENOMEM;
	memcpy(p + s->pend_len, text, n); /* NOLINT(bugprone-not-null-terminated-result): a byte buffer with its length */
	s->pend = p;
	s->pend_len += n;
	return 0;
}

int kiosk_stream_open(const char *cookie, struct kiosk_stream **out)
{
	struct kiosk_stream *s = calloc(1, sizeof(*s));
	char head[64], *up;
	int r = 0;

	if (!s)
		return -ENOMEM;
	kc_strlcpy(s->cookie, cookie ? cookie : "", sizeof(s->cookie));
	snprintf(head, sizeof(head), "retry: %d\n\n", RELAY_RETRY_MS);
	pthread_mutex_lock(&rl.lock);
	if (rl.stopping || rl.nstreams >= rl.max_streams) {
		pthread_mutex_unlock(&rl.lock);
		free(s);
		return rl.stopping ? -ESHUTDOWN : -EMFILE;
	}
	up = relay_format("keycabd", json_pack("{s:b}", "up", rl.up), NULL);
	if (!up || stream_append(s, head) < 0 || (rl.kiosk && stream_append(s, rl.kiosk) < 0) ||
	    stream_append(s, up) < 0 || (rl.status && stream_append(s, rl.status) < 0))
		r = -ENOMEM;
	free(up);
	if (r == 0) {
		s->next_seq = rl.head;
		s->opened = ++rl.opened;
		s->next = rl.streams;
		rl.streams = s;
		rl.nstreams++;
	}
	pthread_mutex_unlock(&rl.lock);
	if (r < 0) {
		free(s->pend);
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

static long stream_take(struct kiosk_stream *s, char *buf, size_t max)
{
	size_t n = s->pend_len - s->pend_off;

	if (n > max)
		n = max;
	memcpy(buf, s->pend + s->pend_off, n);
	s->pend_off += n;
	if (s->pend_off == s->pend_len) {
		free(s->pend);
		s->pend = NULL;
		s->pend_len = s->pend_off = 0;
	}
	return (long)n;
}

long kiosk_stream_read(struct kiosk_stream *s, char *buf, size_t max)
{
	struct timespec until;
	long r = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += RELAY_KEEPALIVE_MS / 1000;
	pthread_mutex_lock(&rl.lock);
	while (r == 0) {
		if (rl.stopping) {
			r = -EPIPE;
		} else if (s->pend) {
			r = stream_take(s, buf, max);
		} else if (s->next_seq < rl.head) {
			const struct relay_msg *m;

			if (rl.head - s->next_seq > RELAY_RING) {
				r = -EPIPE; /* too far behind: the page connects again */
				break;
			}
			m = &rl.ring[s->next_seq % RELAY_RING];
			s->next_seq++;
			if (m->cookie[0] && strcmp(m->cookie, s->cookie) != 0)
				continue;
			if (stream_append(s, m->text) < 0)
				r = -ENOMEM;
		} else if (pthread_cond_timedwait(&rl.cond, &rl.lock, &until) == ETIMEDOUT) {
			if (stream_append(s, ": keep-alive\n\n") < 0)
				r = -ENOMEM;
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += RELAY_KEEPALIVE_MS / 1000;
		}
	}
	pthread_mutex_unlock(&rl.lock);
	return r;
}

void kiosk_stream_close(struct kiosk_stream *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&rl.lock);
	for (struct kiosk_stream **p = &rl.streams; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			rl.nstreams--;
			break;
		}
	}
	pthread_mutex_unlock(&rl.lock);
	free(s->pend);
	free(s);
}

int kiosk_stream_front(char cookie[KIOSK_COOKIE_LEN])
{
	const struct kiosk_stream *front = NULL;
	int r = -ENOENT;

	pthread_mutex_lock(&rl.lock);
	for (const struct kiosk_stream *s = rl.streams; s; s = s->next)
		if (s->cookie[0] && (!front || s->opened > front->opened))
			front = s;
	if (front) {
		kc_strlcpy(cookie, front->cookie, KIOSK_COOKIE_LEN);
		r = 0;
	}
	pthread_mutex_unlock(&rl.lock);
	return r;
}

int kiosk_stream_count(void)
{
	int n;

	pthread_mutex_lock(&rl.lock);
	n = rl.nstreams;
	pthread_mutex_unlock(&rl.lock);
	return n;
}

/* ---- the subscription ---- */

/* Waits for fd to be readable (or ms to pass, -1: no limit) or the stop:
 * 1 readable, 0 timed out, -ESHUTDOWN stopping. */
static int relay_wait(int fd, int ms)
{
	struct pollfd p[2] = { { .fd = rl.stopfd, .events = POLLIN }, { .fd = fd, .events = POLLIN } };
	int n = poll(p, fd >= 0 ? 2 : 1, ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[0].revents)
		return -ESHUTDOWN;
	return n > 0 && fd >= 0 && p[1].revents ? 1 : 0;
}

static void relay_push(json_t *line)
{
	const char *push = json_string_value(json_object_get(line, "push"));

	if (push && strcmp(push, "event") == 0 && json_is_object(json_object_get(line, "event"))) {
		json_t *ev = json_object_get(line, "event");

		/* an event that says something in words: its text as well */
		if (json_object_get(ev, "code"))
			kiosk_text_add(ev);
		if (json_object_get(json_object_get(ev, "data"), "code"))
			kiosk_text_add(json_object_get(ev, "data"));
		kiosk_relay_publish("ev", json_incref(ev), NULL);
	}
	else if (push && strcmp(push, "link") == 0 && json_is_object(json_object_get(line, "forward")))
		kiosk_relay_publish("link", json_incref(json_object_get(line, "forward")), NULL);
	else
		kc_debug("keycabd sent a line that is no push; ignored");
}

/* One subscription, until keycabd closes it or the stop: 0 closed,
 * -ESHUTDOWN stopping, other -errno when it could not be made. */
static int relay_session(struct kc_client *c)
{
	json_t *req = json_pack("{s:s}", "op", "subscribe"), *rep = NULL;
	char err[256];
	bool live;
	int r;

	if (!req)
		return -ENOMEM;
	r = kc_client_call(c, req, &rep, err, sizeof(err));
	json_decref(req);
	if (r < 0)
		return r;
	relay_set_up(true);
	live = json_is_true(json_object_get(rep, "ok")) && json_is_object(json_object_get(rep, "status"));
	if (live) {
		kc_info("subscribed to keycabd's live state");
		relay_set_status(json_incref(json_object_get(rep, "status")));
	} else {
		const char *why = json_string_value(json_object_get(rep, "error"));

		kc_warn("keycabd refused subscribe (%s): the pages get no live state", why ? why : "no reason");
	}
	json_decref(rep);
	for (;;) {
		r = relay_wait(c->fd, live ? -1 : RELAY_PING_MS);
		if (r < 0)
			return r;
		if (r == 0 && !live) {
			req = json_pack("{s:s}", "op", "ping");
			r = req ? kc_client_call(c, req, &rep, err, sizeof(err)) : -ENOMEM;
			json_decref(req);
			json_decref(rep);
			rep = NULL;
			if (r < 0)
				return 0;
			continue;
		}
		if (r == 0)
			continue;
		/* a line, and any more that came with it */
		do {
			if (kc_client_recv(c, &rep, err, sizeof(err)) < 0)
				return 0;
			if (live)
				relay_push(rep);
			json_decref(rep);
			rep = NULL;
		} while (c->len && memchr(c->buf, '\n', c->len));
	}
}

static void *relay_thread(void *arg)
{
	int backoff = RELAY_BACKOFF_MIN_MS;
	bool first = true;

	(void)arg;
	for (;;) {
		struct kc_client c;
		int r = kc_client_open(&c, rl.path);

		if (r == 0) {
			r = relay_session(&c);
			kc_client_close(&c);
			if (r == -ESHUTDOWN)
				break;
			if (r == 0) {
				/* keycabd closed it: once more at once, before
				 * telling the pages it is gone */
				backoff = RELAY_BACKOFF_MIN_MS;
				first = false;
				continue;
			}
		}
		if (first)
			kc_warn("keycabd is not there yet (%s): trying again", strerror(-r));
		first = false;
		relay_set_up(false);
		if (relay_wait(-1, backoff) < 0)
			break;
		backoff = backoff * 2 > RELAY_BACKOFF_MAX_MS ? RELAY_BACKOFF_MAX_MS : backoff * 2;
	}
	return NULL;
}

int kiosk_relay_start(const char *socket_path, const json_t *kiosk, int max_streams, char *err,
		      size_t errlen)
{
	int r;

	pthread_condattr_t ca;

	/* the streams wait on the monotonic clock */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	r = -pthread_cond_init(&rl.cond, &ca);
	pthread_condattr_destroy(&ca);
	if (r < 0) {
		snprintf(err, errlen, "pthread_cond_init: %s", strerror(-r));
		return r;
	}
	kc_strlcpy(rl.path, socket_path, sizeof(rl.path));
	rl.max_streams = max_streams;
	rl.kiosk = relay_format("kiosk", json_deep_copy(kiosk), NULL);
	rl.stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rl.stopfd < 0) {
		r = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(-r));
		return r;
	}
	r = -pthread_create(&rl.thread, NULL, relay_thread, NULL);
	if (r < 0) {
		snprintf(err, errlen, "cannot start the relay thread: %s", strerror(-r));
		return r;
	}
	rl.started = true;
	return 0;
}

void kiosk_relay_stop(void)
{
	uint64_t one = 1;

	pthread_mutex_lock(&rl.lock);
	rl.stopping = true;
	pthread_cond_broadcast(&rl.cond);
	pthread_mutex_unlock(&rl.lock);
	if (rl.started) {
		if (write(rl.stopfd, &one, sizeof(one)) < 0)
			kc_warn("relay: cannot stop its thread: %s", strerror(errno));
		pthread_join(rl.thread, NULL);
		rl.started = false;
	}
	if (rl.stopfd >= 0)
		close(rl.stopfd);
	rl.stopfd = -1;
}

/* After the HTTP server stopped (no stream is open any more). */
void kiosk_relay_free(void)
{
	for (int i = 0; i < RELAY_RING; i++) {
		free(rl.ring[i].text);
		rl.ring[i].text = NULL;
	}
	free(rl.status);
	free(rl.kiosk);
	rl.status = rl.kiosk = NULL;
	pthread_cond_destroy(&rl.cond);
}
