#include "controller/people.h"

#include <errno.h>
#include <string.h>

#include "controller/row.h"

int kc_person_facts_get(struct kc_store *st, const char *code, struct kc_person_facts *out)
{
	sqlite3_stmt *s;
	int r;

	memset(out, 0, sizeof(*out));
	if (!code)
		return 0;
	s = kc_store_q(st, "SELECT role, enrolled_by, enrolled_ms FROM people WHERE code = ?", "s", code);
	r = kc_row_step(s);
	if (r == 0) {
		out->found = true;
		kc_row_text(s, 0, out->role, sizeof(out->role));
		out->enrolled_by_admin = sqlite3_column_type(s, 1) == SQLITE_NULL;
		kc_row_text(s, 1, out->enrolled_by, sizeof(out->enrolled_by));
		out->enrolled_ms = sqlite3_column_int64(s, 2);
	}
	kc_row_done(s);
	return r == -ENOENT ? 0 : r;
}

int kc_person_first_session(struct kc_store *st, const char *person, int64_t *ms)
{
	*ms = 0;
	return kc_store_int(st, ms, "SELECT coalesce(min(created_ms), 0) FROM sessions WHERE person = ?",
			    "s", person) < 0 ? -EIO : 0;
}
