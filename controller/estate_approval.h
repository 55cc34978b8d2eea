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
#include "controller/estate.h"
#include "controller/rules.h"

/* The change types approval.grant and approval.refuse are rows of
 * estate.c's table (controller/estate_approval.def), applied inside its
 * transaction (kc_estate_apply_fn, controller/estate.h): a grant's
 * members are the key, its unit and site and the asker (person), its
 * extra data the approval made. */

#endif
