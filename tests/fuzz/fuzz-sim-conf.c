/* keycab-sim on any cabinet file hw_conf_load accepts: the simulator
 * sizes its Modbus tables from the file (hw/sim/board.c) and then indexes
 * them by each slot's lock, sense and tag without checking again, so
 * every accepted file must give tables that hold every slot. The input is
 * the file; each simulated slot then gets a key with a tag, loses it, and
 * has its lock switched on and off, as the control socket and the Modbus
 * writes would do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hw/sim/sim.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fz_file(data, size);
	struct sim sim = { .ctl_fd = -1, .timer_fd = -1, .signal_fd = -1, .inotify_fd = -1,
			   .reply_sock = { -1, -1 } };
	char err[512];

	if (!path)
		return 0;
	sim.conf = hw_conf_load(path, err, sizeof(err));
	if (!sim.conf)
		return 0;
	sim.conf_path = path;
	if (sim_boards_init(&sim, err, sizeof(err)) < 0) {
		fprintf(stderr, "sim_boards_init: %s\n", err);
		abort();
	}
	for (int s = 0; s < sim.nslots; s++) {
		const struct hw_slot_conf *sc = &sim.conf->slots[sim.slots[s].conf];
		int b = sim.slots[s].board;

		sim.slots[s].present = true;
		sim.slots[s].tag = 0xDEADBEEF;
		sim_slot_update_inputs(&sim, s);
		sim.slots[s].present = false;
		sim_slot_update_inputs(&sim, s);
		sim_board_set_coil(&sim, b, sc->lock, true, 1);
		sim_board_set_coil(&sim, b, sc->lock, false, 2);
		/* the history of the slot got both changes */
		if (sim.slots[s].hist_len != 2) {
			fprintf(stderr, "slot %s: lock %d changes not in its history\n", sc->name,
				sc->lock);
			abort();
		}
	}
	sim_boards_timers(&sim, 1);
	sim_boards_free(&sim);
	hw_conf_free(sim.conf);
	return 0;
}
