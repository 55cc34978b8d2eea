/* The event types' table (common/event_types.h). */
#include <errno.h>
#include <string.h>

#include "common/event_types.h"

static const struct {
	const char *name;
	enum kc_event_use use;
} kc_event_type_table[KC_EVT_COUNT] = {
#define KC_EVT_ROW(id, name, use) [KC_EVT_##id] = { name, use },
	KC_EVENT_TYPES(KC_EVT_ROW)
#undef KC_EVT_ROW
};

const char *kc_event_type_name(enum kc_event_type t)
{
	return (unsigned)t < KC_EVT_COUNT ? kc_event_type_table[t].name : NULL;
}

enum kc_event_use kc_event_type_use(enum kc_event_type t)
{
	return (unsigned)t < KC_EVT_COUNT ? kc_event_type_table[t].use : KC_EVT_LOG_ONLY;
}

int kc_event_type_find(const char *name, enum kc_event_type *out)
{
	if (!name)
		return -ENOENT;
	for (size_t i = 0; i < KC_EVT_COUNT; i++) {
		if (strcmp(kc_event_type_table[i].name, name) == 0) {
			*out = (enum kc_event_type)i;
			return 0;
		}
	}
	return -ENOENT;
}
