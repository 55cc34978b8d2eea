/* The estate's change feed (feed.h): changes appended in the office's
 * transactions, read by the cabinets' polls, marked by the derive of the
 * cabinets' estate.applied / estate.refused events; the waking of held
 * polls after a commit (the connection's WAL hook). */
#include "service/feed.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/auth.h"
#include "service/store.h"

static const char *const mode_names[] = { [KC_FEED_STANDALONE] = "standalone", [KC_FEED_MANAGED] = "managed" };
static const char *const state_names[] = { [KC_FEED_PENDING] = "pending",
					   [KC_FEED_APPLIED] = "applied",
					   [KC_FEED_REFUSED] = "refused" };

const char *kc_feed_mode_name(enum kc_feed_mode m)
{
	return (unsigned)m < KC_ARRAY_SIZE(mode_names) ? mode_names[m] : "?";
}

int kc_feed_mode_parse(const char *name, enum kc_feed_mode *m)
{
	for (size_t i = 0; i < KC_ARRAY_SIZE(mode_names); i++)
		if (name && strcmp(name, mode_names[i]) == 0) {
			*m = (enum kc_feed_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *kc_feed_state_name(enum kc_feed_state s)
{
	return (unsigned)s < KC_ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

/* ---- waking after the commit ---- */

/* The cabinets this thread's open transaction added changes for. */
#define WAKE_MAX 64
static _Thread_local struct {
	char cabinet[WAKE_MAX][KC_NAME_MAX + 1];
	size_t n;
	bool all; /* more than WAKE_MAX: wake every held poll */
} pending;

static _Atomic(kc_feed_wake_fn) waker;

void kc_feed_set_waker(kc_feed_wake_fn fn)
{
	atomic_store(&waker, fn);
}

static void pending_note(const char *cabinet)
{
	for (size_t i = 0; i < pending.n; i++)
		if (strcmp(pending.cabinet[i], cabinet) == 0)
			return;
	if (pending.n == WAKE_MAX) {
		pending.all = true;
		return;
	}
	kc_strlcpy(pending.cabinet[pending.n++], cabinet, sizeof(pending.cabinet[0]));
}

/* After a commit on a connection kc_feed_add used: the default
 * checkpoint (which this hook replaces), then the noted cabinets woken. */
static int feed_wal_hook(void *arg, sqlite3 *h, const char *name, int pages)
{
	const char *list[WAKE_MAX];
	kc_feed_wake_fn fn = atomic_load(&waker);

	(void)arg;
	if (pages >= 1000)
		sqlite3_wal_checkpoint(h, name);
	if (pending.n == 0 && !pending.all)
		return SQLITE_OK;
	for (size_t i = 0; i < pending.n; i++)
		list[i] = pending.cabinet[i];
	if (fn)
		fn(list, pending.all ? 0 : pending.n);
	pending.n = 0;
	pending.all = false;
	return SQLITE_OK;
}

static void feed_rollback_hook(void *arg)
{
	(void)arg;
	pending.n = 0;
	pending.all = false;
}

/* ---- the feed ---- */

int kc_feed_cabinet_managed(struct kc_db *db, const char *cabinet)
{
	int64_t managed = 0;
	int r = kc_db_int(db, &managed, "SELECT mode = 'managed' FROM cabinets WHERE id = ?", "s", cabinet);

	return r < 0 ? r : (int)managed;
}

int kc_feed_cabinet_set_mode(struct kc_db *db, const char *cabinet, enum kc_feed_mode m)
{
	int r = kc_db_x(db, "UPDATE cabinets SET mode = ? WHERE id = ? AND id NOT LIKE '@%'", "ss",
			kc_feed_mode_name(m), cabinet);

	if (r < 0)
		return -EIO;
	return sqlite3_changes(db->h) == 1 ? 0 : -ENOENT;
}

int kc_feed_add(struct kc_db *db, const char *cabinet, const char *type, json_t *data, const char *by, int64_t now_ms)
{
	int64_t last = 0;
	char *text;
	int r;

	if (!type || !type[0] || !json_is_object(data) || !by || strlen(cabinet) > KC_NAME_MAX)
		return -EINVAL;
	r = kc_feed_cabinet_managed(db, cabinet);
	if (r <= 0)
		return r == 0 ? -EPERM : r;
	if (kc_db_int(db, &last, "SELECT coalesce(max(change), 0) FROM feed WHERE cabinet = ?", "s", cabinet) < 0)
		return -EIO;
	text = json_dumps(data, JSON_COMPACT);
	if (!text)
		return -ENOMEM;
	r = kc_db_x(db,
		    "INSERT INTO feed (cabinet, change, type, data, made_ms, made_by) VALUES (?, ?, ?, ?, ?, ?)",
		    "sIssIs", cabinet, last + 1, type, text, now_ms, by);
	free(text);
	if (r < 0)
		return -EIO;
	sqlite3_wal_hook(db->h, feed_wal_hook, NULL);
	sqlite3_rollback_hook(db->h, feed_rollback_hook, NULL);
	pending_note(cabinet);
	return (int)(last + 1);
}

/* A stored JSON text as a value (null when empty or unreadable). */
static json_t *feed_json(sqlite3_stmt *st, int col)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	json_t *v = t ? json_loads(t, 0, NULL) : NULL;

	return v ? v : json_null();
}

int kc_feed_read(struct kc_db *db, const char *cabinet, int64_t after, json_t **changes, int64_t *last)
{
	sqlite3_stmt *st;
	json_t *list;
	int r = kc_feed_cabinet_managed(db, cabinet);

	if (r <= 0)
		return r == 0 ? -EPERM : r;
	if (kc_db_int(db, last, "SELECT coalesce(max(change), 0) FROM feed WHERE cabinet = ?", "s", cabinet) < 0)
		return -EIO;
	st = kc_db_q(db,
		     "SELECT change, type, data, made_ms, made_by FROM feed WHERE cabinet = ? AND change > ?"
		     " ORDER BY change LIMIT ?",
		     "sIi", cabinet, after, KC_FEED_BATCH);
	if (!st)
		return -EIO;
	list = json_array();
	while (list && (r = kc_db_row(st)) == 0) {
		char made[KC_TIME_LEN];

		kc_time_format(sqlite3_column_int64(st, 3), made, sizeof(made));
		if (json_array_append_new(list, json_pack("{s:I, s:s, s:o, s:s, s:s}", "change",
							  (json_int_t)sqlite3_column_int64(st, 0), "type",
							  (const char *)sqlite3_column_text(st, 1), "data",
							  feed_json(st, 2), "made", made, "by",
							  (const char *)sqlite3_column_text(st, 4))) < 0)
			r = -ENOMEM;
	}
	if (!list || r != -ENOENT) {
		sqlite3_reset(st);
		json_decref(list);
		return list ? (r == -ENOMEM ? r : -EIO) : -ENOMEM;
	}
	*changes = list;
	return 0;
}

int kc_feed_position(struct kc_db *db, const char *cabinet, int64_t position, int64_t now_ms)
{
	return kc_db_x(db, "UPDATE cabinets SET feed_position = ?, feed_position_ms = ? WHERE id = ?", "IIs",
		       position, now_ms, cabinet) < 0 ? -EIO : 0;
}

int kc_feed_mark(struct kc_db *db, const char *cabinet, int64_t change, bool refused, int64_t ts_ms, int64_t seq,
		 const char *code, const json_t *params)
{
	char *p = params && !json_is_null(params) ? json_dumps(params, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	int r = kc_db_x(db,
			"UPDATE feed SET state = ?, applied_ms = ?, event_seq = ?, code = ?, params = ?"
			" WHERE cabinet = ? AND change = ?",
			"sIIsssI", kc_feed_state_name(refused ? KC_FEED_REFUSED : KC_FEED_APPLIED), ts_ms, seq,
			refused ? code : NULL, refused ? p : NULL, cabinet, change);

	free(p);
	return r < 0 ? -EIO : 0;
}

/* The mode, reported position and counts of one cabinet, into o. */
static int status_head(struct kc_db *db, const char *cabinet, json_t *o)
{
	sqlite3_stmt *st = kc_db_q(db,
				   "SELECT mode, feed_position, feed_position_ms,"
				   " (SELECT coalesce(max(change), 0) FROM feed WHERE cabinet = c.id),"
				   " (SELECT count(*) FROM feed WHERE cabinet = c.id AND state = 'applied'),"
				   " (SELECT count(*) FROM feed WHERE cabinet = c.id AND state = 'pending'),"
				   " (SELECT count(*) FROM feed WHERE cabinet = c.id AND state = 'refused')"
				   " FROM cabinets c WHERE id = ? AND id NOT LIKE '@%'",
				   "s", cabinet);
	int r;

	if (!st)
		return -EIO;
	r = kc_db_row(st);
	if (r < 0)
		return r;
	r = json_object_update_new(o, json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I}", "cabinet", cabinet,
						 "mode", (const char *)sqlite3_column_text(st, 0), "position",
						 kc_column_json(st, 1), "position_ms", kc_column_json(st, 2), "last",
						 (json_int_t)sqlite3_column_int64(st, 3), "applied",
						 (json_int_t)sqlite3_column_int64(st, 4), "pending",
						 (json_int_t)sqlite3_column_int64(st, 5), "refused",
						 (json_int_t)sqlite3_column_int64(st, 6)));
	sqlite3_reset(st);
	return r < 0 ? -ENOMEM : 0;
}

int kc_feed_status(struct kc_db *db, const char *cabinet, int64_t before, int limit, json_t **out)
{
	json_t *o = json_object(), *rows = json_array();
	sqlite3_stmt *st;
	int r;

	if (!o || !rows || json_object_set(o, "changes", rows) < 0) {
		r = -ENOMEM;
		goto fail;
	}
	r = status_head(db, cabinet, o);
	if (r < 0)
		goto fail;
	st = kc_db_q(db,
		     "SELECT change, type, state, made_ms, made_by, applied_ms, event_seq, code, params FROM feed"
		     " WHERE cabinet = ? AND (? = 0 OR change < ?) ORDER BY change DESC LIMIT ?",
		     "sIIi", cabinet, before, before, limit);
	if (!st) {
		r = -EIO;
		goto fail;
	}
	while ((r = kc_db_row(st)) == 0)
		if (json_array_append_new(
			    rows, json_pack("{s:I, s:s, s:s, s:I, s:s, s:o, s:o, s:o, s:o}", "change",
					    (json_int_t)sqlite3_column_int64(st, 0), "type",
					    (const char *)sqlite3_column_text(st, 1), "state",
					    (const char *)sqlite3_column_text(st, 2), "made_ms",
					    (json_int_t)sqlite3_column_int64(st, 3), "by",
					    (const char *)sqlite3_column_text(st, 4), "applied_ms", kc_column_json(st, 5),
					    "event_seq", kc_column_json(st, 6), "code", kc_column_json(st, 7), "params",
					    feed_json(st, 8))) < 0) {
			sqlite3_reset(st);
			r = -ENOMEM;
			break;
		}
	if (r != -ENOENT)
		goto fail;
	json_decref(rows);
	*out = o;
	return 0;
fail:
	json_decref(rows);
	json_decref(o);
	return r;
}

int kc_feed_poll(struct kc_db *db, const char *cabinet, int64_t after, int64_t now_ms)
{
	sqlite3_stmt *st = kc_db_q(db, "SELECT mode = 'managed', feed_position IS ? AND feed_position_ms > ? FROM cabinets"
				   " WHERE id = ?", "IIs", after, now_ms - KC_FEED_POSITION_REWRITE_MS, cabinet);
	int r, managed, fresh;

	if (!st)
		return -EIO;
	r = kc_db_row(st);
	if (r < 0)
		return r;
	managed = sqlite3_column_int(st, 0);
	fresh = sqlite3_column_int(st, 1);
	sqlite3_reset(st);
	if (!managed || fresh)
		return managed;
	r = kc_db_write_begin(db);
	if (r == 0)
		r = kc_db_write_end(db, kc_feed_position(db, cabinet, after, now_ms));
	return r < 0 ? r : 1;
}

int kc_feed_top(struct kc_db *db, int64_t *id)
{
	return kc_db_int(db, id, "SELECT coalesce(max(id), 0) FROM feed", "") < 0 ? -EIO : 0;
}

int kc_feed_changed_since(struct kc_db *db, int64_t since, void (*fn)(void *arg, const char *cabinet), void *arg)
{
	sqlite3_stmt *st = kc_db_q(db, "SELECT DISTINCT cabinet FROM feed WHERE id > ?", "I", since);
	int r;

	if (!st)
		return -EIO;
	while ((r = kc_db_row(st)) == 0)
		fn(arg, (const char *)sqlite3_column_text(st, 0));
	return r == -ENOENT ? 0 : -EIO;
}
