/* Ingest throughput of keyauditd on loopback, beside the raw SQLite
 * insert rate of the same rows measured in the same run:
 *   raw:     the same INSERT into the same events table, 100 rows a transaction
 *   batched: POST /api/v1/events with batches of 100 (libcurl, keep-alive)
 *   single:  one event a request
 * Target: batched at no less than 30 % of raw. KC_BENCH_INGEST_EVENTS sets
 * the number of events (default 50000; single uses a tenth). */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
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
static double raw_rate(const char *dir, char **evs, int n)
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

	snprintf(path, sizeof(path), "%s/raw.db", dir);
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

int main(void)
{
	const char *bin = getenv("KEYCAB_BIN");
	const char *ne = getenv("KC_BENCH_INGEST_EVENTS");
	char dir[] = "/tmp/kc-bench-XXXXXX", db[512], portf[512], url[128], tok1[KC_TOKEN_LEN], tok2[KC_TOKEN_LEN],
	     exe[512], err[256];
	long long n = 50000;
	struct kc_db *d;
	double raw, batched, single;
	pid_t pid;
	FILE *f;
	int port = 0;
	CURL *c;
	char **evs, **evs2;

	if (!bin || !mkdtemp(dir) || kc_pdata_init() < 0)
		return 1;
	if (ne && kc_parse_long(ne, 1000, 10000000, &n) < 0)
		return 1;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	printf("events: %lld (batches of 100), single-event requests: %lld\n", n, n / 10);
	evs = make_events("B1", (int)n);
	evs2 = make_events("B2", (int)(n / 10));
	raw = raw_rate(dir, evs, (int)n);

	snprintf(db, sizeof(db), "%s/audit.db", dir);
	d = kc_db_open(db, 1, err, sizeof(err));
	if (!d || kc_cabinet_add(d, "B1", tok1) < 0 || kc_cabinet_add(d, "B2", tok2) < 0)
		return 1;
	kc_db_free(d);
	snprintf(portf, sizeof(portf), "%s/port", dir);
	snprintf(exe, sizeof(exe), "%s/keyauditd", bin);
	pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stderr);
		execl(exe, "keyauditd", "--db", db, "--port", "0", "--port-file", portf, "serve", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100 && !port; i++) {
		struct timespec ts = { 0, 50000000 };

		nanosleep(&ts, NULL);
		f = fopen(portf, "r");
		if (f) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
	}
	if (!port) {
		fprintf(stderr, "keyauditd did not start\n");
		return 1;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/api/v1/events", port);
	c = curl_easy_init();
	batched = post_rate(c, url, tok1, evs, (int)n, 100);
	single = post_rate(c, url, tok2, evs2, (int)(n / 10), 1);
	curl_easy_cleanup(c);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);

	printf("raw SQLite insert (baseline):  %8.0f events/s\n", raw);
	printf("ingest, batches of 100:        %8.0f events/s = %5.1f %% of raw (target >= 30 %%) %s\n", batched,
	       100 * batched / raw, batched >= 0.3 * raw ? "MET" : "NOT MET");
	printf("ingest, one event a request:   %8.0f requests/s = %5.1f %% of raw\n", single, 100 * single / raw);
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
	return batched >= 0.3 * raw ? 0 : 1;
}
