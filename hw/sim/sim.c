/* keycab-sim's run time: replies now or later (a 'slow' board), the
 * timers, and the one poll() loop over signals, timers, the control
 * socket, TCP endpoints and RTU buses until SIGTERM/SIGINT. main.c sets
 * it up. */
#include "hw/sim/sim.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "common/signals.h"
#include "common/log.h"
#include "common/util.h"

enum pfd_kind { PFD_SIGNAL, PFD_TIMER, PFD_INOTIFY, PFD_CTL, PFD_CTL_CLIENT, PFD_LISTEN, PFD_CONN, PFD_BUS };

struct pfd_ref {
	enum pfd_kind kind;
	int index;        /* endpoint, bus */
	int fd;           /* listener */
	const void *ptr;  /* conn or control client: found again by pointer */
};

void *sim_accept(int lfd, bool refuse, size_t size, int *fd)
{
	void *obj = NULL;

	*fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (*fd < 0)
		return NULL;
	if (!refuse)
		obj = calloc(1, size);
	if (!obj) {
		close(*fd);
		*fd = -1;
	}
	return obj;
}

void sim_reply(struct sim *sim, int b, bool rtu, int bus, uint64_t conn_id,
	       const uint8_t *adu, int len)
{
	struct sim_board *bd = &sim->boards[b];
	struct sim_pending *p, **grown;

	if (bd->fault != SIM_FAULT_SLOW) {
		if (rtu)
			sim_bus_send(sim, bus, b, adu, len);
		else
			sim_conn_send(sim, conn_id, b, adu, len);
		return;
	}
	/* 'slow': the answer leaves from the timer; the other boards go on */
	if (sim->npending >= SIM_PENDING_MAX)
		return; /* a client flooding a slow board: it sees timeouts */
	p = calloc(1, sizeof(*p));
	grown = realloc(sim->pending, (size_t)(sim->npending + 1) * sizeof(struct sim_pending *));
	if (!p || !grown) {
		free(p);
		if (grown)
			sim->pending = grown;
		return; /* no answer: the client sees a timeout */
	}
	sim->pending = grown;
	p->due_us = sim_now_us() + (int64_t)bd->fault_arg * 1000;
	p->rtu = rtu;
	p->bus = bus;
	p->conn_id = conn_id;
	p->board = b;
	memcpy(p->adu, adu, (size_t)len);
	p->len = len;
	sim->pending[sim->npending++] = p;
}

void sim_pending_run(struct sim *sim, int64_t now)
{
	for (;;) {
		int first = -1;

		/* the earliest due first; equal times keep their order */
		for (int i = 0; i < sim->npending; i++)
			if (sim->pending[i]->due_us <= now &&
			    (first < 0 || sim->pending[i]->due_us < sim->pending[first]->due_us))
				first = i;
		if (first < 0)
			return;
		struct sim_pending *p = sim->pending[first];

		memmove(&sim->pending[first], &sim->pending[first + 1],
			(size_t)(sim->npending - first - 1) * sizeof(struct sim_pending *));
		sim->npending--;
		if (p->rtu)
			sim_bus_send(sim, p->bus, p->board, p->adu, p->len);
		else
			sim_conn_send(sim, p->conn_id, p->board, p->adu, p->len);
		free(p);
	}
}

static int64_t next_due(const struct sim *sim)
{
	int64_t due = sim_boards_next_due(sim);

	for (int i = 0; i < sim->nbuses; i++)
		if (sim->buses[i].idle_due_us && (!due || sim->buses[i].idle_due_us < due))
			due = sim->buses[i].idle_due_us;
	for (int i = 0; i < sim->npending; i++)
		if (!due || sim->pending[i]->due_us < due)
			due = sim->pending[i]->due_us;
	return due;
}

static void timers_run(struct sim *sim)
{
	int64_t now = sim_now_us();

	sim_boards_timers(sim, now);
	for (int i = 0; i < sim->nbuses; i++)
		sim_bus_idle(sim, i, now);
	sim_pending_run(sim, now);
	/* TCP clients whose answer could not be sent */
	for (int c = sim->nconns - 1; c >= 0; c--)
		if (sim->conns[c]->dead)
			sim_conn_close(sim, c);
}

static void timer_arm(struct sim *sim)
{
	struct itimerspec its = { 0 };
	int64_t due = next_due(sim);

	if (due) {
		its.it_value.tv_sec = due / 1000000;
		its.it_value.tv_nsec = (due % 1000000) * 1000;
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1; /* zero would disarm */
	}
	timerfd_settime(sim->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static int find_ptr(void *const *arr, int n, const void *ptr)
{
	for (int i = 0; i < n; i++)
		if (arr[i] == ptr)
			return i;
	return -1;
}

int sim_loop(struct sim *sim)
{
	struct pollfd *pfd = NULL;
	struct pfd_ref *ref = NULL;
	size_t cap = 0;
	int r = 0;

	while (!sim->stop) {
		size_t need = 4 + (size_t)sim->nctl + (size_t)sim->nconns + (size_t)sim->nbuses +
			      4 * (size_t)sim->nendpoints;
		size_t n = 0;

		if (!pfd || !ref || need > cap) { /* the first pass always allocates */
			struct pollfd *p2 = realloc(pfd, need * sizeof(*pfd));
			struct pfd_ref *r2;

			if (p2)
				pfd = p2;
			r2 = realloc(ref, need * sizeof(*ref));
			if (r2)
				ref = r2;
			if (!p2 || !r2) {
				r = -ENOMEM;
				break;
			}
			cap = need;
		}
#define ADD(f, ev, k, i, p)                                                   \
	do {                                                                  \
		pfd[n] = (struct pollfd){ .fd = (f), .events = (ev) };       \
		ref[n] = (struct pfd_ref){ .kind = (k), .index = (i), .fd = (f), .ptr = (p) }; \
		n++;                                                          \
	} while (0)
		ADD(sim->signal_fd, POLLIN, PFD_SIGNAL, 0, NULL);
		ADD(sim->timer_fd, POLLIN, PFD_TIMER, 0, NULL);
		ADD(sim->inotify_fd, POLLIN, PFD_INOTIFY, 0, NULL);
		ADD(sim->ctl_fd, POLLIN, PFD_CTL, 0, NULL);
		for (int i = 0; i < sim->nctl; i++)
			/* a client that closed its side only waits for its replies */
			ADD(sim->ctl[i]->fd,
			    (short)((sim->ctl[i]->closing ? 0 : POLLIN) |
				    (sim->ctl[i]->outlen ? POLLOUT : 0)),
			    PFD_CTL_CLIENT, 0, sim->ctl[i]);
		for (int e = 0; e < sim->nendpoints; e++)
			for (int k = 0; k < sim->endpoints[e].nlfd; k++)
				ADD(sim->endpoints[e].lfd[k], POLLIN, PFD_LISTEN, e, NULL);
		for (int i = 0; i < sim->nconns; i++)
			ADD(sim->conns[i]->fd, POLLIN, PFD_CONN, 0, sim->conns[i]);
		for (int i = 0; i < sim->nbuses; i++)
			ADD(sim->buses[i].master, POLLIN, PFD_BUS, i, NULL);
#undef ADD
		timer_arm(sim);
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		for (size_t i = 0; i < n && !sim->stop; i++) {
			int k;

			if (!pfd[i].revents)
				continue;
			switch (ref[i].kind) {
			case PFD_SIGNAL: {
				struct signalfd_siginfo si;

				if (read(sim->signal_fd, &si, sizeof(si)) == sizeof(si)) {
					kc_info("signal %u: stopping", si.ssi_signo);
					sim->stop = true;
				}
				break;
			}
			case PFD_TIMER: {
				uint64_t ticks;
				/* only to clear it: timers_run below compares times */
				ssize_t got = read(sim->timer_fd, &ticks, sizeof(ticks));

				(void)got;
				break;
			}
			case PFD_INOTIFY:
				sim_buses_watch(sim);
				break;
			case PFD_CTL:
				sim_ctl_accept(sim);
				break;
			case PFD_CTL_CLIENT:
				k = find_ptr((void *const *)sim->ctl, sim->nctl, ref[i].ptr);
				if (k < 0)
					break;
				if (pfd[i].revents & POLLOUT) {
					sim_ctl_writable(sim, k);
					k = find_ptr((void *const *)sim->ctl, sim->nctl, ref[i].ptr);
				}
				if (k < 0)
					break;
				if (sim->ctl[k]->closing &&
				    (pfd[i].revents & (POLLHUP | POLLERR)))
					sim_ctl_drop_client(sim, k); /* gone, unread */
				else if (!sim->ctl[k]->closing &&
					 (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
					sim_ctl_readable(sim, k);
				break;
			case PFD_LISTEN:
				/* the listener may have closed ('drop') since poll */
				for (k = 0; k < sim->endpoints[ref[i].index].nlfd; k++)
					if (sim->endpoints[ref[i].index].lfd[k] == ref[i].fd)
						sim_endpoint_accept(sim, ref[i].index, ref[i].fd);
				break;
			case PFD_CONN:
				k = find_ptr((void *const *)sim->conns, sim->nconns, ref[i].ptr);
				if (k >= 0)
					sim_conn_readable(sim, k);
				break;
			case PFD_BUS:
				sim_bus_readable(sim, ref[i].index);
				break;
			}
		}
		timers_run(sim);
	}
	free(pfd);
	free(ref);
	return r;
}

int sim_signals_open(struct sim *sim)
{
	/* SIGHUP too: a closed terminal cleans up as well */
	sim->signal_fd = kc_signalfd_open(false);
	if (sim->signal_fd < 0)
		return sim->signal_fd;
	sim->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (sim->timer_fd < 0)
		return -errno;
	sim->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (sim->inotify_fd < 0)
		return -errno;
	return 0;
}

/* libmodbus builds replies; they are written to a socket pair and taken
 * back, so that we decide when (slow), whether (timeout) and how (crc)
 * they go out, and count their bytes. */
int sim_reply_ctx_open(struct sim *sim)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sim->reply_sock) < 0)
		return -errno;
	sim->rtu_ctx = modbus_new_rtu("/dev/null", 115200, 'N', 8, 1);
	sim->tcp_ctx = modbus_new_tcp("127.0.0.1", 502);
	if (!sim->rtu_ctx || !sim->tcp_ctx)
		return -ENOMEM;
	modbus_set_socket(sim->rtu_ctx, sim->reply_sock[0]);
	modbus_set_socket(sim->tcp_ctx, sim->reply_sock[0]);
	/* libmodbus sleeps this long before some exception replies: keep the
	 * loop from stalling */
	modbus_set_response_timeout(sim->rtu_ctx, 0, 1);
	modbus_set_response_timeout(sim->tcp_ctx, 0, 1);
	return 0;
}

void sim_reply_ctx_close(struct sim *sim)
{
	/* the socket is ours to close, not libmodbus's */
	if (sim->rtu_ctx) {
		modbus_set_socket(sim->rtu_ctx, -1);
		modbus_free(sim->rtu_ctx);
	}
	if (sim->tcp_ctx) {
		modbus_set_socket(sim->tcp_ctx, -1);
		modbus_free(sim->tcp_ctx);
	}
	for (int i = 0; i < 2; i++)
		if (sim->reply_sock[i] >= 0)
			close(sim->reply_sock[i]);
}
