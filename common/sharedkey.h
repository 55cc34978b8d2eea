/* A key two programs share through a file, such as the terminal key
 * keycabd and the kiosk both read ([socket] terminal_key, [kiosk]
 * terminal_key; controller/README.md, "Live state"). The file holds one
 * line of printable ASCII (e.g. `head -c 32 /dev/urandom | base64`); white
 * space around it is not part of the key. Whoever checks a key keeps only
 * its digest and compares digests in constant time. */
#ifndef KC_SHAREDKEY_H
#define KC_SHAREDKEY_H
#include <stdbool.h>
#include <stddef.h>

#define KC_SHARED_KEY_MIN 32  /* characters */
#define KC_SHARED_KEY_MAX 256
#define KC_SHARED_KEY_DIGEST 32

/* Reads the key at path into out (NUL-terminated): a regular file that
 * nobody but its owner may write and nobody outside its group may read,
 * holding KC_SHARED_KEY_MIN to KC_SHARED_KEY_MAX printable characters
 * without spaces. 0, or -errno with why in err (the key never in it). */
int kc_shared_key_read(const char *path, char out[KC_SHARED_KEY_MAX + 1], char *err,
		       size_t errlen);
/* The digest a key is known by (BLAKE2b-256 of its len bytes). */
void kc_shared_key_digest(const char *key, size_t len, unsigned char out[KC_SHARED_KEY_DIGEST]);
/* Whether key (len bytes) has the digest want, in constant time. */
bool kc_shared_key_matches(const unsigned char want[KC_SHARED_KEY_DIGEST], const char *key,
			   size_t len);
/* The same for a key that came in a request, wiped in place after (the
 * request is freed after its reply: nothing of the key stays); want
 * NULL: no key is taken, false. */
bool kc_shared_key_take(const unsigned char *want, char *key, size_t len);

#endif
