#include "controller/keys.h"

#include <errno.h>
#include <string.h>

#include "controller/row.h"

static void read_key(sqlite3_stmt *s, void *out)
{
	struct kc_key_info *k = out;
	char kind[16], state[16];

	memset(k, 0, sizeof(*k));
	kc_row_text(s, 0, k->code, sizeof(k->code));
	kc_row_text(s, 1, k->unit, sizeof(k->unit));
	kc_row_text(s, 2, k->site, sizeof(k->site));
	kc_row_text(s, 3, kind, sizeof(kind));
	k->kind = kc_key_kind_from_string(kind);
	kc_row_text(s, 4, k->home_slot, sizeof(k->home_slot));
	kc_row_text(s, 5, k->slot, sizeof(k->slot));
	kc_row_text(s, 6, state, sizeof(state));
	k->state = kc_key_state_from_string(state);
	k->tag = (uint32_t)sqlite3_column_int64(s, 7);
}

int kc_key_get(struct kc_store *st, const char *code, struct kc_key_info *out)
{
	if (!code)
		return -ENOENT;
	return kc_row_one(kc_store_q(st,
				     "SELECT k.code, k.unit, u.site, k.kind, k.home_slot, k.slot, k.state, k.tag"
				     " FROM keys k JOIN units u ON u.code = k.unit WHERE k.code = ?",
				     "s", code),
			  read_key, out);
}
