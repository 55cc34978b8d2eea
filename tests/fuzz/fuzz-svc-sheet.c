/* keyauditd's spreadsheet reader for imports (service/import_sheet*.c,
 * kc_sheet_read): any bytes give either rows of text cells, the header
 * first, within the limits, or a refusal with a message that renders. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "common/msg.h"
#include "service/import_sheet.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *rows = NULL, *why = NULL, *row, *cell;
	enum kc_sheet_format f;
	char text[1024];
	size_t i, j;
	int r = kc_sheet_read(data, size, &rows, &f, &why);

	if (r < 0) {
		/* a refusal says why, but when memory ran out */
		if (r != -ENOMEM && (!why || kc_msg_render(why, KC_LANG_EN, text, sizeof(text)) == -ENOENT))
			abort();
		json_decref(why);
		return 0;
	}
	if (!json_is_array(rows) || json_array_size(rows) == 0 || json_array_size(rows) > KC_SHEET_MAX_ROWS + 1)
		abort();
	json_array_foreach(rows, i, row) {
		const json_t *cells = json_object_get(row, "cells");

		if (!json_is_integer(json_object_get(row, "line")) || !json_is_array(cells) ||
		    json_array_size(cells) == 0 || json_array_size(cells) > KC_SHEET_MAX_COLS)
			abort();
		json_array_foreach(cells, j, cell)
			if (!json_is_string(cell))
				abort();
	}
	json_decref(rows);
	return 0;
}
