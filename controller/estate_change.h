/* A change of the estate as the office sent it, and its accessors: what
 * the change types' apply functions (estate_people.c, estate_keys.c,
 * estate_places.c) read of it, below estate.c's table and transaction. */
#ifndef KC_CTL_ESTATE_CHANGE_H
#define KC_CTL_ESTATE_CHANGE_H
#include <jansson.h>
#include <stdint.h>

/* A change as the office sent it. */
struct kc_estate_change {
	int64_t change;
	const char *type, *made, *by;
	json_t *data; /* the type's members */
};

/* A text member of c's data; NULL when absent or not a text. */
const char *kc_estate_str(const struct kc_estate_change *c, const char *name);

#endif
