/* keycabd's unix socket: JSON lines, one request object per line, one
 * reply object per line (controller/README.md, "Protocol"). */
#ifndef KC_CTL_PROTO_H
#define KC_CTL_PROTO_H
#include <poll.h>
#include <stddef.h>
#include <sys/types.h>

#include "controller/ctl.h"

#define KC_PROTO_MAX_LINE (4 << 20) /* an import of a few thousand rows */
#define KC_PROTO_MAX_CLIENTS 32

struct kc_server;

/* Listens on path (a stale socket file is replaced; a live one is an
 * error: another keycabd runs), mode and group applied. NULL + err. */
struct kc_server *kc_server_new(const char *path, mode_t mode, const char *group, char *err,
				size_t errlen);
void kc_server_free(struct kc_server *srv);
/* Fills fds with the listening socket and the clients; returns how many. */
int kc_server_pollfds(struct kc_server *srv, struct pollfd *fds, int max);
/* Handles what poll() reported on the fds kc_server_pollfds() gave. */
void kc_server_handle(struct kc_server *srv, const struct pollfd *fds, int n, struct kc_ctl *ctl);

#endif
