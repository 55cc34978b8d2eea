/* The keyed hashes' key against its database (controller/hashkey.c). */
#ifndef KC_CTL_HASHKEY_H
#define KC_CTL_HASHKEY_H
#include <stddef.h>

#include "controller/store.h"

/* The database knows its hash key by a check value: recorded on first use,
 * compared after. 0, or -EKEYREJECTED (another key) / -EIO with err. */
int kc_hashkey_check(struct kc_store *st, const char *key_file, char *err, size_t errlen);

#endif
