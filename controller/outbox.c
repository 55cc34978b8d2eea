#include "controller/outbox.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int kc_outbox_append(struct kc_db *db, int64_t seq, const char *body)
{
	return kc_db_x(db, "INSERT INTO outbox (seq, body) VALUES (?, ?)", "Is", seq, body);
}

/* Appends body to the array text in *buf (len used, cap allocated). */
static int outbox_grow_append(char **buf, size_t *len, size_t *cap, const char *body, size_t bl)
{
	if (*len + bl + 3 > *cap) {
		size_t ncap = (*len + bl + 3) * 2;
		char *nb = realloc(*buf, ncap);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, body, bl);
	*len += bl;
	return 0;
}

int kc_outbox_read(struct kc_db *db, int64_t from, int max, char **out, int64_t *first, int64_t *last)
{
	sqlite3_stmt *s = kc_db_stmt(db, "SELECT seq, body FROM outbox WHERE seq >= coalesce(?1,"
				     " (SELECT min(seq) FROM outbox WHERE acked_ms IS NULL),"
				     " (SELECT max(seq) + 1 FROM outbox), 0)"
				     " ORDER BY seq LIMIT ?2");
	size_t cap = 4096, len = 1;
	char *buf;
	int n = 0, r;

	if (!s)
		return -EIO;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	buf[0] = '[';
	if (from > 0)
		sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int(s, 2, max);
	while ((r = kc_db_row(s)) == 0) {
		if (n)
			buf[len++] = ',';
		else
			*first = sqlite3_column_int64(s, 0);
		*last = sqlite3_column_int64(s, 0);
		if (outbox_grow_append(&buf, &len, &cap, (const char *)sqlite3_column_text(s, 1),
				       (size_t)sqlite3_column_bytes(s, 1)) < 0) {
			sqlite3_reset(s);
			free(buf);
			return -ENOMEM;
		}
		n++;
	}
	if (r != -ENOENT) {
		free(buf);
		return r;
	}
	buf[len++] = ']';
	buf[len] = '\0';
	*out = buf;
	return n;
}

int kc_outbox_ack(struct kc_db *db, int64_t first, int64_t upto, int64_t now_ms)
{
	return kc_db_x(db, "UPDATE outbox SET acked_ms = coalesce(acked_ms, ?) WHERE seq BETWEEN ? AND ?", "III",
		       now_ms, first, upto);
}

int kc_outbox_prune(struct kc_db *db, int64_t acked_before_ms, int64_t upto_seq)
{
	return kc_db_x(db, "DELETE FROM outbox WHERE acked_ms IS NOT NULL AND (acked_ms < ? OR seq <= ?)", "II",
		       acked_before_ms, upto_seq);
}

int kc_outbox_count(struct kc_db *db, int acked, int64_t *n)
{
	return acked ? kc_db_int(db, n, "SELECT count(*) FROM outbox WHERE acked_ms IS NOT NULL", "")
		     : kc_db_int(db, n, "SELECT count(*) FROM outbox WHERE acked_ms IS NULL", "");
}

int kc_outbox_has(struct kc_db *db, int64_t seq)
{
	int64_t one;
	int r = kc_db_int(db, &one, "SELECT 1 FROM outbox WHERE seq = ?", "I", seq);

	return r == 0 ? 1 : r == -ENOENT ? 0 : r;
}

int kc_outbox_acked_max(struct kc_db *db, int64_t *seq)
{
	int64_t v, chain;
	int r = kc_db_int(db, &v,
			  "SELECT coalesce((SELECT max(seq) FROM outbox WHERE acked_ms IS NOT NULL),"
			  " (SELECT min(seq) - 1 FROM outbox), 0)",
			  "");

	if (r < 0)
		return r;
	/* an empty outbox: every event acknowledged and pruned, or none yet */
	if (v == 0 && kc_db_int(db, &chain, "SELECT 1 FROM outbox LIMIT 1", "") == -ENOENT &&
	    kc_db_int(db, &chain, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'chain'", "") == 0) {
		r = kc_db_int(db, &chain, "SELECT coalesce(max(last_seq), 0) FROM chain", "");
		if (r < 0)
			return r;
		v = chain;
	}
	*seq = v;
	return 0;
}

int kc_outbox_first(struct kc_db *db, int64_t *seq)
{
	return kc_db_int(db, seq, "SELECT coalesce(min(seq), 0) FROM outbox", "");
}

int kc_outbox_state(struct kc_db *db, struct kc_outbox_state *st)
{
	struct kc_outbox_state s = { 0 };

	if (kc_outbox_count(db, 0, &s.pending) < 0 || kc_outbox_count(db, 1, &s.retained) < 0 ||
	    kc_outbox_first(db, &s.first_kept) < 0 || kc_outbox_acked_max(db, &s.acked_max) < 0)
		return -EIO;
	*st = s;
	return 0;
}

int kc_outbox_ack_keep(struct kc_db *db, int64_t first, int64_t upto, int64_t now_ms, int64_t keep_events,
		       int64_t keep_ms)
{
	int64_t acked_max;

	if (upto > 0 && kc_outbox_ack(db, first, upto, now_ms) < 0)
		return -EIO;
	if (kc_outbox_acked_max(db, &acked_max) < 0)
		return -EIO;
	return kc_outbox_prune(db, now_ms - keep_ms, acked_max - keep_events);
}
