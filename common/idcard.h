/* The 18-character number of a 居民身份证 (resident identity card), as
 * GB 11643-1999 defines it: a 6-digit region code, the birth date as
 * YYYYMMDD, a 3-digit sequence number and a check character computed with
 * ISO 7064 MOD 11-2 (a digit, or X for ten). The same format is used by
 * the residence permits of Hong Kong, Macao and Taiwan residents.
 *
 * kc_idcard_check() is pure: no I/O, no clock, no locale. keycabd checks
 * every resident ID card number that comes in (controller/rules.c's
 * kc_rules_id_number); the terminal's page does the same as you type
 * (controller/kiosk/www/idcard.js). */
#ifndef KC_IDCARD_H
#define KC_IDCARD_H

#include "common/msg.h"

#define KC_IDCARD_LEN 18

/* Checks a number. today is the desk's date as YYYYMMDD (a birth date
 * after it is refused). Returns 0 when the number is well formed, or:
 *   -EINVAL   not 17 digits followed by a digit or X (x is taken as X)
 *   -EDOM     the region code starts with 0
 *   -ERANGE   the birth date is no real date, is before 1900 or after today
 *   -EBADMSG  the check character does not match (a mistyped or swapped digit)
 * checked in that order. */
int kc_idcard_check(const char *number, int today);

/* The check character ('0'..'9' or 'X') of the first 17 characters, which
 * must be digits; 0 when they are not. */
char kc_idcard_check_char(const char *first17);

/* kc_idcard_check()'s result as a message (common/msgs/rules.def, in
 * English and Chinese): id_card_form, id_card_region, id_card_birth_date,
 * id_card_check_char. rc must not be 0. */
enum kc_msg_code kc_idcard_msg(int rc);

#endif
