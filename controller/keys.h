/* The keys table as the decisions read it. */
#ifndef KC_CTL_KEYS_H
#define KC_CTL_KEYS_H
#include <jansson.h>

#include "controller/rules.h"
#include "controller/store.h"

/* Key code with its unit's site: 0, -ENOENT (no such key, or code NULL)
 * or -EIO. */
int kc_key_get(struct kc_store *st, const char *code, struct kc_key_info *out);
/* The same on the store's connection (struct kc_ctl's db). */
int kc_key_read(struct kc_db *db, const char *code, struct kc_key_info *out);
/* Sets the key's members of an event (key, kind, unit, site; k NULL or
 * of no code: none) and slot (NULL: none). */
void kc_key_event_members(json_t *ev, const struct kc_key_info *k, const char *slot);

#endif
