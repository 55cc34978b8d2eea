/* The stored chains re-verified (report 6). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/reports_impl.h"
#include "service/chain.h"
#include "service/scope.h"

/* ---- 6. chain verification ---- */

static const struct kc_report_col chain_cols[] = {
	{ "cabinet", KC_N_("Cabinet"), 's' },	{ "head", KC_N_("Last event"), 's' },
	{ "checked", KC_N_("Events checked"), 's' }, { "status", KC_N_("Status"), 's' },
	{ "bad_seq", KC_N_("First bad event"), 's' }, { "message", KC_N_("Message"), 's' },
	{ NULL, NULL, 0 },
};

int kc_report_chain(struct kc_report_ctx *c)
{
	struct kc_query q = { 0 };
	const char *cab = NULL;
	sqlite3_stmt *st;
	json_t *sec, *rows;
	int rc, r = 0;

	if (kc_report_param_name(c, "cabinet", &cab) < 0)
		return -EINVAL;
	kc_query_add(&q, "SELECT id, last_seq FROM cabinets WHERE (:cabinet IS NULL OR id = :cabinet)");
	kc_scope_query(&q, c->p->scope, NULL, "id");
	kc_query_add(&q, " ORDER BY id");
	kc_query_set_str(&q, ":cabinet", cab);
	st = kc_query_prepare(c->db, &q);
	if (!st)
		return -EIO;
	sec = kc_report_section(c, "chains", "Stored chains", chain_cols);
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
		return kc_report_bad(c, "no cabinet \"%.64s\"", cab);
	return 0;
}
