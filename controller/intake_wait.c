/* The slots intake.open opened and waits on for a new key
 * (struct kc_ctl's intake_waits): found by slot, for intake.c, which adds
 * and ends them, and for hwevents.c, which raises no alarm for the key
 * that goes into one. */
#include "controller/intake_wait.h"

#include <string.h>

#include "common/util.h"

/* A wait that ended (until_mono passed) is no wait: kc_intake_tick
 * removes it and raises the alarm of a key left in its slot. */
int kc_intake_wait_find(struct kc_ctl *ctl, const char *slot)
{
	int64_t now = kc_mono_ms();

	for (int i = 0; i < ctl->nintake_waits; i++)
		if (ctl->intake_waits[i].until_mono > now && strcmp(ctl->intake_waits[i].slot, slot) == 0)
			return i;
	return -1;
}

bool kc_intake_wait_awaited(struct kc_ctl *ctl, const char *slot)
{
	return kc_intake_wait_find(ctl, slot) >= 0;
}
