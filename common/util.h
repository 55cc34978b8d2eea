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
/* "10s", "5m", "2h", "7d", "250ms" or plain seconds, into ms in
 * [min_ms, max_ms]. Returns 0, or -EINVAL / -ERANGE. */
#define KC_DAY_MS (24LL * 3600 * 1000)
int kc_parse_duration(const char *s, int64_t min_ms, int64_t max_ms, int64_t *out);

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

/* Desk time: dates and "the same day" in one IANA time zone per process,
 * whatever TZ the environment holds. kc_tz_set() checks the name against
 * the zone database (KC_TZ_DIR) and makes it the zone of localtime_r and
 * mktime; call it once, before any thread starts. 0, -EINVAL (not a zone
 * name) or -ENOENT (no such zone). kc_tz_check() only checks. */
#define KC_TZ_DEFAULT "Asia/Shanghai"
#define KC_TZ_DIR "/usr/share/zoneinfo"
#define KC_TZ_LEN 64
int kc_tz_check(const char *zone);
int kc_tz_set(const char *zone);
/* The zone kc_tz_set() set; "" before. */
const char *kc_tz_name(void);

/* What a bare date means where a time is taken or shown. */
enum kc_day_as {
	KC_DAY_START, /* its local day's start ("from D"); shown as the bare date */
	KC_DAY_END,   /* the next local day's start ("to D" holds all of D); shown as D */
	KC_DAY_LAST,  /* the last millisecond of the local day ("due D"); shown to the minute */
};
/* The start of the local day that holds wall_ms, and of the next one. */
int64_t kc_local_day_start(int64_t wall_ms);
int64_t kc_local_next_day(int64_t wall_ms);
/* A time taken at the desk: ISO with Z is UTC, "YYYY-MM-DD HH:MM[:SS]"
 * (or with a T) is local, "YYYY-MM-DD" is a local day read as `as` says.
 * Returns 0 or -EINVAL. */
int kc_local_parse(const char *s, enum kc_day_as as, int64_t *wall_ms);
/* "2026-11-22 21:03" local; a local midnight as a bare date unless as is
 * KC_DAY_LAST (for KC_DAY_END, the day before: the last day it holds). */
void kc_local_format(int64_t wall_ms, enum kc_day_as as, char *buf, size_t len);

/* Copies at most len-1 bytes and terminates; returns strlen(src). */
size_t kc_strlcpy(char *dst, const char *src, size_t len);

#endif
