/* keycabd's configuration: an INI file (controller/README.md lists every
 * key), filled defaults -> file -> command line, each value range-checked
 * with a message naming the file, line and key. */
#ifndef KC_CTL_CONF_H
#define KC_CTL_CONF_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/sharedkey.h"
#include "common/util.h" /* kc_parse_duration */
#include "controller/words.h" /* enum kc_purpose */


struct kc_ctl_conf {
	char path[256];
	bool forward_part;         /* keycab-forward's part only (kc_ctl_conf_load_forward) */
	char cabinet_file[256];
	char time_zone[64];        /* IANA name: every date taken or shown, every "same day" */
	char db_path[256];
	char key_file[256];        /* the hash key; default: db_path + ".key" */
	char socket_path[108];
	mode_t socket_mode;
	char socket_group[64];
	char terminal_key_file[256]; /* [socket] terminal_key; "": no terminal key */
	unsigned char terminal_key_digest[KC_SHARED_KEY_DIGEST]; /* of the key in it */
	char forward_key_file[256]; /* [socket] forward_key; "": keycab-forward not taken */
	unsigned char forward_key_digest[KC_SHARED_KEY_DIGEST]; /* of the key in it */
	int64_t release_window_ms; /* how long a granted slot stays open */
	int64_t release_grace_ms;  /* a removal seen this late still counts */
	int lockout_attempts;      /* wrong PINs before a lockout */
	int64_t lockout_base_ms;   /* the first lockout; each next one doubles */
	int64_t lockout_max_ms;
	int64_t session_idle_ms;
	int64_t notice_lead_ms;    /* first notice this long before the end */
	int64_t notice_reminder_ms;/* then reminders this often until collected */
	int64_t scan_interval_ms;  /* overdue / notice scans */
	int64_t desk_loan_max_ms[KC_PURPOSE_COUNT]; /* [desk] max_loan_<purpose>: how far ahead a loan may be due */
	int64_t desk_entrust_max_ms; /* [desk] max_entrustment: the longest an entrustment may last */
	int64_t desk_intake_wait_ms; /* [desk] intake_wait: how long a slot opened for a new key waits for its registration */
	char audit_url[256];
	char audit_token_file[256];
	char audit_ca_file[256];
	int audit_batch_max;
	int audit_backoff_min_ms;
	int audit_backoff_max_ms;
	int64_t socket_idle_ms;      /* a connection idle this long is closed */
	int64_t lockout_summary_ms;  /* failed logins summed per cause over this */
	int fwd_allow_plain_http;  /* [forward] allow_plain_http: http:// to another machine */
	int64_t fwd_keep_events;   /* [forward] keep_acked_events */
	int64_t fwd_keep_ms;       /* [forward] keep_acked_days, in ms */
	int64_t fwd_idle_close_ms; /* [forward] idle_close */
	int64_t fwd_heartbeat_ms; /* [forward] heartbeat */
	bool has_notice_pk;        /* [notify] notice_public_key: phone numbers leave sealed to it */
	unsigned char notice_pk[32];
	bool estate_managed;       /* [estate] mode = managed: the office manages the registry (estate.c) */
};

struct kc_ini_key;
/* The table of every key (common/ini.h), as the loader reads it. */
const struct kc_ini_key *kc_ctl_conf_keys(size_t *n);
void kc_ctl_conf_defaults(struct kc_ctl_conf *c);
/* 0, or -EINVAL with "FILE:LINE: [section] key: what is wrong" in err. */
int kc_ctl_conf_load(struct kc_ctl_conf *c, const char *path, char *err, size_t errlen);
/* keycab-forward's part of the same file: [audit], [forward], and
 * [socket] path and forward_key (the file's name only: the key is read
 * by whoever uses it); every other key is left to keycabd. */
int kc_ctl_conf_load_forward(struct kc_ctl_conf *c, const char *path, char *err, size_t errlen);

#endif
