/* The office's acts a supervisor signs in the console, each checked
 * against where its subject stands and recorded as an office-chain event
 * (office.h) in one transaction: a handover's review (rule 12) and the
 * follow-up of a problem found in an inspection (rule 5: open ->
 * forwarded to a department and a person -> resolved with a note).
 *
 * Each returns 0, or -EINVAL (a field missing), -ENOENT (no such
 * handover or problem), -EAGAIN (not yet: a handover not confirmed, a
 * problem not forwarded), -EALREADY (reviewed or resolved already), -EIO;
 * *msg gets the message ({"code", "params"}, common/msgs/office-acts.def)
 * saying what was done or why nothing was (NULL when out of memory). */
#ifndef KC_SERVICE_OFFICE_ACTS_H
#define KC_SERVICE_OFFICE_ACTS_H
#include <jansson.h>
#include <stdint.h>

#include "service/store.h"

/* A problem's follow-up state; kc_problem_state_name gives its code. */
enum kc_problem_state { KC_PROBLEM_OPEN, KC_PROBLEM_FORWARDED, KC_PROBLEM_RESOLVED, KC_PROBLEM_STATES };
const char *kc_problem_state_name(enum kc_problem_state s);
/* The state named name: 0 or -ENOENT. */
int kc_problem_state_find(const char *name, enum kc_problem_state *out);
/* The state's code in SQL, from inspections i LEFT JOIN problems p. */
#define KC_PROBLEM_STATE_SQL                                                                 \
	"(CASE WHEN p.resolved_ms IS NOT NULL THEN 'resolved' WHEN p.department IS NOT NULL" \
	" OR coalesce(i.forwarded_to, '') <> '' THEN 'forwarded' ELSE 'open' END)"

int kc_office_review(struct kc_db *db, const char *actor, const char *cabinet, int64_t handover, const char *note,
		     json_t **msg);
int kc_office_problem_forward(struct kc_db *db, const char *actor, const char *cabinet, int64_t inspection,
			      const char *department, const char *to, json_t **msg);
int kc_office_problem_resolve(struct kc_db *db, const char *actor, const char *cabinet, int64_t inspection,
			      const char *note, json_t **msg);

/* The HTTP status that answers an act's result r. */
unsigned kc_office_status(int r);

#endif
