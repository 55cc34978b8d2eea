#include "service/notice.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "common/util.h"

static const char *const kind_names[KC_NOTICE_KINDS] = {
	[KC_NOTICE_BEFORE_END] = "before_end",
	[KC_NOTICE_END] = "end",
	[KC_NOTICE_REMINDER] = "reminder",
	[KC_NOTICE_LOAN_OVERDUE] = "loan_overdue",
	[KC_NOTICE_ALARM] = "alarm",
	[KC_NOTICE_INGEST_REFUSED] = "ingest_refused",
};

const char *kc_notice_kind_name(enum kc_notice_kind k)
{
	return k < KC_NOTICE_KINDS ? kind_names[k] : "?";
}

/* Formats ms as people read it at offset_min: a date for a local midnight
 * (or a midnight UTC, as cabinets recorded dates before they had a time
 * zone), else the date and minute. An exclusive end at a local midnight
 * shows as the day before, the last day it covers. */
static void notice_format(int64_t ms, int offset_min, bool end, char *out, size_t len)
{
	int64_t local = ms + (int64_t)offset_min * 60000;
	time_t t;
	struct tm tm;

	if (ms % 86400000 == 0 && local % 86400000 != 0) {
		t = (time_t)(ms / 1000);
		gmtime_r(&t, &tm);
		strftime(out, len, "%Y-%m-%d", &tm);
		return;
	}
	if (local % 86400000 == 0) {
		t = (time_t)((end ? local - 1 : local) / 1000);
		gmtime_r(&t, &tm);
		strftime(out, len, "%Y-%m-%d", &tm);
		return;
	}
	t = (time_t)(local / 1000);
	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d %H:%M", &tm);
}

static void notice_iso(const char *iso, int offset_min, bool end, char *out, size_t len)
{
	int64_t ms;

	if (!iso || kc_time_parse(iso, &ms) < 0) {
		snprintf(out, len, "%s", iso ? iso : "-");
		return;
	}
	notice_format(ms, offset_min, end, out, len);
}

void kc_notice_time(const char *iso, int offset_min, char *out, size_t len)
{
	notice_iso(iso, offset_min, false, out, len);
}

void kc_notice_end(const char *iso, int offset_min, char *out, size_t len)
{
	notice_iso(iso, offset_min, true, out, len);
}
