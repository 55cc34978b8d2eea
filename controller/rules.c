#include "controller/rules.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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

void kc_decision_refuse(struct kc_decision *d, int rule, enum kc_msg_code c, const char *fmt, ...)
{
	size_t n = strlen(d->reason);
	va_list ap;
	json_t *m;

	d->granted = false;
	if (d->rule == 0)
		d->rule = rule;
	va_start(ap, fmt);
	m = kc_msg_vnew(c, fmt, ap);
	va_end(ap);
	if (!m)
		m = kc_msg_new(c, NULL);
	if (n > 0 && n + 2 < sizeof(d->reason)) {
		d->reason[n++] = ' ';
		d->reason[n] = '\0';
	}
	kc_msg_render(m, KC_LANG_EN, d->reason + n, sizeof(d->reason) - n);
	json_array_append_new(d->msgs, m);
}

static void missing(struct kc_decision *d, const char *what)
{
	json_array_append_new(d->missing, json_string(what));
}

/* The first refusal names the rule and starts the sentence; later ones
 * (same check pass) add to it, so the operator sees everything missing at
 * once rather than one item per attempt. */
static void refuse(struct kc_decision *d, int rule, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void refuse(struct kc_decision *d, int rule, const char *fmt, ...)
{
	size_t n = strlen(d->reason);
	va_list ap;

	d->granted = false;
	if (d->rule == 0)
		d->rule = rule;
	if (n > 0 && n + 2 < sizeof(d->reason)) {
		d->reason[n++] = ' ';
		d->reason[n] = '\0';
	}
	va_start(ap, fmt);
	vsnprintf(d->reason + n, sizeof(d->reason) - n, fmt, ap);
	va_end(ap);
}

void kc_rules_fmt_local(int64_t ms, char *buf, size_t len)
{
	kc_local_format(ms, KC_DAY_START, buf, len);
}

int64_t kc_rules_end_of_day(int64_t now_ms)
{
	return kc_local_next_day(now_ms) - 1;
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
		refuse(d, 1, "No operator is logged in: a staff member must log in with a PIN or card "
			     "(keycab login) before any key is released.");
		missing(d, "operator login");
		return 1;
	}
	if (!is_operator_role(role)) {
		refuse(d, 1, "%s is logged in as %s; only staff, managers and supervisors operate the "
			     "cabinet. A staff member must log in to release the key.",
		       op, role ? role : "nobody");
		missing(d, "staff login");
		return 1;
	}
	r = kc_key_get(st, key, &d->key);
	if (r == -ENOENT) {
		refuse(d, 0, "There is no key \"%s\" in this cabinet; check the key code (keycab keys).",
		       key ? key : "");
		return 1;
	}
	if (r < 0)
		return r;
	if (strcmp(d->key.state, "in") != 0) {
		static const struct {
			const char *state, *why;
		} why[] = {
			{ "awaiting", "is registered but not yet in its slot" },
			{ "releasing", "is being released right now (its slot is open)" },
			{ "out", "is out on loan" },
			{ "missing", "is missing: it left its slot without a release (tamper alarm)" },
			{ "collected", "was collected by its owner and is no longer held" },
		};
		const char *w = "is not in the cabinet";

		for (size_t i = 0; i < KC_ARRAY_SIZE(why); i++)
			if (strcmp(why[i].state, d->key.state) == 0)
				w = why[i].why;
		refuse(d, 0, "Key %s %s; it cannot be released now.", d->key.code, w);
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
		refuse(d, 0, "There is no person \"%s\" on the roll; add them first (keycab person add).",
		       who);
		return 0;
	}
	if (r < 0)
		return r;
	if (engineers_only && strcmp(role, "engineer") != 0) {
		refuse(d, rule, "Repair keys go only to engineers; %s is %s.", who, role);
		missing(d, "engineer as borrower");
	} else if (!engineers_only && strcmp(role, "engineer") != 0 && strcmp(role, "staff") != 0 &&
		   strcmp(role, "manager") != 0) {
		refuse(d, rule, "%s keys go to staff and engineers; %s is %s.", d->key.kind, who, role);
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
	sqlite3_stmt *s;
	int r, rc;

	r = open_entrustment(st, d->key.code, &ent, &end_ms);
	if (r == -ENOENT) {
		refuse(d, 2, "Key %s has no open entrustment: there is no owner authority to lend it.",
		       d->key.code);
		missing(d, "open entrustment");
		return 0;
	}
	if (r < 0)
		return r;
	d->entrustment = ent;
	if (now >= end_ms) {
		kc_local_format(end_ms, KC_DAY_END, when, sizeof(when));
		refuse(d, 7, "The entrustment of key %s ended on %s: after the end the key goes only to "
			     "its owner (keycab collect).",
		       d->key.code, when);
		missing(d, "owner in person (entrustment ended)");
		return 0;
	}
	kc_strlcpy(d->borrower_type, "borrower", sizeof(d->borrower_type));
	if (req->borrower && *req->borrower)
		kc_strlcpy(d->borrower, req->borrower, sizeof(d->borrower));
	else {
		refuse(d, 2, "The borrower's name is needed for the loan register.");
		missing(d, "borrower name");
	}
	if (req->letter <= 0) {
		refuse(d, 2, "No authorisation letter (委托书) was given: a borrower needs the owner's "
			     "signed letter on file (keycab letter file), named with --letter.");
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
			refuse(d, 2, "There is no authorisation letter %lld on file.",
			       (long long)req->letter);
			missing(d, "authorisation letter (委托书)");
		} else if (rc != SQLITE_ROW) {
			return -EIO;
		} else if (letter_ent != ent) {
			refuse(d, 2, "Letter %lld is for another entrustment, not for key %s.",
			       (long long)req->letter, d->key.code);
			missing(d, "authorisation letter for this key");
		} else {
			d->letter = req->letter;
			if (d->borrower[0] && strcasecmp(borrower, d->borrower) != 0) {
				refuse(d, 2, "Letter %lld names %s as the borrower, not %s.",
				       (long long)req->letter, borrower, d->borrower);
				missing(d, "letter naming this borrower");
			}
			if (now < from || now >= to) {
				char a[32], b[32];

				kc_rules_fmt_local(from, a, sizeof(a));
				kc_local_format(to, KC_DAY_END, b, sizeof(b));
				refuse(d, 2, "Letter %lld is valid from %s to %s, which does not cover now.",
				       (long long)req->letter, a, b);
				missing(d, "letter valid now");
			}
			if (confirmed == 0) {
				refuse(d, 2, "Letter %lld has not been confirmed with the owner: call the owner "
					     "and record it (keycab letter confirm) before the release.",
				       (long long)req->letter);
				missing(d, "owner's confirmation of the letter");
			}
		}
	}
	if (!req->id_number || !*req->id_number || !req->id_type || !*req->id_type) {
		refuse(d, 3, "The borrower's valid ID must be held at the desk while the key is out "
			     "(--id-type and the number on --id-stdin).");
		missing(d, "borrower's ID to hold");
	} else if (kc_id_normalise(req->id_number, (char[40]){ 0 }, 40) < 0) {
		refuse(d, 3, "The ID number is not a valid document number (letters and digits, up to "
			     "32).");
		missing(d, "valid ID number");
	} else if (d->letter && id_hash[0] && !kc_id_matches(req->id_number, id_hash)) {
		refuse(d, 2, "The ID shown does not match the borrower's ID on letter %lld.",
		       (long long)d->letter);
		missing(d, "the ID named on the letter");
	}
	if (!req->contact || !*req->contact) {
		refuse(d, 2, "The borrower's contact (phone) is needed for the loan register.");
		missing(d, "borrower contact");
	}
	if (!req->signature || !*req->signature) {
		refuse(d, 2, "The borrower must sign the loan register; give its reference with "
			     "--signature.");
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
		refuse(d, 4, "The approving manager must be a second person, not the operator.");
		break;
	case KC_FOUR_EYES_ENROLLED_BY_OPERATOR:
		refuse(d, 4, "%s cannot approve for %s: %s registered %s or set their PIN or card.",
		       approver, op, op, approver);
		break;
	case KC_FOUR_EYES_ENROLLED_IN_SESSION:
		refuse(d, 4, "%s cannot approve for %s: %s was registered (or given a PIN or card) "
			     "while %s was logged in; the approver must be a manager registered "
			     "before the operator's session began.",
		       approver, op, approver, op);
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
			refuse(d, 4, "The manager's credential was not accepted.");
			missing(d, "manager's approval");
		} else if (!req->approver_role || strcmp(req->approver_role, "manager") != 0) {
			refuse(d, 4, "%s is not a manager: a sealed key opens only with a manager's "
				     "approval.",
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
			refuse(d, 4, "There is no approval %lld.", (long long)req->approval);
			missing(d, "manager's approval");
		} else if (rc != SQLITE_ROW) {
			return -EIO;
		} else if (strcmp(key, d->key.code) != 0) {
			refuse(d, 4, "Approval %lld is for key %s, not %s.", (long long)req->approval, key,
			       d->key.code);
			missing(d, "manager's approval for this key");
		} else if (used) {
			refuse(d, 4, "Approval %lld was used already (loan %lld); each approval opens the "
				     "key once.",
			       (long long)req->approval, (long long)used);
			missing(d, "a new manager's approval");
		} else if (now < from || now >= to) {
			char a[32], b[32];

			kc_rules_fmt_local(from, a, sizeof(a));
			kc_rules_fmt_local(to, b, sizeof(b));
			refuse(d, 4, "Approval %lld is valid from %s to %s, not now.",
			       (long long)req->approval, a, b);
			missing(d, "manager's approval valid now");
		} else {
			d->approval = req->approval;
			kc_strlcpy(d->approval_method, "issued", sizeof(d->approval_method));
			return check_four_eyes(st, req->operator_code, manager, d);
		}
	} else {
		refuse(d, 4, "Key %s is sealed (封存): it opens only with a manager's approval, either a "
			     "manager's credential now (--approver) or an approval issued beforehand "
			     "(--approval).",
		       d->key.code);
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
			refuse(d, 2, "An entrusted key goes out only to a borrower with the owner's letter "
				     "(purpose borrow) or to its owner (keycab collect), not for \"%s\".",
			       p);
			missing(d, "purpose borrow");
			return 0;
		}
		r = check_borrow(st, req, now, d);
	} else if (strcmp(kind, "sealed") == 0) {
		if (strcmp(p, "emergency") != 0) {
			refuse(d, 4, "A sealed key goes out only for an emergency opening with a manager's "
				     "approval (purpose emergency), not for \"%s\".",
			       p);
			missing(d, "purpose emergency");
			return 0;
		}
		r = check_person_borrower(st, req, d, 4, false);
		if (r == 0)
			r = check_sealed(st, req, now, d);
	} else if (strcmp(kind, "vacant") == 0) {
		if (strcmp(p, "inspection") != 0 && strcmp(p, "repair") != 0) {
			refuse(d, 5, "A vacant-unit key goes out for an inspection or a repair, not for "
				     "\"%s\".",
			       p);
			missing(d, "purpose inspection or repair");
			return 0;
		}
		r = check_person_borrower(st, req, d, 5, false);
		if (req->due_ms <= 0) {
			refuse(d, 5, "A vacant-unit key is lent with a due time (--due or --due-in).");
			missing(d, "due time");
		} else if (req->due_ms <= now) {
			refuse(d, 5, "The due time is in the past.");
			missing(d, "due time in the future");
		}
	} else if (strcmp(kind, "repair") == 0) {
		int64_t eod = kc_rules_end_of_day(now);

		if (strcmp(p, "repair") != 0) {
			refuse(d, 6, "A repair key goes out only for a repair against a work order, not for "
				     "\"%s\".",
			       p);
			missing(d, "purpose repair");
			return 0;
		}
		r = check_person_borrower(st, req, d, 6, true);
		if (!req->work_order || !*req->work_order) {
			refuse(d, 6, "A repair key goes out only against a work-order number (--work-order).");
			missing(d, "work order");
		}
		if (req->due_ms > eod) {
			refuse(d, 6, "A repair key is due back the same day; the due time given is later.");
			missing(d, "due time today");
		} else if (req->due_ms > 0 && req->due_ms <= now) {
			refuse(d, 6, "The due time is in the past.");
			missing(d, "due time in the future");
		}
		if (req->due_ms <= 0)
			d->due_ms = eod;
	} else {
		refuse(d, 0, "Key %s has an unknown kind \"%s\".", d->key.code, kind);
		return 0;
	}
	return r < 0 ? r : 0;
}

int kc_rules_collect(struct kc_store *st, const char *operator_code, const char *operator_role,
		     const char *key, const char *id_number, const char *signature, int64_t now_ms,
		     struct kc_decision *d)
{
	char owner[64] = "", id_hash[KC_PWHASH_LEN] = "";
	int64_t ent = 0;
	sqlite3_stmt *s;
	int r, rc;

	(void)now_ms;
	d->granted = true;
	r = check_operator_and_key(st, operator_code, operator_role, key, d);
	if (r != 0)
		return r < 0 ? r : 0;
	s = kc_store_q(st,
		       "SELECT e.id, o.code, o.id_hash FROM entrustments e JOIN owners o ON o.code = e.owner"
		       " WHERE e.key = ? AND e.state = 'open'",
		       "s", key);
	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		ent = sqlite3_column_int64(s, 0);
		kc_row_text(s, 1, owner, sizeof(owner));
		kc_row_text(s, 2, id_hash, sizeof(id_hash));
	}
	sqlite3_reset(s);
	if (rc == SQLITE_DONE) {
		refuse(d, 8, "Key %s has no open entrustment, so there is nothing for an owner to collect.",
		       d->key.code);
		missing(d, "open entrustment");
		return 0;
	}
	if (rc != SQLITE_ROW)
		return -EIO;
	d->entrustment = ent;
	kc_strlcpy(d->borrower, owner, sizeof(d->borrower));
	kc_strlcpy(d->borrower_type, "owner", sizeof(d->borrower_type));
	if (!id_number || !*id_number) {
		refuse(d, 8, "The owner must show their ID (number on --id-stdin) to collect the key.");
		missing(d, "owner's ID");
	} else if (!kc_id_matches(id_number, id_hash)) {
		refuse(d, 8, "The ID shown does not match the owner's ID on file for key %s; the key "
			     "goes only to its owner.",
		       d->key.code);
		missing(d, "owner's ID matching the one on file");
	}
	if (!signature || !*signature) {
		refuse(d, 8, "The owner must sign the collection confirmation; give its reference with "
			     "--signature.");
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
		refuse(d, 1, "No operator is logged in.");
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
		refuse(d, 0, "No ID is held for loan %lld.", (long long)loan);
		return 0;
	}
	if (rc != SQLITE_ROW)
		return -EIO;
	kc_key_get(st, key, &d->key);
	if (released) {
		refuse(d, 0, "The ID held for loan %lld was given back already.", (long long)loan);
		return 0;
	}
	if (strcmp(state, "out") == 0 || strcmp(state, "granted") == 0) {
		refuse(d, 3, "Key %s of loan %lld is not back yet: the borrower's ID stays at the desk "
			     "until the key is in its slot.",
		       key, (long long)loan);
		missing(d, "key returned");
	}
	return 0;
}

void kc_rules_approve(const char *key, const struct kc_key_info *k, struct kc_decision *d)
{
	d->granted = true;
	if (!k) {
		refuse(d, 0, "There is no key \"%s\".", key ? key : "");
		return;
	}
	d->key = *k;
	if (strcmp(k->kind, "sealed") != 0)
		refuse(d, 4, "Key %s is not sealed; approvals are for sealed keys.", k->code);
}

void kc_rules_inspect(int64_t loan, const struct kc_loan_facts *l, const char *result,
		      const char *problems, const char *dept, struct kc_decision *d)
{
	d->granted = true;
	if (strcmp(result, "problems") == 0 && (!problems || !*problems || !dept || !*dept)) {
		refuse(d, 5, "Problems found on an inspection are written down and forwarded "
			     "to a department (--problems and --forwarded-to).");
		missing(d, "problems found");
		missing(d, "department forwarded to");
	} else if (!l) {
		refuse(d, 0, "There is no loan %lld.", (long long)loan);
	} else if (strcmp(l->purpose, "inspection") != 0) {
		refuse(d, 5, "Loan %lld was for %s, not an inspection.", (long long)loan, l->purpose);
	} else if (strcmp(l->state, "returned") != 0) {
		refuse(d, 5, "The key of loan %lld is not back yet; record the inspection "
			     "when it is returned.",
		       (long long)loan);
		missing(d, "key returned");
	} else if (strcmp(l->inspection, "recorded") == 0) {
		refuse(d, 0, "The inspection of loan %lld is recorded already.", (long long)loan);
	}
}

void kc_rules_handover_sign(int64_t id, const struct kc_handover_facts *h, const char *person,
			    bool review, struct kc_decision *d)
{
	d->granted = true;
	if (!h) {
		refuse(d, 0, "There is no handover %lld.", (long long)id);
	} else if (!review && h->confirmed_ms) {
		refuse(d, 12, "Handover %lld was confirmed already by %s.", (long long)id, h->incoming);
	} else if (!review && strcmp(h->outgoing, person) == 0) {
		refuse(d, 12, "The incoming staff member confirms the handover, not "
			      "%s who started it: the incoming staff must log in.",
		       h->outgoing);
		missing(d, "incoming staff login");
	} else if (review && !h->confirmed_ms) {
		refuse(d, 12, "Handover %lld is not confirmed by the incoming staff yet.", (long long)id);
		missing(d, "incoming staff confirmation");
	} else if (review && h->reviewed_ms) {
		refuse(d, 12, "Handover %lld was reviewed already.", (long long)id);
	}
}

void kc_rules_alarm_clear(int64_t id, bool found, int64_t cleared_ms, const char *note,
			  struct kc_decision *d)
{
	d->granted = true;
	if (!note || !*note) {
		refuse(d, 11, "Say what was done about the alarm (--note), for the log.");
		missing(d, "note");
	} else if (!found) {
		refuse(d, 0, "There is no alarm %lld.", (long long)id);
	} else if (cleared_ms) {
		refuse(d, 0, "Alarm %lld was cleared already.", (long long)id);
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

bool kc_rules_wrong_slot(const struct kc_key_info *k, const char *slot, char *detail, size_t len)
{
	if (strcmp(slot, k->home_slot) == 0)
		return false;
	snprintf(detail, len, "key %s was put in slot %s; its slot is %s", k->code, slot,
		 k->home_slot);
	return true;
}

void kc_rules_reseat(const char *operator_code, const char *operator_role, const char *key,
		     const struct kc_key_info *k, bool home_taken, int open_windows,
		     struct kc_decision *d)
{
	d->granted = true;
	if (!operator_code || !*operator_code) {
		refuse(d, 1, "No operator is logged in: a staff member must log in before a slot "
			     "is opened to move a key home.");
		missing(d, "operator login");
		return;
	}
	if (!is_operator_role(operator_role)) {
		refuse(d, 1, "%s is logged in as %s; a staff member must log in to open a slot.",
		       operator_code, operator_role ? operator_role : "nobody");
		missing(d, "staff login");
		return;
	}
	if (!k) {
		refuse(d, 0, "There is no key \"%s\" in this cabinet.", key ? key : "");
		return;
	}
	d->key = *k;
	if (strcmp(k->state, "in") != 0 || !k->slot[0]) {
		refuse(d, 9, "Key %s is not in a slot (it is %s); only a key in a wrong slot is "
			     "moved home this way.",
		       k->code, k->state);
		return;
	}
	if (strcmp(k->slot, k->home_slot) == 0) {
		refuse(d, 9, "Key %s is in its own slot %s; there is nothing to move.", k->code,
		       k->slot);
		return;
	}
	if (home_taken) {
		refuse(d, 9, "Slot %s, the home of key %s, reads another key; move that one out "
			     "first.",
		       k->home_slot, k->code);
		missing(d, "empty home slot");
		return;
	}
	if (open_windows >= KC_RULES_MAX_WINDOWS) {
		refuse(d, 10, "%d releases are open at once; try again when one closes.",
		       KC_RULES_MAX_WINDOWS);
		missing(d, "free release window");
	}
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
	size_t why;

	if (open_windows >= KC_RULES_MAX_WINDOWS)
		why = 0;
	else if (!f)
		return true;
	else if (!f->in_file)
		why = 1;
	else if (f->fault)
		why = 2;
	else if (f->lock_on)
		why = 3;
	else if (f->unknown)
		why = 4;
	else if (f->empty)
		why = 5;
	else
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
