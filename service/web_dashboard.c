/* The console's home page, per site: this month's inspection coverage
 * against target (a bar) and the last 12 months (a trend line), keys out
 * and overdue, IDs held, open alarms by kind, unreviewed handovers, and
 * each cabinet's health. The figures come from the reports (the vacant
 * report's coverage, the now and handovers reports); the charts are
 * inline SVG (svg.c). A small same-origin script (/dashboard.js) follows
 * new events: it asks /dashboard/version every 5 seconds and, when the
 * figures changed, replaces them with /dashboard/figures. */
#include "service/http_impl.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/msg.h"
#include "common/util.h"
#include "service/reports.h"
#include "service/reports_impl.h"
#include "service/sbuf.h"
#include "service/scope.h"
#include "service/svg.h"
#include "service/web.h"
#include "service/words.h"
#include "service/zone.h"

#define MONTHS 12

static const char style[] =
	".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px;margin:0 0 1.5em}"
	".card{border:1px solid #bbb;border-radius:6px;padding:8px 12px;break-inside:avoid}"
	".card h3{margin:0 0 6px;font-size:15px}.big{font-size:28px;font-weight:bold;margin:0}"
	".card dl{display:grid;grid-template-columns:auto auto;gap:2px 12px;margin:0}.card dd{margin:0;font-weight:bold}"
	".card ul{margin:0;padding-left:1.2em}.cab{border-top:1px solid #ddd;padding:4px 0}"
	"svg.bar{height:24px}svg.trend{max-height:220px}"
	"@media (max-width:480px){body{margin:.5em}.cards{grid-template-columns:1fr}}";

/* ---- the figures ---- */

/* The month n months before month ("2026-11"). */
static void month_back(const char *month, int n, char *out, size_t len)
{
	int y = atoi(month), m = atoi(month + 5) - n;

	while (m < 1) {
		m += 12;
		y--;
	}
	snprintf(out, len, "%04d-%02d", y, m);
}

/* Each month's coverage is kept (as JSON text) with the stamp it was
 * counted under: the number of inspections in the month (its widest span
 * over the sites' zones) and a hash of the vacancy intervals, the sites
 * and their zones. A new or late inspection changes its month's stamp, a
 * vacancy or a site every month's, and those are counted again. */
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *cache; /* {"2026-11": ["stamp", "coverage as JSON text"]} */

#define CACHE_MAX 64

/* The hash (64-bit FNV-1a) of what every month's count depends on but
 * the inspections: the vacancies, the sites and their zones. */
static int base_stamp(struct kc_db *db, const json_t *sites, uint64_t *out)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT (SELECT count(*) || '.' || total(from_ms) || '.' || total(to_ms)"
					  "  || '.' || count(to_ms) FROM vacancies),"
					  " (SELECT group_concat(site || ':' || age, ',') FROM sites)");
	uint64_t h = 14695981039346656037ULL;
	struct sbuf b = { 0 };
	const json_t *site;
	char *text;
	size_t i;
	int rc;

	if (!st)
		return -EIO;
	json_array_foreach(sites, i, site)
		sbuf_printf(&b, "%s=%s,", json_string_value(json_object_get(site, "site")),
			    json_string_value(json_object_get(site, "zone")));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		sbuf_printf(&b, ";%s;%s", (const char *)sqlite3_column_text(st, 0),
			    sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1) : "");
	sqlite3_reset(st);
	text = sbuf_take(&b);
	if (rc != SQLITE_ROW || !text) {
		free(text);
		return -EIO;
	}
	for (const char *p = text; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	free(text);
	*out = h;
	return 0;
}

/* The stamp of month m: base and the inspections in its widest span. */
static int month_stamp(struct kc_db *db, const json_t *sites, const char *m, uint64_t base, char *out, size_t len)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT count(*) FROM inspections INDEXED BY inspections_ts"
					  " WHERE ts_ms >= ? AND ts_ms < ?");
	int64_t lo = INT64_MAX, hi = 0, s, e;
	const json_t *site;
	size_t i;
	int rc;

	if (!st)
		return -EIO;
	json_array_foreach(sites, i, site) {
		const struct kc_zone *z = kc_zone_get(json_string_value(json_object_get(site, "zone")));

		if (kc_zone_month(z ? z : kc_zone_default(), m, &s, &e) < 0)
			continue;
		lo = s < lo ? s : lo;
		hi = e > hi ? e : hi;
	}
	sqlite3_bind_int64(st, 1, lo);
	sqlite3_bind_int64(st, 2, hi);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(out, len, "%016llx.%lld", (unsigned long long)base, (long long)sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

/* Month m's coverage kept under stamp, or NULL. */
static json_t *cache_get(const char *m, const char *stamp)
{
	json_t *v, *cov = NULL;

	pthread_mutex_lock(&cache_lock);
	v = json_object_get(cache, m);
	if (v && strcmp(json_string_value(json_array_get(v, 0)), stamp) == 0)
		cov = json_loads(json_string_value(json_array_get(v, 1)), 0, NULL);
	pthread_mutex_unlock(&cache_lock);
	return cov;
}

static void cache_put(const char *m, const char *stamp, const json_t *cov)
{
	char *text = json_dumps(cov, JSON_COMPACT);

	if (!text)
		return;
	pthread_mutex_lock(&cache_lock);
	if (!cache || json_object_size(cache) >= CACHE_MAX) {
		json_decref(cache);
		cache = json_object();
	}
	json_object_set_new(cache, m, json_pack("[s, s]", stamp, text));
	pthread_mutex_unlock(&cache_lock);
	free(text);
}

/* The coverage of every month the sites' trends hold: {"2026-11": {site:
 * {...}}}, each month as the vacant report counts it, each site's month
 * in its own zone (sites[i]["month"] is the site's current month). */
static int coverages(struct kc_db *db, const json_t *sites, json_t *out)
{
	const json_t *s;
	size_t i;
	char m[16], stamp[64];
	uint64_t base;
	json_t *cov;
	int r;

	if ((r = base_stamp(db, sites, &base)) < 0)
		return r;
	json_array_foreach(sites, i, s) {
		for (int k = 0; k < MONTHS; k++) {
			month_back(json_string_value(json_object_get(s, "month")), k, m, sizeof(m));
			if (json_object_get(out, m))
				continue;
			if ((r = month_stamp(db, sites, m, base, stamp, sizeof(stamp))) < 0)
				return r;
			if (!(cov = cache_get(m, stamp))) {
				if ((r = kc_report_vacant_coverage(db, NULL, m, &cov)) < 0)
					return r;
				cache_put(m, stamp, cov);
			}
			json_object_set_new(out, m, cov);
		}
	}
	return 0;
}

static json_t *section(const json_t *rep, const char *name)
{
	const json_t *sec;
	size_t i;

	json_array_foreach(json_object_get(rep, "sections"), i, sec)
		if (strcmp(json_string_value(json_object_get(sec, "name")), name) == 0)
			return (json_t *)sec;
	return NULL;
}

static size_t nrows(const json_t *rep, const char *name)
{
	return json_array_size(json_object_get(section(rep, name), "rows"));
}

struct rparams {
	const char *k[4], *v[4];
};

static const char *param_get(void *ctx, const char *name)
{
	const struct rparams *p = ctx;

	for (int i = 0; i < 4 && p->k[i]; i++)
		if (strcmp(p->k[i], name) == 0)
			return p->v[i];
	return NULL;
}

/* Runs report name with the parameters given; NULL on failure (logged). */
static json_t *run(struct kc_db *db, const struct kc_scope *scope, const char *name, struct rparams *p, int64_t now)
{
	struct kc_params kp = { param_get, p, false, scope };
	char err[256];
	json_t *rep = NULL;

	if (kc_report_run(db, name, &kp, now, &rep, err, sizeof(err)) < 0)
		return NULL;
	return rep;
}

/* What the office knows of a cabinet's health beyond the now report: the
 * events it offered that were refused (an open gap, chain break or
 * conflict: at least that many are waiting at the cabinet), the boards
 * whose last slot.fault has no slot.recovered after it, and whether its
 * chain is intact (no open chain break or conflict). */
struct health {
	int64_t backlog, boards_fault;
	int chain_ok;
};

static int cabinet_health(struct kc_db *db, const char *cabinet, struct health *h)
{
	sqlite3_stmt *st = kc_db_stmt(
		db, "SELECT coalesce((SELECT max(max(ia.seq, coalesce(ia.last_seq, 0))) FROM ingest_alarms ia"
		    "  WHERE ia.cabinet = c.id AND ia.cleared_ms IS NULL AND ia.kind IN ('gap', 'chain_break', 'conflict'))"
		    "  - c.last_seq, 0),"
		    " (SELECT count(*) FROM (SELECT max(CASE e.type WHEN 'slot.fault' THEN e.seq END) AS f,"
		    "  max(CASE e.type WHEN 'slot.recovered' THEN e.seq END) AS r FROM events e INDEXED BY events_type"
		    "  WHERE e.type IN ('slot.fault', 'slot.recovered') AND e.cabinet = c.id"
		    "  GROUP BY json_extract(e.body, '$.data.board')) WHERE f > coalesce(r, 0)),"
		    " NOT EXISTS (SELECT 1 FROM ingest_alarms ia WHERE ia.cabinet = c.id AND ia.cleared_ms IS NULL"
		    "  AND ia.kind IN ('chain_break', 'conflict'))"
		    " FROM cabinets c WHERE c.id = ?");
	int rc;

	if (!st)
		return -EIO;
	kc_bind_text(st, 1, cabinet);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		h->backlog = sqlite3_column_int64(st, 0) > 0 ? sqlite3_column_int64(st, 0) : 0;
		h->boards_fault = sqlite3_column_int64(st, 1);
		h->chain_ok = sqlite3_column_int(st, 2);
	}
	sqlite3_reset(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

/* ---- the page ---- */

static double pct_of(json_int_t ni, json_int_t nv)
{
	return nv ? floor(1000.0 * (double)ni / (double)nv + 0.5) / 10 : -1;
}

static void coverage_card(struct sbuf *b, const struct kc_web_page *pg, const json_t *site, const json_t *covs)
{
	const char *code = json_string_value(json_object_get(site, "site"));
	const char *month = json_string_value(json_object_get(site, "month"));
	const json_t *cur = json_object_get(json_object_get(covs, month), code);
	json_int_t nv = json_integer_value(json_object_get(cur, "nv")), ni = json_integer_value(json_object_get(cur, "ni"));
	json_int_t target = json_integer_value(json_object_get(cur, "target"));
	double pct = pct_of(ni, nv), trend[MONTHS];
	char months[MONTHS][16], labels[MONTHS][16], label[128];
	const char *lp[MONTHS];

	sbuf_printf(b, "<div class=\"card coverage\" data-pct=\"%.1f\" data-target=\"%lld\" data-vacant=\"%lld\""
		       " data-inspected=\"%lld\"><h3>",
		    pct < 0 ? 0 : pct, (long long)target, (long long)nv, (long long)ni);
	sbuf_printf(b, kc_web_t(pg, "Vacant-unit inspections, %d-%02d"), atoi(month), atoi(month + 5));
	sbuf_add(b, "</h3>");
	if (pct < 0) {
		sbuf_add(b, "<p class=\"big\">—</p><p>");
		sbuf_html(b, kc_web_t(pg, "No vacant units this month"));
		sbuf_add(b, "</p>");
	} else {
		sbuf_printf(b, "<p class=\"big %s\">%.1f%%</p><p>", 100 * ni >= target * nv ? "ok" : "bad", pct);
		sbuf_printf(b, kc_web_t(pg, "%lld of %lld vacant units inspected, target %lld%%: "), (long long)ni,
			    (long long)nv, (long long)target);
		sbuf_html(b, kc_web_t(pg, 100 * ni >= target * nv ? KC_N_("met") : KC_N_("not met")));
		sbuf_add(b, "</p>");
	}
	snprintf(label, sizeof(label), kc_web_t(pg, "Inspected this month %.1f%%, target %lld%%"), pct < 0 ? 0 : pct,
		 (long long)target);
	kc_svg_bar(b, pct < 0 ? 0 : pct, (double)target, label);
	sbuf_add(b, "</div>");

	for (int k = 0; k < MONTHS; k++) {
		const json_t *c;

		month_back(month, MONTHS - 1 - k, months[k], sizeof(months[k]));
		c = json_object_get(json_object_get(covs, months[k]), code);
		trend[k] = pct_of(json_integer_value(json_object_get(c, "ni")), json_integer_value(json_object_get(c, "nv")));
		snprintf(labels[k], sizeof(labels[k]), kc_web_t(pg, "%02d"), atoi(months[k] + 5));
		lp[k] = labels[k];
	}
	sbuf_printf(b, "<div class=\"card trend\" data-first=\"%s\" data-last=\"%s\"><h3>", months[0],
		    months[MONTHS - 1]);
	sbuf_html(b, kc_web_t(pg, "Inspected, the last 12 months"));
	sbuf_add(b, "</h3>");
	kc_svg_trend(b, trend, lp, MONTHS, (double)target,
		     kc_web_t(pg, "Vacant units inspected in the last 12 months; the dashed line is the target"));
	sbuf_add(b, "<p class=\"meta\">");
	sbuf_printf(b, kc_web_t(pg, "%d-%02d to %d-%02d; the dashed line is the target, %lld%%"), atoi(months[0]),
		    atoi(months[0] + 5), atoi(month), atoi(month + 5), (long long)target);
	sbuf_add(b, "</p></div>");
}

/* label: in the page's language */
static void figure(struct sbuf *b, const char *name, const char *label, size_t n, bool bad_when_any)
{
	sbuf_add(b, "<dt>");
	sbuf_html(b, label);
	sbuf_printf(b, "</dt><dd data-figure=\"%s\"%s>%zu</dd>", name, bad_when_any && n ? " class=\"bad\"" : "", n);
}

/* a heading, a paragraph: an element holding a text of the page */
static void element(struct sbuf *b, const struct kc_web_page *pg, const char *tag, const char *attrs, const char *en)
{
	sbuf_printf(b, "<%s%s>", tag, attrs);
	sbuf_html(b, kc_web_t(pg, en));
	sbuf_printf(b, "</%s>", tag);
}

static void keys_card(struct sbuf *b, const struct kc_web_page *pg, const json_t *now, json_int_t unreviewed)
{
	sbuf_add(b, "<div class=\"card keys\">");
	element(b, pg, "h3", "", KC_N_("Keys and IDs"));
	sbuf_add(b, "<dl>");
	figure(b, "keys_out", kc_web_t(pg, "Keys out"), nrows(now, "keys_out"), false);
	figure(b, "overdue", kc_web_t(pg, "Overdue keys"), nrows(now, "overdue"), true);
	figure(b, "ids_held", kc_web_t(pg, "IDs held"), nrows(now, "ids_held"), false);
	figure(b, "unreviewed", kc_web_t(pg, "Handovers to review"), (size_t)unreviewed, true);
	sbuf_add(b, "</dl><p class=\"meta noprint\">");
	element(b, pg, "a", " href=\"/r/now\"", KC_N_("Details"));
	sbuf_add(b, " · ");
	element(b, pg, "a", " href=\"/r/handovers\"", KC_N_("Shift handovers"));
	sbuf_add(b, "</p></div>");
}

/* Open alarms counted by kind, each kind as a word. */
static void alarms_card(struct sbuf *b, const struct kc_web_page *pg, const json_t *now)
{
	json_t *kinds = json_object(), *row, *v;
	const char *k;
	size_t i;

	json_array_foreach(json_object_get(section(now, "alarms"), "rows"), i, row) {
		const char *t = json_string_value(json_array_get(row, 2));

		t = t ? t : "";
		json_object_set_new(kinds, t, json_integer(json_integer_value(json_object_get(kinds, t)) + 1));
	}
	sbuf_printf(b, "<div class=\"card alarms\" data-open=\"%zu\">", nrows(now, "alarms"));
	element(b, pg, "h3", "", KC_N_("Open alarms"));
	if (!json_object_size(kinds))
		element(b, pg, "p", " class=\"ok\"", KC_N_("None"));
	else
		sbuf_add(b, "<ul>");
	json_object_foreach(kinds, k, v) {
		sbuf_printf(b, "<li data-kind=\"%s\">", k);
		sbuf_html(b, kc_word(kc_web_lang(pg), "alarm_type", k));
		sbuf_printf(b, " <b class=\"bad\">%lld</b></li>", (long long)json_integer_value(v));
	}
	if (json_object_size(kinds))
		sbuf_add(b, "</ul>");
	sbuf_add(b, "</div>");
	json_decref(kinds);
}

/* The last time a cabinet's events were stored, and how long ago (a
 * heartbeat stores nothing and does not move it). */
static void last_seen(struct sbuf *b, const struct kc_web_page *pg, const struct kc_zone *z, const char *iso,
		      int64_t now)
{
	int64_t ms, ago;
	char when[32];

	if (!iso || kc_time_parse(iso, &ms) < 0) {
		element(b, pg, "span", " class=\"bad\"", KC_N_("None yet"));
		return;
	}
	ago = (now - ms) / 60000;
	kc_web_time(z, iso, false, when, sizeof(when));
	sbuf_printf(b, "<span data-last-seen=\"%s\">%s", iso, when);
	if (ago < 1)
		sbuf_html(b, kc_web_t(pg, " (just now)"));
	else if (ago < 60)
		sbuf_printf(b, kc_web_t(pg, " (%lld min ago)"), (long long)ago);
	else if (ago < 48LL * 60)
		sbuf_printf(b, kc_web_t(pg, " (%lld h ago)"), (long long)(ago / 60));
	else
		sbuf_printf(b, kc_web_t(pg, " (%lld days ago)"), (long long)(ago / 1440));
	sbuf_add(b, "</span>");
}

static int cabinets_card(struct sbuf *b, const struct kc_web_page *pg, struct kc_db *db, const json_t *now,
			 const struct kc_zone *z, int64_t now_ms)
{
	const json_t *row;
	size_t i;

	sbuf_add(b, "<div class=\"card cabinets\">");
	element(b, pg, "h3", "", KC_N_("Cabinets"));
	if (!nrows(now, "cabinets"))
		element(b, pg, "p", "", KC_N_("No cabinets yet"));
	json_array_foreach(json_object_get(section(now, "cabinets"), "rows"), i, row) {
		const char *id = json_string_value(json_array_get(row, 0));
		struct health h = { 0, 0, 1 };
		long long backlog, faults;
		int chain_ok;

		if (cabinet_health(db, id, &h) < 0)
			return -EIO;
		backlog = h.backlog;
		faults = h.boards_fault;
		chain_ok = h.chain_ok;
		sbuf_add(b, "<div class=\"cab\" data-cabinet=\"");
		sbuf_html(b, id);
		sbuf_printf(b, "\" data-backlog=\"%lld\" data-boards-fault=\"%lld\" data-chain=\"%s\"><b>", backlog, faults, chain_ok ? "intact" : "broken");
		sbuf_html(b, id);
		sbuf_add(b, "</b><dl>");
		element(b, pg, "dt", "", KC_N_("Last events received"));
		sbuf_add(b, "<dd>");
		last_seen(b, pg, z, json_string_value(json_array_get(row, 7)), now_ms);
		sbuf_add(b, "</dd>");
		element(b, pg, "dt", "", KC_N_("Events received"));
		sbuf_add(b, "<dd>");
		sbuf_printf(b, kc_web_t(pg, "up to no. %lld"), (long long)json_integer_value(json_array_get(row, 6)));
		sbuf_add(b, "</dd>");
		element(b, pg, "dt", "", KC_N_("To forward"));
		sbuf_printf(b, "<dd%s>", backlog ? " class=\"bad\"" : "");
		if (backlog)
			sbuf_printf(b, kc_web_t(pg, "at least %lld refused"), backlog);
		else
			sbuf_html(b, kc_web_t(pg, "no known backlog"));
		sbuf_add(b, "</dd>");
		element(b, pg, "dt", "", KC_N_("Boards in fault"));
		sbuf_printf(b, "<dd%s>%lld</dd>", faults ? " class=\"bad\"" : "", faults);
		element(b, pg, "dt", "", KC_N_("Event chain"));
		element(b, pg, "dd", chain_ok ? " class=\"ok\"" : " class=\"bad\"",
			chain_ok ? KC_N_("intact") : KC_N_("broken, to be checked"));
		sbuf_add(b, "</dl></div>");
	}
	sbuf_add(b, "</div>");
	return 0;
}

/* The sites of the scope, each with its name, zone and current month:
 * [{"site", "name", "month"}]. */
static json_t *sites_of(struct kc_db *db, const struct kc_scope *scope, int64_t now)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT site, coalesce(name, site) FROM sites ORDER BY site");
	json_t *out = json_array();
	char m[16];
	int rc;

	if (!st)
		return NULL;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *site = (const char *)sqlite3_column_text(st, 0);
		const struct kc_zone *z;

		if (!kc_scope_site(scope, site))
			continue;
		z = kc_report_site_zone(db, site);
		kc_zone_month_of(z, now, m, sizeof(m));
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s}", "site", site, "name",
						     (const char *)sqlite3_column_text(st, 1), "month", m, "zone",
						     kc_zone_name(z)));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		json_decref(out);
		return NULL;
	}
	return out;
}

/* The figures of every site of the scope (the part the script replaces). */
static int figures(struct sbuf *b, const struct kc_web_page *pg, struct kc_db *db, const struct kc_scope *scope,
		   int64_t now, const char *version)
{
	json_t *sites = sites_of(db, scope, now), *covs = json_object();
	const json_t *s;
	size_t i;
	int r = -EIO;

	if (!sites || coverages(db, sites, covs) < 0)
		goto out;
	sbuf_printf(b, "<div id=\"dash\" data-version=\"%s\">", version);
	if (!json_array_size(sites))
		element(b, pg, "p", "", KC_N_("No sites yet: once a cabinet registers its sites, each site's figures show here."));
	json_array_foreach(sites, i, s) {
		const char *code = json_string_value(json_object_get(s, "site"));
		struct rparams np = { { "site", NULL }, { code, NULL } };
		struct rparams hp = { { "site", "unreviewed", "page_size", NULL }, { code, "1", "1", NULL } };
		json_t *now_rep = run(db, scope, "now", &np, now), *ho = run(db, scope, "handovers", &hp, now);
		char when[32];
		const struct kc_zone *z = kc_zone_get(json_string_value(json_object_get(s, "zone")));
		int c;

		z = z ? z : kc_zone_default();
		if (!now_rep || !ho) {
			json_decref(now_rep);
			json_decref(ho);
			goto out;
		}
		kc_zone_format(z, now, KC_DAY_START, when, sizeof(when));
		sbuf_add(b, "<section class=\"site\" data-site=\"");
		sbuf_html(b, code);
		sbuf_add(b, "\"><h2>");
		sbuf_html(b, json_string_value(json_object_get(s, "name")));
		sbuf_add(b, " <small class=\"meta\">");
		sbuf_printf(b, kc_web_t(pg, "as of %s"), when);
		sbuf_add(b, "</small></h2><div class=\"cards\">");
		coverage_card(b, pg, s, covs);
		keys_card(b, pg, now_rep, json_integer_value(json_object_get(section(ho, "handovers"), "unreviewed")));
		alarms_card(b, pg, now_rep);
		c = cabinets_card(b, pg, db, now_rep, z, now);
		json_decref(now_rep);
		json_decref(ho);
		if (c < 0)
			goto out;
		sbuf_add(b, "</div></section>");
	}
	sbuf_add(b, "</div>");
	r = 0;
out:
	json_decref(sites);
	json_decref(covs);
	return r;
}

int kc_web_dashboard_version(struct kc_db *db, int64_t now, char *out, size_t len)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT (SELECT coalesce(sum(last_seq), 0) FROM cabinets),"
					  " (SELECT count(*) || '.' || count(cleared_ms) || '.' || coalesce(sum(repeats), 0)"
					  "  FROM ingest_alarms)");
	int rc;

	if (!st)
		return -EIO;
	rc = sqlite3_step(st);
	/* the minute: overdue keys and "last seen" move with the clock */
	if (rc == SQLITE_ROW)
		snprintf(out, len, "%lld.%s.%lld", (long long)sqlite3_column_int64(st, 0),
			 (const char *)sqlite3_column_text(st, 1), (long long)(now / 60000));
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

int kc_web_dashboard(struct kc_db *db, int64_t now, const struct kc_scope *scope, const struct kc_web_page *pg,
		     bool whole, char **out)
{
	struct sbuf b = { 0 };
	char version[96];

	if (kc_web_dashboard_version(db, now, version, sizeof(version)) < 0)
		return -EIO;
	if (whole) {
		kc_web_head(&b, kc_web_t(pg, "Dashboard"), pg);
		sbuf_printf(&b, "<style>%s</style><p class=\"meta\">", style);
		sbuf_html(&b, kc_web_t(pg, "Each site's inspections this month, keys, alarms and cabinets."));
		sbuf_add(&b, " ");
		element(&b, pg, "span", " class=\"noprint\" id=\"live\"", KC_N_("The page updates itself."));
		sbuf_add(&b, "</p>");
	}
	if (figures(&b, pg, db, scope, now, version) < 0) {
		free(sbuf_take(&b));
		return -EIO;
	}
	if (whole) {
		sbuf_add(&b, "<script src=\"/dashboard.js\"></script>");
		kc_web_tail(&b);
	}
	*out = sbuf_take(&b);
	return *out ? 0 : -ENOMEM;
}

/* The script that follows new events (CSP: script-src 'self'). */
static const char dashboard_js[] =
	"'use strict';\n"
	"// Follows new events without reloading the page: asks for the figures'\n"
	"// version every few seconds and, when it changed, replaces the figures.\n"
	"(function () {\n"
	"  let busy = false;\n"
	"  async function poll() {\n"
	"    const dash = document.getElementById('dash');\n"
	"    if (busy || !dash || document.hidden) return;\n"
	"    busy = true;\n"
	"    try {\n"
	"      const v = await fetch('/dashboard/version', { cache: 'no-store', credentials: 'same-origin' });\n"
	"      if (v.redirected) { window.location.assign('/login'); return; }\n"
	"      if (!v.ok || (await v.text()).trim() === dash.dataset.version) return;\n"
	"      const f = await fetch('/dashboard/figures', { cache: 'no-store', credentials: 'same-origin' });\n"
	"      if (!f.ok) return;\n"
	"      const doc = new DOMParser().parseFromString(await f.text(), 'text/html');\n"
	"      const fresh = doc.getElementById('dash');\n"
	"      if (fresh) dash.replaceWith(document.adoptNode(fresh));\n"
	"    } catch (e) {\n"
	"      // offline for a moment: the next poll tries again\n"
	"    } finally {\n"
	"      busy = false;\n"
	"    }\n"
	"  }\n"
	"  setInterval(poll, 5000);\n"
	"})();\n";

/* GET / (the page), /dashboard/figures, /dashboard/version, /dashboard.js */
enum MHD_Result http_web_dashboard(struct call *k)
{
	char csrf[65] = "", version[96], *out = NULL;
	struct kc_web_page pg = http_web_page(k, csrf);
	int64_t now = kc_wall_ms();
	bool page = strcmp(k->url, "/") == 0;
	int r;

	if (strcmp(k->url, "/dashboard.js") == 0) {
		out = strdup(dashboard_js);
		return http_reply_buf(k->c, 200, "text/javascript; charset=utf-8", out, out ? strlen(out) : 0, NULL);
	}
	if (strcmp(k->url, "/dashboard/version") == 0) {
		if (kc_web_dashboard_version(k->db, now, version, sizeof(version)) < 0)
			return http_reply_error(k->c, 500, "database", "database error");
		out = strdup(version);
		return http_reply_buf(k->c, 200, "text/plain; charset=utf-8", out, out ? strlen(out) : 0, NULL);
	}
	if (!page && strcmp(k->url, "/dashboard/figures") != 0)
		return http_reply_html(k->c, 404, kc_web_message(&pg, "404", kc_web_t(&pg, "There is no such page")), NULL);
	r = kc_web_dashboard(k->db, now, k->scope, &pg, page, &out);
	if (r == -EIO)
		kc_err("dashboard: database error: %s", sqlite3_errmsg(k->db->h));
	if (r < 0)
		return http_reply_html(k->c, 500, kc_web_message(&pg, kc_web_t(&pg, "Error"), kc_web_t(&pg, "Database error")), NULL);
	return http_reply_html(k->c, 200, out, NULL);
}
