/* The timed scans: closing release windows, overdue loans, notices, the
 * audit link's alarm. */
#ifndef KC_CTL_SCANS_H
#define KC_CTL_SCANS_H
#include <stdint.h>

#include "controller/ctl.h"

/* Does what is due now; returns the ms until the next thing to do. */
int64_t kc_scans_tick(struct kc_ctl *ctl);

#endif
