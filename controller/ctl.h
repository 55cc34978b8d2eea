/* The controller: the state keycabd's parts share, and nothing else. main.c
 * builds one and runs the loop; proto.c feeds it requests (request.c's
 * table), hwevents.c hardware events, scans.c the timers; desk.c,
 * reads.c, registry.c and session.c answer requests; rules.c decides. */
#ifndef KC_CTL_H
#define KC_CTL_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "controller/conf.h"
#include "controller/link.h"
#include "controller/rules.h"
#include "controller/store.h"

struct hw_cabinet;
struct kc_backlog;
struct kc_db;
struct kc_proto;

/* A release window: a granted loan whose slot is open (rule 10). */
struct kc_window {
	int64_t loan;
	char key[64];
	char slot[64];
	int slot_index;     /* -1 when there is no hardware */
	int64_t close_mono; /* decide "not taken" at this monotonic ms */
	bool lock_off;      /* the hardware said the pulse ended */
	bool reseat;        /* a re-seat (loan 0): key may leave slot with no tamper alarm */
	bool intake;        /* a free slot opened for a new key (loan 0, no key; intake.c) */
};

#define KC_MAX_WINDOWS KC_RULES_MAX_WINDOWS

/* Failed logins that are summed into one event per interval ([lockout]
 * summary_interval; session.c): the first of an interval is an event at
 * once, the rest one event when the interval ends. */
enum { KC_LOGIN_UNKNOWN_CARD, KC_LOGIN_LIMITED_CARD, KC_LOGIN_LIMITED_PIN, KC_LOGIN_CAUSES };
struct kc_login_failures {
	int64_t since_mono; /* the interval began; 0: none open */
	int64_t first_wall; /* the first failure counted in pending */
	int64_t pending;    /* failures since the interval's first event */
};

/* A free slot opened for a new key (controller/intake.c): the key that
 * goes in is expected there (no alarm) until until_mono; kc_intake_tick
 * then ends the wait, and a key left in unregistered is an alarm (it may
 * still be registered while that alarm is open). */
struct kc_intake_wait {
	char slot[64];
	int64_t until_mono;
};
#define KC_MAX_INTAKE_WAITS 8
struct kc_ctl {
	const struct kc_ctl_conf *conf;
	struct kc_store *st;
	struct kc_db *db;      /* st's connection (kc_store_kdb): the tables' readers */
	struct hw_cabinet *hw; /* NULL: no hardware (unit tests) */
	bool test_clock;       /* the test.clock request is allowed */
	uid_t uid;             /* keycabd's own uid: its peers are "console" */
	struct kc_window windows[KC_MAX_WINDOWS];
	int nwindows;
	int64_t next_scan_mono;
	bool stopping;
	/* The audit link: keycabd's own connection to the outbox for
	 * keycab-forward's outbox.* requests (NULL: no [audit] url, offline),
	 * and the link's state as keycab-forward last reported it
	 * (forward.report; controller/outbox_ops.c). */
	struct kc_db *outbox;
	struct kc_forward_status link;
	int64_t link_report_mono;  /* the last report (monotonic ms); 0: none yet */
	int64_t link_since_mono;   /* the outbox opened: a forwarder is expected from then */
	json_t *link_feed;         /* the estate feed as keycab-forward last reported it (its "feed"); NULL: none */
	struct kc_login_failures login_failures[KC_LOGIN_CAUSES];
	int link_seen;         /* the link's last state keycabd acted on; -1: none yet */
	char link_reason[32];
	int64_t link_behind_seen[2]; /* the finding of the service behind last acted on: found, caught up */
	struct kc_proto *proto; /* the socket; its subscribers get pushes (subscribe.c) */
	int subscribers;       /* proto's subscribers, keycab-forward included, as it last counted them (never fewer): 0, no pushes wanted */
	int link_pushed;       /* the link state last pushed to subscribers; -1: none yet */
	char link_pushed_reason[32];
	int64_t subscribers_checked; /* the sessions of subscribers were checked (monotonic ms) */
	struct kc_backlog *backlog; /* changes waiting for the disk (backlog.c); NULL: none yet */
	/* called by the backlog when the disk's state or the changes waiting
	 * changed (kc_subscribe_storage pushes them); NULL: nobody listens */
	void (*storage_changed)(struct kc_ctl *ctl);
	struct kc_intake_wait intake_waits[KC_MAX_INTAKE_WAITS];
	int nintake_waits;
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
	char session_error[160]; /* why nobody is logged in, in English ... */
	int session_why;       /* ... as a message code (session_*, common/msgs/session.def) */
	int64_t session_idle_s; /* session_expired: the idle timeout */
	bool session_given;    /* the request carried a token (valid or not) */
	bool terminal;         /* the request carried the terminal key ([socket] terminal_key) */
	bool forwarder;        /* the request carried the forward key ([socket] forward_key) */
	bool subscribe;        /* set by subscribe: the connection becomes a subscriber */
};

#endif
