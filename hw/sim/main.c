/* keycab-sim: simulates the Modbus boards of a cabinet file (README.md).
 * main: cabinet file -> boards -> TCP endpoints -> RTU buses -> control
 * socket -> "ready" -> sim_loop() until SIGTERM/SIGINT. */
#include "hw/sim/sim.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: keycab-sim -c CABINET_FILE --control SOCKET [--quiet]\n"
		   "Simulates the Modbus boards of a cabinet file (see hw/sim/README.md).\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cabinet", required_argument, NULL, 'c' },
		{ "control", required_argument, NULL, 'C' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sim sim = { .ctl_fd = -1, .timer_fd = -1, .signal_fd = -1, .inotify_fd = -1,
			   .reply_sock = { -1, -1 } };
	const char *ctl_path = NULL;
	char err[1024];
	int opt, r, rc = 1;

	kc_log_init("keycab-sim");
	while ((opt = getopt_long(argc, argv, "c:C:qh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			sim.conf_path = optarg;
			break;
		case 'C':
			ctl_path = optarg;
			break;
		case 'q':
			kc_log_set_level(LOG_WARNING);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!sim.conf_path || !ctl_path || optind != argc) {
		usage(stderr);
		return 2;
	}

	sim.conf = hw_conf_load(sim.conf_path, err, sizeof(err));
	if (!sim.conf) {
		fprintf(stderr, "keycab-sim: %s\n", err);
		return 2;
	}
	r = sim_boards_init(&sim, err, sizeof(err));
	if (r < 0)
		goto out_err;
	if (sim.nboards == 0) {
		fprintf(stderr, "keycab-sim: %s: no Modbus boards to simulate (gpio boards are not "
				"simulated here)\n", sim.conf_path);
		rc = 2;
		goto out;
	}
	r = sim_ctl_check(ctl_path, err, sizeof(err));
	if (r < 0)
		goto out_err;
	r = sim_signals_open(&sim);
	if (r == 0)
		r = sim_reply_ctx_open(&sim);
	if (r < 0) {
		snprintf(err, sizeof(err), "cannot set up: %s", strerror(-r));
		goto out_err;
	}
	r = sim_endpoints_open(&sim, err, sizeof(err));
	if (r == -EINVAL)
		rc = 2; /* a host that is not loopback: the file is wrong */
	if (r < 0)
		goto out_err;
	r = sim_buses_open(&sim, err, sizeof(err));
	if (r < 0)
		goto out_err;
	/* last: the control socket's existence tells that everything listens */
	r = sim_ctl_open(&sim, ctl_path, err, sizeof(err));
	if (r < 0)
		goto out_err;

	for (int b = 0; b < sim.nboards; b++) {
		const struct hw_board_conf *bc = sim.boards[b].conf;

		if (bc->type == HW_BOARD_MODBUS_TCP)
			kc_info("board %s (%s): modbus-tcp %s:%d unit %d", bc->name,
				hw_profile_name(bc->profile), bc->host, bc->port, bc->unit);
		else
			kc_info("board %s (%s): modbus-rtu %s -> %s unit %d", bc->name,
				hw_profile_name(bc->profile), sim.conf->buses[bc->bus].device,
				sim.buses[sim.boards[b].transport].slave_name, bc->unit);
	}
	printf("keycab-sim: ready: %d boards, %d slots; control %s\n", sim.nboards, sim.nslots,
	       ctl_path);
	fflush(stdout);

	r = sim_loop(&sim);
	if (r < 0) {
		snprintf(err, sizeof(err), "main loop: %s", strerror(-r));
		goto out_err;
	}
	rc = 0;
	goto out;

out_err:
	fprintf(stderr, "keycab-sim: %s\n", err);
out:
	sim_ctl_close(&sim);
	sim_buses_close(&sim);
	sim_endpoints_close(&sim);
	for (int i = 0; i < sim.npending; i++)
		free(sim.pending[i]);
	free(sim.pending);
	sim_reply_ctx_close(&sim);
	if (sim.timer_fd >= 0)
		close(sim.timer_fd);
	if (sim.signal_fd >= 0)
		close(sim.signal_fd);
	if (sim.inotify_fd >= 0)
		close(sim.inotify_fd);
	sim_fds_free(&sim);
	sim_boards_free(&sim);
	hw_conf_free(sim.conf);
	return rc;
}
