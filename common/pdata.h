/* Personal data: ID document numbers and PINs never stored or logged in
 * clear. An ID number is kept as a salted argon2id hash (to match it when
 * it is shown again) plus a masked form (last 4 characters); a PIN or a
 * password as an argon2id hash. Both hashes are libsodium's self-describing
 * "$argon2id$..." strings, which carry their own random salt. */
#ifndef KC_PDATA_H
#define KC_PDATA_H
#include <stdbool.h>
#include <stddef.h>

#define KC_PWHASH_LEN 128 /* crypto_pwhash_STRBYTES */
#define KC_MASK_LEN 64

/* Calls sodium_init(); returns 0 or -EIO. Call once before the others. */
int kc_pdata_init(void);

/* ID numbers are normalised first: spaces and dashes dropped, letters
 * upper-cased. Returns -EINVAL for an ID that is empty, longer than 32
 * characters, or has characters other than letters and digits. */
int kc_id_normalise(const char *id, char *out, size_t len);
int kc_id_hash(const char *id, char out[KC_PWHASH_LEN]);
bool kc_id_matches(const char *id, const char *stored_hash);
/* "**************123X": the length kept, all but the last 4 masked. */
int kc_id_mask(const char *id, char *out, size_t len);

/* PINs: 4 to 12 digits. Passwords: 8 to 128 bytes. */
int kc_pin_check_form(const char *pin);
int kc_secret_hash(const char *secret, char out[KC_PWHASH_LEN]);
bool kc_secret_matches(const char *secret, const char *stored_hash);

/* A random token as hex (2*nbytes characters) and its SHA-256 as hex, for
 * bearer tokens a service stores hashed. */
int kc_token_new(char *out, size_t nbytes);
void kc_token_hash(const char *token, char out[65]);

#endif
