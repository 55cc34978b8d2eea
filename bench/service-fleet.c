/* A fleet of cabinets against one keyauditd on loopback. Each cabinet has
 * its own token and chain and keeps one connection open, as the forwarder
 * does, sending its events one request at a time in seq order. Clients are
 * spread over loopback source addresses 127.0.x.y (8 a address, under the
 * per-address cap); one thread drives every connection with epoll.
 *
 * Time is compressed: 300 events a day a cabinet, KC_BENCH_FLEET_COMPRESS
 * times faster (default 20: one event every 14.4 s a cabinet), for
 * KC_BENCH_FLEET_SECONDS of load (default 40). The fleet
 * (KC_BENCH_FLEET, default 10000) runs beside a baseline of 1000 cabinets
 * at the same per-cabinet rate, in the same run. Reported for each: events
 * sent and acknowledged, latency p50/p99/max, keyauditd's peak RSS and open
 * files, the time it takes to stop; then every event is checked in the
 * database: stored exactly once, each cabinet's head where its last
 * acknowledgement said. Cabinets are inserted into the database directly,
 * with the service's token hashing (the admin command does the same one by
 * one). Passes when every event is acknowledged and p99 < 1 s. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/event.h"
#include "common/pdata.h"
#include "common/util.h"
#include "service/auth.h"
#include "service/store.h"

#define PER_ADDRESS 8
#define DRAIN_MS 30000

struct cab {
	char id[24];
	char token[KC_TOKEN_LEN];
	char prev[KC_HASH_HEX];
	int64_t sealed;	     /* last seq sealed (and sent) */
	int64_t acked;	     /* last_seq of the last 200 */
	int fd;
	struct sockaddr_in src;
	char *req;
	size_t reqlen, off;
	char in[4096];
	size_t inlen;
	bool busy;
	int64_t next_ms, sent_ms;
};

struct run {
	int n;
	struct cab *cabs;
	int ep;
	struct sockaddr_in dst;
	double *lat;
	size_t nlat, caplat;
	long sent, acks, dup_acks, errors, reconnects, bad;
	long peak_rss_kib, peak_fds;
};

static int64_t period_ms(void)
{
	const char *c = getenv("KC_BENCH_FLEET_COMPRESS");
	long long x = 20;

	if (c)
		kc_parse_long(c, 1, 100000, &x);
	return 86400000 / (300 * x);
}

static long proc_rss_kib(pid_t pid)
{
	char path[64], line[256];
	long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0)
			v = atol(line + 6);
	fclose(f);
	return v;
}

static long proc_fds(pid_t pid)
{
	char path[64];
	struct dirent *e;
	long n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void cab_connect(struct run *r, struct cab *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP, .data.ptr = c };
	int one = 1;

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		r->errors++;
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(c->fd, (struct sockaddr *)&c->src, sizeof(c->src)) < 0 ||
	    (connect(c->fd, (struct sockaddr *)&r->dst, sizeof(r->dst)) < 0 && errno != EINPROGRESS)) {
		r->errors++;
		close(c->fd);
		c->fd = -1;
		return;
	}
	c->off = 0;
	c->inlen = 0;
	epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void cab_reconnect(struct run *r, struct cab *c)
{
	if (c->fd >= 0)
		close(c->fd);
	r->reconnects++;
	cab_connect(r, c);
}

/* Seals the cabinet's next event into a request. */
static void cab_next(struct cab *c, int64_t now_ms)
{
	static const char *types[] = { "slot.removed", "slot.inserted", "operator.login", "release.not_taken" };
	json_t *ev = kc_event_new(c->id, c->sealed + 1, kc_wall_ms(), types[c->sealed % 4]);
	char *body;
	int len;

	json_object_set_new(ev, "slot", json_string("A1"));
	json_object_set_new(ev, "key", json_string("K-0001"));
	json_object_set_new(json_object_get(ev, "data"), "n", json_integer(c->sealed));
	kc_event_seal(ev, c->prev, c->prev);
	body = json_dumps(ev, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(ev);
	free(c->req);
	len = asprintf(&c->req,
		       "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
		       "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n[%s]",
		       c->token, strlen(body) + 2, body);
	free(body);
	c->reqlen = len > 0 ? (size_t)len : 0;
	c->sealed++;
	c->off = 0;
	c->busy = true;
	c->sent_ms = now_ms;
}

static void cab_want(struct run *r, struct cab *c, bool out)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | (out ? EPOLLOUT : 0), .data.ptr = c };

	if (c->fd >= 0)
		epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void record(struct run *r, double ms)
{
	if (r->nlat == r->caplat) {
		r->caplat = r->caplat ? r->caplat * 2 : 65536;
		r->lat = realloc(r->lat, r->caplat * sizeof(*r->lat));
	}
	r->lat[r->nlat++] = ms;
}

/* A whole answer in c->in: 1 done, 0 not yet. */
static int cab_answer(struct run *r, struct cab *c, int64_t now_ms)
{
	char *end = memmem(c->in, c->inlen, "\r\n\r\n", 4), *cl, *ls;
	size_t body;
	long long last = -1;

	if (!end)
		return 0;
	*end = '\0';
	cl = strcasestr(c->in, "Content-Length:");
	body = cl ? (size_t)atol(cl + 15) : 0;
	*end = '\r';
	if ((size_t)(end + 4 - c->in) + body > c->inlen)
		return 0;
	ls = memmem(end, body + 4, "\"last_seq\":", 11);
	if (ls)
		last = atoll(ls + 11);
	if (strncmp(c->in, "HTTP/1.1 200", 12) != 0 || last != c->sealed) {
		r->bad++;
		if (r->bad <= 3)
			fprintf(stderr, "fleet: %s seq %lld: %.60s\n", c->id, (long long)c->sealed, c->in);
	} else {
		c->acked = last;
		r->acks++;
		if (memmem(end, body + 4, "\"duplicates\": 1", 15))
			r->dup_acks++;
	}
	record(r, (double)(now_ms - c->sent_ms));
	c->busy = false;
	c->inlen = 0;
	return 1;
}

static void cab_io(struct run *r, struct cab *c, uint32_t evs, int64_t now_ms)
{
	if (evs & (EPOLLERR | EPOLLHUP)) {
		cab_reconnect(r, c);
		return;
	}
	if ((evs & EPOLLOUT) && c->busy && c->off < c->reqlen) {
		ssize_t w = write(c->fd, c->req + c->off, c->reqlen - c->off);

		if (w > 0)
			c->off += (size_t)w;
		if (c->off == c->reqlen)
			cab_want(r, c, false);
	} else if (evs & EPOLLOUT) {
		cab_want(r, c, false);
	}
	if (evs & (EPOLLIN | EPOLLRDHUP)) {
		ssize_t n = read(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen);

		if (n <= 0) {
			if (n < 0 && errno == EAGAIN)
				return;
			/* closed (idle timeout, or refused): resend what is in flight */
			cab_reconnect(r, c);
			if (c->busy) {
				c->off = 0;
				c->sent_ms = now_ms;
			}
			return;
		}
		c->inlen += (size_t)n;
		cab_answer(r, c, now_ms);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int insert_cabinets(const char *dbpath, struct run *r)
{
	char err[256];
	struct kc_db *db = kc_db_open(dbpath, 1, err, sizeof(err));
	sqlite3_stmt *st;

	if (!db) {
		fprintf(stderr, "fleet: %s\n", err);
		return -EIO;
	}
	st = kc_db_stmt(db, "INSERT INTO cabinets (id, token_hash, created_ms) VALUES (?,?,?)");
	sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL);
	for (int i = 0; st && i < r->n; i++) {
		char hash[65];

		kc_token_hash(r->cabs[i].token, hash);
		kc_bind_text(st, 1, r->cabs[i].id);
		kc_bind_text(st, 2, hash);
		sqlite3_bind_int64(st, 3, kc_wall_ms());
		sqlite3_step(st);
		sqlite3_reset(st);
	}
	sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
	kc_db_free(db);
	return st ? 0 : -EIO;
}

/* Every event stored once: each cabinet's head is its last acknowledged
 * seq and its events are 1..head. Returns the number of mismatches. */
static long check_db(const char *dbpath, struct run *r, long long *total)
{
	char err[256];
	struct kc_db *db = kc_db_open(dbpath, 0, err, sizeof(err));
	sqlite3_stmt *st;
	long bad = 0;

	if (!db)
		return -1;
	st = kc_db_stmt(db, "SELECT c.last_seq, (SELECT count(*) FROM events e WHERE e.cabinet = c.id),"
			    " (SELECT count(DISTINCT seq) FROM events e WHERE e.cabinet = c.id) FROM cabinets c"
			    " WHERE c.id = ?");
	*total = 0;
	for (int i = 0; st && i < r->n; i++) {
		struct cab *c = &r->cabs[i];

		kc_bind_text(st, 1, c->id);
		if (sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int64(st, 0) != c->acked ||
		    sqlite3_column_int64(st, 1) != c->acked || sqlite3_column_int64(st, 2) != c->acked)
			bad++;
		*total += sqlite3_column_int64(st, 1);
		sqlite3_reset(st);
	}
	kc_db_free(db);
	return bad;
}

static pid_t start_service(const char *dir, int *port)
{
	char conf[600], portf[600], bin[600];
	const char *b = getenv("KEYCAB_BIN");
	FILE *f;
	pid_t pid;

	snprintf(conf, sizeof(conf), "%s/keyauditd.conf", dir);
	snprintf(portf, sizeof(portf), "%s/port", dir);
	snprintf(bin, sizeof(bin), "%s/keyauditd", b ? b : "build/bin");
	f = fopen(conf, "w");
	if (!f)
		return -1;
	fprintf(f, "[server]\nlisten = 127.0.0.1\nport = 0\nport_file = %s\n[database]\npath = %s/audit.db\n", portf,
		dir);
	fclose(f);
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		char logp[700];
		int log;

		snprintf(logp, sizeof(logp), "%s/keyauditd.log", dir);
		log = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(null, 1);
		dup2(log >= 0 ? log : null, 2);
		execl(bin, "keyauditd", "-c", conf, "serve", (char *)NULL);
		_exit(127);
	}
	*port = 0;
	for (int i = 0; i < 200 && !*port; i++) {
		usleep(50000);
		f = fopen(portf, "r");
		if (f) {
			if (fscanf(f, "%d", port) != 1)
				*port = 0;
			fclose(f);
		}
	}
	return pid;
}

static int fleet(int n, int seconds)
{
	char dir[] = "/tmp/kc-bench-fleet-XXXXXX", dbpath[600];
	struct run r = { .n = n };
	struct epoll_event evs[512];
	int64_t period = period_ms(), start, stop_at, last_sample = 0, t0;
	long long stored = 0;
	long dbbad;
	double stop_s;
	int port, status, rc = 0;
	pid_t pid;

	if (!mkdtemp(dir))
		return 1;
	snprintf(dbpath, sizeof(dbpath), "%s/audit.db", dir);
	r.cabs = calloc((size_t)n, sizeof(*r.cabs));
	for (int i = 0; i < n; i++) {
		struct cab *c = &r.cabs[i];
		int a = i / PER_ADDRESS;

		snprintf(c->id, sizeof(c->id), "FLEET-%05d", i);
		kc_token_new(c->token, KC_TOKEN_BYTES);
		memcpy(c->prev, KC_GENESIS_HASH, KC_HASH_HEX);
		c->fd = -1;
		c->src.sin_family = AF_INET;
		c->src.sin_addr.s_addr = htonl((127u << 24) | ((unsigned)(a / 250 + 1) << 8) | (unsigned)(a % 250 + 1));
	}
	if (insert_cabinets(dbpath, &r) < 0)
		return 1;
	pid = start_service(dir, &port);
	if (pid < 0 || !port) {
		fprintf(stderr, "fleet: keyauditd did not start (log in %s)\n", dir);
		return 1;
	}
	r.dst.sin_family = AF_INET;
	r.dst.sin_port = htons((uint16_t)port);
	r.dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	r.ep = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < n; i++) { /* connect all, in waves */
		cab_connect(&r, &r.cabs[i]);
		if (i % 500 == 499)
			usleep(20000);
	}
	start = kc_mono_ms();
	for (int i = 0; i < n; i++)
		r.cabs[i].next_ms = start + 1000 + (int64_t)((double)period * i / n);
	stop_at = start + 1000 + (int64_t)seconds * 1000;
	for (;;) {
		int64_t now = kc_mono_ms();
		int k, busy = 0;

		if (now - last_sample >= 500) {
			long rss = proc_rss_kib(pid), fds = proc_fds(pid);

			last_sample = now;
			r.peak_rss_kib = rss > r.peak_rss_kib ? rss : r.peak_rss_kib;
			r.peak_fds = fds > r.peak_fds ? fds : r.peak_fds;
		}
		for (int i = 0; i < n; i++) {
			struct cab *c = &r.cabs[i];

			busy += c->busy;
			if (!c->busy && now < stop_at && now >= c->next_ms) {
				if (c->fd < 0)
					cab_connect(&r, c);
				cab_next(c, now);
				c->next_ms += period;
				r.sent++;
				cab_want(&r, c, true);
			}
		}
		if (now >= stop_at && (!busy || now >= stop_at + DRAIN_MS))
			break;
		k = epoll_wait(r.ep, evs, 512, 5);
		now = kc_mono_ms();
		for (int i = 0; i < k; i++)
			cab_io(&r, evs[i].data.ptr, evs[i].events, now);
	}
	for (int i = 0; i < n; i++)
		if (r.cabs[i].fd >= 0)
			close(r.cabs[i].fd);
	/* stopping with the connections still open: the service's side */
	for (int i = 0; i < n; i++)
		cab_connect(&r, &r.cabs[i]);
	usleep(500000);
	t0 = kc_mono_ms();
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	stop_s = (double)(kc_mono_ms() - t0) / 1000.0;
	for (int i = 0; i < n; i++)
		if (r.cabs[i].fd >= 0)
			close(r.cabs[i].fd);
	close(r.ep);
	dbbad = check_db(dbpath, &r, &stored);
	qsort(r.lat, r.nlat, sizeof(*r.lat), cmp_double);
	{
		double p50 = r.nlat ? r.lat[r.nlat / 2] : 0, p99 = r.nlat ? r.lat[(size_t)((double)r.nlat * 0.99)] : 0;
		double mx = r.nlat ? r.lat[r.nlat - 1] : 0;

		printf("%6d cabinets: %ld events sent, %ld acknowledged (%ld as duplicates after a reconnect), %ld bad"
		       " answers, %ld reconnects, %ld socket errors\n"
		       "                latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; keyauditd peak RSS %ld MiB, "
		       "peak open files %ld; stop %.2f s\n"
		       "                database: %lld events stored, %ld cabinets whose head or count differs"
		       " from what was acknowledged\n",
		       n, r.sent, r.acks, r.dup_acks, r.bad, r.reconnects, r.errors, p50, p99, mx,
		       r.peak_rss_kib / 1024, r.peak_fds, stop_s, stored, dbbad);
		if (r.acks != r.sent || r.bad || dbbad != 0 || stored != r.sent || p99 >= 1000.0) {
			printf("                FAIL: not every event acknowledged and stored once, or p99 >= 1 s"
			       " (files in %s)\n", dir);
			rc = 1;
		}
	}
	for (int i = 0; i < n; i++)
		free(r.cabs[i].req);
	free(r.cabs);
	free(r.lat);
	if (rc == 0) {
		char cmd[700];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "fleet: cannot remove %s\n", dir);
	}
	return rc;
}

int main(void)
{
	const char *e = getenv("KC_BENCH_FLEET"), *s = getenv("KC_BENCH_FLEET_SECONDS");
	long long n = 10000, seconds = 40;
	struct rlimit rl;
	int rc;

	if ((e && kc_parse_long(e, 1, 60000, &n) < 0) || (s && kc_parse_long(s, 5, 3600, &seconds) < 0)) {
		fprintf(stderr, "fleet: KC_BENCH_FLEET is 1 to 60000, KC_BENCH_FLEET_SECONDS 5 to 3600\n");
		return 2;
	}
	if (kc_pdata_init() < 0)
		return 1;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	printf("fleet: one event every %.1f s a cabinet (300 a day, %lld times faster), %lld s of load; baseline"
	       " 1000 cabinets, then %lld\n",
	       (double)period_ms() / 1000.0, 86400000LL / 300 / period_ms(), seconds, n);
	fflush(stdout);
	rc = fleet(1000, (int)seconds);
	fflush(stdout);
	rc |= fleet((int)n, (int)seconds);
	return rc;
}
