#include "controller/rules.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/idcard.h"
#include "common/pdata.h"
#include "common/util.h"

void kc_decision_init(struct kc_decision *d)
{
	memset(d, 0, sizeof(*d));
}

void kc_decision_clear(struct kc_decision *d)
{
	json_decref(d->missing);
	json_decref(d->msgs);
	d->missing = NULL;
	d->msgs = NULL;
}

void kc_decision_add(struct kc_decision *d, int rule, json_t *m)
{
	size_t n = strlen(d->reason);

	d->granted = false;
	if (d->rule == 0)
		d->rule = rule;
	if (!d->msgs)
		d->msgs = json_array();
	if (!m)
		return;
	if (n > 0 && n + 2 < sizeof(d->reason)) {
		d->reason[n++] = ' ';
		d->reason[n] = '\0';
	}
	kc_msg_render(m, KC_LANG_EN, d->reason + n, sizeof(d->reason) - n);
	json_array_append_new(d->msgs, m);
}

void kc_decision_refuse(struct kc_decision *d, int rule, enum kc_msg_code c, const char *fmt, ...)
{
	va_list ap;
	json_t *m;

	va_start(ap, fmt);
	m = kc_msg_vnew(c, fmt, ap);
	va_end(ap);
	kc_decision_add(d, rule, m ? m : kc_msg_new(c, NULL));
}

void kc_decision_missing(struct kc_decision *d, const char *what)
{
	if (!d->missing)
		d->missing = json_array();
	json_array_append_new(d->missing, json_string(what));
}

bool kc_rules_operator_role(const char *role)
{
	/* the roles that operate the cabinet, by their words (words.h) */
	static const enum kc_role operators[] = { KC_ROLE_STAFF, KC_ROLE_MANAGER, KC_ROLE_SUPERVISOR };

	for (size_t i = 0; role && i < KC_ARRAY_SIZE(operators); i++)
		if (strcmp(role, kc_role_table[operators[i]]) == 0)
			return true;
	return false;
}

void kc_rules_fmt_local(int64_t ms, char *buf, size_t len)
{
	kc_local_format(ms, KC_DAY_START, buf, len);
}

int64_t kc_rules_end_of_day(int64_t now_ms)
{
	return kc_local_next_day(now_ms) - 1;
}

const char *kc_purpose_name(enum kc_purpose p)
{
	return KC_WORD(kc_purpose, p);
}

int kc_purpose_find(const char *name, enum kc_purpose *out)
{
	enum kc_purpose p = kc_purpose_from_string(name);

	if (p == KC_PURPOSE_INVALID || p >= KC_PURPOSE_COUNT)
		return -ENOENT;
	*out = p;
	return 0;
}

/* ms as the configuration writes it: "7d", "36h", "90m", "45s", "500ms". */
static void fmt_duration(int64_t ms, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = { { "d", KC_DAY_MS }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 } };

	for (size_t i = 0; i < KC_ARRAY_SIZE(units); i++)
		if (ms >= units[i].ms && ms % units[i].ms == 0) {
			snprintf(buf, len, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
			return;
		}
	snprintf(buf, len, "%lldms", (long long)ms);
}

int64_t kc_rules_due_in(int64_t now_ms, int64_t seconds)
{
	int64_t ms, due;

	if (__builtin_mul_overflow(seconds, 1000, &ms) || __builtin_add_overflow(now_ms, ms, &due))
		return INT64_MAX;
	return due;
}

void kc_rules_due_bound(enum kc_purpose p, int64_t max_ms, int64_t now_ms, int64_t due_ms, struct kc_decision *d)
{
	int64_t ahead, latest;
	char limit[24], setting[48], at[32];

	d->granted = true;
	if (due_ms <= 0 || (!__builtin_sub_overflow(due_ms, now_ms, &ahead) && ahead <= max_ms))
		return;
	fmt_duration(max_ms, limit, sizeof(limit));
	snprintf(setting, sizeof(setting), "[desk] max_loan_%s", kc_purpose_name(p));
	if (__builtin_add_overflow(now_ms, max_ms, &latest))
		latest = now_ms;
	kc_local_format(latest, KC_DAY_LAST, at, sizeof(at)); /* with its time, even at midnight */
	kc_decision_refuse(d, 0, KCM_due_beyond_limit, "{s:s, s:s, s:s, s:s}", "purpose", kc_purpose_name(p),
			   "limit", limit, "setting", setting, "latest", at);
	kc_decision_missing(d, "due time within the limit");
}

bool kc_rules_release_due(const char *purpose, const int64_t *max_ms, int64_t now_ms, int64_t due_ms,
			  int64_t due_in_s, int64_t *due_out, struct kc_decision *d)
{
	enum kc_purpose p;

	kc_decision_init(d);
	d->granted = true;
	*due_out = due_in_s > 0 ? kc_rules_due_in(now_ms, due_in_s) : due_ms;
	if (kc_purpose_find(purpose, &p) == 0)
		kc_rules_due_bound(p, max_ms[p], now_ms, *due_out, d);
	return d->granted;
}

int kc_rules_id_number(const char *id_type, const char *number, int64_t now_ms, enum kc_msg_code *why)
{
	char norm[40], day[32];
	int y, m, dd, r;

	if (!number || kc_id_normalise(number, norm, sizeof(norm)) < 0) {
		*why = id_type && strcmp(id_type, "id_card") == 0 ? KCM_id_card_form : KCM_id_number_invalid;
		return -EINVAL;
	}
	if (!id_type || strcmp(id_type, "id_card") != 0)
		return 0;
	kc_local_format(kc_local_day_start(now_ms), KC_DAY_START, day, sizeof(day));
	if (sscanf(day, "%4d-%2d-%2d", &y, &m, &dd) != 3)
		y = 9999, m = 12, dd = 31; /* no today to hold the birth date against */
	r = kc_idcard_check(norm, y * 10000 + m * 100 + dd);
	if (r < 0) {
		*why = kc_idcard_msg(r);
		return -EINVAL;
	}
	return 0;
}

void kc_rules_approve(const char *key, const struct kc_key_info *k, struct kc_decision *d)
{
	d->granted = true;
	if (!k) {
		kc_decision_refuse(d, 0, KCM_approval_key_unknown, "{s:s}", "key", key ? key : "");
		return;
	}
	d->key = *k;
	if (k->kind != KC_KIND_SEALED)
		kc_decision_refuse(d, 4, KCM_key_not_sealed, "{s:s}", "key", k->code);
}

void kc_rules_inspect(int64_t loan, const struct kc_loan_facts *l, const char *result,
		      const char *problems, const char *dept, struct kc_decision *d)
{
	d->granted = true;
	if (strcmp(result, "problems") == 0 && (!problems || !*problems || !dept || !*dept)) {
		kc_decision_refuse(d, 5, KCM_inspection_problems_not_forwarded, NULL);
		kc_decision_missing(d, "problems found");
		kc_decision_missing(d, "department forwarded to");
	} else if (!l) {
		kc_decision_refuse(d, 0, KCM_loan_unknown, "{s:I}", "loan", (json_int_t)loan);
	} else if (kc_purpose_from_string(l->purpose) != KC_PURPOSE_INSPECTION) {
		kc_decision_refuse(d, 5, KCM_loan_not_inspection, "{s:I, s:s}", "loan", (json_int_t)loan,
				   "purpose", l->purpose);
	} else if (kc_loan_state_from_string(l->state) != KC_LOAN_RETURNED) {
		kc_decision_refuse(d, 5, KCM_inspection_key_not_back, "{s:I}", "loan", (json_int_t)loan);
		kc_decision_missing(d, "key returned");
	} else if (strcmp(l->inspection, "recorded") == 0) {
		kc_decision_refuse(d, 0, KCM_inspection_recorded_already, "{s:I}", "loan",
				   (json_int_t)loan);
	}
}

void kc_rules_handover_sign(int64_t id, const struct kc_handover_facts *h, const char *person,
			    bool review, struct kc_decision *d)
{
	d->granted = true;
	if (!h) {
		kc_decision_refuse(d, 0, KCM_handover_unknown, "{s:I}", "handover", (json_int_t)id);
	} else if (!review && h->confirmed_ms) {
		kc_decision_refuse(d, 12, KCM_handover_confirmed_already, "{s:I, s:s}", "handover",
				   (json_int_t)id, "person", h->incoming);
	} else if (!review && strcmp(h->outgoing, person) == 0) {
		kc_decision_refuse(d, 12, KCM_handover_confirm_by_outgoing, "{s:s}", "person",
				   h->outgoing);
		kc_decision_missing(d, "incoming staff login");
	} else if (review && !h->confirmed_ms) {
		kc_decision_refuse(d, 12, KCM_handover_not_confirmed, "{s:I}", "handover",
				   (json_int_t)id);
		kc_decision_missing(d, "incoming staff confirmation");
	} else if (review && h->reviewed_ms) {
		kc_decision_refuse(d, 12, KCM_handover_reviewed_already, "{s:I}", "handover",
				   (json_int_t)id);
	}
}

void kc_rules_alarm_clear(int64_t id, bool found, int64_t cleared_ms, const char *note,
			  struct kc_decision *d)
{
	d->granted = true;
	if (!note || !*note) {
		kc_decision_refuse(d, 11, KCM_alarm_note_needed, NULL);
		kc_decision_missing(d, "note");
	} else if (!found) {
		kc_decision_refuse(d, 0, KCM_alarm_unknown, "{s:I}", "alarm", (json_int_t)id);
	} else if (cleared_ms) {
		kc_decision_refuse(d, 0, KCM_alarm_cleared_already, "{s:I}", "alarm", (json_int_t)id);
	}
}

const char *kc_rules_notice_stage(int64_t lead_ms, int64_t reminder_ms, int64_t now,
				  int64_t end_ms, int64_t last_ms, bool has_before, bool has_end)
{
	int64_t end_day = kc_local_day_start(end_ms - 1);

	if (now < end_day)
		return !has_before && now >= end_ms - lead_ms ? "before_end" : NULL;
	if (!has_end)
		return "end";
	if (now >= end_ms && now - last_ms >= reminder_ms)
		return "reminder";
	return NULL;
}

bool kc_rules_overdue(int64_t due_ms, int64_t now_ms)
{
	return due_ms > 0 && now_ms > due_ms;
}

json_t *kc_rules_wrong_slot(const struct kc_key_info *k, const char *slot)
{
	if (strcmp(slot, k->home_slot) == 0)
		return NULL;
	return kc_msg_new(KCM_alarm_key_wrong_slot, "{s:s, s:s, s:s}", "key", k->code, "slot", slot, "home",
			  k->home_slot);
}

void kc_rules_reseat_alarm(int64_t alarm, const struct kc_alarm_facts *a, struct kc_decision *d)
{
	d->granted = true;
	if (!a->found)
		kc_decision_refuse(d, 0, KCM_reseat_alarm_unknown, "{s:I}", "alarm", (json_int_t)alarm);
	else if (a->cleared_ms)
		kc_decision_refuse(d, 0, KCM_reseat_alarm_cleared, "{s:I}", "alarm", (json_int_t)alarm);
	else if (a->type != KC_ALARM_WRONG_SLOT)
		kc_decision_refuse(d, 9, KCM_reseat_alarm_not_wrong_slot, "{s:I}", "alarm", (json_int_t)alarm);
	else if (!a->key[0])
		kc_decision_refuse(d, 9, KCM_reseat_alarm_key_unknown, "{s:I}", "alarm", (json_int_t)alarm);
}

void kc_rules_reseat(const char *operator_code, const char *operator_role, const char *key,
		     const struct kc_key_info *k, bool home_taken, int open_windows,
		     struct kc_decision *d)
{
	d->granted = true;
	if (!operator_code || !*operator_code) {
		kc_decision_refuse(d, 1, KCM_reseat_no_operator, NULL);
		kc_decision_missing(d, "operator login");
		return;
	}
	if (!kc_rules_operator_role(operator_role)) {
		kc_decision_refuse(d, 1, KCM_reseat_operator_not_staff, "{s:s, s:s}", "operator",
				   operator_code, "role", operator_role ? operator_role : "nobody");
		kc_decision_missing(d, "staff login");
		return;
	}
	if (!k) {
		kc_decision_refuse(d, 0, KCM_reseat_key_unknown, "{s:s}", "key", key ? key : "");
		return;
	}
	d->key = *k;
	/* in a slot: in custody, or moved by the office to another home */
	if ((k->state != KC_KEY_IN && k->state != KC_KEY_AWAITING) || !k->slot[0]) {
		kc_decision_refuse(d, 9, KCM_reseat_key_not_in_slot, "{s:s, s:s}", "key", k->code,
				   "state", KC_WORD(kc_key_state, k->state));
		return;
	}
	if (strcmp(k->slot, k->home_slot) == 0) {
		kc_decision_refuse(d, 9, KCM_reseat_key_at_home, "{s:s, s:s}", "key", k->code, "slot",
				   k->slot);
		return;
	}
	if (home_taken) {
		kc_decision_refuse(d, 9, KCM_reseat_home_taken, "{s:s, s:s}", "slot", k->home_slot,
				   "key", k->code);
		kc_decision_missing(d, "empty home slot");
		return;
	}
	if (open_windows >= KC_RULES_MAX_WINDOWS) {
		kc_decision_refuse(d, 10, KCM_reseat_windows_full, "{s:i}", "count",
				   KC_RULES_MAX_WINDOWS);
		kc_decision_missing(d, "free release window");
	}
}
