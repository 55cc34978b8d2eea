#include "controller/facts.h"

#include <errno.h>
#include <string.h>

#include "controller/custody.h"
#include "controller/keys.h"
#include "controller/people.h"
#include "controller/windows.h"

static int key_facts(struct kc_db *db, const char *code, struct kc_key_info *k, bool *found)
{
	int r = kc_key_read(db, code, k);

	*found = r == 0;
	return r == -ENOENT ? 0 : r;
}

/* Rule 4's facts: the approval named, the approving manager's enrolment,
 * the operator's session. */
static int sealed_facts(struct kc_db *db, const struct kc_release_req *req, struct kc_release_facts *f)
{
	const char *approver = req->approver && *req->approver ? req->approver : NULL;

	if (!approver && req->approval > 0) {
		if (kc_approval_issued(db, req->approval, &f->approval) < 0)
			return -EIO;
		approver = f->approval.found ? f->approval.manager : NULL;
	}
	if (!approver)
		return 0;
	if (kc_person_facts_get(db, approver, &f->approver) < 0)
		return -EIO;
	return req->operator_code ? kc_person_first_session(db, req->operator_code, &f->session_ms) : 0;
}

/* The facts of the key's custody: its open entrustment and the letter
 * named (entrusted keys), else the borrower and for a sealed key its
 * approval. */
static int custody_facts(struct kc_db *db, const struct kc_release_req *req, struct kc_release_facts *f)
{
	const char *who = req->borrower && *req->borrower ? req->borrower : req->operator_code;

	if (f->key.kind == KC_KIND_ENTRUSTED) {
		if (kc_entrustment_open(db, f->key.code, &f->entrustment) < 0)
			return -EIO;
		return req->letter > 0 && f->entrustment.found ? kc_letter_get(db, req->letter, &f->letter) : 0;
	}
	if (kc_person_facts_get(db, who, &f->borrower) < 0)
		return -EIO;
	return f->key.kind == KC_KIND_SEALED ? sealed_facts(db, req, f) : 0;
}

int kc_facts_release(struct kc_ctl *ctl, const struct kc_release_req *req, struct kc_release_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->slot_index = -1;
	if (!req->operator_code || !*req->operator_code)
		return 0; /* rule 1 refuses before any fact */
	if (key_facts(ctl->db, req->key, &f->key, &f->key_found) < 0)
		return -EIO;
	if (!f->key_found || f->key.state != KC_KEY_IN)
		return 0;
	if (custody_facts(ctl->db, req, f) < 0)
		return -EIO;
	kc_windows_slot_facts(ctl, f->key.slot, f);
	return 0;
}

int kc_facts_collect(struct kc_store *st, const char *key, struct kc_key_info *k, bool *key_found,
		     struct kc_entrustment_facts *e)
{
	memset(e, 0, sizeof(*e));
	if (key_facts(kc_store_kdb(st), key, k, key_found) < 0)
		return -EIO;
	return *key_found ? kc_entrustment_open(kc_store_kdb(st), key, e) : 0;
}

int kc_facts_id_release(struct kc_store *st, int64_t loan, struct kc_id_loan_facts *f)
{
	bool found;

	if (kc_id_loan_get(kc_store_kdb(st), loan, f) < 0)
		return -EIO;
	return f->found && key_facts(kc_store_kdb(st), f->key, &f->k, &found) < 0 ? -EIO : 0;
}
