/* keycabd's unix socket: JSON lines, one request object per line, one
 * reply object per line (controller/README.md, "Protocol"). */
#ifndef KC_CTL_PROTO_H
#define KC_CTL_PROTO_H
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "controller/ctl.h"

#define KC_PROTO_MAX_LINE (4 << 20) /* an import of a few thousand rows */
#define KC_PROTO_MAX_CLIENTS 32
/* Subscribed connections (controller/README.md, "Live state"), on top of
 * the clients above: never idle-closed, never evicted to make room for a
 * plain client. When all are taken, a subscribe with the terminal key
 * takes the place of the one subscribed longest without it (of the one
 * subscribed longest, when all hold it). */
#define KC_PROTO_MAX_SUBSCRIBERS 8
/* keycab-forward's subscription (the forward key: its pushes wake it) has
 * a place of its own, beside the others': it takes none of theirs and
 * none can take it; another while it is held is refused. */
#define KC_PROTO_FORWARD_PLACES 1
/* While a subscriber holds a session (not the terminal key), the tick
 * comes at least this often, for kc_proto_subscribers_check(). */
#define KC_PROTO_SESSION_CHECK_MS 1000
/* The most pollfds kc_proto_pollfds() fills: the listening socket, the
 * clients and the subscribers. */
#define KC_PROTO_MAX_FDS (1 + KC_PROTO_MAX_CLIENTS + KC_PROTO_MAX_SUBSCRIBERS + KC_PROTO_FORWARD_PLACES)
/* Replies waiting for a client to read them: past this, keycabd reads no
 * more requests from it until it reads its replies (and a subscriber
 * whose pushes would pass it is dropped). */
#define KC_PROTO_MAX_PENDING (256 << 10)
#define KC_PROTO_IDLE_MS 120000 /* default of [socket] idle_timeout */
/* Failed logins on one connection before each next try must wait (1 s,
 * doubling up to KC_PROTO_LOGIN_WAIT_MAX_MS); failed logins on all
 * connections in KC_PROTO_FAIL_WINDOW_MS before a connection that failed
 * once waits for the window to end. */
#define KC_PROTO_LOGIN_FREE 3
#define KC_PROTO_LOGIN_WAIT_MAX_MS 60000
#define KC_PROTO_FAIL_GLOBAL 30
#define KC_PROTO_FAIL_WINDOW_MS 10000

struct kc_proto;

/* One request in (its texts within their limits, kc_opcheck_text), one
 * reply out: request.c's kc_request_handle, given by main. */
typedef json_t *kc_proto_answer_fn(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req);

/* Listens on path (a stale socket file is replaced; a live one is an
 * error: another keycabd runs), mode and group applied; each request is
 * answered by answer. NULL + err. */
struct kc_proto *kc_proto_new(const char *path, mode_t mode, const char *group,
				kc_proto_answer_fn *answer, char *err, size_t errlen);
void kc_proto_free(struct kc_proto *srv);
/* A connection with nothing read or written for this long is closed. */
void kc_proto_set_idle_timeout(struct kc_proto *srv, int64_t ms);
/* Closes idle connections; returns the ms until the next may be idle. */
int64_t kc_proto_tick(struct kc_proto *srv);
/* Fills fds with the listening socket and the clients; returns how many. */
int kc_proto_pollfds(struct kc_proto *srv, struct pollfd *fds, int max);
/* Handles what poll() reported on the fds kc_proto_pollfds() gave. */
void kc_proto_handle(struct kc_proto *srv, const struct pollfd *fds, int n, struct kc_ctl *ctl);
/* Subscribed connections now, in the KC_PROTO_MAX_SUBSCRIBERS places
 * (keycab-forward's, in its own place, not counted). */
int kc_proto_subscribers(const struct kc_proto *srv);
/* Whether keycab-forward's place is held. */
bool kc_proto_forwarder_subscribed(const struct kc_proto *srv);
/* Whether any connection is subscribed, keycab-forward's included. */
bool kc_proto_pushes_wanted(const struct kc_proto *srv);
/* Ends every subscription made with a session for which open(arg, the
 * session token's hash) is false: the subscriber gets a last line
 * ({"push": "end", "code": "subscribe_session_ended", ...}) and is closed. */
void kc_proto_subscribers_check(struct kc_proto *srv, bool (*open)(void *arg, const char *hash),
				void *arg);
/* Queues line (one JSON object, no newline) to every subscriber; one
 * that would then have more than KC_PROTO_MAX_PENDING bytes unread is
 * dropped (closed at the next tick), so it reconnects. */
void kc_proto_push(struct kc_proto *srv, const char *line, size_t len);

#endif
