/* Modbus RTU: boards on a serial line (RS485), several units on one line,
 * their requests strictly one after another. */
#include <errno.h>
#include <modbus.h>
#include <stdio.h>
#include <sys/file.h>

#include "hw/board.h"
#include "hw/modbus.h"

static modbus_t *rtu_new_ctx(const struct hw_bus *bus)
{
	const struct hw_bus_conf *c = &bus->conf->buses[bus->boards[0]->conf->bus];

	return modbus_new_rtu(c->device, c->baud, c->parity, c->data_bits, c->stop_bits);
}

/* Two masters on one RS485 line garble each other's frames: while keycabd
 * holds the line, keycab-hw finds it busy (an advisory lock, since
 * TIOCEXCL does not stop root). */
static int rtu_claim(modbus_t *ctx)
{
	if (flock(modbus_get_socket(ctx), LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
	return 0;
}

/* On a shared line the answer of a board that was too slow can arrive
 * during the next board's request; libmodbus then reports the wrong unit.
 * That is no fault of the board asked: drop the stray frame and ask once
 * more. */
static bool rtu_retry(modbus_t *ctx, int e, int attempt)
{
	if (attempt == 0 && e == EMBBADSLAVE) {
		modbus_flush(ctx);
		return true;
	}
	return false;
}

/* A garbled or late frame leaves the line usable (its input is flushed
 * before the next request); anything else is the serial device itself
 * failing (an unplugged adapter, a simulator gone): open it again later. */
static bool rtu_drop_link(int e)
{
	return e != ETIMEDOUT && e != EMBBADCRC && e != EMBBADDATA && e != EMBBADSLAVE &&
	       e != EMBMDATA && e != EMBBADEXC && e != EMBUNKEXC;
}

static const struct hw_modbus_backend rtu_backend = {
	.new_ctx = rtu_new_ctx,
	.claim = rtu_claim,
	.retry = rtu_retry,
	.drop_link = rtu_drop_link,
};

static void rtu_name(const struct hw_cabinet_conf *c, const struct hw_board_conf *bc, char *buf,
		     size_t len)
{
	snprintf(buf, len, "serial %s", c->buses[bc->bus].device);
}

const struct hw_bus_ops hw_modbus_rtu_bus_ops = {
	.name = rtu_name,
	.open = hw_modbus_open,
	.connect = hw_modbus_connect,
	.disconnect = hw_modbus_disconnect,
	.close = hw_modbus_close,
	.strerror = hw_modbus_strerror,
	.data = &rtu_backend,
};
