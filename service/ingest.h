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

/* The key a cabinet's events of one chain epoch are stored under (in
 * events and the derived tables): the cabinet's id for epoch 1,
 * "<id>~<epoch>" after. */
#define KC_CHAIN_KEY_LEN 96
void kc_chain_key(const char *cabinet, int64_t epoch, char *out, size_t len);
/* Whether key is one of cabinet's chain keys (its id, or "<id>~<epoch>"). */
bool kc_chain_key_of(const char *key, const char *cabinet);

/* The cabinet a bearer token belongs to. Returns 0 (cabinet written),
 * -EACCES for an unknown token, -EIO on a database error. */
int kc_cabinet_by_token(struct kc_db *db, const char *token, char *cabinet, size_t len);

/* Stores the batch (a JSON array) for cabinet. The valid events before a
 * refused one are stored; nothing past it. Returns 0 with res filled, or
 * -EIO on a database error. */
int kc_ingest_batch(struct kc_db *db, const struct kc_audit_config *cfg, const char *cabinet,
		    const char *body, size_t len, struct kc_ingest_result *res);

/* Updates the derived tables for one stored event (in the transaction).
 * Returns 1 when a notice was created, 0, -EINVAL when the event lacks a
 * member a derived table needs (its caller undoes the partial rows), or
 * -EIO. */
int kc_derive_event(struct kc_db *db, const struct kc_audit_config *cfg, const json_t *ev,
		    int64_t ts_ms, int64_t now_ms);
/* kc_derive_event for an event stored under the chain key chain (its
 * derived rows are keyed by chain, not by the body's cabinet), inside a
 * savepoint: on -EINVAL none of its rows are left. */
int kc_derive_stored(struct kc_db *db, const struct kc_audit_config *cfg, const char *chain, const json_t *ev,
		     int64_t ts_ms, int64_t now_ms);

/* Starts a new chain epoch for a cabinet whose own chain no longer fits
 * the stored one (its database was lost, or restored from an older
 * backup). The current epoch is closed as it stands; the new one is
 * anchored by the first event that is not already stored identically in
 * the closed epoch. Returns 0 (*epoch: the new epoch), -ENOENT for an
 * unknown cabinet, -EALREADY when a new epoch waits for its first event
 * already, -EIO. */
int kc_chain_new_epoch(struct kc_db *db, const char *cabinet, int64_t *epoch);

/* Re-checks the stored chains of a cabinet, every epoch. Returns 0 when
 * intact (message: a summary of the epochs when there are several, else
 * ""), 1 when broken (message names the epoch and the first event that
 * does not fit), -ENOENT for an unknown cabinet, -EIO. *checked gets the
 * number of events checked. */
int kc_chain_verify(struct kc_db *db, const char *cabinet, int64_t *checked, int64_t *bad_seq,
		    char *message, size_t len);

#endif
