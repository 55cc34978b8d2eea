/* The cabinet file: which slots there are, and on which board, bus,
 * coil, input, register or GPIO line each one sits (hw/README.md).
 * Loading checks everything a wiring mistake can get wrong and names the
 * file, line, section and key of the first problem. */
#ifndef KC_HW_CONF_H
#define KC_HW_CONF_H
#include <stdbool.h>
#include <stddef.h>

#define HW_NAME_MAX 64                /* a name, its NUL included */
#define HW_PULSE_HARD_MAX_MS 60000   /* no configuration can exceed this */
#define HW_RETRY_LIMIT_MS 600000     /* retry_min_ms, retry_max_ms at most */
#define HW_BAUD_MIN 1200             /* the slowest and fastest standard rates */
#define HW_BAUD_MAX 115200
#define HW_BAUD_DEFAULT 9600
#define HW_MODBUS_UNIT_MAX 247       /* the highest Modbus unit id */
#define HW_MODBUS_ADDR_MAX 65535     /* the highest coil, input or register */
#define HW_MODBUS_PORT 502           /* Modbus TCP's port */
#define HW_WAVESHARE_CHANNELS 8      /* Waveshare Relay (D): relays and inputs 0 to 7 */

enum hw_board_type { HW_BOARD_MODBUS_RTU, HW_BOARD_MODBUS_TCP, HW_BOARD_GPIO };
enum hw_profile { HW_PROFILE_GENERIC, HW_PROFILE_WAVESHARE_RELAY_D };

struct hw_bus_conf {
	char name[HW_NAME_MAX];
	char device[256];
	int baud;
	char parity; /* 'N', 'E', 'O' */
	int data_bits;
	int stop_bits;
	int line;
};

struct hw_board_conf {
	char name[HW_NAME_MAX];
	enum hw_board_type type;
	enum hw_profile profile;
	int bus;        /* modbus-rtu: index into buses */
	char host[128]; /* modbus-tcp */
	int port;
	int unit;       /* Modbus unit (slave) id */
	char chip[128]; /* gpio: chip label, name or path */
	int line;
};

struct hw_slot_conf {
	char name[HW_NAME_MAX];
	int board;  /* index into boards */
	int lock;   /* coil / relay channel / GPIO line offset */
	int sense;  /* discrete input / GPIO line offset */
	int tag;    /* generic Modbus: first of two input registers; -1: none */
	bool lock_active_low;
	bool sense_active_low;
	char label[128];
	int line;
};

struct hw_cabinet_conf {
	char path[256];
	char id[HW_NAME_MAX];
	char name[128];
	int scan_ms;      /* time between scans */
	int debounce;     /* scans a new presence must hold */
	int pulse_ms;     /* default release pulse */
	int pulse_max_ms; /* never above HW_PULSE_HARD_MAX_MS */
	int timeout_ms;   /* Modbus response timeout */
	int retry_min_ms; /* backoff for a board that stopped answering */
	int retry_max_ms;
	struct hw_bus_conf *buses;
	int nbuses;
	struct hw_board_conf *boards;
	int nboards;
	struct hw_slot_conf *slots;
	int nslots;
};

/* NULL with a message "FILE:LINE: [section] key: what is wrong" in err. */
struct hw_cabinet_conf *hw_conf_load(const char *path, char *err, size_t errlen);
void hw_conf_free(struct hw_cabinet_conf *conf);

int hw_conf_find_slot(const struct hw_cabinet_conf *conf, const char *name);
int hw_conf_find_board(const struct hw_cabinet_conf *conf, const char *name);
const char *hw_board_type_name(enum hw_board_type t);
const char *hw_profile_name(enum hw_profile p);

#endif
