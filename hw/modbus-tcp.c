/* Modbus TCP: boards at one host:port, several units behind it as behind
 * a gateway. */
#include <errno.h>
#include <modbus.h>
#include <stdio.h>

#include "hw/board.h"
#include "hw/modbus.h"

static modbus_t *tcp_new_ctx(const struct hw_bus *bus)
{
	const struct hw_board_conf *b0 = bus->boards[0]->conf;
	char port[16];

	snprintf(port, sizeof(port), "%d", b0->port);
	/* _pi: the host may be a name, resolved at each connection */
	return modbus_new_tcp_pi(b0->host, port);
}

/* A connection carries one board's answers only: nothing is asked again. */
static bool tcp_retry(modbus_t *ctx, int e, int attempt)
{
	(void)ctx;
	(void)e;
	(void)attempt;
	return false;
}

/* A late answer would otherwise be read as the next request's: a fresh
 * connection carries nothing stale. */
static bool tcp_drop_link(int e)
{
	(void)e;
	return true;
}

static const struct hw_modbus_backend tcp_backend = {
	.new_ctx = tcp_new_ctx,
	.retry = tcp_retry,
	.drop_link = tcp_drop_link,
};

static void tcp_name(const struct hw_cabinet_conf *c, const struct hw_board_conf *bc, char *buf,
		     size_t len)
{
	(void)c;
	snprintf(buf, len, "tcp %s:%d", bc->host, bc->port);
}

const struct hw_bus_ops hw_modbus_tcp_bus_ops = {
	.name = tcp_name,
	.open = hw_modbus_open,
	.connect = hw_modbus_connect,
	.disconnect = hw_modbus_disconnect,
	.close = hw_modbus_close,
	.strerror = hw_modbus_strerror,
	.data = &tcp_backend,
};
