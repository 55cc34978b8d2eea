/* Notices: their kinds, whom each is for, the fields its texts may name,
 * and the times in them as people read them. */
#ifndef KC_SERVICE_NOTICE_H
#define KC_SERVICE_NOTICE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

enum kc_notice_kind {
	KC_NOTICE_BEFORE_END,
	KC_NOTICE_END,
	KC_NOTICE_REMINDER,
	KC_NOTICE_LOAN_OVERDUE,
	KC_NOTICE_ALARM,
	KC_NOTICE_INGEST_REFUSED,
	KC_NOTICE_BOARD_FAULT,
	KC_NOTICE_BOARD_OK,
	KC_NOTICE_CABINET_OFFLINE,
	KC_NOTICE_CABINET_ONLINE,
	KC_NOTICE_KEY_OUT,
	KC_NOTICE_KEY_BACK,
	KC_NOTICE_DAILY_SUMMARY,
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

/* Name of a notice kind as used in template files and [templates] keys
 * ("before_end"). */
const char *kc_notice_kind_name(enum kc_notice_kind k);
/* The kind named name: 0, or -ENOENT. */
int kc_notice_kind_find(const char *name, size_t len, enum kc_notice_kind *k);
/* Whom a notice of kind k is for: "owner", "borrower", "desk",
 * "supervisor" (the payload's recipient). */
const char *kc_notice_recipient(enum kc_notice_kind k);
/* Whether a template of kind k may name the field name (len bytes). */
bool kc_notice_field_known(enum kc_notice_kind k, const char *name, size_t len);
/* The fields kind k's templates may name, space-separated, for messages
 * and the README. */
void kc_notice_field_list(enum kc_notice_kind k, char *out, size_t len);

/* fields (string members) as a template of lang reads them: the codes
 * among them as words (an alarm's type), the cabinet's sentences (an
 * alarm's detail, a refusal's message) in lang, and an entrustment's end
 * phrased against the day the notice is made ("今日（2026-12-06）到期" on
 * that day, "已于2026-12-06到期" after it: {end_when}), a list (a board's
 * slots) joined as lang writes one. NULL when out of memory. */
json_t *kc_notice_words(const json_t *fields, enum kc_lang lang);

#endif
