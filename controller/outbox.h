/* The outbox of keycabd's database (schema/controller-*.sql: outbox (seq
 * INTEGER PRIMARY KEY, body TEXT: the sealed event JSON, acked_ms INTEGER:
 * NULL until the service acknowledged it)): every statement on it. The
 * store appends within a decision's transaction (controller/store.c); the
 * forwarder reads batches, marks them acknowledged, prunes past the
 * retention window and counts the backlog (keycabd's outbox.* requests,
 * controller/outbox_ops.c, for keycab-forward), on its own connection. Each returns 0 (or a count) or a negative errno. */
#ifndef KC_CTL_OUTBOX_H
#define KC_CTL_OUTBOX_H
#include <stdbool.h>
#include <stdint.h>

#include "common/db.h"

/* Inserts event seq (its sealed JSON text). 0, -EEXIST (the seq is
 * there) or -EIO. */
int kc_outbox_append(struct kc_db *db, int64_t seq, const char *body);

/* Reads up to max rows from seq `from` (0: from the first one not
 * acknowledged) as one JSON array text in *out (malloc'ed). Returns the
 * number of events (0: nothing to send; *out is "[]") or -ENOMEM/-EIO;
 * *first and *last are their seqs. */
int kc_outbox_read(struct kc_db *db, int64_t from, int max, char **out, int64_t *first, int64_t *last);

/* Marks first..upto acknowledged at now_ms; rows acknowledged before
 * keep their first time. */
int kc_outbox_ack(struct kc_db *db, int64_t first, int64_t upto, int64_t now_ms);
/* Deletes acknowledged rows acknowledged before acked_before_ms or with
 * a seq up to upto_seq. */
int kc_outbox_prune(struct kc_db *db, int64_t acked_before_ms, int64_t upto_seq);

/* Rows not acknowledged yet (acked false: the backlog) or acknowledged
 * and still kept (acked true). */
int kc_outbox_count(struct kc_db *db, int acked, int64_t *n);
/* 1 when row seq is there, 0 when not, -EIO. */
int kc_outbox_has(struct kc_db *db, int64_t seq);
/* The highest seq the service acknowledged: the highest acknowledged row
 * kept; with none kept, the one before the first not acknowledged; with
 * the outbox empty, the head of the database's chain table when it has
 * one (every event acknowledged and pruned); else 0. */
int kc_outbox_acked_max(struct kc_db *db, int64_t *seq);
/* The lowest seq kept, acknowledged or not (0 when the outbox is empty). */
int kc_outbox_first(struct kc_db *db, int64_t *seq);

/* The retention of acknowledged rows by default: a count and an age
 * ([forward] keep_acked_events, keep_acked_days). */
#define KC_OUTBOX_KEEP_EVENTS 10000
#define KC_OUTBOX_KEEP_MS (30LL * 24 * 3600 * 1000)

/* What the forwarder reads of the outbox besides its rows. */
struct kc_outbox_state {
	int64_t pending;    /* rows not acknowledged */
	int64_t retained;   /* acknowledged rows kept */
	int64_t first_kept; /* kc_outbox_first */
	int64_t acked_max;  /* kc_outbox_acked_max */
	/* The outbox's keeper came back since the last look (keycabd
	 * restarted; its database may be another): what the forwarder
	 * knows of it is to be read again. */
	bool reopened;
};
int kc_outbox_state(struct kc_db *db, struct kc_outbox_state *st);
/* Marks first..upto acknowledged at now_ms (nothing when upto is 0),
 * then deletes the acknowledged rows past the retention: acknowledged
 * before now_ms - keep_ms, or keep_events or more below the highest
 * acknowledged seq (kc_outbox_acked_max). */
int kc_outbox_ack_keep(struct kc_db *db, int64_t first, int64_t upto, int64_t now_ms, int64_t keep_events,
		       int64_t keep_ms);

#endif
