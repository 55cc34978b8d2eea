/* GET /api/v1/feed: a cabinet's long-poll of its change feed
 * (service/feed.h). A poll with nothing new is held: its connection is
 * suspended (libmicrohttpd's suspend/resume), so it holds no thread, and
 * listed here until one of these resumes it, to be answered by the same
 * handler again:
 *   - a commit of kc_feed_add in this process (feed.c's WAL hook calls
 *     feed_wake with the cabinets it added to);
 *   - a change another process added (keyauditd feed-add): the waker
 *     thread reads PRAGMA data_version every WAKE_TICK_MS and, when the
 *     database changed, the feed's newest id;
 *   - its deadline (the waker thread, within WAKE_TICK_MS);
 *   - the server stopping (http_feed_stop). */
#include "service/http_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/util.h"
#include "service/feed.h"

#define WAKE_TICK_MS 200
#define WAIT_DEFAULT_S 25
#define WAIT_MAX_S 30
/* polls refused over feed_held_max: one log line in this time at most */
#define REFUSAL_LOG_MS 10000

static struct {
	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t tick;
	struct http_feed_hold *head;
	size_t held;
	uint64_t gen; /* counts the wakes: a poll that read the feed before one looks again */
	long refused; /* polls answered 503 since the last log line */
	int64_t refusal_logged_ms;
	bool running, stopping;
	pthread_t thread;
	char db_path[4096];
} H = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* With H.lock held: h off the list, its connection resumed. */
static void hold_resume(struct http_feed_hold *h)
{
	if (h->prev)
		h->prev->next = h->next;
	else
		H.head = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
	h->listed = false;
	H.held--;
	MHD_resume_connection(h->c);
}

static bool name_in(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* The held polls of cabinets (n 0: every one) resumed. */
static void feed_wake(const char *const *cabinets, size_t n)
{
	struct http_feed_hold *h, *next;

	pthread_mutex_lock(&H.lock);
	H.gen++;
	for (h = H.head; h; h = next) {
		next = h->next;
		if (n == 0 || name_in(h->cabinet, cabinets, n))
			hold_resume(h);
	}
	pthread_mutex_unlock(&H.lock);
}

/* ---- the waker thread: deadlines, and changes of other processes ---- */

struct changed {
	const char *names[64];
	char buf[64][KC_NAME_MAX + 1];
	size_t n;
	bool all;
};

static void changed_add(void *arg, const char *cabinet)
{
	struct changed *ch = arg;

	if (ch->n == KC_ARRAY_SIZE(ch->names)) {
		ch->all = true;
		return;
	}
	kc_strlcpy(ch->buf[ch->n], cabinet, sizeof(ch->buf[0]));
	ch->names[ch->n] = ch->buf[ch->n];
	ch->n++;
}

/* What other connections added to the feed since *top: their held polls
 * woken. */
static void look_for_changes(struct kc_db *db, int64_t *version, int64_t *top)
{
	struct changed ch = { .n = 0 };
	int64_t v = 0, t = 0;

	if (kc_db_int(db, &v, "PRAGMA data_version", "") < 0 || v == *version)
		return;
	*version = v;
	if (kc_feed_top(db, &t) < 0 || t <= *top)
		return;
	if (kc_feed_changed_since(db, *top, changed_add, &ch) < 0)
		return;
	*top = t;
	feed_wake(ch.names, ch.all ? 0 : ch.n);
}

static void *waker_main(void *arg)
{
	char err[512];
	struct kc_db *db = kc_db_open(H.db_path, 0, err, sizeof(err));
	int64_t version = -1, top = 0;

	(void)arg;
	if (!db)
		kc_warn("the feed's waker cannot read the database (%s): a change another process adds reaches a"
			" held poll at its deadline only", err);
	else if (kc_feed_top(db, &top) < 0)
		top = 0;
	pthread_mutex_lock(&H.lock);
	while (!H.stopping) {
		int64_t now = kc_mono_ms();
		struct http_feed_hold *h, *next;
		struct timespec ts;

		for (h = H.head; h; h = next) {
			next = h->next;
			if (h->deadline_ms <= now)
				hold_resume(h);
		}
		pthread_mutex_unlock(&H.lock);
		if (db)
			look_for_changes(db, &version, &top);
		pthread_mutex_lock(&H.lock);
		if (H.stopping)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += WAKE_TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&H.tick, &H.lock, &ts);
	}
	pthread_mutex_unlock(&H.lock);
	kc_db_free(db);
	return NULL;
}

int http_feed_start(struct kc_http *s, char *err, size_t errlen)
{
	pthread_condattr_t ca;
	int r;

	kc_strlcpy(H.db_path, s->cfg->db_path, sizeof(H.db_path));
	H.stopping = false;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&H.tick, &ca);
	pthread_condattr_destroy(&ca);
	r = pthread_create(&H.thread, NULL, waker_main, NULL);
	if (r != 0) {
		pthread_cond_destroy(&H.tick);
		snprintf(err, errlen, "cannot start the feed's waker thread: %s", strerror(r));
		return -r;
	}
	H.running = true;
	kc_feed_set_waker(feed_wake);
	return 0;
}

void http_feed_stop(void)
{
	if (!H.running)
		return;
	kc_feed_set_waker(NULL);
	pthread_mutex_lock(&H.lock);
	H.stopping = true;
	while (H.head)
		hold_resume(H.head);
	pthread_cond_signal(&H.tick);
	pthread_mutex_unlock(&H.lock);
	pthread_join(H.thread, NULL);
	pthread_cond_destroy(&H.tick);
	H.running = false;
}

/* ---- the route ---- */

/* The poll's checks: the cabinet's token, after and wait, the cabinet
 * managed (its position recorded). MHD_YES/MHD_NO when it answered, -1
 * to go on with h set. */
static int feed_begin(struct call *k, struct http_feed_hold *h)
{
	const char *auth = MHD_lookup_connection_value(k->c, MHD_HEADER_KIND, "Authorization");
	const char *after = http_request_arg(k->c, "after"), *wait = http_request_arg(k->c, "wait");
	long long a = 0, w = WAIT_DEFAULT_S;
	int r;

	if (!auth || strncmp(auth, "Bearer ", 7) != 0)
		return http_reply_error(k->c, 401, "unauthorized", "an \"Authorization: Bearer <token>\" header is required");
	r = kc_auth_cabinet_by_token(k->db, auth + 7, h->cabinet, sizeof(h->cabinet));
	if (r == -EACCES)
		return http_reply_error(k->c, 401, "unauthorized", "the bearer token is not a registered cabinet's");
	if (r < 0)
		return http_reply_error(k->c, 500, "internal", "database error");
	if (after && kc_parse_long(after, 0, INT32_MAX, &a) < 0)
		return http_reply_error(k->c, 400, "bad_parameter", "after: the cabinet's position, a whole number from 0");
	if (wait && kc_parse_long(wait, 0, WAIT_MAX_S, &w) < 0)
		return http_reply_error(k->c, 400, "bad_parameter", "wait: seconds from 0 to 30");
	if (w > k->s->cfg->feed_wait_max_s)
		w = k->s->cfg->feed_wait_max_s;
	r = kc_feed_poll(k->db, h->cabinet, a, kc_wall_ms());
	if (r == 0)
		return http_reply_error(k->c, 409, "cabinet_standalone",
					"the office registered this cabinet standalone: it has no feed");
	if (r < 0) {
		kc_err("feed of cabinet %s: database error: %s", h->cabinet, sqlite3_errmsg(k->db->h));
		return http_reply_error(k->c, 500, "internal", "database error");
	}
	h->c = k->c;
	h->after = a;
	h->deadline_ms = kc_mono_ms() + w * 1000;
	h->begun = true;
	return -1;
}

static enum MHD_Result feed_answer(struct call *k, const struct http_feed_hold *h, json_t *changes, int64_t last)
{
	return http_reply_json(k->c, 200, json_pack("{s:b, s:s, s:o, s:I}", "ok", 1, "cabinet", h->cabinet, "changes",
						    changes, "last", (json_int_t)last));
}

enum MHD_Result http_api_feed(struct call *k)
{
	struct http_feed_hold *h = &k->rq->feed;

	if (!h->begun) {
		int b = feed_begin(k, h);

		if (b >= 0)
			return (enum MHD_Result)b;
	}
	for (;;) {
		json_t *changes = NULL;
		int64_t last = 0;
		uint64_t gen;
		bool stopping;
		int r;

		pthread_mutex_lock(&H.lock);
		gen = H.gen;
		stopping = H.stopping || !H.running;
		pthread_mutex_unlock(&H.lock);
		r = kc_feed_read(k->db, h->cabinet, h->after, &changes, &last);
		if (r == -EPERM)
			return http_reply_error(k->c, 409, "cabinet_standalone",
						"the office registered this cabinet standalone: it has no feed");
		if (r < 0) {
			kc_err("feed of cabinet %s: database error: %s", h->cabinet, sqlite3_errmsg(k->db->h));
			return http_reply_error(k->c, 500, "internal", "database error");
		}
		if (json_array_size(changes) || stopping || kc_mono_ms() >= h->deadline_ms)
			return feed_answer(k, h, changes, last);
		json_decref(changes);
		pthread_mutex_lock(&H.lock);
		if (H.gen != gen || H.stopping) {
			pthread_mutex_unlock(&H.lock);
			continue; /* woken while it read: read again */
		}
		if (H.held >= (size_t)k->s->cfg->feed_held_max) {
			int64_t now = kc_mono_ms();
			long n = ++H.refused;
			bool tell = now - H.refusal_logged_ms >= REFUSAL_LOG_MS;

			if (tell) {
				H.refusal_logged_ms = now;
				H.refused = 0;
			}
			pthread_mutex_unlock(&H.lock);
			if (tell)
				kc_warn("%ld feed poll(s) answered 503: %d held already ([estate] feed_held_max)", n,
					k->s->cfg->feed_held_max);
			return http_reply_closing(k->c, 503, "busy", "too many feed polls held; try again later");
		}
		h->prev = NULL;
		h->next = H.head;
		if (H.head)
			H.head->prev = h;
		H.head = h;
		h->listed = true;
		H.held++;
		MHD_suspend_connection(k->c);
		pthread_mutex_unlock(&H.lock);
		return MHD_YES;
	}
}
