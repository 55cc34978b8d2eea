#include "controller/link.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"

static const char *const link_state_names[KC_LINK_STATE_COUNT] = {
	[KC_LINK_ONLINE] = "online",
	[KC_LINK_OFFLINE] = "offline",
	[KC_LINK_STUCK] = "stuck",
};

const char *kc_forward_state_name(enum kc_link_state s)
{
	return (unsigned)s < KC_LINK_STATE_COUNT ? link_state_names[s] : "offline";
}

json_t *kc_link_status_json(const struct kc_forward_status *st)
{
	const struct kc_forward_behind *b = &st->behind;

	return json_pack("{s:s, s:s, s:I, s:I, s:I, s:i, s:s, s:b, s:{s:I, s:I, s:I, s:I, s:I, s:I}}", "state",
			 kc_forward_state_name(st->state), "reason", st->reason, "last_acked_seq",
			 (json_int_t)st->last_acked_seq, "service_seq", (json_int_t)st->service_seq, "since_ms",
			 (json_int_t)st->since_ms, "consecutive_failures", st->consecutive_failures, "last_error",
			 st->last_error, "service_behind", st->service_behind, "behind", "behind_ms",
			 (json_int_t)b->behind_ms, "service_seq", (json_int_t)b->service_seq, "from",
			 (json_int_t)b->from, "to", (json_int_t)b->to, "lost_to", (json_int_t)b->lost_to,
			 "caught_up_ms", (json_int_t)b->caught_up_ms);
}

int kc_link_status_parse(const json_t *req, struct kc_forward_status *st, char *err, size_t errlen)
{
	struct kc_forward_status s = { 0 };
	struct kc_forward_behind *b = &s.behind;
	json_int_t acked, service, since, bms, bseq, from, to, lost, caught;
	const char *state, *reason, *last_error;
	json_error_t je;
	int failures, behind, i;

	if (json_unpack_ex((json_t *)req, &je, 0,
			   "{s:s, s:s, s:I, s:I, s:I, s:i, s:s, s:b, s:{s:I, s:I, s:I, s:I, s:I, s:I}}", "state",
			   &state, "reason", &reason, "last_acked_seq", &acked, "service_seq", &service,
			   "since_ms", &since, "consecutive_failures", &failures, "last_error", &last_error,
			   "service_behind", &behind, "behind", "behind_ms", &bms, "service_seq", &bseq, "from",
			   &from, "to", &to, "lost_to", &lost, "caught_up_ms", &caught) < 0) {
		snprintf(err, errlen, "%s", je.text);
		return -EINVAL;
	}
	for (i = 0; i < KC_LINK_STATE_COUNT && strcmp(state, link_state_names[i]) != 0; i++)
		;
	if (i == KC_LINK_STATE_COUNT) {
		snprintf(err, errlen, "\"state\" must be online, offline or stuck");
		return -EINVAL;
	}
	s.state = (enum kc_link_state)i;
	kc_strlcpy(s.reason, reason, sizeof(s.reason));
	kc_strlcpy(s.last_error, last_error, sizeof(s.last_error));
	s.last_acked_seq = acked;
	s.service_seq = service;
	s.since_ms = since;
	s.consecutive_failures = failures;
	s.service_behind = behind;
	*b = (struct kc_forward_behind){ bms, bseq, from, to, lost, caught };
	*st = s;
	return 0;
}
