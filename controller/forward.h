/* The forwarder: runs inside keycabd and sends the outbox to keyauditd.
 *
 * It reads the controller database's outbox (controller/outbox.h, on its
 * own connection) in seq order and posts batches to
 * <url>/api/v1/events with the cabinet's bearer token. A row counts as
 * acknowledged only on a 2xx answer whose "last_seq" lies within the
 * batch sent (first..last seq); anything else acknowledges nothing.
 * Acknowledged rows are kept for a retention window (a count and an age)
 * and pruned after it. When any answer (a batch's or a heartbeat's) shows
 * the service's head below what it acknowledged (it was restored from an
 * older backup), the retained rows from its head + 1 are sent again at
 * once; when they are no longer kept, the link is stuck (not_retained).
 * The status keeps the last such finding for the desk to read.
 *
 * The link is in one of three states: online; offline (the service cannot
 * be reached or answers a passing error: retried with exponential backoff
 * and jitter); stuck (the service refuses the events: a conflict, a gap,
 * a chain break, an event too large, a refused token; retried slowly
 * until someone acts, nothing deleted). An idle connection is closed
 * after idle_close_ms. Library "forward" (LIBRARIES += forward in
 * service/module.mk); it does not log: keycabd reads the state. */
#ifndef KC_CONTROLLER_FORWARD_H
#define KC_CONTROLLER_FORWARD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kc_forward_config {
	const char *url;	/* base URL of keyauditd, e.g. https://audit.example:8443 */
	const char *token;
	const char *ca_file;	/* NULL ok */
	int batch_max;		/* default 100 (when 0) */
	int backoff_min_ms;	/* default 500 */
	int backoff_max_ms;	/* default 60000 */
	bool allow_plain_http;	/* http:// to a host other than loopback */
	int64_t keep_acked_events; /* acknowledged rows kept; < 0: the default 10000 */
	int64_t keep_acked_ms;	/* and for how long; < 0: the default 30 days */
	int idle_close_ms;	/* close an idle connection after; 0: the default 5000 */
	int heartbeat_ms;	/* with nothing to send, ask the service this often; 0: 30000 */
};

#define KC_FORWARD_KEEP_EVENTS 10000
#define KC_FORWARD_KEEP_MS (30LL * 24 * 3600 * 1000)
#define KC_FORWARD_IDLE_CLOSE_MS 5000
#define KC_FORWARD_HEARTBEAT_MS 30000

struct kc_forwarder;

/* 0 when the forwarder may use url: https://, or http:// to a loopback
 * address (127.0.0.0/8, ::1, localhost), or any http:// when
 * allow_plain_http. -EINVAL with the reason in err otherwise. */
int kc_forward_url_check(const char *url, bool allow_plain_http, char *err, size_t errlen);

/* Starts a thread with its own SQLite connection to db_path (WAL;
 * busy_timeout) that forwards the outbox. The strings of cfg are copied.
 * NULL + message in err on failure. */
struct kc_forwarder *kc_forwarder_start(const char *db_path, const struct kc_forward_config *cfg, char *err,
					size_t errlen);
/* New rows in the outbox: send soon (thread-safe, cheap: an eventfd write). */
void kc_forwarder_kick(struct kc_forwarder *f);
/* Joins the thread; NULL ok. */
void kc_forwarder_stop(struct kc_forwarder *f);

enum kc_link_state { KC_LINK_ONLINE, KC_LINK_OFFLINE, KC_LINK_STUCK };

struct kc_forward_status {
	enum kc_link_state state;
	char reason[32];	/* online: "", or "service_behind" while sending again what the
				 * service lost; offline: "unreachable", "http_error", "bad_answer";
				 * stuck: "conflict", "gap", "chain_break", "too_large", "invalid",
				 * "unauthorized", "service_ahead", "not_retained" */
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
void kc_forwarder_status(struct kc_forwarder *f, struct kc_forward_status *st);
/* "online", "offline", "stuck". */
const char *kc_forward_state_name(enum kc_link_state s);

#endif
