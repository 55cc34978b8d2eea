/* The HTTP API and web pages on libmicrohttpd (service/README.md lists
 * the routes). Requests run on MHD's thread pool, each thread with its own
 * database connection. */
#ifndef KC_SERVICE_HTTP_H
#define KC_SERVICE_HTTP_H
#include <stddef.h>

#include "service/config.h"
#include "service/notify.h"

struct kc_http;
struct kc_http *kc_http_start(const struct kc_audit_config *cfg, struct kc_notifier *notifier,
				  char *err, size_t errlen);
/* The port it listens on (the one picked when cfg->port is 0). */
int kc_http_port(const struct kc_http *s);
/* Reads the certificate and key files again (SIGHUP): new handshakes get
 * them, open connections go on with theirs. 0 (also without TLS), 1 when
 * the new certificate is not valid at this time (served all the same), or
 * -errno with err saying why; then the ones loaded before stay. about (may
 * be NULL) gets the new certificate's subject and validity. */
int kc_http_reload(struct kc_http *s, char *about, size_t aboutlen, char *err, size_t errlen);
void kc_http_stop(struct kc_http *s);

#endif
