/* Small helpers both daemons and the tools share. */
#ifndef KC_UTIL_H
#define KC_UTIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parse a whole string as a base-10 (or 0x hex) integer in [min, max].
 * Returns 0, or -EINVAL (not a number) / -ERANGE (out of range);
 * *out is written only on success. */
int kc_parse_long(const char *s, long long min, long long max, long long *out);
/* "true/false/yes/no/on/off/1/0" */
int kc_parse_bool(const char *s, bool *out);

/* Milliseconds: monotonic for timers, wall clock (UTC, since the epoch)
 * for what is recorded. */
int64_t kc_mono_ms(void);
int64_t kc_wall_ms(void);

/* "2026-11-22T21:03:04.123Z"; buf holds at least KC_TIME_LEN bytes. */
#define KC_TIME_LEN 32
void kc_time_format(int64_t wall_ms, char *buf, size_t len);
/* Accepts "YYYY-MM-DDTHH:MM:SS[.mmm]Z", "YYYY-MM-DD HH:MM[:SS]" (UTC) and
 * "YYYY-MM-DD" (midnight UTC). Returns 0 or -EINVAL. */
int kc_time_parse(const char *s, int64_t *wall_ms);

/* Copies at most len-1 bytes and terminates; returns strlen(src). */
size_t kc_strlcpy(char *dst, const char *src, size_t len);

#endif
