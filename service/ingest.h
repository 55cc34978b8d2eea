/* Ingest: a cabinet's batch of events, stored once each, in order, with
 * the hash chain checked. */
#ifndef KC_SERVICE_INGEST_H
#define KC_SERVICE_INGEST_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service/config.h"
#include "service/store.h"

struct kc_ingest_result {
	int status;		/* HTTP status to answer with */
	const char *error;	/* NULL, "malformed", "invalid", "cabinet", "gap", "chain_break", "conflict" */
	char message[512];
	int64_t last_seq;	/* highest seq stored for the cabinet after this batch */
	int stored;		/* new events stored */
	int duplicates;		/* events already stored, with the same content */
	bool alarm;		/* a new ingest alarm was raised */
	bool notices;		/* notices were created: wake the notifier */
};

/* Stores the batch (a JSON array) for cabinet. The valid events before a
 * refused one are stored; nothing past it. Returns 0 with res filled, or
 * -EIO on a database error. */
int kc_ingest_batch(struct kc_db *db, const struct kc_audit_config *cfg, const char *cabinet,
		    const char *body, size_t len, struct kc_ingest_result *res);

/* Inserts one checked, sealed event (canon: its canonical form) under the
 * chain key key, in the caller's transaction; the columns of events are
 * taken from it. Returns 0 or -EIO. Ingest and the office chain
 * (office.c) store their events through it. */
int kc_ingest_insert(struct kc_db *db, const char *key, const json_t *ev, const char *canon, int64_t ts_ms,
		     int64_t now_ms);

#endif
