/* A notice and its deliveries (service/notice_add.c). */
#ifndef KC_SERVICE_NOTICE_ADD_H
#define KC_SERVICE_NOTICE_ADD_H
#include <jansson.h>
#include <stdint.h>

#include "service/config.h"
#include "service/notice.h"
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

#endif
