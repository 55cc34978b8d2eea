/* Now: keys out, overdue, IDs held, open alarms, ingest alarms (report 2). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/reports_impl.h"

/* ---- 2. now ---- */

static const struct kc_report_col loan_cols[] = {
	{ "cabinet", "Cabinet", 's' },	{ "loan", "Loan", 's' },
	{ "key", "Key", 's' },		{ "kind", "Kind", 's' },
	{ "unit", "Unit", 's' },		{ "site", "Site", 's' },
	{ "person", "Borrower", 's' },	{ "actor", "Released by", 's' },
	{ "purpose", "Purpose", 's' },	{ "out", "Out since", 't' },
	{ "due", "Due", 't' },	{ "overdue", "Overdue", 'b' },
	{ "contact", "Contact", 's' },	{ "signature", "Signature ref.", 's' },
	{ NULL, NULL, 0 },
};
static const struct kc_report_col id_cols[] = {
	{ "cabinet", "Cabinet", 's' },	{ "loan", "Loan", 's' },
	{ "person", "Borrower", 's' },	{ "key", "Key", 's' },
	{ "site", "Site", 's' },		{ "id_type", "ID type", 's' },
	{ "id_masked", "ID (masked)", 's' }, { "held", "Held since", 't' },
	{ NULL, NULL, 0 },
};
static const struct kc_report_col alarm_cols[] = {
	{ "cabinet", "Cabinet", 's' },	{ "alarm", "Alarm", 's' },
	{ "alarm_type", "Type", 's' },	{ "key", "Key", 's' },
	{ "slot", "Slot", 's' },	{ "unit", "Unit", 's' },
	{ "site", "Site", 's' },		{ "detail", "Detail", 's' },
	{ "raised", "Raised", 't' },	{ NULL, NULL, 0 },
};
static const struct kc_report_col ingest_alarm_cols[] = {
	{ "cabinet", "Cabinet", 's' },	{ "kind", "Problem", 's' },
	{ "seq", "Event no.", 's' },	{ "message", "Message", 's' },
	{ "raised", "Time", 't' },	{ "repeats", "Repeats", 's' },
	{ "cleared", "Cleared", 't' },	{ NULL, NULL, 0 },
};
static const struct kc_report_col cabinet_cols[] = {
	{ "cabinet", "Cabinet", 's' },	{ "keys_out", "Keys out", 's' },
	{ "overdue", "Overdue", 's' },	{ "ids_held", "IDs held", 's' },
	{ "open_alarms", "Open alarms", 's' }, { "link", "Audit link", 's' },
	{ "last_seq", "Last event", 's' },	{ "last_seen", "Last seen", 't' },
	{ NULL, NULL, 0 },
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
		  " AND (:site IS NULL OR c.id IN (SELECT cabinet FROM keys WHERE site = :site)) ORDER BY c.id");
	kc_query_set_str(&q, ":site", site);
	kc_query_set_str(&q, ":cabinet", cab);
	kc_query_set_int(&q, ":now", c->now);
	sec = kc_report_section(c, "cabinets", "Per cabinet", cabinet_cols);
	if (kc_report_fill(c, sec, &q, cabinet_cols) < 0)
		return -EIO;

	memset(&q, 0, sizeof(q));
	kc_query_int(&q, "SELECT cabinet, loan, key, kind, unit, site, person, actor, purpose, out_ms, due_ms,"
		     " (overdue OR due_ms < ?), contact, signature FROM loans WHERE state IN ('granted', 'out')",
		     c->now);
	kc_query_append(&q, &f);
	kc_query_add(&q, " ORDER BY due_ms, cabinet, loan");
	sec = kc_report_section(c, "keys_out", "Keys out", loan_cols);
	if (kc_report_fill(c, sec, &q, loan_cols) < 0)
		return -EIO;

	memset(&q, 0, sizeof(q));
	kc_query_int(&q, "SELECT cabinet, loan, key, kind, unit, site, person, actor, purpose, out_ms, due_ms,"
		     " 1, contact, signature FROM loans WHERE state IN ('granted', 'out') AND due_ms < ?",
		     c->now);
	kc_query_append(&q, &f);
	kc_query_add(&q, " ORDER BY due_ms, cabinet, loan");
	sec = kc_report_section(c, "overdue", "Overdue keys", loan_cols);
	if (kc_report_fill(c, sec, &q, loan_cols) < 0)
		return -EIO;

	memset(&q, 0, sizeof(q));
	kc_query_add(&q, "SELECT cabinet, loan, person, key, site, id_type, id_masked, held_ms FROM ids_held"
		  " WHERE released_ms IS NULL");
	kc_query_append(&q, &f);
	kc_query_add(&q, " ORDER BY held_ms");
	sec = kc_report_section(c, "ids_held", "IDs held", id_cols);
	if (kc_report_fill(c, sec, &q, id_cols) < 0)
		return -EIO;

	memset(&q, 0, sizeof(q));
	kc_query_add(&q, "SELECT cabinet, alarm, alarm_type, key, slot, unit, site, detail, raised_ms FROM alarms"
		  " WHERE cleared_ms IS NULL");
	kc_query_append(&q, &f);
	kc_query_add(&q, " ORDER BY raised_ms");
	sec = kc_report_section(c, "alarms", "Open alarms", alarm_cols);
	if (kc_report_fill(c, sec, &q, alarm_cols) < 0)
		return -EIO;

	memset(&q, 0, sizeof(q));
	kc_query_add(&q, "SELECT cabinet, kind, seq, message, raised_ms, repeats, cleared_ms FROM ingest_alarms WHERE 1");
	if (cab)
		kc_query_str(&q, " AND cabinet = ?", cab);
	if (site)
		kc_query_str(&q, " AND cabinet IN (SELECT cabinet FROM keys WHERE site = ?)", site);
	kc_query_add(&q, " ORDER BY cleared_ms IS NULL DESC, raised_ms DESC LIMIT 100");
	sec = kc_report_section(c, "ingest_alarms", "Ingest alarms: refused batches and events left out of the reports", ingest_alarm_cols);
	return kc_report_fill(c, sec, &q, ingest_alarm_cols);
}
