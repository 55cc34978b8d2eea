/* The rows of a spreadsheet as the CSV and XLSX readers build them
 * (service/import_sheet_impl.h): cells trimmed and within their limits,
 * blank rows left out, the first refusal kept; a column's letters. */
#include "service/import_sheet.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "service/import_sheet_impl.h"

void kc_sheet_column_name(int col, char out[8])
{
	char tmp[8];
	int n = 0;

	col++;
	while (col > 0 && n < 7) {
		tmp[n++] = (char)('A' + (col - 1) % 26);
		col = (col - 1) / 26;
	}
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

int sheet_refuse(struct sheet_build *b, int err, json_t *why)
{
	if (!b->why)
		b->why = why;
	else
		json_decref(why);
	return err;
}

void sheet_row_begin(struct sheet_build *b, long line)
{
	json_decref(b->cells);
	b->cells = json_array();
	b->line = line;
}

/* The length of a UTF-8 space at s (ASCII blanks, U+00A0, U+3000), or 0. */
static size_t space_at(const unsigned char *s, size_t n)
{
	if (n >= 1 && (s[0] == ' ' || s[0] == '\t' || s[0] == '\r' || s[0] == '\n'))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && s[1] == 0xa0)
		return 2;
	if (n >= 3 && s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	return 0;
}

/* The same blanks, ending at s + n. */
static size_t space_before(const unsigned char *s, size_t n)
{
	if (n >= 1 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
		return 1;
	if (n >= 2 && s[n - 2] == 0xc2 && s[n - 1] == 0xa0)
		return 2;
	if (n >= 3 && s[n - 3] == 0xe3 && s[n - 2] == 0x80 && s[n - 1] == 0x80)
		return 3;
	return 0;
}

static size_t utf8_chars(const char *s, size_t n)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

int sheet_cell(struct sheet_build *b, long col, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t k;
	char name[8];

	while ((k = space_at(u, n)) > 0) {
		u += k;
		n -= k;
	}
	while ((k = space_before(u, n)) > 0)
		n -= k;
	/* the guard an export puts before a formula-looking text */
	if (n >= 2 && u[0] == '\'' && strchr("=+-@", u[1]))
		u++, n--;
	if (n == 0)
		return 0;
	if (col >= KC_SHEET_MAX_COLS)
		return sheet_refuse(b, -E2BIG,
				    kc_msg_new(KCM_sheet_too_many_columns, "{s:I, s:i}", "line", (json_int_t)b->line,
					       "max", KC_SHEET_MAX_COLS));
	kc_sheet_column_name((int)col, name);
	if (utf8_chars((const char *)u, n) > KC_SHEET_CELL_MAX)
		return sheet_refuse(b, -E2BIG,
				    kc_msg_new(KCM_sheet_cell_too_long, "{s:I, s:s, s:i}", "line", (json_int_t)b->line,
					       "column", name, "max", KC_SHEET_CELL_MAX));
	if (!b->cells)
		return sheet_refuse(b, -ENOMEM, NULL);
	while ((long)json_array_size(b->cells) < col)
		if (json_array_append_new(b->cells, json_string("")) < 0)
			return sheet_refuse(b, -ENOMEM, NULL);
	if ((long)json_array_size(b->cells) > col)
		return json_array_set_new(b->cells, (size_t)col, json_stringn((const char *)u, n)) < 0
			       ? sheet_refuse(b, -ENOMEM, NULL)
			       : 0;
	if (json_array_append_new(b->cells, json_stringn((const char *)u, n)) < 0)
		return sheet_refuse(b, -ENOMEM, NULL);
	return 0;
}

int sheet_row_end(struct sheet_build *b)
{
	json_t *row;

	if (!b->cells)
		return sheet_refuse(b, -ENOMEM, NULL);
	if (json_array_size(b->cells) == 0) {
		json_decref(b->cells);
		b->cells = NULL;
		return 0;
	}
	if (json_array_size(b->rows) > KC_SHEET_MAX_ROWS) /* the header and the rows below it */
		return sheet_refuse(b, -E2BIG, kc_msg_new(KCM_sheet_too_many_rows, "{s:i}", "max", KC_SHEET_MAX_ROWS));
	row = json_pack("{s:I, s:o}", "line", (json_int_t)b->line, "cells", b->cells);
	b->cells = NULL;
	if (!row || json_array_append_new(b->rows, row) < 0)
		return sheet_refuse(b, -ENOMEM, NULL);
	return 0;
}

