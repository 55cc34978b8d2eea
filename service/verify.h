/* Verification of what the reports read: the columns extracted from each
 * stored event and the derived tables, re-derived from the event bodies
 * into an in-memory database of the same schema with the same derive code,
 * and compared with the stored ones. */
#ifndef KC_SERVICE_VERIFY_H
#define KC_SERVICE_VERIFY_H
#include <stdint.h>

#include "service/config.h"
#include "service/store.h"

/* Called once per difference with a sentence naming the table, the row's
 * key and what differs. */
typedef void (*kc_verify_report_fn)(void *ctx, const char *sentence);

/* Re-derives every table the reports read from the stored events of all
 * cabinets and compares. *events gets the number of events re-derived,
 * *differences the number reported. Returns 0 (differences or not), or
 * -ENOMEM, -EIO with a sentence in err. */
int kc_verify_derived(struct kc_db *db, const struct kc_audit_config *cfg, kc_verify_report_fn report,
		      void *ctx, int64_t *events, int64_t *differences, char *err, size_t errlen);

#endif
