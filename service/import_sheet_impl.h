/* Inside the spreadsheet reader: the rows as they are built
 * (import_sheet_row.c), shared by the CSV and XLSX readers. */
#ifndef KC_SERVICE_IMPORT_SHEET_IMPL_H
#define KC_SERVICE_IMPORT_SHEET_IMPL_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/msg.h"

struct sheet_build {
	json_t *rows;  /* the rows kept so far */
	json_t *cells; /* the row being read, NULL between rows */
	long line;     /* its row number */
	json_t *why;   /* set by the first refusal */
};

/* A new row, numbered line. */
void sheet_row_begin(struct sheet_build *b, long line);
/* Cell col of the current row: s[0..n) trimmed; a gap before it is
 * filled with empty cells. -E2BIG (too long, too far right) or -ENOMEM,
 * with b->why set. */
int sheet_cell(struct sheet_build *b, long col, const char *s, size_t n);
/* The row ends: kept unless blank. -E2BIG past KC_SHEET_MAX_ROWS. */
int sheet_row_end(struct sheet_build *b);
/* Sets b->why (the first refusal wins); returns err. */
int sheet_refuse(struct sheet_build *b, int err, json_t *why);

/* import_sheet_csv.c, import_sheet_xlsx.c: the file into b. */
int sheet_read_csv(struct sheet_build *b, const char *data, size_t len);
int sheet_read_xlsx(struct sheet_build *b, const void *data, size_t len);

#endif
