/* Words of the vocabulary in Chinese and English (service/words.h). */
#include "service/words.h"

#include <string.h>

#include "common/util.h"

/* The English word of each code a page shows; the Chinese of each is in
 * po/zh_CN/ under the same context. */
static const struct {
	const char *ctx, *code, *en;
} words_en[] = {
	{ "bool", "yes", "yes" },
	{ "bool", "no", "no" },
	{ "kind", "entrusted", "Entrusted by the owner" },
	{ "kind", "sealed", "Sealed" },
	{ "kind", "vacant", "Vacant unit" },
	{ "kind", "repair", "Repair" },
	{ "state", "in", "In the cabinet" },
	{ "state", "out", "Out" },
	{ "state", "awaiting", "Awaiting its first return" },
	{ "state", "releasing", "Being released" },
	{ "state", "missing", "Missing" },
	{ "state", "collected", "Collected by the owner" },
	{ "state", "granted", "Released" },
	{ "state", "returned", "Returned" },
	{ "state", "not_taken", "Not taken" },
	{ "state", "open", "Open" },
	{ "state", "cancelled", "Cancelled" },
	{ "state", "forwarded", "Forwarded, being followed up" },
	{ "state", "resolved", "Resolved" },
	{ "role", "staff", "Service desk staff" },
	{ "role", "engineer", "Engineer" },
	{ "role", "manager", "Manager" },
	{ "role", "supervisor", "Supervisor" },
	{ "role", "admin", "Administrator" },
	{ "role", "owner", "Owner" },
	{ "purpose", "borrow", "Borrowing with the owner's letter" },
	{ "purpose", "inspection", "Vacant-unit inspection" },
	{ "purpose", "repair", "Repair" },
	{ "purpose", "emergency", "Emergency" },
	{ "purpose", "owner_collect", "Collection by the owner" },
	{ "alarm_type", "tamper", "Key taken without a release" },
	{ "alarm_type", "wrong_slot", "Key in the wrong slot" },
	{ "alarm_type", "overdue", "Key overdue" },
	{ "alarm_type", "fault", "Slot fault" },
	{ "alarm_type", "audit_link", "Audit link" },
	{ "alarm", "tamper", "Key taken without a release" },
	{ "alarm", "wrong_slot", "Key in the wrong slot" },
	{ "alarm", "overdue", "Key overdue" },
	{ "alarm", "fault", "Slot fault" },
	{ "alarm", "audit_link", "Events refused by the audit service" },
	{ "id_type", "id_card", "Resident ID card" },
	{ "id_type", "passport", "Passport" },
	{ "link", "online", "Online" },
	{ "link", "offline", "Offline" },
	{ "link", "stuck", "Stuck" },
	{ "link", "ok", "Forwarding" },
	{ "result", "ok", "No problems" },
	{ "result", "problems", "Problems found" },
	{ "channel", "phone", "by phone" },
	{ "channel", "in_person", "in person" },
	{ "channel", "wechat", "by WeChat" },
	{ "channel", "sms", "by SMS" },
	{ "method", "pin", "PIN" },
	{ "method", "card", "card" },
	{ "stage", "before_end", "ending soon" },
	{ "stage", "end", "ending today" },
	{ "stage", "reminder", "ended, reminder" },
	{ "close", "collected", "collected by the owner" },
	{ "close", "cancelled", "cancelled" },
	{ "reason", "wrong PIN", "wrong PIN" },
	{ "reason", "unknown card", "unknown card" },
	{ "reason", "too many failed logins", "too many failed logins, locked for a while" },
	{ "reason", "not_taken", "the key was not taken" },
	{ "state", "pending", "To be sent" },
	{ "state", "delivered", "Delivered" },
	{ "state", "failed", "Failed" },
	{ "state", "no webhook", "No webhook set" },
	{ "state", "sent", "Sent, no receipt yet" },
	{ "state", "unclear", "No clear answer: being checked, not sent again" },
	{ "notice", "before_end", "Entrustment ending soon" },
	{ "notice", "end", "Entrustment ends today" },
	{ "notice", "reminder", "Entrustment ended, key not collected" },
	{ "notice", "loan_overdue", "Key overdue" },
	{ "notice", "alarm", "Cabinet alarm" },
	{ "notice", "ingest_refused", "Audit service alarm" },
	{ "kind", "gap", "Events missing" },
	{ "kind", "chain_break", "Chain break" },
	{ "kind", "conflict", "Event sent again changed" },
	{ "type", "tamper", "Key taken without a release" },
	{ "type", "wrong_slot", "Key in the wrong slot" },
	{ "type", "overdue", "Key overdue" },
	{ "type", "fault", "Slot fault" },
	{ "type", "audit_link", "Audit link" },
	{ "type", "gap", "Events missing" },
	{ "type", "chain_break", "Chain break" },
	{ "type", "conflict", "Event sent again changed" },
	{ "status", "intact", "Intact" },
	{ "status", "broken", "Broken" },
	{ "age", "new", "New site (80 %)" },
	{ "age", "old", "Old site (100 %)" },
	{ "entrustment_change", "extended", "Extended" },
	{ "entrustment_change", "ended_early", "Ended early" },
};

const char *kc_word(enum kc_lang lang, const char *ctx, const char *code)
{
	if (!code || !*code || !ctx)
		return code;
	if (lang != KC_LANG_EN)
		return kc_msg_word(lang, ctx, code);
	for (size_t i = 0; i < KC_ARRAY_SIZE(words_en); i++)
		if (strcmp(words_en[i].ctx, ctx) == 0 && strcmp(words_en[i].code, code) == 0)
			return words_en[i].en;
	return code;
}

bool kc_word_entry(size_t i, const char **ctx, const char **code)
{
	if (i >= KC_ARRAY_SIZE(words_en))
		return false;
	*ctx = words_en[i].ctx;
	*code = words_en[i].code;
	return true;
}
