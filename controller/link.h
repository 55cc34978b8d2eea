/* The audit link's state, as keycab-forward finds it and keycabd shows it
 * (`keycab status`, the terminal's banners): the forwarder
 * (controller/forward.c) keeps one, keycab-forward reports it to keycabd
 * over the socket (op forward.report, controller/outbox_ops.c) in the
 * form kc_link_status_json() makes and kc_link_status_parse() reads. */
#ifndef KC_CONTROLLER_LINK_H
#define KC_CONTROLLER_LINK_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum kc_link_state { KC_LINK_ONLINE, KC_LINK_OFFLINE, KC_LINK_STUCK, KC_LINK_STATE_COUNT };

struct kc_forward_status {
	enum kc_link_state state;
	char reason[32];	/* online: "", or "service_behind" while sending again what the
				 * service lost; offline: "unreachable", "http_error", "bad_answer",
				 * "outbox" (keycabd's socket), "no_forwarder" (keycab-forward
				 * silent); stuck: "conflict", "gap", "chain_break", "too_large",
				 * "invalid", "unauthorized", "service_ahead", "not_retained" */
	int64_t pending;	/* events not acknowledged yet (the backlog) */
	int64_t retained;	/* acknowledged events still kept */
	int64_t last_acked_seq;	/* the highest seq the service acknowledged (0 before one) */
	int64_t service_seq;	/* the service's head in its last answer (-1 before one) */
	int64_t since_ms;	/* wall clock of the last state change */
	int consecutive_failures;
	char last_error[256];	/* "" when online */
	/* The service lacks events it acknowledged (an older backup): true
	 * until they are sent again, or for good when they are no longer kept. */
	bool service_behind;
	/* The last time it was found so (behind_ms 0: never): its head then,
	 * the events it lacked (from..to), those of them no longer kept here
	 * (from..lost_to; 0: none), and when every one was sent again
	 * (caught_up_ms; 0: not yet). */
	struct kc_forward_behind {
		int64_t behind_ms, service_seq, from, to, lost_to, caught_up_ms;
	} behind;
};

/* "online", "offline", "stuck". */
const char *kc_forward_state_name(enum kc_link_state s);

/* The members of a forward.report request that carry st (what the
 * forwarder found; the counts are keycabd's own). NULL on no memory. */
json_t *kc_link_status_json(const struct kc_forward_status *st);
/* Reads them back from a request into *st (counts zero). 0, or -EINVAL
 * with the member at fault in err. */
int kc_link_status_parse(const json_t *req, struct kc_forward_status *st, char *err, size_t errlen);

#endif
