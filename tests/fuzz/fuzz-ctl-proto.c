/* keycabd's socket protocol (controller/proto.c) and the requests behind
 * it (controller/ops.c, registry.c, session.c, rules.c): the input is
 * what a client writes on keycabd's unix socket before closing its side.
 * A real kc_proto server is fed over a real connection and driven with poll()
 * as keycabd's loop does, on a fresh copy of a store that holds a small
 * estate, open sessions of each role (tokens "staff-token", "eng-token",
 * "mgr-token", "sup-token"), a key out on loan with an ID held, an alarm.
 * No hardware (ctl->hw NULL, as in the controller's unit tests).
 *
 * What keycabd promises is checked too:
 *  - one reply line per request line, each a JSON object with "ok";
 *  - the outbox is one unbroken chain (every event passes kc_event_check
 *    in sequence, and the chain state names the last one): decisions and
 *    their events are committed together (architecture decision 2);
 *  - no ID number given in a request ("id_number", at any depth) appears
 *    in clear in a reply or in the outbox, nor do the template's own ID
 *    numbers. Only values that cannot be anything else are checked: a
 *    valid ID (kc_id_normalise) of 8+ characters with 2+ letters and 4+
 *    digits that occurs nowhere else in the input. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "common/event.h"
#include "common/log.h"
#include "common/pdata.h"
#include "common/util.h"
#include "controller/conf.h"
#include "controller/ctl.h"
#include "controller/proto.h"
#include "controller/request.h"
#include "controller/scans.h"
#include "controller/store.h"
#include "tests/fuzz/fuzz.h"

#define CABINET "fuzz-cab"
#define DAY (86400LL * 1000)
#define FAR_FUTURE_MS 4000000000000LL /* sessions never idle out mid-run */

static struct kc_ctl_conf conf;
static struct kc_proto *srv;
static char template_db[256], work_db[256], sock_path[256];
static char *reply;
static size_t reply_len, reply_cap;

static void server_free(void)
{
	kc_proto_free(srv);
	free(reply);
}

static void sql(struct kc_store *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sql(struct kc_store *st, const char *fmt, ...)
{
	char q[4096], *e = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	if (sqlite3_exec(kc_store_db(st), q, NULL, NULL, &e) != SQLITE_OK) {
		fprintf(stderr, "kc-fuzz: template store: %s: %s\n", q, e);
		abort();
	}
}

static void session(struct kc_store *st, const char *token, const char *person)
{
	char h[65];

	kc_token_hash(token, h);
	sql(st, "INSERT INTO sessions VALUES ('%s', '%s', %lld, %lld)", h, person,
	    (long long)kc_wall_ms(), FAR_FUTURE_MS);
}

static void template_store(void)
{
	char err[512], idh[KC_PWHASH_LEN], bh[KC_PWHASH_LEN];
	long long now = (long long)kc_wall_ms();
	struct kc_store *st = kc_store_open(template_db, CABINET, true, err, sizeof(err));

	if (!st) {
		fprintf(stderr, "kc-fuzz: %s\n", err);
		abort();
	}
	if (kc_id_hash("110101198001011232", idh) < 0 || kc_id_hash("E7654321", bh) < 0)
		abort();
	sql(st, "INSERT INTO sites (code, name, age) VALUES ('S', 'Site', 'new'), ('SO', 'Old site', 'old');"
		"INSERT INTO units (code, site, vacant) VALUES ('U1','S',0),('U2','S',0),('U3','S',1),"
		" ('U4','S',0),('U5','SO',1);"
		"INSERT INTO people (code, name, role) VALUES ('S01','Staff','staff'),"
		" ('S02','Staff 2','staff'), ('E01','Eng','engineer'), ('M01','Mgr','manager'),"
		" ('P01','Sup','supervisor');"
		"INSERT INTO keys (code, unit, kind, home_slot, state, slot) VALUES"
		" ('KE','U1','entrusted','A1','in','A1'), ('KS','U2','sealed','A2','in','A2'),"
		" ('KV','U3','vacant','A3','in','A3'), ('KR','U4','repair','A4','in','A4'),"
		" ('KO','U5','vacant','A5','out',NULL);");
	sql(st, "INSERT INTO owners (code, name, id_type, id_hash, id_masked) VALUES"
		" ('O1','Owner','id_card','%s','**************1232')", idh);
	sql(st, "INSERT INTO entrustments (id, owner, key, start_ms, end_ms) VALUES (1,'O1','KE',%lld,%lld)",
	    now - DAY, now + 10 * DAY);
	sql(st, "INSERT INTO letters (id, entrustment, borrower, id_type, id_hash, id_masked, valid_from,"
		" valid_to, reference, filed_ms, confirmed_by, confirmed_ms, channel) VALUES"
		" (1,1,'Tenant Tan','passport','%s','****4321',%lld,%lld,'L-1',%lld,'S01',%lld,'phone'),"
		" (2,1,'Tenant Tan','passport','%s','****4321',%lld,%lld,'L-2',%lld,NULL,NULL,NULL)",
	    bh, now - DAY, now + DAY, now, now, bh, now - DAY, now + DAY, now);
	sql(st, "INSERT INTO approvals (id, key, manager, method, valid_from, valid_to, created_ms)"
		" VALUES (1,'KS','M01','issued',%lld,%lld,%lld)",
	    now - 60000, now + DAY, now);
	sql(st, "INSERT INTO loans (id, key, kind, purpose, borrower, borrower_type, operator,"
		" due_ms, slot, granted_ms, window_ms, out_ms, state) VALUES"
		" (1,'KO','vacant','borrow','Tenant Tan','borrower','S01',%lld,'A5',%lld,30000,%lld,'out')",
	    now + DAY, now - 3600000, now - 3600000);
	sql(st, "INSERT INTO ids_held (loan, person, id_type, id_hash, id_masked, held_ms) VALUES"
		" (1,'Tenant Tan','passport','%s','****4321',%lld)", bh, now - 3600000);
	sql(st, "INSERT INTO alarms (id, type, key, slot, detail, raised_ms) VALUES"
		" (1,'tamper','KS','A2','key left a locked slot',%lld)", now);
	session(st, "staff-token", "S01");
	session(st, "eng-token", "E01");
	session(st, "mgr-token", "M01");
	session(st, "sup-token", "P01");
	kc_store_free(st);
}

static void once(void)
{
	char err[512];

	static const unsigned char key[KC_HASH_KEY_LEN] = { 7 };

	fz_quiet();
	if (kc_pdata_init() < 0 || kc_pdata_key_set(key, sizeof(key)) < 0)
		abort();
	kc_ctl_conf_defaults(&conf);
	snprintf(template_db, sizeof(template_db), "%s/keycab-template.db", fz_tmpdir());
	snprintf(work_db, sizeof(work_db), "%s/keycab.db", fz_tmpdir());
	snprintf(sock_path, sizeof(sock_path), "%s/keycabd.sock", fz_tmpdir());
	template_store();
	srv = kc_proto_new(sock_path, 0600, NULL, kc_request_handle, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "kc-fuzz: %s\n", err);
		abort();
	}
	atexit(server_free);
}

static void take_replies(int fd)
{
	ssize_t n;

	for (;;) {
		if (reply_cap - reply_len < 65536) {
			char *p = realloc(reply, reply_cap + 65536 + 1);

			if (!p)
				abort();
			reply = p;
			reply_cap += 65536;
		}
		n = recv(fd, reply + reply_len, reply_cap - reply_len, MSG_DONTWAIT);
		if (n <= 0)
			break;
		reply_len += (size_t)n;
	}
	reply[reply_len] = '\0';
}

/* Runs keycabd's part of the loop until the server has closed the client:
 * poll() over what kc_proto_pollfds gives, kc_proto_handle. */
static void converse(struct kc_ctl *ctl, int client, const uint8_t *data, size_t size)
{
	struct pollfd fds[KC_PROTO_MAX_CLIENTS + 1];
	size_t off = 0;
	bool shut = false;
	int n;

	for (long round = 0;; round++) {
		if (round > 1000000) {
			fprintf(stderr, "kc-fuzz: keycabd does not finish with its client\n");
			abort();
		}
		if (off < size) {
			ssize_t w = send(client, data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);

			if (w > 0)
				off += (size_t)w;
			else if (w < 0 && errno != EAGAIN && errno != EINTR)
				off = size; /* closed by keycabd */
		} else if (!shut) {
			shutdown(client, SHUT_WR);
			shut = true;
		}
		n = kc_proto_pollfds(srv, fds, (int)KC_ARRAY_SIZE(fds));
		if (n <= 1 && off >= size)
			break; /* the client is gone */
		if (poll(fds, (nfds_t)n, 50) < 0 && errno != EINTR)
			abort();
		fds[0].revents = 0; /* nobody else connects */
		kc_proto_handle(srv, fds, n, ctl);
		take_replies(client);
	}
	take_replies(client);
}

/* One reply per non-empty request line ('\n'-terminated; the protocol
 * drops an unterminated last line), each a JSON object with "ok". */
static void check_replies(const uint8_t *data, size_t size)
{
	size_t want = 0, got = 0, start = 0;
	char *line, *nl;

	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n') {
			if (i > start)
				want++;
			start = i + 1;
		}
	for (line = reply; *line; line = nl + 1) {
		json_t *r;

		nl = strchr(line, '\n');
		if (!nl) {
			fprintf(stderr, "a reply without its newline: %s\n", line);
			abort();
		}
		*nl = '\0';
		if (fz_verbose())
			printf("  reply: %.300s\n", line);
		r = json_loads(line, 0, NULL);
		if (!json_is_object(r) || !json_is_boolean(json_object_get(r, "ok"))) {
			fprintf(stderr, "a reply that is no {\"ok\": ...} object: %s\n", line);
			abort();
		}
		json_decref(r);
		got++;
	}
	if (got != want) {
		fprintf(stderr, "%zu request lines, %zu replies\n", want, got);
		abort();
	}
}

/* Every event of the outbox, in order, on one chain. */
static void check_outbox(struct kc_store *st)
{
	char prev[KC_HASH_HEX] = KC_GENESIS_HASH, err[512];
	sqlite3 *db = kc_store_db(st);
	int64_t expect = 1, last_seq = -1;
	const char *last_hash = NULL;
	sqlite3_stmt *s;

	if (sqlite3_prepare_v2(db, "SELECT seq, body FROM outbox ORDER BY seq", -1, &s, NULL) !=
	    SQLITE_OK)
		abort();
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *ev = json_loads((const char *)sqlite3_column_text(s, 1), 0, NULL);

		if (sqlite3_column_int64(s, 0) != expect ||
		    kc_event_check(ev, prev, expect, err, sizeof(err)) != 0) {
			fprintf(stderr, "outbox event %lld breaks the chain: %s\n", (long long)expect,
				ev ? err : "not JSON");
			abort();
		}
		kc_strlcpy(prev, json_string_value(json_object_get(ev, "hash")), sizeof(prev));
		json_decref(ev);
		expect++;
	}
	sqlite3_finalize(s);
	if (sqlite3_prepare_v2(db, "SELECT last_seq, last_hash FROM chain WHERE id = 1", -1, &s,
			       NULL) != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW)
		abort();
	last_seq = sqlite3_column_int64(s, 0);
	last_hash = (const char *)sqlite3_column_text(s, 1);
	if (last_seq != expect - 1 || !last_hash || strcmp(last_hash, prev) != 0) {
		fprintf(stderr, "the chain state (%lld) is not the outbox's last event (%lld)\n",
			(long long)last_seq, (long long)(expect - 1));
		abort();
	}
	sqlite3_finalize(s);
}

static bool id_like(const char *v)
{
	char norm[64];
	int letters = 0, digits = 0;

	if (kc_id_normalise(v, norm, sizeof(norm)) < 0 || strlen(norm) < 8)
		return false;
	for (const char *p = norm; *p; p++) {
		letters += (*p >= 'A' && *p <= 'Z');
		digits += (*p >= '0' && *p <= '9');
	}
	return letters >= 2 && digits >= 4;
}

static size_t count_in(const char *hay, size_t len, const char *needle)
{
	size_t n = 0, k = strlen(needle);

	for (const char *p = hay; k && (p = memmem(p, len - (size_t)(p - hay), needle, k)); p++)
		n++;
	return n;
}

/* The "id_number" strings of one request, at any depth. */
static void collect_ids(json_t *v, json_t *ids)
{
	const char *k;
	json_t *m;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, k, m) {
			if (strcmp(k, "id_number") == 0 && json_is_string(m))
				json_array_append(ids, m);
			else
				collect_ids(m, ids);
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			collect_ids(m, ids);
	}
}

static void check_no_ids(struct kc_store *st, const uint8_t *data, size_t size)
{
	json_t *ids = json_array(), *v;
	sqlite3_stmt *s;
	size_t i, start = 0;

	for (size_t e = 0; e <= size; e++) {
		if (e < size && data[e] != '\n')
			continue;
		json_t *req = json_loadb((const char *)data + start, e - start, 0, NULL);

		collect_ids(req, ids);
		json_decref(req);
		start = e + 1;
	}
	json_array_append_new(ids, json_string("110101198001011232")); /* the template's */
	json_array_append_new(ids, json_string("E7654321"));
	if (sqlite3_prepare_v2(kc_store_db(st), "SELECT body FROM outbox", -1, &s, NULL) != SQLITE_OK)
		abort();
	json_array_foreach(ids, i, v) {
		const char *id = json_string_value(v);
		size_t as_id = 0;

		if (!id_like(id))
			continue;
		/* the value is only ever an ID number in this input */
		for (size_t j = 0; j < json_array_size(ids); j++)
			as_id += strcmp(json_string_value(json_array_get(ids, j)), id) == 0;
		if (count_in((const char *)data, size, id) > as_id)
			continue;
		if (strstr(reply, id)) {
			fprintf(stderr, "the ID number %s is in a reply\n", id);
			abort();
		}
		while (sqlite3_step(s) == SQLITE_ROW)
			if (strstr((const char *)sqlite3_column_text(s, 0), id)) {
				fprintf(stderr, "the ID number %s is in the outbox\n", id);
				abort();
			}
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	json_decref(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd fds[2];
	struct kc_ctl ctl;
	char err[512];
	int client;

	if (!srv)
		once();
	fz_unlink_db(work_db);
	if (fz_copy_file(template_db, work_db) < 0)
		abort();
	memset(&ctl, 0, sizeof(ctl));
	ctl.conf = &conf;
	ctl.uid = getuid();
	ctl.st = kc_store_open(work_db, CABINET, false, err, sizeof(err));
	if (!ctl.st) {
		fprintf(stderr, "kc-fuzz: %s\n", err);
		abort();
	}
	ctl.db = kc_store_kdb(ctl.st);
	client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	kc_strlcpy(sa.sun_path, sock_path, sizeof(sa.sun_path));
	if (client < 0 || connect(client, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	/* keycabd's loop sees the listening socket readable: accept */
	if (kc_proto_pollfds(srv, fds, 1) != 1)
		abort();
	fds[0].revents = POLLIN;
	kc_proto_handle(srv, fds, 1, &ctl);
	reply_len = 0;
	converse(&ctl, client, data, size);
	close(client);
	kc_scans_tick(&ctl); /* timers over what the requests left */
	check_outbox(ctl.st);
	check_no_ids(ctl.st, data, size);
	kc_store_free(ctl.st);
	check_replies(data, size);
	return 0;
}
