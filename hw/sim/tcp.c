/* Modbus TCP endpoints: one per host:port of the cabinet file, loopback
 * only. Boards that share an endpoint are told apart by the MBAP unit id,
 * as behind a gateway. */
#include "hw/sim/sim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"

#define MBAP_LEN 7

static bool addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		return IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

/* Only literal loopback addresses and "localhost": the simulator must
 * never answer for boards on a real network. */
static int resolve(const char *host, int port, struct addrinfo **res)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	char portstr[16];
	int r;

	if (strcmp(host, "localhost") != 0)
		hints.ai_flags |= AI_NUMERICHOST;
	snprintf(portstr, sizeof(portstr), "%d", port);
	r = getaddrinfo(host, portstr, &hints, res);
	if (r != 0)
		return -EINVAL;
	for (struct addrinfo *a = *res; a; a = a->ai_next)
		if (!addr_is_loopback(a->ai_addr)) {
			freeaddrinfo(*res);
			return -EADDRNOTAVAIL;
		}
	return 0;
}

static void on_listen(struct sim *sim, int fd, short revents, void *data)
{
	(void)revents;
	sim_endpoint_accept(sim, (int)((struct sim_endpoint *)data - sim->endpoints), fd);
}

static void on_conn(struct sim *sim, int fd, short revents, void *data)
{
	(void)fd;
	(void)revents;
	for (int i = 0; i < sim->nconns; i++)
		if (sim->conns[i] == data) {
			sim_conn_readable(sim, i);
			return;
		}
}

/* The loop's timer: clients whose answer could not be sent are closed. */
static int64_t conns_reap(struct sim *sim, int64_t now)
{
	(void)now;
	for (int c = sim->nconns - 1; c >= 0; c--)
		if (sim->conns[c]->dead)
			sim_conn_close(sim, c);
	return 0;
}

int sim_endpoint_listen(struct sim *sim, int e, char *err, size_t errlen)
{
	struct sim_endpoint *ep = &sim->endpoints[e];
	struct addrinfo *res;
	int r, last = 0;

	r = resolve(ep->host, ep->port, &res);
	if (r < 0) {
		snprintf(err, errlen, "%s is not a loopback address", ep->host);
		return r;
	}
	for (struct addrinfo *a = res; a && ep->nlfd < (int)KC_ARRAY_SIZE(ep->lfd);
	     a = a->ai_next) {
		int one = 1;
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0) {
			last = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (a->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 16) < 0 ||
		    sim_fd_add(sim, fd, on_listen, NULL, ep) < 0) {
			last = errno;
			close(fd);
			continue;
		}
		ep->lfd[ep->nlfd++] = fd;
	}
	freeaddrinfo(res);
	if (ep->nlfd == 0) {
		snprintf(err, errlen, "cannot listen on %s:%d: %s", ep->host, ep->port,
			 strerror(last ? last : EADDRNOTAVAIL));
		return -(last ? last : EADDRNOTAVAIL);
	}
	ep->dropped = false;
	return 0;
}

int sim_endpoints_open(struct sim *sim, char *err, size_t errlen)
{
	char msg[256];
	int r;

	sim->endpoints = calloc((size_t)sim->nboards + 1, sizeof(*sim->endpoints));
	if (!sim->endpoints || sim_timer_add(sim, conns_reap) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	/* check every host before listening on any */
	for (int b = 0; b < sim->nboards; b++) {
		const struct hw_board_conf *bc = sim->boards[b].conf;
		struct addrinfo *res;

		if (bc->type != HW_BOARD_MODBUS_TCP)
			continue;
		if (resolve(bc->host, bc->port, &res) < 0) {
			snprintf(err, errlen,
				 "%s:%d: [board %s] host: %s is not a loopback address "
				 "(keycab-sim serves 127.0.0.0/8, ::1 or localhost only)",
				 sim->conf->path, bc->line, bc->name, bc->host);
			return -EINVAL;
		}
		freeaddrinfo(res);
	}
	for (int b = 0; b < sim->nboards; b++) {
		const struct hw_board_conf *bc = sim->boards[b].conf;
		int e;

		if (bc->type != HW_BOARD_MODBUS_TCP)
			continue;
		for (e = 0; e < sim->nendpoints; e++)
			if (strcmp(sim->endpoints[e].host, bc->host) == 0 &&
			    sim->endpoints[e].port == bc->port)
				break;
		sim->boards[b].transport = e;
		if (e < sim->nendpoints)
			continue;
		kc_strlcpy(sim->endpoints[e].host, bc->host, sizeof(sim->endpoints[e].host));
		sim->endpoints[e].port = bc->port;
		sim->nendpoints++;
		r = sim_endpoint_listen(sim, e, msg, sizeof(msg));
		if (r < 0) {
			snprintf(err, errlen, "board %s: %s", bc->name, msg);
			return r;
		}
	}
	return 0;
}

static void endpoint_unlisten(struct sim *sim, struct sim_endpoint *ep)
{
	for (int i = 0; i < ep->nlfd; i++) {
		sim_fd_del(sim, ep->lfd[i]);
		close(ep->lfd[i]);
	}
	ep->nlfd = 0;
}

void sim_endpoint_drop(struct sim *sim, int e)
{
	endpoint_unlisten(sim, &sim->endpoints[e]);
	sim->endpoints[e].dropped = true;
	for (int c = sim->nconns - 1; c >= 0; c--)
		if (sim->conns[c]->endpoint == e)
			sim_conn_close(sim, c);
}

void sim_endpoints_close(struct sim *sim)
{
	while (sim->nconns > 0)
		sim_conn_close(sim, sim->nconns - 1);
	for (int e = 0; e < sim->nendpoints; e++)
		endpoint_unlisten(sim, &sim->endpoints[e]);
	free(sim->endpoints);
	sim->endpoints = NULL;
	sim->nendpoints = 0;
}

void sim_endpoint_accept(struct sim *sim, int e, int lfd)
{
	int fd;
	struct sim_conn *c = sim_accept(lfd, sim->endpoints[e].dropped ||
						     sim->nconns >= SIM_TCP_CONN_MAX,
					sizeof(*c), &fd);

	if (!c)
		return;
	if (sim_fd_add(sim, fd, on_conn, NULL, c) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->fd = fd;
	c->endpoint = e;
	c->id = ++sim->next_conn_id;
	sim->conns[sim->nconns++] = c;
}

void sim_conn_close(struct sim *sim, int i)
{
	sim_fd_del(sim, sim->conns[i]->fd);
	close(sim->conns[i]->fd);
	free(sim->conns[i]);
	sim->conns[i] = sim->conns[--sim->nconns];
}

void sim_conn_send(struct sim *sim, uint64_t to, int b, const uint8_t *adu, int len)
{
	struct sim_conn *c = NULL;
	ssize_t n;

	for (int i = 0; i < sim->nconns && !c; i++)
		if (sim->conns[i]->id == to)
			c = sim->conns[i];
	if (!c || c->dead)
		return; /* the client went away before its answer */
	n = send(c->fd, adu, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n != len) {
		/* a client that does not read its answers: a part-sent ADU would
		 * desynchronise the stream, so close it */
		c->dead = true;
		return;
	}
	if (b >= 0) {
		sim->boards[b].requests++;
		sim->boards[b].bytes_out += (uint64_t)len;
	}
}

static void conn_adu(struct sim *sim, struct sim_conn *c, const uint8_t *adu, int len)
{
	uint8_t out[SIM_ADU_MAX];
	int n, rc;

	for (int b = 0; b < sim->nboards; b++) {
		const struct hw_board_conf *bc = sim->boards[b].conf;

		if (bc->type != HW_BOARD_MODBUS_TCP || sim->boards[b].transport != c->endpoint ||
		    bc->unit != adu[6])
			continue;
		n = sim_board_request(sim, b, adu, len, false, false, out);
		if (n > 0)
			sim_reply(sim, b, sim_conn_send, c->id, out, n);
		return;
	}
	/* no board with that unit id here: what a gateway says */
	rc = modbus_reply_exception(sim->tcp_ctx, adu, MODBUS_EXCEPTION_GATEWAY_TARGET);
	n = (int)recv(sim->reply_sock[1], out, sizeof(out), MSG_DONTWAIT);
	if (rc > 0 && n > 0)
		sim_conn_send(sim, c->id, -1, out, n);
}

void sim_conn_readable(struct sim *sim, int i)
{
	struct sim_conn *c = sim->conns[i];
	ssize_t n = recv(c->fd, c->rx + c->rxlen, sizeof(c->rx) - c->rxlen, MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		sim_conn_close(sim, i);
		return;
	}
	if (n < 0)
		return;
	c->rxlen += (size_t)n;
	while (c->rxlen >= MBAP_LEN && !c->dead) {
		unsigned proto = (unsigned)(c->rx[2] << 8 | c->rx[3]);
		unsigned mlen = (unsigned)(c->rx[4] << 8 | c->rx[5]);
		size_t total = 6 + mlen;

		if (proto != 0 || mlen < 2 || mlen > 254) {
			/* not Modbus TCP: no way to find the next ADU */
			kc_debug("tcp %s:%d: bad MBAP header, closing the connection",
				 sim->endpoints[c->endpoint].host, sim->endpoints[c->endpoint].port);
			c->dead = true;
			break;
		}
		if (c->rxlen < total)
			break;
		conn_adu(sim, c, c->rx, (int)total);
		memmove(c->rx, c->rx + total, c->rxlen - total);
		c->rxlen -= total;
	}
	if (c->dead)
		sim_conn_close(sim, i);
}
