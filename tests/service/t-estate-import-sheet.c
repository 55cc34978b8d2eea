/* service/import_sheet*.c: CSV (BOM, quotes, separators, line numbers,
 * GBK and UTF-16 refused with their names, limits) and XLSX written by
 * libxlsxwriter (shared and inline strings, numbers, dates, the first
 * sheet), damaged workbooks refused with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <xlsxwriter.h>

#include "common/msg.h"
#include "service/import_sheet.h"

/* The rows as "line:cell|cell" joined by newlines. */
static char *flat(const json_t *rows)
{
	size_t i, j;
	json_t *row, *c;
	char *out = calloc(1, 1 << 20);
	size_t n = 0;

	json_array_foreach(rows, i, row) {
		n += (size_t)snprintf(out + n, (1 << 20) - n, "%s%lld:", i ? "\n" : "",
				      (long long)json_integer_value(json_object_get(row, "line")));
		json_array_foreach(json_object_get(row, "cells"), j, c)
			n += (size_t)snprintf(out + n, (1 << 20) - n, "%s%s", j ? "|" : "", json_string_value(c));
	}
	return out;
}

static void read_ok(const char *data, size_t len, enum kc_sheet_format want_fmt, const char *want)
{
	json_t *rows = NULL, *why = NULL;
	enum kc_sheet_format f;
	char *got;

	assert_int_equal(kc_sheet_read(data, len, &rows, &f, &why), 0);
	assert_int_equal(f, want_fmt);
	got = flat(rows);
	assert_string_equal(got, want);
	free(got);
	json_decref(rows);
}

static void read_refused(const char *data, size_t len, const char *code, const char *en_part)
{
	json_t *rows = NULL, *why = NULL;
	enum kc_sheet_format f;
	char text[1024];

	assert_true(kc_sheet_read(data, len, &rows, &f, &why) < 0);
	assert_non_null(why);
	assert_string_equal(json_string_value(json_object_get(why, "code")), code);
	assert_int_equal(kc_msg_render(why, KC_LANG_EN, text, sizeof(text)), 0);
	if (!strstr(text, en_part))
		fail_msg("%s: \"%s\" lacks \"%s\"", code, text, en_part);
	json_decref(why);
}

static void test_csv(void **state)
{
	static const char bom[] = "\xef\xbb\xbf姓名,角色,手机\r\n张伟,staff,13800138000\r\n\r\n\"李, 娜\",\"说\"\"好\"\"\"\r\n";
	static const char multi[] = "code,name\nP1,\"two\nlines\"\nP2,  spaced\xe3\x80\x80 \n'=1+1,x\n";

	(void)state;
	read_ok(bom, strlen(bom), KC_SHEET_CSV, "1:姓名|角色|手机\n2:张伟|staff|13800138000\n4:李, 娜|说\"好\"");
	read_ok(multi, strlen(multi), KC_SHEET_CSV, "1:code|name\n2:P1|two\nlines\n4:P2|spaced\n5:=1+1|x");
	read_ok("a;b\n1;2", 7, KC_SHEET_CSV, "1:a|b\n2:1|2");
	read_ok("a\tb\tc,d\n1\t2\t3,4\n", 16, KC_SHEET_CSV, "1:a|b|c,d\n2:1|2|3,4");
}

static void test_csv_refused(void **state)
{
	/* 姓名,手机 in GBK */
	static const char gbk[] = "\xd0\xd5\xc3\xfb,\xca\xd6\xbb\xfa\n\xd5\xc5\xce\xb0,1\n";
	static const char utf16[] = "\xff\xfe" "a\0,\0b\0";
	static const char latin1[] = "name\nJos\xe9\x41\x42\x43\xff\n";
	char *big;

	(void)state;
	read_refused(gbk, sizeof(gbk) - 1, "sheet_gbk", "GBK");
	read_refused(utf16, sizeof(utf16) - 1, "sheet_utf16", "UTF-16");
	read_refused(latin1, sizeof(latin1) - 1, "sheet_not_utf8", "Line 2");
	read_refused("a,b\n1,\"open\n", 12, "sheet_csv_quote", "Line 2");
	read_refused("", 0, "sheet_empty", "empty");
	read_refused("\n \n,,\n", 6, "sheet_empty", "empty");
	read_refused("a\0b", 3, "sheet_binary", "neither");
	read_refused("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 rest", 13, "sheet_xls", ".xls");

	big = malloc(KC_SHEET_MAX_BYTES + 2);
	memset(big, 'a', KC_SHEET_MAX_BYTES + 1);
	read_refused(big, KC_SHEET_MAX_BYTES + 1, "sheet_too_large", "2097152 bytes");
	/* a cell of 501 characters, in row 3 column B */
	memcpy(big, "h1,h2\nx,y\nx,", 12);
	memset(big + 12, 'z', 501);
	read_refused(big, 12 + 501, "sheet_cell_too_long", "Row 3, column B");
	/* 500 is the limit */
	{
		json_t *rows, *why;
		enum kc_sheet_format f;

		assert_int_equal(kc_sheet_read(big, 12 + 500, &rows, &f, &why), 0);
		json_decref(rows);
	}
	/* 10,001 rows below the header */
	{
		size_t n = 0;

		n += (size_t)sprintf(big, "h\n");
		for (int i = 0; i < KC_SHEET_MAX_ROWS + 1; i++)
			n += (size_t)sprintf(big + n, "%d\n", i);
		read_refused(big, n, "sheet_too_many_rows", "more than 10000 rows");
		/* exactly 10,000 is read */
		n = 2;
		for (int i = 0; i < KC_SHEET_MAX_ROWS; i++)
			n += (size_t)sprintf(big + n, "%d\n", i);
		{
			json_t *rows, *why;
			enum kc_sheet_format f;

			assert_int_equal(kc_sheet_read(big, n, &rows, &f, &why), 0);
			assert_int_equal(json_array_size(rows), KC_SHEET_MAX_ROWS + 1);
			json_decref(rows);
		}
	}
	free(big);
}

/* The file's bytes (malloc'd), its length in *len. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static char *workbook(bool inline_strings, bool second_sheet_first, size_t *len)
{
	char path[] = "/tmp/t-estate-import-sheetXXXXXX.xlsx";
	lxw_workbook_options opt = { .constant_memory = inline_strings };
	lxw_workbook *wb;
	lxw_worksheet *ws, *other = NULL;
	lxw_format *date, *when;
	lxw_datetime d = { 2026, 12, 7, 0, 0, 0 }, t = { 2027, 1, 15, 8, 30, 0 };
	char *buf;
	int fd = mkstemps(path, 5);

	assert_true(fd >= 0);
	close(fd);
	wb = workbook_new_opt(path, &opt);
	if (second_sheet_first)
		other = workbook_add_worksheet(wb, "说明");
	ws = workbook_add_worksheet(wb, "人员");
	date = workbook_add_format(wb);
	format_set_num_format(date, "yyyy\"年\"m\"月\"d\"日\"");
	when = workbook_add_format(wb);
	format_set_num_format_index(when, 22); /* m/d/yy h:mm */
	worksheet_write_string(ws, 0, 0, "姓名", NULL);
	worksheet_write_string(ws, 0, 1, "手机", NULL);
	worksheet_write_string(ws, 0, 3, "日期", NULL);
	worksheet_write_string(ws, 1, 0, " 张伟 ", NULL);
	worksheet_write_number(ws, 1, 1, 13800138000.0, NULL);
	worksheet_write_datetime(ws, 1, 3, &d, date);
	worksheet_write_number(ws, 3, 0, 101, NULL);
	worksheet_write_number(ws, 3, 1, 2.5, NULL);
	worksheet_write_boolean(ws, 3, 2, 1, NULL);
	worksheet_write_datetime(ws, 3, 3, &t, when);
	if (other) {
		worksheet_write_string(other, 0, 0, "not the data", NULL);
		worksheet_activate(ws);
	}
	assert_int_equal(workbook_close(wb), LXW_NO_ERROR);
	buf = slurp(path, len);
	unlink(path);
	return buf;
}

static void test_xlsx(void **state)
{
	static const char want[] = "1:姓名|手机||日期\n2:张伟|13800138000||2026-12-07\n4:101|2.5|TRUE|2027-01-15 08:30";
	size_t len;
	char *x;

	(void)state;
	x = workbook(false, false, &len);
	read_ok(x, len, KC_SHEET_XLSX, want);
	free(x);
	x = workbook(true, false, &len);
	read_ok(x, len, KC_SHEET_XLSX, want);
	free(x);
	/* the first sheet is the one read, whichever is active */
	x = workbook(false, true, &len);
	read_ok(x, len, KC_SHEET_XLSX, "1:not the data");
	free(x);
}

static void test_xlsx_refused(void **state)
{
	size_t len;
	char *x;

	(void)state;
	x = workbook(false, false, &len);
	/* cut short: the central directory is gone */
	read_refused(x, len / 2, "sheet_xlsx_damaged", "not a readable XLSX");
	/* bytes of the sheet's deflated data changed: it fails to inflate
	 * or its CRC does */
	{
		char *at = memmem(x, len, "xl/worksheets/sheet1.xml", 24);

		assert_non_null(at);
		for (int i = 0; i < 8; i++)
			at[24 + 10 + i] ^= 0x55;
	}
	{
		json_t *rows = NULL, *why = NULL;
		enum kc_sheet_format f;

		assert_true(kc_sheet_read(x, len, &rows, &f, &why) < 0);
		assert_non_null(why);
		json_decref(why);
	}
	free(x);
	read_refused("PK\x03\x04garbage", 11, "sheet_xlsx_damaged", "not a readable XLSX");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_refused),
		cmocka_unit_test(test_xlsx),
		cmocka_unit_test(test_xlsx_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
