/* Taking keys in at the desk (controller/intake.c): a free slot opened for
 * a new key, the key registered with the tag its slot read (and its
 * owner's entrustment), an entrustment extended or ended early. */
#ifndef KC_CTL_INTAKE_H
#define KC_CTL_INTAKE_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "controller/ctl.h"

/* Ends the waits whose time is up: a key left unregistered in the slot
 * is an alarm (kc_hwevents_intake_ended). The ms until the next wait
 * ends; INT64_MAX: none waits. */
int64_t kc_intake_tick(struct kc_ctl *ctl);

#endif
