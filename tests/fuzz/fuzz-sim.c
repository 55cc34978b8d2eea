/* A keycab-sim for the fuzz harnesses (fuzz-sim.h). Set up as main() in
 * hw/sim/main.c does, except that RTU buses are socket pairs (no pty, no
 * symlink at the bus's device path) and the control socket lives in the
 * harness's private directory. */
#include "tests/fuzz/fuzz-sim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "tests/fuzz/fuzz.h"

#define FAR_FUTURE_US (INT64_MAX / 4)
#define STUCK_ROUNDS 1000000

/* Every board kind and profile: two generic RTU boards and a Waveshare
 * Relay (D) on one line, a board on a second line, a TCP board, and a
 * GPIO board (which the simulator refuses to simulate). */
static const char cabinet_fmt[] =
	"[cabinet]\nid = fuzz\n"
	"[bus line1]\ndevice = /nonexistent/kc-fuzz-tty1\nbaud = 9600\n"
	"[bus line2]\ndevice = /nonexistent/kc-fuzz-tty2\nparity = even\n"
	"[board gen]\ntype = modbus-rtu\nbus = line1\nunit = 1\n"
	"[board ws]\ntype = modbus-rtu\nbus = line1\nunit = 2\nprofile = waveshare-relay-d\n"
	"[board far]\ntype = modbus-rtu\nbus = line2\nunit = 247\n"
	"[board net]\ntype = modbus-tcp\nhost = 127.0.0.1\nport = %d\nunit = 1\n"
	"[board pins]\ntype = gpio\nchip = gpiochip0\n"
	"[slot A1]\nboard = gen\nlock = 0\nsense = 0\ntag = 0\n"
	"[slot A2]\nboard = gen\nlock = 1\nsense = 1\ntag = 2\n"
	"[slot A3]\nboard = gen\nlock = 40\nsense = 33\n"
	"[slot W1]\nboard = ws\nlock = 0\nsense = 0\n"
	"[slot W8]\nboard = ws\nlock = 7\nsense = 7\n"
	"[slot F1]\nboard = far\nlock = 3\nsense = 5\ntag = 100\n"
	"[slot T1]\nboard = net\nlock = 0\nsense = 0\ntag = 10\n"
	"[slot G1]\nboard = pins\nlock = 1\nsense = 2\n";

static struct hw_cabinet_conf *conf;

/* The harness's own set-up failed (not the code under test): say why. */
static void die(const char *what) __attribute__((noreturn));
static void die(const char *what)
{
	perror(what);
	abort();
}
static struct sim proto; /* what lasts across inputs */
static char conf_path[256], ctl_path[108];

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static void once(void)
{
	char err[512];
	FILE *f;
	int port;

	fz_quiet();
	snprintf(conf_path, sizeof(conf_path), "%s/cabinet.conf", fz_tmpdir());
	snprintf(ctl_path, sizeof(ctl_path), "%s/sim.sock", fz_tmpdir());
	port = free_port();
	f = fopen(conf_path, "w");
	if (port < 0 || !f) {
		fprintf(stderr, "kc-fuzz: cannot write %s\n", conf_path);
		abort();
	}
	fprintf(f, cabinet_fmt, port);
	fclose(f);
	conf = hw_conf_load(conf_path, err, sizeof(err));
	if (!conf) {
		fprintf(stderr, "kc-fuzz: the built-in cabinet: %s\n", err);
		abort();
	}
	proto = (struct sim){ .ctl_fd = -1, .timer_fd = -1, .signal_fd = -1, .inotify_fd = -1,
			      .reply_sock = { -1, -1 } };
	proto.conf = conf;
	proto.conf_path = conf_path;
	proto.inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (proto.inotify_fd < 0 || sim_reply_ctx_open(&proto) < 0) {
		fprintf(stderr, "kc-fuzz: cannot set up the reply context\n");
		abort();
	}
}

static void buses_open(struct fz_sim *fs)
{
	struct sim *sim = &fs->sim;

	sim->buses = calloc((size_t)conf->nbuses + 1, sizeof(*sim->buses));
	if (!sim->buses)
		die("kc-fuzz: buses");
	/* the mapping of sim_buses_open(), with a socket pair for a pty */
	for (int i = 0; i < conf->nbuses; i++) {
		struct sim_bus *bus = &sim->buses[sim->nbuses];
		bool used = false;
		int sv[2];

		for (int b = 0; b < sim->nboards; b++)
			if (sim->boards[b].conf->type == HW_BOARD_MODBUS_RTU &&
			    sim->boards[b].conf->bus == i) {
				sim->boards[b].transport = sim->nbuses;
				used = true;
			}
		if (!used)
			continue;
		if (sim->nbuses >= (int)(sizeof(fs->bus_peer) / sizeof(fs->bus_peer[0])) ||
		    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
			die("kc-fuzz: bus socket pair");
		bus->conf = &conf->buses[i];
		bus->master = sv[0];
		bus->slave = -1;
		bus->watch = -1;
		bus->openers = 1; /* a client has the port open */
		fs->bus_peer[sim->nbuses++] = sv[1];
	}
}

static void ctl_connect(struct fz_sim *fs)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	fs->ctl_peer = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	kc_strlcpy(sa.sun_path, ctl_path, sizeof(sa.sun_path));
	if (fs->ctl_peer < 0 || connect(fs->ctl_peer, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("kc-fuzz: connect to keycab-sim's control socket");
	sim_ctl_accept(&fs->sim);
	if (fs->sim.nctl != 1)
		die("kc-fuzz: keycab-sim did not accept the control client");
}

void fz_sim_start(struct fz_sim *fs)
{
	struct sim *sim = &fs->sim;
	char err[512];

	if (!conf)
		once();
	memset(fs, 0, sizeof(*fs));
	for (size_t i = 0; i < sizeof(fs->bus_peer) / sizeof(fs->bus_peer[0]); i++)
		fs->bus_peer[i] = -1;
	fs->ctl_peer = fs->tcp_peer = -1;
	*sim = proto;
	if (sim_boards_init(sim, err, sizeof(err)) < 0 ||
	    sim_endpoints_open(sim, err, sizeof(err)) < 0 ||
	    sim_ctl_open(sim, ctl_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "kc-fuzz: keycab-sim set-up: %s\n", err);
		abort();
	}
	buses_open(fs);
	ctl_connect(fs);
}

void fz_sim_stop(struct fz_sim *fs)
{
	struct sim *sim = &fs->sim;

	if (fs->tcp_peer >= 0)
		close(fs->tcp_peer); /* first, and with a reset: no TIME-WAIT */
	fs->tcp_peer = -1;
	sim_ctl_close(sim);
	sim_buses_close(sim);
	sim_endpoints_close(sim);
	for (int i = 0; i < sim->npending; i++)
		free(sim->pending[i]);
	free(sim->pending);
	sim_fds_free(sim);
	sim_boards_free(sim);
	for (size_t i = 0; i < sizeof(fs->bus_peer) / sizeof(fs->bus_peer[0]); i++)
		if (fs->bus_peer[i] >= 0)
			close(fs->bus_peer[i]);
	if (fs->ctl_peer >= 0)
		close(fs->ctl_peer);
}

static size_t drain(int fd, char *reply, size_t cap, size_t *len)
{
	char buf[4096];
	size_t got = 0;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		got += (size_t)n;
		if (reply && *len + 1 < cap) {
			size_t k = (size_t)n < cap - 1 - *len ? (size_t)n : cap - 1 - *len;

			memcpy(reply + *len, buf, k);
			*len += k;
			reply[*len] = '\0';
		}
	}
	return got;
}

static int pending_in(int fd)
{
	int avail = 0;

	if (ioctl(fd, FIONREAD, &avail) < 0)
		return 0;
	return avail;
}

size_t fz_sim_ctl(struct fz_sim *fs, const uint8_t *data, size_t size, bool close_after,
		  char *reply, size_t reply_cap)
{
	struct sim *sim = &fs->sim;
	size_t off = 0, len = 0, total = 0;
	bool shut = false;

	if (reply && reply_cap)
		reply[0] = '\0';
	if (sim->nctl == 0) {
		/* the last client was dropped (it did not read, or it closed) */
		if (fs->ctl_peer >= 0)
			close(fs->ctl_peer);
		ctl_connect(fs);
	}
	for (long round = 0;; round++) {
		bool idle;

		if (round > STUCK_ROUNDS) {
			fprintf(stderr, "kc-fuzz: keycab-sim stopped taking its control input\n");
			abort();
		}
		if (off < size) {
			ssize_t n = send(fs->ctl_peer, data + off, size - off,
					 MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n > 0)
				off += (size_t)n;
			else if (n < 0 && errno != EAGAIN && errno != EINTR)
				off = size; /* dropped: the rest goes nowhere */
		} else if (close_after && !shut) {
			shutdown(fs->ctl_peer, SHUT_WR);
			shut = true;
		}
		idle = true;
		if (sim->nctl > 0) {
			struct sim_ctl_client *cl = sim->ctl[0];

			if (!cl->closing && (pending_in(cl->fd) > 0 || shut)) {
				sim_ctl_readable(sim, 0);
				idle = false;
			} else if (cl->outlen > 0) {
				sim_ctl_writable(sim, 0);
				idle = false;
			}
		}
		total += drain(fs->ctl_peer, reply, reply_cap, &len);
		if (off < size || !idle)
			continue;
		if (sim->nctl == 0 || !close_after)
			break;
	}
	return total;
}

void fz_sim_rtu(struct fz_sim *fs, int bus, const uint8_t *data, size_t size)
{
	struct sim *sim = &fs->sim;
	size_t off = 0, len = 0;

	if (bus < 0 || bus >= sim->nbuses)
		return;
	for (long round = 0; off < size; round++) {
		ssize_t n = send(fs->bus_peer[bus], data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (round > STUCK_ROUNDS)
			abort();
		if (n > 0)
			off += (size_t)n;
		sim_bus_readable(sim, bus);
		drain(fs->bus_peer[bus], NULL, 0, &len);
	}
	sim_bus_readable(sim, bus);
	drain(fs->bus_peer[bus], NULL, 0, &len);
}

static void tcp_connect(struct fz_sim *fs)
{
	struct sim *sim = &fs->sim;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	if (sim->nendpoints < 1 || sim->endpoints[0].dropped || sim->endpoints[0].nlfd < 1)
		return; /* 'fault net drop': nobody listens */
	/* Closed with a reset: at hundreds of inputs a second, connections
	 * left in TIME-WAIT would use up the ephemeral ports. */
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	sa.sin_port = htons((uint16_t)sim->endpoints[0].port);
	fs->tcp_peer = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fs->tcp_peer < 0 || setsockopt(fs->tcp_peer, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0 ||
	    connect(fs->tcp_peer, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		die("kc-fuzz: connect to keycab-sim's TCP endpoint");
	}
	sim_endpoint_accept(sim, 0, sim->endpoints[0].lfd[0]);
}

void fz_sim_tcp(struct fz_sim *fs, const uint8_t *data, size_t size)
{
	struct sim *sim = &fs->sim;
	size_t off = 0, len = 0;

	if (fs->tcp_peer >= 0 && sim->nconns == 0) {
		close(fs->tcp_peer); /* the simulator closed it */
		fs->tcp_peer = -1;
	}
	if (fs->tcp_peer < 0)
		tcp_connect(fs);
	if (fs->tcp_peer < 0 || sim->nconns != 1)
		return;
	for (long round = 0; off < size && sim->nconns == 1; round++) {
		ssize_t n = send(fs->tcp_peer, data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (round > STUCK_ROUNDS)
			abort();
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			break;
		/* loopback TCP delivers before send returns */
		while (sim->nconns == 1 && pending_in(sim->conns[0]->fd) > 0)
			sim_conn_readable(sim, 0);
		drain(fs->tcp_peer, NULL, 0, &len);
	}
}

void fz_sim_timers(struct fz_sim *fs)
{
	struct sim *sim = &fs->sim;
	size_t len = 0;

	sim_boards_timers(sim, FAR_FUTURE_US);
	for (int i = 0; i < sim->nbuses; i++)
		sim_bus_idle(sim, i, FAR_FUTURE_US);
	sim_pending_run(sim, FAR_FUTURE_US);
	for (int c = sim->nconns - 1; c >= 0; c--)
		if (sim->conns[c]->dead)
			sim_conn_close(sim, c);
	for (int i = 0; i < sim->nbuses; i++)
		drain(fs->bus_peer[i], NULL, 0, &len);
	if (fs->tcp_peer >= 0)
		drain(fs->tcp_peer, NULL, 0, &len);
}
