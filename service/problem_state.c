/* A problem's follow-up states and their codes (service/problem_state.h). */
#include "service/problem_state.h"

#include <errno.h>
#include <string.h>

static const char *const problem_states[KC_PROBLEM_STATES] = {
	[KC_PROBLEM_OPEN] = "open",
	[KC_PROBLEM_FORWARDED] = "forwarded",
	[KC_PROBLEM_RESOLVED] = "resolved",
};

const char *kc_problem_state_name(enum kc_problem_state s)
{
	return (unsigned)s < KC_PROBLEM_STATES ? problem_states[s] : NULL;
}

int kc_problem_state_find(const char *name, enum kc_problem_state *out)
{
	for (size_t i = 0; name && i < KC_PROBLEM_STATES; i++) {
		if (strcmp(problem_states[i], name) == 0) {
			*out = (enum kc_problem_state)i;
			return 0;
		}
	}
	return -ENOENT;
}
