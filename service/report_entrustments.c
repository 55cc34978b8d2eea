/* Entrustments expiring and expired, and the notices with their delivery (report 3). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/reports_impl.h"
#include "service/scope.h"

/* ---- 3. entrustments ---- */

static const struct kc_report_col ent_cols[] = {
	{ "cabinet", KC_N_("Cabinet"), 's' },	{ "entrustment", KC_N_("Entrustment"), 's' },
	{ "key", KC_N_("Key"), 's' },		{ "unit", KC_N_("Unit"), 's' },
	{ "site", KC_N_("Site"), 's' },		{ "owner", KC_N_("Owner"), 's' },
	{ "owner_name", KC_N_("Owner name"), 's' }, { "start", KC_N_("Start"), 't' },
	{ "end", KC_N_("End"), 't' },		{ "notices", KC_N_("Notices"), 's' },
	{ NULL, NULL, 0 },
};
static const struct kc_report_col notice_cols[] = {
	{ "notice_id", KC_N_("Notice"), 's' },	{ "created", KC_N_("Created"), 't' },
	{ "cabinet", KC_N_("Cabinet"), 's' },	{ "type", KC_N_("Event"), 's' },
	{ "stage", KC_N_("Stage"), 's' },	{ "entrustment", KC_N_("Entrustment"), 's' },
	{ "key", KC_N_("Key"), 's' },		{ "unit", KC_N_("Unit"), 's' },
	{ "site", KC_N_("Site"), 's' },		{ "text_zh", KC_N_("Text (zh)"), 's' },
	{ "webhook", KC_N_("Webhook"), 's' }, { "state", KC_N_("Delivery"), 's' },
	{ "attempts", KC_N_("Attempts"), 's' }, { "last_error", KC_N_("Last error"), 's' },
	{ "delivered", KC_N_("Delivered"), 't' }, { NULL, NULL, 0 },
};

int kc_report_entrustments(struct kc_report_ctx *c)
{
	struct kc_query f = { 0 }, q, nf = { 0 };
	const char *site = NULL, *cab = NULL, *type = NULL;
	int64_t days = 30, from = 0, to = 0;
	int hf, ht;
	json_t *sec;
	static const char ent_sql[] =
		"SELECT cabinet, entrustment, key, unit, site, owner, owner_name, start_ms, end_ms,"
		" (SELECT count(*) FROM notices n WHERE n.cabinet = e.cabinet AND n.entrustment = e.entrustment)"
		" FROM entrustments e WHERE closed_ms IS NULL";

	if (kc_report_site_cabinet(c, &f, "site", &site, &cab) < 0 || kc_report_param_int(c, "days", 0, 3650, &days) < 0 ||
	    kc_report_paging(c) < 0 || (hf = kc_report_param_time(c, "from", KC_DAY_START, &from)) < 0 || (ht = kc_report_param_time(c, "to", KC_DAY_END, &to)) < 0 ||
	    kc_report_param_name(c, "type", &type) < 0)
		return -EINVAL;
	json_object_set_new(json_object_get(c->rep, "params"), "days", json_integer(days));

	memset(&q, 0, sizeof(q));
	kc_query_add(&q, ent_sql);
	kc_query_int(&q, " AND end_ms >= ?", c->now);
	kc_query_int(&q, " AND end_ms < ?", c->now + days * 86400000);
	if (site)
		kc_query_str(&q, " AND site = ?", site);
	if (cab)
		kc_query_str(&q, " AND cabinet = ?", cab);
	kc_scope_query(&q, c->p->scope, "site", "cabinet");
	kc_query_add(&q, " ORDER BY end_ms");
	sec = kc_report_section(c, "expiring", "Expiring", ent_cols);
	if (kc_report_fill(c, sec, &q, ent_cols) < 0)
		return -EIO;

	memset(&q, 0, sizeof(q));
	kc_query_add(&q, ent_sql);
	kc_query_int(&q, " AND end_ms < ?", c->now);
	if (site)
		kc_query_str(&q, " AND site = ?", site);
	if (cab)
		kc_query_str(&q, " AND cabinet = ?", cab);
	kc_scope_query(&q, c->p->scope, "site", "cabinet");
	kc_query_add(&q, " ORDER BY end_ms");
	sec = kc_report_section(c, "expired", "Expired, not collected", ent_cols);
	if (kc_report_fill(c, sec, &q, ent_cols) < 0)
		return -EIO;

	kc_query_add(&nf, " WHERE 1");
	if (site)
		kc_query_str(&nf, " AND n.site = ?", site);
	if (cab)
		kc_query_str(&nf, " AND n.cabinet = ?", cab);
	kc_scope_query(&nf, c->p->scope, "n.site", "n.cabinet");
	if (type)
		kc_query_str(&nf, " AND n.type = ?", type);
	if (hf)
		kc_query_int(&nf, " AND n.created_ms >= ?", from);
	if (ht)
		kc_query_int(&nf, " AND n.created_ms < ?", to);
	sec = kc_report_section(c, "notices", "Notices and their delivery", notice_cols);
	return kc_report_paged(c, sec,
			       "SELECT n.id, n.created_ms, n.cabinet, n.type, n.stage, n.entrustment, n.key, n.unit,"
			       " n.site, n.text_zh, d.webhook, coalesce(d.state, 'no webhook'), d.attempts, d.last_error,"
			       " d.delivered_ms FROM notices n LEFT JOIN deliveries d ON d.notice_id = n.id",
			       "SELECT count(*) FROM notices n LEFT JOIN deliveries d ON d.notice_id = n.id", &nf,
			       " ORDER BY n.created_ms, n.id, d.id", notice_cols);
}
