/* keycab-sim's run time: the one poll() loop, in the manner of Redis's
 * ae (the control socket, TCP endpoints and RTU buses register their
 * descriptors and timers; the loop calls them back through the table and
 * knows none of them), replies now or later (a 'slow' board), until
 * SIGTERM/SIGINT. main.c sets it up. */
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

int sim_fd_add(struct sim *sim, int fd, sim_fd_fn *fn, sim_want_fn *want, void *data)
{
	if (fd < 0)
		return -EBADF;
	if (fd >= sim->nhandlers) {
		int n = fd + 16;
		struct sim_fd_handler *h = realloc(sim->handlers, (size_t)n * sizeof(*h));

		if (!h)
			return -ENOMEM;
		memset(h + sim->nhandlers, 0, (size_t)(n - sim->nhandlers) * sizeof(*h));
		sim->handlers = h;
		sim->nhandlers = n;
	}
	sim->handlers[fd] = (struct sim_fd_handler){ .fn = fn, .want = want, .data = data,
						     .serial = ++sim->handler_serial };
	return 0;
}

void sim_fd_del(struct sim *sim, int fd)
{
	if (fd >= 0 && fd < sim->nhandlers)
		sim->handlers[fd] = (struct sim_fd_handler){ 0 };
}

int sim_timer_add(struct sim *sim, sim_timer_fn *fn)
{
	for (int i = 0; i < sim->ntimers; i++)
		if (sim->timers[i] == fn)
			return 0;
	if (sim->ntimers >= SIM_TIMERS_MAX)
		return -ENOSPC;
	sim->timers[sim->ntimers++] = fn;
	return 0;
}

void sim_fds_free(struct sim *sim)
{
	free(sim->handlers);
	sim->handlers = NULL;
	sim->nhandlers = 0;
}

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

void sim_reply(struct sim *sim, int b, sim_send_fn *send, uint64_t to, const uint8_t *adu,
	       int len)
{
	struct sim_board *bd = &sim->boards[b];
	struct sim_pending *p, **grown;

	if (bd->fault != SIM_FAULT_SLOW) {
		send(sim, to, b, adu, len);
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
	p->send = send;
	p->to = to;
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
		p->send(sim, p->to, p->board, p->adu, p->len);
		free(p);
	}
}

static int64_t earlier(int64_t a, int64_t b)
{
	return !a || (b && b < a) ? b : a;
}

/* Runs every timer due by now; returns the next one due (0: none). */
static int64_t timers_run(struct sim *sim)
{
	int64_t now = sim_now_us();
	int64_t due;

	sim_boards_timers(sim, now);
	sim_pending_run(sim, now);
	due = sim_boards_next_due(sim);
	for (int i = 0; i < sim->npending; i++)
		due = earlier(due, sim->pending[i]->due_us);
	for (int i = 0; i < sim->ntimers; i++)
		due = earlier(due, sim->timers[i](sim, now));
	return due;
}

static void timer_arm(struct sim *sim, int64_t due)
{
	struct itimerspec its = { 0 };

	if (due) {
		its.it_value.tv_sec = due / 1000000;
		its.it_value.tv_nsec = (due % 1000000) * 1000;
		if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
			its.it_value.tv_nsec = 1; /* zero would disarm */
	}
	timerfd_settime(sim->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void on_signal(struct sim *sim, int fd, short revents, void *data)
{
	struct signalfd_siginfo si;

	(void)revents;
	(void)data;
	if (read(fd, &si, sizeof(si)) == sizeof(si)) {
		kc_info("signal %u: stopping", si.ssi_signo);
		sim->stop = true;
	}
}

static void on_timer(struct sim *sim, int fd, short revents, void *data)
{
	uint64_t ticks;
	/* only to clear it: the timers that run after every pass compare times */
	ssize_t got = read(fd, &ticks, sizeof(ticks));

	(void)sim;
	(void)revents;
	(void)data;
	(void)got;
}

int sim_loop(struct sim *sim)
{
	struct pollfd *pfd = NULL;
	uint64_t *serial = NULL;
	int cap = 0, r = 0;

	while (!sim->stop) {
		int64_t due = timers_run(sim);
		nfds_t n = 0;

		if (sim->stop)
			break;
		if (!pfd || sim->nhandlers > cap) { /* the first pass always allocates */
			int need = sim->nhandlers > 1 ? sim->nhandlers : 1;
			struct pollfd *p2 = realloc(pfd, (size_t)need * sizeof(*pfd));
			uint64_t *s2;

			if (p2)
				pfd = p2;
			s2 = realloc(serial, (size_t)need * sizeof(*serial));
			if (s2)
				serial = s2;
			if (!p2 || !s2) {
				r = -ENOMEM;
				break;
			}
			cap = need;
		}
		for (int fd = 0; fd < sim->nhandlers; fd++) {
			const struct sim_fd_handler *h = &sim->handlers[fd];
			short events = POLLIN;

			if (!h->fn)
				continue;
			if (h->want)
				events = h->want(sim, h->data);
			pfd[n] = (struct pollfd){ .fd = fd, .events = events };
			serial[n++] = h->serial;
		}
		timer_arm(sim, due);
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		/* A handler may unregister others (a dropped endpoint closes
		 * its connections) and a descriptor closed may come back as a
		 * new one: only the handler polled for is called. */
		for (nfds_t i = 0; i < n && !sim->stop; i++) {
			const struct sim_fd_handler *h = &sim->handlers[pfd[i].fd];

			if (pfd[i].revents && h->fn && h->serial == serial[i])
				h->fn(sim, pfd[i].fd, pfd[i].revents, h->data);
		}
	}
	free(pfd);
	free(serial);
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
	if (sim_fd_add(sim, sim->signal_fd, on_signal, NULL, NULL) < 0 ||
	    sim_fd_add(sim, sim->timer_fd, on_timer, NULL, NULL) < 0)
		return -ENOMEM;
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
	sim->tcp_ctx = modbus_new_tcp("127.0.0.1", HW_MODBUS_PORT);
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
