/* Test tool: an XLSX workbook written by libxlsxwriter (what the office's
 * spreadsheets look like to the importer) from tab-separated rows on
 * stdin, one a line. A cell "#n:12.5" is a number, "#d:2026-12-07" a date
 * (a serial with a date format), "#b:1" a boolean; any other cell is
 * text. --inline writes texts as inline strings (libxlsxwriter's
 * constant-memory mode), else as shared strings. --sheet NAME adds an
 * empty sheet before the data's, named NAME, and then moves the data's
 * sheet first, so the first sheet is not sheet1.xml.
 *
 *   kc-sheet-fixture [--inline] OUT.xlsx < rows.tsv */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>

static void cell(lxw_worksheet *ws, lxw_format *date, int row, int col, char *s)
{
	if (strncmp(s, "#n:", 3) == 0) {
		worksheet_write_number(ws, (lxw_row_t)row, (lxw_col_t)col, strtod(s + 3, NULL), NULL);
	} else if (strncmp(s, "#d:", 3) == 0) {
		lxw_datetime dt = { 0 };

		if (sscanf(s + 3, "%d-%d-%d %d:%d", &dt.year, &dt.month, &dt.day, &dt.hour, &dt.min) < 3) {
			fprintf(stderr, "kc-sheet-fixture: bad date %s\n", s + 3);
			exit(2);
		}
		worksheet_write_datetime(ws, (lxw_row_t)row, (lxw_col_t)col, &dt, date);
	} else if (strncmp(s, "#b:", 3) == 0) {
		worksheet_write_boolean(ws, (lxw_row_t)row, (lxw_col_t)col, atoi(s + 3), NULL);
	} else if (*s) {
		worksheet_write_string(ws, (lxw_row_t)row, (lxw_col_t)col, s, NULL);
	}
}

int main(int argc, char **argv)
{
	lxw_workbook_options opt = { 0 };
	lxw_workbook *wb;
	lxw_worksheet *ws;
	lxw_format *date;
	char line[65536];
	int row = 0, a = 1;

	if (a < argc && strcmp(argv[a], "--inline") == 0) {
		opt.constant_memory = LXW_TRUE;
		a++;
	}
	if (a + 1 != argc) {
		fprintf(stderr, "usage: kc-sheet-fixture [--inline] OUT.xlsx < rows.tsv\n");
		return 2;
	}
	wb = workbook_new_opt(argv[a], &opt);
	if (!wb)
		return 1;
	ws = workbook_add_worksheet(wb, "导入");
	date = workbook_add_format(wb);
	format_set_num_format(date, "yyyy-mm-dd");
	while (fgets(line, sizeof(line), stdin)) {
		char *p = line, *tab;
		int col = 0;

		line[strcspn(line, "\r\n")] = '\0';
		for (;;) {
			tab = strchr(p, '\t');
			if (tab)
				*tab = '\0';
			cell(ws, date, row, col++, p);
			if (!tab)
				break;
			p = tab + 1;
		}
		row++;
	}
	return workbook_close(wb) == LXW_NO_ERROR ? 0 : 1;
}
