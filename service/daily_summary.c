#include "service/daily_summary.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "service/notice_facts.h"
#include "service/notice_add.h"
#include "service/office.h"
#include "service/reports_impl.h"
#include "service/zone.h"

/* The figures of a site, each a count: ?1 the site, ?2 now. */
static const struct {
	const char *field, *sql;
} figures[] = {
	{ "keys_out", "SELECT count(*) FROM loans WHERE site = ?1 AND state = 'out'" },
	{ "overdue", "SELECT count(*) FROM loans WHERE site = ?1 AND state = 'out' AND (overdue OR due_ms < ?2)" },
	{ "ids_held", "SELECT count(*) FROM ids_held WHERE site = ?1 AND released_ms IS NULL" },
	{ "unreviewed", "SELECT count(*) FROM handovers h WHERE h.reviewed_ms IS NULL AND h.confirmed_ms IS NOT NULL"
			" AND EXISTS (SELECT 1 FROM keys k WHERE k.cabinet = h.cabinet AND k.site = ?1)" },
};

/* The summary of site for the local day that starts at day_ms. 1 made,
 * 0 made before, -errno. */
static int summary(struct kc_db *db, const struct kc_audit_config *cfg, const char *site, const char *name,
		   int64_t day_ms, int64_t now_ms)
{
	const struct kc_zone *z = kc_report_site_zone(db, site);
	char type[160], text[32], iso[32];
	json_t *f = json_object();
	int r = 0;

	if (!f)
		return -ENOMEM;
	json_object_set_new(f, "site", json_string(name));
	json_object_set_new(f, "site_code", json_string(site));
	json_object_set_new(f, "cabinet", json_string("-"));
	json_object_set_new(f, "seq", json_string("-"));
	kc_time_format(now_ms, iso, sizeof(iso));
	json_object_set_new(f, "event_time", json_string(iso));
	kc_notice_time(iso, kc_zone_offset(z, now_ms) / 60, text, sizeof(text));
	json_object_set_new(f, "time", json_string(text));
	kc_time_format(day_ms, iso, sizeof(iso));
	kc_notice_time(iso, kc_zone_offset(z, day_ms) / 60, text, sizeof(text));
	json_object_set_new(f, "day", json_string(text));
	for (size_t i = 0; r == 0 && i < KC_ARRAY_SIZE(figures); i++) {
		int64_t n = 0;

		r = kc_db_int(db, &n, figures[i].sql, "sI", site, now_ms);
		snprintf(text, sizeof(text), "%lld", (long long)n);
		json_object_set_new(f, figures[i].field, json_string(text));
	}
	/* one a site and day: the office chain's key, the day's start (in
	 * s) as its negative number, the site in its type (each_due) */
	snprintf(type, sizeof(type), "daily_summary:%s", site);
	if (r == 0)
		r = kc_notice_add(db, cfg, KC_NOTICE_DAILY_SUMMARY, KC_OFFICE_CHAIN, -(day_ms / 1000), type, f, now_ms);
	json_decref(f);
	return r;
}

/* Each site whose summary is due at now_ms: fn(site, name, day start).
 * made: skip those made already. Stops at fn's first error. */
static int each_due(struct kc_db *db, const struct kc_audit_config *cfg, int64_t now_ms, bool made,
		    int (*fn)(struct kc_db *, const struct kc_audit_config *, const char *, const char *, int64_t,
			      int64_t))
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT site, coalesce(nullif(name, ''), site) FROM sites ORDER BY site");
	int r = 0, n = 0;

	if (!st)
		return -EIO;
	while (r >= 0 && sqlite3_step(st) == SQLITE_ROW) {
		char site[128], name[256], type[160];
		int64_t day, seen;

		kc_strlcpy(site, (const char *)sqlite3_column_text(st, 0), sizeof(site));
		kc_strlcpy(name, (const char *)sqlite3_column_text(st, 1), sizeof(name));
		day = kc_zone_day_start(kc_report_site_zone(db, site), now_ms);
		if (now_ms < day + (int64_t)cfg->daily_summary_min * 60000)
			continue;
		snprintf(type, sizeof(type), "daily_summary:%s", site);
		if (!made && kc_db_int(db, &seen, "SELECT 1 FROM notices WHERE cabinet = ? AND seq = ? AND type = ?",
				       "sIs", KC_OFFICE_CHAIN, -(day / 1000), type) == 0)
			continue;
		r = fn ? fn(db, cfg, site, name, day, now_ms) : 1;
		n += r > 0;
	}
	sqlite3_reset(st);
	return r < 0 ? r : n;
}

int kc_daily_summary(struct kc_db *db, const struct kc_audit_config *cfg, int64_t now_ms)
{
	int r;

	if (cfg->daily_summary_min < 0)
		return 0;
	/* a look without the writers' lock first: most ticks find none due */
	r = each_due(db, cfg, now_ms, false, NULL);
	if (r <= 0)
		return r;
	r = kc_db_write_begin(db);
	if (r < 0)
		return r;
	r = each_due(db, cfg, now_ms, true, summary);
	return kc_db_write_end(db, r < 0 ? r : 0) < 0 ? -EIO : r;
}
