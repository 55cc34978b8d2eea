/* keycab-sim internals: the simulated boards, the transports that carry
 * Modbus to them (TCP endpoints, RTU buses on pseudo-terminals) and the
 * control socket. One process, one poll() loop, no threads (README.md).
 * Layers, each calling only those below it: main.c; control.c, tcp.c,
 * rtu.c (they register their descriptors and timers with the loop); sim.c
 * (the loop, replies); board.c (the boards). */
#ifndef KC_SIM_H
#define KC_SIM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <modbus.h>

#include "hw/conf.h"

struct sim;

#define SIM_ADU_MAX 300        /* RTU 256, TCP 260: room for either */
#define SIM_HIST_MAX 10000     /* coil changes kept per slot; oldest dropped */
#define SIM_WS_CHANNELS HW_WAVESHARE_CHANNELS /* Waveshare Relay (D): 8 relays, 8 inputs */
#define SIM_RTU_IDLE_US 50000  /* bytes that sit this long unanswered are noise */
#define SIM_CTL_LINE_MAX 512   /* control command line, newline excluded */
#define SIM_PENDING_MAX 4096   /* 'slow' answers held at once */

enum sim_fault {
	SIM_FAULT_NONE,
	SIM_FAULT_TIMEOUT,
	SIM_FAULT_EXCEPTION,
	SIM_FAULT_SLOW,
	SIM_FAULT_DROP,
	SIM_FAULT_CRC,
};

struct sim_hist {
	int64_t us;
	bool on;
};

struct sim_slot {
	int conf;      /* index into conf->slots */
	int board;     /* index into sim->boards */
	bool present;
	uint32_t tag;
	struct sim_hist *hist; /* ring of SIM_HIST_MAX */
	int hist_start, hist_len;
};

struct sim_board {
	const struct hw_board_conf *conf;
	int conf_index;
	int transport;  /* RTU: index into sim->buses; TCP: into sim->endpoints */
	modbus_mapping_t *map;
	int *coil_slot; /* coil -> index into sim->slots, -1 none */
	int ncoils;
	/* Waveshare flash: a pulse the board itself ends (0: none) */
	int64_t pulse_due_us[SIM_WS_CHANNELS];
	bool pulse_final[SIM_WS_CHANNELS];
	enum sim_fault fault;
	int fault_arg;  /* exception code, or slow milliseconds */
	uint64_t requests, bytes_in, bytes_out;
};

struct sim_bus {
	const struct hw_bus_conf *conf;
	int master, slave;  /* the pty pair; we keep the slave open (no EIO) */
	char slave_name[128];
	int watch;          /* inotify watch of the slave: clients opening it */
	int openers;        /* how many client descriptors have it open */
	bool link_made;
	uint8_t rx[2 * SIM_ADU_MAX];
	size_t rxlen;
	int64_t idle_due_us; /* 0: nothing waiting */
};

struct sim_endpoint {
	char host[128];
	int port;
	int lfd[4];  /* one listener per address the host names */
	int nlfd;
	bool dropped;
};

struct sim_conn {
	int fd;
	int endpoint;
	uint64_t id;
	uint8_t rx[2 * SIM_ADU_MAX];
	size_t rxlen;
	bool dead; /* close once the current read is handled */
};

/* How a reply leaves: sim_bus_send (to: the bus index) or sim_conn_send
 * (to: the connection id); b is the board answering, -1 none. */
typedef void sim_send_fn(struct sim *sim, uint64_t to, int b, const uint8_t *adu, int len);

/* A reply held back by the 'slow' fault until due. */
struct sim_pending {
	int64_t due_us;
	sim_send_fn *send;
	uint64_t to;
	int board;
	uint8_t adu[SIM_ADU_MAX];
	int len;
};

/* The loop's handlers (sim.c), as Redis's ae has them: a descriptor, the
 * function its readiness calls and the events it waits for (want; NULL:
 * POLLIN), indexed by descriptor. Timers are hooks the loop calls after
 * every pass with the time; each runs what is due and returns when it is
 * due next (0: nothing waits). */
typedef void sim_fd_fn(struct sim *sim, int fd, short revents, void *data);
typedef short sim_want_fn(const struct sim *sim, const void *data);
typedef int64_t sim_timer_fn(struct sim *sim, int64_t now);

struct sim_fd_handler {
	sim_fd_fn *fn; /* NULL: nothing registered */
	sim_want_fn *want;
	void *data;
	uint64_t serial; /* tells a descriptor number used again apart */
};

#define SIM_TIMERS_MAX 4

struct sim_ctl_client {
	int fd;
	char in[SIM_CTL_LINE_MAX + 2];
	size_t inlen;
	bool overlong; /* skipping the rest of a too-long line */
	char *out;
	size_t outlen, outcap;
	bool closing;
	bool overflow; /* a reply did not fit: the client is dropped */
};

#define SIM_TCP_CONN_MAX 256   /* TCP connections at once; more are refused */
#define SIM_CTL_CLIENTS_MAX 64 /* control clients at once; more are refused */

struct sim {
	struct hw_cabinet_conf *conf;
	const char *conf_path;
	struct sim_board *boards;
	int nboards;
	struct sim_slot *slots;
	int nslots;
	int *slot_of_conf; /* conf slot -> sim slot or -1 (gpio) */
	int *board_of_conf; /* conf board -> sim board or -1 (gpio) */
	struct sim_bus *buses;
	int nbuses;
	struct sim_endpoint *endpoints;
	int nendpoints;
	struct sim_conn *conns[SIM_TCP_CONN_MAX];
	int nconns;
	uint64_t next_conn_id;
	struct sim_pending **pending;
	int npending;
	modbus_t *rtu_ctx, *tcp_ctx; /* build replies into reply_sock[0] */
	int reply_sock[2];
	char ctl_path[108];
	int ctl_fd;
	struct sim_ctl_client *ctl[SIM_CTL_CLIENTS_MAX];
	int nctl;
	int timer_fd, signal_fd;
	int inotify_fd;
	struct sim_fd_handler *handlers; /* indexed by descriptor */
	int nhandlers;
	uint64_t handler_serial;
	sim_timer_fn *timers[SIM_TIMERS_MAX];
	int ntimers;
	bool stop;
};

int64_t sim_now_us(void);

/* board.c */
int sim_boards_init(struct sim *sim, char *err, size_t errlen);
void sim_boards_free(struct sim *sim);
/* A request ADU (RTU or TCP framing) for board b; returns the reply ADU
 * length in out (0: no answer, as a board in a fault or a broadcast). */
int sim_board_request(struct sim *sim, int b, const uint8_t *adu, int len, bool rtu,
		      bool broadcast, uint8_t *out);
void sim_board_set_coil(struct sim *sim, int b, int coil, bool on, int64_t now);
void sim_boards_timers(struct sim *sim, int64_t now);
int64_t sim_boards_next_due(const struct sim *sim);
void sim_slot_record(struct sim *sim, int slot, bool on, int64_t now);
void sim_slot_update_inputs(struct sim *sim, int slot);
/* Required PDU length for a request with this function code; 0: more
 * bytes needed to tell (avail so far), -1: a function we do not know. */
int sim_pdu_len(const uint8_t *pdu, int avail);

/* rtu.c */
int sim_buses_open(struct sim *sim, char *err, size_t errlen);
void sim_buses_close(struct sim *sim);
void sim_bus_readable(struct sim *sim, int bus);
void sim_bus_idle(struct sim *sim, int bus, int64_t now);
sim_send_fn sim_bus_send;
/* Takes the clients' opens and closes of the ptys noted so far. */
void sim_buses_watch(struct sim *sim);
uint16_t sim_crc16(const uint8_t *p, size_t n);

/* tcp.c */
int sim_endpoints_open(struct sim *sim, char *err, size_t errlen);
void sim_endpoints_close(struct sim *sim);
int sim_endpoint_listen(struct sim *sim, int e, char *err, size_t errlen);
void sim_endpoint_drop(struct sim *sim, int e);
void sim_endpoint_accept(struct sim *sim, int e, int lfd);
void sim_conn_readable(struct sim *sim, int c);
void sim_conn_close(struct sim *sim, int c);
sim_send_fn sim_conn_send;

/* sim.c: the loop, below the parts that register with it */
/* Registers fd's handler (replacing one there); 0 or -ENOMEM. */
int sim_fd_add(struct sim *sim, int fd, sim_fd_fn *fn, sim_want_fn *want, void *data);
/* Unregisters fd, before it is closed. */
void sim_fd_del(struct sim *sim, int fd);
/* Adds a timer hook; 0 or -ENOSPC. */
int sim_timer_add(struct sim *sim, sim_timer_fn *fn);
/* Frees the handler table. */
void sim_fds_free(struct sim *sim);
/* Sends a reply now or, for a slow board, when due. */
void sim_reply(struct sim *sim, int b, sim_send_fn *send, uint64_t to, const uint8_t *adu,
	       int len);
/* A connection accepted on the listening socket lfd (non-blocking, in
 * *fd) and a zeroed object of size bytes for it; NULL when there is none,
 * when refuse says it is closed at once, or out of memory (closed too). */
void *sim_accept(int lfd, bool refuse, size_t size, int *fd);
/* Sends the 'slow' replies due by now. */
void sim_pending_run(struct sim *sim, int64_t now);
/* The signalfd (SIGTERM, SIGINT, SIGHUP), the timerfd and the inotify
 * descriptor; the first two registered with the loop. */
int sim_signals_open(struct sim *sim);
/* The libmodbus contexts replies are built with (rtu_ctx, tcp_ctx, over
 * reply_sock); closed by sim_reply_ctx_close(), also after a failed open. */
int sim_reply_ctx_open(struct sim *sim);
void sim_reply_ctx_close(struct sim *sim);
/* Serves every registered descriptor and timer until a signal
 * (sim->stop); 0 or a negative errno. */
int sim_loop(struct sim *sim);

/* control.c */
/* Early, before anything is set up: is the path free (or a dead
 * simulator's socket)? sim_ctl_open checks again and binds. */
int sim_ctl_check(const char *path, char *err, size_t errlen);
int sim_ctl_open(struct sim *sim, const char *path, char *err, size_t errlen);
void sim_ctl_close(struct sim *sim);
void sim_ctl_accept(struct sim *sim);
void sim_ctl_readable(struct sim *sim, int c);
void sim_ctl_writable(struct sim *sim, int c);
void sim_ctl_drop_client(struct sim *sim, int c);

#endif
