/* keycab-forward's second link: the office's change feed to keycabd. A
 * thread asks keycabd where the cabinet stands (estate.position), holds a
 * long-poll on keyauditd's GET /api/v1/feed?after=POSITION, and applies
 * each change it gets, in order, through keycabd's estate.apply (both ops
 * of access class office: the forward key). A duplicate answer moves on;
 * a refusal is recorded by keycabd and moves on; an error backs off and
 * asks the position again; the office out of reach is retried with the
 * link's backoff. A standalone cabinet (keycabd's estate_standalone, or
 * the office's 409) ends the thread with one log line. */
#ifndef KC_FORWARD_FEED_H
#define KC_FORWARD_FEED_H
#include <jansson.h>
#include <stdbool.h>

#include "controller/forward/port.h"

struct kc_feed_link_config {
	const char *url;   /* keyauditd's base URL, as the outbox's forwarder has it */
	const char *token; /* the cabinet's bearer token */
	const char *ca_file; /* NULL ok */
	int backoff_min_ms; /* default 500 */
	int backoff_max_ms; /* default 60000 */
	int wait_s;	    /* how long a poll is held at the office; 0: 25 */
};

struct kc_feed_link;

/* Starts the thread, which uses port (its own connection to keycabd,
 * the caller's until kc_feed_link_stop). The strings are copied. NULL
 * with why in err. */
struct kc_feed_link *kc_feed_link_start(struct kc_fwd_port *port, const struct kc_feed_link_config *cfg, char *err,
					size_t errlen);
/* Stops and joins the thread (a poll in flight is cut short); NULL ok. */
void kc_feed_link_stop(struct kc_feed_link *f);
/* The feed's state for forward.report's "feed" object:
 *   {"state": "starting" | "running" | "offline" | "error" | "standalone",
 *    "position": N (keycabd's, -1 unknown), "last_change": the newest
 *    change number the office named (-1 none yet), "applied", "refused",
 *    "duplicates" (counts since start), "last_error": "" or why,
 *    "since_ms": when the state began (wall clock)}
 * A new reference. */
json_t *kc_feed_link_status(struct kc_feed_link *f);

#endif
