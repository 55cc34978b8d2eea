/* A cabinet's hash chains at the service. A cabinet's events are stored
 * in epochs: epoch 1 under its id, a new epoch (after its database was
 * lost or restored) under "<id>~<epoch>"; cabinets holds the current
 * epoch's head, chain_epochs the closed ones. */
#ifndef KC_SERVICE_CHAIN_H
#define KC_SERVICE_CHAIN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/event.h"
#include "service/store.h"

/* The key a cabinet's events of one chain epoch are stored under (in
 * events and the derived tables): the cabinet's id for epoch 1,
 * "<id>~<epoch>" after. */
#define KC_CHAIN_KEY_LEN 96
void kc_chain_key(const char *cabinet, int64_t epoch, char *out, size_t len);
/* Whether key is one of cabinet's chain keys (its id, or "<id>~<epoch>"). */
bool kc_chain_key_of(const char *key, const char *cabinet);

/* A cabinet's current chain: its epoch, the key its events are stored
 * under, where the epoch starts and its head; and the previous epoch's. */
struct kc_chain {
	const char *cabinet;
	char key[KC_CHAIN_KEY_LEN];
	int64_t epoch;
	int64_t anchor_seq;	/* 0: a new epoch waiting for its first event */
	char anchor_prev[KC_HASH_HEX];
	int64_t seq;
	char hash[KC_HASH_HEX];
	char prev_key[KC_CHAIN_KEY_LEN];	/* "" in epoch 1 */
	int64_t prev_last;
	bool changed;		/* head or anchor moved in this batch */
	bool cleared;		/* link alarms cleared in this batch */
};

/* Loads cabinet's current chain. Returns 0, -ENOENT for an unknown
 * cabinet, -EIO. */
int kc_chain_load(struct kc_db *db, const char *cabinet, struct kc_chain *ch);
/* Stores the chain's head and anchor (in the caller's transaction).
 * Returns 0 or -EIO. */
int kc_chain_store_head(struct kc_db *db, const struct kc_chain *ch, int64_t now_ms);

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
