#include "controller/facts.h"

#include <errno.h>
#include <string.h>

#include "controller/custody.h"
#include "controller/keys.h"
#include "controller/people.h"

static int key_facts(struct kc_store *st, const char *code, struct kc_key_info *k, bool *found)
{
	int r = kc_key_get(st, code, k);

	*found = r == 0;
	return r == -ENOENT ? 0 : r;
}

/* Rule 4's facts: the approval named, the approving manager's enrolment,
 * the operator's session. */
static int sealed_facts(struct kc_store *st, const struct kc_release_req *req, struct kc_release_facts *f)
{
	const char *approver = req->approver && *req->approver ? req->approver : NULL;

	if (!approver && req->approval > 0) {
		if (kc_approval_issued(st, req->approval, &f->approval) < 0)
			return -EIO;
		approver = f->approval.found ? f->approval.manager : NULL;
	}
	if (!approver)
		return 0;
	if (kc_person_facts_get(st, approver, &f->approver) < 0)
		return -EIO;
	return req->operator_code ? kc_person_first_session(st, req->operator_code, &f->session_ms) : 0;
}

int kc_facts_release(struct kc_store *st, const struct kc_release_req *req, struct kc_release_facts *f)
{
	const char *who = req->borrower && *req->borrower ? req->borrower : req->operator_code;

	memset(f, 0, sizeof(*f));
	if (!req->operator_code || !*req->operator_code || !kc_rules_operator_role(req->operator_role))
		return 0; /* rule 1 refuses before any fact */
	if (key_facts(st, req->key, &f->key, &f->key_found) < 0)
		return -EIO;
	if (!f->key_found || f->key.state != KC_KEY_IN)
		return 0;
	if (f->key.kind == KC_KIND_ENTRUSTED) {
		if (kc_entrustment_open(st, f->key.code, &f->entrustment) < 0)
			return -EIO;
		return req->letter > 0 && f->entrustment.found ? kc_letter_get(st, req->letter, &f->letter) : 0;
	}
	if (kc_person_facts_get(st, who, &f->borrower) < 0)
		return -EIO;
	return f->key.kind == KC_KIND_SEALED ? sealed_facts(st, req, f) : 0;
}

int kc_facts_collect(struct kc_store *st, const char *key, struct kc_key_info *k, bool *key_found,
		     struct kc_entrustment_facts *e)
{
	memset(e, 0, sizeof(*e));
	if (key_facts(st, key, k, key_found) < 0)
		return -EIO;
	return *key_found ? kc_entrustment_open(st, key, e) : 0;
}

int kc_facts_id_release(struct kc_store *st, int64_t loan, struct kc_id_loan_facts *f)
{
	bool found;

	if (kc_id_loan_get(st, loan, f) < 0)
		return -EIO;
	return f->found && key_facts(st, f->key, &f->k, &found) < 0 ? -EIO : 0;
}
