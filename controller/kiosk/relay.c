/* Live state for the screen: one subscription connection to keycabd
 * ({"op":"subscribe"} with the terminal key), relayed as server-sent
 * events to the streams of the paired screen, and to no other. Each
 * message is queued once in a ring; each stream reads the ring at its own
 * pace, and ends once another screen is paired. When keycabd goes away,
 * or refuses the subscription (every subscriber place taken, a terminal
 * key it does not take), the thread connects and subscribes again with a
 * doubling delay and tells the screen (event: keycabd, up and following);
 * after each new subscription it gets the status snapshot again, since
 * the events of the gap are not pushed. The snapshot each stream starts
 * with has the alarms open now: those raised and cleared since it was
 * taken are folded into it. */
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
	uint64_t screen; /* the pairing it belongs to (pair.c) */
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
	int max_streams;
	bool stopping;
	bool up, following;
	char *why;		 /* keycabd's refusal of subscribe, as JSON; NULL: none */
	char *keycabd;		 /* the last keycabd message (up, following) */
	char *status;		 /* the last status snapshot, as a message; NULL: none */
	json_t *status_json;	 /* the same, its open alarms kept current (the relay's thread's) */
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

/* event with data as the streams send it (*text, *len) and a copy of it
 * to keep for each stream's start (*copy): 0, or -ENOMEM with neither. */
static int relay_prepare(const char *event, json_t *data, char **text, size_t *len, char **copy)
{
	*text = relay_format(event, data, len);
	*copy = *text ? strdup(*text) : NULL;
	if (*copy)
		return 0;
	free(*text);
	*text = NULL;
	return -ENOMEM;
}

/* Under the lock: copy is kept in *kept for each stream's start, text
 * sent to every stream (both taken). */
static void relay_keep(char **kept, char *copy, char *text, size_t len)
{
	free(*kept);
	*kept = copy;
	relay_queue(text, len, NULL);
}

/* event with data sent to every stream and kept in *kept. */
static void relay_replace(char **kept, const char *event, json_t *data)
{
	char *text, *copy;
	size_t len;

	if (relay_prepare(event, data, &text, &len, &copy) < 0)
		return;
	pthread_mutex_lock(&rl.lock);
	relay_keep(kept, copy, text, len);
	pthread_mutex_unlock(&rl.lock);
}

void kiosk_relay_set_kiosk(json_t *data)
{
	relay_replace(&rl.kiosk, "kiosk", data);
}

/* keycabd up or down, the screen following the cabinet or not (why: the
 * refusal, taken; NULL when following or down): told to the screen when
 * it changes, and kept for each stream's start. */
static void relay_set_state(bool up, bool following, json_t *why)
{
	char *why_text = why ? json_dumps(why, JSON_COMPACT) : NULL;
	json_t *data = json_pack("{s:b, s:b}", "up", up, "following", following);
	size_t len;
	char *text, *copy;
	bool same, was_up;

	pthread_mutex_lock(&rl.lock);
	was_up = rl.up;
	same = rl.up == up && rl.following == following &&
	       ((!why_text && !rl.why) || (why_text && rl.why && strcmp(why_text, rl.why) == 0));
	pthread_mutex_unlock(&rl.lock);
	free(why_text);
	if (same || !data) {
		json_decref(why);
		json_decref(data);
		return;
	}
	if (up && !was_up)
		kc_notice("connected to keycabd");
	else if (!up && was_up)
		kc_warn("keycabd is not there: the screen is told; trying again");
	if (why)
		json_object_set(data, "why", why);
	if (relay_prepare("keycabd", data, &text, &len, &copy) < 0) {
		json_decref(why);
		return;
	}
	pthread_mutex_lock(&rl.lock);
	rl.up = up;
	rl.following = following;
	free(rl.why);
	rl.why = why ? json_dumps(why, JSON_COMPACT) : NULL;
	if (!up) {
		free(rl.status);
		rl.status = NULL;
		json_decref(rl.status_json);
		rl.status_json = NULL;
	}
	relay_keep(&rl.keycabd, copy, text, len);
	pthread_mutex_unlock(&rl.lock);
	json_decref(why);
}

static void relay_set_status(json_t *status)
{
	json_decref(rl.status_json);
	rl.status_json = json_incref(status);
	relay_replace(&rl.status, "status", status);
}

/* An alarm raised or cleared (ev: keycabd's event): the status kept for
 * each stream's start lists the alarms open now (alarms, open_alarms), so
 * a page loaded later knows them. Returns that status as a message, NULL
 * when ev is no alarm's or there is none. */
static char *relay_status_alarm(const json_t *ev)
{
	const char *type = json_string_value(json_object_get(ev, "type"));
	json_t *d = json_object_get(ev, "data"), *list = json_object_get(rl.status_json, "alarms"), *a;
	json_int_t id = json_integer_value(json_object_get(d, "alarm"));
	size_t i;

	if (!type || !json_is_array(list) || !id)
		return NULL;
	if (strcmp(type, "alarm.raised") == 0) {
		json_array_append_new(list, json_pack("{s:I, s:O?, s:O?, s:O?, s:O?}", "alarm", id, "type",
						      json_object_get(d, "alarm_type"), "key",
						      json_object_get(ev, "key"), "slot",
						      json_object_get(ev, "slot"), "raised",
						      json_object_get(ev, "ts")));
	} else if (strcmp(type, "alarm.cleared") == 0) {
		json_array_foreach(list, i, a) {
			if (json_integer_value(json_object_get(a, "alarm")) == id) {
				json_array_remove(list, i);
				break;
			}
		}
	} else {
		return NULL;
	}
	json_object_set_new(rl.status_json, "open_alarms", json_integer((json_int_t)json_array_size(list)));
	return relay_format("status", json_incref(rl.status_json), NULL);
}

/* keycabd's event to every stream, and the status kept with it, at once:
 * a stream opened after has both or neither. */
static void relay_event(json_t *ev)
{
	char *status = relay_status_alarm(ev), *text;
	size_t len;

	text = relay_format("ev", json_incref(ev), &len);
	pthread_mutex_lock(&rl.lock);
	if (status) {
		free(rl.status);
		rl.status = status;
	}
	if (text)
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

void kiosk_relay_wake(void)
{
	pthread_mutex_lock(&rl.lock);
	pthread_cond_broadcast(&rl.cond);
	pthread_mutex_unlock(&rl.lock);
}

/* Streams of the screen paired now; with the lock held. */
static int stream_count(void)
{
	uint64_t screen = kiosk_pair_current();
	int n = 0;

	for (const struct kiosk_stream *s = rl.streams; s; s = s->next)
		n += s->screen == screen;
	return n;
}

int kiosk_stream_open(const char *cookie, uint64_t screen, struct kiosk_stream **out)
{
	struct kiosk_stream *s = calloc(1, sizeof(*s));
	char head[64];
	int r = 0;

	if (!s)
		return -ENOMEM;
	kc_strlcpy(s->cookie, cookie, sizeof(s->cookie));
	s->screen = screen;
	snprintf(head, sizeof(head), "retry: %d\n\n", RELAY_RETRY_MS);
	pthread_mutex_lock(&rl.lock);
	/* the streams of a screen paired before are on their way out: not counted */
	if (rl.stopping || stream_count() >= rl.max_streams) {
		pthread_mutex_unlock(&rl.lock);
		free(s);
		return rl.stopping ? -ESHUTDOWN : -EMFILE;
	}
	if (stream_append(s, head) < 0 || (rl.kiosk && stream_append(s, rl.kiosk) < 0) ||
	    (rl.keycabd && stream_append(s, rl.keycabd) < 0) || (rl.status && stream_append(s, rl.status) < 0))
		r = -ENOMEM;
	if (r == 0) {
		s->next_seq = rl.head;
		s->next = rl.streams;
		rl.streams = s;
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
		if (rl.stopping || s->screen != kiosk_pair_current()) {
			r = -EPIPE; /* stopping, or another screen paired */
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
			break;
		}
	}
	pthread_mutex_unlock(&rl.lock);
	free(s->pend);
	free(s);
}

int kiosk_stream_count(void)
{
	int n;

	pthread_mutex_lock(&rl.lock);
	n = stream_count();
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

/* What an object keycabd pushes says in words, in both languages: its
 * own code (an event), its data's (an event's reason), its message (the
 * link's, the disk's). */
static void relay_said(json_t *obj)
{
	json_t *data = json_object_get(obj, "data"), *msg = json_object_get(obj, "message");

	if (json_object_get(obj, "code"))
		kiosk_text_add(obj);
	if (json_object_get(data, "code"))
		kiosk_text_add(data);
	if (json_is_object(msg))
		kiosk_text_add(msg);
}

/* keycabd's pushes, and the event each is relayed as. */
static const struct {
	const char *push;   /* "push": ... */
	const char *member; /* the object it carries */
	const char *event;  /* the server-sent event */
} relay_pushes[] = {
	{ "event", "event", "ev" },
	{ "link", "forward", "link" },
	{ "storage", "storage", "storage" },
};

static void relay_push(json_t *line)
{
	const char *push = json_string_value(json_object_get(line, "push"));

	for (size_t i = 0; push && i < KC_ARRAY_SIZE(relay_pushes); i++) {
		json_t *obj = json_object_get(line, relay_pushes[i].member);

		if (strcmp(push, relay_pushes[i].push) != 0 || !json_is_object(obj))
			continue;
		relay_said(obj);
		if (strcmp(relay_pushes[i].event, "ev") == 0)
			relay_event(obj);
		else
			kiosk_relay_publish(relay_pushes[i].event, json_incref(obj), NULL);
		return;
	}
	kc_debug("keycabd sent a line that is no push the screen takes; ignored");
}

/* keycabd's refusal of subscribe, for the screen: its code, params and
 * English, and its text in both languages. */
static json_t *relay_why(json_t *rep)
{
	json_t *why = json_object();
	static const char *const keep[] = { "code", "params", "error", "reason", "text" };

	kiosk_text_add(rep);
	for (size_t i = 0; why && i < KC_ARRAY_SIZE(keep); i++)
		if (json_object_get(rep, keep[i]))
			json_object_set(why, keep[i], json_object_get(rep, keep[i]));
	return why;
}

/* One subscription, until keycabd closes it or the stop: 0 closed,
 * -EAGAIN keycabd refused it (told to the screen), -ESHUTDOWN stopping,
 * other -errno when keycabd could not be asked. */
static int relay_session(struct kc_client *c, bool *refused)
{
	json_t *req = json_pack("{s:s}", "op", "subscribe"), *rep = NULL;
	char err[256];
	int r;

	if (!req)
		return -ENOMEM;
	kiosk_keycabd_add_key(req);
	r = kc_client_call(c, req, &rep, err, sizeof(err));
	kiosk_keycabd_wipe(req);
	json_decref(req);
	if (r < 0)
		return r;
	if (!json_is_true(json_object_get(rep, "ok")) || !json_is_object(json_object_get(rep, "status"))) {
		const char *why = json_string_value(json_object_get(rep, json_object_get(rep, "error") ? "error" : "reason"));

		if (!*refused)
			kc_warn("keycabd refused subscribe (%s): the screen does not follow the cabinet; trying again",
				why ? why : "no reason");
		*refused = true;
		relay_set_state(true, false, relay_why(rep));
		json_decref(rep);
		return -EAGAIN;
	}
	relay_set_state(true, true, NULL);
	if (*refused)
		kc_notice("subscribed to keycabd's live state, after its refusal");
	else
		kc_info("subscribed to keycabd's live state");
	*refused = false;
	relay_said(json_object_get(json_object_get(rep, "status"), "forward"));
	relay_said(json_object_get(json_object_get(rep, "status"), "storage"));
	relay_set_status(json_incref(json_object_get(rep, "status")));
	json_decref(rep);
	for (;;) {
		r = relay_wait(c->fd, -1);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		/* a line, and any more that came with it */
		do {
			if (kc_client_recv(c, &rep, err, sizeof(err)) < 0)
				return 0;
			relay_push(rep);
			json_decref(rep);
			rep = NULL;
		} while (c->len && memchr(c->buf, '\n', c->len));
	}
}

static void *relay_thread(void *arg)
{
	int backoff = RELAY_BACKOFF_MIN_MS;
	bool first = true, refused = false;

	(void)arg;
	for (;;) {
		struct kc_client c;
		int r = kc_client_open(&c, rl.path);

		if (r == 0) {
			r = relay_session(&c, &refused);
			kc_client_close(&c);
			if (r == -ESHUTDOWN)
				break;
			if (r == 0) {
				/* keycabd closed it: once more at once, before
				 * telling the screen it is gone */
				backoff = RELAY_BACKOFF_MIN_MS;
				first = false;
				continue;
			}
		}
		if (r != -EAGAIN) {
			if (first)
				kc_warn("keycabd is not there yet (%s): trying again", strerror(-r));
			relay_set_state(false, false, NULL);
		}
		first = false;
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
	/* until the thread has asked keycabd */
	rl.keycabd = relay_format("keycabd", json_pack("{s:b, s:b}", "up", 0, "following", 0), NULL);
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
	json_decref(rl.status_json);
	rl.status_json = NULL;
	free(rl.kiosk);
	free(rl.keycabd);
	free(rl.why);
	rl.status = rl.kiosk = rl.keycabd = rl.why = NULL;
	pthread_cond_destroy(&rl.cond);
}
