#include "service/cabinet_watch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "service/notice_facts.h"
#include "service/notice_add.h"
#include "service/office.h"

/* The notice of an offline alarm (its id) raised or cleared at now_ms:
 * since when the cabinet was silent, and for how many minutes. */
static int link_notice(struct kc_db *db, const struct kc_audit_config *cfg, enum kc_notice_kind kind,
		       const char *cabinet, int64_t alarm, int64_t since_ms, int64_t now_ms)
{
	json_t *f = kc_notice_cabinet_fields(db, cabinet, now_ms);
	char since[32], minutes[24];
	int r;

	if (!f)
		return -ENOMEM;
	kc_notice_cabinet_time(db, cabinet, since_ms, since, sizeof(since));
	snprintf(minutes, sizeof(minutes), "%lld", (long long)((now_ms - since_ms) / 60000));
	json_object_set_new(f, "since", json_string(since));
	json_object_set_new(f, "minutes", json_string(minutes));
	/* the alarm's negative id keeps it apart from the cabinet's events */
	r = kc_notice_add(db, cfg, kind, cabinet, -alarm,
			  kind == KC_NOTICE_CABINET_OFFLINE ? "cabinet.offline" : "cabinet.online", f, now_ms);
	json_decref(f);
	return r;
}

int kc_cabinet_contact(struct kc_db *db, const struct kc_audit_config *cfg, const char *cabinet, int64_t now_ms)
{
	int64_t alarm = 0, since = 0;
	sqlite3_stmt *st;
	int rc;

	if (kc_db_x(db, "UPDATE cabinets SET last_contact_ms = ? WHERE id = ?", "Is", now_ms, cabinet) < 0)
		return -EIO;
	st = kc_db_stmt(db, "SELECT id, since_ms FROM ingest_alarms WHERE cabinet = ? AND kind = 'offline'"
			    " AND cleared_ms IS NULL");
	if (!st)
		return -EIO;
	kc_bind_text(st, 1, cabinet);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		alarm = sqlite3_column_int64(st, 0);
		since = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : -EIO;
	if (kc_db_x(db, "UPDATE ingest_alarms SET cleared_ms = ? WHERE id = ?", "II", now_ms, alarm) < 0)
		return -EIO;
	return link_notice(db, cfg, KC_NOTICE_CABINET_ONLINE, cabinet, alarm, since, now_ms);
}

/* Raises cabinet's offline alarm: silent since since_ms. */
static int offline(struct kc_db *db, const struct kc_audit_config *cfg, const char *cabinet, int64_t since_ms,
		   int64_t now_ms)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "no contact for %lld s", (long long)((now_ms - since_ms) / 1000));
	/* seq: the cabinet's last event stored */
	if (kc_db_x(db, "INSERT INTO ingest_alarms (cabinet, kind, seq, message, raised_ms, last_seq, last_ms, since_ms)"
			" SELECT id, 'offline', last_seq, ?, ?, last_seq, ?, ? FROM cabinets WHERE id = ?",
		    "sIIIs", msg, now_ms, now_ms, since_ms, cabinet) < 0)
		return -EIO;
	return link_notice(db, cfg, KC_NOTICE_CABINET_OFFLINE, cabinet, sqlite3_last_insert_rowid(db->h), since_ms,
			   now_ms);
}

int kc_cabinet_watch(struct kc_db *db, const struct kc_audit_config *cfg, int64_t now_ms)
{
	int64_t limit = now_ms - (int64_t)cfg->offline_after_s * 1000;
	sqlite3_stmt *st;
	int r, n = 0;

	/* a cheap look first: most ticks find nobody */
	if (kc_db_int(db, &(int64_t){ 0 },
		      "SELECT 1 FROM cabinets c WHERE c.id <> '" KC_OFFICE_CHAIN "' AND c.last_contact_ms < ?"
		      " AND NOT EXISTS (SELECT 1 FROM ingest_alarms a WHERE a.cabinet = c.id AND a.kind = 'offline'"
		      " AND a.cleared_ms IS NULL)",
		      "I", limit) != 0)
		return 0;
	r = kc_db_write_begin(db);
	if (r < 0)
		return r;
	st = kc_db_stmt(db, "SELECT c.id, c.last_contact_ms FROM cabinets c WHERE c.id <> '" KC_OFFICE_CHAIN "'"
			    " AND c.last_contact_ms < ? AND NOT EXISTS (SELECT 1 FROM ingest_alarms a WHERE"
			    " a.cabinet = c.id AND a.kind = 'offline' AND a.cleared_ms IS NULL) ORDER BY c.id");
	if (!st)
		return kc_db_write_end(db, -EIO);
	sqlite3_bind_int64(st, 1, limit);
	/* one cabinet a step: the insert goes through the same connection,
	 * and the next step no longer finds the cabinet alarmed now */
	while (r >= 0 && sqlite3_step(st) == SQLITE_ROW) {
		char id[128];
		int64_t since = sqlite3_column_int64(st, 1);

		kc_strlcpy(id, (const char *)sqlite3_column_text(st, 0), sizeof(id));
		sqlite3_reset(st);
		r = offline(db, cfg, id, since, now_ms);
		n += r > 0;
		sqlite3_bind_int64(st, 1, limit);
	}
	sqlite3_reset(st);
	r = kc_db_write_end(db, r < 0 ? r : 0);
	return r < 0 ? r : n;
}
