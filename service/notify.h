/* Notices: created in the ingest transaction (one row per notice-worthy
 * event; a delivery per [notify] webhook and per target of each [route]
 * rule naming its kind), delivered by their own thread through the
 * channels (service/channel.h) with exponential backoff, each channel
 * paced, an SMS with no clear answer looked up rather than sent again;
 * every attempt recorded. */
#ifndef KC_SERVICE_NOTIFY_H
#define KC_SERVICE_NOTIFY_H
#include <jansson.h>
#include <stdint.h>

#include "service/config.h"
#include "service/store.h"

/* Adds a notice of kind for event (cabinet, seq, type) with the template
 * fields in fields (string members), and its deliveries: one per webhook,
 * one per target of each rule for its kind and site (an SMS to a notice
 * with no phone_sealed is failed at once, and says so).
 * A notice for the same (cabinet, seq, type) is added once. Call inside
 * the caller's transaction. Returns 1 when added, 0 when already there,
 * or -errno. */
int kc_notice_add(struct kc_db *db, const struct kc_audit_config *cfg, enum kc_notice_kind kind,
		  const char *cabinet, int64_t seq, const char *type, const json_t *fields,
		  int64_t now_ms);

struct kc_notifier;
/* Starts the delivery thread with its own connection to cfg->db_path. */
struct kc_notifier *kc_notifier_start(const struct kc_audit_config *cfg, char *err, size_t errlen);
/* New notices: deliver soon. Thread-safe; NULL ok. */
void kc_notifier_wake(struct kc_notifier *n);
void kc_notifier_stop(struct kc_notifier *n);
/* 0 while the thread runs and its last database access worked. */
int kc_notifier_health(struct kc_notifier *n);

#endif
