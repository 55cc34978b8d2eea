/* Report latency on a large audit log, generated straight into SQLite
 * (KC_BENCH_EVENTS events, default 10 million): 20 sites of 1000 units,
 * 30 % vacant, one cabinet a site, a year of events (release, take,
 * return, slot events; about one inspection per vacant unit a month), with
 * the derived tables the ingest path would have built. The event bodies
 * are realistic JSON but not sealed (the chain is not what is measured).
 *
 * Measured (median of 30 runs after a warm-up, through kc_report_run, the
 * code the HTTP handler runs): the vacant-unit report for a month (target
 * < 50 ms) and a key-log page of one key (target < 10 ms), each also as a
 * ratio of a baseline measured in the same run: one full scan of the
 * events table. Then the key log newest first, unfiltered, of one site
 * and of one staff member: its last page against its first (keyset
 * paging; target: within 1.5 x); and a borrower with few events. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "common/pdata.h"
#include "common/util.h"
#include "service/reports.h"
#include "service/store.h"

#define SITES 20
#define UNITS 1000
#define YEAR_START 1735689600000LL /* 2025-01-01 */
#define YEAR_MS (365LL * 86400000)

struct kv {
	const char *k[4];
	const char *v[4];
};

static const char *kv_get(void *ctx, const char *name)
{
	struct kv *p = ctx;

	for (int i = 0; i < 4 && p->k[i]; i++)
		if (strcmp(p->k[i], name) == 0)
			return p->v[i];
	return NULL;
}

static void die(struct kc_db *db, const char *what)
{
	fprintf(stderr, "%s: %s\n", what, db ? sqlite3_errmsg(db->h) : "");
	exit(1);
}

static void exec(struct kc_db *db, const char *sql)
{
	if (kc_db_exec(db, sql) < 0)
		die(db, sql);
}

static void generate(struct kc_db *db, long long n)
{
	static const char *types[4] = { "release.granted", "release.taken", "loan.returned", "slot.inserted" };
	sqlite3_stmt *ev, *loan, *insp, *unit, *vac, *site;
	char idx_sql[16][512], body[512], key[32], unitc[32], sitec[8], cab[8], ts[KC_TIME_LEN], actor[8], person[8];
	int nidx = 0;
	long long seq[SITES] = { 0 };
	sqlite3_stmt *st;
	double t0 = ms_now();

	/* build the indexes after the load: much faster */
	if (sqlite3_prepare_v2(db->h, "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN"
				      " ('events', 'loans', 'inspections') AND sql IS NOT NULL", -1, &st, NULL) != SQLITE_OK)
		die(db, "indexes");
	while (sqlite3_step(st) == SQLITE_ROW && nidx < 16)
		kc_strlcpy(idx_sql[nidx++], (const char *)sqlite3_column_text(st, 0), sizeof(idx_sql[0]));
	sqlite3_finalize(st);
	exec(db, "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144");
	for (int i = 0; i < nidx; i++) {
		char drop[128];
		const char *name = strstr(idx_sql[i], "INDEX ") + 6;

		snprintf(drop, sizeof(drop), "DROP INDEX %.*s", (int)strcspn(name, " "), name);
		exec(db, drop);
	}
	exec(db, "BEGIN");
	if (sqlite3_prepare_v2(db->h, "INSERT INTO events (cabinet, seq, ts_ms, type, actor, person, key, kind, unit,"
				      " site, slot, prev, hash, body, received_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &ev, NULL) ||
	    sqlite3_prepare_v2(db->h, "INSERT INTO loans (cabinet, loan, key, kind, unit, site, slot, person, actor,"
				      " purpose, out_ms, due_ms, state, returned_ms, overdue)"
				      " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,'returned',?,?)", -1, &loan, NULL) ||
	    sqlite3_prepare_v2(db->h, "INSERT INTO inspections (cabinet, seq, loan, ts_ms, key, unit, site, actor,"
				      " result, problems, forwarded_to) VALUES (?,?,?,?,?,?,?,?,?,?,?)", -1, &insp, NULL) ||
	    sqlite3_prepare_v2(db->h, "INSERT INTO units (site, unit, building, room, vacant) VALUES (?,?,?,?,?)", -1,
			       &unit, NULL) ||
	    sqlite3_prepare_v2(db->h, "INSERT INTO vacancies (site, unit, from_ms) VALUES (?,?,?)", -1, &vac, NULL) ||
	    sqlite3_prepare_v2(db->h, "INSERT INTO sites (site, name, age) VALUES (?,?,?)", -1, &site, NULL))
		die(db, "prepare");
	for (int s = 0; s < SITES; s++) {
		snprintf(sitec, sizeof(sitec), "S%02d", s);
		sqlite3_reset(site);
		sqlite3_bind_text(site, 1, sitec, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(site, 2, sitec, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(site, 3, s % 2 ? "old" : "new", -1, SQLITE_STATIC);
		sqlite3_step(site);
		for (int u = 0; u < UNITS; u++) {
			snprintf(unitc, sizeof(unitc), "U%02d-%04d", s, u);
			sqlite3_reset(unit);
			sqlite3_bind_text(unit, 1, sitec, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(unit, 2, unitc, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int(unit, 3, u / 100);
			sqlite3_bind_int(unit, 4, u % 100);
			sqlite3_bind_int(unit, 5, u % 10 < 3);
			sqlite3_step(unit);
			if (u % 10 < 3) {
				sqlite3_reset(vac);
				sqlite3_bind_text(vac, 1, sitec, -1, SQLITE_TRANSIENT);
				sqlite3_bind_text(vac, 2, unitc, -1, SQLITE_TRANSIENT);
				sqlite3_bind_int64(vac, 3, YEAR_START - 30 * 86400000LL);
				sqlite3_step(vac);
			}
		}
	}
	/* Event i belongs to loan cycle j = i / 4 (granted, taken, returned,
	 * then a slot event or, for an inspection loan, inspection.recorded).
	 * Every 40th cycle is an inspection of the next vacant unit in turn. */
	for (long long i = 0; i < n; i++) {
		long long j = i / 4, phase = i % 4;
		int inspection = j % 40 == 0;
		long long vk = j / 40;
		int s = inspection ? (int)(vk % SITES) : (int)(j % SITES);
		int u = inspection ? (int)((vk / SITES) % (UNITS * 3 / 10)) : (int)((j * 7919) % UNITS);
		const char *type = phase == 3 && inspection ? "inspection.recorded" : types[phase];
		const char *kind, *purpose;
		int64_t t = YEAR_START + (int64_t)((double)i / (double)n * (double)YEAR_MS);
		int64_t out = YEAR_START + (int64_t)((double)(j * 4) / (double)n * (double)YEAR_MS);

		if (inspection)
			u = (u / 3) * 10 + u % 3; /* the vacant ones: u % 10 < 3 */
		kind = u % 10 < 3 ? "vacant" : (u % 10 < 8 ? "entrusted" : "repair");
		purpose = inspection ? "inspection" : (kind[0] == 'v' ? "repair" : kind[0] == 'e' ? "borrow" : "repair");
		snprintf(sitec, sizeof(sitec), "S%02d", s);
		snprintf(cab, sizeof(cab), "C%02d", s);
		snprintf(unitc, sizeof(unitc), "U%02d-%04d", s, u);
		snprintf(key, sizeof(key), "K%02d-%04d", s, u);
		kc_time_format(t, ts, sizeof(ts));
		seq[s]++;
		snprintf(body, sizeof(body),
			 "{\"actor\":\"S%03d\",\"cabinet\":\"%s\",\"data\":{\"loan\":%lld,\"purpose\":\"%s\"},"
			 "\"key\":\"%s\",\"kind\":\"%s\",\"person\":\"P%05lld\",\"prev\":\"%064d\",\"seq\":%lld,"
			 "\"site\":\"%s\",\"slot\":\"A%d\",\"ts\":\"%s\",\"type\":\"%s\",\"unit\":\"%s\",\"v\":1}",
			 (int)(j % 50), cab, j, purpose, key, kind, j % 30000, 0, seq[s], sitec, u % 64, ts, type,
			 unitc);
		sqlite3_reset(ev);
		sqlite3_bind_text(ev, 1, cab, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ev, 2, seq[s]);
		sqlite3_bind_int64(ev, 3, t);
		sqlite3_bind_text(ev, 4, type, -1, SQLITE_STATIC);
		snprintf(actor, sizeof(actor), "S%03d", (int)(j % 50));
		snprintf(person, sizeof(person), "P%05lld", j % 30000);
		sqlite3_bind_text(ev, 5, actor, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ev, 6, person, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ev, 7, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ev, 8, kind, -1, SQLITE_STATIC);
		sqlite3_bind_text(ev, 9, unitc, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ev, 10, sitec, -1, SQLITE_TRANSIENT);
		sqlite3_bind_null(ev, 11);
		sqlite3_bind_text(ev, 12, "0", -1, SQLITE_STATIC);
		sqlite3_bind_text(ev, 13, "0", -1, SQLITE_STATIC);
		sqlite3_bind_text(ev, 14, body, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ev, 15, t);
		if (sqlite3_step(ev) != SQLITE_DONE)
			die(db, "insert event");
		if (phase == 0) {
			sqlite3_reset(loan);
			sqlite3_bind_text(loan, 1, cab, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(loan, 2, j);
			sqlite3_bind_text(loan, 3, key, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(loan, 4, kind, -1, SQLITE_STATIC);
			sqlite3_bind_text(loan, 5, unitc, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(loan, 6, sitec, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(loan, 7, "A1", -1, SQLITE_STATIC);
			sqlite3_bind_text(loan, 8, "E01", -1, SQLITE_STATIC);
			sqlite3_bind_text(loan, 9, "S001", -1, SQLITE_STATIC);
			sqlite3_bind_text(loan, 10, purpose, -1, SQLITE_STATIC);
			sqlite3_bind_int64(loan, 11, out);
			sqlite3_bind_int64(loan, 12, out + 4 * 3600000LL);
			sqlite3_bind_int64(loan, 13, out + (j % 97 == 0 ? 6 : 2) * 3600000LL);
			sqlite3_bind_int(loan, 14, j % 97 == 0);
			if (sqlite3_step(loan) != SQLITE_DONE)
				die(db, "insert loan");
		}
		if (phase == 3 && inspection) {
			sqlite3_reset(insp);
			sqlite3_bind_text(insp, 1, cab, -1, SQLITE_TRANSIENT);
			sqlite3_bind_int64(insp, 2, seq[s]);
			sqlite3_bind_int64(insp, 3, j);
			sqlite3_bind_int64(insp, 4, t);
			sqlite3_bind_text(insp, 5, key, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(insp, 6, unitc, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(insp, 7, sitec, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(insp, 8, "E01", -1, SQLITE_STATIC);
			sqlite3_bind_text(insp, 9, j % 13 == 0 ? "problems" : "ok", -1, SQLITE_STATIC);
			sqlite3_bind_text(insp, 10, j % 13 == 0 ? "leak" : "", -1, SQLITE_STATIC);
			sqlite3_bind_text(insp, 11, j % 26 == 0 ? "engineering" : "", -1, SQLITE_STATIC);
			if (sqlite3_step(insp) != SQLITE_DONE)
				die(db, "insert inspection");
		}
		if (i % 1000000 == 999999) {
			fprintf(stderr, "  %lld events, %.0f s\n", i + 1, (ms_now() - t0) / 1000);
		}
	}
	exec(db, "COMMIT");
	sqlite3_finalize(ev);
	sqlite3_finalize(loan);
	sqlite3_finalize(insp);
	sqlite3_finalize(unit);
	sqlite3_finalize(vac);
	sqlite3_finalize(site);
	printf("generated %lld events in %.1f s\n", n, (ms_now() - t0) / 1000);
	t0 = ms_now();
	for (int i = 0; i < nidx; i++)
		exec(db, idx_sql[i]);
	exec(db, "ANALYZE");
	printf("built %d indexes and ANALYZE in %.1f s\n", nidx, (ms_now() - t0) / 1000);
}

static double median_ms(struct kc_db *db, const char *report, struct kv *params, long long *rows)
{
	struct kc_params p = { kv_get, params, false, NULL };
	double t[30];
	char err[256];
	json_t *rep;

	for (int i = -1; i < 30; i++) {
		double t0 = ms_now();

		if (kc_report_run(db, report, &p, YEAR_START + YEAR_MS, &rep, err, sizeof(err)) < 0) {
			fprintf(stderr, "%s: %s\n", report, err);
			exit(1);
		}
		if (i >= 0)
			t[i] = ms_now() - t0;
		*rows = (long long)json_array_size(json_object_get(json_array_get(json_object_get(rep, "sections"), 0), "rows"));
		json_decref(rep);
	}
	qsort(t, 30, sizeof(t[0]), cmp_d);
	return t[15];
}

int main(void)
{
	const char *ne = getenv("KC_BENCH_EVENTS");
	char dir[] = "/tmp/kc-bench-XXXXXX", path[512], err[256], cmd[600];
	long long n = 10000000, rows = 0, count = 0;
	struct kv vacant = { { "month", NULL }, { "2025-06", NULL } };
	struct kv keylog = { { "key", "page_size", NULL }, { NULL, "100", NULL } };
	struct kv first = { { "page_size", NULL, NULL }, { "100", NULL, NULL } };
	struct kv last = { { "page_size", "last", NULL, NULL }, { "100", "1", NULL, NULL } };
	char key[32] = "";
	struct kc_db *db;
	sqlite3_stmt *st;
	double scan, v, k, t0, f, l, sf, sl, pf, pl, bf, bl;
	int ok;

	if (ne && kc_parse_long(ne, 10000, 100000000, &n) < 0) {
		fprintf(stderr, "KC_BENCH_EVENTS: a number from 10000 to 100000000\n");
		return 1;
	}
	if (!mkdtemp(dir) || kc_pdata_init() < 0)
		return 1;
	/* KC_BENCH_DB: measure on a database kept from an earlier run (KC_BENCH_KEEP) */
	if (getenv("KC_BENCH_DB")) {
		kc_strlcpy(path, getenv("KC_BENCH_DB"), sizeof(path));
		rmdir(dir);
		setenv("KC_BENCH_KEEP", "1", 1);
	} else {
		snprintf(path, sizeof(path), "%s/audit.db", dir);
	}
	db = kc_db_open(path, 1, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (!getenv("KC_BENCH_DB")) {
		printf("events: %lld (KC_BENCH_EVENTS), %d sites x %d units, 30 %% vacant\n", n, SITES, UNITS);
		generate(db, n);
	}
	/* baseline: one full scan of the events table */
	sqlite3_prepare_v2(db->h, "SELECT count(*) FROM events NOT INDEXED WHERE length(body) > 0", -1, &st, NULL);
	t0 = ms_now();
	if (sqlite3_step(st) == SQLITE_ROW)
		count = sqlite3_column_int64(st, 0);
	scan = ms_now() - t0;
	sqlite3_finalize(st);
	v = median_ms(db, "vacant", &vacant, &rows);
	printf("baseline, full scan of %lld events:      %9.1f ms\n", count, scan);
	printf("vacant-unit report, month 2025-06 (%lld sites): %7.2f ms = %.4f of the scan (target < 50 ms) %s\n", rows,
	       v, v / scan, v < 50 ? "MET" : "NOT MET");
	/* a key with a typical number of events */
	sqlite3_prepare_v2(db->h, "SELECT key FROM loans WHERE kind = 'entrusted' LIMIT 1 OFFSET 1000", -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		kc_strlcpy(key, (const char *)sqlite3_column_text(st, 0), sizeof(key));
	sqlite3_finalize(st);
	keylog.v[0] = key;
	sqlite3_prepare_v2(db->h, "SELECT count(*) FROM events WHERE key = ?", -1, &st, NULL);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		count = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	printf("key %s has %lld events\n", key, count);
	k = median_ms(db, "keylog", &keylog, &rows);
	printf("key-log page of one key (%lld rows):     %9.2f ms = %.5f of the scan (target < 10 ms) %s\n", rows, k,
	       k / scan, k < 10 ? "MET" : "NOT MET");
	/* the whole log newest first: its first page and its last (keyset
	 * paging: both one index range read), then one site's */
	f = median_ms(db, "keylog", &first, &rows);
	l = median_ms(db, "keylog", &last, &rows);
	printf("key log, first page (%lld rows):        %9.2f ms\n", rows, f);
	printf("key log, last page:                     %9.2f ms = %.2f x the first (target <= 1.5) %s\n", l, l / f,
	       l / f <= 1.5 ? "MET" : "NOT MET");
	first.k[1] = last.k[2] = "site";
	first.v[1] = last.v[2] = "S07";
	sf = median_ms(db, "keylog", &first, &rows);
	sl = median_ms(db, "keylog", &last, &rows);
	printf("key log of site S07, first / last page: %9.2f / %.2f ms = %.2f x (target <= 1.5) %s\n", sf, sl, sl / sf,
	       sl / sf <= 1.5 ? "MET" : "NOT MET");
	/* a staff member's log (1 event in 50) and a borrower's (a few) */
	first.k[1] = last.k[2] = "person";
	first.v[1] = last.v[2] = "S007";
	pf = median_ms(db, "keylog", &first, &rows);
	pl = median_ms(db, "keylog", &last, &rows);
	printf("key log of staff S007, first / last page: %7.2f / %.2f ms = %.2f x (target <= 1.5) %s\n", pf, pl,
	       pl / pf, pl / pf <= 1.5 ? "MET" : "NOT MET");
	first.v[1] = last.v[2] = "P00042";
	bf = median_ms(db, "keylog", &first, &rows);
	bl = median_ms(db, "keylog", &last, &rows);
	printf("key log of borrower P00042 (%lld rows), first / last page: %.2f / %.2f ms\n", rows, bf, bl);
	ok = v < 50 && k < 10 && l / f <= 1.5 && sl / sf <= 1.5 && pl / pf <= 1.5;
	kc_db_free(db);
	if (getenv("KC_BENCH_KEEP")) {
		printf("kept %s\n", path);
		return ok ? 0 : 1;
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		return 1;
	return ok ? 0 : 1;
}
