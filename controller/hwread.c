#include "controller/hwread.h"

#include "common/util.h"
#include "controller/backlog.h"
#include "controller/windows.h"
#include "hw/hw.h"

void kc_hwread_events(struct kc_ctl *ctl)
{
	struct hw_event ev[32];
	int n;

	if (!ctl->hw)
		return;
	while ((n = hw_cabinet_read_events(ctl->hw, ev, (int)KC_ARRAY_SIZE(ev))) > 0)
		for (int i = 0; i < n; i++) {
			if (ev[i].type == HW_EV_LOCK_OFF)
				kc_windows_lock_off(ctl, ev[i].slot);
			else
				kc_backlog_hw(ctl, &ev[i]);
		}
}

void kc_hwread_window_end(struct kc_ctl *ctl, const struct kc_window *w)
{
	struct hw_slot_state hs;

	/* A reading that says empty although no removal came through (it
	 * left while keycabd was down): the release was taken. */
	kc_backlog_window(ctl, w, w->slot_index >= 0 && hw_slot_state(ctl->hw, w->slot_index, &hs) == 0 &&
					  hs.presence == HW_PRESENCE_ABSENT);
}
