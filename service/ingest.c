#include "service/ingest.h"

#include <errno.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/event.h"
#include "common/pdata.h"
#include "common/util.h"
#include "service/notify.h"

int kc_cabinet_by_token(struct kc_db *db, const char *token, char *cabinet, size_t len)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT id FROM cabinets WHERE token_hash = ?");
	char hash[65];
	int rc;

	if (!st)
		return -EIO;
	kc_token_hash(token, hash);
	kc_bind_text(st, 1, hash);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		kc_strlcpy(cabinet, (const char *)sqlite3_column_text(st, 0), len);
		sqlite3_reset(st);
		return 0;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? -EACCES : -EIO;
}

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

static int insert_event(struct kc_db *db, const json_t *ev, const char *canon, int64_t ts_ms,
			int64_t now_ms)
{
	sqlite3_stmt *st = kc_db_stmt(db,
		"INSERT INTO events (cabinet, seq, ts_ms, type, actor, person, key, kind, unit, site, slot,"
		" prev, hash, body, received_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	int i = 1;

	if (!st)
		return -EIO;
	kc_bind_json_str(st, i++, ev, "cabinet");
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

/* A refused batch raises an alarm once per cabinet, kind and seq; it is
 * also a notice to the webhooks. Returns 1 when new, 0, or -EIO. */
static int raise_ingest_alarm(struct kc_db *db, const struct kc_audit_config *cfg,
			      const char *cabinet, const char *kind, int64_t seq, const char *message,
			      int64_t now_ms)
{
	sqlite3_stmt *st = kc_db_stmt(db,
		"INSERT OR IGNORE INTO ingest_alarms (cabinet, kind, seq, message, raised_ms) VALUES (?,?,?,?,?)");
	char seqs[24];
	json_t *fields;
	int r;

	if (!st)
		return -EIO;
	kc_bind_text(st, 1, cabinet);
	kc_bind_text(st, 2, kind);
	sqlite3_bind_int64(st, 3, seq);
	kc_bind_text(st, 4, message);
	sqlite3_bind_int64(st, 5, now_ms);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return -EIO;
	}
	sqlite3_reset(st);
	if (sqlite3_changes(db->h) == 0)
		return 0;
	snprintf(seqs, sizeof(seqs), "%lld", (long long)seq);
	fields = json_pack("{s:s, s:s, s:s, s:s}", "cabinet", cabinet, "seq", seqs, "message", message,
			   "kind", kind);
	if (!fields)
		return -ENOMEM;
	/* The notice's own key: a negative seq keeps it apart from events. */
	r = kc_notice_add(db, cfg, KC_NOTICE_INGEST_REFUSED, cabinet, -seq, kind, fields, now_ms);
	json_decref(fields);
	return r < 0 ? r : 1;
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

static int load_head(struct kc_db *db, const char *cabinet, int64_t *seq, char hash[KC_HASH_HEX])
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT last_seq, last_hash FROM cabinets WHERE id = ?");
	int rc;

	if (!st)
		return -EIO;
	kc_bind_text(st, 1, cabinet);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		kc_strlcpy(hash, (const char *)sqlite3_column_text(st, 1), KC_HASH_HEX);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

static int store_head(struct kc_db *db, const char *cabinet, int64_t seq, const char *hash, int64_t now_ms)
{
	sqlite3_stmt *st = kc_db_stmt(db,
		"UPDATE cabinets SET last_seq = ?, last_hash = ?, last_seen_ms = ? WHERE id = ?");

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, seq);
	kc_bind_text(st, 2, hash);
	sqlite3_bind_int64(st, 3, now_ms);
	kc_bind_text(st, 4, cabinet);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return -EIO;
	}
	sqlite3_reset(st);
	return 0;
}

/* Handles one event of the batch. Returns 1 to go on, 0 when refused
 * (res filled), -EIO. */
static int ingest_one(struct kc_db *db, const struct kc_audit_config *cfg, const char *cabinet,
		      const json_t *ev, size_t idx, int64_t *last_seq, char last_hash[KC_HASH_HEX],
		      int64_t now_ms, struct kc_ingest_result *res)
{
	const json_t *jseq = json_object_get(ev, "seq"), *jcab = json_object_get(ev, "cabinet");
	const char *hash = json_string_value(json_object_get(ev, "hash"));
	char err[300];
	char *canon = NULL;
	int64_t seq, ts_ms;
	int r;

	if (!json_is_object(ev) || !json_is_integer(jseq) || json_integer_value(jseq) < 1) {
		fail(res, 400, "invalid", "element %zu of the batch is not an event with an integer \"seq\"", idx);
		return 0;
	}
	seq = json_integer_value(jseq);
	if (!json_is_string(jcab) || strcmp(json_string_value(jcab), cabinet) != 0) {
		fail(res, 403, "cabinet", "event %lld is for cabinet \"%s\", but the token is cabinet \"%s\"'s",
		     (long long)seq, json_is_string(jcab) ? json_string_value(jcab) : "?", cabinet);
		return 0;
	}
	canon = kc_event_canonical(ev);
	if (!canon)
		return -ENOMEM;
	if (seq <= *last_seq) {
		r = same_as_stored(db, cabinet, seq, canon, hash);
		free(canon);
		if (r < 0)
			return r;
		if (r == 0) {
			fail(res, 409, "conflict",
			     "event %lld is already stored with different content: a replay must be identical",
			     (long long)seq);
			r = raise_ingest_alarm(db, cfg, cabinet, "conflict", seq, res->message, now_ms);
			if (r < 0)
				return r;
			res->alarm = r > 0;
			return 0;
		}
		res->duplicates++;
		return 1;
	}
	r = kc_event_check(ev, last_hash, *last_seq + 1, err, sizeof(err));
	if (r < 0) {
		const char *kind = r == -ERANGE ? "gap" : r == -EBADMSG ? "chain_break" : NULL;

		free(canon);
		if (!kind) {
			if (strncmp(err, "event ", 6) == 0)
				fail(res, 400, "invalid", "%s", err);
			else
				fail(res, 400, "invalid", "event %lld: %s", (long long)seq, err);
			return 0;
		}
		fail(res, 409, kind, "%s; nothing from event %lld on was stored", err, (long long)seq);
		r = raise_ingest_alarm(db, cfg, cabinet, kind, seq, res->message, now_ms);
		if (r < 0)
			return r;
		res->alarm = r > 0;
		return 0;
	}
	kc_time_parse(json_string_value(json_object_get(ev, "ts")), &ts_ms);
	r = insert_event(db, ev, canon, ts_ms, now_ms);
	free(canon);
	if (r < 0)
		return r;
	/* An event sealed in the cabinet's chain is stored even when it lacks
	 * a member the report tables need: refusing it would stop the
	 * cabinet's log there for good. Its derived rows are undone and an
	 * alarm names it, so the gap in the reports is visible. */
	r = kc_db_exec(db, "SAVEPOINT derive");
	if (r < 0)
		return r;
	r = kc_derive_event(db, cfg, ev, ts_ms, now_ms);
	if (r == -EINVAL) {
		char msg[300];

		r = kc_db_exec(db, "ROLLBACK TO derive");
		if (r < 0)
			return r;
		snprintf(msg, sizeof(msg),
			 "event %lld (%s) lacks a member the reports need; it is stored in the log "
			 "but left out of the reports",
			 (long long)seq, json_string_value(json_object_get(ev, "type")));
		r = raise_ingest_alarm(db, cfg, cabinet, "underivable", seq, msg, now_ms);
		if (r < 0)
			return r;
		res->alarm = res->alarm || r > 0;
		r = 0;
	}
	if (r < 0)
		return r;
	if (kc_db_exec(db, "RELEASE derive") < 0)
		return -EIO;
	if (r > 0)
		res->notices = true;
	*last_seq = seq;
	kc_strlcpy(last_hash, hash, KC_HASH_HEX);
	res->stored++;
	return 1;
}

int kc_ingest_batch(struct kc_db *db, const struct kc_audit_config *cfg, const char *cabinet,
		    const char *body, size_t len, struct kc_ingest_result *res)
{
	char last_hash[KC_HASH_HEX];
	int64_t last_seq, head_seq, now_ms = kc_wall_ms();
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
	r = load_head(db, cabinet, &last_seq, last_hash);
	if (r < 0)
		goto rollback;
	head_seq = last_seq;
	for (i = 0; i < json_array_size(batch); i++) {
		r = ingest_one(db, cfg, cabinet, json_array_get(batch, i), i, &last_seq, last_hash, now_ms, res);
		if (r < 0)
			goto rollback;
		if (r == 0)
			break;
	}
	if (last_seq != head_seq && store_head(db, cabinet, last_seq, last_hash, now_ms) < 0) {
		r = -EIO;
		goto rollback;
	}
	if (kc_db_commit(db) < 0) {
		r = -EIO;
		goto rollback;
	}
	res->last_seq = last_seq;
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
	if (load_head(db, cabinet, &last_seq, last_hash) == 0)
		res->last_seq = last_seq;
	return 0;
}

int kc_chain_verify(struct kc_db *db, const char *cabinet, int64_t *checked, int64_t *bad_seq,
		    char *message, size_t len)
{
	char prev[KC_HASH_HEX] = KC_GENESIS_HASH, err[300];
	int64_t head, n = 0;
	sqlite3_stmt *st;
	int rc, r = 0;

	r = load_head(db, cabinet, &head, err);
	if (r < 0)
		return r;
	if (sqlite3_prepare_v2(db->h, "SELECT seq, body, hash FROM events WHERE cabinet = ? ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	kc_bind_text(st, 1, cabinet);
	*bad_seq = 0;
	message[0] = '\0';
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		const char *hash = (const char *)sqlite3_column_text(st, 2);
		json_t *ev = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);

		if (!ev) {
			snprintf(message, len, "event %lld: the stored body is not JSON", (long long)seq);
			*bad_seq = seq;
			r = 1;
			break;
		}
		json_object_set_new(ev, "hash", json_string(hash));
		r = kc_event_check(ev, prev, n + 1, err, sizeof(err));
		json_decref(ev);
		if (r < 0) {
			kc_strlcpy(message, err, len);
			*bad_seq = seq;
			r = 1;
			break;
		}
		kc_strlcpy(prev, hash, sizeof(prev));
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = -EIO;
	sqlite3_finalize(st);
	if (r == 0 && n != head) {
		snprintf(message, len, "the cabinet's head is event %lld, but %lld events are stored",
			 (long long)head, (long long)n);
		*bad_seq = n + 1;
		r = 1;
	}
	*checked = n;
	return r;
}
