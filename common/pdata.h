/* Personal data: ID document numbers, card ids and PINs never stored or
 * logged in clear. An ID number is kept as a keyed hash (to match it when
 * it is shown again) plus a masked form (last 4 characters); a card id as
 * a keyed hash (to find its person); a PIN or a password as an argon2id
 * hash, libsodium's self-describing "$argon2id$..." string with its own
 * random salt.
 *
 * The keyed hash is BLAKE2b-256 (crypto_generichash) keyed with a secret
 * of 32 random bytes kept in a file outside the database, so a copy of the
 * database alone reveals nothing: an ID number's few unknown digits cannot
 * be tried without the key. Being deterministic, a card id's hash is found
 * by a lookup. ID hashes written before keyed hashes ("$argon2id$...")
 * still match. */
#ifndef KC_PDATA_H
#define KC_PDATA_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define KC_PWHASH_LEN 128 /* crypto_pwhash_STRBYTES */
#define KC_MASK_LEN 64
#define KC_HASH_KEY_LEN 32
#define KC_CARD_HASH_LEN 65 /* 64 hex digits */

/* Calls sodium_init(); returns 0 or -EIO. Call once before the others. */
int kc_pdata_init(void);

/* The hash key. kc_pdata_key_create makes the key file if there is none:
 * 32 random bytes, mode 0600 whatever the umask; 1 when it made it, 0 when
 * one was there. kc_pdata_key_load reads it: -ENOENT (no file), -EPERM
 * (its group or others may read or write it), -EINVAL (not a regular file
 * of 32 bytes) or another negative errno. Both say why in err. Until a key
 * is loaded or set, hashing IDs and cards fails with -ENOKEY. */
int kc_pdata_key_create(const char *path, char *err, size_t errlen);
int kc_pdata_key_load(const char *path, char *err, size_t errlen);
int kc_pdata_key_set(const unsigned char *key, size_t len);
/* A value a database keeps to know its key by: a keyed hash of a fixed
 * text, so another key is noticed at start. */
int kc_pdata_key_check(char out[KC_CARD_HASH_LEN]);

/* ID numbers are normalised first: spaces and dashes dropped, letters
 * upper-cased. Returns -EINVAL for an ID that is empty, longer than 32
 * characters, or has characters other than letters and digits. */
int kc_id_normalise(const char *id, char *out, size_t len);
/* "$kb2$" and 64 hex digits: the keyed hash of the normalised number. */
int kc_id_hash(const char *id, char out[KC_PWHASH_LEN]);
/* Against a keyed hash or one written before them ("$argon2id$..."). */
bool kc_id_matches(const char *id, const char *stored_hash);
/* "**************123X": the length kept, all but the last 4 masked. */
int kc_id_mask(const char *id, char *out, size_t len);

/* A phone number as the cabinet shows it, never in full: of its digits
 * (every character but spaces, "+", "-", "(" and ")", which are shown as
 * they are), 11 or more keep all but the last 8, then 4 masked and the
 * last 4 ("138****5678", "+86 138 **** 5678"); 6 to 10 keep the last 4; 3
 * to 5 the last 2; fewer are all masked. 0, or -ENOSPC. */
int kc_phone_mask(const char *phone, char *out, size_t len);
/* Masks in place every member of obj that holds a phone number (as the
 * events and the lists name them: owner_phone): an empty one becomes
 * null. */
void kc_json_phones_mask(json_t *obj);

/* The office's notice public key (crypto_box, 32 bytes) from its base64
 * form as keycabd.conf's [notify] notice_public_key gives it: 0 or
 * -EINVAL. */
#define KC_NOTICE_PK_BYTES 32
int kc_notice_pk_parse(const char *b64, unsigned char pk[KC_NOTICE_PK_BYTES]);
/* A phone number as it leaves the cabinet, in data: phone_masked (its
 * kc_phone_mask form) and, with pk (NULL: none), phone_sealed: the
 * number sealed to pk (libsodium crypto_box_seal), in base64, which only
 * the holder of the office's notice secret key opens. An empty or absent
 * phone adds nothing. 0 or -ENOMEM. */
int kc_json_phone_seal(json_t *data, const char *phone, const unsigned char *pk);

/* PINs: 4 to 12 digits. Passwords: 8 to 128 bytes. */
int kc_pin_check_form(const char *pin);
int kc_secret_hash(const char *secret, char out[KC_PWHASH_LEN]);
bool kc_secret_matches(const char *secret, const char *stored_hash);

/* A card id's keyed hash, 64 hex digits. 0, -EINVAL (empty) or -ENOKEY. */
int kc_card_hash(const char *card, char out[KC_CARD_HASH_LEN]);

/* A random token as hex (2*nbytes characters) and its SHA-256 as hex, for
 * bearer tokens a service stores hashed (card ids were stored so before
 * keyed hashes). */
int kc_token_new(char *out, size_t nbytes);
void kc_token_hash(const char *token, char out[65]);

#endif
