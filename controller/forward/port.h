/* keycab-forward's way to the outbox: keycabd's socket, under the forward
 * key ([socket] forward_key): outbox.read, outbox.ack and forward.report
 * (controller/outbox_ops.c answers them), and the subscription whose
 * pushes say an event was written (subscribe; controller/subscribe.c). A port is one connection, opened
 * when needed and again after keycabd went away, used by one thread. */
#ifndef KC_FORWARD_PORT_H
#define KC_FORWARD_PORT_H
#include <stdbool.h>

#include "common/sharedkey.h"
#include "controller/client/client.h"
#include "controller/forward.h"

struct kc_fwd_port {
	char socket_path[108];
	char key[KC_SHARED_KEY_MAX + 1];
	struct kc_client client;
	bool connected;
	bool reopened; /* connected again since the last state */
	char err[256]; /* why the last call failed */
};

/* Sets p up for socket_path with the key read from key_file; 0, or
 * -errno with why in err. Nothing is connected yet. */
int kc_fwd_port_init(struct kc_fwd_port *p, const char *socket_path, const char *key_file, char *err,
		     size_t errlen);
/* One request (taken) with the key, *rep its reply whatever it says
 * (ok or not). -EIO with why in p->err when keycabd is not there (the
 * connection closed: the next call opens another). */
int kc_fwd_port_request(struct kc_fwd_port *p, json_t *req, json_t **rep);
/* The port the forwarder uses (its user is p). */
struct kc_outbox_port kc_fwd_port_outbox(struct kc_fwd_port *p);
/* The link's status to keycabd (forward.report), with the estate feed's
 * (feed, NULL: none) as its "feed" object. 0, or -EIO/-ENOMEM with why
 * in p->err. */
int kc_fwd_port_report(struct kc_fwd_port *p, const struct kc_forward_status *st, const json_t *feed);
/* Makes p's connection a subscription (subscribe): keycabd pushes a line
 * on it for each event it writes. 0, or -EIO with why in p->err. */
int kc_fwd_port_subscribe(struct kc_fwd_port *p);
/* The subscription's fd to poll, -1 when there is none. */
int kc_fwd_port_fd(const struct kc_fwd_port *p);
/* Reads and drops what keycabd pushed: 1 when it pushed something, 0 for
 * nothing yet, or -EIO once keycabd closed the subscription (p is closed; the
 * next kc_fwd_port_subscribe opens another). */
int kc_fwd_port_pushes(struct kc_fwd_port *p);
/* Closes the connection and wipes the key. */
void kc_fwd_port_free(struct kc_fwd_port *p);

#endif
