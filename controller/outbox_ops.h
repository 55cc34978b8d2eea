/* keycabd's side of keycab-forward (controller/forward/): the requests
 * of the forward access class (the forward key, [socket] forward_key)
 * that read the outbox, mark what the office stored and report the
 * audit link, and the link's state as keycabd shows it. keycabd itself
 * never talks to the network. */
#ifndef KC_CTL_OUTBOX_OPS_H
#define KC_CTL_OUTBOX_OPS_H
#include <jansson.h>
#include <stdbool.h>

#include "controller/ctl.h"
#include "controller/link.h"

/* keycab-forward silent this long: the link is offline (no_forwarder). */
#define KC_LINK_SILENT_MS 15000

/* Opens keycabd's own connection to the outbox (ctl->outbox) when
 * [audit] url is set. 0, or -EIO with why in err. */
int kc_outbox_ops_open(struct kc_ctl *ctl, char *err, size_t errlen);
void kc_outbox_ops_close(struct kc_ctl *ctl);

/* The forward key a request may carry as "forward_key": sets
 * peer->forwarder when it is the right one, and wipes the key from the
 * request. NULL, or the refusal of a wrong key. */
json_t *kc_outbox_ops_key(struct kc_ctl *ctl, json_t *req, struct kc_peer *peer);

/* The link as keycabd shows it into *fs: keycab-forward's last report
 * with the outbox's counts; offline (no_forwarder) when keycab-forward
 * has been silent for KC_LINK_SILENT_MS. false when nobody forwards
 * ([audit] url not set) or the link is not known yet (keycab-forward
 * not heard since keycabd started, nor silent long enough to tell). */
bool kc_outbox_ops_link(struct kc_ctl *ctl, struct kc_forward_status *fs);

#endif
