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
#include <stdbool.h>
#include <stdint.h>

#include "service/store.h"

int kc_office_review(struct kc_db *db, const char *actor, const char *cabinet, int64_t handover, const char *note,
		     json_t **msg);
int kc_office_problem_forward(struct kc_db *db, const char *actor, const char *cabinet, int64_t inspection,
			      const char *department, const char *to, json_t **msg);
int kc_office_problem_resolve(struct kc_db *db, const char *actor, const char *cabinet, int64_t inspection,
			      const char *note, json_t **msg);

/* The HTTP status that answers an act's result r (-EPERM, -EACCES: 403,
 * an act the account may not do). */
unsigned kc_office_status(int r);
/* Text with something in it besides white space. */
bool kc_office_filled(const char *s);

#endif
