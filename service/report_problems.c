/* Problems found in inspections and their follow-up at the office
 * (report 7, rule 5: 发现问题及时转呈相关部门并跟进处理情况): each problem
 * with its state (open, forwarded, resolved), who forwarded it where and
 * when, who resolved it and how, and its age. */
#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "service/problem_state.h"
#include "service/reports_impl.h"
#include "service/scope.h"

static const struct kc_report_col prob_cols[] = {
	{ "cabinet", KC_N_("Cabinet"), 's' },
	{ "inspection", KC_N_("Inspection"), 's' },
	{ "found", KC_N_("Found"), 't' },
	{ "site", KC_N_("Site"), 's' },
	{ "site_name", KC_N_("Site name"), 's' },
	{ "unit", KC_N_("Unit"), 's' },
	{ "inspector", KC_N_("Inspector"), 's' },
	{ "inspector_name", KC_N_("Inspector's name"), 's' },
	{ "problems", KC_N_("Problems"), 's' },
	{ "state", KC_N_("State"), 's' },
	{ "department", KC_N_("Forwarded to department"), 's' },
	{ "forwarded_to", KC_N_("Forwarded to"), 's' },
	{ "forwarded_by", KC_N_("Forwarded by"), 's' },
	{ "forwarded", KC_N_("Forwarded"), 't' },
	{ "resolved_by", KC_N_("Resolved by"), 's' },
	{ "resolved", KC_N_("Resolved"), 't' },
	{ "resolution", KC_N_("Resolution"), 's' },
	{ "age_days", KC_N_("Age (days)"), 's' },
	{ NULL, NULL, 0 },
};

/* Problems of the inspections i (result problems) with their follow-up
 * p; a department the cabinet recorded counts as forwarded there by the
 * staff who recorded the inspection, when it was recorded. A problem's
 * age is in whole days from when it was found to when it was resolved,
 * or to now (the database's clock, so that every page and export of one
 * statement agrees). */
#define PROBLEMS_FROM                                                                                    \
	" FROM inspections i LEFT JOIN problems p ON p.cabinet = i.cabinet AND p.seq = i.seq"          \
	" LEFT JOIN sites s ON s.site = i.site WHERE i.result = 'problems'"
#define PROBLEMS_SELECT                                                                                  \
	"SELECT i.cabinet, i.seq, i.ts_ms, i.site, s.name, i.unit, i.inspector, "                        \
	KC_PERSON_NAME_SQL("i.inspector") ", i.problems, " KC_PROBLEM_STATE_SQL ","                      \
	" coalesce(p.department, nullif(i.forwarded_to, '')), p.forwarded_to,"                          \
	" coalesce(p.forwarded_by, CASE WHEN coalesce(i.forwarded_to, '') <> '' THEN i.actor END),"      \
	" coalesce(p.forwarded_ms, CASE WHEN coalesce(i.forwarded_to, '') <> '' THEN i.ts_ms END),"      \
	" p.resolved_by, p.resolved_ms, p.resolution,"                                                 \
	" (coalesce(p.resolved_ms, CAST(strftime('%s', 'now') AS INTEGER) * 1000) - i.ts_ms) / 86400000"

/* The report's filters: site, cabinet, state (a state's code, or
 * "unresolved"). 0 or -EINVAL. */
static int problems_filter(struct kc_report_ctx *c, struct kc_query *f)
{
	const char *site, *cab, *state;
	enum kc_problem_state s;

	if (kc_report_param_name(c, "site", &site) < 0 || kc_report_param_name(c, "cabinet", &cab) < 0 ||
	    kc_report_param_name(c, "state", &state) < 0)
		return -EINVAL;
	if (site)
		kc_query_str(f, " AND i.site = ?", site);
	if (cab)
		kc_query_str(f, " AND i.cabinet = ?", cab);
	kc_scope_query(f, c->p->scope, "i.site", "i.cabinet");
	if (state && strcmp(state, "unresolved") == 0)
		kc_query_add(f, " AND p.resolved_ms IS NULL");
	else if (state && kc_problem_state_find(state, &s) == 0)
		kc_query_str(f, " AND " KC_PROBLEM_STATE_SQL " = ?", kc_problem_state_name(s));
	else if (state)
		return kc_report_bad(c, "parameter \"state\": \"%.40s\" is not open, forwarded, resolved or unresolved",
				     state);
	return 0;
}

int kc_report_problems(struct kc_report_ctx *c)
{
	struct kc_query f = { 0 }, q = { 0 };
	int64_t open;
	json_t *sec;

	if (kc_report_paging(c) < 0 || problems_filter(c, &f) < 0)
		return -EINVAL;
	sec = kc_report_section(c, "problems", KC_N_("Problems found in inspections and their follow-up"),
				prob_cols);
	if (kc_report_paged(c, sec, PROBLEMS_SELECT PROBLEMS_FROM, "SELECT count(*)" PROBLEMS_FROM, &f,
			    " ORDER BY p.resolved_ms IS NOT NULL, i.ts_ms, i.cabinet, i.seq", prob_cols) < 0)
		return -EIO;
	kc_query_add(&q, "SELECT count(*)" PROBLEMS_FROM);
	kc_query_append(&q, &f);
	kc_query_add(&q, " AND p.resolved_ms IS NULL");
	if ((open = kc_report_count(c, &q)) < 0)
		return -EIO;
	json_object_set_new(sec, "unresolved", json_integer(open));
	return 0;
}

int kc_report_problems_unresolved(struct kc_report_ctx *c, const char *site)
{
	struct kc_query q = { 0 };
	json_t *sec;

	sec = kc_report_section(c, "unresolved", KC_N_("Problems not yet resolved"), prob_cols);
	kc_query_add(&q, PROBLEMS_SELECT PROBLEMS_FROM " AND p.resolved_ms IS NULL");
	if (site)
		kc_query_str(&q, " AND i.site = ?", site);
	kc_scope_query(&q, c->p->scope, "i.site", "i.cabinet");
	kc_query_add(&q, " ORDER BY i.site, i.ts_ms, i.cabinet, i.seq");
	kc_query_int(&q, " LIMIT ?", KC_PRINT_MAX);
	if (kc_report_fill(c, sec, &q, prob_cols) < 0)
		return -EIO;
	return 0;
}
