/* The office chain (architecture decision 13): what the office itself
 * does (a handover review signed in the console, a problem's follow-up,
 * an admin's acts) is an event keyauditd seals in a chain of its own,
 * stored under the chain id KC_OFFICE_CHAIN like a cabinet's events: the
 * same canonical form and hash chain (common/event.c), the same derived
 * rows (derive.c), so verify-chain KC_OFFICE_CHAIN re-checks it and the
 * reports read it like any other event. The chain's row in cabinets has
 * no token (schema/audit-007.sql): no cabinet can send its events. */
#ifndef KC_SERVICE_OFFICE_H
#define KC_SERVICE_OFFICE_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/event_types.h"
#include "service/store.h"

/* Not a cabinet name (kc_auth_name_check refuses '@'), so no cabinet
 * can be registered under it. */
#define KC_OFFICE_CHAIN "@office"

/* An office event's top-level members besides its type and actor: the
 * site, unit, key and person it concerns (each NULL for none), so the key
 * log's filters find it. */
struct kc_office_about {
	const char *site, *unit, *key, *person;
};

/* Appends an event of type, by actor (the office account), with data
 * (borrowed; NULL for {}) to the office chain and derives its rows, in
 * one transaction (it takes the writers' lock). Returns 0, -EINVAL when
 * data lacks what its report table needs (nothing is stored), -ENOMEM,
 * -EIO. */
int kc_office_record(struct kc_db *db, enum kc_event_type type, const char *actor, const json_t *data);
/* kc_office_record with the members of about (NULL for none); *seq (when
 * seq is not NULL) gets the event's seq. */
int kc_office_record_about(struct kc_db *db, enum kc_event_type type, const char *actor,
			   const struct kc_office_about *about, const json_t *data, int64_t *seq);
/* The same inside the caller's transaction (begun with kc_db_begin under
 * kc_db_write_lock), for an act whose other writes must commit with its
 * event: nothing is committed here, and on an error the caller rolls the
 * transaction back. */
int kc_office_append(struct kc_db *db, enum kc_event_type type, const char *actor,
		     const struct kc_office_about *about, const json_t *data, int64_t *seq);

/* Whether chain is the office chain. */
bool kc_office_is(const char *chain);

#endif
