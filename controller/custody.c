#include "controller/custody.h"

#include <errno.h>
#include <string.h>

#include "common/db.h"
#include "common/util.h"
#include "controller/row.h"

#define TEXT(type, m) KC_ROW_TEXT(struct type, m)
#define INT(type, m) KC_ROW_INT(struct type, m)
#define COLS(...) (const struct kc_row_col[]){ __VA_ARGS__ }, \
	sizeof((const struct kc_row_col[]){ __VA_ARGS__ }) / sizeof(struct kc_row_col)

/* One accessor: its statement (one parameter: a text when by_text, else
 * an integer) and the columns it reads, in order. */
struct row_spec {
	const char *sql;
	bool by_text;
	const struct kc_row_col *cols;
	size_t ncols;
};

static const struct row_spec entrustment_spec = {
	"SELECT e.id, e.end_ms, o.code, o.id_type, o.id_hash FROM entrustments e"
	" JOIN owners o ON o.code = e.owner WHERE e.key = ? AND e.state = 'open'", true,
	COLS(INT(kc_entrustment_facts, id), INT(kc_entrustment_facts, end_ms),
	     TEXT(kc_entrustment_facts, owner), TEXT(kc_entrustment_facts, owner_id_type),
	     TEXT(kc_entrustment_facts, owner_id_hash)),
};
static const struct row_spec letter_spec = {
	"SELECT entrustment, borrower, id_hash, valid_from, valid_to, coalesce(confirmed_ms, 0)"
	" FROM letters WHERE id = ?", false,
	COLS(INT(kc_letter_facts, entrustment), TEXT(kc_letter_facts, borrower), TEXT(kc_letter_facts, id_hash),
	     INT(kc_letter_facts, valid_from), INT(kc_letter_facts, valid_to), INT(kc_letter_facts, confirmed_ms)),
};
static const struct row_spec approval_spec = {
	"SELECT key, valid_from, valid_to, coalesce(used_loan, 0), manager, method, coalesce(asker, '')"
	" FROM approvals WHERE id = ? AND method IN ('issued', 'remote')", false,
	COLS(TEXT(kc_approval_facts, key), INT(kc_approval_facts, valid_from), INT(kc_approval_facts, valid_to),
	     INT(kc_approval_facts, used_loan), TEXT(kc_approval_facts, manager), TEXT(kc_approval_facts, method),
	     TEXT(kc_approval_facts, asker)),
};
static const struct row_spec id_loan_spec = {
	"SELECT l.state, l.key, coalesce(i.released_ms, 0) FROM ids_held i JOIN loans l ON l.id = i.loan"
	" WHERE i.loan = ?", false,
	COLS(TEXT(kc_id_loan_facts, state), TEXT(kc_id_loan_facts, key), INT(kc_id_loan_facts, released_ms)),
};
/* An alarm as stored; kc_alarm_get gives its type as a word. */
struct alarm_row {
	char type[24], key[64];
	int64_t cleared_ms;
};
static const struct row_spec alarm_spec = {
	"SELECT type, coalesce(key, ''), coalesce(cleared_ms, 0) FROM alarms WHERE id = ?", false,
	COLS(TEXT(alarm_row, type), TEXT(alarm_row, key), INT(alarm_row, cleared_ms)),
};

/* The row spec names for text or id into out (size bytes, cleared first):
 * 0 (*found false: no row) or -EIO. */
static int one(struct kc_db *db, const struct row_spec *spec, const char *text, int64_t id, void *out,
	       size_t size, bool *found)
{
	sqlite3_stmt *s = spec->by_text ? kc_db_q(db, spec->sql, "s", text) : kc_db_q(db, spec->sql, "I", id);
	int r;

	memset(out, 0, size);
	r = kc_row_cols(s, spec->cols, spec->ncols, out);
	*found = r == 0;
	return r == -ENOENT ? 0 : r;
}

int kc_entrustment_open(struct kc_db *db, const char *key, struct kc_entrustment_facts *out)
{
	return one(db, &entrustment_spec, key, 0, out, sizeof(*out), &out->found);
}

int kc_letter_get(struct kc_db *db, int64_t id, struct kc_letter_facts *out)
{
	return one(db, &letter_spec, NULL, id, out, sizeof(*out), &out->found);
}

int kc_approval_issued(struct kc_db *db, int64_t id, struct kc_approval_facts *out)
{
	return one(db, &approval_spec, NULL, id, out, sizeof(*out), &out->found);
}

int kc_id_loan_get(struct kc_db *db, int64_t loan, struct kc_id_loan_facts *out)
{
	return one(db, &id_loan_spec, NULL, loan, out, sizeof(*out), &out->found);
}

int kc_alarm_get(struct kc_store *st, int64_t id, struct kc_alarm_facts *out)
{
	struct alarm_row row;
	int r = one(kc_store_kdb(st), &alarm_spec, NULL, id, &row, sizeof(row), &out->found);

	if (r < 0)
		return r;
	out->type = kc_alarm_type_from_string(row.type);
	kc_strlcpy(out->key, row.key, sizeof(out->key));
	out->cleared_ms = row.cleared_ms;
	return 0;
}
