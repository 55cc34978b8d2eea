/* A change of the estate's accessors (controller/estate_change.h). */
#include "controller/estate_change.h"

const char *kc_estate_str(const struct kc_estate_change *c, const char *name)
{
	return json_string_value(json_object_get(c->data, name));
}
