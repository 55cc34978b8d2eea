#include "controller/people.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "common/db.h"
#include "common/pdata.h"
#include "common/util.h"

#include "controller/row.h"

/* A person's row as the decisions read it. */
struct person_row {
	enum kc_role role;
	int64_t by_admin;
	char enrolled_by[64];
	int64_t enrolled_ms;
};
#define P struct person_row
static const struct kc_row_col person_cols[] = {
	KC_ROW_WORD(P, role, kc_role, KC_ROLE_MAX),
	KC_ROW_INT(P, by_admin),
	KC_ROW_TEXT(P, enrolled_by),
	KC_ROW_INT(P, enrolled_ms),
};
#undef P

int kc_person_facts_get(struct kc_db *db, const char *code, struct kc_person_facts *out)
{
	struct person_row row = { 0 };
	int r;

	memset(out, 0, sizeof(*out));
	if (!code)
		return 0;
	r = kc_row_cols(kc_db_q(db,
				"SELECT role, enrolled_by IS NULL, enrolled_by, enrolled_ms FROM people WHERE code = ?",
				"s", code),
			person_cols, KC_ARRAY_SIZE(person_cols), &row);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	out->found = true;
	out->role = row.role;
	out->enrolled_by_admin = row.by_admin != 0;
	kc_strlcpy(out->enrolled_by, row.enrolled_by, sizeof(out->enrolled_by));
	out->enrolled_ms = row.enrolled_ms;
	return 0;
}

int kc_person_first_session(struct kc_db *db, const char *person, int64_t *ms)
{
	*ms = 0;
	return kc_db_int(db, ms, "SELECT coalesce(min(created_ms), 0) FROM sessions WHERE person = ?",
			 "s", person) < 0 ? -EIO : 0;
}

int kc_person_card_rekey(struct kc_store *st, const char *card, const char *card_hash)
{
	char plain[65];
	int r;

	kc_token_hash(card, plain);
	r = kc_store_x(st, "UPDATE people SET card_hash = ? WHERE card_hash = ?", "ss", card_hash,
		       plain);
	sodium_memzero(plain, sizeof(plain));
	return r == -EEXIST ? 0 : r;
}
