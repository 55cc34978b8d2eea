/* The key log in words (service/keylog_text.h). */
#include "service/keylog_text.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/msg.h"
#include "common/util.h"
#include "service/mask.h"
#include "service/template_render.h"
#include "service/words.h"

/* Each type: its name and its sentence with {placeholders} of the
 * fields sentence_fields() gives, both msgids of the "keycab" catalogue
 * (po/zh_CN/office.po). In the order a supervisor picks them. */
static const struct {
	const char *type, *name, *sentence;
} types[] = {
	{ "release.granted", KC_N_("Key released"),
	  KC_N_("{actor} released the {kind} key of {unit} to {person} ({purpose})") },
	{ "release.refused", KC_N_("Release refused"),
	  KC_N_("{actor} was refused the {kind} key of {unit} for {person}: {reason}") },
	{ "release.taken", KC_N_("Key taken"),
	  KC_N_("Key {key} of {unit} was taken from slot {slot}") },
	{ "release.not_taken", KC_N_("Key not taken"),
	  KC_N_("Key {key} of {unit} was not taken; slot {slot} is locked again") },
	{ "loan.returned", KC_N_("Key returned"),
	  KC_N_("{person} returned the {kind} key of {unit} ({purpose}){late}") },
	{ "loan.overdue", KC_N_("Key overdue"),
	  KC_N_("The {kind} key of {unit} that {person} borrowed is overdue ({purpose})") },
	{ "inspection.recorded", KC_N_("Inspection recorded"),
	  KC_N_("{actor} recorded the inspection of {unit} by {person}: {result}") },
	{ "id.held", KC_N_("ID held"),
	  KC_N_("{actor} held the {id_type} of {person} ({id_masked})") },
	{ "id.released", KC_N_("ID given back"),
	  KC_N_("{actor} gave back the {id_type} of {person} ({id_masked})") },
	{ "id.release_refused", KC_N_("ID give-back refused"),
	  KC_N_("{actor} was refused giving back the ID of {person}: {reason}") },
	{ "collection.completed", KC_N_("Collected by the owner"),
	  KC_N_("{actor} handed the entrusted key of {unit} back to its owner {person}") },
	{ "entrustment.registered", KC_N_("Entrustment registered"),
	  KC_N_("{actor} registered the entrustment of the key of {unit} by its owner {owner} ({owner_phone})") },
	{ "entrustment.closed", KC_N_("Entrustment closed"),
	  KC_N_("{actor} closed the entrustment of the key of {unit} ({close_reason})") },
	{ "letter.filed", KC_N_("Owner's letter filed"),
	  KC_N_("{actor} filed the owner's letter for {person} to borrow the key of {unit}") },
	{ "letter.confirmed", KC_N_("Owner's letter confirmed"),
	  KC_N_("{actor} confirmed with the owner the letter for the key of {unit} ({channel})") },
	{ "approval.issued", KC_N_("Manager's approval"),
	  KC_N_("{actor} approved taking key {key} of {unit}") },
	{ "approval.used", KC_N_("Approval used"),
	  KC_N_("The approval of {actor} was used to take key {key} of {unit}") },
	{ "notice.due", KC_N_("Notice sent"),
	  KC_N_("Notice to the owner {person} that the entrustment of the key of {unit} is {stage}") },
	{ "alarm.raised", KC_N_("Alarm"),
	  KC_N_("Alarm on key {key} of {unit}: {alarm}") },
	{ "alarm.cleared", KC_N_("Alarm cleared"),
	  KC_N_("{actor} cleared the alarm of {unit}: {alarm}") },
	{ "handover.started", KC_N_("Handover started"),
	  KC_N_("{actor} started handover sheet {handover}") },
	{ "handover.confirmed", KC_N_("Handover confirmed"),
	  KC_N_("{actor} took over with handover sheet {handover}") },
	{ "handover.reviewed", KC_N_("Handover reviewed"),
	  KC_N_("{actor} reviewed and signed handover sheet {handover}") },
	{ "operator.login", KC_N_("Sign-in"),
	  KC_N_("{actor} signed in at the cabinet ({method})") },
	{ "operator.login_failed", KC_N_("Sign-in failed"),
	  KC_N_("{person} failed to sign in ({method}): {reason}") },
	{ "key.reseated", KC_N_("Key moved home"),
	  KC_N_("{actor} opened slot {slot} and moved key {key} of {unit} back to its place") },
	{ "slot.inserted", KC_N_("Key put in"),
	  KC_N_("Key {key} of {unit} was put in slot {slot}") },
	{ "slot.removed", KC_N_("Key left its slot"),
	  KC_N_("Key {key} of {unit} left slot {slot}") },
	{ "slot.fault", KC_N_("Slot fault"),
	  KC_N_("Slot {slot} is in fault") },
	{ "slot.recovered", KC_N_("Slot recovered"),
	  KC_N_("Slot {slot} works again") },
	{ "site.registered", KC_N_("Site registered"),
	  KC_N_("Site {site} registered") },
	{ "unit.registered", KC_N_("Unit registered"),
	  KC_N_("Unit {unit} registered ({vacant})") },
	{ "unit.vacancy", KC_N_("Vacancy changed"),
	  KC_N_("{unit}: {vacancy}") },
	{ "key.registered", KC_N_("Key registered"),
	  KC_N_("The {kind} key {key} of {unit} registered (slot {slot})") },
	{ "person.registered", KC_N_("Person registered"),
	  KC_N_("{role} {person} registered") },
	{ "controller.started", KC_N_("Cabinet started"),
	  KC_N_("The cabinet started") },
	{ "controller.stopping", KC_N_("Cabinet stopping"),
	  KC_N_("The cabinet stopped") },
	{ "office.handover_reviewed", KC_N_("Handover reviewed at the office"),
	  KC_N_("{actor} reviewed and signed handover sheet {handover} of {cabinet} at the office") },
	{ "office.problem_forwarded", KC_N_("Problem forwarded"),
	  KC_N_("{actor} forwarded the inspection problem of {unit} to {department} {to}") },
	{ "office.problem_resolved", KC_N_("Problem resolved"),
	  KC_N_("{actor} recorded the inspection problem of {unit} as resolved: {note}") },
	{ "office.account_created", KC_N_("Account created"),
	  KC_N_("{actor} created the {role} account {account} (sites: {sites})") },
	{ "office.account_disabled", KC_N_("Account disabled"),
	  KC_N_("{actor} disabled the account {account}") },
	{ "office.account_enabled", KC_N_("Account enabled"),
	  KC_N_("{actor} enabled the account {account}") },
	{ "office.account_role_changed", KC_N_("Role changed"),
	  KC_N_("{actor} changed the role of the account {account} to {role}") },
	{ "office.account_sites_changed", KC_N_("Sites changed"),
	  KC_N_("{actor} changed the sites of the account {account} to: {sites}") },
	{ "office.password_reset_issued", KC_N_("Password reset issued"),
	  KC_N_("{actor} issued a one-time password reset link for the account {account}") },
	{ "office.password_reset_used", KC_N_("Password reset"),
	  KC_N_("{account} set a new password with a one-time link") },
	{ "office.account_unlocked", KC_N_("Account unlocked"),
	  KC_N_("{actor} unlocked the account {account}") },
	{ "estate.applied", KC_N_("Office change applied"),
	  KC_N_("The cabinet applied change {change} from the office: {change_type} ({by})") },
	{ "estate.refused", KC_N_("Office change refused"),
	  KC_N_("The cabinet refused change {change} from the office: {change_type} ({by}): {refusal}") },
	{ "office.estate_person_saved", KC_N_("Person saved at the office"),
	  KC_N_("{actor} saved {role} {person} for the cabinets") },
	{ "office.estate_person_enrol_issued", KC_N_("Enrolment code issued"),
	  KC_N_("{actor} issued a one-time enrolment code for {person}") },
	{ "office.estate_person_unlocked", KC_N_("Person unlocked at the office"),
	  KC_N_("{actor} lifted the PIN lockout of {person} at the cabinets") },
	{ "office.estate_site_saved", KC_N_("Site saved at the office"),
	  KC_N_("{actor} saved site {site} for the cabinets") },
	{ "office.estate_unit_saved", KC_N_("Unit saved at the office"),
	  KC_N_("{actor} saved unit {unit} for the cabinets ({vacant})") },
	{ "office.estate_key_saved", KC_N_("Key saved at the office"),
	  KC_N_("{actor} saved key {key} of {unit} for cabinet {cabinet}") },
	{ "office.estate_key_removed", KC_N_("Key removed at the office"),
	  KC_N_("{actor} removed key {key} of {unit} from {cabinet}") },
	{ "office.estate_settings_saved", KC_N_("Settings saved at the office"),
	  KC_N_("{actor} saved the custody settings of {site}") },
	{ "office.estate_cabinet_sites_changed", KC_N_("Cabinet sites changed"),
	  KC_N_("{actor} set the sites of cabinet {cabinet}: {sites}") },
	{ "approval.asked", KC_N_("Manager's approval asked"),
	  KC_N_("{actor} asked a manager at the office to approve taking key {key} of {unit}: {reason}") },
	{ "approval.cancelled", KC_N_("Approval request withdrawn"),
	  KC_N_("{actor} withdrew the request to approve taking key {key} of {unit}") },
	{ "office.approval_granted", KC_N_("Approved from the office"),
	  KC_N_("{actor} approved from the office {person} taking key {key} of {unit}") },
	{ "office.approval_refused", KC_N_("Refused from the office"),
	  KC_N_("{actor} refused from the office {person} taking key {key} of {unit}: {reason}") },
};

/* A change of the office's feed (estate.applied, estate.refused) by its
 * type, in words. */
static const struct {
	const char *type, *words;
} change_types[] = {
	{ "site.set", KC_N_("a site saved") },
	{ "unit.set", KC_N_("a unit saved") },
	{ "key.set", KC_N_("a key saved") },
	{ "key.remove", KC_N_("a key removed") },
	{ "person.set", KC_N_("a person saved") },
	{ "person.enrol", KC_N_("an enrolment code issued") },
	{ "person.unlock", KC_N_("a person unlocked") },
	{ "settings.set", KC_N_("a site's settings saved") },
	{ "approval.grant", KC_N_("an approval granted") },
	{ "approval.refuse", KC_N_("an approval refused") },
};

static const char *change_type_text(enum kc_lang lang, const char *type)
{
	for (size_t i = 0; type && i < KC_ARRAY_SIZE(change_types); i++)
		if (strcmp(change_types[i].type, type) == 0)
			return kc_msg_gettext(lang, change_types[i].words);
	return type;
}

const char *kc_keylog_type_at(size_t i)
{
	return i < KC_ARRAY_SIZE(types) ? types[i].type : NULL;
}

const char *kc_keylog_type_name(enum kc_lang lang, const char *type)
{
	for (size_t i = 0; type && i < KC_ARRAY_SIZE(types); i++)
		if (strcmp(types[i].type, type) == 0)
			return kc_msg_gettext(lang, types[i].name);
	return type;
}

/* Matches s against the English template t: 1 with the placeholders'
 * texts set in params and *rest where the match ends (the end of s, or a
 * space before the next message). A {=hint} fragment may be there or not. */
static int match(const char *t, const char *s, json_t *params, const char **rest)
{
	const char *close;

	while (*t && *t != '{') {
		if (*t++ != *s++)
			return 0;
	}
	if (!*t) {
		*rest = s;
		return *s == '\0' || *s == ' ';
	}
	close = strchr(t, '}');
	if (!close)
		return 0;
	if (t[1] == '=') {
		size_t n = (size_t)(close - t - 2);

		if (strncmp(s, t + 2, n) == 0 && match(close + 1, s + n, params, rest))
			return 1;
		return match(close + 1, s, params, rest);
	}
	for (size_t n = 0;; n++) {
		if (match(close + 1, s + n, params, rest)) {
			char name[48];

			snprintf(name, sizeof(name), "%.*s", (int)(close - t - 1), t + 1);
			json_object_set_new(params, name, json_stringn(s, n));
			return 1;
		}
		if (!s[n])
			return 0;
	}
}

/* One message of the reason at s, rendered in lang onto out. */
static const char *reason_one(enum kc_lang lang, const char *s, char *out, size_t len)
{
	for (int c = 0; c < KCM__COUNT; c++) {
		json_t *params = json_object(), *msg;
		const char *rest = NULL, *type;
		int ok = match(kc_msg_template((enum kc_msg_code)c), s, params, &rest);

		if (!ok) {
			json_decref(params);
			continue;
		}
		/* an event's type as the key log names it */
		type = json_string_value(json_object_get(params, "event_type"));
		if (type)
			json_object_set_new(params, "event_type", json_string(kc_keylog_type_name(lang, type)));
		msg = json_pack("{s:s, s:o}", "code", kc_msg_name((enum kc_msg_code)c), "params", params);
		ok = msg && kc_msg_render(msg, lang, out, len) == 0;
		json_decref(msg);
		if (ok)
			return rest;
	}
	return NULL;
}

void kc_keylog_reason(enum kc_lang lang, const char *reason, char *out, size_t len)
{
	const char *s = reason, *w = kc_msg_word(KC_LANG_ZH, "reason", reason);
	size_t n = 0;

	out[0] = '\0';
	if (!reason)
		return;
	if (w != reason) {
		/* a word of the vocabulary */
		snprintf(out, len, "%s", kc_word(lang, "reason", reason));
		return;
	}
	while (s && *s && n + 1 < len) {
		s = reason_one(lang, s, out + n, len - n);
		n += strlen(out + n);
		while (s && *s == ' ')
			s++;
	}
	if (!s) /* not a sentence of this build's catalogue: as sent */
		snprintf(out, len, "%s", reason);
}

/* none: a msgid, what the sentence says when the event has no v */
static void field(json_t *f, enum kc_lang lang, const char *name, const char *v, const char *none)
{
	json_object_set_new(f, name, json_string(v && *v ? v : none && *none ? kc_msg_gettext(lang, none) : ""));
}

static const char *data_str(const json_t *data, const char *name)
{
	return json_string_value(json_object_get(data, name));
}

static void result_text(enum kc_lang lang, const json_t *data, char *out, size_t len)
{
	const char *result = data_str(data, "result"), *problems = data_str(data, "problems");
	const char *fwd = data_str(data, "forwarded_to");

	if (!result || strcmp(result, "problems") != 0) {
		snprintf(out, len, "%s", result ? kc_word(lang, "result", result) : "—");
		return;
	}
	if (!problems || !*problems)
		problems = kc_msg_gettext(lang, "not written down");
	if (fwd && *fwd)
		snprintf(out, len, kc_msg_gettext(lang, "problems found (%s), forwarded to %s"), problems, fwd);
	else
		snprintf(out, len, kc_msg_gettext(lang, "problems found (%s), not forwarded"), problems);
}

/* An account's sites, "SN, SO" ("SN、SO" in Chinese); "" for none
 * (every site). */
static void sites_text(enum kc_lang lang, const json_t *sites, char *out, size_t len)
{
	const json_t *v;
	size_t i, n = 0;

	out[0] = '\0';
	json_array_foreach(sites, i, v) {
		int w = snprintf(out + n, len - n, "%s%s", i ? kc_msg_gettext(lang, ", ") : "",
				 json_string_value(v) ? json_string_value(v) : "");

		if (w < 0 || (size_t)w >= len - n)
			break;
		n += (size_t)w;
	}
}

static json_t *sentence_fields(enum kc_lang lang, const struct kc_keylog_event *e)
{
	const json_t *d = e->data;
	json_t *f = json_object();
	char reason[512], result[512];
	const char *v;

	if (!f)
		return NULL;
	field(f, lang, "actor", e->actor, "(no operator)");
	field(f, lang, "person", e->person, "(not registered)");
	field(f, lang, "unit", e->unit ? e->unit : e->key, "—");
	field(f, lang, "key", e->key, "—");
	field(f, lang, "slot", e->slot, "—");
	field(f, lang, "site", e->site, "—");
	field(f, lang, "kind", kc_word(lang, "kind", e->kind), "");
	field(f, lang, "purpose", kc_word(lang, "purpose", data_str(d, "purpose")), "no purpose given");
	kc_keylog_reason(lang, data_str(d, "reason"), reason, sizeof(reason));
	field(f, lang, "reason", reason, "no reason given");
	field(f, lang, "close_reason", kc_word(lang, "close", data_str(d, "reason")), "—");
	field(f, lang, "late", json_is_true(json_object_get(d, "overdue")) ? kc_msg_gettext(lang, ", overdue") : "", "");
	result_text(lang, d, result, sizeof(result));
	field(f, lang, "result", result, "—");
	v = data_str(d, "id_type");
	field(f, lang, "id_type", kc_word(lang, "id_type", v), "ID");
	field(f, lang, "id_masked", data_str(d, "id_masked"), "—");
	field(f, lang, "owner", data_str(d, "owner_name") ? data_str(d, "owner_name") : e->person, "(not registered)");
	if ((v = data_str(d, "owner_phone")))
		kc_mask_phone(v, result, sizeof(result));
	field(f, lang, "owner_phone", v ? result : NULL, "no phone");
	field(f, lang, "channel", kc_word(lang, "channel", data_str(d, "channel")), "—");
	field(f, lang, "method", kc_word(lang, "method", data_str(d, "method")), "—");
	field(f, lang, "stage", kc_word(lang, "stage", data_str(d, "stage")), "");
	field(f, lang, "alarm", kc_word(lang, "alarm", data_str(d, "alarm_type")), "—");
	field(f, lang, "role", kc_word(lang, "role", data_str(d, "role")), "Person");
	field(f, lang, "vacant", json_is_true(json_object_get(d, "vacant")) ? kc_msg_gettext(lang, "vacant") : kc_msg_gettext(lang, "not vacant"), "");
	field(f, lang, "vacancy", json_is_true(json_object_get(d, "vacant")) ? kc_msg_gettext(lang, "now vacant") : kc_msg_gettext(lang, "now occupied"), "");
	snprintf(result, sizeof(result), "%lld", (long long)json_integer_value(json_object_get(d, "handover")));
	field(f, lang, "handover", result, "");
	/* the office chain's acts (office.c); typed text, a phone number in
	 * it masked */
	field(f, lang, "cabinet", data_str(d, "cabinet"), "—");
	for (size_t i = 0; i < 3; i++) {
		static const char *const typed[][2] = { { "department", "—" }, { "to", "" }, { "note", "—" } };
		char *m = data_str(d, typed[i][0]) ? kc_mask_digits(data_str(d, typed[i][0])) : NULL;

		field(f, lang, typed[i][0], m, typed[i][1]);
		free(m);
	}
	/* an admin's acts on accounts (accounts.c) */
	field(f, lang, "account", data_str(d, "account"), "—");
	sites_text(lang, json_object_get(d, "sites"), result, sizeof(result));
	field(f, lang, "sites", result, "All sites");
	/* a change of the office's feed (estate.applied, estate.refused) */
	snprintf(result, sizeof(result), "%lld", (long long)json_integer_value(json_object_get(d, "change")));
	field(f, lang, "change", result, "");
	field(f, lang, "change_type", change_type_text(lang, data_str(d, "change_type")), "—");
	field(f, lang, "by", data_str(d, "by"), "—");
	if (kc_msg_render(d, lang, reason, sizeof(reason)) < 0)
		snprintf(reason, sizeof(reason), "%s", data_str(d, "code") ? data_str(d, "code") : "");
	field(f, lang, "refusal", reason, "no reason given");
	return f;
}

char *kc_keylog_sentence(enum kc_lang lang, const struct kc_keylog_event *e)
{
	const char *tmpl = NULL;
	char err[80], *out = NULL;
	json_t *f;

	for (size_t i = 0; e->type && i < KC_ARRAY_SIZE(types); i++)
		if (strcmp(types[i].type, e->type) == 0)
			tmpl = kc_msg_gettext(lang, types[i].sentence);
	if (!tmpl)
		return strdup(e->type ? e->type : "");
	f = sentence_fields(lang, e);
	if (!f)
		return NULL;
	if (kc_template_render(tmpl, f, &out, err, sizeof(err)) < 0)
		out = NULL;
	json_decref(f);
	return out;
}
