#include "controller/people.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "common/pdata.h"

#include "controller/row.h"

static void read_person(sqlite3_stmt *s, void *out)
{
	struct kc_person_facts *p = out;

	p->found = true;
	p->role = kc_role_from_string((const char *)sqlite3_column_text(s, 0));
	p->enrolled_by_admin = sqlite3_column_type(s, 1) == SQLITE_NULL;
	kc_row_text(s, 1, p->enrolled_by, sizeof(p->enrolled_by));
	p->enrolled_ms = sqlite3_column_int64(s, 2);
}

int kc_person_facts_get(struct kc_store *st, const char *code, struct kc_person_facts *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (!code)
		return 0;
	r = kc_row_one(kc_store_q(st, "SELECT role, enrolled_by, enrolled_ms FROM people WHERE code = ?", "s",
				  code),
		       read_person, out);
	return r == -ENOENT ? 0 : r;
}

int kc_person_first_session(struct kc_store *st, const char *person, int64_t *ms)
{
	*ms = 0;
	return kc_store_int(st, ms, "SELECT coalesce(min(created_ms), 0) FROM sessions WHERE person = ?",
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
