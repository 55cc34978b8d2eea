/* keyauditd configuration: defaults, then the INI file, then the command
 * line; every value range-checked with a message naming file, line, key. */
#ifndef KC_SERVICE_CONFIG_H
#define KC_SERVICE_CONFIG_H
#include <stddef.h>
#include <stdint.h>

#include "service/channel.h"
#include "service/notice.h"

#define KC_MAX_WEBHOOKS 8

struct kc_audit_config {
	char *file;
	char *listen;
	int port;
	char *port_file;
	char *db_path;
	long body_limit;
	int threads;
	int session_ttl_s;
	char *tls_cert;		/* PEM files; both or neither (then plain HTTP) */
	char *tls_key;
	int max_connections;	/* all clients together */
	int per_address_limit;	/* connections from one client address */
	int idle_timeout_s;	/* an idle connection is closed after this */
	char *time_zone;	/* the zone of sites whose cabinets named none (service/zone.h) */
	char *estate;		/* who files the reports: heads the printed monthly report */
	char *webhooks[KC_MAX_WEBHOOKS];
	int nwebhooks;
	int backoff_min_ms;
	int backoff_max_ms;
	int max_attempts;
	int webhook_timeout_ms;
	int offline_after_s;	/* a cabinet silent this long is offline (cabinet_offline) */
	char *key_use_sites;	/* sites whose owners hear of their keys' use (key_out, key_back): codes, space-separated; "*" all */
	int daily_summary_min;	/* [notify] daily_summary_at as minutes past local midnight; -1: none */
	char *templates_dir;	/* [templates] dir, NULL: the built-in templates */
	char *tmpl_zh[KC_NOTICE_KINDS];
	char *tmpl_en[KC_NOTICE_KINDS];
	struct kc_channel_conf *channels; /* [channel NAME] sections */
	int nchannels;
	struct kc_route *routes;	  /* [route] rules */
	int nroutes;
	struct kc_department *departments; /* [departments]: a department's group */
	int ndepartments;
	char *secrets_file;	/* the channels' secrets: readable by keyauditd only */
	char *notice_key_file;	/* the notice key's secret halves (service/notice_key.h) */
	int feed_wait_max_s;	/* [estate] feed_wait_max: the longest a feed poll is held */
	int feed_held_max;	/* [estate] feed_held_max: polls held at once; more get 503 */
	char *card_key_file;	/* [estate] the estate's card key: cards typed at the office hashed with it */
	int enrol_code_valid_s;	/* [estate] enrol_code_valid: how long a new person's enrolment code works */
	int64_t approval_valid_ms; /* [estate] approval_valid: how long a manager's approval holds */
};

#define KC_ESTATE_MAX 200 /* [report] estate, bytes */

/* A key of keyauditd.conf: an int field in a range, a text field, a file
 * name that must not be empty, or the function that checks and sets it
 * (set_in: one that reads the section's name too, for sections such as
 * "[channel desk]" whose first word is the table's section). */
enum kc_config_kind { KC_CONFIG_INT, KC_CONFIG_TEXT, KC_CONFIG_FILE, KC_CONFIG_FUNC };
struct kc_config_key {
	const char *section;
	const char *name; /* NULL: every key set() takes ([templates] <kind>.zh, <kind>.en) */
	enum kc_config_kind kind;
	size_t off;
	long long min, max;
	const char *what; /* KC_CONFIG_FILE: what is empty, for the message */
	int (*set)(struct kc_audit_config *cfg, const char *key, const char *value, char *err,
		   size_t errlen);
	int (*set_in)(struct kc_audit_config *cfg, const char *section, const char *key,
		      const char *value, char *err, size_t errlen);
};

/* Whether a section header ("channel desk") is of the table's section
 * ("channel"): equal, or its first word. */
int kc_config_section_is(const char *header, const char *table_section);

/* The table kc_config_set() reads: every key there is. */
const struct kc_config_key *kc_config_keys(size_t *n);

/* Fills cfg with the defaults. Returns 0 or -ENOMEM. */
int kc_config_defaults(struct kc_audit_config *cfg);
/* Reads the INI file over the current values. Returns 0, or -EINVAL with
 * "FILE:LINE: [section] key: what is wrong" in err. */
int kc_config_load(struct kc_audit_config *cfg, const char *path, char *err, size_t errlen);
/* Sets one value as the command line gives it ("port", "8080");
 * origin names where it came from in err. */
int kc_config_set(struct kc_audit_config *cfg, const char *section, const char *key,
		  const char *value, char *err, size_t errlen);
/* Reads the template files of [templates] dir over the templates set so
 * far (a kind with no file keeps its own). 0, or -EINVAL (-ENOMEM) with
 * "PATH:LINE: what is wrong" in err. */
int kc_config_templates(struct kc_audit_config *cfg, char *err, size_t errlen);
void kc_config_free(struct kc_audit_config *cfg);

/* [channel NAME] and [route] (config_channels.c). A channel's header
 * ("channel desk") at line; a second one with the same name is refused. */
int kc_config_channel_add(struct kc_audit_config *cfg, const char *header, int line, char *err,
			  size_t errlen);
int kc_config_channel_key(struct kc_audit_config *cfg, const char *section, const char *key,
			  const char *value, char *err, size_t errlen);
int kc_config_route_key(struct kc_audit_config *cfg, const char *section, const char *key,
			const char *value, char *err, size_t errlen);
/* "NAME = channel" of [departments]: the department's group. */
int kc_config_department_key(struct kc_audit_config *cfg, const char *section, const char *key,
			     const char *value, char *err, size_t errlen);
/* Once the file is read: reads the secrets file, checks each channel has
 * what its type needs and each rule's channels exist. 0, or -EINVAL with
 * the message in err and the line it is about in *line (0: none). */
int kc_config_channels_check(struct kc_audit_config *cfg, int *line, char *err, size_t errlen);
void kc_config_channels_free(struct kc_audit_config *cfg);

#endif
