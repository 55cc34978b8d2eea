/* Now: keys out, overdue, IDs held, open alarms, ingest alarms (report 2). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/reports_impl.h"
#include "service/office.h"
#include "service/scope.h"

/* ---- 2. now ---- */

static const struct kc_report_col loan_cols[] = {
	{ "cabinet", KC_N_("Cabinet"), 's' },	{ "loan", KC_N_("Loan"), 's' },
	{ "key", KC_N_("Key"), 's' },		{ "kind", KC_N_("Kind"), 's' },
	{ "unit", KC_N_("Unit"), 's' },		{ "site", KC_N_("Site"), 's' },
	{ "person", KC_N_("Borrower"), 's' },	{ "actor", KC_N_("Released by"), 's' },
	{ "purpose", KC_N_("Purpose"), 's' },	{ "out", KC_N_("Out since"), 't' },
	{ "due", KC_N_("Due"), 't' },	{ "overdue", KC_N_("Overdue"), 'b' },
	{ "contact", KC_N_("Contact"), 's' },	{ "signature", KC_N_("Signature ref."), 's' },
	{ NULL, NULL, 0 },
};
static const struct kc_report_col id_cols[] = {
	{ "cabinet", KC_N_("Cabinet"), 's' },	{ "loan", KC_N_("Loan"), 's' },
	{ "person", KC_N_("Borrower"), 's' },	{ "key", KC_N_("Key"), 's' },
	{ "site", KC_N_("Site"), 's' },		{ "id_type", KC_N_("ID type"), 's' },
	{ "id_masked", KC_N_("ID (masked)"), 's' }, { "held", KC_N_("Held since"), 't' },
	{ NULL, NULL, 0 },
};
static const struct kc_report_col alarm_cols[] = {
	{ "cabinet", KC_N_("Cabinet"), 's' },	{ "alarm", KC_N_("Alarm"), 's' },
	{ "alarm_type", KC_N_("Type"), 's' },	{ "key", KC_N_("Key"), 's' },
	{ "slot", KC_N_("Slot"), 's' },	{ "unit", KC_N_("Unit"), 's' },
	{ "site", KC_N_("Site"), 's' },		{ "detail", KC_N_("Detail"), 's' },
	{ "raised", KC_N_("Raised"), 't' },	{ NULL, NULL, 0 },
};
static const struct kc_report_col ingest_alarm_cols[] = {
	{ "cabinet", KC_N_("Cabinet"), 's' },	{ "kind", KC_N_("Problem"), 's' },
	{ "seq", KC_N_("Event no."), 's' },	{ "message", KC_N_("Message"), 's' },
	{ "raised", KC_N_("Time"), 't' },	{ "repeats", KC_N_("Repeats"), 's' },
	{ "cleared", KC_N_("Cleared"), 't' },	{ NULL, NULL, 0 },
};
static const struct kc_report_col cabinet_cols[] = {
	{ "cabinet", KC_N_("Cabinet"), 's' },	{ "keys_out", KC_N_("Keys out"), 's' },
	{ "overdue", KC_N_("Overdue"), 's' },	{ "ids_held", KC_N_("IDs held"), 's' },
	{ "open_alarms", KC_N_("Open alarms"), 's' }, { "link", KC_N_("Audit link"), 's' },
	{ "last_seq", KC_N_("Last event"), 's' },	{ "last_seen", KC_N_("Last seen"), 't' },
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
		  " c.last_seq, c.last_seen_ms FROM cabinets c WHERE c.id <> '" KC_OFFICE_CHAIN "'"
		  " AND (:cabinet IS NULL OR c.id = :cabinet)"
		  " AND (:site IS NULL OR c.id IN (SELECT cabinet FROM keys WHERE site = :site))");
	kc_scope_query(&q, c->p->scope, NULL, "c.id");
	kc_query_add(&q, " ORDER BY c.id");
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
	kc_scope_query(&q, c->p->scope, NULL, "cabinet");
	kc_query_add(&q, " ORDER BY cleared_ms IS NULL DESC, raised_ms DESC LIMIT 100");
	sec = kc_report_section(c, "ingest_alarms", "Ingest alarms: refused batches and events left out of the reports", ingest_alarm_cols);
	return kc_report_fill(c, sec, &q, ingest_alarm_cols);
}
