#include "service/ingest.h"

#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/event.h"
#include "common/msg.h"
#include "common/util.h"
#include "service/cabinet_watch.h"
#include "service/chain.h"
#include "service/derive.h"
#include "service/notice_facts.h"
#include "service/notice_add.h"

static void fail(struct kc_ingest_result *res, int status, const char *error, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void fail(struct kc_ingest_result *res, int status, const char *error, const char *fmt, ...)
{
	va_list ap;

	res->status = status;
	res->error = error;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

static const char *const col_members[] = { "actor", "person", "key", "kind", "unit", "site", "slot" };

int kc_ingest_insert(struct kc_db *db, const char *key, const json_t *ev, const char *canon, int64_t ts_ms,
		     int64_t now_ms)
{
	sqlite3_stmt *st = kc_db_stmt(db,
		"INSERT INTO events (cabinet, seq, ts_ms, type, actor, person, key, kind, unit, site, slot,"
		" prev, hash, body, received_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	int i = 1;

	if (!st)
		return -EIO;
	kc_bind_text(st, i++, key);
	kc_bind_json_str(st, i++, ev, "seq");
	sqlite3_bind_int64(st, i++, ts_ms);
	kc_bind_json_str(st, i++, ev, "type");
	for (size_t m = 0; m < KC_ARRAY_SIZE(col_members); m++)
		kc_bind_json_str(st, i++, ev, col_members[m]);
	kc_bind_json_str(st, i++, ev, "prev");
	kc_bind_json_str(st, i++, ev, "hash");
	sqlite3_bind_text(st, i++, canon, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, i++, now_ms);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return -EIO;
	}
	sqlite3_reset(st);
	return 0;
}

/* An ingest alarm: at most one open per cabinet and kind; a repeat while
 * it is open is counted on it. A new one is also a notice to the
 * webhooks. Returns 1 when new, 0 when counted as a repeat, or -EIO. */
static int raise_ingest_alarm(struct kc_db *db, const struct kc_audit_config *cfg,
			      const char *cabinet, const char *kind, int64_t seq, const char *message,
			      int64_t now_ms)
{
	sqlite3_stmt *st = kc_db_stmt(db,
		"UPDATE ingest_alarms SET repeats = repeats + 1, last_seq = ?, last_ms = ?"
		" WHERE cabinet = ? AND kind = ? AND cleared_ms IS NULL");
	char seqs[24];
	json_t *fields;
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_int64(st, 2, now_ms);
	kc_bind_text(st, 3, cabinet);
	kc_bind_text(st, 4, kind);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return -EIO;
	if (sqlite3_changes(db->h) > 0)
		return 0;
	st = kc_db_stmt(db, "INSERT INTO ingest_alarms (cabinet, kind, seq, message, raised_ms, last_seq, last_ms)"
			    " VALUES (?,?,?,?,?,?,?)");
	if (!st)
		return -EIO;
	kc_bind_text(st, 1, cabinet);
	kc_bind_text(st, 2, kind);
	sqlite3_bind_int64(st, 3, seq);
	kc_bind_text(st, 4, message);
	sqlite3_bind_int64(st, 5, now_ms);
	sqlite3_bind_int64(st, 6, seq);
	sqlite3_bind_int64(st, 7, now_ms);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return -EIO;
	snprintf(seqs, sizeof(seqs), "%lld", (long long)seq);
	fields = kc_notice_cabinet_fields(db, cabinet, now_ms);
	if (!fields || json_object_set_new(fields, "seq", json_string(seqs)) < 0 ||
	    json_object_set_new(fields, "message", json_string(message)) < 0 ||
	    json_object_set_new(fields, "kind", json_string(kind)) < 0) {
		json_decref(fields);
		return -ENOMEM;
	}
	/* The notice's own key: the alarm's negative id keeps it apart from
	 * events and from the cabinet's other alarms. */
	r = kc_notice_add(db, cfg, KC_NOTICE_INGEST_REFUSED, cabinet, -sqlite3_last_insert_rowid(db->h), kind,
			  fields, now_ms);
	json_decref(fields);
	return r < 0 ? r : 1;
}

/* The cabinet's events are stored again: its gap, chain break and
 * conflict alarms are over. */
static int clear_link_alarms(struct kc_db *db, const char *cabinet, int64_t now_ms)
{
	sqlite3_stmt *st = kc_db_stmt(db,
		"UPDATE ingest_alarms SET cleared_ms = ? WHERE cabinet = ? AND cleared_ms IS NULL"
		" AND kind IN ('gap', 'chain_break', 'conflict')");
	int r;

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, now_ms);
	kc_bind_text(st, 2, cabinet);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : -EIO;
}

/* Compares a replayed event with the stored one. 1 same, 0 differs, -EIO. */
static int same_as_stored(struct kc_db *db, const char *cabinet, int64_t seq, const char *canon,
			  const char *hash)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT body, hash FROM events WHERE cabinet = ? AND seq = ?");
	int rc, same = 0;

	if (!st)
		return -EIO;
	kc_bind_text(st, 1, cabinet);
	sqlite3_bind_int64(st, 2, seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		same = strcmp((const char *)sqlite3_column_text(st, 0), canon) == 0 &&
		       hash && strcmp((const char *)sqlite3_column_text(st, 1), hash) == 0;
	else if (rc != SQLITE_DONE)
		same = -EIO;
	sqlite3_reset(st);
	return same;
}


/* Refuses an event whose chain does not fit (r from kc_event_check).
 * Returns 0 (res filled) or -EIO. */
static int refuse_chain(struct kc_db *db, const struct kc_audit_config *cfg, const struct kc_chain *ch, int r,
			int64_t seq, const char *err, int64_t now_ms, struct kc_ingest_result *res)
{
	const char *kind = r == -ERANGE ? "gap" : r == -EBADMSG ? "chain_break" : NULL;

	if (!kind) {
		if (strncmp(err, "event ", 6) == 0)
			fail(res, 400, "invalid", "%s", err);
		else
			fail(res, 400, "invalid", "event %lld: %s", (long long)seq, err);
		return 0;
	}
	fail(res, 409, kind, "%s; nothing from event %lld on was stored", err, (long long)seq);
	r = raise_ingest_alarm(db, cfg, ch->cabinet, kind, seq, res->message, now_ms);
	if (r < 0)
		return r;
	res->alarm = res->alarm || r > 0;
	return 0;
}

static int refuse_conflict(struct kc_db *db, const struct kc_audit_config *cfg, const struct kc_chain *ch,
			   int64_t seq, int64_t now_ms, struct kc_ingest_result *res)
{
	int r;

	fail(res, 409, "conflict",
	     "event %lld is already stored with different content: a replay must be identical", (long long)seq);
	r = raise_ingest_alarm(db, cfg, ch->cabinet, "conflict", seq, res->message, now_ms);
	if (r < 0)
		return r;
	res->alarm = res->alarm || r > 0;
	return 0;
}

/* Stores a checked event under the chain's key and derives the report
 * rows (under the same key). Returns 0 or -errno. */
static int store_event(struct kc_db *db, const struct kc_audit_config *cfg, struct kc_chain *ch, const json_t *ev,
		       const char *canon, int64_t now_ms, struct kc_ingest_result *res)
{
	int64_t seq = json_integer_value(json_object_get(ev, "seq")), ts_ms = 0;
	int r;

	kc_time_parse(json_string_value(json_object_get(ev, "ts")), &ts_ms);
	r = kc_ingest_insert(db, ch->key, ev, canon, ts_ms, now_ms);
	if (r < 0)
		return r;
	if (!ch->cleared) {
		r = clear_link_alarms(db, ch->cabinet, now_ms);
		if (r < 0)
			return r;
		ch->cleared = true;
	}
	/* An event sealed in the cabinet's chain is stored even when it lacks
	 * a member the report tables need: refusing it would stop the
	 * cabinet's log there for good. Its derived rows are undone and an
	 * alarm names it, so the gap in the reports is visible. */
	r = kc_derive_stored(db, cfg, ch->key, ev, ts_ms, now_ms);
	if (r == -EINVAL) {
		/* in English from the catalogue's sentence, which the
		 * console and the notices render in the reader's language */
		json_t *m = kc_msg_new(KCM_ingest_underivable, "{s:I, s:s}", "seq", (json_int_t)seq, "event_type",
				       json_string_value(json_object_get(ev, "type")) ?: "?");
		char msg[300];

		if (!m || kc_msg_render(m, KC_LANG_EN, msg, sizeof(msg)) < 0) {
			json_decref(m);
			return -ENOMEM;
		}
		json_decref(m);
		r = raise_ingest_alarm(db, cfg, ch->cabinet, "underivable", seq, msg, now_ms);
		if (r < 0)
			return r;
		res->alarm = res->alarm || r > 0;
		r = 0;
	}
	if (r < 0)
		return r;
	if (r > 0)
		res->notices = true;
	ch->seq = seq;
	kc_strlcpy(ch->hash, json_string_value(json_object_get(ev, "hash")), KC_HASH_HEX);
	ch->changed = true;
	res->stored++;
	return 0;
}

/* An event the previous epoch holds already, identical: 1 (a duplicate),
 * 0 (not there or different), -EIO. */
static int in_previous_epoch(struct kc_db *db, const struct kc_chain *ch, int64_t seq, const char *canon,
			     const char *hash)
{
	if (!ch->prev_key[0] || seq > ch->prev_last)
		return 0;
	return same_as_stored(db, ch->prev_key, seq, canon, hash);
}

/* Handles one event of the batch. Returns 1 to go on, 0 when refused
 * (res filled), -EIO. */
static int ingest_one(struct kc_db *db, const struct kc_audit_config *cfg, struct kc_chain *ch, const json_t *ev,
		      size_t idx, int64_t now_ms, struct kc_ingest_result *res)
{
	const json_t *jseq = json_object_get(ev, "seq"), *jcab = json_object_get(ev, "cabinet");
	const char *hash = json_string_value(json_object_get(ev, "hash"));
	char err[300];
	char *canon = NULL;
	int64_t seq;
	int r;

	if (!json_is_object(ev) || !json_is_integer(jseq) || json_integer_value(jseq) < 1) {
		fail(res, 400, "invalid", "element %zu of the batch is not an event with an integer \"seq\"", idx);
		return 0;
	}
	seq = json_integer_value(jseq);
	if (!json_is_string(jcab) || strcmp(json_string_value(jcab), ch->cabinet) != 0) {
		fail(res, 403, "cabinet", "event %lld is for cabinet \"%s\", but the token is cabinet \"%s\"'s",
		     (long long)seq, json_is_string(jcab) ? json_string_value(jcab) : "?", ch->cabinet);
		return 0;
	}
	canon = kc_event_canonical(ev);
	if (!canon)
		return -ENOMEM;
	if (ch->anchor_seq == 0 || seq < ch->anchor_seq) {
		/* before this epoch's chain: the previous epoch's events */
		r = in_previous_epoch(db, ch, seq, canon, hash);
		if (r != 0 || ch->anchor_seq != 0) {
			free(canon);
			if (r < 0)
				return r;
			if (r == 0)
				return refuse_conflict(db, cfg, ch, seq, now_ms, res);
			res->duplicates++;
			return 1;
		}
		/* the first new event anchors the new epoch where it stands */
		r = kc_event_check(ev, json_string_value(json_object_get(ev, "prev")) ?
					       json_string_value(json_object_get(ev, "prev")) : "",
				   seq, err, sizeof(err));
		if (r == 0) {
			ch->anchor_seq = seq;
			kc_strlcpy(ch->anchor_prev, json_string_value(json_object_get(ev, "prev")), KC_HASH_HEX);
		}
	} else if (seq <= ch->seq) {
		r = same_as_stored(db, ch->key, seq, canon, hash);
		free(canon);
		if (r < 0)
			return r;
		if (r == 0)
			return refuse_conflict(db, cfg, ch, seq, now_ms, res);
		res->duplicates++;
		return 1;
	} else {
		r = kc_event_check(ev, ch->hash, ch->seq + 1, err, sizeof(err));
	}
	if (r < 0) {
		free(canon);
		return refuse_chain(db, cfg, ch, r, seq, err, now_ms, res);
	}
	r = store_event(db, cfg, ch, ev, canon, now_ms, res);
	free(canon);
	return r < 0 ? r : 1;
}

int kc_ingest_batch(struct kc_db *db, const struct kc_audit_config *cfg, const char *cabinet,
		    const char *body, size_t len, struct kc_ingest_result *res)
{
	int64_t now_ms = kc_wall_ms(), batch_last = 0;
	struct kc_chain ch;
	json_error_t jerr;
	json_t *batch;
	size_t i;
	int r = 0;

	memset(res, 0, sizeof(*res));
	res->status = 200;
	batch = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!batch) {
		fail(res, 400, "malformed", "malformed JSON at line %d, column %d: %s", jerr.line,
		     jerr.column, jerr.text);
		goto head;
	}
	if (!json_is_array(batch)) {
		fail(res, 400, "malformed", "the body must be a JSON array of events");
		goto head;
	}
	kc_db_write_lock();
	if (kc_db_begin(db) < 0) {
		r = -EIO;
		goto unlock;
	}
	r = kc_chain_load(db, cabinet, &ch);
	if (r < 0)
		goto rollback;
	r = kc_cabinet_contact(db, cfg, cabinet, now_ms);
	if (r < 0)
		goto rollback;
	res->notices = r > 0;
	for (i = 0; i < json_array_size(batch); i++) {
		r = ingest_one(db, cfg, &ch, json_array_get(batch, i), i, now_ms, res);
		if (r < 0)
			goto rollback;
		if (r == 0)
			break;
		batch_last = json_integer_value(json_object_get(json_array_get(batch, i), "seq"));
	}
	if (ch.changed && kc_chain_store_head(db, &ch, now_ms) < 0) {
		r = -EIO;
		goto rollback;
	}
	if (kc_db_commit(db) < 0) {
		r = -EIO;
		goto rollback;
	}
	/* Stored: up to the batch's last event. Refused: the head, so the
	 * cabinet learns where its chain stands here. */
	res->last_seq = res->status == 200 && batch_last > 0 ? batch_last : ch.seq;
	r = 0;
	goto unlock;
rollback:
	kc_db_rollback(db);
	memset(res, 0, sizeof(*res));
unlock:
	kc_db_write_unlock();
	json_decref(batch);
	return r;
head:
	/* Nothing stored; the cabinet still learns where its chain stands. */
	json_decref(batch);
	if (kc_chain_load(db, cabinet, &ch) == 0)
		res->last_seq = ch.seq;
	return 0;
}
