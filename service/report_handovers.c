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
	{ "cabinet", KC_N_("Cabinet"), 's' },	{ "handover", KC_N_("Handover"), 's' },
	{ "started", KC_N_("Handed over"), 't' }, { "outgoing", KC_N_("Outgoing"), 's' },
	{ "incoming", KC_N_("Incoming"), 's' },	{ "confirmed", KC_N_("Confirmed"), 't' },
	{ "keys_out", KC_N_("Keys out"), 'j' }, { "ids_held", KC_N_("IDs held"), 'j' },
	{ "alarms", KC_N_("Open alarms"), 'j' }, { "reviewed_by", KC_N_("Reviewed by"), 's' },
	{ "reviewed", KC_N_("Reviewed"), 't' }, { "review_note", KC_N_("Note"), 's' },
	{ "reviewed_at", KC_N_("Where reviewed"), 's' }, { "outgoing_name", KC_N_("Outgoing's name"), 's' },
	{ "incoming_name", KC_N_("Incoming's name"), 's' },
	{ "reviewed_by_name", KC_N_("Reviewer's name"), 's' },
	{ NULL, NULL, 0 },
};

/* The text the first row of sql (one ? bound to arg) gives, or NULL. */
static json_t *lookup(struct kc_db *db, const char *sql, const char *arg)
{
	sqlite3_stmt *st = kc_db_stmt(db, sql);
	json_t *v = NULL;

	if (!st || !arg)
		return NULL;
	kc_bind_text(st, 1, arg);
	if (kc_db_row(st) == 0) {
		if (sqlite3_column_type(st, 0) == SQLITE_TEXT)
			v = json_string((const char *)sqlite3_column_text(st, 0));
		sqlite3_reset(st);
	}
	return v;
}

/* A sheet's items, as the sheet reads them: each person's registered
 * name ("name") and each key's unit ("unit") added beside the codes the
 * cabinet handed over. Column col of each row of sec. */
static void name_items(struct kc_report_ctx *c, json_t *sec, size_t col)
{
	static const char name_sql[] = "SELECT " KC_PERSON_NAME_SQL("?1");
	static const char unit_sql[] = "SELECT unit FROM keys WHERE key = ?1 ORDER BY cabinet LIMIT 1";
	json_t *row, *item;
	size_t i, j;

	json_array_foreach(json_object_get(sec, "rows"), i, row) {
		json_array_foreach(json_array_get(row, col), j, item) {
			json_t *name = lookup(c->db, name_sql, json_string_value(json_object_get(item, "person")));
			json_t *unit = lookup(c->db, unit_sql, json_string_value(json_object_get(item, "key")));

			if (name)
				json_object_set_new(item, "name", name);
			if (unit)
				json_object_set_new(item, "unit", unit);
		}
	}
}

/* columns 6, 7, 8 of ho_cols: keys out, IDs held, alarms */
static int name_sheets(struct kc_report_ctx *c, json_t *sec)
{
	for (size_t col = 6; col <= 8; col++)
		name_items(c, sec, col);
	return 0;
}

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
	sec = kc_report_section(c, "handovers", "Handover sheets", ho_cols);
	if (kc_report_paged(c, sec,
			    "SELECT cabinet, handover, started_ms, outgoing, incoming, confirmed_ms, keys_out, ids_held,"
			    " alarms, reviewed_by, reviewed_ms, review_note, reviewed_at, " KC_PERSON_NAME_SQL("outgoing")
			    ", " KC_PERSON_NAME_SQL("incoming") ", " KC_PERSON_NAME_SQL("reviewed_by") " FROM handovers",
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
	return c->mode == KC_REPORT_EXPORT ? 0 : name_sheets(c, sec);
}
