/* The control socket: tests put keys in slots, read coils and their
 * history, and break boards on purpose. One command per line, one reply
 * line per command (README.md). */
#include "hw/sim/sim.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define CTL_OUT_MAX (8u << 20) /* a client that never reads is dropped */
#define MAX_ARGS 4

static int out_printf(struct sim_ctl_client *cl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int out_printf(struct sim_ctl_client *cl, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = cl->outcap - cl->outlen;

		va_start(ap, fmt);
		n = vsnprintf(cl->out ? cl->out + cl->outlen : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -EINVAL;
		if ((size_t)n < room) {
			cl->outlen += (size_t)n;
			return 0;
		}
		size_t cap = cl->outcap ? cl->outcap : 256;
		char *p;

		while (cap - cl->outlen <= (size_t)n)
			cap *= 2;
		if (cap > CTL_OUT_MAX) {
			cl->overflow = true;
			return -ENOBUFS;
		}
		p = realloc(cl->out, cap);
		if (!p) {
			cl->overflow = true;
			return -ENOMEM;
		}
		cl->out = p;
		cl->outcap = cap;
	}
}

/* Decimal, or hex with 0x; no octal surprises from a leading zero. */
static int parse_num(const char *s, unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	int base = 10;
	char *end;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!((s[0] >= '0' && s[0] <= '9') || (base == 16 && strchr("abcdefABCDEF", s[0]) &&
						 s[0] != '\0')))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int find_slot(struct sim *sim, struct sim_ctl_client *cl, const char *name)
{
	int i = hw_conf_find_slot(sim->conf, name);

	if (i < 0) {
		out_printf(cl, "ERR no slot %s in %s\n", name, sim->conf_path);
		return -1;
	}
	if (sim->slot_of_conf[i] < 0) {
		out_printf(cl, "ERR slot %s is on gpio board %s, which keycab-sim does not simulate\n",
			   name, sim->conf->boards[sim->conf->slots[i].board].name);
		return -1;
	}
	return sim->slot_of_conf[i];
}

static int find_board(struct sim *sim, struct sim_ctl_client *cl, const char *name)
{
	int i = hw_conf_find_board(sim->conf, name);

	if (i < 0) {
		out_printf(cl, "ERR no board %s in %s\n", name, sim->conf_path);
		return -1;
	}
	if (sim->board_of_conf[i] < 0) {
		out_printf(cl, "ERR board %s is a gpio board, which keycab-sim does not simulate\n",
			   name);
		return -1;
	}
	return sim->board_of_conf[i];
}

static const char *fault_name(enum sim_fault f)
{
	static const char *names[] = { "none", "timeout", "exception", "slow", "drop", "crc" };

	return names[f];
}

/* After a fault change: a TCP endpoint listens unless one of its boards
 * is in 'drop'. */
static int endpoint_reconcile(struct sim *sim, int e, char *err, size_t errlen)
{
	bool drop = false;

	for (int b = 0; b < sim->nboards; b++)
		if (sim->boards[b].conf->type == HW_BOARD_MODBUS_TCP &&
		    sim->boards[b].transport == e && sim->boards[b].fault == SIM_FAULT_DROP)
			drop = true;
	if (drop && !sim->endpoints[e].dropped)
		sim_endpoint_drop(sim, e);
	else if (!drop && sim->endpoints[e].dropped)
		return sim_endpoint_listen(sim, e, err, errlen);
	return 0;
}

static void cmd_fault(struct sim *sim, struct sim_ctl_client *cl, char **argv, int argc)
{
	static const char *usage = "usage: fault BOARD none|timeout|exception [CODE]|slow MS|drop|crc";
	enum sim_fault f;
	unsigned long long arg = 0;
	struct sim_board *bd;
	char err[256];
	int b;

	if (argc < 3) {
		out_printf(cl, "ERR %s\n", usage);
		return;
	}
	b = find_board(sim, cl, argv[1]);
	if (b < 0)
		return;
	bd = &sim->boards[b];
	if (strcmp(argv[2], "none") == 0) {
		f = SIM_FAULT_NONE;
	} else if (strcmp(argv[2], "timeout") == 0) {
		f = SIM_FAULT_TIMEOUT;
	} else if (strcmp(argv[2], "drop") == 0) {
		f = SIM_FAULT_DROP;
	} else if (strcmp(argv[2], "crc") == 0) {
		if (bd->conf->type != HW_BOARD_MODBUS_RTU) {
			out_printf(cl, "ERR fault crc: board %s is not a modbus-rtu board (TCP has no CRC)\n",
				   argv[1]);
			return;
		}
		f = SIM_FAULT_CRC;
	} else if (strcmp(argv[2], "exception") == 0) {
		f = SIM_FAULT_EXCEPTION;
		arg = MODBUS_EXCEPTION_SLAVE_OR_SERVER_FAILURE;
		if (argc == 4 && parse_num(argv[3], MODBUS_EXCEPTION_MAX - 1, &arg) < 0) {
			out_printf(cl, "ERR fault exception: CODE %s is not an exception code 1 to %d\n",
				   argv[3], MODBUS_EXCEPTION_MAX - 1);
			return;
		}
		if (arg == 0) {
			out_printf(cl, "ERR fault exception: CODE 0 is not an exception code\n");
			return;
		}
	} else if (strcmp(argv[2], "slow") == 0) {
		f = SIM_FAULT_SLOW;
		if (argc != 4 || parse_num(argv[3], 60000, &arg) < 0 || arg == 0) {
			out_printf(cl, "ERR fault slow: MS must be milliseconds, 1 to 60000\n");
			return;
		}
	} else {
		out_printf(cl, "ERR unknown fault mode '%s'; %s\n", argv[2], usage);
		return;
	}
	if (argc > ((f == SIM_FAULT_EXCEPTION || f == SIM_FAULT_SLOW) ? 4 : 3)) {
		out_printf(cl, "ERR too many arguments; %s\n", usage);
		return;
	}
	bd->fault = f;
	bd->fault_arg = (int)arg;
	if (f == SIM_FAULT_EXCEPTION || f == SIM_FAULT_SLOW)
		kc_info("board %s: fault %s %d", bd->conf->name, fault_name(f), (int)arg);
	else
		kc_info("board %s: fault %s", bd->conf->name, fault_name(f));
	if (bd->conf->type == HW_BOARD_MODBUS_TCP &&
	    endpoint_reconcile(sim, bd->transport, err, sizeof(err)) < 0) {
		out_printf(cl, "ERR board %s: %s\n", bd->conf->name, err);
		return;
	}
	out_printf(cl, "OK\n");
}

static void cmd_history(struct sim *sim, struct sim_ctl_client *cl, int s)
{
	const struct sim_slot *sl = &sim->slots[s];

	out_printf(cl, "OK");
	for (int i = 0; i < sl->hist_len; i++) {
		const struct sim_hist *h = &sl->hist[(sl->hist_start + i) % SIM_HIST_MAX];

		out_printf(cl, " %s@%lld", h->on ? "ON" : "OFF", (long long)h->us);
	}
	out_printf(cl, "\n");
}

static bool coil_of(const struct sim *sim, int s)
{
	const struct sim_slot *sl = &sim->slots[s];

	return sim->boards[sl->board].map->tab_bits[sim->conf->slots[sl->conf].lock] != 0;
}

static void command(struct sim *sim, struct sim_ctl_client *cl, char *line)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0, s, b;
	char *p = line;

	for (char *q = line; *q; q++)
		if ((unsigned char)*q < 0x20 && *q != '\t') {
			out_printf(cl, "ERR the command holds a control character\n");
			return;
		}
	while (*p) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (argc == MAX_ARGS) {
			out_printf(cl, "ERR too many arguments\n");
			return;
		}
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	if (argc == 0) {
		out_printf(cl, "ERR empty command\n");
		return;
	}
#define ARGS(n, usage)                                                      \
	if (argc != (n)) {                                                  \
		out_printf(cl, "ERR usage: %s\n", usage);                   \
		return;                                                     \
	}
	if (strcmp(argv[0], "ping") == 0) {
		ARGS(1, "ping");
		out_printf(cl, "OK\n");
	} else if (strcmp(argv[0], "insert") == 0) {
		unsigned long long tag = 0;

		if (argc != 2 && argc != 3) {
			out_printf(cl, "ERR usage: insert SLOT [TAG]\n");
			return;
		}
		if (argc == 3 && parse_num(argv[2], UINT32_MAX, &tag) < 0) {
			out_printf(cl, "ERR insert: TAG %s is not a number 0 to 4294967295 "
				   "(decimal or 0x hex)\n", argv[2]);
			return;
		}
		s = find_slot(sim, cl, argv[1]);
		if (s < 0)
			return;
		sim->slots[s].present = true;
		sim->slots[s].tag = (uint32_t)tag;
		sim_slot_update_inputs(sim, s);
		out_printf(cl, "OK\n");
	} else if (strcmp(argv[0], "remove") == 0) {
		ARGS(2, "remove SLOT");
		s = find_slot(sim, cl, argv[1]);
		if (s < 0)
			return;
		sim->slots[s].present = false;
		sim->slots[s].tag = 0;
		sim_slot_update_inputs(sim, s);
		out_printf(cl, "OK\n");
	} else if (strcmp(argv[0], "coil") == 0) {
		ARGS(2, "coil SLOT");
		s = find_slot(sim, cl, argv[1]);
		if (s >= 0)
			out_printf(cl, "OK %s\n", coil_of(sim, s) ? "on" : "off");
	} else if (strcmp(argv[0], "history") == 0) {
		ARGS(2, "history SLOT");
		s = find_slot(sim, cl, argv[1]);
		if (s >= 0)
			cmd_history(sim, cl, s);
	} else if (strcmp(argv[0], "clear-history") == 0) {
		ARGS(1, "clear-history");
		for (s = 0; s < sim->nslots; s++)
			sim->slots[s].hist_start = sim->slots[s].hist_len = 0;
		out_printf(cl, "OK\n");
	} else if (strcmp(argv[0], "state") == 0) {
		ARGS(1, "state");
		out_printf(cl, "OK");
		for (s = 0; s < sim->nslots; s++)
			out_printf(cl, " %s=%s,tag=%lu,coil=%s",
				   sim->conf->slots[sim->slots[s].conf].name,
				   sim->slots[s].present ? "present" : "absent",
				   (unsigned long)sim->slots[s].tag, coil_of(sim, s) ? "on" : "off");
		out_printf(cl, "\n");
	} else if (strcmp(argv[0], "fault") == 0) {
		cmd_fault(sim, cl, argv, argc);
	} else if (strcmp(argv[0], "stats") == 0) {
		ARGS(2, "stats BOARD");
		b = find_board(sim, cl, argv[1]);
		if (b >= 0)
			out_printf(cl, "OK requests=%llu bytes_in=%llu bytes_out=%llu\n",
				   (unsigned long long)sim->boards[b].requests,
				   (unsigned long long)sim->boards[b].bytes_in,
				   (unsigned long long)sim->boards[b].bytes_out);
	} else if (strcmp(argv[0], "reset-stats") == 0) {
		ARGS(1, "reset-stats");
		for (b = 0; b < sim->nboards; b++)
			sim->boards[b].requests = sim->boards[b].bytes_in =
				sim->boards[b].bytes_out = 0;
		out_printf(cl, "OK\n");
	} else {
		out_printf(cl, "ERR unknown command '%.40s' (commands: ping insert remove coil "
			   "history clear-history state fault stats reset-stats)\n", argv[0]);
	}
#undef ARGS
}

static int ctl_addr(const char *path, struct sockaddr_un *sa, char *err, size_t errlen)
{
	*sa = (struct sockaddr_un){ .sun_family = AF_UNIX };
	if (kc_strlcpy(sa->sun_path, path, sizeof(sa->sun_path)) >= sizeof(sa->sun_path)) {
		snprintf(err, errlen, "control socket %s: path too long (%zu bytes at most)",
			 path, sizeof(sa->sun_path) - 1);
		return -ENAMETOOLONG;
	}
	return 0;
}

int sim_ctl_check(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, r;

	r = ctl_addr(path, &sa, err, errlen);
	if (r < 0 || lstat(path, &st) < 0)
		return r;
	/* a socket left by a simulator that died may go; a live one or
	 * anything else stays */
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return r;
	}
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r == 0) {
		snprintf(err, errlen, "control socket %s: another process listens on it", path);
		return -EADDRINUSE;
	}
	return 0;
}

static void on_accept(struct sim *sim, int fd, short revents, void *data)
{
	(void)fd;
	(void)revents;
	(void)data;
	sim_ctl_accept(sim);
}

/* A client that closed its side only waits for its replies. */
static short client_want(const struct sim *sim, const void *data)
{
	const struct sim_ctl_client *cl = data;

	(void)sim;
	return (short)((cl->closing ? 0 : POLLIN) | (cl->outlen ? POLLOUT : 0));
}

static int client_index(const struct sim *sim, const void *cl)
{
	for (int i = 0; i < sim->nctl; i++)
		if (sim->ctl[i] == cl)
			return i;
	return -1;
}

static void on_client(struct sim *sim, int fd, short revents, void *data)
{
	int k = client_index(sim, data);

	(void)fd;
	if (k >= 0 && (revents & POLLOUT)) {
		sim_ctl_writable(sim, k);
		k = client_index(sim, data);
	}
	if (k < 0)
		return;
	if (sim->ctl[k]->closing && (revents & (POLLHUP | POLLERR)))
		sim_ctl_drop_client(sim, k); /* gone, unread */
	else if (!sim->ctl[k]->closing && (revents & (POLLIN | POLLHUP | POLLERR)))
		sim_ctl_readable(sim, k);
}

int sim_ctl_open(struct sim *sim, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd, r;

	r = sim_ctl_check(path, err, errlen);
	if (r < 0)
		return r;
	r = ctl_addr(path, &sa, err, errlen);
	if (r < 0)
		return r;
	unlink(path); /* stale, as checked */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return r;
	}
	old = umask(0177); /* 0600 from the start, no window */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0 || sim_fd_add(sim, fd, on_accept, NULL, NULL) < 0) {
		r = -errno;
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		close(fd);
		return r;
	}
	kc_strlcpy(sim->ctl_path, path, sizeof(sim->ctl_path));
	sim->ctl_fd = fd;
	return 0;
}

void sim_ctl_close(struct sim *sim)
{
	while (sim->nctl > 0)
		sim_ctl_drop_client(sim, sim->nctl - 1);
	if (sim->ctl_fd >= 0) {
		sim_fd_del(sim, sim->ctl_fd);
		close(sim->ctl_fd);
		unlink(sim->ctl_path);
		sim->ctl_fd = -1;
	}
}

void sim_ctl_accept(struct sim *sim)
{
	int fd;
	struct sim_ctl_client *cl = sim_accept(sim->ctl_fd, sim->nctl >= SIM_CTL_CLIENTS_MAX,
						sizeof(*cl), &fd);

	if (!cl)
		return;
	if (sim_fd_add(sim, fd, on_client, client_want, cl) < 0) {
		close(fd);
		free(cl);
		return;
	}
	cl->fd = fd;
	sim->ctl[sim->nctl++] = cl;
}

void sim_ctl_drop_client(struct sim *sim, int c)
{
	struct sim_ctl_client *cl = sim->ctl[c];

	sim_fd_del(sim, cl->fd);
	close(cl->fd);
	free(cl->out);
	free(cl);
	sim->ctl[c] = sim->ctl[--sim->nctl];
}

void sim_ctl_writable(struct sim *sim, int c)
{
	struct sim_ctl_client *cl = sim->ctl[c];
	ssize_t n;

	while (cl->outlen > 0) {
		n = send(cl->fd, cl->out, cl->outlen, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			sim_ctl_drop_client(sim, c);
			return;
		}
		memmove(cl->out, cl->out + n, cl->outlen - (size_t)n);
		cl->outlen -= (size_t)n;
	}
	if (cl->closing)
		sim_ctl_drop_client(sim, c);
}

void sim_ctl_readable(struct sim *sim, int c)
{
	struct sim_ctl_client *cl = sim->ctl[c];
	ssize_t n = recv(cl->fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen, MSG_DONTWAIT);
	size_t start = 0;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		/* the client is done sending; answer what it asked, then close */
		cl->closing = true;
		sim_ctl_writable(sim, c);
		return;
	}
	if (n < 0)
		return;
	cl->inlen += (size_t)n;
	for (size_t i = 0; i < cl->inlen; i++) {
		if (cl->in[i] != '\n')
			continue;
		cl->in[i] = '\0';
		if (i > start && cl->in[i - 1] == '\r')
			cl->in[i - 1] = '\0';
		if (cl->overlong)
			cl->overlong = false; /* the end of a line already refused */
		else if (i - start > SIM_CTL_LINE_MAX)
			out_printf(cl, "ERR line too long (over %d bytes)\n", SIM_CTL_LINE_MAX);
		else
			command(sim, cl, cl->in + start);
		start = i + 1;
	}
	memmove(cl->in, cl->in + start, cl->inlen - start);
	cl->inlen -= start;
	if (cl->inlen > SIM_CTL_LINE_MAX) {
		if (!cl->overlong)
			out_printf(cl, "ERR line too long (over %d bytes)\n", SIM_CTL_LINE_MAX);
		cl->overlong = true;
		cl->inlen = 0;
	}
	if (cl->overflow) {
		kc_warn("control client dropped: it does not read its replies");
		sim_ctl_drop_client(sim, c);
		return;
	}
	sim_ctl_writable(sim, c);
}
