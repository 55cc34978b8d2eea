/* kc_report_run: the dispatch to each report (report_<name>.c), in one
 * snapshot of the store, with the reader's scope checked first. */
#include "service/reports.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/msg.h"
#include "common/util.h"
#include "service/mask.h"
#include "service/office.h"
#include "service/reports_impl.h"
#include "service/scope.h"

/* The report's zone: the site's or the cabinet's asked for; with neither,
 * the one every cabinet has, else the default. */
static const struct kc_zone *report_zone(struct kc_db *db, const struct kc_params *p)
{
	const char *site = p->get(p->ctx, "site"), *cab = p->get(p->ctx, "cabinet");
	const struct kc_zone *z = NULL, *one;
	sqlite3_stmt *st;

	if (site && *site)
		return kc_report_site_zone(db, site);
	if (cab && *cab)
		return kc_report_cabinet_zone(db, cab);
	st = kc_db_stmt(db, "SELECT id FROM cabinets WHERE id <> '" KC_OFFICE_CHAIN "'");
	if (!st)
		return kc_zone_default();
	while (sqlite3_step(st) == SQLITE_ROW) {
		one = kc_report_cabinet_zone(db, (const char *)sqlite3_column_text(st, 0));
		if (z && one != z) {
			z = NULL;
			break;
		}
		z = one;
	}
	sqlite3_reset(st);
	return z ? z : kc_zone_default();
}

int kc_report_run(struct kc_db *db, const char *name, const struct kc_params *p, int64_t now_ms,
		  json_t **out, char *err, size_t errlen)
{
	return kc_report_run_mode(db, name, p, now_ms, KC_REPORT_PAGE, NULL, out, err, errlen);
}

int kc_report_run_mode(struct kc_db *db, const char *name, const struct kc_params *p, int64_t now_ms,
		       enum kc_report_mode mode, struct kc_report_export *export, json_t **out, char *err,
		       size_t errlen)
{
	static int (*const fns[])(struct kc_report_ctx *) = { kc_report_keylog, kc_report_now, kc_report_entrustments,
								 kc_report_vacant, kc_report_handovers, kc_report_chain,
								 kc_report_problems, kc_report_deliveries,
								 kc_report_receipt };
	char gen[KC_TIME_LEN];
	struct kc_report_ctx c = { db, p, now_ms, NULL, err, errlen, 1, 100, NULL, mode, NULL, p->english ? KC_LANG_EN : KC_LANG_ZH };
	const char *site = p->get(p->ctx, "site"), *cab = p->get(p->ctx, "cabinet");
	int r;

	/* another site or its cabinet asked for by name: refused, not emptied */
	if (site && *site && !kc_scope_site(p->scope, site)) {
		snprintf(err, errlen, kc_msg_gettext(p->english ? KC_LANG_EN : KC_LANG_ZH,
						      "site \"%.64s\" is outside the sites of this account"),
			 site);
		return -EACCES;
	}
	if (cab && *cab && !kc_scope_cabinet(p->scope, cab)) {
		snprintf(err, errlen, kc_msg_gettext(p->english ? KC_LANG_EN : KC_LANG_ZH,
						      "cabinet \"%.64s\" is outside the sites of this account"),
			 cab);
		return -EACCES;
	}
	for (size_t i = 0; i < KC_ARRAY_SIZE(fns); i++) {
		if (strcmp(name, kc_reports[i].name) != 0)
			continue;
		kc_time_format(now_ms, gen, sizeof(gen));
		/* one snapshot for all sections of the report */
		if (kc_db_exec(db, "BEGIN") < 0)
			return -EIO;
		c.zone = report_zone(db, p);
		c.rep = json_pack("{s:s, s:s, s:s, s:s, s:s, s:{}, s:[]}", "report", name, "title_en",
				  kc_reports[i].title, "title_zh", kc_msg_gettext(KC_LANG_ZH, kc_reports[i].title), "generated",
				  gen, "time_zone", kc_zone_name(c.zone), "params", "sections");
		if (!c.rep) {
			kc_db_exec(db, "COMMIT");
			return -ENOMEM;
		}
		if (mode == KC_REPORT_EXPORT && export) {
			c.export = export;
			c.export->st = NULL;
		}
		r = fns[i](&c);
		kc_db_exec(db, "COMMIT");
		if (r < 0) {
			if (c.export) {
				sqlite3_finalize(c.export->st);
				c.export->st = NULL;
			}
			json_decref(c.rep);
			return r;
		}
		kc_mask_report(c.rep); /* every page and export: phones and secrets masked */
		*out = c.rep;
		return 0;
	}
	snprintf(err, errlen, kc_msg_gettext(p->english ? KC_LANG_EN : KC_LANG_ZH, "no report \"%.40s\""), name);
	return -ENOENT;
}
