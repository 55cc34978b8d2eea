/* The timed scans: release windows that closed, overdue loans (rule 9),
 * entrustment notices (rule 7), and the audit link's alarm. */
#include "controller/scans.h"

#include <string.h>

#include "common/log.h"
#include "common/util.h"
#include "controller/phones.h"
#include "controller/backlog.h"
#include "controller/estate.h"
#include "controller/outbox_ops.h"
#include "controller/hwevents.h"
#include "controller/hwread.h"
#include "controller/intake.h"
#include "controller/keys.h"
#include "controller/rules.h"
#include "controller/windows.h"
#include "controller/row.h"

static void scan_overdue(struct kc_ctl *ctl)
{
	int64_t now = kc_now_ms(), ids[64];
	int n = 0;
	sqlite3_stmt *s = kc_store_q(ctl->st,
				     "SELECT id FROM loans WHERE state = 'out' AND due_ms IS NOT NULL"
				     " AND due_ms < ? AND overdue = 0 LIMIT 64",
				     "I", now);

	if (!s)
		return;
	while (n < 64 && sqlite3_step(s) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	for (int i = 0; i < n; i++) {
		struct kc_key_info k;
		struct kc_loan_row l;
		char key[64] = "", due[32];
		json_t *ev, *d;

		s = kc_store_q(ctl->st, "SELECT key FROM loans WHERE id = ?", "I", ids[i]);
		if (kc_row_step(s) == 0)
			kc_row_text(s, 0, key, sizeof(key));
		kc_row_done(s);
		if (kc_key_get(ctl->st, key, &k) < 0 || kc_hwevents_active_loan(ctl, key, &l) < 0)
			continue;
		if (kc_store_begin(ctl->st) < 0)
			return;
		kc_local_format(l.due_ms, KC_DAY_LAST, due, sizeof(due));
		if (kc_store_x(ctl->st, "UPDATE loans SET overdue = 1 WHERE id = ?", "I", l.id) < 0)
			goto fail;
		ev = kc_store_event(ctl->st, KC_EVT_LOAN_OVERDUE);
		kc_key_event_members(ev, &k, NULL);
		kc_json_str(ev, "person", l.borrower);
		d = json_object_get(ev, "data");
		json_object_set_new(d, "loan", json_integer(l.id));
		json_object_set_new(d, "purpose", json_string(KC_WORD(kc_purpose, l.purpose)));
		kc_json_time(d, "due", l.due_ms);
		if (kc_store_append(ctl->st, ev) < 0 ||
		    kc_hwevents_alarm(ctl, KC_ALARM_OVERDUE, &k, NULL, l.id, l.borrower,
				      kc_msg_new(KCM_alarm_overdue, "{s:s, s:I, s:s, s:s}", "key", k.code,
						 "loan", (json_int_t)l.id, "borrower", l.borrower, "due", due)) < 0)
			goto fail;
		kc_store_commit(ctl->st);
		continue;
fail:
		kc_store_rollback(ctl->st);
		return;
	}
}

/* Rule 7: before the end (lead time), on the end date, then reminders
 * until the owner collects. One notice per scan and entrustment at most. */
static void scan_notices(struct kc_ctl *ctl)
{
	const struct kc_ctl_conf *c = ctl->conf;
	int64_t now = kc_now_ms();
	/* the end date's notice may come up to a (long) local day early; a
	 * site's lead the office set may be longer than [notice]'s */
	int64_t lead = c->notice_lead_ms, ahead;
	struct {
		int64_t id, end_ms, last_ms;
		int has_before, has_end;
		char site[64];
	} due[64];
	int n = 0;
	sqlite3_stmt *s;

	if (kc_store_int(ctl->st, &ahead, "SELECT max(json_extract(body, '$.notice_lead_s')) * 1000 FROM site_settings",
			 "") == 0 &&
	    ahead > lead)
		lead = ahead;
	ahead = lead > 2 * 86400000LL ? lead : 2 * 86400000LL;
	s = kc_store_q(
		ctl->st,
		"SELECT e.id, e.end_ms,"
		" (SELECT max(at_ms) FROM notices n WHERE n.entrustment = e.id),"
		" EXISTS (SELECT 1 FROM notices n WHERE n.entrustment = e.id AND n.stage = 'before_end'),"
		" EXISTS (SELECT 1 FROM notices n WHERE n.entrustment = e.id AND n.stage = 'end'),"
		" (SELECT u.site FROM keys k JOIN units u ON u.code = k.unit WHERE k.code = e.key)"
		" FROM entrustments e WHERE e.state = 'open' AND e.end_ms - ? <= ? LIMIT 64",
		"II", ahead, now);

	if (!s)
		return;
	while (n < 64 && sqlite3_step(s) == SQLITE_ROW) {
		due[n].id = sqlite3_column_int64(s, 0);
		due[n].end_ms = sqlite3_column_int64(s, 1);
		due[n].last_ms = sqlite3_column_int64(s, 2);
		due[n].has_before = sqlite3_column_int(s, 3);
		due[n].has_end = sqlite3_column_int(s, 4);
		kc_row_text(s, 5, due[n].site, sizeof(due[n].site));
		n++;
	}
	sqlite3_reset(s);
	for (int i = 0; i < n; i++) {
		const char *stage;
		char key[64] = "", owner[64] = "", name[128] = "", phone[64] = "";
		struct kc_key_info k;
		json_t *ev, *d;
		int64_t nid;

		int64_t reminder;

		kc_estate_notice_times(ctl, due[i].site, &lead, &reminder);
		stage = kc_rules_notice_stage(lead, reminder, now,
					      due[i].end_ms, due[i].last_ms, due[i].has_before,
					      due[i].has_end);
		if (!stage)
			continue;
		s = kc_store_q(ctl->st,
			       "SELECT e.key, o.code, o.name, o.phone FROM entrustments e"
			       " JOIN owners o ON o.code = e.owner WHERE e.id = ?",
			       "I", due[i].id);
		if (kc_row_step(s) == 0) {
			kc_row_text(s, 0, key, sizeof(key));
			kc_row_text(s, 1, owner, sizeof(owner));
			kc_row_text(s, 2, name, sizeof(name));
			kc_row_text(s, 3, phone, sizeof(phone));
		}
		kc_row_done(s);
		if (kc_key_get(ctl->st, key, &k) < 0 || kc_store_begin(ctl->st) < 0)
			continue;
		if (kc_store_x(ctl->st, "INSERT INTO notices (entrustment, stage, at_ms) VALUES (?,?,?)",
			       "IsI", due[i].id, stage, now) < 0) {
			kc_store_rollback(ctl->st);
			continue;
		}
		nid = kc_store_last_id(ctl->st);
		ev = kc_store_event(ctl->st, KC_EVT_NOTICE_DUE);
		kc_key_event_members(ev, &k, NULL);
		kc_json_str(ev, "person", owner);
		d = json_object_get(ev, "data");
		json_object_set_new(d, "notice", json_integer(nid));
		json_object_set_new(d, "entrustment", json_integer(due[i].id));
		json_object_set_new(d, "stage", json_string(stage));
		kc_json_time(d, "end", due[i].end_ms);
		json_object_set_new(d, "owner_name", json_string(name));
		if (kc_phone_facts(ctl->conf, d, "owner_phone", phone) < 0) {
			json_decref(ev);
			ev = NULL;
		}
		if (!ev || kc_store_append(ctl->st, ev) < 0) {
			kc_store_rollback(ctl->st);
			continue;
		}
		kc_store_commit(ctl->st);
	}
}

/* The audit link's alarm: raised when the service refuses the events
 * (stuck), cleared when it takes them again. Inside a transaction. */
static int link_alarm(struct kc_ctl *ctl, const struct kc_forward_status *fs)
{
	int64_t id;

	if (fs->state == KC_LINK_STUCK)
		return kc_hwevents_alarm(ctl, KC_ALARM_AUDIT_LINK, NULL, NULL, 0, NULL,
					 kc_msg_new(KCM_alarm_audit_link, "{s:s, s:s, s:I}", "reason", fs->reason,
						    "error", fs->last_error, "pending", (json_int_t)fs->pending));
	if (kc_store_int(ctl->st, &id, "SELECT id FROM alarms WHERE type = ? AND cleared_ms IS NULL", "s",
			 kc_alarm_type_to_string(KC_ALARM_AUDIT_LINK)) < 0)
		return 0;
	return kc_hwevents_alarm_clear(ctl, id, KC_ALARM_AUDIT_LINK, NULL, NULL, "recovered",
				       "the audit service takes the events again");
}

/* A finding of the service behind (an older backup at the office), or
 * its end: one log line each, and news for the terminals (a push of the
 * link, however short the re-send was). */
static void audit_link_behind(struct kc_ctl *ctl, const struct kc_forward_status *fs)
{
	const struct kc_forward_behind *b = &fs->behind;

	if (b->behind_ms == ctl->link_behind_seen[0] && b->caught_up_ms == ctl->link_behind_seen[1])
		return;
	if (b->behind_ms != ctl->link_behind_seen[0] && !b->lost_to)
		kc_warn("audit link: the office is behind: the service holds events up to %lld of %lld acknowledged"
			" (restored from an older backup?); sending %lld..%lld again",
			(long long)b->service_seq, (long long)b->to, (long long)b->from, (long long)b->to);
	if (b->caught_up_ms && b->caught_up_ms != ctl->link_behind_seen[1] && !b->lost_to)
		kc_notice("audit link: the office holds events %lld..%lld again", (long long)b->from, (long long)b->to);
	else if (b->caught_up_ms && b->caught_up_ms != ctl->link_behind_seen[1])
		kc_warn("audit link: the office goes on without events %lld..%lld, which were no longer kept here",
			(long long)b->from, (long long)b->lost_to);
	ctl->link_behind_seen[0] = b->behind_ms;
	ctl->link_behind_seen[1] = b->caught_up_ms;
	ctl->link_pushed = -1;
}

/* Acts on a change of the link's state (keycab-forward's report, or its
 * silence): one log line when the link fails and one when it is back
 * (not one a retry), and the alarm. */
static void audit_link(struct kc_ctl *ctl)
{
	struct kc_forward_status fs;

	if (!kc_outbox_ops_link(ctl, &fs))
		return;
	if (fs.state == KC_LINK_ONLINE && fs.service_seq < 0)
		return; /* no answer yet */
	audit_link_behind(ctl, &fs);
	if (ctl->link_seen == (int)fs.state && strcmp(ctl->link_reason, fs.reason) == 0)
		return;
	if (fs.state == KC_LINK_ONLINE && ctl->link_seen > (int)KC_LINK_ONLINE)
		kc_notice("audit link back online: the service acknowledges up to event %lld, %lld waiting",
			  (long long)fs.last_acked_seq, (long long)fs.pending);
	else if (fs.state != KC_LINK_ONLINE)
		kc_warn("audit link %s (%s): %s; %lld events wait in the outbox", kc_forward_state_name(fs.state),
			fs.reason, fs.last_error, (long long)fs.pending);
	if (fs.state == KC_LINK_STUCK || (fs.state == KC_LINK_ONLINE && ctl->link_seen != (int)KC_LINK_ONLINE)) {
		if (kc_store_begin(ctl->st) < 0)
			return;
		if (link_alarm(ctl, &fs) < 0) {
			kc_store_rollback(ctl->st);
			return;
		}
		kc_store_commit(ctl->st);
	}
	ctl->link_seen = (int)fs.state;
	kc_strlcpy(ctl->link_reason, fs.reason, sizeof(ctl->link_reason));
}

int64_t kc_scans_tick(struct kc_ctl *ctl)
{
	int64_t now = kc_mono_ms(), next = 1000;

	struct kc_window w;

	while (kc_windows_take_due(ctl, now, &w, &next)) {
		if (w.intake) /* the wait for the new key goes on (intake.c) */
			continue;
		if (w.reseat) /* the key stayed in the wrong slot; its alarm stays */
			kc_notice("re-seat of key %s: slot %s relocked with the key still in", w.key,
				  w.slot);
		else
			kc_hwread_window_end(ctl, &w);
	}
	/* the slots opened for new keys whose wait ended (not while changes
	 * wait for the disk) */
	if (kc_backlog_pending(ctl) == 0) {
		int64_t wait = kc_intake_tick(ctl);

		if (wait < next)
			next = wait;
	}
	if (now >= ctl->next_scan_mono) {
		/* not while changes wait for the disk: the database is behind
		 * the slots (a key back in its slot is not overdue) */
		if (kc_backlog_pending(ctl) == 0) {
			scan_overdue(ctl);
			scan_notices(ctl);
		}
		ctl->next_scan_mono = now + ctl->conf->scan_interval_ms;
	}
	audit_link(ctl);
	if (ctl->next_scan_mono - now < next)
		next = ctl->next_scan_mono - now;
	return next < 10 ? 10 : next;
}
