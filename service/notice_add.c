/* A notice and its deliveries, made in the ingest transaction: one
 * delivery per [notify] webhook and per target of each [route] rule
 * naming its kind (a department's group through [departments]); the
 * notifier (notify.c) sends them. */
#include "service/notice_add.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/channel.h"
#include "service/templates.h"
/* An e-mail address as the pages may show it: m***@example.com. */
static void mask_email(const char *a, char *out, size_t len)
{
	const char *at = strchr(a, '@');

	snprintf(out, len, "%.1s***%s", a, at ? at : "");
}

/* The template's parameters: [[name, value], ...] from the fields named
 * in names (space-separated), as the notice's Chinese text shows them. */
static char *sms_params(const char *names, const json_t *zh_fields)
{
	json_t *a = json_array();
	char *out = NULL;

	for (const char *f = names ? names : ""; a && *f;) {
		size_t w;
		char name[64];

		f += strspn(f, " \t");
		w = strcspn(f, " \t");
		if (!w)
			break;
		snprintf(name, sizeof(name), "%.*s", (int)w, f);
		json_array_append_new(a, json_pack("[s,s]", name,
						   json_string_value(json_object_get(zh_fields, name)) ?: "-"));
		f += w;
	}
	if (a)
		out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return out;
}

/* The channel of a rule's target for a notice: its own, or for the
 * target department the notice's department's group ([departments]), else
 * the target's fallback. -1: nowhere. */
static int target_channel(const struct kc_audit_config *cfg, const struct kc_route_target *t, const json_t *fields)
{
	const char *dept = json_string_value(json_object_get(fields, "department"));

	if (t->channel >= 0)
		return t->channel;
	for (int i = 0; dept && i < cfg->ndepartments; i++)
		if (strcmp(cfg->departments[i].name, dept) == 0)
			return cfg->departments[i].channel;
	return t->fallback;
}

/* A department target with no group for the notice's department and no
 * fallback: a delivery failed at once that says so (st: add_deliveries'). */
static int no_group(sqlite3_stmt *st, int64_t id, const json_t *fields, int64_t now_ms)
{
	const char *dept = json_string_value(json_object_get(fields, "department"));
	char why[192];

	if (dept && strcmp(dept, "-") != 0)
		snprintf(why, sizeof(why), "no group for the department %s ([departments])", dept);
	else
		snprintf(why, sizeof(why), "the person has no department");
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_int64(st, 1, id);
	kc_bind_text(st, 2, "-");
	sqlite3_bind_int64(st, 3, now_ms);
	kc_bind_text(st, 4, "department");
	kc_bind_text(st, 5, "-");
	kc_bind_text(st, 9, "failed");
	kc_bind_text(st, 10, why);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
}

/* The deliveries of notice id: one per [notify] webhook, one per target
 * of each [route] rule naming its kind. */
static int add_deliveries(struct kc_db *db, const struct kc_audit_config *cfg, enum kc_notice_kind kind,
			  int64_t id, const json_t *fields, const json_t *zh_fields, int64_t now_ms)
{
	sqlite3_stmt *st = kc_db_stmt(db,
		"INSERT INTO deliveries (notice_id, webhook, next_ms, channel, recipient, target, template, params,"
		" state, last_error) VALUES (?,?,?,?,?,?,?,?,?,?)");
	const char *masked = json_string_value(json_object_get(fields, "phone_masked"));
	const char *sealed = json_string_value(json_object_get(fields, "phone_sealed"));
	bool has_phone = sealed && strcmp(sealed, "-") != 0;
	int r = 0;

	if (!st)
		return -EIO;
	for (int w = 0; w < cfg->nwebhooks && r == 0; w++) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		sqlite3_bind_int64(st, 1, id);
		kc_bind_text(st, 2, cfg->webhooks[w]);
		sqlite3_bind_int64(st, 3, now_ms);
		kc_bind_text(st, 9, "pending");
		r = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	}
	for (int i = 0; i < cfg->nroutes && r == 0; i++) {
		const struct kc_route *rt = &cfg->routes[i];
		const char *site = json_string_value(json_object_get(fields, "site"));

		if (strcmp(rt->kind, kc_notice_kind_name(kind)) != 0 ||
		    (rt->site && (!site || strcmp(rt->site, site) != 0)))
			continue;
		for (int t = 0; t < rt->ntargets && r == 0; t++) {
			int c = target_channel(cfg, &rt->targets[t], fields);
			const struct kc_channel_conf *ch;
			const char *rcpt = rt->targets[t].recipient;
			bool person = rcpt && strcmp(rcpt, "person") == 0;
			bool sms;
			char who[128] = "-", *params = NULL;

			if (c < 0) {
				r = no_group(st, id, fields, now_ms);
				continue;
			}
			ch = &cfg->channels[c];
			sms = kc_channel_type(ch->kind)->needs_template;

			if (person)
				snprintf(who, sizeof(who), "%s", has_phone && masked ? masked : "-");
			else if (rcpt)
				mask_email(rcpt, who, sizeof(who));
			if (sms) {
				params = sms_params(ch->tmpl_params[kind], zh_fields);
				if (!params) {
					r = -ENOMEM;
					break;
				}
			}
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			sqlite3_bind_int64(st, 1, id);
			kc_bind_text(st, 2, ch->url);
			sqlite3_bind_int64(st, 3, now_ms);
			kc_bind_text(st, 4, ch->name);
			kc_bind_text(st, 5, who);
			kc_bind_text(st, 6, rcpt);
			kc_bind_text(st, 7, sms ? ch->tmpl_id[kind] : NULL);
			kc_bind_text(st, 8, params);
			/* an SMS with no number to send to is failed at once, and says so */
			kc_bind_text(st, 9, sms && !has_phone ? "failed" : "pending");
			kc_bind_text(st, 10, sms && !has_phone ? "the notice carries no phone number" : NULL);
			r = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
			free(params);
		}
	}
	sqlite3_reset(st);
	return r;
}

int kc_notice_add(struct kc_db *db, const struct kc_audit_config *cfg, enum kc_notice_kind kind,
		  const char *cabinet, int64_t seq, const char *type, const json_t *fields,
		  int64_t now_ms)
{
	char *zh = NULL, *en = NULL, *payload = NULL, err[128];
	json_t *zh_fields = kc_notice_words(fields, KC_LANG_ZH), *en_fields = kc_notice_words(fields, KC_LANG_EN);
	sqlite3_stmt *st;
	int64_t id;
	json_t *body;
	int r = -ENOMEM;

	if (!zh_fields || !en_fields)
		goto out;
	r = kc_template_render(cfg->tmpl_zh[kind], zh_fields, &zh, err, sizeof(err));
	if (r < 0)
		goto out;
	r = kc_template_render(cfg->tmpl_en[kind], en_fields, &en, err, sizeof(err));
	if (r < 0)
		goto out;
	body = json_pack("{s:s, s:s, s:I, s:s, s:O, s:s, s:s, s:s, s:O?, s:O?, s:O?}", "notice",
			 kc_notice_kind_name(kind), "cabinet", cabinet, "seq", (json_int_t)seq, "type", type,
			 "fields", fields, "text_zh", zh, "text_en", en, "recipient", kc_notice_recipient(kind),
			 "event_time", json_object_get(fields, "event_time"), "site", json_object_get(fields, "site_code"),
			 "site_name", json_object_get(fields, "site"));
	if (!body) {
		r = -ENOMEM;
		goto out;
	}
	payload = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(body);
	if (!payload) {
		r = -ENOMEM;
		goto out;
	}
	st = kc_db_stmt(db,
		"INSERT OR IGNORE INTO notices (cabinet, seq, type, notice, entrustment, stage, key, unit,"
		" site, person, created_ms, payload, text_zh, text_en) VALUES"
		" (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	if (!st) {
		r = -EIO;
		goto out;
	}
	kc_bind_text(st, 1, cabinet);
	sqlite3_bind_int64(st, 2, seq);
	kc_bind_text(st, 3, type);
	{
		static const char *m[] = { "notice", "entrustment", "stage", "key", "unit_code", "site_code",
					   "person_code" };

		for (size_t i = 0; i < KC_ARRAY_SIZE(m); i++) {
			const json_t *v = json_object_get(fields, m[i]);
			long long n;

			if (i < 2 && json_is_string(v) && kc_parse_long(json_string_value(v), 0, INT64_MAX, &n) == 0)
				sqlite3_bind_int64(st, 4 + (int)i, n);
			else if (i >= 2 && json_is_string(v) && strcmp(json_string_value(v), "-") != 0)
				kc_bind_text(st, 4 + (int)i, json_string_value(v));
			else
				sqlite3_bind_null(st, 4 + (int)i);
		}
	}
	sqlite3_bind_int64(st, 11, now_ms);
	kc_bind_text(st, 12, payload);
	kc_bind_text(st, 13, zh);
	kc_bind_text(st, 14, en);
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_reset(st);
	if (r < 0 || sqlite3_changes(db->h) == 0)
		goto out;
	id = sqlite3_last_insert_rowid(db->h);
	r = add_deliveries(db, cfg, kind, id, fields, zh_fields, now_ms);
	if (r < 0)
		goto out;
	r = 1;
out:
	json_decref(zh_fields);
	json_decref(en_fields);
	free(zh);
	free(en);
	free(payload);
	return r;
}
