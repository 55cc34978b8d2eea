/* Inside the import (import_preview.c): a row of the sheet checked and
 * saved through the estate's own code (service/estate.h), as the
 * console's forms are. */
#ifndef KC_SERVICE_IMPORT_ESTATE_H
#define KC_SERVICE_IMPORT_ESTATE_H
#include <jansson.h>
#include <stdint.h>

#include "service/import_preview.h"

enum import_action {
	IMPORT_ADD,
	IMPORT_CHANGE,
	IMPORT_SAME, /* the estate holds the row as it is: nothing to write */
};

/* "add", "change", "same" */
const char *import_action_name(enum import_action a);

/* The row's fields (import_preview.c's names and types) against the
 * estate as it stands: 0 with *act, or -EINVAL / -EACCES with *why (an
 * array of messages), -EIO, -ENOMEM. Writes nothing. */
int import_estate_check(struct kc_db *db, const struct kc_import_who *who, enum kc_import_table t,
			const json_t *fields, enum import_action *act, json_t **why);
/* The row written, inside the caller's write transaction (office chain
 * event, cabinets' feeds): 0, or an error with *why. */
int import_estate_save(struct kc_db *db, const struct kc_import_who *who, enum kc_import_table t,
		       const json_t *fields, int64_t now_ms, json_t **why);

#endif
