/* Rules 1-8 on the facts controller/facts.c loads: a release, an owner's
 * collection, an ID held given back; rule 10, whether a slot may open.
 * Pure: no database, no hardware. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/pdata.h"
#include "common/util.h"
#include "controller/rules.h"

/* Rule 1, and that the key exists and sits in its slot. 1 when the
 * decision is already a refusal, else 0. */
static int check_operator_and_key(const char *op, const char *role, const char *key,
				  const struct kc_key_info *k, struct kc_decision *d)
{
	if (!op || !*op) {
		kc_decision_refuse(d, 1, KCM_release_no_operator, NULL);
		kc_decision_missing(d, "operator login");
		return 1;
	}
	if (!kc_rules_operator_role(role)) {
		kc_decision_refuse(d, 1, KCM_release_operator_not_staff, "{s:s, s:s}", "operator", op,
				   "role", role ? role : "nobody");
		kc_decision_missing(d, "staff login");
		return 1;
	}
	if (!k) {
		kc_decision_refuse(d, 0, KCM_release_key_unknown, "{s:s}", "key", key ? key : "");
		return 1;
	}
	d->key = *k;
	if (d->key.state != KC_KEY_IN) {
		/* why a key not in its slot cannot go out, by its state */
		static const enum kc_msg_code why[KC_KEY_STATE_MAX] = {
			[KC_KEY_AWAITING] = KCM_key_awaiting, [KC_KEY_RELEASING] = KCM_key_releasing,
			[KC_KEY_OUT] = KCM_key_out_on_loan,   [KC_KEY_MISSING] = KCM_key_missing,
			[KC_KEY_COLLECTED] = KCM_key_collected,
		};
		enum kc_key_state st = d->key.state;
		enum kc_msg_code w = (int)st >= 0 && st < KC_KEY_STATE_MAX ? why[st] : KCM_key_not_in_cabinet;

		kc_decision_refuse(d, 0, w, "{s:s, s:s}", "key", d->key.code, "state", KC_WORD(kc_key_state, st));
		return 1;
	}
	return 0;
}

/* Rules 5, 6 and 4: vacant, repair and sealed keys go to people on the
 * roll (staff, engineers), named by their code. */
static void check_person_borrower(const struct kc_release_req *req, const struct kc_person_facts *p,
				  struct kc_decision *d, int rule, bool engineers_only)
{
	const char *who = req->borrower && *req->borrower ? req->borrower : req->operator_code;

	if (!p->found) {
		kc_decision_refuse(d, 0, KCM_person_unknown, "{s:s}", "person", who);
		return;
	}
	if (engineers_only && p->role != KC_ROLE_ENGINEER) {
		kc_decision_refuse(d, rule, KCM_repair_key_not_engineer, "{s:s, s:s}", "person", who,
				   "role", KC_WORD(kc_role, p->role));
		kc_decision_missing(d, "engineer as borrower");
	} else if (!engineers_only && p->role != KC_ROLE_ENGINEER && p->role != KC_ROLE_STAFF &&
		   p->role != KC_ROLE_MANAGER) {
		kc_decision_refuse(d, rule, KCM_borrower_not_staff, "{s:s, s:s, s:s}", "kind",
				   KC_WORD(kc_key_kind, d->key.kind), "person", who, "role", KC_WORD(kc_role, p->role));
		kc_decision_missing(d, "staff or engineer as borrower");
	}
	kc_strlcpy(d->borrower, who, sizeof(d->borrower));
	kc_strlcpy(d->borrower_type, "person", sizeof(d->borrower_type));
}

/* Rule 2: the letter named is this entrustment's, for this borrower, valid
 * now and confirmed by the owner. */
static void check_letter(const struct kc_release_req *req, const struct kc_letter_facts *l,
			 int64_t ent, int64_t now, struct kc_decision *d)
{
	if (req->letter <= 0) {
		kc_decision_refuse(d, 2, KCM_letter_needed, NULL);
		kc_decision_missing(d, "authorisation letter (委托书)");
		return;
	}
	if (!l->found) {
		kc_decision_refuse(d, 2, KCM_letter_unknown, "{s:I}", "letter", (json_int_t)req->letter);
		kc_decision_missing(d, "authorisation letter (委托书)");
		return;
	}
	if (l->entrustment != ent) {
		kc_decision_refuse(d, 2, KCM_letter_other_entrustment, "{s:I, s:s}", "letter",
				   (json_int_t)req->letter, "key", d->key.code);
		kc_decision_missing(d, "authorisation letter for this key");
		return;
	}
	d->letter = req->letter;
	if (d->borrower[0] && strcasecmp(l->borrower, d->borrower) != 0) {
		kc_decision_refuse(d, 2, KCM_letter_other_borrower, "{s:I, s:s, s:s}", "letter",
				   (json_int_t)req->letter, "named", l->borrower, "borrower", d->borrower);
		kc_decision_missing(d, "letter naming this borrower");
	}
	if (now < l->valid_from || now >= l->valid_to) {
		char a[32], b[32];

		kc_rules_fmt_local(l->valid_from, a, sizeof(a));
		kc_local_format(l->valid_to, KC_DAY_END, b, sizeof(b));
		kc_decision_refuse(d, 2, KCM_letter_not_valid_now, "{s:I, s:s, s:s}", "letter",
				   (json_int_t)req->letter, "from", a, "to", b);
		kc_decision_missing(d, "letter valid now");
	}
	if (l->confirmed_ms == 0) {
		kc_decision_refuse(d, 2, KCM_letter_not_confirmed, "{s:I}", "letter", (json_int_t)req->letter);
		kc_decision_missing(d, "owner's confirmation of the letter");
	}
}

/* Rules 2, 3 and 7: a borrower (not the owner) takes an entrusted key. */
static void check_borrow(const struct kc_release_req *req, const struct kc_release_facts *f,
			 int64_t now, struct kc_decision *d)
{
	const struct kc_entrustment_facts *e = &f->entrustment;
	enum kc_msg_code why;
	char when[32];

	if (!e->found) {
		kc_decision_refuse(d, 2, KCM_no_open_entrustment, "{s:s}", "key", d->key.code);
		kc_decision_missing(d, "open entrustment");
		return;
	}
	d->entrustment = e->id;
	if (now >= e->end_ms) {
		kc_local_format(e->end_ms, KC_DAY_END, when, sizeof(when));
		kc_decision_refuse(d, 7, KCM_entrustment_ended, "{s:s, s:s}", "key", d->key.code, "end",
				   when);
		kc_decision_missing(d, "owner in person (entrustment ended)");
		return;
	}
	kc_strlcpy(d->borrower_type, "borrower", sizeof(d->borrower_type));
	if (req->borrower && *req->borrower)
		kc_strlcpy(d->borrower, req->borrower, sizeof(d->borrower));
	else {
		kc_decision_refuse(d, 2, KCM_borrower_name_needed, NULL);
		kc_decision_missing(d, "borrower name");
	}
	check_letter(req, &f->letter, e->id, now, d);
	if (!req->id_number || !*req->id_number || !req->id_type || !*req->id_type) {
		kc_decision_refuse(d, 3, KCM_borrower_id_needed, NULL);
		kc_decision_missing(d, "borrower's ID to hold");
	} else if (kc_rules_id_number(req->id_type, req->id_number, now, &why) < 0) {
		kc_decision_refuse(d, 3, why, NULL);
		kc_decision_missing(d, "valid ID number");
	} else if (d->letter && f->letter.id_hash[0] && !kc_id_matches(req->id_number, f->letter.id_hash)) {
		kc_decision_refuse(d, 2, KCM_id_not_on_letter, "{s:I}", "letter", (json_int_t)d->letter);
		kc_decision_missing(d, "the ID named on the letter");
	}
	if (!req->contact || !*req->contact) {
		kc_decision_refuse(d, 2, KCM_borrower_contact_needed, NULL);
		kc_decision_missing(d, "borrower contact");
	}
	if (!req->signature || !*req->signature) {
		kc_decision_refuse(d, 2, KCM_borrower_signature_needed, NULL);
		kc_decision_missing(d, "borrower signature confirmation");
	}
}

enum kc_four_eyes kc_rules_four_eyes(const char *operator_code, int64_t session_ms,
				     const char *approver, const char *enrolled_by,
				     int64_t enrolled_ms)
{
	if (!operator_code || !approver || strcmp(approver, operator_code) == 0)
		return KC_FOUR_EYES_SAME_PERSON;
	if (enrolled_by && strcmp(enrolled_by, operator_code) == 0)
		return KC_FOUR_EYES_ENROLLED_BY_OPERATOR;
	if (session_ms > 0 && enrolled_ms >= session_ms)
		return KC_FOUR_EYES_ENROLLED_IN_SESSION;
	return KC_FOUR_EYES_OK;
}

bool kc_rules_four_eyes_check(const char *op, int64_t session_ms, const char *approver,
			      const struct kc_person_facts *a, struct kc_decision *d)
{
	const char *by = a->found && !a->enrolled_by_admin ? a->enrolled_by : NULL;

	switch (kc_rules_four_eyes(op, session_ms, approver, by, a->found ? a->enrolled_ms : 0)) {
	case KC_FOUR_EYES_OK:
		return true;
	case KC_FOUR_EYES_SAME_PERSON:
		kc_decision_refuse(d, 4, KCM_approver_is_operator, NULL);
		break;
	case KC_FOUR_EYES_ENROLLED_BY_OPERATOR:
		kc_decision_refuse(d, 4, KCM_approver_enrolled_by_operator, "{s:s, s:s}", "approver",
				   approver, "operator", op);
		break;
	case KC_FOUR_EYES_ENROLLED_IN_SESSION:
		kc_decision_refuse(d, 4, KCM_approver_enrolled_in_session, "{s:s, s:s}", "approver",
				   approver, "operator", op);
		break;
	}
	kc_decision_missing(d, "a second person's approval");
	return false;
}

/* The four-eyes decision on the approver's enrolment and the operator's
 * session; refused, the approval is none. */
static void check_four_eyes(const char *op, const char *approver, const struct kc_release_facts *f,
			    struct kc_decision *d)
{
	if (kc_rules_four_eyes_check(op, op ? f->session_ms : 0, approver, &f->approver, d))
		return;
	d->approval = 0;
	d->approval_method[0] = '\0';
}

/* Rule 4: an approval given beforehand for this key, unused, valid now,
 * and a remote one only for the clerk who asked for it. */
static void check_issued(const struct kc_release_req *req, const struct kc_release_facts *f,
			 int64_t now, struct kc_decision *d)
{
	const struct kc_approval_facts *a = &f->approval;

	if (!a->found) {
		kc_decision_refuse(d, 4, KCM_approval_unknown, "{s:I}", "approval", (json_int_t)req->approval);
		kc_decision_missing(d, "manager's approval");
	} else if (strcmp(a->key, d->key.code) != 0) {
		kc_decision_refuse(d, 4, KCM_approval_other_key, "{s:I, s:s, s:s}", "approval",
				   (json_int_t)req->approval, "approved_key", a->key, "key", d->key.code);
		kc_decision_missing(d, "manager's approval for this key");
	} else if (a->used_loan) {
		kc_decision_refuse(d, 4, KCM_approval_used, "{s:I, s:I}", "approval",
				   (json_int_t)req->approval, "loan", (json_int_t)a->used_loan);
		kc_decision_missing(d, "a new manager's approval");
	} else if (now < a->valid_from || now >= a->valid_to) {
		char from[32], to[32];

		kc_rules_fmt_local(a->valid_from, from, sizeof(from));
		kc_rules_fmt_local(a->valid_to, to, sizeof(to));
		kc_decision_refuse(d, 4, KCM_approval_not_valid_now, "{s:I, s:s, s:s}", "approval",
				   (json_int_t)req->approval, "from", from, "to", to);
		kc_decision_missing(d, "manager's approval valid now");
	} else if (a->asker[0] && (!req->operator_code || strcmp(a->asker, req->operator_code) != 0)) {
		kc_decision_refuse(d, 4, KCM_approval_other_asker, "{s:I, s:s}", "approval",
				   (json_int_t)req->approval, "asker", a->asker);
		kc_decision_missing(d, "manager's approval");
	} else {
		d->approval = req->approval;
		kc_strlcpy(d->approval_method, a->method[0] ? a->method : "issued", sizeof(d->approval_method));
		check_four_eyes(req->operator_code, a->manager, f, d);
	}
}

/* Rule 4: a manager's approval, at the cabinet or issued beforehand. */
static void check_sealed(const struct kc_release_req *req, const struct kc_release_facts *f,
			 int64_t now, struct kc_decision *d)
{
	if (req->approver && *req->approver) {
		if (!req->approver_verified) {
			kc_decision_refuse(d, 4, KCM_approver_credential_rejected, NULL);
			kc_decision_missing(d, "manager's approval");
		} else if (kc_role_from_string(req->approver_role) != KC_ROLE_MANAGER) {
			kc_decision_refuse(d, 4, KCM_approver_not_manager, "{s:s}", "approver", req->approver);
			kc_decision_missing(d, "manager's approval");
		} else {
			kc_strlcpy(d->approval_method, "second_credential", sizeof(d->approval_method));
			check_four_eyes(req->operator_code, req->approver, f, d);
		}
	} else if (req->approval > 0) {
		check_issued(req, f, now, d);
	} else {
		kc_decision_refuse(d, 4, KCM_approval_needed, "{s:s}", "key", d->key.code);
		kc_decision_missing(d, "manager's approval");
	}
}

/* Rules 5 and 6: vacant and repair keys (purpose checked by the caller). */
static void check_vacant(const struct kc_release_req *req, const struct kc_release_facts *f,
			 int64_t now, struct kc_decision *d)
{
	check_person_borrower(req, &f->borrower, d, 5, false);
	if (req->due_ms <= 0) {
		kc_decision_refuse(d, 5, KCM_vacant_key_due_needed, NULL);
		kc_decision_missing(d, "due time");
	} else if (req->due_ms <= now) {
		kc_decision_refuse(d, 5, KCM_due_time_past, NULL);
		kc_decision_missing(d, "due time in the future");
	}
}

static void check_repair(const struct kc_release_req *req, const struct kc_release_facts *f,
			 int64_t now, struct kc_decision *d)
{
	int64_t eod = kc_rules_end_of_day(now);

	check_person_borrower(req, &f->borrower, d, 6, true);
	if (!req->work_order || !*req->work_order) {
		kc_decision_refuse(d, 6, KCM_work_order_needed, NULL);
		kc_decision_missing(d, "work order");
	}
	if (req->due_ms > eod) {
		kc_decision_refuse(d, 6, KCM_repair_due_after_today, NULL);
		kc_decision_missing(d, "due time today");
	} else if (req->due_ms > 0 && req->due_ms <= now) {
		kc_decision_refuse(d, 6, KCM_due_time_past, NULL);
		kc_decision_missing(d, "due time in the future");
	}
	if (req->due_ms <= 0)
		d->due_ms = eod;
}

/* Rule 4: a sealed key goes to someone on the roll, with a manager's
 * approval. */
static void check_emergency(const struct kc_release_req *req, const struct kc_release_facts *f,
			    int64_t now, struct kc_decision *d)
{
	check_person_borrower(req, &f->borrower, d, 4, false);
	check_sealed(req, f, now, d);
}

/* Each kind of key: the purposes it goes out for (the rule and message
 * refusing another), and the checks after. */
static const struct kind_rule {
	enum kc_key_kind kind;
	const char *purposes[2];
	int rule;
	enum kc_msg_code wrong_purpose;
	const char *missing;
	void (*check)(const struct kc_release_req *req, const struct kc_release_facts *f, int64_t now,
		      struct kc_decision *d);
} kind_rules[] = {
	{ KC_KIND_ENTRUSTED, { "borrow", NULL }, 2, KCM_entrusted_key_wrong_purpose, "purpose borrow", check_borrow },
	{ KC_KIND_SEALED, { "emergency", NULL }, 4, KCM_sealed_key_wrong_purpose, "purpose emergency", check_emergency },
	{ KC_KIND_VACANT, { "inspection", "repair" }, 5, KCM_vacant_key_wrong_purpose, "purpose inspection or repair",
	  check_vacant },
	{ KC_KIND_REPAIR, { "repair", NULL }, 6, KCM_repair_key_wrong_purpose, "purpose repair", check_repair },
};

void kc_rules_release(const struct kc_release_req *req, const struct kc_release_facts *f, int64_t now,
		      struct kc_decision *d)
{
	const char *p = req->purpose ? req->purpose : "";
	const struct kind_rule *k = NULL;

	d->granted = true;
	if (check_operator_and_key(req->operator_code, req->operator_role, req->key,
				   f->key_found ? &f->key : NULL, d))
		return;
	d->due_ms = req->due_ms;
	for (size_t i = 0; i < KC_ARRAY_SIZE(kind_rules) && !k; i++)
		if (d->key.kind == kind_rules[i].kind)
			k = &kind_rules[i];
	if (!k) {
		kc_decision_refuse(d, 0, KCM_key_kind_unknown, "{s:s, s:s}", "key", d->key.code, "kind",
				   KC_WORD(kc_key_kind, d->key.kind));
		return;
	}
	if (strcmp(p, k->purposes[0]) != 0 && (!k->purposes[1] || strcmp(p, k->purposes[1]) != 0)) {
		kc_decision_refuse(d, k->rule, k->wrong_purpose, "{s:s}", "purpose", p);
		kc_decision_missing(d, k->missing);
		return;
	}
	k->check(req, f, now, d);
	if (d->granted)
		kc_rules_slot_usable(KC_SLOT_FOR_RELEASE, d->key.code, d->key.slot, f->open_windows,
				     f->hw ? &f->slot : NULL, d);
}

void kc_rules_collect(const char *operator_code, const char *operator_role, const char *key,
		      const struct kc_key_info *k, const struct kc_entrustment_facts *e,
		      const char *id_number, const char *signature, int64_t now_ms,
		      struct kc_decision *d)
{
	enum kc_msg_code why;

	d->granted = true;
	if (check_operator_and_key(operator_code, operator_role, key, k, d))
		return;
	if (!e->found) {
		kc_decision_refuse(d, 8, KCM_nothing_to_collect, "{s:s}", "key", d->key.code);
		kc_decision_missing(d, "open entrustment");
		return;
	}
	d->entrustment = e->id;
	kc_strlcpy(d->borrower, e->owner, sizeof(d->borrower));
	kc_strlcpy(d->borrower_type, "owner", sizeof(d->borrower_type));
	if (!id_number || !*id_number) {
		kc_decision_refuse(d, 8, KCM_owner_id_needed, NULL);
		kc_decision_missing(d, "owner's ID");
	} else if (kc_rules_id_number(e->owner_id_type, id_number, now_ms, &why) < 0) {
		kc_decision_refuse(d, 8, why, NULL);
		kc_decision_missing(d, "valid ID number");
	} else if (!kc_id_matches(id_number, e->owner_id_hash)) {
		kc_decision_refuse(d, 8, KCM_owner_id_mismatch, "{s:s}", "key", d->key.code);
		kc_decision_missing(d, "owner's ID matching the one on file");
	}
	if (!signature || !*signature) {
		kc_decision_refuse(d, 8, KCM_owner_signature_needed, NULL);
		kc_decision_missing(d, "owner's signature confirmation");
	}
}

void kc_rules_id_release(const char *operator_code, int64_t loan, const struct kc_id_loan_facts *f,
			 struct kc_decision *d)
{
	d->granted = true;
	if (!operator_code || !*operator_code) {
		kc_decision_refuse(d, 1, KCM_id_release_no_operator, NULL);
		kc_decision_missing(d, "operator login");
		return;
	}
	if (!f->found) {
		kc_decision_refuse(d, 0, KCM_id_not_held, "{s:I}", "loan", (json_int_t)loan);
		return;
	}
	d->key = f->k;
	if (f->released_ms) {
		kc_decision_refuse(d, 0, KCM_id_given_back, "{s:I}", "loan", (json_int_t)loan);
		return;
	}
	if (kc_loan_state_from_string(f->state) == KC_LOAN_OUT ||
	    kc_loan_state_from_string(f->state) == KC_LOAN_GRANTED) {
		kc_decision_refuse(d, 3, KCM_id_key_not_back, "{s:s, s:I}", "key", f->key, "loan",
				   (json_int_t)loan);
		kc_decision_missing(d, "key returned");
	}
}

/* Rule 10: the first reason a slot may not open, an index into
 * kc_rules_slot_usable's codes, or -1 when it may. */
static int slot_unusable(int open_windows, const struct kc_slot_facts *f)
{
	if (open_windows >= KC_RULES_MAX_WINDOWS)
		return 0;
	if (!f)
		return -1;
	if (!f->in_file)
		return 1;
	if (f->fault)
		return 2;
	if (f->lock_on)
		return 3;
	if (f->unknown)
		return 4;
	if (f->empty)
		return 5;
	return -1;
}

bool kc_rules_slot_usable(enum kc_slot_use use, const char *key, const char *slot,
			  int open_windows, const struct kc_slot_facts *f, struct kc_decision *d)
{
	/* why the slot may not open: its message for a release, a re-seat */
	static const enum kc_msg_code codes[][2] = {
		{ KCM_release_slot_windows_full, KCM_reseat_slot_windows_full },
		{ KCM_release_slot_not_in_file, KCM_reseat_slot_not_in_file },
		{ KCM_release_slot_fault, KCM_reseat_slot_fault },
		{ KCM_release_slot_busy, KCM_reseat_slot_busy },
		{ KCM_release_slot_unread, KCM_reseat_slot_unread },
		{ KCM_release_slot_empty, KCM_reseat_slot_empty },
	};
	bool reseat = use == KC_SLOT_FOR_RESEAT;
	int why = slot_unusable(open_windows, f);

	if (why < 0)
		return true;
	if (why == 0 && reseat)
		kc_decision_refuse(d, 10, codes[why][reseat], "{s:s, s:i}", "slot", slot, "max",
				   KC_RULES_MAX_WINDOWS);
	else if (why == 0)
		kc_decision_refuse(d, 10, codes[why][reseat], "{s:s, s:s, s:i}", "key", key, "slot", slot,
				   "max", KC_RULES_MAX_WINDOWS);
	else if (reseat)
		kc_decision_refuse(d, 10, codes[why][reseat], "{s:s}", "slot", slot);
	else
		kc_decision_refuse(d, 10, codes[why][reseat], "{s:s, s:s}", "key", key, "slot", slot);
	kc_decision_missing(d, "working slot");
	return false;
}

void kc_rules_slot_not_opened(enum kc_slot_use use, const char *key, const char *slot, int r,
			      struct kc_decision *d)
{
	/* open_slot's errors: its message for a release, a re-seat */
	static const struct {
		int err;
		enum kc_msg_code code[2];
	} whys[] = {
		{ -ENOSPC, { KCM_release_open_windows_full, KCM_reseat_open_windows_full } },
		{ -ENOENT, { KCM_release_open_no_slot, KCM_reseat_open_no_slot } },
		{ -EIO, { KCM_release_open_board, KCM_reseat_open_board } },
		{ -EBUSY, { KCM_release_open_pulse, KCM_reseat_open_pulse } },
		{ -ERANGE, { KCM_release_open_pulse_max, KCM_reseat_open_pulse_max } },
	};
	enum kc_msg_code c = use == KC_SLOT_FOR_RESEAT ? KCM_reseat_open_failed : KCM_release_open_failed;

	for (size_t i = 0; i < KC_ARRAY_SIZE(whys); i++)
		if (whys[i].err == r)
			c = whys[i].code[use == KC_SLOT_FOR_RESEAT];
	if (c == KCM_release_open_failed || c == KCM_reseat_open_failed)
		kc_decision_refuse(d, 10, c, "{s:s, s:s, s:s}", "key", key, "slot", slot, "detail",
				   strerror(-r));
	else if (r == -ENOSPC)
		kc_decision_refuse(d, 10, c, "{s:s, s:s, s:i}", "key", key, "slot", slot, "max",
				   KC_RULES_MAX_WINDOWS);
	else
		kc_decision_refuse(d, 10, c, "{s:s, s:s}", "key", key, "slot", slot);
	kc_decision_missing(d, "working slot");
}
