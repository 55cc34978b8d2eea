/* A problem's follow-up state (custody rule 5: open -> forwarded to a
 * department and a person -> resolved with a note), with one table of
 * codes (problem_state.c). */
#ifndef KC_SERVICE_PROBLEM_STATE_H
#define KC_SERVICE_PROBLEM_STATE_H

/* kc_problem_state_name gives its code. */
enum kc_problem_state { KC_PROBLEM_OPEN, KC_PROBLEM_FORWARDED, KC_PROBLEM_RESOLVED, KC_PROBLEM_STATES };
const char *kc_problem_state_name(enum kc_problem_state s);
/* The state named name: 0 or -ENOENT. */
int kc_problem_state_find(const char *name, enum kc_problem_state *out);
/* The state's code in SQL, from inspections i LEFT JOIN problems p. */
#define KC_PROBLEM_STATE_SQL                                                                 \
	"(CASE WHEN p.resolved_ms IS NOT NULL THEN 'resolved' WHEN p.department IS NOT NULL" \
	" OR coalesce(i.forwarded_to, '') <> '' THEN 'forwarded' ELSE 'open' END)"

#endif
