/* An import of people, units or keys from a spreadsheet
 * (import_sheet.h): first a preview, which reads the file, names its
 * columns by the header row (Chinese or English), checks every row as
 * the estate's own forms are checked (service/estate.h) and writes
 * nothing; then the apply, with the preview's token (valid
 * KC_IMPORT_VALID_MS, once, for the same account, table and file), which
 * checks the rows again and writes exactly the accepted ones in one
 * transaction through the estate (office chain, cabinets' feeds). */
#ifndef KC_SERVICE_IMPORT_PREVIEW_H
#define KC_SERVICE_IMPORT_PREVIEW_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "service/auth.h"
#include "service/estate.h"

enum kc_import_table {
	KC_IMPORT_PEOPLE,
	KC_IMPORT_UNITS,
	KC_IMPORT_KEYS,
};

/* "people", "units", "keys": 0 or -EINVAL. */
int kc_import_table_parse(const char *s, enum kc_import_table *out);
const char *kc_import_table_name(enum kc_import_table t);
/* Whether role may import into t (people: admins only; units and keys:
 * supervisors too, within their sites). */
bool kc_import_table_allowed(enum kc_import_table t, enum kc_role role);

/* Reads and checks the file as x's account (x->now_ms: when), writes
 * nothing: 0 with *out, the preview
 * ({"table", "format", "file_sha256", "rows", "columns": [{"column",
 * "header", "field"}], "ignored": [headers], "accepted": [{"line",
 * "action" (add, change, same), "code", "fields"}], "rejected": [{"line",
 * "code", "why": [message...]}], "token", "valid_until"}; phone numbers
 * masked), or -EINVAL, -E2BIG, -EACCES, -EIO, -ENOMEM with *why (the
 * message; NULL for -ENOMEM). */
int kc_import_preview(const struct kc_estate_ctx *x, enum kc_import_table t, const void *data, size_t len,
		      json_t **out, json_t **why);

/* Applies the preview of token (used once, whatever the outcome). data
 * (NULL: the file kept with the preview) must be the previewed file. 0
 * with *out ({"table", "applied", "unchanged", "rejected", "rows": [{"line",
 * "code", "action", "changes", "cabinets", and a new person's
 * "enrol_code" and "until"}]}), or -ENOENT (no such preview: expired,
 * used, another account's), -ESTALE (another file, or the estate changed
 * since: the rows would not be written as previewed), -EACCES, -EIO,
 * -ENOMEM, with *why. */
int kc_import_apply(const struct kc_estate_ctx *x, enum kc_import_table t, const char *token, const void *data,
		    size_t len, json_t **out, json_t **why);

#endif
