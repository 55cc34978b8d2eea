/* The slot layer in the controller's types (hwlink.h): each function one
 * call to hw/, its values passed as they are (the enums match value for
 * value, checked below). */
#include "controller/hwlink.h"

#include <errno.h>
#include <string.h>

#include "common/util.h"
#include "hw/hw.h"

_Static_assert(KC_PRESENCE_UNKNOWN == (int)HW_PRESENCE_UNKNOWN && KC_PRESENCE_PRESENT == (int)HW_PRESENCE_PRESENT &&
		       KC_PRESENCE_ABSENT == (int)HW_PRESENCE_ABSENT && KC_PRESENCE_FAULT == (int)HW_PRESENCE_FAULT,
	       "enum kc_presence is enum hw_presence");
_Static_assert(KC_SLOT_INSERTED == (int)HW_EV_INSERTED && KC_SLOT_REMOVED == (int)HW_EV_REMOVED &&
		       KC_SLOT_FAULT == (int)HW_EV_FAULT && KC_SLOT_RECOVERED == (int)HW_EV_RECOVERED &&
		       KC_SLOT_LOCK_OFF == (int)HW_EV_LOCK_OFF,
	       "enum kc_slot_change is enum hw_event_type");
_Static_assert(KC_SLOT_DETAIL_MAX == HW_DETAIL_MAX, "a slot event's detail is the slot layer's");

struct hw_cabinet *kc_hwlink_new(const char *path, char *err, size_t errlen)
{
	return hw_cabinet_new(path, err, errlen);
}

int kc_hwlink_start(struct hw_cabinet *cab, char *err, size_t errlen)
{
	return hw_cabinet_start(cab, err, errlen);
}

void kc_hwlink_free(struct hw_cabinet *cab)
{
	hw_cabinet_free(cab);
}

const char *kc_hwlink_id(const struct hw_cabinet *cab)
{
	return hw_cabinet_conf(cab)->id;
}

int kc_hwlink_pulse_max_ms(const struct hw_cabinet *cab)
{
	return hw_cabinet_conf(cab)->pulse_max_ms;
}

int kc_hwlink_fd(const struct hw_cabinet *cab)
{
	return cab ? hw_cabinet_fd(cab) : -1;
}

const char *kc_hwlink_stuck_bus(struct hw_cabinet *cab, int64_t period_ms, int64_t *idle_ms)
{
	int64_t now = kc_mono_ms();

	for (int i = 0; cab && i < hw_bus_count(cab); i++) {
		int64_t idle = now - hw_bus_alive_ms(cab, i);

		if (idle > period_ms) {
			*idle_ms = idle;
			return hw_bus_name(cab, i);
		}
	}
	return NULL;
}

int kc_hwlink_slot_count(const struct hw_cabinet *cab)
{
	return cab ? hw_cabinet_slot_count(cab) : 0;
}

const char *kc_hwlink_slot_name(const struct hw_cabinet *cab, int slot)
{
	return hw_slot_name(cab, slot);
}

const char *kc_hwlink_board_name(const struct hw_cabinet *cab, int slot)
{
	return hw_board_name(cab, hw_slot_board(cab, slot));
}

int kc_hwlink_slot_find(const struct hw_cabinet *cab, const char *name)
{
	return cab ? hw_slot_find(cab, name) : -ENODEV;
}

int kc_hwlink_reading(struct hw_cabinet *cab, int slot, struct kc_slot_reading *out)
{
	struct hw_slot_state s;
	int r = hw_slot_state(cab, slot, &s);

	if (r < 0)
		return r;
	*out = (struct kc_slot_reading){ .presence = (enum kc_presence)s.presence, .tag = s.tag,
					 .lock_on = s.lock_on, .reads_tags = hw_slot_reads_tags(cab, slot) };
	return 0;
}

bool kc_hwlink_slot_present(struct hw_cabinet *cab, const char *name)
{
	struct kc_slot_reading r;
	int i = kc_hwlink_slot_find(cab, name);

	return i >= 0 && kc_hwlink_reading(cab, i, &r) == 0 && r.presence == KC_PRESENCE_PRESENT;
}

int kc_hwlink_read_events(struct hw_cabinet *cab, struct kc_slot_event *ev, int max)
{
	struct hw_event hw[32];
	int n;

	if (!cab)
		return 0;
	n = hw_cabinet_read_events(cab, hw, max < (int)KC_ARRAY_SIZE(hw) ? max : (int)KC_ARRAY_SIZE(hw));
	for (int i = 0; i < n; i++) {
		ev[i] = (struct kc_slot_event){ .change = (enum kc_slot_change)hw[i].type, .slot = hw[i].slot,
						.presence = (enum kc_presence)hw[i].presence, .tag = hw[i].tag,
						.mono_ms = hw[i].mono_ms };
		memcpy(ev[i].detail, hw[i].detail, sizeof(ev[i].detail));
	}
	return n;
}

const char *kc_hwlink_presence_name(enum kc_presence p)
{
	return hw_presence_name((enum hw_presence)p);
}

const char *kc_hwlink_change_name(enum kc_slot_change c)
{
	return hw_event_name((enum hw_event_type)c);
}
