/* keycabd's CSV reader for registry imports (controller/csv.c,
 * kc_csv_parse): any buffer gives either an array of row objects or NULL
 * with a message naming the file and line. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "controller/csv.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	json_t *rows, *row;
	size_t i;

	err[0] = '\0';
	rows = kc_csv_parse("fuzz.csv", (const char *)data, size, err, sizeof(err));
	if (!rows) {
		if (strncmp(err, "fuzz.csv", 8) != 0)
			abort(); /* a refusal names the file */
		return 0;
	}
	if (!json_is_array(rows))
		abort();
	json_array_foreach(rows, i, row) {
		const char *k;
		json_t *v;

		if (!json_is_object(row) || !json_is_integer(json_object_get(row, "_line")))
			abort();
		/* what the CLI does next: send the rows to keycabd */
		json_object_foreach(row, k, v)
			if (strcmp(k, "_line") != 0 && !json_is_string(v))
				abort();
	}
	free(json_dumps(rows, JSON_COMPACT | JSON_ENSURE_ASCII));
	json_decref(rows);
	return 0;
}
