/* Now: keys out, overdue, IDs held, open alarms, ingest alarms (report 2). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/reports_impl.h"
#include "service/scope.h"

/* ---- 2. now ---- */

static const struct kc_report_col loan_cols[] = {
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "loan", "Loan", "借用单", 's' },
	{ "key", "Key", "钥匙", 's' },		{ "kind", "Kind", "类别", 's' },
	{ "unit", "Unit", "房号", 's' },		{ "site", "Site", "项目", 's' },
	{ "person", "Borrower", "借用人", 's' },	{ "actor", "Released by", "经手人", 's' },
	{ "purpose", "Purpose", "用途", 's' },	{ "out", "Out since", "借出时间", 't' },
	{ "due", "Due", "应还时间", 't' },	{ "overdue", "Overdue", "逾期", 'b' },
	{ "contact", "Contact", "联系方式", 's' },	{ "signature", "Signature ref.", "签字确认", 's' },
	{ NULL, NULL, NULL, 0 },
};
static const struct kc_report_col id_cols[] = {
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "loan", "Loan", "借用单", 's' },
	{ "person", "Borrower", "借用人", 's' },	{ "key", "Key", "钥匙", 's' },
	{ "site", "Site", "项目", 's' },		{ "id_type", "ID type", "证件类型", 's' },
	{ "id_masked", "ID (masked)", "证件号(遮蔽)", 's' }, { "held", "Held since", "留存时间", 't' },
	{ NULL, NULL, NULL, 0 },
};
static const struct kc_report_col alarm_cols[] = {
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "alarm", "Alarm", "报警", 's' },
	{ "alarm_type", "Type", "类型", 's' },	{ "key", "Key", "钥匙", 's' },
	{ "slot", "Slot", "钥匙位", 's' },	{ "unit", "Unit", "房号", 's' },
	{ "site", "Site", "项目", 's' },		{ "detail", "Detail", "详情", 's' },
	{ "raised", "Raised", "报警时间", 't' },	{ NULL, NULL, NULL, 0 },
};
static const struct kc_report_col ingest_alarm_cols[] = {
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "kind", "Problem", "问题", 's' },
	{ "seq", "Event", "事件序号", 's' },	{ "message", "Message", "说明", 's' },
	{ "raised", "Raised", "时间", 't' },	{ "repeats", "Repeats", "重复次数", 's' },
	{ "cleared", "Cleared", "解除时间", 't' },	{ NULL, NULL, NULL, 0 },
};
static const struct kc_report_col cabinet_cols[] = {
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "keys_out", "Keys out", "借出", 's' },
	{ "overdue", "Overdue", "逾期", 's' },	{ "ids_held", "IDs held", "留存证件", 's' },
	{ "open_alarms", "Open alarms", "未处理报警", 's' }, { "link", "Audit link", "上传状态", 's' },
	{ "last_seq", "Last event", "最新事件", 's' },	{ "last_seen", "Last seen", "最近联系", 't' },
	{ NULL, NULL, NULL, 0 },
};

int kc_report_now(struct kc_report_ctx *c)
{
	struct kc_query f = { 0 }, q;
	const char *site = NULL, *cab = NULL;
	json_t *sec;

	if (kc_report_site_cabinet(c, &f, "site", &site, &cab) < 0)
		return -EINVAL;

	memset(&q, 0, sizeof(q));
	kc_query_add(&q, "SELECT c.id,"
		  /* by the open loans (loans_open), not the cabinet's whole history */
		  " (SELECT count(*) FROM loans l INDEXED BY loans_open WHERE l.cabinet = c.id"
		  "  AND l.state IN ('granted', 'out') AND (:site IS NULL OR l.site = :site)),"
		  " (SELECT count(*) FROM loans l INDEXED BY loans_open WHERE l.cabinet = c.id"
		  "  AND l.state IN ('granted', 'out') AND l.due_ms < :now AND (:site IS NULL OR l.site = :site)),"
		  " (SELECT count(*) FROM ids_held i WHERE i.cabinet = c.id AND i.released_ms IS NULL"
		  "  AND (:site IS NULL OR i.site = :site)),"
		  " (SELECT count(*) FROM alarms a WHERE a.cabinet = c.id AND a.cleared_ms IS NULL"
		  "  AND (:site IS NULL OR a.site = :site)),"
		  /* stuck: the service refuses the cabinet's events (an open link alarm) */
		  " coalesce((SELECT 'stuck: ' || ia.kind FROM ingest_alarms ia WHERE ia.cabinet = c.id"
		  "  AND ia.cleared_ms IS NULL AND ia.kind IN ('gap', 'chain_break', 'conflict') ORDER BY ia.id"
		  "  LIMIT 1), 'ok'),"
		  " c.last_seq, c.last_seen_ms FROM cabinets c WHERE (:cabinet IS NULL OR c.id = :cabinet)"
		  " AND (:site IS NULL OR c.id IN (SELECT cabinet FROM keys WHERE site = :site))");
	kc_scope_query(&q, c->p->scope, NULL, "c.id");
	kc_query_add(&q, " ORDER BY c.id");
	kc_query_set_str(&q, ":site", site);
	kc_query_set_str(&q, ":cabinet", cab);
	kc_query_set_int(&q, ":now", c->now);
	sec = kc_report_section(c, "cabinets", "Per cabinet", "各钥匙柜", cabinet_cols);
	if (kc_report_fill(c, sec, &q, cabinet_cols) < 0)
		return -EIO;

	memset(&q, 0, sizeof(q));
	kc_query_int(&q, "SELECT cabinet, loan, key, kind, unit, site, person, actor, purpose, out_ms, due_ms,"
		     " (overdue OR due_ms < ?), contact, signature FROM loans WHERE state IN ('granted', 'out')",
		     c->now);
	kc_query_append(&q, &f);
	kc_query_add(&q, " ORDER BY due_ms, cabinet, loan");
	sec = kc_report_section(c, "keys_out", "Keys out", "借出钥匙", loan_cols);
	if (kc_report_fill(c, sec, &q, loan_cols) < 0)
		return -EIO;

	memset(&q, 0, sizeof(q));
	kc_query_int(&q, "SELECT cabinet, loan, key, kind, unit, site, person, actor, purpose, out_ms, due_ms,"
		     " 1, contact, signature FROM loans WHERE state IN ('granted', 'out') AND due_ms < ?",
		     c->now);
	kc_query_append(&q, &f);
	kc_query_add(&q, " ORDER BY due_ms, cabinet, loan");
	sec = kc_report_section(c, "overdue", "Overdue keys", "逾期未还", loan_cols);
	if (kc_report_fill(c, sec, &q, loan_cols) < 0)
		return -EIO;

	memset(&q, 0, sizeof(q));
	kc_query_add(&q, "SELECT cabinet, loan, person, key, site, id_type, id_masked, held_ms FROM ids_held"
		  " WHERE released_ms IS NULL");
	kc_query_append(&q, &f);
	kc_query_add(&q, " ORDER BY held_ms");
	sec = kc_report_section(c, "ids_held", "IDs held", "留存证件", id_cols);
	if (kc_report_fill(c, sec, &q, id_cols) < 0)
		return -EIO;

	memset(&q, 0, sizeof(q));
	kc_query_add(&q, "SELECT cabinet, alarm, alarm_type, key, slot, unit, site, detail, raised_ms FROM alarms"
		  " WHERE cleared_ms IS NULL");
	kc_query_append(&q, &f);
	kc_query_add(&q, " ORDER BY raised_ms");
	sec = kc_report_section(c, "alarms", "Open alarms", "未处理报警", alarm_cols);
	if (kc_report_fill(c, sec, &q, alarm_cols) < 0)
		return -EIO;

	memset(&q, 0, sizeof(q));
	kc_query_add(&q, "SELECT cabinet, kind, seq, message, raised_ms, repeats, cleared_ms FROM ingest_alarms WHERE 1");
	if (cab)
		kc_query_str(&q, " AND cabinet = ?", cab);
	if (site)
		kc_query_str(&q, " AND cabinet IN (SELECT cabinet FROM keys WHERE site = ?)", site);
	kc_scope_query(&q, c->p->scope, NULL, "cabinet");
	kc_query_add(&q, " ORDER BY cleared_ms IS NULL DESC, raised_ms DESC LIMIT 100");
	sec = kc_report_section(c, "ingest_alarms", "Ingest alarms: refused batches and events left out of the reports", "接收告警", ingest_alarm_cols);
	return kc_report_fill(c, sec, &q, ingest_alarm_cols);
}
