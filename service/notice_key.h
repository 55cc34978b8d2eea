/* The office's notice key: a phone number leaves the cabinet sealed to its
 * public half (libsodium crypto_box_seal, base64: a notice's phone_sealed);
 * only the notifier opens it, with a secret half, at the moment of
 * sending. The file ([notify] notice_key_file, readable by keyauditd
 * only) holds one pair a line, "PUBLIC SECRET" in base64, the newest
 * last; every pair is kept, so a number sealed to a key before a rotation
 * still opens after it. */
#ifndef KC_SERVICE_NOTICE_KEY_H
#define KC_SERVICE_NOTICE_KEY_H
#include <stddef.h>

#define KC_NOTICE_PUB_B64 45 /* a public half in base64, with its NUL */

/* Adds a new pair to the file at path (created 0600; one others may read
 * is refused) and gives its public half in pub. 0 or -errno, with the
 * message in err. */
int kc_notice_key_new(const char *path, char pub[KC_NOTICE_PUB_B64], char *err, size_t errlen);

struct kc_notice_keys;
/* Reads every pair of the file (into memory that is locked and wiped when
 * freed). NULL with the message in err. */
struct kc_notice_keys *kc_notice_keys_load(const char *path, char *err, size_t errlen);
/* Opens a sealed number with the newest key that opens it: its clear
 * text in out (the caller wipes it). 0, -EINVAL (not base64, too long),
 * -ENOKEY (no key opens it). */
int kc_notice_keys_open(const struct kc_notice_keys *k, const char *sealed_b64, char *out, size_t len);
/* The newest pair's public half (32 bytes), to seal a number to: 0, -ENOKEY. */
int kc_notice_keys_public(const struct kc_notice_keys *k, unsigned char *pk);
void kc_notice_keys_free(struct kc_notice_keys *k);

#endif
