/* The seam between the slot layer (hw/cabinet.c, hw/bus.c) and the board
 * drivers, in the shape of libmodbus's backends: a table of functions per
 * bus kind (hw/modbus-rtu.c, hw/modbus-tcp.c, hw/gpio.c) and per board
 * kind (hw/modbus.c's profiles, hw/gpio.c), paired in hw/driver.c's table.
 *
 * A bus is what one thread serves: a serial line with all its Modbus RTU
 * boards, one Modbus TCP host:port with the units behind it, or one GPIO
 * chip. Every driver function is called from that bus's thread only
 * (open/close from hw_cabinet_start/free, before and after the thread).
 * Functions return 0 (or a count) or a negative errno; libmodbus's own
 * codes (EMBXILFUN, EMBBADCRC, ...) come back negated as well, and the
 * bus's strerror() names them. */
#ifndef KC_HW_BOARD_H
#define KC_HW_BOARD_H
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hw/conf.h"
#include "hw/hw.h"
#include "hw/scan.h"

/* A bus's name: its kind and a device path, host:port or chip */
#define HW_BUS_NAME_MAX 300

struct hw_bus;
struct hw_board;

struct hw_bus_ops {
	/* The name of the bus board bc sits on ("serial /dev/ttyUSB0",
	 * "tcp 10.0.0.5:502", "gpio chip0"): boards whose names are equal
	 * share one bus and its thread. */
	void (*name)(const struct hw_cabinet_conf *c, const struct hw_board_conf *bc, char *buf,
		     size_t len);
	/* Allocates the bus's driver state. GPIO also opens the chip and
	 * requests every line here (outputs start off): failing that is an
	 * error of hw_cabinet_start(), explained in err. */
	int (*open)(struct hw_bus *bus, char *err, size_t errlen);
	/* (Re)connects a bus that is not connected; NULL: always connected. */
	int (*connect)(struct hw_bus *bus);
	void (*disconnect)(struct hw_bus *bus);
	/* Releases everything open() took. */
	void (*close)(struct hw_bus *bus);
	/* Extra descriptors the bus thread polls (GPIO line events) and what
	 * to do when they are readable; NULL when there are none. */
	int (*pollfds)(struct hw_bus *bus, struct pollfd *fds, int max);
	void (*handle)(struct hw_bus *bus, const struct pollfd *fds, int n);
	const char *(*strerror)(int err);
	/* Async-signal-safe: every lock of the bus off, no lock taken, no
	 * allocation. NULL when a signal handler cannot reach the boards. */
	void (*emergency_off)(struct hw_bus *bus);
	/* open() and connect() leave every lock off already, so the boards
	 * need no start-up reset of their own. */
	bool off_on_open;
	/* The driver's own description of the bus kind (hw/modbus.h's
	 * backend), read by its functions; NULL when it needs none. */
	const void *data;
};

struct hw_board_ops {
	/* Every lock of the board off (the start-up reset). */
	int (*all_off)(struct hw_board *b);
	/* Lock i (index among the board's slots) on or off. */
	int (*lock_set)(struct hw_board *b, int i, bool on);
	/* A pulse the board times itself, ms long; *actual_ms is the length
	 * it will really have. NULL when the host times pulses. */
	int (*pulse)(struct hw_board *b, int i, unsigned ms, unsigned *actual_ms);
	/* Presence of every slot of the board, in one bulk read. */
	int (*read_presence)(struct hw_board *b, bool *present);
	/* The key tag of slot i (0: none). NULL when the board reads none. */
	int (*read_tag)(struct hw_board *b, int i, uint32_t *tag);
};

enum hw_board_status { HW_BOARD_UNKNOWN = 0, HW_BOARD_OK, HW_BOARD_FAULT };

enum hw_pulse { HW_PULSE_NONE = 0, HW_PULSE_HOST, HW_PULSE_BOARD };

/* A slot at run time. The fields marked (lock) are shared with the
 * caller's thread under the cabinet's mutex; the rest belong to the bus
 * thread. */
struct hw_slot {
	const struct hw_slot_conf *conf;
	struct hw_board *board;
	int index;              /* in the cabinet */
	int bindex;             /* among its board's slots */
	struct hw_track track;  /* (lock) presence */
	uint32_t tag;           /* (lock) */
	int64_t since_ms;       /* (lock) */
	bool lock_on;           /* (lock) a pulse asked for has not ended */
	unsigned open_ms;       /* (lock) pulse asked for, queued to the bus */
	bool open_queued;       /* (lock) */
	enum hw_pulse pulse;    /* what the bus thread is timing */
	int64_t off_at;         /* when the pulse ends / the next off retry */
	int64_t pulse_ms;       /* length of the host-timed pulse under way */
	bool off_retry;         /* the off failed once: retrying */
};

struct hw_board {
	const struct hw_board_conf *conf;
	int index;
	struct hw_bus *bus;
	const struct hw_driver *driver; /* chosen once, from hw/driver.c's table */
	const struct hw_board_ops *ops; /* the driver's */
	struct hw_slot **slots;
	int nslots;
	void *priv;                  /* driver state */
	enum hw_board_status status; /* (lock) */
	char detail[HW_DETAIL_MAX];  /* (lock) why it is FAULT */
	bool need_all_off;           /* the start-up reset is still to be done */
	int64_t retry_at;            /* a FAULT board is tried again then */
	int backoff_ms;
	bool *present;               /* scratch for read_presence */
};

struct hw_bus {
	struct hw_cabinet *cab;
	const struct hw_cabinet_conf *conf;
	char name[HW_BUS_NAME_MAX]; /* "serial /dev/ttyUSB0", "tcp 10.0.0.5:502", "gpio chip0" */
	const struct hw_bus_ops *ops;
	void *priv;     /* driver state */
	bool connected;
	int64_t connect_at; /* next connection attempt */
	int connect_err;    /* why the last one failed (negative errno) */
	int connect_backoff_ms;
	struct hw_board **boards;
	int nboards;
	struct hw_slot **slots; /* of all its boards */
	int nslots;
	int cmd_fd;       /* eventfd: open requests are waiting */
	pthread_t thread;
	bool thread_started;
	uint64_t scans;    /* (lock) */
	uint64_t requests; /* (lock) requests sent to boards */
	int64_t alive_ms;  /* (atomic) mono ms the thread last finished a step */
};

extern const struct hw_bus_ops hw_modbus_rtu_bus_ops;
extern const struct hw_bus_ops hw_modbus_tcp_bus_ops;
extern const struct hw_board_ops hw_modbus_generic_ops;
extern const struct hw_board_ops hw_modbus_waveshare_ops;
extern const struct hw_bus_ops hw_gpio_bus_ops;
extern const struct hw_board_ops hw_gpio_board_ops;

/* The cabinet at run time (hw/cabinet.c). */
struct hw_cabinet {
	struct hw_cabinet_conf *conf;
	pthread_mutex_t lock;
	struct hw_slot *slots;
	int nslots;
	struct hw_board *boards;
	int nboards;
	struct hw_bus *buses;
	int nbuses;
	int ev_fd;
	/* events waiting for the caller: a ring that grows */
	struct hw_event *queue;
	size_t qhead, qlen, qcap;
	bool started;
	bool stopping; /* read and written atomically */
	/* slot detail for the LOCK_OFF of a pulse that could not be given */
	char (*off_detail)[HW_DETAIL_MAX];
};

/* hw/queue.c, below the bus threads and the drivers: */
/* Queues an event for the caller and wakes it; called with cab->lock held. */
void hw_cabinet_emit_locked(struct hw_cabinet *cab, const struct hw_event *ev);
/* Counts one request sent on the bus (drivers call it). */
void hw_bus_count_request(struct hw_bus *bus);
/* Makes the eventfd fd readable. */
void hw_wake(int fd);

/* A bus thread (hw/bus.c), started by hw_cabinet_start() with the bus. */
void *hw_bus_thread(void *arg);

/* A board type and profile of the cabinet file and the code that drives
 * them (hw/driver.c). */
struct hw_driver {
	enum hw_board_type type;
	enum hw_profile profile;
	const struct hw_bus_ops *bus;
	const struct hw_board_ops *board;
};

/* The driver of a board, or NULL when none drives its type and profile. */
const struct hw_driver *hw_driver_find(const struct hw_board_conf *bc);

#endif
