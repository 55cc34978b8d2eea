/* What a notice says of its event: the fields its templates name, looked
 * up as people read them (the site and unit by name, the person by name,
 * the event's time in the site's zone) and the notice added
 * (kc_notice_add) in the caller's transaction. */
#ifndef KC_SERVICE_NOTICE_FACTS_H
#define KC_SERVICE_NOTICE_FACTS_H
#include <jansson.h>
#include <stdint.h>

#include "service/config.h"
#include "service/notice.h"
#include "service/store.h"

/* A notice of kind for the stored event ev (its chain key in its
 * "cabinet"), made at now_ms. Returns 1 added, 0 already there, -errno. */
int kc_notice_event(struct kc_db *db, const struct kc_audit_config *cfg, enum kc_notice_kind kind,
		    const json_t *ev, int64_t now_ms);
/* The fields every notice of cabinet has, for a fact at at_ms that no
 * event carries (an office alarm): site, cabinet, time, event_time.
 * NULL when out of memory. */
json_t *kc_notice_cabinet_fields(struct kc_db *db, const char *cabinet, int64_t at_ms);
/* at_ms as a notice shows it for cabinet ("2026-12-07 09:30" in the
 * cabinet's zone). */
void kc_notice_cabinet_time(struct kc_db *db, const char *cabinet, int64_t at_ms, char *out, size_t len);

#endif
