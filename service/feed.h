/* The estate's change feed (schema/audit-012.sql): for each managed
 * cabinet a sequenced list of changes the office made (kc_feed_add), read
 * by the cabinet's long-poll (GET /api/v1/feed, service/http_feed.c) and
 * marked applied or refused when the cabinet's estate.applied /
 * estate.refused event is derived (kc_feed_mark).
 *
 * Waking: kc_feed_add notes its cabinet on the calling thread; when that
 * thread's connection commits, the held polls of the noted cabinets are
 * resumed (a commit in WAL mode calls the connection's WAL hook, after the
 * commit). A rollback forgets the notes. So the caller does nothing but
 * commit its transaction as it always does. */
#ifndef KC_SERVICE_FEED_H
#define KC_SERVICE_FEED_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/db.h"

/* The most changes one poll answers with. */
#define KC_FEED_BATCH 100

/* A cabinet's mode at the office. */
enum kc_feed_mode {
	KC_FEED_STANDALONE,
	KC_FEED_MANAGED,
};
const char *kc_feed_mode_name(enum kc_feed_mode m);
/* -EINVAL for an unknown name. */
int kc_feed_mode_parse(const char *name, enum kc_feed_mode *m);

/* A change's state. */
enum kc_feed_state {
	KC_FEED_PENDING,
	KC_FEED_APPLIED,
	KC_FEED_REFUSED,
};
const char *kc_feed_state_name(enum kc_feed_state s);

/* Appends a change (type, data: a JSON object, not consumed; by: the
 * office account) to cabinet's feed, with the next change number, inside
 * the caller's write transaction (the writers' lock held). The cabinet's
 * held polls are woken once the transaction commits. Returns the change
 * number (> 0), -ENOENT (no such cabinet), -EPERM (a standalone cabinet),
 * -EINVAL (type empty or data not an object) or -EIO. */
int kc_feed_add(struct kc_db *db, const char *cabinet, const char *type, json_t *data, const char *by, int64_t now_ms);

/* 1 managed, 0 standalone, -ENOENT no such cabinet, -EIO. */
int kc_feed_cabinet_managed(struct kc_db *db, const char *cabinet);
/* Sets a cabinet's mode (keyauditd cabinet-mode). 0, -ENOENT, -EIO. */
int kc_feed_cabinet_set_mode(struct kc_db *db, const char *cabinet, enum kc_feed_mode m);

/* A cabinet's feed as the console shows it: *out gets
 *   {"cabinet", "mode", "position" (reported; null before the first poll),
 *    "position_ms", "last" (newest change number, 0 none),
 *    "applied", "pending", "refused" (counts),
 *    "changes": [{"change", "type", "state", "made_ms", "by",
 *                 "applied_ms", "event_seq", "code", "params"}...]}
 * with the changes newest first, at most limit of them (0: none), those
 * below before (0: from the newest) only. 0, -ENOENT, -EIO, -ENOMEM. */
int kc_feed_status(struct kc_db *db, const char *cabinet, int64_t before, int limit, json_t **out);

/* The changes of cabinet after `after`, at most KC_FEED_BATCH, in order:
 * *changes gets a JSON array of {"change", "type", "data", "made", "by"},
 * *last the cabinet's newest change number. 0, -ENOENT, -EPERM
 * (standalone), -EIO, -ENOMEM. */
int kc_feed_read(struct kc_db *db, const char *cabinet, int64_t after, json_t **changes, int64_t *last);
/* Records the position a cabinet reported (its poll's `after`) and when. */
int kc_feed_position(struct kc_db *db, const char *cabinet, int64_t position, int64_t now_ms);

/* The derive of a cabinet's estate.applied (refused false) or
 * estate.refused event: its change marked with the event's time and seq,
 * a refusal with code and params (JSON, may be NULL). A change the feed
 * does not hold (a cabinet's own test, an office database restored) is
 * left alone. 0 or -EIO. */
int kc_feed_mark(struct kc_db *db, const char *cabinet, int64_t change, bool refused, int64_t ts_ms, int64_t seq,
		 const char *code, const json_t *params);

/* A poll's start: 1 when cabinet is managed (its reported position
 * `after` recorded with now_ms when it differs from the one recorded, or
 * that was recorded KC_FEED_POSITION_REWRITE_MS ago: a cabinet's idle
 * polls write once in that time), 0 standalone, -ENOENT, -EIO. */
#define KC_FEED_POSITION_REWRITE_MS (5LL * 60 * 1000)
int kc_feed_poll(struct kc_db *db, const char *cabinet, int64_t after, int64_t now_ms);

/* ---- the held polls (service/http_feed.c registers them) ---- */

/* The newest change's id over all cabinets (0: none): 0 or -EIO. */
int kc_feed_top(struct kc_db *db, int64_t *id);
/* fn(arg, cabinet) for each cabinet with a change of id over since. 0 or
 * -EIO. */
int kc_feed_changed_since(struct kc_db *db, int64_t since, void (*fn)(void *arg, const char *cabinet), void *arg);

/* Called with the cabinets whose feeds changed, after the commit. */
typedef void (*kc_feed_wake_fn)(const char *const *cabinets, size_t n);
/* The function kc_feed_add's commits call (NULL: none). */
void kc_feed_set_waker(kc_feed_wake_fn fn);

#endif
