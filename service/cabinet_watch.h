/* Cabinets that stop reaching the office: each batch a cabinet sends (an
 * empty one too, the link's heartbeat) is its last contact; one silent for
 * [notify] offline_after_s is an office alarm (ingest_alarms, kind
 * "offline") with a cabinet_offline notice, cleared with a cabinet_online
 * notice when it is heard again. */
#ifndef KC_SERVICE_CABINET_WATCH_H
#define KC_SERVICE_CABINET_WATCH_H
#include <stdint.h>

#include "service/config.h"
#include "service/store.h"

/* cabinet was heard at now_ms: its last contact, and its offline alarm
 * cleared. In the caller's transaction. 1 when a notice was added, 0, or
 * -errno. */
int kc_cabinet_contact(struct kc_db *db, const struct kc_audit_config *cfg, const char *cabinet, int64_t now_ms);
/* Raises the offline alarm of each cabinet silent past the limit, in its
 * own transaction. The number of notices added, or -errno. */
int kc_cabinet_watch(struct kc_db *db, const struct kc_audit_config *cfg, int64_t now_ms);

#endif
