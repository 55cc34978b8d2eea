/* The daily summary to the supervisors: once a local day per site, at
 * [notify] daily_summary_at in the site's zone, a daily_summary notice of
 * the keys out, how many of them are overdue, the IDs held and the
 * handovers not reviewed. */
#ifndef KC_SERVICE_DAILY_SUMMARY_H
#define KC_SERVICE_DAILY_SUMMARY_H
#include <stdint.h>

#include "service/config.h"
#include "service/store.h"

/* Makes the summaries due at now_ms and not made yet, in their own
 * transaction. The number made, or -errno. */
int kc_daily_summary(struct kc_db *db, const struct kc_audit_config *cfg, int64_t now_ms);

#endif
