/* The event format both daemons share (schema/events.md describes it).
 *
 * An event is a JSON object. Its canonical form is the object without its
 * "hash" member, keys sorted, no white space, non-ASCII escaped. Its hash
 * is the lower-case hex SHA-256 of that canonical form; "prev" holds the
 * previous event's hash (64 zeros for a cabinet's first event), so the
 * events of one cabinet form a chain. */
#ifndef KC_EVENT_H
#define KC_EVENT_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define KC_EVENT_VERSION 1
#define KC_HASH_HEX 65 /* 64 hex digits and the terminating NUL */
#define KC_GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* A new event with v, cabinet, seq, ts and type set and an empty "data"
 * object; NULL on allocation failure. */
json_t *kc_event_new(const char *cabinet, int64_t seq, int64_t wall_ms, const char *type);
/* Sets member name of obj to a string or JSON null for NULL. */
void kc_json_str(json_t *obj, const char *name, const char *s);
/* Sets member name of obj to a UTC time string, or null for ms <= 0. */
void kc_json_time(json_t *obj, const char *name, int64_t ms);

/* The canonical form (malloc'd, caller frees); NULL when ev is no object. */
char *kc_event_canonical(const json_t *ev);

/* Hash of the canonical form. Returns 0 or -EINVAL. */
int kc_event_hash(const json_t *ev, char out[KC_HASH_HEX]);

/* Sets "prev" to prev_hash and "hash" to the event's hash; the hash is
 * also written to out when out is not NULL. Returns 0 or -errno. */
int kc_event_seal(json_t *ev, const char *prev_hash, char out[KC_HASH_HEX]);

/* Checks the form of an event (required members and their types), that
 * it follows expect_prev with sequence number expect_seq (skipped when
 * expect_prev is NULL / expect_seq is 0) and that its hash is right.
 * Returns 0, or with a sentence in err: -EINVAL for a malformed event,
 * -ERANGE for a sequence gap (seq is not expect_seq), -EBADMSG for a chain
 * break (prev is not expect_prev, or hash does not match the content). */
int kc_event_check(const json_t *ev, const char *expect_prev, int64_t expect_seq,
		   char *err, size_t errlen);

#endif
