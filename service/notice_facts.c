#include "service/notice_facts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/pdata.h"
#include "common/util.h"
#include "service/notice_add.h"
#include "service/reports_impl.h"
#include "service/zone.h"

/* f[name] = the first column of sql's first row (?1, ?2 bound to a, b),
 * when there is one and it is not NULL. */
static void lookup(struct kc_db *db, json_t *f, const char *name, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st = kc_db_stmt(db, sql);

	if (!st)
		return;
	kc_bind_text(st, 1, a);
	kc_bind_text(st, 2, b);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		json_object_set_new(f, name, json_string((const char *)sqlite3_column_text(st, 0)));
	sqlite3_reset(st);
}

static const char *str(const json_t *o, const char *name)
{
	return json_string_value(json_object_get(o, name));
}

/* ms in z as a notice shows it */
static void zone_time(const struct kc_zone *z, int64_t ms, bool end, char *out, size_t len)
{
	char iso[32];

	kc_time_format(ms, iso, sizeof(iso));
	if (end)
		kc_notice_end(iso, kc_zone_offset(z, ms - 1) / 60, out, len);
	else
		kc_notice_time(iso, kc_zone_offset(z, ms) / 60, out, len);
}

void kc_notice_cabinet_time(struct kc_db *db, const char *cabinet, int64_t at_ms, char *out, size_t len)
{
	zone_time(kc_report_cabinet_zone(db, cabinet), at_ms, false, out, len);
}

/* site, site_code: the site's name (its code when it has none) */
static void site_fields(struct kc_db *db, json_t *f, const char *site, const char *cabinet)
{
	if (!site)
		lookup(db, f, "site_code", "SELECT site FROM keys WHERE cabinet = ?1 GROUP BY site"
			   " ORDER BY count(*) DESC LIMIT 1", cabinet, NULL);
	else
		json_object_set_new(f, "site_code", json_string(site));
	site = str(f, "site_code");
	json_object_set_new(f, "site", json_string(site ? site : cabinet));
	if (site)
		lookup(db, f, "site", "SELECT name FROM sites WHERE site = ?1 AND name <> ''", site, NULL);
}

json_t *kc_notice_cabinet_fields(struct kc_db *db, const char *cabinet, int64_t at_ms)
{
	json_t *f = json_object();
	char when[32], iso[32];

	if (!f)
		return NULL;
	site_fields(db, f, NULL, cabinet);
	json_object_set_new(f, "cabinet", json_string(cabinet));
	kc_notice_cabinet_time(db, cabinet, at_ms, when, sizeof(when));
	json_object_set_new(f, "time", json_string(when));
	kc_time_format(at_ms, iso, sizeof(iso));
	json_object_set_new(f, "event_time", json_string(iso));
	json_object_set_new(f, "seq", json_string("-"));
	return f;
}

/* member of obj as a string field (an integer as its digits), "-" when
 * absent */
static void field(json_t *f, const char *name, const json_t *obj, const char *member)
{
	const json_t *v = json_object_get(obj, member);
	char buf[32];

	if (json_is_string(v)) {
		json_object_set_new(f, name, json_string(json_string_value(v)));
	} else if (json_is_integer(v)) {
		snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
		json_object_set_new(f, name, json_string(buf));
	} else if (json_is_array(v)) {
		json_object_set_new(f, name, json_deep_copy(v));
	} else {
		json_object_set_new(f, name, json_string("-"));
	}
}

/* end, end_when: an entrustment's last day, and that day against the
 * day the notice is made: today, past or future (kc_notice_words says it) */
static void end_fields(json_t *f, const struct kc_zone *z, const char *iso, int64_t now_ms)
{
	int64_t ms, last, today;
	char when[32];

	if (!iso || kc_time_parse(iso, &ms) < 0)
		return;
	zone_time(z, ms, true, when, sizeof(when));
	json_object_set_new(f, "end", json_string(when));
	last = kc_zone_day_start(z, ms - 1);
	today = kc_zone_day_start(z, now_ms);
	json_object_set_new(f, "end_when", json_string(last == today ? "today" : last < today ? "past" : "future"));
}

/* The owner of the open entrustment of key (key_out, key_back): the
 * event names the key, not the owner. */
static void owner_fields(struct kc_db *db, json_t *f, const char *cabinet, const char *key)
{
#define OPEN_ENTRUSTMENT " FROM entrustments WHERE cabinet = ?1 AND key = ?2 AND closed_ms IS NULL" \
	" ORDER BY start_ms DESC LIMIT 1"
	lookup(db, f, "owner_name", "SELECT owner_name" OPEN_ENTRUSTMENT, cabinet, key);
	lookup(db, f, "owner_phone", "SELECT owner_phone" OPEN_ENTRUSTMENT, cabinet, key);
	lookup(db, f, "phone_masked", "SELECT owner_phone" OPEN_ENTRUSTMENT, cabinet, key);
	lookup(db, f, "phone_sealed", "SELECT phone_sealed" OPEN_ENTRUSTMENT, cabinet, key);
#undef OPEN_ENTRUSTMENT
}

/* A phone number in a notice is masked, whatever the cabinet sent: the
 * notifier reads it from phone_sealed. */
static void phones_masked(json_t *f)
{
	static const char *const members[] = { "owner_phone", "phone_masked" };
	char m[64];

	for (size_t i = 0; i < KC_ARRAY_SIZE(members); i++) {
		const char *v = str(f, members[i]);

		if (v && strcmp(v, "-") != 0 && kc_phone_mask(v, m, sizeof(m)) == 0)
			json_object_set_new(f, members[i], json_string(m));
	}
}

int kc_notice_event(struct kc_db *db, const struct kc_audit_config *cfg, enum kc_notice_kind kind,
		    const json_t *ev, int64_t now_ms)
{
	static const char *const ev_members[] = { "key", "slot", "cabinet", "seq" };
	static const char *const data_members[] = { "owner_name", "owner_phone", "stage", "alarm_type", "detail",
						    "entrustment", "loan", "notice", "board", "slots",
						    "phone_masked", "phone_sealed" };
	const json_t *data = json_object_get(ev, "data");
	const char *cabinet = str(ev, "cabinet"), *unit = str(ev, "unit");
	char person[128] = "";
	const struct kc_zone *z = kc_report_cabinet_zone(db, cabinet);
	json_t *f = json_object();
	char when[32];
	int64_t ts;
	int r;

	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < KC_ARRAY_SIZE(ev_members); i++)
		field(f, ev_members[i], ev, ev_members[i]);
	for (size_t i = 0; i < KC_ARRAY_SIZE(data_members); i++)
		field(f, data_members[i], data, data_members[i]);
	site_fields(db, f, str(ev, "site"), cabinet);
	json_object_set_new(f, "event_time", json_string(str(ev, "ts") ? str(ev, "ts") : "-"));
	if (kc_time_parse(str(ev, "ts") ?: "", &ts) == 0) {
		zone_time(z, ts, false, when, sizeof(when));
		json_object_set_new(f, "time", json_string(when));
	}
	if (kind == KC_NOTICE_KEY_OUT || kind == KC_NOTICE_KEY_BACK) {
		owner_fields(db, f, cabinet, str(ev, "key"));
		/* who took it: the loan's borrower */
		if (!str(ev, "person"))
			lookup(db, f, "person_code", "SELECT person FROM loans WHERE cabinet = ?1 AND loan = ?2",
			       cabinet, str(f, "loan"));
	}
	kc_strlcpy(person, str(ev, "person") ?: str(f, "person_code") ?: "", sizeof(person));
	if (!unit)
		lookup(db, f, "unit_code", "SELECT unit FROM keys WHERE cabinet = ?1 AND key = ?2", cabinet,
		       str(ev, "key"));
	else
		json_object_set_new(f, "unit_code", json_string(unit));
	unit = str(f, "unit_code"); /* f keeps unit_code as it is from here on */
	json_object_set_new(f, "unit", json_string(unit ? unit : "-"));
	/* "1栋103": the unit as people name it */
	lookup(db, f, "unit", kc_report_unit_label_sql, unit, str(f, "site_code"));
	if (person[0]) {
		json_object_set_new(f, "person_code", json_string(person));
		json_object_set_new(f, "person", json_string(person));
#define REGISTERED " FROM events INDEXED BY events_type" \
	" WHERE type = 'person.registered' AND person = ?1 ORDER BY ts_ms DESC LIMIT 1"
		/* the name and department the office keeps, else those the
		 * person was registered with at a cabinet; '-' for none */
		lookup(db, f, "person", "SELECT coalesce((SELECT name FROM estate_people WHERE person = ?1),"
		       " (SELECT json_extract(body, '$.data.name')" REGISTERED "))", person, NULL);
		lookup(db, f, "department", "SELECT coalesce((SELECT nullif(department, '') FROM estate_people"
		       " WHERE person = ?1), (SELECT json_extract(body, '$.data.department')" REGISTERED "))",
		       person, NULL);
#undef REGISTERED
	} else {
		json_object_set_new(f, "person", json_string("-"));
	}
	if (!str(f, "department"))
		json_object_set_new(f, "department", json_string("-"));
	end_fields(f, z, str(data, "end"), now_ms);
	if (str(data, "due") && kc_time_parse(str(data, "due"), &ts) == 0) {
		zone_time(z, ts, false, when, sizeof(when));
		json_object_set_new(f, "due", json_string(when));
	}
	if (kind == KC_NOTICE_LOAN_OVERDUE) {
		/* the borrower's phone, as the loan's release left the cabinet */
		lookup(db, f, "phone_masked", "SELECT contact FROM loans WHERE cabinet = ?1 AND loan = ?2", cabinet,
		       str(f, "loan"));
		lookup(db, f, "phone_sealed", "SELECT phone_sealed FROM loans WHERE cabinet = ?1 AND loan = ?2",
		       cabinet, str(f, "loan"));
	}
	phones_masked(f);
	json_object_set_new(f, "message", json_string("-"));
	r = kc_notice_add(db, cfg, kind, cabinet, json_integer_value(json_object_get(ev, "seq")), str(ev, "type"), f,
			  now_ms);
	json_decref(f);
	return r;
}
