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
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "entrustment", "Entrustment", "托管单", 's' },
	{ "key", "Key", "钥匙", 's' },		{ "unit", "Unit", "房号", 's' },
	{ "site", "Site", "项目", 's' },		{ "owner", "Owner", "业主", 's' },
	{ "owner_name", "Owner name", "业主姓名", 's' }, { "start", "Start", "开始", 't' },
	{ "end", "End", "到期", 't' },		{ "notices", "Notices", "通知次数", 's' },
	{ NULL, NULL, NULL, 0 },
};
static const struct kc_report_col notice_cols[] = {
	{ "notice_id", "Notice", "通知", 's' },	{ "created", "Created", "生成时间", 't' },
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "type", "Event", "事件", 's' },
	{ "stage", "Stage", "阶段", 's' },	{ "entrustment", "Entrustment", "托管单", 's' },
	{ "key", "Key", "钥匙", 's' },		{ "unit", "Unit", "房号", 's' },
	{ "site", "Site", "项目", 's' },		{ "text_zh", "Text (zh)", "内容", 's' },
	{ "webhook", "Webhook", "推送地址", 's' }, { "state", "Delivery", "送达状态", 's' },
	{ "attempts", "Attempts", "尝试次数", 's' }, { "last_error", "Last error", "最近错误", 's' },
	{ "delivered", "Delivered", "送达时间", 't' }, { NULL, NULL, NULL, 0 },
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
	sec = kc_report_section(c, "expiring", "Expiring", "即将到期", ent_cols);
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
	sec = kc_report_section(c, "expired", "Expired, not collected", "已到期未领取", ent_cols);
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
	sec = kc_report_section(c, "notices", "Notices and their delivery", "通知及送达", notice_cols);
	return kc_report_paged(c, sec,
			       "SELECT n.id, n.created_ms, n.cabinet, n.type, n.stage, n.entrustment, n.key, n.unit,"
			       " n.site, n.text_zh, d.webhook, coalesce(d.state, 'no webhook'), d.attempts, d.last_error,"
			       " d.delivered_ms FROM notices n LEFT JOIN deliveries d ON d.notice_id = n.id",
			       "SELECT count(*) FROM notices n LEFT JOIN deliveries d ON d.notice_id = n.id", &nf,
			       " ORDER BY n.created_ms, n.id, d.id", notice_cols);
}
