/* The rules of taking keys in (controller/rules_intake.h): the free slot
 * a new key goes into, the key's enrolment with its owner and period, an
 * entrustment's period changed. Pure: no database, no hardware. */
#include <string.h>

#include "common/util.h"
#include "controller/rules_intake.h"

static bool slot_free(const struct kc_intake_slot_facts *s)
{
	return s->empty && !s->lock_on && !s->homed && !s->awaited;
}

int kc_rules_intake_slot(const struct kc_intake_slot_facts *slots, int n, int open_windows,
			 struct kc_decision *d)
{
	int pick = -1;

	d->granted = true;
	if (open_windows >= KC_RULES_MAX_WINDOWS) {
		kc_decision_refuse(d, 10, KCM_intake_windows_full, "{s:i}", "max", KC_RULES_MAX_WINDOWS);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (!slot_free(&slots[i]))
			continue;
		if (slots[i].reads_tags)
			return i;
		if (pick < 0)
			pick = i;
	}
	if (pick < 0)
		kc_decision_refuse(d, 10, KCM_intake_no_free_slot, "{s:i}", "slots", n);
	return pick;
}

void kc_rules_entrust_period(int64_t start_ms, int64_t end_ms, int64_t max_ms, struct kc_decision *d)
{
	char latest[32];

	if (end_ms <= start_ms) {
		kc_decision_refuse(d, 7, KCM_intake_end_before_start, NULL);
		return;
	}
	if (end_ms - start_ms > max_ms) {
		/* the last whole local day within the bound */
		kc_local_format(kc_local_day_start(start_ms + max_ms), KC_DAY_END, latest, sizeof(latest));
		kc_decision_refuse(d, 7, KCM_intake_period_too_long, "{s:I, s:s}", "days",
				   (json_int_t)(max_ms / KC_DAY_MS), "latest", latest);
	}
}

/* The owner of an owner's intake: a name, a phone, an ID number that
 * passes its checks at this door too. */
static void check_owner(const struct kc_intake_req *req, int64_t now_ms, struct kc_decision *d)
{
	enum kc_msg_code why;
	size_t digits = 0;

	if (!req->owner_name || !*req->owner_name || strlen(req->owner_name) > 120)
		kc_decision_refuse(d, 0, KCM_intake_owner_name_needed, NULL);
	for (const char *p = req->owner_phone ? req->owner_phone : ""; *p; p++)
		digits += *p >= '0' && *p <= '9';
	if (digits < 6 || digits > 20)
		kc_decision_refuse(d, 0, KCM_intake_owner_phone_bad, NULL);
	if (!req->id_type || !*req->id_type)
		kc_decision_refuse(d, 0, KCM_intake_id_type_needed, NULL);
	else if (!req->id_number || kc_rules_id_number(req->id_type, req->id_number, now_ms, &why) < 0)
		kc_decision_refuse(d, 0, req->id_number ? why : KCM_id_number_invalid, NULL);
}

void kc_rules_intake_request(const struct kc_intake_req *req, bool unit_found, int64_t now_ms, int64_t max_ms,
			     struct kc_decision *d)
{
	enum kc_key_kind kind = kc_key_kind_from_string(req->kind);
	bool owned = kind == KC_KIND_ENTRUSTED || kind == KC_KIND_SEALED;

	d->granted = true;
	if (kind == KC_KIND_INVALID)
		kc_decision_refuse(d, 0, KCM_intake_kind_bad, "{s:s}", "kind", req->kind ? req->kind : "");
	if (!unit_found)
		kc_decision_refuse(d, 0, KCM_intake_unit_unknown, "{s:s}", "unit", req->unit ? req->unit : "");
	if (req->owner_name || req->owner_required) {
		if (kind != KC_KIND_INVALID && !owned)
			kc_decision_refuse(d, 0, KCM_intake_kind_not_owned, "{s:s}", "kind", req->kind);
		check_owner(req, now_ms, d);
		if (!req->end_ms)
			kc_decision_refuse(d, 7, KCM_intake_end_needed, NULL);
		else
			kc_rules_entrust_period(req->start_ms ? req->start_ms : now_ms, req->end_ms, max_ms, d);
	}
}

void kc_rules_intake_enrol(const struct kc_intake_req *req, const struct kc_intake_facts *f,
			   int64_t now_ms, int64_t max_ms, struct kc_decision *d)
{
	kc_rules_intake_request(req, f->unit_found, now_ms, max_ms, d);
	if (!f->slot_in_file) {
		kc_decision_refuse(d, 10, KCM_intake_slot_unknown, "{s:s}", "slot", req->slot ? req->slot : "");
		return;
	}
	if (f->home_key[0])
		kc_decision_refuse(d, 10, KCM_intake_slot_taken, "{s:s, s:s}", "slot", req->slot, "key",
				   f->home_key);
	else if (!f->slot_awaited)
		kc_decision_refuse(d, 10, KCM_intake_slot_not_opened, "{s:s}", "slot", req->slot);
	else if (!f->slot_present)
		kc_decision_refuse(d, 10, KCM_intake_slot_empty, "{s:s}", "slot", req->slot);
	else if (f->slot_reads_tags && !f->tag)
		kc_decision_refuse(d, 9, KCM_intake_tag_unread, "{s:s}", "slot", req->slot);
	else if (f->tag_key[0])
		kc_decision_refuse(d, 9, KCM_intake_tag_taken, "{s:s, s:s}", "slot", req->slot, "key",
				   f->tag_key);
}

void kc_rules_entrust_change(int64_t entrustment, const struct kc_entrust_change_facts *f, bool extend,
			     int64_t new_end_ms, int64_t now_ms, int64_t max_ms, struct kc_decision *d)
{
	char end[32];

	d->granted = true;
	if (!f || !f->found) {
		kc_decision_refuse(d, 0, KCM_intake_entrustment_unknown, "{s:I}", "entrustment",
				   (json_int_t)entrustment);
		return;
	}
	if (!f->open) {
		kc_decision_refuse(d, 0, KCM_intake_entrustment_closed, "{s:I}", "entrustment",
				   (json_int_t)entrustment);
		return;
	}
	kc_rules_fmt_local(f->end_ms - 1, end, sizeof(end));
	if (extend && !new_end_ms)
		kc_decision_refuse(d, 7, KCM_intake_end_needed, NULL);
	else if (extend && new_end_ms <= f->end_ms)
		kc_decision_refuse(d, 7, KCM_intake_extend_not_later, "{s:s}", "end", end);
	else if (!extend && new_end_ms >= f->end_ms)
		kc_decision_refuse(d, 7, KCM_intake_end_not_earlier, "{s:s}", "end", end);
	else if (new_end_ms <= now_ms)
		kc_decision_refuse(d, 7, KCM_intake_end_past, NULL);
	else
		kc_rules_entrust_period(f->start_ms, new_end_ms, max_ms, d);
}
