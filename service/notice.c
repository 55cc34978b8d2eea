#include "service/notice.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "service/keylog_text.h"
#include "service/words.h"

/* The fields every notice has: the site by name, the cabinet, the
 * event's time in the site's zone, the event's number. */
#define COMMON_FIELDS "site cabinet time seq"
#define ENTRUSTMENT_FIELDS COMMON_FIELDS " owner_name owner_phone phone_masked unit key end end_when stage entrustment"

/* Each kind: its name, whom it is for, the fields its templates may name. */
static const struct {
	const char *name, *recipient, *fields;
} kinds[KC_NOTICE_KINDS] = {
	[KC_NOTICE_BEFORE_END] = { "before_end", "owner", ENTRUSTMENT_FIELDS },
	[KC_NOTICE_END] = { "end", "owner", ENTRUSTMENT_FIELDS },
	[KC_NOTICE_REMINDER] = { "reminder", "owner", ENTRUSTMENT_FIELDS },
	[KC_NOTICE_LOAN_OVERDUE] = { "loan_overdue", "borrower",
				     COMMON_FIELDS " key unit person due loan phone_masked department" },
	[KC_NOTICE_ALARM] = { "alarm", "desk", COMMON_FIELDS " alarm_type key unit slot person detail" },
	[KC_NOTICE_INGEST_REFUSED] = { "ingest_refused", "desk", COMMON_FIELDS " message" },
	[KC_NOTICE_BOARD_FAULT] = { "board_fault", "desk", COMMON_FIELDS " board slots" },
	[KC_NOTICE_BOARD_OK] = { "board_ok", "desk", COMMON_FIELDS " board slots" },
	[KC_NOTICE_CABINET_OFFLINE] = { "cabinet_offline", "desk", COMMON_FIELDS " since minutes" },
	[KC_NOTICE_CABINET_ONLINE] = { "cabinet_online", "desk", COMMON_FIELDS " since minutes" },
	[KC_NOTICE_KEY_OUT] = { "key_out", "owner", COMMON_FIELDS " owner_name owner_phone phone_masked unit key person" },
	[KC_NOTICE_KEY_BACK] = { "key_back", "owner",
				 COMMON_FIELDS " owner_name owner_phone phone_masked unit key person" },
	[KC_NOTICE_DAILY_SUMMARY] = { "daily_summary", "supervisor",
				      COMMON_FIELDS " day keys_out overdue ids_held unreviewed" },
};

const char *kc_notice_kind_name(enum kc_notice_kind k)
{
	return k < KC_NOTICE_KINDS ? kinds[k].name : "?";
}

int kc_notice_kind_find(const char *name, size_t len, enum kc_notice_kind *k)
{
	for (int i = 0; i < KC_NOTICE_KINDS; i++)
		if (strlen(kinds[i].name) == len && strncmp(kinds[i].name, name, len) == 0) {
			*k = (enum kc_notice_kind)i;
			return 0;
		}
	return -ENOENT;
}

const char *kc_notice_recipient(enum kc_notice_kind k)
{
	return k < KC_NOTICE_KINDS ? kinds[k].recipient : "?";
}

bool kc_notice_field_known(enum kc_notice_kind k, const char *name, size_t len)
{
	const char *p = k < KC_NOTICE_KINDS ? kinds[k].fields : "";

	while (*p) {
		size_t n = strcspn(p, " ");

		if (n == len && strncmp(p, name, len) == 0)
			return true;
		p += n;
		p += *p == ' ';
	}
	return false;
}

void kc_notice_field_list(enum kc_notice_kind k, char *out, size_t len)
{
	snprintf(out, len, "%s", k < KC_NOTICE_KINDS ? kinds[k].fields : "");
}

/* {end_when}: the end against the day the notice is made, in lang */
static void end_when(json_t *f, enum kc_lang lang)
{
	static const struct {
		const char *code;
		enum kc_msg_code msg;
	} when[] = {
		{ "today", KCM_notice_end_today },
		{ "past", KCM_notice_end_past },
		{ "future", KCM_notice_end_future },
	};
	const char *code = json_string_value(json_object_get(f, "end_when"));
	const char *end = json_string_value(json_object_get(f, "end"));
	char text[128];

	for (size_t i = 0; code && end && i < KC_ARRAY_SIZE(when); i++) {
		json_t *m;

		if (strcmp(code, when[i].code) != 0)
			continue;
		m = kc_msg_new(when[i].msg, "{s:s}", "end", end);
		if (m && kc_msg_render(m, lang, text, sizeof(text)) >= 0)
			json_object_set_new(f, "end_when", json_string(text)); /* code is freed */
		json_decref(m);
		break;
	}
}

/* a list (a board's slots) as lang writes one: "C01、C02", "C01, C02" */
static void list_words(json_t *f, const char *name, enum kc_lang lang)
{
	const json_t *v = json_object_get(f, name), *e;
	const char *sep = kc_msg_gettext(lang, ", ");
	char text[1024] = "";
	size_t i, n = 0;

	if (!json_is_array(v))
		return;
	json_array_foreach(v, i, e) {
		if (json_is_string(e) && n < sizeof(text))
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%s", i ? sep : "", json_string_value(e));
	}
	json_object_set_new(f, name, json_string(text));
}

json_t *kc_notice_words(const json_t *fields, enum kc_lang lang)
{
	static const char *const words[] = { "alarm_type" }, *const sentences[] = { "detail", "message" };
	json_t *f = json_deep_copy(fields);
	char text[512];

	for (size_t i = 0; f && i < KC_ARRAY_SIZE(words); i++) {
		const char *v = json_string_value(json_object_get(f, words[i]));

		if (v)
			json_object_set_new(f, words[i], json_string(kc_word(lang, words[i], v)));
	}
	for (size_t i = 0; f && i < KC_ARRAY_SIZE(sentences); i++) {
		const char *v = json_string_value(json_object_get(f, sentences[i]));

		if (v) {
			kc_keylog_reason(lang, v, text, sizeof(text));
			json_object_set_new(f, sentences[i], json_string(text));
		}
	}
	if (f) {
		end_when(f, lang);
		list_words(f, "slots", lang);
	}
	return f;
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
