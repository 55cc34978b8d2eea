/* keycab-sim's Modbus frame parsers: the RTU bus parser (hw/sim/rtu.c,
 * which finds frames in a byte stream by function code and CRC) and the
 * TCP connection parser (hw/sim/tcp.c, MBAP), through the public entry
 * points the simulator's loop calls (sim_bus_readable, sim_conn_readable),
 * with the boards behind them answering (hw/sim/board.c, libmodbus).
 *
 * The input is a list of records, so that frames meet boards in every
 * state the control socket can put them in:
 *   op % 4 == 0: a control line (up to '\n') on the control socket
 *   op % 4 == 1: LEN, then LEN bytes on RTU bus (op >> 2) & 1
 *   op % 4 == 2: LEN, then LEN bytes on the TCP connection
 *   op % 4 == 3: time passes (idle buses, pulses, 'slow' replies) */
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz-sim.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_sim fs;

	fz_sim_start(&fs);
	while (size > 0) {
		uint8_t op = data[0];
		size_t n = 0;

		data++;
		size--;
		switch (op % 4) {
		case 0: {
			const uint8_t *nl = memchr(data, '\n', size);

			n = nl ? (size_t)(nl - data) + 1 : size;
			fz_sim_ctl(&fs, data, n, false, NULL, 0);
			break;
		}
		case 1:
		case 2:
			if (size == 0)
				break;
			n = data[0] < size - 1 ? data[0] : size - 1;
			data++;
			size--;
			if (op % 4 == 1)
				fz_sim_rtu(&fs, (op >> 2) & 1, data, n);
			else
				fz_sim_tcp(&fs, data, n);
			break;
		default:
			n = 0;
			fz_sim_timers(&fs);
		}
		data += n;
		size -= n;
	}
	fz_sim_timers(&fs);
	fz_sim_stop(&fs);
	return 0;
}
