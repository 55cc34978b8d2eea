/* The slots waiting for a new key (controller/intake_wait.c). */
#ifndef KC_CTL_INTAKE_WAIT_H
#define KC_CTL_INTAKE_WAIT_H
#include <stdbool.h>

#include "controller/ctl.h"

/* The index in ctl->intake_waits of slot's wait that has not ended; -1
 * when none. */
int kc_intake_wait_find(struct kc_ctl *ctl, const char *slot);
/* Whether a key is awaited in slot: intake.open opened it and its wait
 * has not ended (the key that goes in raises no alarm). */
bool kc_intake_wait_awaited(struct kc_ctl *ctl, const char *slot);

#endif
