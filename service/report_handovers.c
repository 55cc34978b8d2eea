/* Shift handovers and their reviews (report 5, rule 12). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/reports_impl.h"
#include "service/scope.h"

/* ---- 5. handovers (rule 12) ---- */

static const struct kc_report_col ho_cols[] = {
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "handover", "Handover", "交接单", 's' },
	{ "started", "Handed over", "交班时间", 't' }, { "outgoing", "Outgoing", "交班人", 's' },
	{ "incoming", "Incoming", "接班人", 's' },	{ "confirmed", "Confirmed", "接班确认", 't' },
	{ "keys_out", "Keys out", "借出钥匙", 'j' }, { "ids_held", "IDs held", "留存证件", 'j' },
	{ "alarms", "Open alarms", "未处理报警", 'j' }, { "reviewed_by", "Reviewed by", "审阅人", 's' },
	{ "reviewed", "Reviewed", "审阅时间", 't' }, { "review_note", "Note", "审阅意见", 's' },
	{ NULL, NULL, NULL, 0 },
};

int kc_report_handovers(struct kc_report_ctx *c)
{
	struct kc_query f = { 0 }, q;
	const char *site = NULL, *cab = NULL, *unrev;
	int64_t from = 0, to = 0, total;
	int hf, ht;
	json_t *sec;

	if (kc_report_paging(c) < 0 || kc_report_param_name(c, "site", &site) < 0 || kc_report_param_name(c, "cabinet", &cab) < 0 ||
	    (hf = kc_report_param_time(c, "from", KC_DAY_START, &from)) < 0 || (ht = kc_report_param_time(c, "to", KC_DAY_END, &to)) < 0)
		return -EINVAL;
	unrev = kc_report_param(c, "unreviewed");
	kc_query_add(&f, " WHERE 1");
	if (site)
		kc_query_str(&f, " AND cabinet IN (SELECT cabinet FROM keys WHERE site = ?)", site);
	if (cab)
		kc_query_str(&f, " AND cabinet = ?", cab);
	kc_scope_query(&f, c->p->scope, NULL, "cabinet");
	if (hf)
		kc_query_int(&f, " AND started_ms >= ?", from);
	if (ht)
		kc_query_int(&f, " AND started_ms < ?", to);
	if (unrev && strcmp(unrev, "0") != 0)
		kc_query_add(&f, " AND reviewed_ms IS NULL");
	sec = kc_report_section(c, "handovers", "Handover sheets", "交接班记录", ho_cols);
	if (kc_report_paged(c, sec,
			    "SELECT cabinet, handover, started_ms, outgoing, incoming, confirmed_ms, keys_out, ids_held,"
			    " alarms, reviewed_by, reviewed_ms, review_note FROM handovers",
			    "SELECT count(*) FROM handovers", &f, " ORDER BY started_ms DESC, cabinet, handover",
			    ho_cols) < 0)
		return -EIO;
	memset(&q, 0, sizeof(q));
	kc_query_add(&q, "SELECT count(*) FROM handovers");
	kc_query_append(&q, &f);
	kc_query_add(&q, " AND reviewed_ms IS NULL");
	if ((total = kc_report_count(c, &q)) < 0)
		return -EIO;
	json_object_set_new(sec, "unreviewed", json_integer(total));
	return 0;
}

int kc_report_handovers_review_check(struct kc_db *db, const char *cabinet, int64_t handover)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT confirmed_ms IS NOT NULL, reviewed_ms IS NOT NULL FROM handovers"
					  " WHERE cabinet = ? AND handover = ?");
	int r = -EIO, rc;

	if (!st)
		return -EIO;
	kc_bind_text(st, 1, cabinet);
	sqlite3_bind_int64(st, 2, handover);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		r = -ENOENT;
	else if (rc == SQLITE_ROW && sqlite3_column_int(st, 1))
		r = -EALREADY;
	else if (rc == SQLITE_ROW && !sqlite3_column_int(st, 0))
		r = -EAGAIN;
	else if (rc == SQLITE_ROW)
		r = -EPERM;
	sqlite3_reset(st);
	return r;
}
