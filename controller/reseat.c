/* A re-seat (rule 9): a key sits in a slot that is not its home (a
 * wrong-slot alarm); staff have that slot opened so the key can be moved
 * home. The decision is kc_rules_reseat; the window is windows.c's; what
 * the slot then says (lifted with no tamper alarm, read at home: the
 * wrong-slot alarm cleared) is hwevents.c's. */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "controller/ctl.h"
#include "controller/hwevents.h"
#include "controller/hwlink.h"
#include "controller/reply.h"
#include "controller/request.h"
#include "controller/row.h"
#include "controller/keys.h"
#include "controller/custody.h"
#include "controller/rules.h"
#include "controller/windows.h"

/* The key a request names: "key", or the key of the open wrong-slot
 * alarm "alarm". 0 with key set, -ENOENT with the refusal in *rep, -EIO. */
static int named_key(struct kc_ctl *ctl, json_t *req, char *key, size_t len, int64_t *alarm,
		     json_t **rep)
{
	struct kc_alarm_facts a;
	struct kc_decision d;

	*alarm = 0;
	if (kc_req_str(req, "key")) {
		kc_strlcpy(key, kc_req_str(req, "key"), len);
		return 0;
	}
	if (!json_is_integer(json_object_get(req, "alarm"))) {
		*rep = kc_reply_fail(KCM_reseat_needs_key_or_alarm, NULL);
		return -ENOENT;
	}
	*alarm = kc_req_int(req, "alarm");
	if (kc_alarm_get(ctl->st, *alarm, &a) < 0)
		return -EIO;
	kc_decision_init(&d);
	kc_rules_reseat_alarm(*alarm, &a, &d);
	if (!d.granted) {
		*rep = kc_reply_take(&d);
		return -ENOENT;
	}
	kc_decision_clear(&d);
	kc_strlcpy(key, a.key, len);
	return 0;
}

/* Whether slot reads a key other than code: by the database, or, with
 * hardware, by its sensor. -EIO on a read error. */
static int slot_taken(struct kc_ctl *ctl, const char *slot, const char *code)
{
	int64_t n;

	if (kc_store_int(ctl->st, &n,
			 "SELECT count(*) FROM keys WHERE slot = ? AND code != ?"
			 " AND state IN ('in', 'releasing')",
			 "ss", slot, code) < 0)
		return -EIO;
	if (n > 0)
		return 1;
	return kc_hwlink_slot_present(ctl->hw, slot);
}

json_t *kc_desk_reseat(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req)
{
	char key[64] = "", err[200];
	struct kc_key_info k;
	struct kc_decision d;
	int64_t alarm = 0, open_alarm = 0;
	json_t *rep = NULL, *ev, *data;
	int r, home_taken = 0;

	r = named_key(ctl, req, key, sizeof(key), &alarm, &rep);
	if (r == -EIO)
		return kc_reply_read_failed(ctl->st);
	if (r < 0)
		return rep;
	r = kc_key_get(ctl->st, key, &k);
	if (r < 0 && r != -ENOENT)
		return kc_reply_read_failed(ctl->st);
	if (r == 0 && (home_taken = slot_taken(ctl, k.home_slot, k.code)) < 0)
		return kc_reply_read_failed(ctl->st);
	kc_decision_init(&d);
	kc_rules_reseat(peer->person[0] ? peer->person : NULL, peer->role, key, r == 0 ? &k : NULL,
			home_taken == 1, ctl->nwindows, &d);
	if (d.granted)
		kc_windows_usable(ctl, KC_SLOT_FOR_RESEAT, k.code, k.slot, &d);
	if (!d.granted) {
		rep = kc_reply_decision(&d);
		kc_decision_clear(&d);
		return rep;
	}
	kc_decision_clear(&d);
	if (!alarm && kc_store_int(ctl->st, &open_alarm,
				   "SELECT id FROM alarms WHERE type = ? AND key = ?"
				   " AND cleared_ms IS NULL ORDER BY id LIMIT 1",
				   "ss", kc_alarm_type_to_string(KC_ALARM_WRONG_SLOT), k.code) == -EIO)
		return kc_reply_read_failed(ctl->st);
	if (alarm)
		open_alarm = alarm;
	/* Recorded before the slot opens: no slot opens for something the
	 * database does not know. */
	if (kc_store_begin(ctl->st) < 0)
		return kc_reply_fail(KCM_db_busy, NULL);
	ev = kc_store_event(ctl->st, KC_EVT_KEY_RESEATED);
	kc_json_str(ev, "actor", peer->person);
	kc_key_event_members(ev, &k, k.slot);
	data = json_object_get(ev, "data");
	json_object_set_new(data, "home_slot", json_string(k.home_slot));
	json_object_set_new(data, "alarm", open_alarm ? json_integer(open_alarm) : json_null());
	json_object_set_new(data, "window_ms", json_integer(ctl->conf->release_window_ms));
	if (kc_store_append(ctl->st, ev) < 0 || kc_store_commit(ctl->st) < 0)
		return kc_reply_write_failed(kc_store_abort(ctl->st));
	r = kc_windows_open_reseat(ctl, k.code, k.slot, err, sizeof(err));
	if (r < 0) {
		kc_err("re-seat of key %s: %s", k.code, err);
		kc_decision_init(&d);
		kc_rules_slot_not_opened(KC_SLOT_FOR_RESEAT, k.code, k.slot, r, &d);
		return kc_reply_take(&d);
	}
	kc_notice("re-seat of key %s by %s: slot %s open, its home is %s", k.code, peer->person,
		  k.slot, k.home_slot);
	rep = kc_reply_ok();
	json_object_set_new(rep, "key", json_string(k.code));
	json_object_set_new(rep, "slot", json_string(k.slot));
	json_object_set_new(rep, "home_slot", json_string(k.home_slot));
	json_object_set_new(rep, "alarm", open_alarm ? json_integer(open_alarm) : json_null());
	json_object_set_new(rep, "window_ms", json_integer(ctl->conf->release_window_ms));
	return rep;
}
