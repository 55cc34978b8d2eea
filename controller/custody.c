#include "controller/custody.h"

#include <errno.h>
#include <string.h>

#include "controller/row.h"

/* kc_row_one's answer as the accessors give it: no row is found false. */
static int found(int r, bool *f)
{
	*f = r == 0;
	return r == -ENOENT ? 0 : r;
}

static void read_entrustment(sqlite3_stmt *s, void *out)
{
	struct kc_entrustment_facts *e = out;

	e->id = sqlite3_column_int64(s, 0);
	e->end_ms = sqlite3_column_int64(s, 1);
	kc_row_text(s, 2, e->owner, sizeof(e->owner));
	kc_row_text(s, 3, e->owner_id_type, sizeof(e->owner_id_type));
	kc_row_text(s, 4, e->owner_id_hash, sizeof(e->owner_id_hash));
}

int kc_entrustment_open(struct kc_store *st, const char *key, struct kc_entrustment_facts *out)
{
	memset(out, 0, sizeof(*out));
	return found(kc_row_one(kc_store_q(st,
					   "SELECT e.id, e.end_ms, o.code, o.id_type, o.id_hash"
					   " FROM entrustments e JOIN owners o ON o.code = e.owner"
					   " WHERE e.key = ? AND e.state = 'open'",
					   "s", key),
				read_entrustment, out),
		     &out->found);
}

static void read_letter(sqlite3_stmt *s, void *out)
{
	struct kc_letter_facts *l = out;

	l->entrustment = sqlite3_column_int64(s, 0);
	kc_row_text(s, 1, l->borrower, sizeof(l->borrower));
	kc_row_text(s, 2, l->id_hash, sizeof(l->id_hash));
	l->valid_from = sqlite3_column_int64(s, 3);
	l->valid_to = sqlite3_column_int64(s, 4);
	l->confirmed_ms = sqlite3_column_int64(s, 5);
}

int kc_letter_get(struct kc_store *st, int64_t id, struct kc_letter_facts *out)
{
	memset(out, 0, sizeof(*out));
	return found(kc_row_one(kc_store_q(st,
					   "SELECT entrustment, borrower, id_hash, valid_from, valid_to,"
					   " coalesce(confirmed_ms, 0) FROM letters WHERE id = ?",
					   "I", id),
				read_letter, out),
		     &out->found);
}

static void read_approval(sqlite3_stmt *s, void *out)
{
	struct kc_approval_facts *a = out;

	kc_row_text(s, 0, a->key, sizeof(a->key));
	a->valid_from = sqlite3_column_int64(s, 1);
	a->valid_to = sqlite3_column_int64(s, 2);
	a->used_loan = sqlite3_column_int64(s, 3);
	kc_row_text(s, 4, a->manager, sizeof(a->manager));
}

int kc_approval_issued(struct kc_store *st, int64_t id, struct kc_approval_facts *out)
{
	memset(out, 0, sizeof(*out));
	return found(kc_row_one(kc_store_q(st,
					   "SELECT key, valid_from, valid_to, coalesce(used_loan, 0), manager"
					   " FROM approvals WHERE id = ? AND method = 'issued'",
					   "I", id),
				read_approval, out),
		     &out->found);
}

static void read_id_loan(sqlite3_stmt *s, void *out)
{
	struct kc_id_loan_facts *f = out;

	kc_row_text(s, 0, f->state, sizeof(f->state));
	kc_row_text(s, 1, f->key, sizeof(f->key));
	f->released_ms = sqlite3_column_int64(s, 2);
}

int kc_id_loan_get(struct kc_store *st, int64_t loan, struct kc_id_loan_facts *out)
{
	memset(out, 0, sizeof(*out));
	return found(kc_row_one(kc_store_q(st,
					   "SELECT l.state, l.key, coalesce(i.released_ms, 0) FROM ids_held i"
					   " JOIN loans l ON l.id = i.loan WHERE i.loan = ?",
					   "I", loan),
				read_id_loan, out),
		     &out->found);
}

static void read_alarm(sqlite3_stmt *s, void *out)
{
	struct kc_alarm_facts *a = out;

	kc_row_text(s, 0, a->type, sizeof(a->type));
	kc_row_text(s, 1, a->key, sizeof(a->key));
	a->cleared_ms = sqlite3_column_int64(s, 2);
}

int kc_alarm_get(struct kc_store *st, int64_t id, struct kc_alarm_facts *out)
{
	memset(out, 0, sizeof(*out));
	return found(kc_row_one(kc_store_q(st,
					   "SELECT type, coalesce(key, ''), coalesce(cleared_ms, 0) FROM alarms"
					   " WHERE id = ?",
					   "I", id),
				read_alarm, out),
		     &out->found);
}
