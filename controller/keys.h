/* The keys table as the decisions read it. */
#ifndef KC_CTL_KEYS_H
#define KC_CTL_KEYS_H
#include "controller/rules.h"
#include "controller/store.h"

/* Key code with its unit's site: 0, -ENOENT (no such key, or code NULL)
 * or -EIO. */
int kc_key_get(struct kc_store *st, const char *code, struct kc_key_info *out);

#endif
