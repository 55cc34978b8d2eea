/* The forwarder: runs inside keycabd and sends the outbox to keyauditd.
 *
 * It reads the controller database's outbox (seq INTEGER PRIMARY KEY,
 * body TEXT: the sealed event JSON) in seq order, posts batches to
 * <url>/api/v1/events with the cabinet's bearer token, and deletes a row
 * only once the service has answered that it is stored (its "last_seq").
 * Failures are retried with exponential backoff (with jitter) for as long
 * as it takes; after a restart on either side it resumes at the lowest seq
 * still in the outbox, and the service acknowledges replays as duplicates.
 * Library "forward" (LIBRARIES += forward in service/module.mk). */
#ifndef KC_CONTROLLER_FORWARD_H
#define KC_CONTROLLER_FORWARD_H
#include <stddef.h>
#include <stdint.h>

struct kc_forward_config {
	const char *url;	/* base URL of keyauditd, e.g. http://127.0.0.1:8080 */
	const char *token;
	const char *ca_file;	/* NULL ok */
	int batch_max;		/* default 100 (when 0) */
	int backoff_min_ms;	/* default 500 */
	int backoff_max_ms;	/* default 60000 */
};

struct kc_forwarder;

/* Starts a thread with its own SQLite connection to db_path (WAL;
 * busy_timeout) that forwards the outbox. The strings of cfg are copied.
 * NULL + message in err on failure. */
struct kc_forwarder *kc_forwarder_start(const char *db_path, const struct kc_forward_config *cfg, char *err,
					size_t errlen);
/* New rows in the outbox: send soon (thread-safe, cheap: an eventfd write). */
void kc_forwarder_kick(struct kc_forwarder *f);
/* Joins the thread; NULL ok. */
void kc_forwarder_stop(struct kc_forwarder *f);

struct kc_forward_status {
	int64_t pending;	/* rows in the outbox at the last look */
	int64_t last_acked_seq;	/* the service's last_seq in its last answer (0 before one) */
	int consecutive_failures;
	char last_error[256];	/* "" after a success */
};
void kc_forwarder_status(struct kc_forwarder *f, struct kc_forward_status *st);

#endif
