/* A manager's approval from the office (controller/README.md, "A manager's
 * approval from the phone"): the clerk's request at the terminal
 * (`approval.ask`, `approval.cancel`) and the office's answer, the feed's
 * changes `approval.grant` and `approval.refuse`, applied inside
 * `estate.apply`'s transaction. */
#ifndef KC_CTL_ESTATE_APPROVAL_H
#define KC_CTL_ESTATE_APPROVAL_H
#include <jansson.h>
#include <stdint.h>

#include "controller/ctl.h"
#include "controller/rules.h"

/* A change's apply, inside the caller's open transaction: data is the
 * change's data, ev the event that records it (estate.applied): its key,
 * unit, site and person (the asker) are set here, and for a grant
 * data.approval. 0: applied; 1: refused, the reason in d (nothing
 * written); -EIO: a write failed. */
int kc_estate_approval_grant(struct kc_ctl *ctl, json_t *data, json_t *ev, struct kc_decision *d);
int kc_estate_approval_refuse(struct kc_ctl *ctl, json_t *data, json_t *ev, struct kc_decision *d);

#endif
