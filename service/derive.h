/* The tables the reports read, derived from the stored events in the
 * ingest transaction (architecture decision 4). Which types are derived is
 * marked in common/event_types.h. */
#ifndef KC_SERVICE_DERIVE_H
#define KC_SERVICE_DERIVE_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/event_types.h"
#include "service/config.h"
#include "service/store.h"

/* Updates the derived tables for one stored event (in the transaction).
 * Returns 1 when a notice was created, 0 (also for a type derived into no
 * table), -EINVAL when the event lacks a member a derived table needs (its
 * caller undoes the partial rows), or -EIO. */
int kc_derive_event(struct kc_db *db, const struct kc_audit_config *cfg, const json_t *ev,
		    int64_t ts_ms, int64_t now_ms);
/* kc_derive_event for an event stored under the chain key chain (its
 * derived rows are keyed by chain, not by the body's cabinet), inside a
 * savepoint: on -EINVAL none of its rows are left. */
int kc_derive_stored(struct kc_db *db, const struct kc_audit_config *cfg, const char *chain, const json_t *ev,
		     int64_t ts_ms, int64_t now_ms);
/* Whether derive.c has a function for type t. */
bool kc_derive_has(enum kc_event_type t);

#endif
