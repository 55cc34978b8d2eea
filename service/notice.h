/* Notices: their kinds, and the times in them as people read them. */
#ifndef KC_SERVICE_NOTICE_H
#define KC_SERVICE_NOTICE_H
#include <stddef.h>

enum kc_notice_kind {
	KC_NOTICE_BEFORE_END,
	KC_NOTICE_END,
	KC_NOTICE_REMINDER,
	KC_NOTICE_LOAN_OVERDUE,
	KC_NOTICE_ALARM,
	KC_NOTICE_INGEST_REFUSED,
	KC_NOTICE_KINDS
};

/* A time of an event ("2026-11-25T06:30:00.000Z") as people read it in a
 * notice: "2026-11-25 14:30" at offset_min from UTC, or the bare date
 * "2026-11-25" for a local midnight (how the cabinet records a date) or a
 * midnight UTC (how older cabinets recorded one). Anything else is copied
 * as it is. */
void kc_notice_time(const char *iso, int offset_min, char *out, size_t len);
/* The same for an end the cabinet keeps as the start of the next local day
 * (an entrustment "to 2026-11-30" ends at 2026-11-30T16:00Z at +08:00):
 * shown as the last day it covers, "2026-11-30". */
void kc_notice_end(const char *iso, int offset_min, char *out, size_t len);

/* Name of a notice kind as used in [templates] keys ("before_end"). */
const char *kc_notice_kind_name(enum kc_notice_kind k);

#endif
