/* Time zones by name, many at once and from any thread: a site's days and
 * months are its cabinets' zone's (a cabinet names its zone in the
 * `time_zone` of its `controller.started` events), while keyauditd serves
 * every site from one process. A zone is read once from the zone database
 * (KC_TZ_DIR; TZif files of version 2 or later, RFC 8536: the transitions,
 * then the footer's POSIX rule) and kept for the process's life.
 *
 * The local days of common/util.h's kc_local_* (one zone per process,
 * through TZ) in a zone given by name: the same kc_day_as, the same forms
 * of a time typed in, the same way of showing one. */
#ifndef KC_SERVICE_ZONE_H
#define KC_SERVICE_ZONE_H
#include <stddef.h>
#include <stdint.h>

#include "common/util.h"

struct kc_zone;

/* The zone named name (checked with kc_tz_check), read on first use; NULL
 * for a name that is not a zone of KC_TZ_DIR, or a file this cannot read. */
const struct kc_zone *kc_zone_get(const char *name);
/* The zone of sites whose cabinets named none: [server] time_zone, set at
 * start (kc_zone_set_default; KC_TZ_DEFAULT until then). */
const struct kc_zone *kc_zone_default(void);
int kc_zone_set_default(const char *name);
const char *kc_zone_name(const struct kc_zone *z);

/* Seconds east of UTC in z at wall_ms. */
int32_t kc_zone_offset(const struct kc_zone *z, int64_t wall_ms);
/* The start of z's local day that holds wall_ms. */
int64_t kc_zone_day_start(const struct kc_zone *z, int64_t wall_ms);
/* [*start, *end) of month "YYYY-MM" in z; -EINVAL for anything else. */
int kc_zone_month(const struct kc_zone *z, const char *month, int64_t *start, int64_t *end);
/* "YYYY-MM" of the local month that holds wall_ms; buf of 8 bytes or more. */
void kc_zone_month_of(const struct kc_zone *z, int64_t wall_ms, char *buf, size_t len);
/* A time typed in, as kc_local_parse reads it, in z: ISO with Z is UTC,
 * "YYYY-MM-DD HH:MM[:SS]" (or with a T) is local, "YYYY-MM-DD" a local day
 * read as `as` says. A local time a clock change skips is the first
 * instant after the gap; one it repeats, its first occurrence. 0 or
 * -EINVAL. */
int kc_zone_parse(const struct kc_zone *z, const char *s, enum kc_day_as as, int64_t *wall_ms);
/* As kc_local_format: "2026-11-22 21:03" local; a local midnight as a bare
 * date unless as is KC_DAY_LAST (for KC_DAY_END, the day before). */
void kc_zone_format(const struct kc_zone *z, int64_t wall_ms, enum kc_day_as as, char *buf, size_t len);

#endif
