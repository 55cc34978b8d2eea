/* A keycab-sim for the fuzz harnesses (fuzz-sim.c): the simulator's own
 * boards, control client handling, RTU bus parser and TCP connection
 * parser, over socket pairs instead of ptys, with a built-in cabinet file
 * of every board kind. */
#ifndef KC_FUZZ_SIM_H
#define KC_FUZZ_SIM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/sim/sim.h"

/* A simulator of the built-in cabinet, fresh for one input: boards, the
 * TCP endpoint listening on a free loopback port, one socket pair per RTU
 * bus (bus_peer[i] is the client's end), one control client (ctl_peer).
 * The cabinet file, the reply context and the inotify descriptor are made
 * once per process. abort()s when it cannot be set up. */
struct fz_sim {
	struct sim sim;
	int bus_peer[4];
	int ctl_peer;
	int tcp_peer; /* -1 until fz_sim_tcp_connect */
};

void fz_sim_start(struct fz_sim *fs);
void fz_sim_stop(struct fz_sim *fs);
/* Sends a control stream to the simulator and reads its replies until it
 * has answered every line; the replies are appended to reply (up to
 * reply_cap - 1 bytes, NUL-terminated) when reply is not NULL. Returns
 * the number of reply bytes. */
size_t fz_sim_ctl(struct fz_sim *fs, const uint8_t *data, size_t size, bool close_after,
		  char *reply, size_t reply_cap);
/* Bytes a client sends on RTU bus i / on its TCP connection; what the
 * simulator answers is read and dropped. */
void fz_sim_rtu(struct fz_sim *fs, int bus, const uint8_t *data, size_t size);
void fz_sim_tcp(struct fz_sim *fs, const uint8_t *data, size_t size);
/* Time passes: idle RTU buses, Waveshare pulses, 'slow' replies. */
void fz_sim_timers(struct fz_sim *fs);

#endif
