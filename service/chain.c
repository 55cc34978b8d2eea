/* A cabinet's hash chains at the service: the keys its epochs are stored
 * under, the head, new epochs and re-verification of what is stored. */
#include "service/chain.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/event.h"
#include "common/util.h"

void kc_chain_key(const char *cabinet, int64_t epoch, char *out, size_t len)
{
	if (epoch <= 1)
		kc_strlcpy(out, cabinet, len);
	else
		snprintf(out, len, "%s~%lld", cabinet, (long long)epoch);
}

bool kc_chain_key_of(const char *key, const char *cabinet)
{
	size_t n = strlen(cabinet);
	const char *p;

	if (!key || strncmp(key, cabinet, n) != 0)
		return false;
	if (key[n] == '\0')
		return true;
	if (key[n] != '~' || !key[n + 1])
		return false;
	for (p = key + n + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

int kc_chain_load(struct kc_db *db, const char *cabinet, struct kc_chain *ch)
{
	sqlite3_stmt *st = kc_db_stmt(db,
		"SELECT last_seq, last_hash, epoch, coalesce(anchor_seq, 0), anchor_prev FROM cabinets WHERE id = ?");
	int rc;

	if (!st)
		return -EIO;
	memset(ch, 0, sizeof(*ch));
	ch->cabinet = cabinet;
	kc_bind_text(st, 1, cabinet);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		ch->seq = sqlite3_column_int64(st, 0);
		kc_strlcpy(ch->hash, (const char *)sqlite3_column_text(st, 1), KC_HASH_HEX);
		ch->epoch = sqlite3_column_int64(st, 2);
		ch->anchor_seq = sqlite3_column_int64(st, 3);
		kc_strlcpy(ch->anchor_prev, (const char *)sqlite3_column_text(st, 4), KC_HASH_HEX);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? -ENOENT : -EIO;
	kc_chain_key(cabinet, ch->epoch, ch->key, sizeof(ch->key));
	if (ch->epoch <= 1)
		return 0;
	st = kc_db_stmt(db, "SELECT chain, last_seq FROM chain_epochs WHERE cabinet = ? AND epoch = ?");
	if (!st)
		return -EIO;
	kc_bind_text(st, 1, cabinet);
	sqlite3_bind_int64(st, 2, ch->epoch - 1);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		kc_strlcpy(ch->prev_key, (const char *)sqlite3_column_text(st, 0), sizeof(ch->prev_key));
		ch->prev_last = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

int kc_chain_store_head(struct kc_db *db, const struct kc_chain *ch, int64_t now_ms)
{
	sqlite3_stmt *st = kc_db_stmt(db,
		"UPDATE cabinets SET last_seq = ?, last_hash = ?, last_seen_ms = ?, anchor_seq = ?, anchor_prev = ?"
		" WHERE id = ?");

	if (!st)
		return -EIO;
	sqlite3_bind_int64(st, 1, ch->seq);
	kc_bind_text(st, 2, ch->hash);
	sqlite3_bind_int64(st, 3, now_ms);
	sqlite3_bind_int64(st, 4, ch->anchor_seq);
	kc_bind_text(st, 5, ch->anchor_prev);
	kc_bind_text(st, 6, ch->cabinet);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return -EIO;
	}
	sqlite3_reset(st);
	return 0;
}

int kc_chain_new_epoch(struct kc_db *db, const char *cabinet, int64_t *epoch)
{
	sqlite3_stmt *st;
	struct kc_chain ch;
	int r;

	kc_db_write_lock();
	r = kc_db_begin(db);
	if (r < 0)
		goto unlock;
	r = kc_chain_load(db, cabinet, &ch);
	if (r == 0 && ch.anchor_seq == 0)
		r = -EALREADY;
	if (r < 0)
		goto rollback;
	r = -EIO;
	st = kc_db_stmt(db, "INSERT INTO chain_epochs (cabinet, epoch, chain, anchor_seq, anchor_prev, last_seq,"
			    " last_hash, ended_ms) VALUES (?,?,?,?,?,?,?,?)");
	if (!st)
		goto rollback;
	kc_bind_text(st, 1, cabinet);
	sqlite3_bind_int64(st, 2, ch.epoch);
	kc_bind_text(st, 3, ch.key);
	sqlite3_bind_int64(st, 4, ch.anchor_seq);
	kc_bind_text(st, 5, ch.anchor_prev);
	sqlite3_bind_int64(st, 6, ch.seq);
	kc_bind_text(st, 7, ch.hash);
	sqlite3_bind_int64(st, 8, kc_wall_ms());
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		goto rollback;
	}
	sqlite3_reset(st);
	st = kc_db_stmt(db, "UPDATE cabinets SET epoch = epoch + 1, anchor_seq = NULL, anchor_prev = ?,"
			    " last_seq = 0, last_hash = ? WHERE id = ?");
	if (!st)
		goto rollback;
	kc_bind_text(st, 1, KC_GENESIS_HASH);
	kc_bind_text(st, 2, KC_GENESIS_HASH);
	kc_bind_text(st, 3, cabinet);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_reset(st);
	if (r < 0 || (r = kc_db_commit(db)) < 0)
		goto rollback;
	*epoch = ch.epoch + 1;
	goto unlock;
rollback:
	kc_db_rollback(db);
unlock:
	kc_db_write_unlock();
	return r;
}

/* Verifies the events stored under key: the chain from anchor_seq after
 * anchor_prev (anchor_seq 0: none stored yet) up to head. 0 intact, 1
 * broken (message, *bad_seq), -EIO. *checked: events checked. */
static int verify_epoch(struct kc_db *db, const char *key, int64_t anchor_seq, const char *anchor_prev,
			int64_t head, int64_t *checked, int64_t *bad_seq, char *message, size_t len)
{
	char prev[KC_HASH_HEX], err[300];
	int64_t n = 0, next = anchor_seq ? anchor_seq : 1;
	sqlite3_stmt *st;
	int rc, r = 0;

	kc_strlcpy(prev, anchor_prev, sizeof(prev));
	if (sqlite3_prepare_v2(db->h, "SELECT seq, body, hash FROM events WHERE cabinet = ? ORDER BY seq",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	kc_bind_text(st, 1, key);
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
		r = kc_event_check(ev, prev, next, err, sizeof(err));
		json_decref(ev);
		if (r < 0) {
			kc_strlcpy(message, err, len);
			*bad_seq = seq;
			r = 1;
			break;
		}
		kc_strlcpy(prev, hash, sizeof(prev));
		next++;
		n++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = -EIO;
	sqlite3_finalize(st);
	if (r == 0 && next - 1 != (anchor_seq ? head : 0)) {
		snprintf(message, len, "the head is event %lld, but the stored events end at %lld", (long long)head,
			 (long long)next - 1);
		*bad_seq = next;
		r = 1;
	}
	*checked += n;
	return r;
}

/* Appends "epoch N: events A..B" to the summary. */
static void summary_add(char *s, size_t len, int64_t epoch, int64_t from, int64_t to)
{
	size_t l = strlen(s);

	if (l + 1 >= len)
		return;
	if (from)
		snprintf(s + l, len - l, "%sepoch %lld: events %lld..%lld", l ? "; " : "", (long long)epoch,
			 (long long)from, (long long)to);
	else
		snprintf(s + l, len - l, "%sepoch %lld: no events yet", l ? "; " : "", (long long)epoch);
}

int kc_chain_verify(struct kc_db *db, const char *cabinet, int64_t *checked, int64_t *bad_seq,
		    char *message, size_t len)
{
	char summary[512] = "";
	struct kc_chain ch;
	sqlite3_stmt *st;
	int r;

	*checked = 0;
	*bad_seq = 0;
	message[0] = '\0';
	r = kc_chain_load(db, cabinet, &ch);
	if (r < 0)
		return r;
	if (sqlite3_prepare_v2(db->h,
			       "SELECT epoch, chain, anchor_seq, anchor_prev, last_seq FROM chain_epochs"
			       " WHERE cabinet = ? ORDER BY epoch",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	kc_bind_text(st, 1, cabinet);
	while (r == 0 && sqlite3_step(st) == SQLITE_ROW) {
		r = verify_epoch(db, (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2),
				 (const char *)sqlite3_column_text(st, 3), sqlite3_column_int64(st, 4), checked,
				 bad_seq, message, len);
		if (r > 0) {
			char m[300];

			snprintf(m, sizeof(m), "epoch %lld: %s", (long long)sqlite3_column_int64(st, 0), message);
			kc_strlcpy(message, m, len);
		}
		summary_add(summary, sizeof(summary), sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 2),
			    sqlite3_column_int64(st, 4));
	}
	sqlite3_finalize(st);
	if (r != 0)
		return r;
	r = verify_epoch(db, ch.key, ch.anchor_seq, ch.anchor_prev, ch.seq, checked, bad_seq, message, len);
	if (r > 0 && ch.epoch > 1) {
		char m[300];

		snprintf(m, sizeof(m), "epoch %lld: %s", (long long)ch.epoch, message);
		kc_strlcpy(message, m, len);
	}
	if (r == 0 && ch.epoch > 1) {
		summary_add(summary, sizeof(summary), ch.epoch, ch.anchor_seq, ch.seq);
		kc_strlcpy(message, summary, len);
	}
	return r;
}
