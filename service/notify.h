/* Notices (made by notice_add.c in the ingest transaction) delivered by
 * their own thread through the channels (service/channel.h) with
 * exponential backoff, each channel paced, an SMS with no clear answer looked up rather than sent again;
 * every attempt recorded. */
#ifndef KC_SERVICE_NOTIFY_H
#define KC_SERVICE_NOTIFY_H
#include <jansson.h>
#include <stdint.h>

#include "service/config.h"
#include "service/store.h"

struct kc_notifier;
/* Starts the delivery thread with its own connection to cfg->db_path. */
struct kc_notifier *kc_notifier_start(const struct kc_audit_config *cfg, char *err, size_t errlen);
/* New notices: deliver soon. Thread-safe; NULL ok. */
void kc_notifier_wake(struct kc_notifier *n);
void kc_notifier_stop(struct kc_notifier *n);
/* 0 while the thread runs and its last database access worked. */
int kc_notifier_health(struct kc_notifier *n);

#endif
