#include "service/reports.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/chain.h"
#include "service/sbuf.h"

const struct kc_report_info kc_reports[] = {
	{ "keylog", "Key log", "钥匙日志" },
	{ "now", "Now: keys out, overdue, IDs held, alarms", "当前:借出钥匙、逾期、留存证件、报警" },
	{ "entrustments", "Entrustments and notices", "托管钥匙与通知" },
	{ "vacant", "Vacant-unit inspections", "空置房检查" },
	{ "handovers", "Shift handovers", "交接班记录" },
	{ "chain", "Chain verification", "日志链校验" },
};
const size_t kc_nreports = KC_ARRAY_SIZE(kc_reports);

struct col {
	const char *name, *en, *zh;
	char type; /* 's' as is, 't' ms -> time, 'j' JSON text -> value, 'b' 0/1 -> bool */
};

/* A query built from fixed fragments, with every value bound. */
struct query {
	char sql[4096];
	size_t len;
	int n;
	struct {
		int is_int;
		int64_t i;
		const char *s;
	} args[32];
	int overflow;
};

static void q_add(struct query *q, const char *frag)
{
	size_t n = strlen(frag);

	if (q->len + n + 1 > sizeof(q->sql)) {
		q->overflow = 1;
		return;
	}
	memcpy(q->sql + q->len, frag, n + 1);
	q->len += n;
}

static void q_str(struct query *q, const char *frag, const char *v)
{
	if (q->n == (int)KC_ARRAY_SIZE(q->args)) {
		q->overflow = 1;
		return;
	}
	q_add(q, frag);
	q->args[q->n].is_int = 0;
	q->args[q->n++].s = v;
}

static void q_int(struct query *q, const char *frag, int64_t v)
{
	if (q->n == (int)KC_ARRAY_SIZE(q->args)) {
		q->overflow = 1;
		return;
	}
	q_add(q, frag);
	q->args[q->n].is_int = 1;
	q->args[q->n++].i = v;
}

static sqlite3_stmt *q_prepare(struct kc_db *db, const struct query *q)
{
	sqlite3_stmt *st;

	if (q->overflow || sqlite3_prepare_v2(db->h, q->sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	for (int i = 0; i < q->n; i++) {
		if (q->args[i].is_int)
			sqlite3_bind_int64(st, i + 1, q->args[i].i);
		else
			kc_bind_text(st, i + 1, q->args[i].s);
	}
	return st;
}

/* q takes the filter's bound values but none of its SQL: the caller adds
 * a head that binds nothing, then filter->sql, so the values line up. */
static void q_from(struct query *q, const struct query *filter)
{
	*q = *filter;
	q->len = 0;
	q->sql[0] = '\0';
}

struct rctx {
	struct kc_db *db;
	const struct kc_params *p;
	int64_t now;
	json_t *rep;
	char *err;
	size_t errlen;
	int64_t page, page_size;
};

static const char *param(struct rctx *c, const char *name)
{
	const char *v = c->p->get(c->p->ctx, name);

	if (v && !*v)
		return NULL;
	if (v)
		json_object_set_new(json_object_get(c->rep, "params"), name, json_string(v));
	return v;
}

static int bad(struct rctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(struct rctx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int param_time(struct rctx *c, const char *name, int64_t *out)
{
	const char *v = param(c, name);

	if (!v)
		return 0;
	if (kc_time_parse(v, out) < 0)
		return bad(c, "parameter \"%s\": \"%.40s\" is not a time like 2026-11-22 or 2026-11-22T21:03:04Z",
			   name, v);
	return 1;
}

static int param_int(struct rctx *c, const char *name, long long min, long long max, int64_t *out)
{
	const char *v = param(c, name);
	long long n;

	if (!v)
		return 0;
	if (kc_parse_long(v, min, max, &n) < 0)
		return bad(c, "parameter \"%s\": \"%.40s\" is not a number from %lld to %lld", name, v, min, max);
	*out = n;
	return 1;
}

static int param_name(struct rctx *c, const char *name, const char **out)
{
	const char *v = param(c, name);

	*out = NULL;
	if (v && strlen(v) > 200)
		return bad(c, "parameter \"%s\" is too long", name);
	*out = v;
	return 0;
}

static int paging(struct rctx *c)
{
	c->page = 1;
	c->page_size = 100;
	if (param_int(c, "page", 1, 1000000, &c->page) < 0 ||
	    param_int(c, "page_size", 1, 5000, &c->page_size) < 0)
		return -EINVAL;
	return 0;
}

static json_t *section(struct rctx *c, const char *name, const char *en, const char *zh,
		       const struct col *cols)
{
	json_t *sec = json_pack("{s:s, s:s, s:s, s:[], s:[]}", "name", name, "title_en", en, "title_zh",
				zh, "columns", "rows");
	json_t *jc = json_object_get(sec, "columns");

	for (const struct col *k = cols; k->name; k++)
		json_array_append_new(jc, json_pack("{s:s, s:s, s:s}", "name", k->name, "en", k->en, "zh", k->zh));
	json_array_append_new(json_object_get(c->rep, "sections"), sec);
	return sec;
}

static json_t *cell(sqlite3_stmt *st, int i, char type)
{
	char buf[KC_TIME_LEN];

	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return json_null();
	if (type == 't') {
		kc_time_format(sqlite3_column_int64(st, i), buf, sizeof(buf));
		return json_string(buf);
	}
	if (type == 'b')
		return json_boolean(sqlite3_column_int(st, i));
	if (type == 'j') {
		json_t *v = json_loads((const char *)sqlite3_column_text(st, i), JSON_DECODE_ANY, NULL);

		return v ? v : json_null();
	}
	return kc_column_json(st, i);
}

/* Runs q and appends its rows (one column per col) to sec. */
static int fill(struct rctx *c, json_t *sec, const struct query *q, const struct col *cols)
{
	sqlite3_stmt *st = q_prepare(c->db, q);
	json_t *rows = json_object_get(sec, "rows");
	int rc, ncols = 0;

	if (!st)
		return -EIO;
	while (cols[ncols].name)
		ncols++;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_array();

		for (int i = 0; i < ncols; i++)
			json_array_append_new(row, cell(st, i, cols[i].type));
		json_array_append_new(rows, row);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static int64_t count(struct rctx *c, const struct query *q)
{
	sqlite3_stmt *st = q_prepare(c->db, q);
	int64_t n = -EIO;

	if (!st)
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static void set_paging(struct rctx *c, json_t *sec, int64_t total)
{
	json_object_set_new(sec, "total", json_integer(total));
	json_object_set_new(sec, "page", json_integer(c->page));
	json_object_set_new(sec, "page_size", json_integer(c->page_size));
}

/* ---- 1. key log ---- */

static const struct col keylog_cols[] = {
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

static int report_keylog(struct rctx *c)
{
	static const char *eq[] = { "cabinet", "key", "unit", "person", "kind", "type", "actor", "site" };
	struct query where = { 0 }, q = { 0 }, cq = { 0 };
	int64_t from = 0, to = 0;
	int hf, ht, desc = 0;
	const char *order;
	json_t *sec;
	int64_t total;

	if (paging(c) < 0 || (hf = param_time(c, "from", &from)) < 0 || (ht = param_time(c, "to", &to)) < 0)
		return -EINVAL;
	order = param(c, "order");
	if (order && strcmp(order, "desc") != 0 && strcmp(order, "asc") != 0)
		return bad(c, "parameter \"order\" must be asc or desc");
	desc = order && strcmp(order, "desc") == 0;
	q_add(&where, " WHERE 1");
	for (size_t i = 0; i < KC_ARRAY_SIZE(eq); i++) {
		const char *v = NULL;
		char frag[40];

		if (param_name(c, eq[i], &v) < 0)
			return -EINVAL;
		if (!v)
			continue;
		if (strcmp(eq[i], "unit") == 0) {
			/* A unit's log includes the events of its keys that name
			 * only the key (IDs held, release taken) or only the slot. */
			q_str(&where, " AND (unit = ?", v);
			q_str(&where, " OR (unit IS NULL AND (key IN (SELECT k.key FROM keys k WHERE"
				      " k.cabinet = events.cabinet AND k.unit = ?)", v);
			q_str(&where, " OR (key IS NULL AND slot IN (SELECT k.slot FROM keys k WHERE"
				      " k.cabinet = events.cabinet AND k.unit = ?)))))", v);
			continue;
		}
		snprintf(frag, sizeof(frag), " AND %s = ?", eq[i]);
		q_str(&where, frag, v);
	}
	if (hf)
		q_int(&where, " AND ts_ms >= ?", from);
	if (ht)
		q_int(&where, " AND ts_ms < ?", to);
	/* the same WHERE for the rows and the count */
	q_from(&q, &where);
	q_add(&q, "SELECT ts_ms, cabinet, seq, type, actor, person, key, kind, unit, site, slot, ");
	q_add(&q, why_sql);
	q_add(&q, ", json_extract(body, '$.data') FROM events");
	q_add(&q, where.sql);
	q_add(&q, desc ? " ORDER BY ts_ms DESC, cabinet DESC, seq DESC" : " ORDER BY ts_ms, cabinet, seq");
	q_int(&q, " LIMIT ?", c->page_size);
	q_int(&q, " OFFSET ?", (c->page - 1) * c->page_size);
	q_from(&cq, &where);
	q_add(&cq, "SELECT count(*) FROM events");
	q_add(&cq, where.sql);
	sec = section(c, "events", "Events", "事件", keylog_cols);
	if (fill(c, sec, &q, keylog_cols) < 0 || (total = count(c, &cq)) < 0)
		return -EIO;
	set_paging(c, sec, total);
	return 0;
}

/* Filters shared by several reports: site (on column col) and cabinet. */
static int site_cabinet(struct rctx *c, struct query *q, const char *site_col, const char **site,
			const char **cabinet)
{
	char frag[80];

	if (param_name(c, "site", site) < 0 || param_name(c, "cabinet", cabinet) < 0)
		return -EINVAL;
	if (*site && site_col) {
		snprintf(frag, sizeof(frag), " AND %s = ?", site_col);
		q_str(q, frag, *site);
	}
	if (*cabinet)
		q_str(q, " AND cabinet = ?", *cabinet);
	return 0;
}

/* ---- 2. now ---- */

static const struct col loan_cols[] = {
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "loan", "Loan", "借用单", 's' },
	{ "key", "Key", "钥匙", 's' },		{ "kind", "Kind", "类别", 's' },
	{ "unit", "Unit", "房号", 's' },		{ "site", "Site", "项目", 's' },
	{ "person", "Borrower", "借用人", 's' },	{ "actor", "Released by", "经手人", 's' },
	{ "purpose", "Purpose", "用途", 's' },	{ "out", "Out since", "借出时间", 't' },
	{ "due", "Due", "应还时间", 't' },	{ "overdue", "Overdue", "逾期", 'b' },
	{ "contact", "Contact", "联系方式", 's' },	{ "signature", "Signature ref.", "签字确认", 's' },
	{ NULL, NULL, NULL, 0 },
};
static const struct col id_cols[] = {
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "loan", "Loan", "借用单", 's' },
	{ "person", "Borrower", "借用人", 's' },	{ "key", "Key", "钥匙", 's' },
	{ "site", "Site", "项目", 's' },		{ "id_type", "ID type", "证件类型", 's' },
	{ "id_masked", "ID (masked)", "证件号(遮蔽)", 's' }, { "held", "Held since", "留存时间", 't' },
	{ NULL, NULL, NULL, 0 },
};
static const struct col alarm_cols[] = {
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "alarm", "Alarm", "报警", 's' },
	{ "alarm_type", "Type", "类型", 's' },	{ "key", "Key", "钥匙", 's' },
	{ "slot", "Slot", "钥匙位", 's' },	{ "unit", "Unit", "房号", 's' },
	{ "site", "Site", "项目", 's' },		{ "detail", "Detail", "详情", 's' },
	{ "raised", "Raised", "报警时间", 't' },	{ NULL, NULL, NULL, 0 },
};
static const struct col ingest_alarm_cols[] = {
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "kind", "Problem", "问题", 's' },
	{ "seq", "Event", "事件序号", 's' },	{ "message", "Message", "说明", 's' },
	{ "raised", "Raised", "时间", 't' },	{ "repeats", "Repeats", "重复次数", 's' },
	{ "cleared", "Cleared", "解除时间", 't' },	{ NULL, NULL, NULL, 0 },
};
static const struct col cabinet_cols[] = {
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "keys_out", "Keys out", "借出", 's' },
	{ "overdue", "Overdue", "逾期", 's' },	{ "ids_held", "IDs held", "留存证件", 's' },
	{ "open_alarms", "Open alarms", "未处理报警", 's' }, { "link", "Audit link", "上传状态", 's' },
	{ "last_seq", "Last event", "最新事件", 's' },	{ "last_seen", "Last seen", "最近联系", 't' },
	{ NULL, NULL, NULL, 0 },
};

static int report_now(struct rctx *c)
{
	struct query f = { 0 }, q;
	const char *site = NULL, *cab = NULL;
	json_t *sec;

	if (site_cabinet(c, &f, "site", &site, &cab) < 0)
		return -EINVAL;

	q = f;
	q.len = 0;
	q_add(&q, "SELECT c.id,"
		  " (SELECT count(*) FROM loans l WHERE l.cabinet = c.id AND l.state IN ('granted', 'out')"
		  "  AND (?1 IS NULL OR l.site = ?1)),"
		  " (SELECT count(*) FROM loans l WHERE l.cabinet = c.id AND l.state IN ('granted', 'out')"
		  "  AND l.due_ms < ?3 AND (?1 IS NULL OR l.site = ?1)),"
		  " (SELECT count(*) FROM ids_held i WHERE i.cabinet = c.id AND i.released_ms IS NULL"
		  "  AND (?1 IS NULL OR i.site = ?1)),"
		  " (SELECT count(*) FROM alarms a WHERE a.cabinet = c.id AND a.cleared_ms IS NULL"
		  "  AND (?1 IS NULL OR a.site = ?1)),"
		  /* stuck: the service refuses the cabinet's events (an open link alarm) */
		  " coalesce((SELECT 'stuck: ' || ia.kind FROM ingest_alarms ia WHERE ia.cabinet = c.id"
		  "  AND ia.cleared_ms IS NULL AND ia.kind IN ('gap', 'chain_break', 'conflict') ORDER BY ia.id"
		  "  LIMIT 1), 'ok'),"
		  " c.last_seq, c.last_seen_ms FROM cabinets c WHERE (?2 IS NULL OR c.id = ?2)"
		  " AND (?1 IS NULL OR c.id IN (SELECT cabinet FROM keys WHERE site = ?1)) ORDER BY c.id");
	q.n = 0;
	q.args[q.n].is_int = 0;
	q.args[q.n++].s = site;
	q.args[q.n].is_int = 0;
	q.args[q.n++].s = cab;
	q.args[q.n].is_int = 1;
	q.args[q.n++].i = c->now;
	sec = section(c, "cabinets", "Per cabinet", "各钥匙柜", cabinet_cols);
	if (fill(c, sec, &q, cabinet_cols) < 0)
		return -EIO;

	q = f;
	q.len = 0;
	q_add(&q, "SELECT cabinet, loan, key, kind, unit, site, person, actor, purpose, out_ms, due_ms,"
		  " (overdue OR due_ms < ?), contact, signature FROM loans WHERE state IN ('granted', 'out')");
	q.n = 0;
	q_int(&q, "", c->now);
	for (int i = 0; i < f.n; i++)
		q.args[q.n++] = f.args[i];
	q_add(&q, f.sql);
	q_add(&q, " ORDER BY due_ms, cabinet, loan");
	sec = section(c, "keys_out", "Keys out", "借出钥匙", loan_cols);
	if (fill(c, sec, &q, loan_cols) < 0)
		return -EIO;

	/* The same bound values as keys_out: now, then the filter's. */
	q.len = 0;
	q.sql[0] = '\0';
	q_add(&q, "SELECT cabinet, loan, key, kind, unit, site, person, actor, purpose, out_ms, due_ms,"
		  " 1, contact, signature FROM loans WHERE state IN ('granted', 'out') AND due_ms < ?");
	q_add(&q, f.sql);
	q_add(&q, " ORDER BY due_ms, cabinet, loan");
	sec = section(c, "overdue", "Overdue keys", "逾期未还", loan_cols);
	if (fill(c, sec, &q, loan_cols) < 0)
		return -EIO;

	q_from(&q, &f);
	q_add(&q, "SELECT cabinet, loan, person, key, site, id_type, id_masked, held_ms FROM ids_held"
		  " WHERE released_ms IS NULL");
	q_add(&q, f.sql);
	q_add(&q, " ORDER BY held_ms");
	sec = section(c, "ids_held", "IDs held", "留存证件", id_cols);
	if (fill(c, sec, &q, id_cols) < 0)
		return -EIO;

	/* The same bound values as ids_held: the filter's. */
	q.len = 0;
	q.sql[0] = '\0';
	q_add(&q, "SELECT cabinet, alarm, alarm_type, key, slot, unit, site, detail, raised_ms FROM alarms"
		  " WHERE cleared_ms IS NULL");
	q_add(&q, f.sql);
	q_add(&q, " ORDER BY raised_ms");
	sec = section(c, "alarms", "Open alarms", "未处理报警", alarm_cols);
	if (fill(c, sec, &q, alarm_cols) < 0)
		return -EIO;

	memset(&q, 0, sizeof(q));
	q_add(&q, "SELECT cabinet, kind, seq, message, raised_ms, repeats, cleared_ms FROM ingest_alarms WHERE 1");
	if (cab)
		q_str(&q, " AND cabinet = ?", cab);
	if (site)
		q_str(&q, " AND cabinet IN (SELECT cabinet FROM keys WHERE site = ?)", site);
	q_add(&q, " ORDER BY cleared_ms IS NULL DESC, raised_ms DESC LIMIT 100");
	sec = section(c, "ingest_alarms", "Ingest alarms: refused batches and events left out of the reports", "接收告警", ingest_alarm_cols);
	return fill(c, sec, &q, ingest_alarm_cols);
}

/* ---- 3. entrustments ---- */

static const struct col ent_cols[] = {
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "entrustment", "Entrustment", "托管单", 's' },
	{ "key", "Key", "钥匙", 's' },		{ "unit", "Unit", "房号", 's' },
	{ "site", "Site", "项目", 's' },		{ "owner", "Owner", "业主", 's' },
	{ "owner_name", "Owner name", "业主姓名", 's' }, { "start", "Start", "开始", 't' },
	{ "end", "End", "到期", 't' },		{ "notices", "Notices", "通知次数", 's' },
	{ NULL, NULL, NULL, 0 },
};
static const struct col notice_cols[] = {
	{ "notice_id", "Notice", "通知", 's' },	{ "created", "Created", "生成时间", 't' },
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "type", "Event", "事件", 's' },
	{ "stage", "Stage", "阶段", 's' },	{ "entrustment", "Entrustment", "托管单", 's' },
	{ "key", "Key", "钥匙", 's' },		{ "unit", "Unit", "房号", 's' },
	{ "site", "Site", "项目", 's' },		{ "text_zh", "Text (zh)", "内容", 's' },
	{ "webhook", "Webhook", "推送地址", 's' }, { "state", "Delivery", "送达状态", 's' },
	{ "attempts", "Attempts", "尝试次数", 's' }, { "last_error", "Last error", "最近错误", 's' },
	{ "delivered", "Delivered", "送达时间", 't' }, { NULL, NULL, NULL, 0 },
};

static int report_entrustments(struct rctx *c)
{
	struct query f = { 0 }, q, nf = { 0 };
	const char *site = NULL, *cab = NULL, *type = NULL;
	int64_t days = 30, from = 0, to = 0, total;
	int hf, ht;
	json_t *sec;
	static const char ent_sql[] =
		"SELECT cabinet, entrustment, key, unit, site, owner, owner_name, start_ms, end_ms,"
		" (SELECT count(*) FROM notices n WHERE n.cabinet = e.cabinet AND n.entrustment = e.entrustment)"
		" FROM entrustments e WHERE closed_ms IS NULL";

	if (site_cabinet(c, &f, "site", &site, &cab) < 0 || param_int(c, "days", 0, 3650, &days) < 0 ||
	    paging(c) < 0 || (hf = param_time(c, "from", &from)) < 0 || (ht = param_time(c, "to", &to)) < 0 ||
	    param_name(c, "type", &type) < 0)
		return -EINVAL;
	json_object_set_new(json_object_get(c->rep, "params"), "days", json_integer(days));

	memset(&q, 0, sizeof(q));
	q_add(&q, ent_sql);
	q_int(&q, " AND end_ms >= ?", c->now);
	q_int(&q, " AND end_ms < ?", c->now + days * 86400000);
	if (site)
		q_str(&q, " AND site = ?", site);
	if (cab)
		q_str(&q, " AND cabinet = ?", cab);
	q_add(&q, " ORDER BY end_ms");
	sec = section(c, "expiring", "Expiring", "即将到期", ent_cols);
	if (fill(c, sec, &q, ent_cols) < 0)
		return -EIO;

	memset(&q, 0, sizeof(q));
	q_add(&q, ent_sql);
	q_int(&q, " AND end_ms < ?", c->now);
	if (site)
		q_str(&q, " AND site = ?", site);
	if (cab)
		q_str(&q, " AND cabinet = ?", cab);
	q_add(&q, " ORDER BY end_ms");
	sec = section(c, "expired", "Expired, not collected", "已到期未领取", ent_cols);
	if (fill(c, sec, &q, ent_cols) < 0)
		return -EIO;

	q_add(&nf, " WHERE 1");
	if (site)
		q_str(&nf, " AND n.site = ?", site);
	if (cab)
		q_str(&nf, " AND n.cabinet = ?", cab);
	if (type)
		q_str(&nf, " AND n.type = ?", type);
	if (hf)
		q_int(&nf, " AND n.created_ms >= ?", from);
	if (ht)
		q_int(&nf, " AND n.created_ms < ?", to);
	q_from(&q, &nf);
	q_add(&q, "SELECT n.id, n.created_ms, n.cabinet, n.type, n.stage, n.entrustment, n.key, n.unit,"
		  " n.site, n.text_zh, d.webhook, coalesce(d.state, 'no webhook'), d.attempts, d.last_error,"
		  " d.delivered_ms FROM notices n LEFT JOIN deliveries d ON d.notice_id = n.id");
	q_add(&q, nf.sql);
	q_add(&q, " ORDER BY n.created_ms, n.id, d.id");
	q_int(&q, " LIMIT ?", c->page_size);
	q_int(&q, " OFFSET ?", (c->page - 1) * c->page_size);
	sec = section(c, "notices", "Notices and their delivery", "通知及送达", notice_cols);
	if (fill(c, sec, &q, notice_cols) < 0)
		return -EIO;
	q_from(&q, &nf);
	q_add(&q, "SELECT count(*) FROM notices n LEFT JOIN deliveries d ON d.notice_id = n.id");
	q_add(&q, nf.sql);
	if ((total = count(c, &q)) < 0)
		return -EIO;
	set_paging(c, sec, total);
	return 0;
}

/* ---- 4. vacant-unit inspections (rule 5) ---- */

static const struct col vsite_cols[] = {
	{ "site", "Site", "项目", 's' },		{ "name", "Name", "名称", 's' },
	{ "age", "New/old", "新/老项目", 's' },	{ "target_pct", "Target %", "目标抽查率%", 's' },
	{ "vacant", "Vacant units", "空置房数", 's' }, { "inspected", "Inspected", "已检查", 's' },
	{ "coverage_pct", "Coverage %", "抽查率%", 's' }, { "target_met", "Target met", "达标", 'b' },
	{ "not_inspected", "Not inspected", "未检查", 's' }, { "problems", "Problems", "发现问题", 's' },
	{ "forwarded", "Forwarded", "已转呈", 's' }, { "overdue", "Overdue loans", "逾期借用", 's' },
	{ NULL, NULL, NULL, 0 },
};
static const struct col vunit_cols[] = {
	{ "site", "Site", "项目", 's' },		{ "unit", "Unit", "房号", 's' },
	{ "building", "Building", "楼栋", 's' },	{ "room", "Room", "房间", 's' },
	{ NULL, NULL, NULL, 0 },
};
static const struct col vinsp_cols[] = {
	{ "site", "Site", "项目", 's' },		{ "unit", "Unit", "房号", 's' },
	{ "ts", "Inspected", "检查时间", 't' },	{ "inspector", "Inspector", "检查人", 's' },
	{ "key", "Key", "钥匙", 's' },		{ "result", "Result", "结果", 's' },
	{ "problems", "Problems", "问题", 's' },	{ "forwarded_to", "Forwarded to", "转呈部门", 's' },
	{ "actor", "Recorded by", "登记人", 's' },	{ NULL, NULL, NULL, 0 },
};
static const struct col voverdue_cols[] = {
	{ "site", "Site", "项目", 's' },		{ "unit", "Unit", "房号", 's' },
	{ "key", "Key", "钥匙", 's' },		{ "person", "Borrower", "借用人", 's' },
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "loan", "Loan", "借用单", 's' },
	{ "out", "Out", "借出", 't' },		{ "due", "Due", "应还", 't' },
	{ "returned", "Returned", "归还", 't' },	{ NULL, NULL, NULL, 0 },
};

/* Vacant units of the month: vacant at any time in [?1, ?2) at site ?3. */
#define VACANT_UNITS \
	"SELECT DISTINCT site, unit FROM vacancies WHERE from_ms < ?2 AND (to_ms IS NULL OR to_ms > ?1)" \
	" AND (?3 IS NULL OR site = ?3)"
#define OVERDUE_LOANS \
	"SELECT site, unit, key, person, cabinet, loan, out_ms, due_ms, returned_ms FROM loans INDEXED BY loans_insp" \
	" WHERE kind = 'vacant' AND purpose = 'inspection' AND out_ms >= ?1 AND out_ms < ?2" \
	" AND (?3 IS NULL OR site = ?3) AND state <> 'not_taken'" \
	" AND (overdue OR returned_ms > due_ms OR (returned_ms IS NULL AND due_ms < ?4))"

/* Runs q (rows whose first column is the site) into rows, and counts
 * them per site into member a of the site objects; with b, also counts
 * the rows whose column bcol is a non-empty string. */
static int list_and_count(struct rctx *c, const struct query *q, const struct col *cols, json_t *rows,
			  json_t *sites, const char *a, const char *b, int bcol)
{
	sqlite3_stmt *st = q_prepare(c->db, q);
	int rc, ncols = 0;

	if (!st)
		return -EIO;
	while (cols[ncols].name)
		ncols++;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *srow = json_object_get(sites, (const char *)sqlite3_column_text(st, 0));
		json_t *row = json_array();

		for (int i = 0; i < ncols; i++)
			json_array_append_new(row, cell(st, i, cols[i].type));
		json_array_append_new(rows, row);
		if (!srow)
			continue;
		json_object_set_new(srow, a, json_integer(json_integer_value(json_object_get(srow, a)) + 1));
		if (b && sqlite3_column_bytes(st, bcol) > 0)
			json_object_set_new(srow, b, json_integer(json_integer_value(json_object_get(srow, b)) + 1));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static void vq(struct query *q, const char *sql, int64_t start, int64_t end, const char *site, int64_t now)
{
	memset(q, 0, sizeof(*q));
	q_int(q, sql, start);
	q_int(q, "", end);
	q_str(q, "", site);
	if (strstr(sql, "?4"))
		q_int(q, "", now);
}

static int report_vacant(struct rctx *c)
{
	const char *month, *site = NULL, *key;
	int y, m, n = 0, rc;
	int64_t start, end, total;
	char buf[KC_TIME_LEN];
	struct query q;
	json_t *sec, *sites = NULL, *ni_sec = NULL, *val, *problems = NULL, *overdue = NULL;
	sqlite3_stmt *st;

	month = param(c, "month");
	if (param_name(c, "site", &site) < 0 || paging(c) < 0)
		return -EINVAL;
	if (!month) {
		kc_time_format(c->now, buf, sizeof(buf));
		buf[7] = '\0';
		month = buf;
		json_object_set_new(json_object_get(c->rep, "params"), "month", json_string(buf));
	}
	if (sscanf(month, "%4d-%2d%n", &y, &m, &n) != 2 || n != 7 || month[7] || m < 1 || m > 12 || y < 1970)
		return bad(c, "parameter \"month\": \"%.20s\" is not a month like 2026-11", month);
	snprintf(buf, sizeof(buf), "%04d-%02d-01", y % 10000, m);
	kc_time_parse(buf, &start);
	snprintf(buf, sizeof(buf), "%04d-%02d-01", (m == 12 ? y + 1 : y) % 10000, m == 12 ? 1 : m + 1);
	kc_time_parse(buf, &end);

	/* One pass over the month's vacant units, each with whether it was
	 * inspected; the per-site figures are summed here. */
	sites = json_object();
	vq(&q, "SELECT site, name, age FROM sites WHERE (?3 IS NULL OR site = ?3) ORDER BY site", start, end, site,
	   c->now);
	if (!(st = q_prepare(c->db, &q)))
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *age = (const char *)sqlite3_column_text(st, 2);

		json_object_set_new(sites, (const char *)sqlite3_column_text(st, 0),
				    json_pack("{s:o, s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "name", kc_column_json(st, 1),
					      "age", age, "target", strcmp(age, "new") == 0 ? 80 : 100, "nv", 0, "ni", 0,
					      "problems", 0, "forwarded", 0, "overdue", 0));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;

	ni_sec = json_pack("{s:s, s:s, s:s, s:[], s:[]}", "name", "not_inspected", "title_en",
			   "Vacant units not yet inspected", "title_zh", "未检查的空置房", "columns", "rows");
	vq(&q, "SELECT v.site, v.unit, u.building, u.room, EXISTS (SELECT 1 FROM inspections x"
	       " WHERE x.site = v.site AND x.unit = v.unit AND x.ts_ms >= ?1 AND x.ts_ms < ?2)"
	       " FROM (" VACANT_UNITS ") v LEFT JOIN units u USING (site, unit) ORDER BY v.site, v.unit",
	   start, end, site, c->now);
	if (!(st = q_prepare(c->db, &q)))
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *srow = json_object_get(sites, (const char *)sqlite3_column_text(st, 0));
		int inspected = sqlite3_column_int(st, 4);

		if (srow) {
			json_object_set_new(srow, "nv", json_integer(json_integer_value(json_object_get(srow, "nv")) + 1));
			if (inspected)
				json_object_set_new(srow, "ni",
						    json_integer(json_integer_value(json_object_get(srow, "ni")) + 1));
		}
		if (!inspected)
			json_array_append_new(json_object_get(ni_sec, "rows"),
					      json_pack("[o, o, o, o]", kc_column_json(st, 0), kc_column_json(st, 1),
							kc_column_json(st, 2), kc_column_json(st, 3)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		goto fail;

	problems = json_array();
	overdue = json_array();
	vq(&q, "SELECT site, unit, ts_ms, inspector, key, result, problems, forwarded_to, actor FROM inspections"
	       " INDEXED BY inspections_problems WHERE ts_ms >= ?1 AND ts_ms < ?2 AND (?3 IS NULL OR site = ?3)"
	       " AND result = 'problems' ORDER BY site, ts_ms",
	   start, end, site, c->now);
	if (list_and_count(c, &q, vinsp_cols, problems, sites, "problems", "forwarded", 7) < 0)
		goto fail;
	vq(&q, OVERDUE_LOANS " ORDER BY site, out_ms", start, end, site, c->now);
	if (list_and_count(c, &q, voverdue_cols, overdue, sites, "overdue", NULL, 0) < 0)
		goto fail;

	sec = section(c, "sites", "Per site", "各项目", vsite_cols);
	json_object_foreach(sites, key, val) {
		json_int_t nv = json_integer_value(json_object_get(val, "nv"));
		json_int_t ni = json_integer_value(json_object_get(val, "ni"));
		json_int_t target = json_integer_value(json_object_get(val, "target"));

		json_array_append_new(json_object_get(sec, "rows"),
				      json_pack("[s, O, O, I, I, I, o, b, I, O, O, O]", key, json_object_get(val, "name"),
						json_object_get(val, "age"), target, nv, ni,
						nv ? json_real(floor(1000.0 * (double)ni / (double)nv + 0.5) / 10) : json_null(),
						nv == 0 || 100 * ni >= target * nv, nv - ni, json_object_get(val, "problems"),
						json_object_get(val, "forwarded"), json_object_get(val, "overdue")));
	}
	json_decref(sites);
	sites = NULL;
	sec = section(c, "not_inspected", "Vacant units not yet inspected", "未检查的空置房", vunit_cols);
	json_object_set(sec, "rows", json_object_get(ni_sec, "rows"));
	json_decref(ni_sec);
	ni_sec = NULL;

	vq(&q, "SELECT site, unit, ts_ms, inspector, key, result, problems, forwarded_to, actor FROM inspections"
	       " INDEXED BY inspections_ts WHERE ts_ms >= ?1 AND ts_ms < ?2 AND (?3 IS NULL OR site = ?3)"
	       " ORDER BY site, ts_ms",
	   start, end, site, c->now);
	q_int(&q, " LIMIT ?", c->page_size);
	q_int(&q, " OFFSET ?", (c->page - 1) * c->page_size);
	sec = section(c, "inspections", "Inspections", "检查记录", vinsp_cols);
	if (fill(c, sec, &q, vinsp_cols) < 0)
		goto fail;
	vq(&q, "SELECT count(*) FROM inspections INDEXED BY inspections_ts WHERE ts_ms >= ?1 AND ts_ms < ?2 AND (?3 IS NULL OR site = ?3)",
	   start, end, site, c->now);
	if ((total = count(c, &q)) < 0)
		goto fail;
	set_paging(c, sec, total);

	sec = section(c, "problems", "Problems found and where forwarded", "发现的问题及转呈", vinsp_cols);
	json_object_set_new(sec, "rows", problems);
	sec = section(c, "overdue", "Inspection loans that ran overdue", "逾期归还的检查借用", voverdue_cols);
	json_object_set_new(sec, "rows", overdue);
	return 0;
fail:
	json_decref(sites);
	json_decref(ni_sec);
	json_decref(problems);
	json_decref(overdue);
	return -EIO;
}

/* ---- 5. handovers (rule 12) ---- */

static const struct col ho_cols[] = {
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "handover", "Handover", "交接单", 's' },
	{ "started", "Handed over", "交班时间", 't' }, { "outgoing", "Outgoing", "交班人", 's' },
	{ "incoming", "Incoming", "接班人", 's' },	{ "confirmed", "Confirmed", "接班确认", 't' },
	{ "keys_out", "Keys out", "借出钥匙", 'j' }, { "ids_held", "IDs held", "留存证件", 'j' },
	{ "alarms", "Open alarms", "未处理报警", 'j' }, { "reviewed_by", "Reviewed by", "审阅人", 's' },
	{ "reviewed", "Reviewed", "审阅时间", 't' }, { "review_note", "Note", "审阅意见", 's' },
	{ NULL, NULL, NULL, 0 },
};

static int report_handovers(struct rctx *c)
{
	struct query f = { 0 }, q;
	const char *site = NULL, *cab = NULL, *unrev;
	int64_t from = 0, to = 0, total;
	int hf, ht;
	json_t *sec;

	if (paging(c) < 0 || param_name(c, "site", &site) < 0 || param_name(c, "cabinet", &cab) < 0 ||
	    (hf = param_time(c, "from", &from)) < 0 || (ht = param_time(c, "to", &to)) < 0)
		return -EINVAL;
	unrev = param(c, "unreviewed");
	q_add(&f, " WHERE 1");
	if (site)
		q_str(&f, " AND cabinet IN (SELECT cabinet FROM keys WHERE site = ?)", site);
	if (cab)
		q_str(&f, " AND cabinet = ?", cab);
	if (hf)
		q_int(&f, " AND started_ms >= ?", from);
	if (ht)
		q_int(&f, " AND started_ms < ?", to);
	if (unrev && strcmp(unrev, "0") != 0)
		q_add(&f, " AND reviewed_ms IS NULL");
	q_from(&q, &f);
	q_add(&q, "SELECT cabinet, handover, started_ms, outgoing, incoming, confirmed_ms, keys_out, ids_held,"
		  " alarms, reviewed_by, reviewed_ms, review_note FROM handovers");
	q_add(&q, f.sql);
	q_add(&q, " ORDER BY started_ms DESC, cabinet, handover");
	q_int(&q, " LIMIT ?", c->page_size);
	q_int(&q, " OFFSET ?", (c->page - 1) * c->page_size);
	sec = section(c, "handovers", "Handover sheets", "交接班记录", ho_cols);
	if (fill(c, sec, &q, ho_cols) < 0)
		return -EIO;
	q_from(&q, &f);
	q_add(&q, "SELECT count(*) FROM handovers");
	q_add(&q, f.sql);
	if ((total = count(c, &q)) < 0)
		return -EIO;
	set_paging(c, sec, total);
	q_from(&q, &f);
	q_add(&q, "SELECT count(*) FROM handovers");
	q_add(&q, f.sql);
	q_add(&q, " AND reviewed_ms IS NULL");
	if ((total = count(c, &q)) < 0)
		return -EIO;
	json_object_set_new(sec, "unreviewed", json_integer(total));
	return 0;
}

int kc_handover_review_check(struct kc_db *db, const char *cabinet, int64_t handover)
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

/* ---- 6. chain verification ---- */

static const struct col chain_cols[] = {
	{ "cabinet", "Cabinet", "钥匙柜", 's' },	{ "head", "Last event", "最新事件", 's' },
	{ "checked", "Events checked", "已校验", 's' }, { "status", "Status", "结果", 's' },
	{ "bad_seq", "First bad event", "首个异常事件", 's' }, { "message", "Message", "说明", 's' },
	{ NULL, NULL, NULL, 0 },
};

static int report_chain(struct rctx *c)
{
	struct query q = { 0 };
	const char *cab = NULL;
	sqlite3_stmt *st;
	json_t *sec, *rows;
	int rc, r = 0;

	if (param_name(c, "cabinet", &cab) < 0)
		return -EINVAL;
	q_str(&q, "SELECT id, last_seq FROM cabinets WHERE (?1 IS NULL OR id = ?1) ORDER BY id", cab);
	st = q_prepare(c->db, &q);
	if (!st)
		return -EIO;
	sec = section(c, "chains", "Stored chains", "日志链", chain_cols);
	rows = json_object_get(sec, "rows");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		int64_t checked = 0, bad_seq = 0;
		char msg[300];

		r = kc_chain_verify(c->db, id, &checked, &bad_seq, msg, sizeof(msg));
		if (r < 0)
			break;
		json_array_append_new(rows, json_pack("[s, I, I, s, o, s]", id,
						      (json_int_t)sqlite3_column_int64(st, 1),
						      (json_int_t)checked, r ? "broken" : "intact",
						      r ? json_integer(bad_seq) : json_null(), r ? msg : ""));
		r = 0;
	}
	sqlite3_finalize(st);
	if (r < 0 || rc != SQLITE_DONE)
		return -EIO;
	if (cab && json_array_size(rows) == 0)
		return bad(c, "no cabinet \"%.64s\"", cab);
	return 0;
}

int kc_report_run(struct kc_db *db, const char *name, const struct kc_params *p, int64_t now_ms,
		  json_t **out, char *err, size_t errlen)
{
	static int (*const fns[])(struct rctx *) = { report_keylog, report_now, report_entrustments,
						      report_vacant, report_handovers, report_chain };
	char gen[KC_TIME_LEN];
	struct rctx c = { db, p, now_ms, NULL, err, errlen, 1, 100 };
	int r;

	for (size_t i = 0; i < KC_ARRAY_SIZE(fns); i++) {
		if (strcmp(name, kc_reports[i].name) != 0)
			continue;
		kc_time_format(now_ms, gen, sizeof(gen));
		c.rep = json_pack("{s:s, s:s, s:s, s:s, s:{}, s:[]}", "report", name, "title_en",
				  kc_reports[i].title_en, "title_zh", kc_reports[i].title_zh, "generated",
				  gen, "params", "sections");
		if (!c.rep)
			return -ENOMEM;
		/* one snapshot for all sections of the report */
		if (kc_db_exec(db, "BEGIN") < 0) {
			json_decref(c.rep);
			return -EIO;
		}
		r = fns[i](&c);
		kc_db_exec(db, "COMMIT");
		if (r < 0) {
			json_decref(c.rep);
			return r;
		}
		*out = c.rep;
		return 0;
	}
	snprintf(err, errlen, "no report \"%.40s\"", name);
	return -ENOENT;
}

/* ---- renderings ---- */

char *kc_render_json(const json_t *report)
{
	json_t *copy = json_deep_copy(report), *sec;
	size_t i;
	char *out;

	if (!copy)
		return NULL;
	json_array_foreach(json_object_get(copy, "sections"), i, sec) {
		json_t *cols = json_object_get(sec, "columns"), *rows = json_object_get(sec, "rows");
		json_t *objs = json_array(), *row;
		size_t j;

		json_array_foreach(rows, j, row) {
			json_t *o = json_object();
			json_t *cv;
			size_t k;

			json_array_foreach(cols, k, cv)
				json_object_set(o, json_string_value(json_object_get(cv, "name")),
						json_array_get(row, k));
			json_array_append_new(objs, o);
		}
		json_object_set_new(sec, "rows", objs);
	}
	out = json_dumps(copy, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(copy);
	return out;
}

static void csv_field(struct sbuf *b, const json_t *v)
{
	char num[32];
	char *dump = NULL;
	const char *s;

	if (json_is_null(v) || !v)
		return;
	if (json_is_string(v)) {
		s = json_string_value(v);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		s = num;
	} else if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%.1f", json_real_value(v));
		s = num;
	} else if (json_is_boolean(v)) {
		s = json_is_true(v) ? "true" : "false";
	} else {
		dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		s = dump ? dump : "";
	}
	/* RFC 4180 quoting; a leading =, +, - or @ is quoted with a ' so a
	 * spreadsheet does not run it as a formula. */
	if (strpbrk(s, ",\"\r\n") || strchr("=+-@", s[0]) != NULL) {
		sbuf_addn(b, "\"", 1);
		if (s[0] && strchr("=+-@", s[0]))
			sbuf_addn(b, "'", 1);
		for (const char *p = s; *p; p++) {
			if (*p == '"')
				sbuf_addn(b, "\"", 1);
			sbuf_addn(b, p, 1);
		}
		sbuf_addn(b, "\"", 1);
	} else {
		sbuf_addn(b, s, strlen(s));
	}
	free(dump);
}

char *kc_render_csv(const json_t *report, const char *section_name)
{
	const json_t *secs = json_object_get(report, "sections"), *sec = NULL, *s, *row, *cv;
	struct sbuf b = { 0 };
	size_t i, j;

	json_array_foreach(secs, i, s) {
		if (!section_name || strcmp(json_string_value(json_object_get(s, "name")), section_name) == 0) {
			sec = s;
			break;
		}
	}
	if (!sec)
		return NULL;
	sbuf_addn(&b, "\xEF\xBB\xBF", 3); /* BOM: spreadsheets then read UTF-8 */
	json_array_foreach(json_object_get(sec, "columns"), j, cv) {
		if (j)
			sbuf_addn(&b, ",", 1);
		csv_field(&b, json_object_get(cv, "name"));
	}
	sbuf_addn(&b, "\r\n", 2);
	json_array_foreach(json_object_get(sec, "rows"), i, row) {
		json_array_foreach(row, j, cv) {
			if (j)
				sbuf_addn(&b, ",", 1);
			csv_field(&b, cv);
		}
		sbuf_addn(&b, "\r\n", 2);
	}
	return sbuf_take(&b);
}
