/* Whole-report exports (service/export.c) of the key log,
 * KC_BENCH_EXPORT_ROWS events (default 100,000) generated straight into
 * SQLite, each with a phone number to mask and a Chinese note in its
 * details. Each measure runs in a child process of its own, so its peak
 * RSS is its own (ru_maxrss from wait4):
 *   select  the plain SELECT of the same rows and columns, every column
 *           read (the baseline);
 *   csv     kc_export_open + kc_export_csv_read to the end, as keyauditd
 *           sends it, into /dev/null;
 *   xlsx    kc_export_open + kc_export_xlsx to a file, as keyauditd writes
 *           it before sending it.
 * Printed: time and peak RSS of each, and csv and xlsx as ratios of the
 * select. Passes when both exports end with every row. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/pdata.h"
#include "common/util.h"
#include "service/export.h"
#include "service/store.h"

#define BASE_MS 1790000000000LL

static char db_path[512], out_path[512];
static long long nrows = 100000;

static double ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static const char *no_params(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return NULL;
}

static int generate(void)
{
	char err[256], body[256];
	struct kc_db *db = kc_db_open(db_path, 1, err, sizeof(err));
	sqlite3_stmt *ev = NULL;
	int rc = 0;

	if (!db) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (kc_db_exec(db, "BEGIN") < 0 ||
	    sqlite3_prepare_v2(db->h, "INSERT INTO events (cabinet, seq, ts_ms, type, actor, person, key, kind, unit,"
				      " site, slot, prev, hash, body, received_ms)"
				      " VALUES ('CAB-B', ?1, ?2, 'release.granted', 'S01', 'E02', 'K-1-101', 'vacant',"
				      " 'U-1-101', 'YG', 'A01', '', '', ?3, ?2)", -1, &ev, NULL) != SQLITE_OK)
		rc = -1;
	for (long long i = 0; rc == 0 && i < nrows; i++) {
		snprintf(body, sizeof(body),
			 "{\"data\":{\"loan\":%lld,\"purpose\":\"inspection\",\"owner_phone\":\"13812345678\","
			 "\"note\":\"阳光花园 1栋101 巡检\"}}", i);
		sqlite3_bind_int64(ev, 1, i + 1);
		sqlite3_bind_int64(ev, 2, BASE_MS + i * 60000);
		sqlite3_bind_text(ev, 3, body, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(ev) != SQLITE_DONE)
			rc = -1;
		sqlite3_reset(ev);
	}
	sqlite3_finalize(ev);
	if (rc == 0 && kc_db_exec(db, "COMMIT") < 0)
		rc = -1;
	if (rc < 0)
		fprintf(stderr, "generate: %s\n", sqlite3_errmsg(db->h));
	kc_db_free(db);
	return rc;
}

/* The rows each measure ends with (its exit status: 0 when every row). */
static int run_select(void)
{
	char err[256];
	struct kc_db *db = kc_db_open(db_path, 0, err, sizeof(err));
	sqlite3_stmt *st;
	long long n = 0, sum = 0;

	if (!db || sqlite3_prepare_v2(db->h,
				      "SELECT ts_ms, cabinet, seq, type, actor, person, key, kind, unit, site, slot,"
				      " json_extract(body, '$.data.purpose'), json_extract(body, '$.data') FROM events"
				      " ORDER BY ts_ms, cabinet, seq", -1, &st, NULL) != SQLITE_OK)
		return 2;
	while (sqlite3_step(st) == SQLITE_ROW) {
		for (int i = 0; i < sqlite3_column_count(st); i++)
			sum += sqlite3_column_bytes(st, i);
		n++;
	}
	sqlite3_finalize(st);
	kc_db_free(db);
	return n == nrows && sum > 0 ? 0 : 1;
}

static int run_export(int xlsx)
{
	struct kc_params p = { no_params, NULL, false, NULL };
	struct kc_export *x;
	char err[256], buf[65536];
	struct kc_db *db = kc_db_open(db_path, 0, err, sizeof(err));
	FILE *null = fopen("/dev/null", "w");
	ssize_t n = 0;

	if (!db || !null || kc_export_open(db, db_path, "keylog", NULL, &p, kc_wall_ms(), true, &x, err, sizeof(err)) < 0) {
		fprintf(stderr, "export: %s\n", err);
		return 2;
	}
	if (xlsx)
		n = kc_export_xlsx(x, out_path, "/tmp");
	else
		while ((n = kc_export_csv_read(x, buf, sizeof(buf))) > 0)
			fwrite(buf, 1, (size_t)n, null);
	n = n == 0 && kc_export_rows(x) == nrows ? 0 : 1;
	kc_export_free(x);
	kc_db_free(db);
	fclose(null);
	return (int)n;
}

struct measure {
	const char *name;
	double ms;
	long rss_kib;
	int status;
};

static void measure(struct measure *m, int which)
{
	struct rusage ru;
	double t0 = ms_now();
	int st = 0;
	pid_t pid = fork();

	if (pid == 0)
		_exit(which == 0 ? run_select() : run_export(which == 2));
	if (pid < 0 || wait4(pid, &st, 0, &ru) < 0) {
		m->status = -1;
		return;
	}
	m->ms = ms_now() - t0;
	m->rss_kib = ru.ru_maxrss;
	m->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int main(void)
{
	const char *nr = getenv("KC_BENCH_EXPORT_ROWS");
	char dir[] = "/tmp/kc-bench-export-XXXXXX";
	struct measure m[3] = { { "select", 0, 0, 0 }, { "csv", 0, 0, 0 }, { "xlsx", 0, 0, 0 } };
	struct stat sb;
	int ok = 1;

	if (nr && kc_parse_long(nr, 1000, 10000000, &nrows) < 0) {
		fprintf(stderr, "KC_BENCH_EXPORT_ROWS: a number from 1000 to 10000000\n");
		return 1;
	}
	if (!mkdtemp(dir) || kc_pdata_init() < 0)
		return 1;
	snprintf(db_path, sizeof(db_path), "%s/audit.db", dir);
	snprintf(out_path, sizeof(out_path), "%s/keylog.xlsx", dir);
	printf("rows: %lld (KC_BENCH_EXPORT_ROWS), the whole key log\n", nrows);
	if (generate() < 0)
		return 1;
	for (int i = 0; i < 3; i++) {
		measure(&m[i], i);
		printf("%-6s %9.1f ms  peak RSS %7ld KiB  %s\n", m[i].name, m[i].ms, m[i].rss_kib,
		       m[i].status == 0 ? "every row" : "FAILED");
		ok &= m[i].status == 0;
	}
	if (stat(out_path, &sb) == 0)
		printf("xlsx file: %lld bytes\n", (long long)sb.st_size);
	for (int i = 1; i < 3; i++)
		printf("%s / select: time %.2fx, peak RSS %.2fx\n", m[i].name, m[i].ms / m[0].ms,
		       (double)m[i].rss_kib / (double)m[0].rss_kib);
	if (!getenv("KC_BENCH_KEEP")) {
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	return ok ? 0 : 1;
}
