/* kc-forward-test: a stand-in for keycabd's side of forwarding, for the
 * service tests. It keeps a controller-like database (the outbox table of
 * keycabd, plus the chain head and a log of every sealed event's hash, so
 * a test can compare what the service stored) and runs the forwarder on
 * it (the outbox reached through controller/outbox.c on a connection of
 * its own, where keycab-forward goes through keycabd's socket).
 *
 *   kc-forward-test seal CABINET [START_SEQ PREV_HASH]  < partial.jsonl > sealed.jsonl
 *   kc-forward-test fill DB CABINET [--count N]         < partial.jsonl (or N generated)
 *   kc-forward-test run DB URL TOKEN [--batch N] [--backoff-min MS] [--backoff-max MS]
 *                                    [--until-empty SECONDS] [--keep N] [--keep-ms MS]
 *                                    [--idle-close MS] [--plain-http 0|1] [--ca-file PEM]
 *   kc-forward-test hashes DB                           (seq hash, one a line)
 *
 * A partial event is an event object without v/cabinet/seq/prev/hash;
 * "ts" is optional (now). */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "common/db.h"
#include "common/event.h"
#include "common/util.h"
#include "controller/forward.h"
#include "controller/outbox.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("kc-forward-test: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Seals one partial event as seq after prev; returns the JSON text. */
static char *seal(json_t *ev, const char *cabinet, int64_t seq, char prev[KC_HASH_HEX])
{
	char hash[KC_HASH_HEX];
	json_t *ts = json_object_get(ev, "ts");
	char *out;

	json_object_set_new(ev, "v", json_integer(KC_EVENT_VERSION));
	json_object_set_new(ev, "cabinet", json_string(cabinet));
	json_object_set_new(ev, "seq", json_integer(seq));
	if (!json_is_string(ts)) {
		char now[KC_TIME_LEN];

		kc_time_format(kc_wall_ms(), now, sizeof(now));
		json_object_set_new(ev, "ts", json_string(now));
	}
	if (!json_object_get(ev, "data"))
		json_object_set_new(ev, "data", json_object());
	if (kc_event_seal(ev, prev, hash) < 0)
		die("cannot seal event %lld", (long long)seq);
	memcpy(prev, hash, KC_HASH_HEX);
	out = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
	if (!out)
		die("out of memory");
	return out;
}

static json_t *next_partial(FILE *in, int64_t i, int generate)
{
	static const char *types[] = { "operator.login", "slot.removed", "slot.inserted", "release.not_taken" };
	static char *line;
	static size_t cap;
	json_error_t jerr;
	json_t *ev;

	if (generate)
		return json_pack("{s:s, s:s, s:s, s:{s:I}}", "type", types[i % 4], "slot", "A1", "key", "K-GEN",
				 "data", "n", (json_int_t)i);
	while (getline(&line, &cap, in) >= 0) {
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		ev = json_loads(line, 0, &jerr);
		if (!json_is_object(ev))
			die("stdin line %lld: not a JSON object: %s", (long long)i + 1, jerr.text);
		return ev;
	}
	free(line);
	line = NULL;
	cap = 0;
	return NULL;
}

static int cmd_seal(int argc, char **argv)
{
	char prev[KC_HASH_HEX] = KC_GENESIS_HASH;
	long long seq = 1;
	json_t *ev;

	if (argc != 3 && argc != 5)
		die("usage: seal CABINET [START_SEQ PREV_HASH]");
	if (argc == 5) {
		if (kc_parse_long(argv[3], 1, INT64_MAX, &seq) < 0 || strlen(argv[4]) != KC_HASH_HEX - 1)
			die("bad START_SEQ or PREV_HASH");
		memcpy(prev, argv[4], KC_HASH_HEX);
	}
	for (int64_t i = 0; (ev = next_partial(stdin, i, 0)); i++, seq++) {
		char *s = seal(ev, argv[2], seq, prev);

		puts(s);
		free(s);
		json_decref(ev);
	}
	return 0;
}

/* The database, made like keycabd's where the forwarder reads it (the
 * outbox through controller/outbox.c), plus the test's own tables. */
static struct kc_db *open_db(const char *path)
{
	static const struct kc_db_spec spec = { .program = "kc-forward-test", .kind = "keycab",
						.open_flags = SQLITE_OPEN_NOMUTEX, .busy_ms = 10000,
						.create = true };
	char err[512];
	struct kc_db *db = kc_db_connect(path, &spec, err, sizeof(err));

	if (!db)
		die("%s", err);
	if (kc_db_exec(db, "CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, body TEXT NOT NULL,"
			   " acked_ms INTEGER);"
			   "CREATE TABLE IF NOT EXISTS chain_head (id INTEGER PRIMARY KEY CHECK (id = 1),"
			   " cabinet TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL);"
			   "CREATE TABLE IF NOT EXISTS sealed (seq INTEGER PRIMARY KEY, hash TEXT NOT NULL);") < 0)
		die("%s: %s", path, sqlite3_errmsg(db->h));
	return db;
}

static int cmd_fill(int argc, char **argv)
{
	char prev[KC_HASH_HEX] = KC_GENESIS_HASH;
	long long count = -1;
	int64_t seq = 0, i;
	sqlite3_stmt *head;
	struct kc_db *db;
	json_t *ev;
	int r;

	if (argc != 4 && !(argc == 6 && strcmp(argv[4], "--count") == 0))
		die("usage: fill DB CABINET [--count N]");
	if (argc == 6 && kc_parse_long(argv[5], 1, 100000000, &count) < 0)
		die("bad --count");
	db = open_db(argv[2]);
	head = kc_db_stmt(db, "SELECT seq, hash, cabinet FROM chain_head");
	if (kc_db_begin(db) < 0 || !head || (r = kc_db_row(head)) == -EIO)
		die("%s", sqlite3_errmsg(db->h));
	if (r == 0) {
		seq = sqlite3_column_int64(head, 0);
		kc_strlcpy(prev, (const char *)sqlite3_column_text(head, 1), sizeof(prev));
		if (strcmp((const char *)sqlite3_column_text(head, 2), argv[3]) != 0)
			die("the database is cabinet %s's", sqlite3_column_text(head, 2));
		sqlite3_reset(head);
	}
	for (i = 0; (count < 0 || i < count) && (ev = next_partial(stdin, i, count >= 0)); i++) {
		char *s = seal(ev, argv[3], ++seq, prev);

		if (kc_outbox_append(db, seq, s) < 0 ||
		    kc_db_x(db, "INSERT INTO sealed (seq, hash) VALUES (?, ?)", "Is", seq, prev) < 0)
			die("insert: %s", sqlite3_errmsg(db->h));
		free(s);
		json_decref(ev);
	}
	if (kc_db_x(db, "INSERT OR REPLACE INTO chain_head (id, cabinet, seq, hash) VALUES (1, ?, ?, ?)", "sIs",
		    argv[3], seq, prev) < 0 ||
	    kc_db_commit(db) < 0)
		die("commit: %s", sqlite3_errmsg(db->h));
	kc_db_free(db);
	printf("filled %lld events, head %lld\n", (long long)i, (long long)seq);
	return 0;
}

/* The forwarder's port on the database: controller/outbox.c's statements,
 * retention as --keep and --keep-ms say. */
struct db_port {
	struct kc_db *db;
	int64_t keep_events, keep_ms;
};

static int db_read(void *user, int64_t from, int max, char **out, int64_t *first, int64_t *last)
{
	struct db_port *p = user;

	return kc_outbox_read(p->db, from, max, out, first, last);
}

static int db_ack(void *user, int64_t first, int64_t upto)
{
	struct db_port *p = user;

	return kc_outbox_ack_keep(p->db, first, upto, kc_wall_ms(), p->keep_events, p->keep_ms);
}

static int db_state(void *user, struct kc_outbox_state *st)
{
	struct db_port *p = user;

	return kc_outbox_state(p->db, st);
}

static const char *db_errmsg(void *user)
{
	struct db_port *p = user;

	return sqlite3_errmsg(p->db->h);
}

static int cmd_run(int argc, char **argv)
{
	struct kc_forward_config cfg = { .url = argv[3], .token = argv[4], .batch_max = 100,
					 .backoff_min_ms = 200, .backoff_max_ms = 2000 };
	struct db_port dp = { NULL, KC_OUTBOX_KEEP_EVENTS, KC_OUTBOX_KEEP_MS };
	struct kc_outbox_port port = { .read = db_read, .ack = db_ack, .state = db_state, .errmsg = db_errmsg,
				       .user = &dp };
	struct kc_forward_status st;
	struct kc_forwarder *f;
	long long until = -1, v;
	int64_t start = kc_mono_ms(), last_print = 0;
	char err[256];
	int rc = 0;

	if (argc < 5)
		die("usage: run DB URL TOKEN [--batch N] [--backoff-min MS] [--backoff-max MS] [--until-empty S]"
		    " [--ca-file PEM]");
	for (int i = 5; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--ca-file") == 0) {
			cfg.ca_file = argv[i + 1];
			continue;
		}
		if (kc_parse_long(argv[i + 1], 0, 100000000, &v) < 0)
			die("bad value for %s", argv[i]);
		if (strcmp(argv[i], "--batch") == 0)
			cfg.batch_max = (int)v;
		else if (strcmp(argv[i], "--backoff-min") == 0)
			cfg.backoff_min_ms = (int)v;
		else if (strcmp(argv[i], "--backoff-max") == 0)
			cfg.backoff_max_ms = (int)v;
		else if (strcmp(argv[i], "--until-empty") == 0)
			until = v;
		else if (strcmp(argv[i], "--keep") == 0)
			dp.keep_events = v;
		else if (strcmp(argv[i], "--keep-ms") == 0)
			dp.keep_ms = v;
		else if (strcmp(argv[i], "--idle-close") == 0)
			cfg.idle_close_ms = (int)v;
		else if (strcmp(argv[i], "--plain-http") == 0)
			cfg.allow_plain_http = v != 0;
		else
			die("unknown option %s", argv[i]);
	}
	/* rows come from other processes, which do not kick it: it looks often */
	if (!cfg.recheck_ms)
		cfg.recheck_ms = 250;
	dp.db = open_db(argv[2]);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	f = kc_forwarder_start(&port, &cfg, err, sizeof(err));
	if (!f)
		die("%s", err);
	kc_forwarder_kick(f);
	while (!stop) {
		struct timespec ts = { 0, 50 * 1000000 };

		nanosleep(&ts, NULL);
		kc_forwarder_status(f, &st);
		if (kc_mono_ms() - last_print >= 500) {
			last_print = kc_mono_ms();
			printf("pending %lld acked %lld failures %d state %s%s%s%s%s\n", (long long)st.pending,
			       (long long)st.last_acked_seq, st.consecutive_failures, kc_forward_state_name(st.state),
			       st.reason[0] ? " " : "", st.reason, st.last_error[0] ? " error: " : "", st.last_error);
			fflush(stdout);
		}
		if (until >= 0 && st.pending == 0 && st.consecutive_failures == 0 && st.last_acked_seq > 0)
			break;
		if (until >= 0 && kc_mono_ms() - start > until * 1000) {
			rc = 1;
			break;
		}
	}
	kc_forwarder_status(f, &st);
	printf("final: pending %lld acked %lld failures %d state %s%s%s%s%s\n", (long long)st.pending,
	       (long long)st.last_acked_seq, st.consecutive_failures, kc_forward_state_name(st.state),
	       st.reason[0] ? " " : "", st.reason, st.last_error[0] ? " error: " : "", st.last_error);
	kc_forwarder_stop(f);
	kc_db_free(dp.db);
	return rc;
}

static int cmd_hashes(int argc, char **argv)
{
	sqlite3_stmt *st;
	struct kc_db *db;
	int r;

	if (argc != 3)
		die("usage: hashes DB");
	db = open_db(argv[2]);
	st = kc_db_stmt(db, "SELECT seq, hash FROM sealed ORDER BY seq");
	if (!st)
		die("%s", sqlite3_errmsg(db->h));
	while ((r = kc_db_row(st)) == 0)
		printf("%lld %s\n", (long long)sqlite3_column_int64(st, 0), sqlite3_column_text(st, 1));
	if (r == -EIO)
		die("%s", sqlite3_errmsg(db->h));
	kc_db_free(db);
	return 0;
}

int main(int argc, char **argv)
{
	int r;

	if (argc < 2)
		die("usage: seal | fill | run | hashes (see the source)");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(argv[1], "seal") == 0)
		r = cmd_seal(argc, argv);
	else if (strcmp(argv[1], "fill") == 0)
		r = cmd_fill(argc, argv);
	else if (strcmp(argv[1], "run") == 0)
		r = cmd_run(argc, argv);
	else if (strcmp(argv[1], "hashes") == 0)
		r = cmd_hashes(argc, argv);
	else
		die("unknown command %s", argv[1]);
	curl_global_cleanup();
	return r;
}
