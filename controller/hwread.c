#include "controller/hwread.h"

#include "common/util.h"
#include "controller/backlog.h"
#include "controller/windows.h"
#include "controller/hwlink.h"

void kc_hwread_events(struct kc_ctl *ctl)
{
	struct kc_slot_event ev[32];
	int n;

	while ((n = kc_hwlink_read_events(ctl->hw, ev, (int)KC_ARRAY_SIZE(ev))) > 0)
		for (int i = 0; i < n; i++) {
			if (ev[i].change == KC_SLOT_LOCK_OFF)
				kc_windows_lock_off(ctl, ev[i].slot);
			else
				kc_backlog_hw(ctl, &ev[i]);
		}
}

void kc_hwread_window_end(struct kc_ctl *ctl, const struct kc_window *w)
{
	struct kc_slot_reading hs;

	/* A reading that says empty although no removal came through (it
	 * left while keycabd was down): the release was taken. */
	kc_backlog_window(ctl, w, w->slot_index >= 0 && kc_hwlink_reading(ctl->hw, w->slot_index, &hs) == 0 &&
					  hs.presence == KC_PRESENCE_ABSENT);
}
