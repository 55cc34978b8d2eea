#include "controller/keys.h"

#include <errno.h>
#include <string.h>

#include "common/db.h"
#include "common/util.h"
#include "controller/row.h"

/* A key's row as the table holds it: its words read as their values. */
struct key_row {
	struct kc_key_info k;
	int64_t tag;
};
#define K struct key_row
static const struct kc_row_col key_cols[] = {
	KC_ROW_TEXT(K, k.code),
	KC_ROW_TEXT(K, k.unit),
	KC_ROW_TEXT(K, k.site),
	KC_ROW_WORD(K, k.kind, kc_key_kind, KC_KIND_MAX),
	KC_ROW_TEXT(K, k.home_slot),
	KC_ROW_TEXT(K, k.slot),
	KC_ROW_WORD(K, k.state, kc_key_state, KC_KEY_STATE_MAX),
	KC_ROW_INT(K, tag),
};
#undef K

int kc_key_read(struct kc_db *db, const char *code, struct kc_key_info *out)
{
	struct key_row row;
	int r;

	if (!code)
		return -ENOENT;
	memset(&row, 0, sizeof(row));
	r = kc_row_cols(kc_db_q(db,
				"SELECT k.code, k.unit, u.site, k.kind, k.home_slot, k.slot, k.state, k.tag"
				" FROM keys k JOIN units u ON u.code = k.unit WHERE k.code = ?",
				"s", code),
			key_cols, KC_ARRAY_SIZE(key_cols), &row);
	if (r < 0)
		return r;
	*out = row.k;
	out->tag = (uint32_t)row.tag;
	return 0;
}

int kc_key_get(struct kc_store *st, const char *code, struct kc_key_info *out)
{
	return kc_key_read(kc_store_kdb(st), code, out);
}

void kc_key_event_members(json_t *ev, const struct kc_key_info *k, const char *slot)
{
	json_t *m;

	if (k && k->code[0]) {
		m = json_pack("{s:s, s:s?, s:s, s:s}", "key", k->code, "kind", kc_key_kind_to_string(k->kind),
			      "unit", k->unit, "site", k->site);
		json_object_update(ev, m);
		json_decref(m);
	}
	if (slot)
		json_object_set_new(ev, "slot", json_string(slot));
}
