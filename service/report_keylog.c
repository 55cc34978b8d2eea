/* The key log: events filtered by key, unit, person, ... (report 1). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/reports_impl.h"

/* ---- 1. key log ---- */

static const struct kc_report_col keylog_cols[] = {
	{ "ts", "Time", "时间", 't' },		{ "cabinet", "Cabinet", "钥匙柜", 's' },
	{ "seq", "Seq", "序号", 's' },		{ "type", "Event", "事件", 's' },
	{ "actor", "Operator", "操作人", 's' },	{ "person", "Person", "相关人", 's' },
	{ "key", "Key", "钥匙", 's' },		{ "kind", "Kind", "类别", 's' },
	{ "unit", "Unit", "房号", 's' },		{ "site", "Site", "项目", 's' },
	{ "slot", "Slot", "钥匙位", 's' },	{ "why", "Why", "原因/用途", 's' },
	{ "data", "Details", "详情", 'j' },	{ NULL, NULL, NULL, 0 },
};

/* "why": the reason, purpose or result the event carries. */
static const char why_sql[] =
	"coalesce(json_extract(body, '$.data.reason'), json_extract(body, '$.data.purpose'),"
	" json_extract(body, '$.data.result'), json_extract(body, '$.data.alarm_type'),"
	" json_extract(body, '$.data.stage'))";

int kc_report_keylog(struct kc_report_ctx *c)
{
	static const char *eq[] = { "cabinet", "key", "unit", "person", "kind", "type", "actor", "site" };
	struct kc_query where = { 0 }, q = { 0 }, cq = { 0 };
	int64_t from = 0, to = 0;
	int hf, ht, desc = 0;
	const char *order;
	json_t *sec;
	int64_t total;

	if (kc_report_paging(c) < 0 || (hf = kc_report_param_time(c, "from", KC_DAY_START, &from)) < 0 || (ht = kc_report_param_time(c, "to", KC_DAY_END, &to)) < 0)
		return -EINVAL;
	order = kc_report_param(c, "order");
	if (order && strcmp(order, "desc") != 0 && strcmp(order, "asc") != 0)
		return kc_report_bad(c, "parameter \"order\" must be asc or desc");
	desc = order && strcmp(order, "desc") == 0;
	kc_query_add(&where, " WHERE 1");
	for (size_t i = 0; i < KC_ARRAY_SIZE(eq); i++) {
		const char *v = NULL;
		char frag[40];

		if (kc_report_param_name(c, eq[i], &v) < 0)
			return -EINVAL;
		if (!v)
			continue;
		if (strcmp(eq[i], "unit") == 0) {
			/* A unit's log includes the events of its keys that name
			 * only the key (IDs held, release taken) or only the slot. */
			kc_query_str(&where, " AND (unit = ?", v);
			kc_query_str(&where, " OR (unit IS NULL AND (key IN (SELECT k.key FROM keys k WHERE"
				      " k.cabinet = events.cabinet AND k.unit = ?)", v);
			kc_query_str(&where, " OR (key IS NULL AND slot IN (SELECT k.slot FROM keys k WHERE"
				      " k.cabinet = events.cabinet AND k.unit = ?)))))", v);
			continue;
		}
		snprintf(frag, sizeof(frag), " AND %s = ?", eq[i]);
		kc_query_str(&where, frag, v);
	}
	if (hf)
		kc_query_int(&where, " AND ts_ms >= ?", from);
	if (ht)
		kc_query_int(&where, " AND ts_ms < ?", to);
	/* the same filter, with its values, for the rows and the count */
	memset(&q, 0, sizeof(q));
	kc_query_add(&q, "SELECT ts_ms, cabinet, seq, type, actor, person, key, kind, unit, site, slot, ");
	kc_query_add(&q, why_sql);
	kc_query_add(&q, ", json_extract(body, '$.data') FROM events");
	kc_query_append(&q, &where);
	kc_query_add(&q, desc ? " ORDER BY ts_ms DESC, cabinet DESC, seq DESC" : " ORDER BY ts_ms, cabinet, seq");
	kc_query_int(&q, " LIMIT ?", c->page_size);
	kc_query_int(&q, " OFFSET ?", (c->page - 1) * c->page_size);
	memset(&cq, 0, sizeof(cq));
	kc_query_add(&cq, "SELECT count(*) FROM events");
	kc_query_append(&cq, &where);
	sec = kc_report_section(c, "events", "Events", "事件", keylog_cols);
	if (kc_report_fill(c, sec, &q, keylog_cols) < 0 || (total = kc_report_count(c, &cq)) < 0)
		return -EIO;
	kc_report_set_paging(c, sec, total);
	return 0;
}
