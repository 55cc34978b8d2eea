/* keycab-sim's sim.c in a form the fuzz harnesses can link: its main()
 * renamed, and the few static helpers a harness needs (the reply
 * context, the pending 'slow' replies) reachable through fz_sim_*. This
 * includes the real file, so the harnesses run the simulator's own code;
 * hw/sim/ itself is left as it is. */
#include "tests/fuzz/fuzz-sim.h"

int keycab_sim_main(int argc, char **argv);
#define main keycab_sim_main
#include "hw/sim/sim.c"
#undef main

int fz_sim_reply_ctx_open(struct sim *sim)
{
	return reply_ctx_open(sim);
}

void fz_sim_reply_ctx_close(struct sim *sim)
{
	reply_ctx_close(sim);
}

void fz_sim_pending_run(struct sim *sim, int64_t now)
{
	pending_run(sim, now);
}
