/* The dashboard (service/web_dashboard.c, the console's home page) on a
 * large audit log, beside the vacant-unit report's time in the same run.
 * It measures the database given (argv[1]; bench/service-dashboard.sh
 * has bench/service-reports generate it: 20 sites, a year of events), to
 * which it first adds what a live estate has and the generated year lacks:
 * the cabinets' rows, 400 keys out (a quarter overdue), 100 IDs held, 60
 * open alarms of three kinds, 40 unreviewed handovers and a board fault.
 * "Now" is the year's last day, so this month and the 11 before it are
 * full of inspections.
 *
 * Reported (median of 15 runs after a warm-up): the whole page as the
 * handler renders it (kc_web_dashboard), the figures the page's script
 * fetches when they change, the version it polls, and the vacant-unit
 * report of this month through kc_report_run (what /r/vacant runs), with
 * the dashboard's time as a ratio of the report's; also the first page,
 * which counts all 12 months (later ones reuse each month's count while
 * nothing it counts changed), and a page after a new inspection (this
 * month counted again). Passes when the page takes under 100 ms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/bench.h"
#include "common/pdata.h"
#include "common/util.h"
#include "service/reports.h"
#include "service/store.h"
#include "service/web.h"

#define RUNS 15
#define NOW 1767225599000LL /* 2025-12-31T23:59:59Z, the generated year's end */

static const char *month_get(void *ctx, const char *name)
{
	return strcmp(name, "month") == 0 ? ctx : NULL;
}

/* The live state a generated year lacks (idempotent: a kept database can
 * be measured again). */
static const char live_sql[] =
	"BEGIN;"
	"INSERT OR IGNORE INTO cabinets (id, token_hash, created_ms, last_seq, last_seen_ms)"
	" SELECT cabinet, 'bench-' || cabinet, 0, max(seq), 1767225590000 FROM events GROUP BY cabinet;"
	"INSERT OR IGNORE INTO keys (key, cabinet, kind, unit, site)"
	" SELECT DISTINCT key, cabinet, kind, unit, site FROM loans WHERE loan % 997 = 7;"
	"INSERT OR IGNORE INTO loans (cabinet, loan, key, kind, unit, site, slot, person, actor, purpose, out_ms, due_ms,"
	" state, overdue) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400)"
	" SELECT printf('C%02d', i % 20), 900000000 + i, printf('K%02d-%04d', i % 20, i), 'entrusted',"
	" printf('U%02d-%04d', i % 20, i), printf('S%02d', i % 20), 'A1', 'P00001', 'S001', 'borrow',"
	" 1767225599000 - 3600000 * i, 1767225599000 + (CASE WHEN i % 4 = 0 THEN -1 ELSE 1 END) * 3600000,"
	" 'out', 0 FROM n;"
	"INSERT OR IGNORE INTO ids_held (cabinet, loan, person, key, site, id_type, id_masked, held_ms)"
	" SELECT cabinet, loan, person, key, site, '身份证', '**************123X', out_ms FROM loans"
	" WHERE loan > 900000000 AND loan % 4 = 1;"
	"INSERT OR IGNORE INTO alarms (cabinet, alarm, alarm_type, key, slot, unit, site, detail, raised_ms)"
	" WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)"
	" SELECT printf('C%02d', i % 20), 900000 + i, CASE i % 3 WHEN 0 THEN 'tamper' WHEN 1 THEN 'wrong_slot'"
	" ELSE 'overdue' END, printf('K%02d-%04d', i % 20, i), 'A1', printf('U%02d-%04d', i % 20, i),"
	" printf('S%02d', i % 20), 'bench', 1767225599000 - 60000 * i FROM n;"
	"INSERT OR IGNORE INTO handovers (cabinet, handover, started_ms, outgoing, incoming, confirmed_ms, keys_out,"
	" ids_held, alarms) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)"
	" SELECT printf('C%02d', i % 20), 900000 + i, 1767225599000 - 28800000 * i, 'S001', 'S002',"
	" 1767225599000 - 28800000 * i + 600000, '[]', '[]', '[]' FROM n;"
	"INSERT OR IGNORE INTO events (cabinet, seq, ts_ms, type, slot, prev, hash, body, received_ms)"
	" VALUES ('C03', 900000000, 1767225000000, 'slot.fault', 'A1', '0', '0',"
	" '{\"data\":{\"board\":2,\"detail\":\"no answer\"}}', 1767225000000);"
	"COMMIT;";

int main(int argc, char **argv)
{
	double t_page[RUNS], t_fig[RUNS], t_ver[RUNS], t_vac[RUNS], t_new[5], t0, cold = 0;
	struct kc_web_page pg = { .user = "bench", .role = "supervisor", .csrf = "" };
	char err[256], version[96], month[] = "2025-12";
	struct kc_params vp = { month_get, month, false, NULL };
	long long events = 0, bytes = 0;
	struct kc_db *db;
	sqlite3_stmt *st;
	json_t *rep;
	char *out;
	double page, vac;

	if (argc != 2) {
		fprintf(stderr, "usage: service-dashboard AUDIT.db\n");
		return 2;
	}
	if (kc_pdata_init() < 0 || !(db = kc_db_open(argv[1], 1, err, sizeof(err)))) {
		fprintf(stderr, "%s: %s\n", argv[1], err);
		return 1;
	}
	if (kc_db_exec(db, live_sql) < 0) {
		fprintf(stderr, "adding the live state: %s\n", sqlite3_errmsg(db->h));
		return 1;
	}
	if (sqlite3_prepare_v2(db->h, "SELECT sum(last_seq) FROM cabinets", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		events = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	for (int i = -1; i < RUNS; i++) {
		t0 = ms_now();
		if (kc_web_dashboard(db, NOW, NULL, &pg, true, &out) < 0) {
			fprintf(stderr, "dashboard: %s\n", sqlite3_errmsg(db->h));
			return 1;
		}
		if (i >= 0)
			t_page[i] = ms_now() - t0;
		else
			cold = ms_now() - t0;
		bytes = (long long)strlen(out);
		free(out);
		t0 = ms_now();
		if (kc_web_dashboard(db, NOW, NULL, NULL, false, &out) < 0)
			return 1;
		if (i >= 0)
			t_fig[i] = ms_now() - t0;
		free(out);
		t0 = ms_now();
		if (kc_web_dashboard_version(db, NOW, version, sizeof(version)) < 0)
			return 1;
		if (i >= 0)
			t_ver[i] = ms_now() - t0;
		t0 = ms_now();
		if (kc_report_run(db, "vacant", &vp, NOW, &rep, err, sizeof(err)) < 0) {
			fprintf(stderr, "vacant: %s\n", err);
			return 1;
		}
		if (i >= 0)
			t_vac[i] = ms_now() - t0;
		json_decref(rep);
	}
	/* a new inspection this month, then the page: this month counted again */
	kc_db_exec(db, "DELETE FROM inspections WHERE seq >= 900000000");
	for (int i = 0; i < 5; i++) {
		char sql[320];

		snprintf(sql, sizeof(sql),
			 "INSERT INTO inspections (cabinet, seq, loan, ts_ms, key, unit, site, actor, result)"
			 " VALUES ('C00', %d, %d, %lld, 'K00-0001', 'U00-0001', 'S00', 'E01', 'ok')",
			 900000000 + i, 900000000 + i, NOW - 3600000LL * (i + 1));
		if (kc_db_exec(db, sql) < 0)
			return 1;
		t0 = ms_now();
		if (kc_web_dashboard(db, NOW, NULL, &pg, true, &out) < 0)
			return 1;
		t_new[i] = ms_now() - t0;
		free(out);
	}
	qsort(t_new, 5, sizeof(double), cmp_d);
	qsort(t_page, RUNS, sizeof(double), cmp_d);
	qsort(t_fig, RUNS, sizeof(double), cmp_d);
	qsort(t_ver, RUNS, sizeof(double), cmp_d);
	qsort(t_vac, RUNS, sizeof(double), cmp_d);
	page = t_page[RUNS / 2];
	vac = t_vac[RUNS / 2];
	printf("audit log: %lld events, 20 sites; medians of %d runs\n", events, RUNS);
	printf("vacant-unit report, month %s:          %8.2f ms\n", month, vac);
	printf("dashboard page (%lld bytes, 12 months): %8.2f ms = %.2f x the vacant report (target < 100 ms) %s\n",
	       bytes, page, page / vac, page < 100 ? "MET" : "NOT MET");
	printf("dashboard page, first (all 12 months counted): %8.2f ms = %.2f x the vacant report\n", cold, cold / vac);
	printf("dashboard page after a new inspection this month (median of 5): %8.2f ms = %.2f x the vacant report\n",
	       t_new[2], t_new[2] / vac);
	printf("dashboard figures (the script's fetch): %8.2f ms\n", t_fig[RUNS / 2]);
	printf("dashboard version (polled every 5 s):   %8.3f ms\n", t_ver[RUNS / 2]);
	kc_db_free(db);
	return page < 100 ? 0 : 1;
}
