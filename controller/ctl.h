/* The controller: what keycabd's parts share. main.c builds one of these
 * and runs the loop; proto.c feeds it requests (request.c's table),
 * cabinet.c hardware events and timers; desk.c, reads.c, registry.c and
 * session.c answer requests, rules.c decides releases. */
#ifndef KC_CTL_H
#define KC_CTL_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "controller/conf.h"
#include "controller/store.h"

struct hw_cabinet;
struct kc_forwarder;

/* A release window: a granted loan whose slot is open (rule 10). */
struct kc_window {
	int64_t loan;
	char key[64];
	char slot[64];
	int slot_index;     /* -1 when there is no hardware */
	int64_t close_mono; /* decide "not taken" at this monotonic ms */
	bool lock_off;      /* the hardware said the pulse ended */
};

#define KC_MAX_WINDOWS 64

/* Failed logins that are summed into one event per interval ([lockout]
 * summary_interval; session.c): the first of an interval is an event at
 * once, the rest one event when the interval ends. */
enum { KC_LOGIN_UNKNOWN_CARD, KC_LOGIN_LIMITED_CARD, KC_LOGIN_LIMITED_PIN, KC_LOGIN_CAUSES };
struct kc_login_failures {
	int64_t since_mono; /* the interval began; 0: none open */
	int64_t first_wall; /* the first failure counted in pending */
	int64_t pending;    /* failures since the interval's first event */
};

struct kc_ctl {
	const struct kc_ctl_conf *conf;
	struct kc_store *st;
	struct hw_cabinet *hw; /* NULL: no hardware (unit tests) */
	bool test_clock;       /* the test.clock request is allowed */
	uid_t uid;             /* keycabd's own uid: its peers are "console" */
	struct kc_window windows[KC_MAX_WINDOWS];
	int nwindows;
	int64_t next_scan_mono;
	bool stopping;
	struct kc_forwarder *forwarder; /* NULL: no [audit] url, offline */
	struct kc_login_failures login_failures[KC_LOGIN_CAUSES];
	int link_seen;         /* the forwarder's last state keycabd acted on; -1: none yet */
	char link_reason[32];
};

/* Who sent a request: the socket peer and, after the session check, the
 * authenticated operator. */
struct kc_peer {
	uid_t uid;
	pid_t pid;
	bool console;          /* root or keycabd's own user: registry admin */
	char person[64];       /* "" when not logged in */
	char role[16];
	char name[128];
	char session_error[160];
	bool session_given;    /* the request carried a token (valid or not) */
};

/* reply.c: the answers a request gets (controller/README.md, "Protocol"). */
json_t *kc_reply_ok(void);
json_t *kc_reply_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A refusal by a custody rule: rule (0: no rule, the request names
 * something unknown or unavailable), a sentence, and what is missing. */
json_t *kc_reply_refused(int rule, json_t *missing, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));


/* session.c */
json_t *kc_session_login(struct kc_ctl *ctl, json_t *req);
json_t *kc_session_logout(struct kc_ctl *ctl, json_t *req);
/* Fills peer->person/role/name from the request's "session" token; on
 * failure leaves person empty and says why in peer->session_error. */
void kc_session_check(struct kc_ctl *ctl, json_t *req, struct kc_peer *peer);
/* A login refused before any check, because its connection (or every
 * connection) failed too often lately: counted, and the reply says how
 * long to wait. */
json_t *kc_session_login_throttled(struct kc_ctl *ctl, const char *method, int64_t wait_ms);
/* Writes the summed failed logins of intervals that ended (all of them
 * when flush); returns the ms until the next interval ends. */
int64_t kc_session_tick(struct kc_ctl *ctl, bool flush);
/* Checks a second person's PIN (a manager's approval at the cabinet),
 * counting failures and lockouts like a login. 0, or a refusal reply. */
json_t *kc_session_verify_pin(struct kc_ctl *ctl, const char *person, const char *pin,
			      const char *purpose, char role_out[16]);

/* registry.c: imports and admin commands. */
json_t *kc_registry_import(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req);
json_t *kc_registry_person_add(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req);
json_t *kc_registry_entrust(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req);
json_t *kc_registry_letter_file(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req);
json_t *kc_registry_letter_confirm(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req);
json_t *kc_registry_vacancy(struct kc_ctl *ctl, struct kc_peer *peer, json_t *req);
/* A card stored as a plain SHA-256 (before keyed hashes) gets its keyed
 * hash card_hash, so a lookup by card_hash finds it. 0 or -EIO. */
int kc_registry_card_rekey(struct kc_store *st, const char *card, const char *card_hash);
/* The database knows its hash key by a check value: recorded on first use,
 * compared after. 0, or -EKEYREJECTED (another key) / -EIO with err. */
int kc_registry_key_check(struct kc_store *st, const char *key_file, char *err, size_t errlen);

/* cabinet.c: hardware events, release windows, timed scans. */
int kc_cabinet_open_window(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot,
			   char *err, size_t errlen);
/* A granted loan whose slot did not open and whose grant could not be
 * undone: a window that closes at once, so the timer decides it. */
void kc_cabinet_watch(struct kc_ctl *ctl, int64_t loan, const char *key, const char *slot);
/* After start: windows of loans granted before a crash, so the first
 * scan decides whether their keys were taken. */
int kc_cabinet_recover(struct kc_ctl *ctl);
/* Inside a transaction: ends the hold on the ID of a loan whose key was
 * never taken, with its id.released event (reason "not_taken"). Returns
 * 0 (also when no ID was held) or -errno. */
int kc_cabinet_release_id_not_taken(struct kc_ctl *ctl, int64_t loan, const char *actor, const char *key);
void kc_cabinet_hw_events(struct kc_ctl *ctl);
/* Windows to close, overdue loans, notices. Returns the ms until the
 * next thing to do. */
int64_t kc_cabinet_tick(struct kc_ctl *ctl);
/* A slot's presence is readable and its board answers; for refusals. */
bool kc_cabinet_slot_usable(struct kc_ctl *ctl, const char *slot, char *why, size_t len);
json_t *kc_cabinet_slots(struct kc_ctl *ctl);

/* Commits the open transaction; on failure rolls back and says so. */
int kc_ctl_commit(struct kc_ctl *ctl);

/* reply.c: a string member; NULL when absent or not a string. */
const char *kc_req_str(json_t *req, const char *name);
/* An integer member; 0 when absent or not an integer. */
int64_t kc_req_int(json_t *req, const char *name);
/* Rows as objects named by their columns; integer columns named *_ms
 * become UTC times without the suffix. Resets s; NULL gives []. */
json_t *kc_reply_rows(sqlite3_stmt *s);

#endif
