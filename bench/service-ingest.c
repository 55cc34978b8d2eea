/* Ingest throughput of keyauditd on loopback, beside the raw SQLite
 * insert rate of the same rows measured in the same run, each with
 * synchronous = FULL (what keyauditd runs: a commit waits for the fsync)
 * and NORMAL (the fsync only at checkpoints):
 *   raw:     the same INSERT into the same events table, 100 rows a transaction
 *   batched: POST /api/v1/events with batches of 100 (libcurl, keep-alive)
 *   single:  one event a request
 * keyauditd's HTTP server runs in a child process of the benchmark, with
 * the library keyauditd is built from, so that the same code can run with
 * NORMAL beside FULL. Target: batched (FULL) at no less than 30 % of raw
 * (FULL). KC_BENCH_INGEST_EVENTS sets the number of events (default 50000;
 * single uses a tenth). */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/event.h"
#include "common/pdata.h"
#include "common/util.h"
#include "service/auth.h"
#include "service/config.h"
#include "service/http.h"
#include "service/notify.h"
#include "service/store.h"

static char **make_events(const char *cabinet, int n)
{
	char prev[KC_HASH_HEX] = KC_GENESIS_HASH;
	char **out = calloc((size_t)n, sizeof(*out));

	for (int i = 0; i < n; i++) {
		json_t *ev = kc_event_new(cabinet, i + 1, 1767225600000 + (int64_t)i * 1000,
					  i % 3 ? "slot.removed" : "slot.inserted");

		json_object_set_new(ev, "slot", json_string("A7"));
		json_object_set_new(ev, "key", json_string("K-0042"));
		json_object_set_new(ev, "site", json_string("S1"));
		json_object_set_new(json_object_get(ev, "data"), "tag", json_integer(i));
		kc_event_seal(ev, prev, prev);
		out[i] = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(ev);
	}
	return out;
}

static double now_s(void)
{
	return (double)kc_mono_ms() / 1000.0;
}

/* The raw rate: the same rows through the same INSERT as ingest, 100 a
 * commit, with every value (canonical form, columns) computed beforehand:
 * SQLite alone. */
static double raw_rate(const char *dir, const char *name, char **evs, int n)
{
	char path[512], err[256];
	struct kc_db *db;
	sqlite3_stmt *st;
	json_t **parsed = calloc((size_t)n, sizeof(*parsed));
	char **canon = calloc((size_t)n, sizeof(*canon));
	int64_t *ts = calloc((size_t)n, sizeof(*ts));
	static const char *cols[] = { "cabinet", "seq", NULL, "type", "actor", "person", "key", "kind", "unit",
				      "site", "slot", "prev", "hash" };
	double t0, dt;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	db = kc_db_open(path, 1, err, sizeof(err));
	if (!db || !parsed || !canon || !ts) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	for (int i = 0; i < n; i++) {
		parsed[i] = json_loads(evs[i], 0, NULL);
		canon[i] = kc_event_canonical(parsed[i]);
		kc_time_parse(json_string_value(json_object_get(parsed[i], "ts")), &ts[i]);
	}
	st = kc_db_stmt(db, "INSERT INTO events (cabinet, seq, ts_ms, type, actor, person, key, kind, unit, site,"
			    " slot, prev, hash, body, received_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		if (i % 100 == 0)
			kc_db_begin(db);
		sqlite3_reset(st);
		for (int k = 0; k < 13; k++) {
			if (cols[k])
				kc_bind_json_str(st, k + 1, parsed[i], cols[k]);
			else
				sqlite3_bind_int64(st, k + 1, ts[i]);
		}
		sqlite3_bind_text(st, 14, canon[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 15, ts[i]);
		if (sqlite3_step(st) != SQLITE_DONE) {
			fprintf(stderr, "insert: %s\n", sqlite3_errmsg(db->h));
			exit(1);
		}
		if (i % 100 == 99 || i == n - 1)
			kc_db_commit(db);
	}
	dt = now_s() - t0;
	kc_db_free(db);
	for (int i = 0; i < n; i++) {
		json_decref(parsed[i]);
		free(canon[i]);
	}
	free(parsed);
	free(canon);
	free(ts);
	return n / dt;
}

static size_t sink(void *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

static double post_rate(CURL *c, const char *url, const char *token, char **evs, int n, int batch)
{
	char auth[128];
	struct curl_slist *h = NULL;
	size_t cap = 1 << 20;
	char *body = malloc(cap);
	double t0, dt;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
	h = curl_slist_append(h, auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	t0 = now_s();
	for (int i = 0; i < n; i += batch) {
		size_t len = 0;
		long status = 0;

		body[len++] = '[';
		for (int k = i; k < i + batch && k < n; k++) {
			size_t l = strlen(evs[k]);

			if (k > i)
				body[len++] = ',';
			memcpy(body + len, evs[k], l);
			len += l;
		}
		body[len++] = ']';
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
		if (curl_easy_perform(c) != CURLE_OK || curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) ||
		    status != 200) {
			fprintf(stderr, "POST failed at event %d (HTTP %ld)\n", i + 1, status);
			exit(1);
		}
	}
	dt = now_s() - t0;
	curl_slist_free_all(h);
	free(body);
	return n / dt;
}

/* A keyauditd HTTP server in a child process on db; its port, or -1. */
static pid_t serve_child(const char *db, int full, int *port)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		struct kc_audit_config cfg;
		struct kc_notifier *n;
		struct kc_http *srv;
		char err[256];
		int p;
		sigset_t set;
		int sig;

		close(fds[0]);
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		if (!freopen("/dev/null", "w", stderr) || kc_config_defaults(&cfg) < 0 ||
		    kc_config_set(&cfg, "database", "path", db, err, sizeof(err)) < 0 ||
		    kc_config_set(&cfg, "server", "port", "0", err, sizeof(err)) < 0)
			_exit(1);
		if (!full)
			kc_db_bench_synchronous_normal();
		n = kc_notifier_start(&cfg, err, sizeof(err));
		srv = n ? kc_http_start(&cfg, n, err, sizeof(err)) : NULL;
		p = srv ? kc_http_port(srv) : -1;
		if (write(fds[1], &p, sizeof(p)) != sizeof(p) || p < 0)
			_exit(1);
		sigwait(&set, &sig);
		kc_http_stop(srv);
		kc_notifier_stop(n);
		_exit(0);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], port, sizeof(*port)) != sizeof(*port) || *port < 0) {
		close(fds[0]);
		return -1;
	}
	close(fds[0]);
	return pid;
}

struct ingest_rates {
	double batched, single;
};

/* Batched and single-event ingest into a fresh database. */
static int ingest_rates(const char *dir, const char *name, int full, char **evs, char **evs2, int n,
			struct ingest_rates *out)
{
	char db[512], url[128], tok1[KC_TOKEN_LEN], tok2[KC_TOKEN_LEN], err[256];
	struct kc_db *d;
	pid_t pid;
	int port;
	CURL *c;

	snprintf(db, sizeof(db), "%s/%s", dir, name);
	d = kc_db_open(db, 1, err, sizeof(err));
	if (!d || kc_auth_cabinet_add(d, "B1", tok1) < 0 || kc_auth_cabinet_add(d, "B2", tok2) < 0) {
		fprintf(stderr, "%s\n", err);
		return -EIO;
	}
	kc_db_free(d);
	pid = serve_child(db, full, &port);
	if (pid < 0) {
		fprintf(stderr, "the server did not start\n");
		return -EIO;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/events", port);
	c = curl_easy_init();
	out->batched = post_rate(c, url, tok1, evs, n, 100);
	out->single = post_rate(c, url, tok2, evs2, n / 10, 1);
	curl_easy_cleanup(c);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return 0;
}

int main(void)
{
	const char *ne = getenv("KC_BENCH_INGEST_EVENTS");
	char dir[] = "/tmp/kc-bench-XXXXXX";
	long long n = 50000;
	double raw_full, raw_normal;
	struct ingest_rates full, normal;
	char **evs, **evs2;
	int ok;

	if (!mkdtemp(dir) || kc_pdata_init() < 0)
		return 1;
	if (ne && kc_parse_long(ne, 1000, 10000000, &n) < 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	printf("events: %lld (batches of 100), single-event requests: %lld\n", n, n / 10);
	evs = make_events("B1", (int)n);
	evs2 = make_events("B2", (int)(n / 10));
	raw_full = raw_rate(dir, "raw-full.db", evs, (int)n);
	if (ingest_rates(dir, "audit-full.db", 1, evs, evs2, (int)n, &full) < 0)
		return 1;
	kc_db_bench_synchronous_normal();
	raw_normal = raw_rate(dir, "raw-normal.db", evs, (int)n);
	if (ingest_rates(dir, "audit-normal.db", 0, evs, evs2, (int)n, &normal) < 0)
		return 1;

	printf("                               synchronous = FULL           synchronous = NORMAL      FULL / NORMAL\n");
	printf("raw SQLite insert (baseline):  %8.0f events/s             %8.0f events/s        %5.1f %%\n", raw_full,
	       raw_normal, 100 * raw_full / raw_normal);
	printf("ingest, batches of 100:        %8.0f events/s = %5.1f %%   %8.0f events/s = %5.1f %%  %5.1f %%\n",
	       full.batched, 100 * full.batched / raw_full, normal.batched, 100 * normal.batched / raw_normal,
	       100 * full.batched / normal.batched);
	printf("ingest, one event a request:   %8.0f requests/s = %5.1f %% %8.0f requests/s = %5.1f %% %5.1f %%\n",
	       full.single, 100 * full.single / raw_full, normal.single, 100 * normal.single / raw_normal,
	       100 * full.single / normal.single);
	printf("(%% of the raw insert with the same setting)\n");
	ok = full.batched >= 0.3 * raw_full;
	printf("batched ingest (FULL) at >= 30 %% of the raw insert (FULL): %s\n", ok ? "MET" : "NOT MET");
	for (long long i = 0; i < n; i++)
		free(evs[i]);
	for (long long i = 0; i < n / 10; i++)
		free(evs2[i]);
	free(evs);
	free(evs2);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	curl_global_cleanup();
	return ok ? 0 : 1;
}
