/* Notice deliveries (report 8): each notice to each recipient over each
 * channel, queued, sent, delivered or failed and why, the gateway's
 * answer and id; and the count of each state per channel. Scoped to the
 * account's sites as every report. */
#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "service/reports_impl.h"
#include "service/scope.h"

static const struct kc_report_col state_cols[] = {
	{ "via", KC_N_("Channel"), 's' }, { "state", KC_N_("Delivery"), 's' },
	{ "count", KC_N_("Count"), 's' }, { NULL, NULL, 0 },
};

static const struct kc_report_col delivery_cols[] = {
	{ "notice_id", KC_N_("Notice"), 's' },	 { "created", KC_N_("Created"), 't' },
	{ "notice", KC_N_("Kind"), 's' },	 { "cabinet", KC_N_("Cabinet"), 's' },
	{ "site", KC_N_("Site"), 's' },		 { "unit", KC_N_("Unit"), 's' },
	{ "key", KC_N_("Key"), 's' },		 { "via", KC_N_("Channel"), 's' },
	{ "recipient", KC_N_("Recipient"), 's' }, { "template", KC_N_("Template"), 's' },
	{ "state", KC_N_("Delivery"), 's' },	 { "attempts", KC_N_("Attempts"), 's' },
	{ "last_error", KC_N_("Why"), 's' },	 { "answer", KC_N_("Gateway's answer"), 's' },
	{ "gateway_id", KC_N_("Gateway's id"), 's' }, { "sent", KC_N_("Sent"), 't' },
	{ "delivered", KC_N_("Delivered"), 't' }, { NULL, NULL, 0 },
};

int kc_report_deliveries(struct kc_report_ctx *c)
{
	struct kc_query sc = { 0 }, f = { 0 }, s = { 0 };
	const char *site = NULL, *cab = NULL, *state = NULL;
	int64_t from = 0, to = 0;
	int hf, ht;
	json_t *sec;

	if (kc_report_site_cabinet(c, &sc, "site", &site, &cab) < 0 || kc_report_paging(c) < 0 ||
	    (hf = kc_report_param_time(c, "from", KC_DAY_START, &from)) < 0 ||
	    (ht = kc_report_param_time(c, "to", KC_DAY_END, &to)) < 0 || kc_report_param_name(c, "state", &state) < 0)
		return -EINVAL;
	kc_query_add(&f, " WHERE 1");
	if (site)
		kc_query_str(&f, " AND n.site = ?", site);
	if (cab)
		kc_query_str(&f, " AND n.cabinet = ?", cab);
	kc_scope_query(&f, c->p->scope, "n.site", "n.cabinet");
	if (hf)
		kc_query_int(&f, " AND n.created_ms >= ?", from);
	if (ht)
		kc_query_int(&f, " AND n.created_ms < ?", to);
	sec = kc_report_section(c, "states", "Deliveries by channel and state", state_cols);
	kc_query_add(&s, "SELECT coalesce(d.channel, 'webhook'), d.state, count(*) FROM deliveries d"
			 " JOIN notices n ON n.id = d.notice_id");
	kc_query_append(&s, &f);
	kc_query_add(&s, " GROUP BY 1, 2 ORDER BY 1, 2");
	if (kc_report_fill(c, sec, &s, state_cols) < 0)
		return -EIO;
	if (state)
		kc_query_str(&f, " AND d.state = ?", state);
	sec = kc_report_section(c, "deliveries", "Each delivery", delivery_cols);
	return kc_report_paged(c, sec,
			       "SELECT n.id, n.created_ms, json_extract(n.payload, '$.notice'), n.cabinet, n.site, n.unit,"
			       " n.key, coalesce(d.channel, 'webhook'), d.recipient, d.template, d.state, d.attempts,"
			       " d.last_error, (SELECT a.answer FROM attempts a WHERE a.delivery_id = d.id"
			       " ORDER BY a.id DESC LIMIT 1), d.gateway_id, d.sent_ms, d.delivered_ms"
			       " FROM deliveries d JOIN notices n ON n.id = d.notice_id",
			       "SELECT count(*) FROM deliveries d JOIN notices n ON n.id = d.notice_id", &f,
			       " ORDER BY n.created_ms DESC, n.id DESC, d.id", delivery_cols);
}
