/* keycabd's socket protocol (controller/proto.c) and the requests behind
 * it (controller/ops.c, registry.c, session.c, rules.c): the input is
 * what a client writes on keycabd's unix socket before closing its side.
 * A real kc_server is fed over a real connection and driven with poll()
 * as keycabd's loop does, on a fresh copy of a store that holds a small
 * estate, open sessions of each role (tokens "staff-token", "eng-token",
 * "mgr-token", "sup-token"), a key out on loan with an ID held, an alarm.
 * No hardware (ctl->hw NULL, as in the controller's unit tests).
 *
 * The protocol's promise is checked too: one reply line per request line,
 * each a JSON object with a boolean "ok". */
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

#include "common/log.h"
#include "common/pdata.h"
#include "common/util.h"
#include "controller/conf.h"
#include "controller/ctl.h"
#include "controller/proto.h"
#include "controller/store.h"
#include "tests/fuzz/fuzz.h"

#define CABINET "fuzz-cab"
#define DAY (86400LL * 1000)
#define FAR_FUTURE_MS 4000000000000LL /* sessions never idle out mid-run */

static struct kc_ctl_conf conf;
static struct kc_server *srv;
static char template_db[256], work_db[256], sock_path[256];
static char *reply;
static size_t reply_len, reply_cap;

static void server_free(void)
{
	kc_server_free(srv);
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
	if (kc_id_hash("110101198001011234", idh) < 0 || kc_id_hash("E7654321", bh) < 0)
		abort();
	sql(st, "INSERT INTO sites VALUES ('S', 'Site', 'new'), ('SO', 'Old site', 'old');"
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
		" ('O1','Owner','id_card','%s','**************1234')", idh);
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

	fz_quiet();
	if (kc_pdata_init() < 0)
		abort();
	kc_ctl_conf_defaults(&conf);
	snprintf(template_db, sizeof(template_db), "%s/keycab-template.db", fz_tmpdir());
	snprintf(work_db, sizeof(work_db), "%s/keycab.db", fz_tmpdir());
	snprintf(sock_path, sizeof(sock_path), "%s/keycabd.sock", fz_tmpdir());
	template_store();
	srv = kc_server_new(sock_path, 0600, NULL, err, sizeof(err));
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
 * poll() over what kc_server_pollfds gives, kc_server_handle. */
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
		n = kc_server_pollfds(srv, fds, (int)KC_ARRAY_SIZE(fds));
		if (n <= 1 && off >= size)
			break; /* the client is gone */
		if (poll(fds, (nfds_t)n, 50) < 0 && errno != EINTR)
			abort();
		fds[0].revents = 0; /* nobody else connects */
		kc_server_handle(srv, fds, n, ctl);
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
	client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	kc_strlcpy(sa.sun_path, sock_path, sizeof(sa.sun_path));
	if (client < 0 || connect(client, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	/* keycabd's loop sees the listening socket readable: accept */
	if (kc_server_pollfds(srv, fds, 1) != 1)
		abort();
	fds[0].revents = POLLIN;
	kc_server_handle(srv, fds, 1, &ctl);
	reply_len = 0;
	converse(&ctl, client, data, size);
	close(client);
	kc_cabinet_tick(&ctl); /* timers over what the requests left */
	kc_store_free(ctl.st);
	check_replies(data, size);
	return 0;
}
