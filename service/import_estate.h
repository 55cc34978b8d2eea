/* Inside the import (import_preview.c): the rows of a sheet checked and
 * applied through the estate's own code (service/estate.h), as the
 * console's forms are, and what each would do to the estate as it
 * stands. */
#ifndef KC_SERVICE_IMPORT_ESTATE_H
#define KC_SERVICE_IMPORT_ESTATE_H
#include <jansson.h>
#include <stddef.h>

#include "service/estate.h"
#include "service/import_preview.h"

enum import_action {
	IMPORT_ADD,
	IMPORT_CHANGE,
	IMPORT_SAME, /* the estate holds the row as it is: nothing to write */
};

/* "add", "change", "same" */
const char *import_action_name(enum import_action a);

/* The row's fields against the estate as it stands (kc_estate_check):
 * 0 with *act, or -EINVAL (the row is refused: *why, its message), -EIO,
 * -ENOMEM. Writes nothing. */
int import_estate_check(const struct kc_estate_ctx *x, enum kc_import_table t, const json_t *fields,
			enum import_action *act, json_t **why);
/* The rows (fields objects) applied in one write transaction
 * (kc_estate_apply): 0 with *out, one result a row; else the error with
 * *why and *bad, the index of the row that failed; nothing written. */
int import_estate_apply(const struct kc_estate_ctx *x, enum kc_import_table t, const json_t *rows, json_t **out,
			json_t **why, size_t *bad);

#endif
