#include "controller/keys.h"

#include <errno.h>
#include <string.h>

#include "controller/row.h"

int kc_key_get(struct kc_store *st, const char *code, struct kc_key_info *out)
{
	sqlite3_stmt *s;
	int r;

	if (!code)
		return -ENOENT;
	s = kc_store_q(st,
		       "SELECT k.code, k.unit, u.site, k.kind, k.home_slot, k.slot, k.state, k.tag"
		       " FROM keys k JOIN units u ON u.code = k.unit WHERE k.code = ?",
		       "s", code);
	r = kc_row_step(s);
	if (r == 0) {
		memset(out, 0, sizeof(*out));
		kc_row_text(s, 0, out->code, sizeof(out->code));
		kc_row_text(s, 1, out->unit, sizeof(out->unit));
		kc_row_text(s, 2, out->site, sizeof(out->site));
		kc_row_text(s, 3, out->kind, sizeof(out->kind));
		kc_row_text(s, 4, out->home_slot, sizeof(out->home_slot));
		kc_row_text(s, 5, out->slot, sizeof(out->slot));
		kc_row_text(s, 6, out->state, sizeof(out->state));
		out->tag = (uint32_t)sqlite3_column_int64(s, 7);
	}
	kc_row_done(s);
	return r;
}
