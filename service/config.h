/* keyauditd configuration: defaults, then the INI file, then the command
 * line; every value range-checked with a message naming file, line, key. */
#ifndef KC_SERVICE_CONFIG_H
#define KC_SERVICE_CONFIG_H
#include <stddef.h>

#define KC_MAX_WEBHOOKS 8

enum kc_notice_kind {
	KC_NOTICE_BEFORE_END,
	KC_NOTICE_END,
	KC_NOTICE_REMINDER,
	KC_NOTICE_LOAN_OVERDUE,
	KC_NOTICE_ALARM,
	KC_NOTICE_INGEST_REFUSED,
	KC_NOTICE_KINDS
};

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
	char *webhooks[KC_MAX_WEBHOOKS];
	int nwebhooks;
	int backoff_min_ms;
	int backoff_max_ms;
	int max_attempts;
	int webhook_timeout_ms;
	int utc_offset_min; /* times in notices are shown at this offset */
	char *tmpl_zh[KC_NOTICE_KINDS];
	char *tmpl_en[KC_NOTICE_KINDS];
};

/* A time of an event ("2026-11-25T06:30:00.000Z") as people read it in a
 * notice: "2026-11-25 14:30" at offset_min from UTC, or the bare date
 * "2026-11-25" for a local midnight (how the cabinet records a date) or a
 * midnight UTC (how older cabinets recorded one). Anything else is copied
 * as it is. */
void kc_notice_time(const char *iso, int offset_min, char *out, size_t len);
/* The same for an end the cabinet keeps as the start of the next local day
 * (an entrustment "to 2026-11-30" ends at 2026-11-30T16:00Z at +08:00):
 * shown as the last day it covers, "2026-11-30". */
void kc_notice_end(const char *iso, int offset_min, char *out, size_t len);

/* Name of a notice kind as used in [templates] keys ("before_end"). */
const char *kc_notice_kind_name(enum kc_notice_kind k);

/* Fills cfg with the defaults. Returns 0 or -ENOMEM. */
int kc_config_defaults(struct kc_audit_config *cfg);
/* Reads the INI file over the current values. Returns 0, or -EINVAL with
 * "FILE:LINE: [section] key: what is wrong" in err. */
int kc_config_load(struct kc_audit_config *cfg, const char *path, char *err, size_t errlen);
/* Sets one value as the command line gives it ("port", "8080");
 * origin names where it came from in err. */
int kc_config_set(struct kc_audit_config *cfg, const char *section, const char *key,
		  const char *value, char *err, size_t errlen);
void kc_config_free(struct kc_audit_config *cfg);

/* Replaces {name} in tmpl with the string members of fields; unknown
 * names are an error (-EINVAL, with the name in err). malloc'd result. */
int kc_template_render(const char *tmpl, const void *fields_json, char **out, char *err, size_t errlen);

#endif
