/* The forwarder: sends the outbox to keyauditd. keycab-forward runs it
 * (controller/forward/main.c), outside keycabd, reading the outbox through
 * keycabd's socket (controller/forward/port.c); kc-forward-test runs it on
 * a database of its own (tests/service/kc-forward-test.c). Either gives it
 * a port (struct kc_outbox_port) to the outbox.
 *
 * It reads the outbox in seq order and posts batches to
 * <url>/api/v1/events with the cabinet's bearer token. A row counts as
 * acknowledged only on a 2xx answer whose "last_seq" lies within the
 * batch sent (first..last seq); anything else acknowledges nothing.
 * Acknowledged rows are kept for a retention window (the port's: a count
 * and an age) and pruned after it. When any answer (a batch's or a
 * heartbeat's) shows the service's head below what it acknowledged (it was
 * restored from an older backup), the retained rows from its head + 1 are
 * sent again at once; when they are no longer kept, the link is stuck
 * (not_retained). The status keeps the last such finding for the desk to
 * read (kc_forwarder_status).
 *
 * The link is in one of three states: online; offline (the service cannot
 * be reached or answers a passing error: retried with exponential backoff
 * and jitter); stuck (the service refuses the events: a conflict, a gap,
 * a chain break, an event too large, a refused token; retried slowly
 * until someone acts, nothing deleted). An idle connection is closed
 * after idle_close_ms. Library "forward" (LIBRARIES += forward in
 * service/module.mk); it does not log: its caller reads the state. */
#ifndef KC_CONTROLLER_FORWARD_H
#define KC_CONTROLLER_FORWARD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

#include "controller/link.h"
#include "controller/outbox.h"

struct kc_forward_config {
	const char *url;	/* base URL of keyauditd, e.g. https://audit.example:8443 */
	const char *token;
	const char *ca_file;	/* NULL ok */
	int batch_max;		/* default 100 (when 0) */
	int backoff_min_ms;	/* default 500 */
	int backoff_max_ms;	/* default 60000 */
	bool allow_plain_http;	/* http:// to a host other than loopback */
	int idle_close_ms;	/* close an idle connection after; 0: the default 5000 */
	int heartbeat_ms;	/* with nothing to send, ask the service every half of it (the link known within one); 0: 30000 */
	int recheck_ms;		/* with nothing to send and no kick, look at the outbox this often; 0: 5000 */
};

#define KC_FORWARD_IDLE_CLOSE_MS 5000
#define KC_FORWARD_HEARTBEAT_MS 30000
/* The outbox's rows come from another process, which kicks the forwarder
 * (kc_forwarder_kick) when it writes one; this look is the fallback. */
#define KC_FORWARD_RECHECK_MS 5000

struct kc_forwarder;

/* The outbox as the forwarder reaches it. Each call returns 0 (read: the
 * number of rows) or a negative errno with why in errmsg(). Called from
 * the forwarder's thread only. */
struct kc_outbox_port {
	/* Up to max rows from seq from (0: the first not acknowledged) as
	 * one JSON array text in *out (malloc'ed), their seqs first..last
	 * (kc_outbox_read). */
	int (*read)(void *user, int64_t from, int max, char **out, int64_t *first, int64_t *last);
	/* first..upto acknowledged (none when upto is 0), then the rows
	 * past the retention pruned (kc_outbox_ack_keep). */
	int (*ack)(void *user, int64_t first, int64_t upto);
	int (*state)(void *user, struct kc_outbox_state *st);
	const char *(*errmsg)(void *user);
	void *user;
};

/* 0 when the forwarder may use url: https://, or http:// to a loopback
 * address (127.0.0.0/8, ::1, localhost), or any http:// when
 * allow_plain_http. -EINVAL with the reason in err otherwise. */
int kc_forward_url_check(const char *url, bool allow_plain_http, char *err, size_t errlen);

/* Starts a thread that forwards the outbox reached through port (copied;
 * its user stays the caller's until kc_forwarder_stop). The strings of
 * cfg are copied. NULL + message in err on failure. */
struct kc_forwarder *kc_forwarder_start(const struct kc_outbox_port *port, const struct kc_forward_config *cfg,
					char *err, size_t errlen);
/* What the links to keyauditd (this forwarder, keycab-forward's estate
 * feed) share of libcurl: an answer read into memory (at most max
 * bytes, 1 MiB when 0; kc_forward_answer_add is the write callback, its
 * user a struct kc_forward_answer), and a handle's options: no signals, http and https
 * only, the answer into memory, progress calls to progress(user) (a
 * transfer stops when it returns nonzero), the CA file (NULL: the
 * system's). */
struct kc_forward_answer {
	char *p; /* NUL-terminated; NULL: nothing came */
	size_t len;
	size_t max;
};
size_t kc_forward_answer_add(void *data, size_t size, size_t n, void *user);
void kc_forward_curl_options(CURL *curl, const char *ca_file, curl_xferinfo_callback progress, void *user);

/* New rows in the outbox: send now (thread-safe, cheap: an eventfd write). */
void kc_forwarder_kick(struct kc_forwarder *f);
/* Joins the thread; NULL ok. */
void kc_forwarder_stop(struct kc_forwarder *f);

void kc_forwarder_status(struct kc_forwarder *f, struct kc_forward_status *st);
/* An eventfd readable once the status has news (a new state or reason,
 * a finding of the service behind or its end; not the counts): a reader
 * of the status polls it to pass the news on at once, and reads it (8
 * bytes) to wait for the next. */
int kc_forwarder_status_fd(struct kc_forwarder *f);

#endif
