/* A spreadsheet an admin imports, read into rows of text cells: CSV
 * (UTF-8, with or without a BOM; comma, semicolon or tab separated) or
 * XLSX (the workbook's first sheet: shared and inline strings, numbers,
 * dates as Excel serials turned into dates, booleans). Anything else,
 * and every file past a limit, is refused with a message that says why
 * and what to do (common/msgs/estate-import.def). */
#ifndef KC_SERVICE_IMPORT_SHEET_H
#define KC_SERVICE_IMPORT_SHEET_H
#include <jansson.h>
#include <stddef.h>

#define KC_SHEET_MAX_BYTES (2UL * 1024 * 1024) /* the file as uploaded */
#define KC_SHEET_MAX_ROWS 10000		     /* rows below the header */
#define KC_SHEET_MAX_COLS 64
#define KC_SHEET_CELL_MAX 500			/* characters in a cell */
#define KC_SHEET_PART_MAX (32UL * 1024 * 1024) /* an XLSX part, unpacked */
#define KC_SHEET_ZIP_ENTRIES 2000

enum kc_sheet_format {
	KC_SHEET_CSV,
	KC_SHEET_XLSX,
};

/* Reads the file: 0 with *rows, a JSON array of {"line": N, "cells":
 * [text, ...]} (the header row first, blank rows left out; N is the
 * sheet's row number, a CSV record's first line; cells trimmed, a
 * leading ' before = + - @ dropped) and *format; or -EINVAL, -E2BIG,
 * -ENOMEM with *why, the message ({"code", "params"}) that says why
 * (NULL only for -ENOMEM). */
int kc_sheet_read(const void *data, size_t len, json_t **rows, enum kc_sheet_format *format, json_t **why);

/* "A", "B", ... "AA": the spreadsheet's name of column col (from 0). */
void kc_sheet_column_name(int col, char out[8]);

#endif
