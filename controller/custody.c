#include "controller/custody.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "controller/row.h"

/* The one row of s into out by cols: 0 (*found false: no row) or -EIO. */
static int one(sqlite3_stmt *s, const struct kc_row_col *cols, size_t n, void *out, bool *found)
{
	int r = kc_row_cols(s, cols, n, out);

	*found = r == 0;
	return r == -ENOENT ? 0 : r;
}

#define E struct kc_entrustment_facts
static const struct kc_row_col entrustment_cols[] = {
	KC_ROW_INT(E, id), KC_ROW_INT(E, end_ms), KC_ROW_TEXT(E, owner), KC_ROW_TEXT(E, owner_id_type),
	KC_ROW_TEXT(E, owner_id_hash),
};
#undef E

int kc_entrustment_open(struct kc_store *st, const char *key, struct kc_entrustment_facts *out)
{
	memset(out, 0, sizeof(*out));
	return one(kc_store_q(st,
			      "SELECT e.id, e.end_ms, o.code, o.id_type, o.id_hash"
			      " FROM entrustments e JOIN owners o ON o.code = e.owner"
			      " WHERE e.key = ? AND e.state = 'open'",
			      "s", key),
		   entrustment_cols, KC_ARRAY_SIZE(entrustment_cols), out, &out->found);
}

#define L struct kc_letter_facts
static const struct kc_row_col letter_cols[] = {
	KC_ROW_INT(L, entrustment), KC_ROW_TEXT(L, borrower), KC_ROW_TEXT(L, id_hash),
	KC_ROW_INT(L, valid_from),  KC_ROW_INT(L, valid_to),  KC_ROW_INT(L, confirmed_ms),
};
#undef L

int kc_letter_get(struct kc_store *st, int64_t id, struct kc_letter_facts *out)
{
	memset(out, 0, sizeof(*out));
	return one(kc_store_q(st,
			      "SELECT entrustment, borrower, id_hash, valid_from, valid_to,"
			      " coalesce(confirmed_ms, 0) FROM letters WHERE id = ?",
			      "I", id),
		   letter_cols, KC_ARRAY_SIZE(letter_cols), out, &out->found);
}

#define A struct kc_approval_facts
static const struct kc_row_col approval_cols[] = {
	KC_ROW_TEXT(A, key), KC_ROW_INT(A, valid_from), KC_ROW_INT(A, valid_to), KC_ROW_INT(A, used_loan),
	KC_ROW_TEXT(A, manager),
};
#undef A

int kc_approval_issued(struct kc_store *st, int64_t id, struct kc_approval_facts *out)
{
	memset(out, 0, sizeof(*out));
	return one(kc_store_q(st,
			      "SELECT key, valid_from, valid_to, coalesce(used_loan, 0), manager"
			      " FROM approvals WHERE id = ? AND method = 'issued'",
			      "I", id),
		   approval_cols, KC_ARRAY_SIZE(approval_cols), out, &out->found);
}

#define H struct kc_id_loan_facts
static const struct kc_row_col id_loan_cols[] = {
	KC_ROW_TEXT(H, state), KC_ROW_TEXT(H, key), KC_ROW_INT(H, released_ms),
};
#undef H

int kc_id_loan_get(struct kc_store *st, int64_t loan, struct kc_id_loan_facts *out)
{
	memset(out, 0, sizeof(*out));
	return one(kc_store_q(st,
			      "SELECT l.state, l.key, coalesce(i.released_ms, 0) FROM ids_held i"
			      " JOIN loans l ON l.id = i.loan WHERE i.loan = ?",
			      "I", loan),
		   id_loan_cols, KC_ARRAY_SIZE(id_loan_cols), out, &out->found);
}

#define M struct kc_alarm_facts
static const struct kc_row_col alarm_cols[] = {
	KC_ROW_TEXT(M, type), KC_ROW_TEXT(M, key), KC_ROW_INT(M, cleared_ms),
};
#undef M

int kc_alarm_get(struct kc_store *st, int64_t id, struct kc_alarm_facts *out)
{
	memset(out, 0, sizeof(*out));
	return one(kc_store_q(st, "SELECT type, coalesce(key, ''), coalesce(cleared_ms, 0) FROM alarms WHERE id = ?",
			      "I", id),
		   alarm_cols, KC_ARRAY_SIZE(alarm_cols), out, &out->found);
}
