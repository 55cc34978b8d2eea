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
#include "controller/row.h"

int kc_key_get(struct kc_store *st, const char *code, struct kc_key_info *out)
{
	sqlite3_stmt *s;
	int rc;

	if (!code)
		return -ENOENT;
	s = kc_store_q(st,
		       "SELECT k.code, k.unit, u.site, k.kind, k.home_slot, k.slot, k.state, k.tag"
		       " FROM keys k JOIN units u ON u.code = k.unit WHERE k.code = ?",
		       "s", code);
	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(s);
		return rc == SQLITE_DONE ? -ENOENT : -EIO;
	}
	memset(out, 0, sizeof(*out));
	kc_row_text(s, 0, out->code, sizeof(out->code));
	kc_row_text(s, 1, out->unit, sizeof(out->unit));
	kc_row_text(s, 2, out->site, sizeof(out->site));
	kc_row_text(s, 3, out->kind, sizeof(out->kind));
	kc_row_text(s, 4, out->home_slot, sizeof(out->home_slot));
	kc_row_text(s, 5, out->slot, sizeof(out->slot));
	kc_row_text(s, 6, out->state, sizeof(out->state));
	out->tag = (uint32_t)sqlite3_column_int64(s, 7);
	sqlite3_reset(s);
	return 0;
}

void kc_decision_init(struct kc_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->missing = json_array();
	d->msgs = json_array();
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

static void missing(struct kc_decision *d, const char *what)
{
	json_array_append_new(d->missing, json_string(what));
}

void kc_rules_fmt_local(int64_t ms, char *buf, size_t len)
{
	kc_local_format(ms, KC_DAY_START, buf, len);
}

int64_t kc_rules_end_of_day(int64_t now_ms)
{
	return kc_local_next_day(now_ms) - 1;
}

static const char *const purpose_names[KC_PURPOSE_COUNT] = {
	[KC_PURPOSE_BORROW] = "borrow",
	[KC_PURPOSE_INSPECTION] = "inspection",
	[KC_PURPOSE_REPAIR] = "repair",
	[KC_PURPOSE_EMERGENCY] = "emergency",
};

const char *kc_purpose_name(enum kc_purpose p)
{
	return p < KC_PURPOSE_COUNT ? purpose_names[p] : "";
}

int kc_purpose_find(const char *name, enum kc_purpose *out)
{
	for (int i = 0; name && i < KC_PURPOSE_COUNT; i++)
		if (strcmp(name, purpose_names[i]) == 0) {
			*out = (enum kc_purpose)i;
			return 0;
		}
	return -ENOENT;
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
	missing(d, "due time within the limit");
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

static bool is_operator_role(const char *role)
{
	return role && (strcmp(role, "staff") == 0 || strcmp(role, "manager") == 0 ||
			strcmp(role, "supervisor") == 0);
}

/* Rule 1, and that the key exists and sits in its slot. Returns false
 * when the decision is already a refusal. */
static int check_operator_and_key(struct kc_store *st, const char *op, const char *role,
				  const char *key, struct kc_decision *d)
{
	int r;

	if (!op || !*op) {
		kc_decision_refuse(d, 1, KCM_release_no_operator, NULL);
		missing(d, "operator login");
		return 1;
	}
	if (!is_operator_role(role)) {
		kc_decision_refuse(d, 1, KCM_release_operator_not_staff, "{s:s, s:s}", "operator", op,
				   "role", role ? role : "nobody");
		missing(d, "staff login");
		return 1;
	}
	r = kc_key_get(st, key, &d->key);
	if (r == -ENOENT) {
		kc_decision_refuse(d, 0, KCM_release_key_unknown, "{s:s}", "key", key ? key : "");
		return 1;
	}
	if (r < 0)
		return r;
	if (strcmp(d->key.state, "in") != 0) {
		static const struct {
			const char *state;
			enum kc_msg_code why;
		} why[] = {
			{ "awaiting", KCM_key_awaiting },   { "releasing", KCM_key_releasing },
			{ "out", KCM_key_out_on_loan },     { "missing", KCM_key_missing },
			{ "collected", KCM_key_collected },
		};
		enum kc_msg_code w = KCM_key_not_in_cabinet;

		for (size_t i = 0; i < KC_ARRAY_SIZE(why); i++)
			if (strcmp(why[i].state, d->key.state) == 0)
				w = why[i].why;
		kc_decision_refuse(d, 0, w, "{s:s, s:s}", "key", d->key.code, "state", d->key.state);
		return 1;
	}
	return 0;
}

static int check_person(struct kc_store *st, const char *code, char role[16])
{
	sqlite3_stmt *s = kc_store_q(st, "SELECT role FROM people WHERE code = ?", "s", code);
	int rc;

	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		kc_row_text(s, 0, role, 16);
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

/* Rules 5, 6 and 4: vacant, repair and sealed keys go to people on the
 * roll (staff, engineers), named by their code. */
static int check_person_borrower(struct kc_store *st, const struct kc_release_req *req,
				 struct kc_decision *d, int rule, bool engineers_only)
{
	const char *who = req->borrower && *req->borrower ? req->borrower : req->operator_code;
	char role[16];
	int r = check_person(st, who, role);

	if (r == -ENOENT) {
		kc_decision_refuse(d, 0, KCM_person_unknown, "{s:s}", "person", who);
		return 0;
	}
	if (r < 0)
		return r;
	if (engineers_only && strcmp(role, "engineer") != 0) {
		kc_decision_refuse(d, rule, KCM_repair_key_not_engineer, "{s:s, s:s}", "person", who,
				   "role", role);
		missing(d, "engineer as borrower");
	} else if (!engineers_only && strcmp(role, "engineer") != 0 && strcmp(role, "staff") != 0 &&
		   strcmp(role, "manager") != 0) {
		kc_decision_refuse(d, rule, KCM_borrower_not_staff, "{s:s, s:s, s:s}", "kind",
				   d->key.kind, "person", who, "role", role);
		missing(d, "staff or engineer as borrower");
	}
	kc_strlcpy(d->borrower, who, sizeof(d->borrower));
	kc_strlcpy(d->borrower_type, "person", sizeof(d->borrower_type));
	return 0;
}

static int open_entrustment(struct kc_store *st, const char *key, int64_t *id, int64_t *end_ms)
{
	sqlite3_stmt *s = kc_store_q(st,
				     "SELECT id, end_ms FROM entrustments WHERE key = ? AND state = 'open'",
				     "s", key);
	int rc;

	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*end_ms = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : -EIO;
}

/* Rules 2, 3 and 7: a borrower (not the owner) takes an entrusted key. */
static int check_borrow(struct kc_store *st, const struct kc_release_req *req, int64_t now,
			struct kc_decision *d)
{
	char when[32], id_hash[KC_PWHASH_LEN] = "", borrower[128] = "";
	int64_t ent, end_ms, from = 0, to = 0, confirmed = 0, letter_ent = 0;
	enum kc_msg_code why;
	sqlite3_stmt *s;
	int r, rc;

	r = open_entrustment(st, d->key.code, &ent, &end_ms);
	if (r == -ENOENT) {
		kc_decision_refuse(d, 2, KCM_no_open_entrustment, "{s:s}", "key", d->key.code);
		missing(d, "open entrustment");
		return 0;
	}
	if (r < 0)
		return r;
	d->entrustment = ent;
	if (now >= end_ms) {
		kc_local_format(end_ms, KC_DAY_END, when, sizeof(when));
		kc_decision_refuse(d, 7, KCM_entrustment_ended, "{s:s, s:s}", "key", d->key.code, "end",
				   when);
		missing(d, "owner in person (entrustment ended)");
		return 0;
	}
	kc_strlcpy(d->borrower_type, "borrower", sizeof(d->borrower_type));
	if (req->borrower && *req->borrower)
		kc_strlcpy(d->borrower, req->borrower, sizeof(d->borrower));
	else {
		kc_decision_refuse(d, 2, KCM_borrower_name_needed, NULL);
		missing(d, "borrower name");
	}
	if (req->letter <= 0) {
		kc_decision_refuse(d, 2, KCM_letter_needed, NULL);
		missing(d, "authorisation letter (委托书)");
	} else {
		s = kc_store_q(st,
			       "SELECT entrustment, borrower, id_hash, valid_from, valid_to,"
			       " coalesce(confirmed_ms, 0) FROM letters WHERE id = ?",
			       "I", req->letter);
		if (!s)
			return -EIO;
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			letter_ent = sqlite3_column_int64(s, 0);
			kc_row_text(s, 1, borrower, sizeof(borrower));
			kc_row_text(s, 2, id_hash, sizeof(id_hash));
			from = sqlite3_column_int64(s, 3);
			to = sqlite3_column_int64(s, 4);
			confirmed = sqlite3_column_int64(s, 5);
		}
		sqlite3_reset(s);
		if (rc == SQLITE_DONE) {
			kc_decision_refuse(d, 2, KCM_letter_unknown, "{s:I}", "letter",
					   (json_int_t)req->letter);
			missing(d, "authorisation letter (委托书)");
		} else if (rc != SQLITE_ROW) {
			return -EIO;
		} else if (letter_ent != ent) {
			kc_decision_refuse(d, 2, KCM_letter_other_entrustment, "{s:I, s:s}", "letter",
					   (json_int_t)req->letter, "key", d->key.code);
			missing(d, "authorisation letter for this key");
		} else {
			d->letter = req->letter;
			if (d->borrower[0] && strcasecmp(borrower, d->borrower) != 0) {
				kc_decision_refuse(d, 2, KCM_letter_other_borrower, "{s:I, s:s, s:s}",
						   "letter", (json_int_t)req->letter, "named", borrower,
						   "borrower", d->borrower);
				missing(d, "letter naming this borrower");
			}
			if (now < from || now >= to) {
				char a[32], b[32];

				kc_rules_fmt_local(from, a, sizeof(a));
				kc_local_format(to, KC_DAY_END, b, sizeof(b));
				kc_decision_refuse(d, 2, KCM_letter_not_valid_now, "{s:I, s:s, s:s}",
						   "letter", (json_int_t)req->letter, "from", a, "to", b);
				missing(d, "letter valid now");
			}
			if (confirmed == 0) {
				kc_decision_refuse(d, 2, KCM_letter_not_confirmed, "{s:I}", "letter",
						   (json_int_t)req->letter);
				missing(d, "owner's confirmation of the letter");
			}
		}
	}
	if (!req->id_number || !*req->id_number || !req->id_type || !*req->id_type) {
		kc_decision_refuse(d, 3, KCM_borrower_id_needed, NULL);
		missing(d, "borrower's ID to hold");
	} else if (kc_rules_id_number(req->id_type, req->id_number, now, &why) < 0) {
		kc_decision_refuse(d, 3, why, NULL);
		missing(d, "valid ID number");
	} else if (d->letter && id_hash[0] && !kc_id_matches(req->id_number, id_hash)) {
		kc_decision_refuse(d, 2, KCM_id_not_on_letter, "{s:I}", "letter", (json_int_t)d->letter);
		missing(d, "the ID named on the letter");
	}
	if (!req->contact || !*req->contact) {
		kc_decision_refuse(d, 2, KCM_borrower_contact_needed, NULL);
		missing(d, "borrower contact");
	}
	if (!req->signature || !*req->signature) {
		kc_decision_refuse(d, 2, KCM_borrower_signature_needed, NULL);
		missing(d, "borrower signature confirmation");
	}
	return 0;
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

/* The approver's enrolment and the operator's session (the earliest open
 * one) from the store, then the pure decision above. */
static int check_four_eyes(struct kc_store *st, const char *op, const char *approver,
			   struct kc_decision *d)
{
	char by[64] = "";
	int64_t enrolled_ms = 0, session_ms = 0;
	bool by_null = true;
	sqlite3_stmt *s;
	int rc;

	s = kc_store_q(st, "SELECT enrolled_by, enrolled_ms FROM people WHERE code = ?", "s",
		       approver);
	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		by_null = sqlite3_column_type(s, 0) == SQLITE_NULL;
		kc_row_text(s, 0, by, sizeof(by));
		enrolled_ms = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -EIO;
	if (op && kc_store_int(st, &session_ms,
			       "SELECT coalesce(min(created_ms), 0) FROM sessions WHERE person = ?", "s",
			       op) < 0)
		return -EIO;
	switch (kc_rules_four_eyes(op, session_ms, approver, by_null ? NULL : by, enrolled_ms)) {
	case KC_FOUR_EYES_OK:
		return 0;
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
	d->approval = 0;
	d->approval_method[0] = '\0';
	missing(d, "a second person's approval");
	return 0;
}

/* Rule 4: a manager's approval, at the cabinet or issued beforehand. */
static int check_sealed(struct kc_store *st, const struct kc_release_req *req, int64_t now,
			struct kc_decision *d)
{
	sqlite3_stmt *s;
	int rc;

	if (req->approver && *req->approver) {
		if (!req->approver_verified) {
			kc_decision_refuse(d, 4, KCM_approver_credential_rejected, NULL);
			missing(d, "manager's approval");
		} else if (!req->approver_role || strcmp(req->approver_role, "manager") != 0) {
			kc_decision_refuse(d, 4, KCM_approver_not_manager, "{s:s}", "approver",
					   req->approver);
			missing(d, "manager's approval");
		} else {
			kc_strlcpy(d->approval_method, "second_credential", sizeof(d->approval_method));
			return check_four_eyes(st, req->operator_code, req->approver, d);
		}
	} else if (req->approval > 0) {
		char key[64] = "", manager[64] = "";
		int64_t from = 0, to = 0, used = 0;

		s = kc_store_q(st,
			       "SELECT key, valid_from, valid_to, coalesce(used_loan, 0), manager"
			       " FROM approvals WHERE id = ? AND method = 'issued'",
			       "I", req->approval);
		if (!s)
			return -EIO;
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			kc_row_text(s, 0, key, sizeof(key));
			from = sqlite3_column_int64(s, 1);
			to = sqlite3_column_int64(s, 2);
			used = sqlite3_column_int64(s, 3);
			kc_row_text(s, 4, manager, sizeof(manager));
		}
		sqlite3_reset(s);
		if (rc == SQLITE_DONE) {
			kc_decision_refuse(d, 4, KCM_approval_unknown, "{s:I}", "approval",
					   (json_int_t)req->approval);
			missing(d, "manager's approval");
		} else if (rc != SQLITE_ROW) {
			return -EIO;
		} else if (strcmp(key, d->key.code) != 0) {
			kc_decision_refuse(d, 4, KCM_approval_other_key, "{s:I, s:s, s:s}", "approval",
					   (json_int_t)req->approval, "approved_key", key, "key",
					   d->key.code);
			missing(d, "manager's approval for this key");
		} else if (used) {
			kc_decision_refuse(d, 4, KCM_approval_used, "{s:I, s:I}", "approval",
					   (json_int_t)req->approval, "loan", (json_int_t)used);
			missing(d, "a new manager's approval");
		} else if (now < from || now >= to) {
			char a[32], b[32];

			kc_rules_fmt_local(from, a, sizeof(a));
			kc_rules_fmt_local(to, b, sizeof(b));
			kc_decision_refuse(d, 4, KCM_approval_not_valid_now, "{s:I, s:s, s:s}", "approval",
					   (json_int_t)req->approval, "from", a, "to", b);
			missing(d, "manager's approval valid now");
		} else {
			d->approval = req->approval;
			kc_strlcpy(d->approval_method, "issued", sizeof(d->approval_method));
			return check_four_eyes(st, req->operator_code, manager, d);
		}
	} else {
		kc_decision_refuse(d, 4, KCM_approval_needed, "{s:s}", "key", d->key.code);
		missing(d, "manager's approval");
	}
	return 0;
}

int kc_rules_release(struct kc_store *st, const struct kc_release_req *req, int64_t now,
		     struct kc_decision *d)
{
	const char *p = req->purpose ? req->purpose : "";
	const char *kind;
	int r;

	d->granted = true;
	r = check_operator_and_key(st, req->operator_code, req->operator_role, req->key, d);
	if (r != 0)
		return r < 0 ? r : 0;
	kind = d->key.kind;
	d->due_ms = req->due_ms;
	if (strcmp(kind, "entrusted") == 0) {
		if (strcmp(p, "borrow") != 0) {
			kc_decision_refuse(d, 2, KCM_entrusted_key_wrong_purpose, "{s:s}", "purpose", p);
			missing(d, "purpose borrow");
			return 0;
		}
		r = check_borrow(st, req, now, d);
	} else if (strcmp(kind, "sealed") == 0) {
		if (strcmp(p, "emergency") != 0) {
			kc_decision_refuse(d, 4, KCM_sealed_key_wrong_purpose, "{s:s}", "purpose", p);
			missing(d, "purpose emergency");
			return 0;
		}
		r = check_person_borrower(st, req, d, 4, false);
		if (r == 0)
			r = check_sealed(st, req, now, d);
	} else if (strcmp(kind, "vacant") == 0) {
		if (strcmp(p, "inspection") != 0 && strcmp(p, "repair") != 0) {
			kc_decision_refuse(d, 5, KCM_vacant_key_wrong_purpose, "{s:s}", "purpose", p);
			missing(d, "purpose inspection or repair");
			return 0;
		}
		r = check_person_borrower(st, req, d, 5, false);
		if (req->due_ms <= 0) {
			kc_decision_refuse(d, 5, KCM_vacant_key_due_needed, NULL);
			missing(d, "due time");
		} else if (req->due_ms <= now) {
			kc_decision_refuse(d, 5, KCM_due_time_past, NULL);
			missing(d, "due time in the future");
		}
	} else if (strcmp(kind, "repair") == 0) {
		int64_t eod = kc_rules_end_of_day(now);

		if (strcmp(p, "repair") != 0) {
			kc_decision_refuse(d, 6, KCM_repair_key_wrong_purpose, "{s:s}", "purpose", p);
			missing(d, "purpose repair");
			return 0;
		}
		r = check_person_borrower(st, req, d, 6, true);
		if (!req->work_order || !*req->work_order) {
			kc_decision_refuse(d, 6, KCM_work_order_needed, NULL);
			missing(d, "work order");
		}
		if (req->due_ms > eod) {
			kc_decision_refuse(d, 6, KCM_repair_due_after_today, NULL);
			missing(d, "due time today");
		} else if (req->due_ms > 0 && req->due_ms <= now) {
			kc_decision_refuse(d, 6, KCM_due_time_past, NULL);
			missing(d, "due time in the future");
		}
		if (req->due_ms <= 0)
			d->due_ms = eod;
	} else {
		kc_decision_refuse(d, 0, KCM_key_kind_unknown, "{s:s, s:s}", "key", d->key.code, "kind",
				   kind);
		return 0;
	}
	return r < 0 ? r : 0;
}

int kc_rules_collect(struct kc_store *st, const char *operator_code, const char *operator_role,
		     const char *key, const char *id_number, const char *signature, int64_t now_ms,
		     struct kc_decision *d)
{
	char owner[64] = "", id_hash[KC_PWHASH_LEN] = "", id_type[40] = "";
	enum kc_msg_code why;
	int64_t ent = 0;
	sqlite3_stmt *s;
	int r, rc;

	d->granted = true;
	r = check_operator_and_key(st, operator_code, operator_role, key, d);
	if (r != 0)
		return r < 0 ? r : 0;
	s = kc_store_q(st,
		       "SELECT e.id, o.code, o.id_hash, o.id_type FROM entrustments e JOIN owners o ON o.code = e.owner"
		       " WHERE e.key = ? AND e.state = 'open'",
		       "s", key);
	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		ent = sqlite3_column_int64(s, 0);
		kc_row_text(s, 1, owner, sizeof(owner));
		kc_row_text(s, 2, id_hash, sizeof(id_hash));
		kc_row_text(s, 3, id_type, sizeof(id_type));
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE) {
		kc_decision_refuse(d, 8, KCM_nothing_to_collect, "{s:s}", "key", d->key.code);
		missing(d, "open entrustment");
		return 0;
	}
	if (rc != SQLITE_ROW)
		return -EIO;
	d->entrustment = ent;
	kc_strlcpy(d->borrower, owner, sizeof(d->borrower));
	kc_strlcpy(d->borrower_type, "owner", sizeof(d->borrower_type));
	if (!id_number || !*id_number) {
		kc_decision_refuse(d, 8, KCM_owner_id_needed, NULL);
		missing(d, "owner's ID");
	} else if (kc_rules_id_number(id_type, id_number, now_ms, &why) < 0) {
		kc_decision_refuse(d, 8, why, NULL);
		missing(d, "valid ID number");
	} else if (!kc_id_matches(id_number, id_hash)) {
		kc_decision_refuse(d, 8, KCM_owner_id_mismatch, "{s:s}", "key", d->key.code);
		missing(d, "owner's ID matching the one on file");
	}
	if (!signature || !*signature) {
		kc_decision_refuse(d, 8, KCM_owner_signature_needed, NULL);
		missing(d, "owner's signature confirmation");
	}
	return 0;
}

int kc_rules_id_release(struct kc_store *st, const char *operator_code, int64_t loan,
			struct kc_decision *d)
{
	char state[16] = "", key[64] = "";
	int64_t released = 0;
	sqlite3_stmt *s;
	int rc;

	d->granted = true;
	if (!operator_code || !*operator_code) {
		kc_decision_refuse(d, 1, KCM_id_release_no_operator, NULL);
		missing(d, "operator login");
		return 0;
	}
	s = kc_store_q(st,
		       "SELECT l.state, l.key, coalesce(i.released_ms, 0) FROM ids_held i"
		       " JOIN loans l ON l.id = i.loan WHERE i.loan = ?",
		       "I", loan);
	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		kc_row_text(s, 0, state, sizeof(state));
		kc_row_text(s, 1, key, sizeof(key));
		released = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE) {
		kc_decision_refuse(d, 0, KCM_id_not_held, "{s:I}", "loan", (json_int_t)loan);
		return 0;
	}
	if (rc != SQLITE_ROW)
		return -EIO;
	kc_key_get(st, key, &d->key);
	if (released) {
		kc_decision_refuse(d, 0, KCM_id_given_back, "{s:I}", "loan", (json_int_t)loan);
		return 0;
	}
	if (strcmp(state, "out") == 0 || strcmp(state, "granted") == 0) {
		kc_decision_refuse(d, 3, KCM_id_key_not_back, "{s:s, s:I}", "key", key, "loan",
				   (json_int_t)loan);
		missing(d, "key returned");
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
	if (strcmp(k->kind, "sealed") != 0)
		kc_decision_refuse(d, 4, KCM_key_not_sealed, "{s:s}", "key", k->code);
}

void kc_rules_inspect(int64_t loan, const struct kc_loan_facts *l, const char *result,
		      const char *problems, const char *dept, struct kc_decision *d)
{
	d->granted = true;
	if (strcmp(result, "problems") == 0 && (!problems || !*problems || !dept || !*dept)) {
		kc_decision_refuse(d, 5, KCM_inspection_problems_not_forwarded, NULL);
		missing(d, "problems found");
		missing(d, "department forwarded to");
	} else if (!l) {
		kc_decision_refuse(d, 0, KCM_loan_unknown, "{s:I}", "loan", (json_int_t)loan);
	} else if (strcmp(l->purpose, "inspection") != 0) {
		kc_decision_refuse(d, 5, KCM_loan_not_inspection, "{s:I, s:s}", "loan", (json_int_t)loan,
				   "purpose", l->purpose);
	} else if (strcmp(l->state, "returned") != 0) {
		kc_decision_refuse(d, 5, KCM_inspection_key_not_back, "{s:I}", "loan", (json_int_t)loan);
		missing(d, "key returned");
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
		missing(d, "incoming staff login");
	} else if (review && !h->confirmed_ms) {
		kc_decision_refuse(d, 12, KCM_handover_not_confirmed, "{s:I}", "handover",
				   (json_int_t)id);
		missing(d, "incoming staff confirmation");
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
		missing(d, "note");
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

void kc_rules_reseat(const char *operator_code, const char *operator_role, const char *key,
		     const struct kc_key_info *k, bool home_taken, int open_windows,
		     struct kc_decision *d)
{
	d->granted = true;
	if (!operator_code || !*operator_code) {
		kc_decision_refuse(d, 1, KCM_reseat_no_operator, NULL);
		missing(d, "operator login");
		return;
	}
	if (!is_operator_role(operator_role)) {
		kc_decision_refuse(d, 1, KCM_reseat_operator_not_staff, "{s:s, s:s}", "operator",
				   operator_code, "role", operator_role ? operator_role : "nobody");
		missing(d, "staff login");
		return;
	}
	if (!k) {
		kc_decision_refuse(d, 0, KCM_reseat_key_unknown, "{s:s}", "key", key ? key : "");
		return;
	}
	d->key = *k;
	if (strcmp(k->state, "in") != 0 || !k->slot[0]) {
		kc_decision_refuse(d, 9, KCM_reseat_key_not_in_slot, "{s:s, s:s}", "key", k->code,
				   "state", k->state);
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
		missing(d, "empty home slot");
		return;
	}
	if (open_windows >= KC_RULES_MAX_WINDOWS) {
		kc_decision_refuse(d, 10, KCM_reseat_windows_full, "{s:i}", "count",
				   KC_RULES_MAX_WINDOWS);
		missing(d, "free release window");
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
	json_array_append_new(d->missing, json_string("working slot"));
	return false;
}
