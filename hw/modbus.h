/* What hw/modbus.c (requests, the two profiles) shares with the two Modbus
 * bus kinds, hw/modbus-rtu.c and hw/modbus-tcp.c, as libmodbus has one
 * backend per transport: how a context is made, how a link is claimed,
 * which failures are asked again and which ones close the link. */
#ifndef KC_HW_MODBUS_H
#define KC_HW_MODBUS_H
#include <modbus.h>
#include <stdbool.h>
#include <stddef.h>

#include "hw/board.h"

struct hw_modbus_backend {
	/* A libmodbus context for the bus (NULL with errno set). */
	modbus_t *(*new_ctx)(const struct hw_bus *bus);
	/* After modbus_connect(): makes the link the bus's own; NULL: nothing
	 * to do. Returns 0 or a negative errno. */
	int (*claim)(modbus_t *ctx);
	/* Whether a request that failed with errno e is sent once more at
	 * once (attempt counts from 0); may drop stale input first. */
	bool (*retry)(modbus_t *ctx, int e, int attempt);
	/* Whether the link must be opened again after the failure e (never
	 * asked for an exception reply: the board answered). */
	bool (*drop_link)(int e);
};

/* The bus ops both Modbus bus kinds share; the bus ops' data is the
 * kind's struct hw_modbus_backend. */
int hw_modbus_open(struct hw_bus *bus, char *err, size_t errlen);
int hw_modbus_connect(struct hw_bus *bus);
void hw_modbus_disconnect(struct hw_bus *bus);
void hw_modbus_close(struct hw_bus *bus);
const char *hw_modbus_strerror(int e);

#endif
