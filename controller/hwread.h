/* What the slot layer says, handed to the backlog (controller/backlog.h),
 * which records it through hwevents.c at once, or once the database
 * takes writes again. Above both: nothing they call leads back here. */
#ifndef KC_CTL_HWREAD_H
#define KC_CTL_HWREAD_H
#include "controller/ctl.h"

/* Reads every event the slot layer has: a lock gone off to the windows,
 * each other event to the backlog. */
void kc_hwread_events(struct kc_ctl *ctl);
/* The window w closed with its loan still granted: the release was not
 * taken (or, when the slot reads empty now, taken after all). */
void kc_hwread_window_end(struct kc_ctl *ctl, const struct kc_window *w);

#endif
