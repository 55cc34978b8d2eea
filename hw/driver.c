/* Every driver keycab has: a board type and profile of the cabinet file,
 * the bus it sits on, the code that drives it. A new kind of board is one
 * line here plus its ops tables (hw/board.h). */
#include <stddef.h>

#include "common/util.h"
#include "hw/board.h"

static const struct hw_driver drivers[] = {
	{ HW_BOARD_MODBUS_RTU, HW_PROFILE_GENERIC, &hw_modbus_rtu_bus_ops, &hw_modbus_generic_ops },
	{ HW_BOARD_MODBUS_RTU, HW_PROFILE_WAVESHARE_RELAY_D, &hw_modbus_rtu_bus_ops,
	  &hw_modbus_waveshare_ops },
	{ HW_BOARD_MODBUS_TCP, HW_PROFILE_GENERIC, &hw_modbus_tcp_bus_ops, &hw_modbus_generic_ops },
	{ HW_BOARD_MODBUS_TCP, HW_PROFILE_WAVESHARE_RELAY_D, &hw_modbus_tcp_bus_ops,
	  &hw_modbus_waveshare_ops },
	{ HW_BOARD_GPIO, HW_PROFILE_GENERIC, &hw_gpio_bus_ops, &hw_gpio_board_ops },
};

const struct hw_driver *hw_driver_find(const struct hw_board_conf *bc)
{
	for (size_t i = 0; i < KC_ARRAY_SIZE(drivers); i++)
		if (drivers[i].type == bc->type && drivers[i].profile == bc->profile)
			return &drivers[i];
	return NULL;
}
