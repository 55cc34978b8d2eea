/* The registry: imports and admin commands, and their registry events. */
#ifndef KC_CTL_REGISTRY_H
#define KC_CTL_REGISTRY_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/ctl.h"
#include "controller/store.h"

/* Inside a transaction: the entrustment of key k by owner (name, phone
 * as the event carries them) from start to end, with its
 * entrustment.registered event; its id in *id. 0 or -EIO. */
int kc_registry_entrustment_add(struct kc_ctl *ctl, const char *actor, const char *owner, const char *name,
				const char *phone, const struct kc_key_info *k, int64_t start, int64_t end,
				int64_t *id);

/* Whether slot reads the key of tag (0: any key) now: true without
 * hardware. */
bool kc_registry_slot_holds(struct kc_ctl *ctl, const char *slot, uint32_t tag);

#endif
