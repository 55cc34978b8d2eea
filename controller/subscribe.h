/* Live state for terminals: the subscribe and roster requests, and the
 * pushes a subscribed connection receives (controller/README.md, "Live
 * state"): each committed event, and the audit link's state when it
 * changes. The connections themselves are proto.c's. */
#ifndef KC_CTL_SUBSCRIBE_H
#define KC_CTL_SUBSCRIBE_H
#include <jansson.h>

#include "controller/ctl.h"

/* The store's publish callback (arg: the struct kc_ctl): pushes one
 * committed event to every subscriber, phone numbers masked. */
void kc_subscribe_event(void *arg, json_t *ev);
/* Ends the subscriptions whose sessions ended (at most every
 * KC_PROTO_SESSION_CHECK_MS), then pushes the forward object when the audit
 * link's state, as the scans last saw it (ctl->link_seen), differs from
 * the one last pushed. */
void kc_subscribe_tick(struct kc_ctl *ctl);
/* ctl->storage_changed: pushes the status reply's storage object to every
 * subscriber (the disk's state and the changes waiting). */
void kc_subscribe_storage(struct kc_ctl *ctl);

#endif
