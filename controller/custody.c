#include "controller/custody.h"

#include <errno.h>
#include <string.h>

#include "controller/row.h"

/* kc_row_step's answer as the accessors give it: no row is found false. */
static int found(int r, bool *f)
{
	*f = r == 0;
	return r == -ENOENT ? 0 : r;
}

int kc_entrustment_open(struct kc_store *st, const char *key, struct kc_entrustment_facts *out)
{
	sqlite3_stmt *s = kc_store_q(st,
				     "SELECT e.id, e.end_ms, o.code, o.id_type, o.id_hash"
				     " FROM entrustments e JOIN owners o ON o.code = e.owner"
				     " WHERE e.key = ? AND e.state = 'open'",
				     "s", key);
	int r;

	memset(out, 0, sizeof(*out));
	r = kc_row_step(s);
	if (r == 0) {
		out->id = sqlite3_column_int64(s, 0);
		out->end_ms = sqlite3_column_int64(s, 1);
		kc_row_text(s, 2, out->owner, sizeof(out->owner));
		kc_row_text(s, 3, out->owner_id_type, sizeof(out->owner_id_type));
		kc_row_text(s, 4, out->owner_id_hash, sizeof(out->owner_id_hash));
	}
	kc_row_done(s);
	return found(r, &out->found);
}

int kc_letter_get(struct kc_store *st, int64_t id, struct kc_letter_facts *out)
{
	sqlite3_stmt *s = kc_store_q(st,
				     "SELECT entrustment, borrower, id_hash, valid_from, valid_to,"
				     " coalesce(confirmed_ms, 0) FROM letters WHERE id = ?",
				     "I", id);
	int r;

	memset(out, 0, sizeof(*out));
	r = kc_row_step(s);
	if (r == 0) {
		out->entrustment = sqlite3_column_int64(s, 0);
		kc_row_text(s, 1, out->borrower, sizeof(out->borrower));
		kc_row_text(s, 2, out->id_hash, sizeof(out->id_hash));
		out->valid_from = sqlite3_column_int64(s, 3);
		out->valid_to = sqlite3_column_int64(s, 4);
		out->confirmed_ms = sqlite3_column_int64(s, 5);
	}
	kc_row_done(s);
	return found(r, &out->found);
}

int kc_approval_issued(struct kc_store *st, int64_t id, struct kc_approval_facts *out)
{
	sqlite3_stmt *s = kc_store_q(st,
				     "SELECT key, valid_from, valid_to, coalesce(used_loan, 0), manager"
				     " FROM approvals WHERE id = ? AND method = 'issued'",
				     "I", id);
	int r;

	memset(out, 0, sizeof(*out));
	r = kc_row_step(s);
	if (r == 0) {
		kc_row_text(s, 0, out->key, sizeof(out->key));
		out->valid_from = sqlite3_column_int64(s, 1);
		out->valid_to = sqlite3_column_int64(s, 2);
		out->used_loan = sqlite3_column_int64(s, 3);
		kc_row_text(s, 4, out->manager, sizeof(out->manager));
	}
	kc_row_done(s);
	return found(r, &out->found);
}

int kc_id_loan_get(struct kc_store *st, int64_t loan, struct kc_id_loan_facts *out)
{
	sqlite3_stmt *s = kc_store_q(st,
				     "SELECT l.state, l.key, coalesce(i.released_ms, 0) FROM ids_held i"
				     " JOIN loans l ON l.id = i.loan WHERE i.loan = ?",
				     "I", loan);
	int r;

	memset(out, 0, sizeof(*out));
	r = kc_row_step(s);
	if (r == 0) {
		kc_row_text(s, 0, out->state, sizeof(out->state));
		kc_row_text(s, 1, out->key, sizeof(out->key));
		out->released_ms = sqlite3_column_int64(s, 2);
	}
	kc_row_done(s);
	return found(r, &out->found);
}
