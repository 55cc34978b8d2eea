/* The office's changes to keys: key.set (a new key, awaited until its
 * slot reads it; a key changed; a key moved to a new home slot, awaited
 * there) and key.remove. */
#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "controller/estate.h"
#include "controller/hwevents.h"
#include "controller/hwlink.h"
#include "controller/keys.h"
#include "controller/registry.h"
#include "controller/row.h"
#include "controller/rules_estate.h"

/* The first column of s's row as text into out ("": no row), s reset.
 * 0 or -EIO. */
static int text_col(sqlite3_stmt *s, char *out, size_t len)
{
	int r = kc_row_step(s);

	out[0] = '\0';
	if (r == 0)
		kc_row_text(s, 0, out, len);
	kc_row_done(s);
	return r == -EIO ? -EIO : 0;
}

/* The tag member: 0 to 0xffffffff, absent 0; -1 otherwise. */
static int64_t tag_of(json_t *data)
{
	json_t *t = json_object_get(data, "tag");

	if (!t)
		return 0;
	if (!json_is_integer(t) || json_integer_value(t) < 0 || json_integer_value(t) > 0xffffffffLL)
		return -1;
	return json_integer_value(t);
}

/* Key k gets a new home slot (and kind, unit, tag): it is awaited there.
 * A key in its slot stays recorded where it sits (slot) until it leaves
 * it: taken out (with a re-seat of that slot, or by hand) it raises no
 * alarm, and its new home reading it puts it in custody again. A key
 * already in its new home stays in. 0 or -EIO. */
static int moved(struct kc_ctl *ctl, const struct kc_key_info *k, const char *home, const char *kind,
		 const char *unit, int64_t tag, json_t *extra)
{
	bool home_now = k->state == KC_KEY_IN && strcmp(k->slot, home) == 0;

	json_object_set_new(extra, "moved_from", json_string(k->home_slot));
	json_object_set_new(extra, "state", json_string(home_now ? "in" : "awaiting"));
	if (k->slot[0])
		json_object_set_new(extra, "slot_now", json_string(k->slot));
	return kc_store_x(ctl->st,
			  "UPDATE keys SET unit = ?, kind = ?, tag = ?, home_slot = ?,"
			  " state = CASE WHEN ? THEN state ELSE 'awaiting' END WHERE code = ?",
			  "ssIsis", unit, kind, tag, home, home_now, k->code) < 0
		       ? -EIO
		       : 0;
}

int kc_estate_key_set(struct kc_ctl *ctl, const struct kc_estate_change *c, json_t *members, json_t *extra,
		      struct kc_decision *d)
{
	const char *key = kc_estate_str(c, "key"), *unit = kc_estate_str(c, "unit"), *kind = kc_estate_str(c, "kind"), *slot = kc_estate_str(c, "slot");
	char site[64], home_of[64], tag_holder[64];
	struct kc_estate_key_facts f = { .key = key, .unit = unit, .kind = kind, .slot = slot,
					 .tag = tag_of(c->data), .slot_home_of = home_of, .tag_of = tag_holder };
	struct kc_key_info k;
	bool present;
	int r;

	kc_json_str(members, "key", key);
	if (!key || !*key || strlen(key) > 63)
		return kc_decision_refuse(d, 0, KCM_estate_bad_value, "{s:s}", "field", "key"), 1;
	if (!slot || !*slot)
		return kc_decision_refuse(d, 0, KCM_estate_bad_value, "{s:s}", "field", "slot"), 1;
	r = kc_key_get(ctl->st, key, &k);
	if (r == -EIO)
		return -EIO;
	f.key_found = r == 0;
	f.state = f.key_found ? k.state : KC_KEY_AWAITING;
	f.moving = f.key_found && strcmp(k.home_slot, slot) != 0;
	if (text_col(kc_store_q(ctl->st, "SELECT site FROM units WHERE code = ?", "s", unit ? unit : ""), site,
		     sizeof(site)) < 0 ||
	    text_col(kc_store_q(ctl->st, "SELECT code FROM keys WHERE home_slot = ? AND code != ?", "ss", slot, key),
		     home_of, sizeof(home_of)) < 0 ||
	    text_col(kc_store_q(ctl->st, "SELECT code FROM keys WHERE tag = ? AND tag != 0 AND code != ?", "Is",
				f.tag, key),
		     tag_holder, sizeof(tag_holder)) < 0)
		return -EIO;
	f.unit_found = site[0] != '\0';
	f.slot_in_file = !ctl->hw || kc_hwlink_slot_find(ctl->hw, slot) >= 0;
	if (!kc_rules_estate_key_set(&f, d))
		return 1;
	kc_json_str(members, "kind", kind);
	kc_json_str(members, "unit", unit);
	kc_json_str(members, "site", site);
	kc_json_str(members, "slot", slot);
	if (f.key_found && !f.moving) {
		json_object_set_new(extra, "state", json_string(KC_WORD(kc_key_state, k.state)));
		return kc_store_x(ctl->st, "UPDATE keys SET unit = ?, kind = ?, tag = ? WHERE code = ?", "ssIs", unit,
				  kind, f.tag, key) < 0
			       ? -EIO
			       : 0;
	}
	if (f.moving)
		return moved(ctl, &k, slot, kind, unit, f.tag, extra);
	/* new: awaited in its home slot unless it reads the key now */
	present = kc_registry_slot_holds(ctl, slot, (uint32_t)f.tag);
	json_object_set_new(extra, "state", json_string(present ? "in" : "awaiting"));
	if (kc_store_x(ctl->st,
		       "INSERT INTO keys (code, unit, kind, home_slot, tag, state, slot) VALUES (?,?,?,?,?,?,?)",
		       "ssssIss", key, unit, kind, slot, f.tag, present ? "in" : "awaiting", present ? slot : NULL) < 0)
		return -EIO;
	/* put in before it was registered: the slot reading it is read again */
	return ctl->hw ? kc_hwevents_key_registered(ctl, slot, (uint32_t)f.tag) : 0;
}

int kc_estate_key_remove(struct kc_ctl *ctl, const struct kc_estate_change *c, json_t *members, json_t *extra,
			 struct kc_decision *d)
{
	const char *key = kc_estate_str(c, "key");
	struct kc_estate_key_remove_facts f = { .key = key };
	struct kc_key_info k;
	int r;

	kc_json_str(members, "key", key);
	r = kc_key_get(ctl->st, key, &k);
	if (r == -EIO)
		return -EIO;
	f.key_found = r == 0;
	f.state = k.state;
	if (f.key_found &&
	    (r = kc_store_int(ctl->st, &f.entrustment, "SELECT id FROM entrustments WHERE key = ? AND state = 'open'",
			      "s", key)) < 0 &&
	    r != -ENOENT)
		return -EIO;
	if (!kc_rules_estate_key_remove(&f, d))
		return 1;
	kc_key_event_members(members, &k, k.home_slot);
	json_object_set_new(extra, "state", json_string(KC_WORD(kc_key_state, k.state)));
	/* a key with a history keeps its row for it, out of custody
	 * (collected), its slot and tag free */
	r = kc_store_x(ctl->st, "DELETE FROM keys WHERE code = ?", "s", key);
	if (r == -EEXIST)
		r = kc_store_x(ctl->st,
			       "UPDATE keys SET state = 'collected', slot = NULL, tag = 0,"
			       " home_slot = 'removed:' || code WHERE code = ?",
			       "s", key);
	return r < 0 ? -EIO : 0;
}
