/* The HTTP API and web pages on libmicrohttpd (service/README.md lists
 * the routes). Requests run on MHD's thread pool, each thread with its own
 * database connection. */
#ifndef KC_SERVICE_HTTP_H
#define KC_SERVICE_HTTP_H
#include <stddef.h>

#include "service/config.h"
#include "service/notify.h"

struct kc_server;
struct kc_server *kc_server_start(const struct kc_audit_config *cfg, struct kc_notifier *notifier,
				  char *err, size_t errlen);
/* The port it listens on (the one picked when cfg->port is 0). */
int kc_server_port(const struct kc_server *s);
void kc_server_stop(struct kc_server *s);

#endif
