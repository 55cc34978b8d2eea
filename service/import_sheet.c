/* A spreadsheet read into rows: what kind of file it is, read by the
 * CSV or XLSX reader into the rows import_sheet_row.c builds. */
#include "service/import_sheet.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "service/import_sheet_impl.h"

static bool starts(const unsigned char *d, size_t len, const char *magic, size_t n)
{
	return len >= n && memcmp(d, magic, n) == 0;
}

int kc_sheet_read(const void *data, size_t len, json_t **rows, enum kc_sheet_format *format, json_t **why)
{
	const unsigned char *d = data;
	struct sheet_build b = { .rows = json_array() };
	enum kc_sheet_format f = KC_SHEET_CSV;
	int r;

	*why = NULL;
	if (len > KC_SHEET_MAX_BYTES) {
		json_decref(b.rows);
		*why = kc_msg_new(KCM_sheet_too_large, "{s:I, s:I}", "size", (json_int_t)len, "max",
				  (json_int_t)KC_SHEET_MAX_BYTES);
		return -E2BIG;
	}
	if (!b.rows)
		return -ENOMEM;
	if (starts(d, len, "PK\x03\x04", 4) || starts(d, len, "PK\x05\x06", 4)) {
		f = KC_SHEET_XLSX;
		r = sheet_read_xlsx(&b, data, len);
	} else if (starts(d, len, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8)) {
		r = sheet_refuse(&b, -EINVAL, kc_msg_new(KCM_sheet_xls, NULL));
	} else if (starts(d, len, "\xff\xfe", 2) || starts(d, len, "\xfe\xff", 2)) {
		r = sheet_refuse(&b, -EINVAL, kc_msg_new(KCM_sheet_utf16, NULL));
	} else {
		r = sheet_read_csv(&b, data, len);
	}
	json_decref(b.cells);
	if (r == 0 && json_array_size(b.rows) == 0)
		r = sheet_refuse(&b, -EINVAL, kc_msg_new(KCM_sheet_empty, NULL));
	if (r < 0) {
		json_decref(b.rows);
		*why = b.why;
		return b.why ? r : -ENOMEM;
	}
	*rows = b.rows;
	*format = f;
	return 0;
}
