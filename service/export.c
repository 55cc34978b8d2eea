/* Whole reports as CSV and XLSX downloads (export.h). */
#include "service/export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <xlsxwriter.h>

#include "common/msg.h"
#include "common/util.h"
#include "service/mask.h"
#include "service/reports_impl.h"
#include "service/sbuf.h"
#include "service/zone.h"

#define EXPORT_BATCH 256
#define XLSX_WIDTH_MIN 6
#define XLSX_WIDTH_MAX 60

struct kc_export {
	struct kc_db *own;		/* the connection ex.st reads on */
	struct kc_report_export ex;
	json_t *rep;			/* the report: title, zone, the section */
	json_t *sec;			/* the section exported */
	json_t *batch;			/* {"sections": [{"columns", "rows"}]}: the rows to mask */
	size_t next;			/* the next of sec's rows, when ex.st is NULL */
	const struct kc_zone *zone;
	int ncols;
	char types[KC_EXPORT_COLS + 1];	/* 't': ms in the batch */
	bool zh, header_done, done;
	bool api;			/* columns by name, times in UTC (kc_export_api) */
	int64_t rows;
	struct sbuf out;		/* CSV not yet read */
	size_t off;
	char base[128];
};

/* The types of a section the report filled itself: a column whose values
 * are UTC times (kc_time_format) is 't'. */
static void types_of_rows(struct kc_export *x)
{
	json_t *rows = json_object_get(x->sec, "rows");

	for (int k = 0; k < x->ncols; k++) {
		size_t i;
		json_t *row;
		int64_t ms;

		x->types[k] = 's';
		json_array_foreach(rows, i, row) {
			json_t *v = json_array_get(row, (size_t)k);

			if (json_is_null(v))
				continue;
			if (json_is_string(v) && kc_time_parse(json_string_value(v), &ms) == 0)
				x->types[k] = 't';
			break;
		}
	}
	x->types[x->ncols] = '\0';
}

int kc_export_open(struct kc_db *db, const char *db_path, const char *name, const char *section,
		   const struct kc_params *p, int64_t now_ms, bool zh, struct kc_export **out, char *err,
		   size_t errlen)
{
	struct kc_export *x = calloc(1, sizeof(*x));
	const json_t *s;
	char when[32];
	time_t t;
	struct tm tm;
	size_t i;
	int r;

	if (!x)
		return -ENOMEM;
	x->zh = zh;
	x->own = kc_db_open(db_path, 0, err, errlen);
	if (!x->own) {
		free(x);
		return -EIO;
	}
	x->ex.section = section;
	x->ex.db = x->own;
	r = kc_report_run_mode(db, name, p, now_ms, KC_REPORT_EXPORT, &x->ex, &x->rep, err, errlen);
	if (r < 0) {
		kc_db_free(x->own);
		free(x);
		return r;
	}
	json_array_foreach(json_object_get(x->rep, "sections"), i, s) {
		if (!section || strcmp(json_string_value(json_object_get(s, "name")), section) == 0) {
			x->sec = (json_t *)s;
			break;
		}
	}
	if (!x->sec) {
		snprintf(err, errlen, kc_msg_gettext(zh ? KC_LANG_ZH : KC_LANG_EN, "no section \"%.40s\" in report %s"),
			 section ? section : "", name);
		kc_export_free(x);
		return -EINVAL;
	}
	x->zone = kc_zone_get(json_string_value(json_object_get(x->rep, "time_zone")));
	if (!x->zone)
		x->zone = kc_zone_default();
	x->ncols = (int)json_array_size(json_object_get(x->sec, "columns"));
	if (x->ex.st)
		memcpy(x->types, x->ex.types, sizeof(x->types));
	else if (x->ncols <= KC_EXPORT_COLS)
		types_of_rows(x);
	else
		x->ncols = KC_EXPORT_COLS;
	x->batch = json_pack("{s:[{s:O, s:[]}]}", "sections", "columns", json_object_get(x->sec, "columns"), "rows");
	if (!x->batch) {
		kc_export_free(x);
		return -ENOMEM;
	}
	t = (time_t)((now_ms + kc_zone_offset(x->zone, now_ms) * 1000LL) / 1000);
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y%m%d-%H%M", &tm);
	snprintf(x->base, sizeof(x->base), "%.40s-%.40s-%s", name, json_string_value(json_object_get(x->sec, "name")),
		 when);
	*out = x;
	return 0;
}

const char *kc_export_basename(const struct kc_export *x)
{
	return x->base;
}

void kc_export_api(struct kc_export *x)
{
	x->api = true;
}

int64_t kc_export_rows(const struct kc_export *x)
{
	return x->rows;
}

void kc_export_free(struct kc_export *x)
{
	if (!x)
		return;
	sqlite3_finalize(x->ex.st);
	kc_db_free(x->own);
	json_decref(x->rep);
	json_decref(x->batch);
	free(x->out.p);
	free(x);
}

/* The next rows (up to EXPORT_BATCH, masked) into the batch: their
 * count, 0 at the end, -EIO. A time is its ms. */
static int next_batch(struct kc_export *x, json_t **rows_out)
{
	json_t *rows = json_object_get(json_array_get(json_object_get(x->batch, "sections"), 0), "rows");
	json_t *src = json_object_get(x->sec, "rows");
	int n = 0, rc = SQLITE_DONE;

	json_array_clear(rows);
	*rows_out = rows;
	while (n < EXPORT_BATCH && !x->done) {
		json_t *row = json_array();

		if (x->ex.st) {
			if ((rc = sqlite3_step(x->ex.st)) != SQLITE_ROW) {
				/* a finished statement steps again from the start */
				x->done = true;
				json_decref(row);
				break;
			}
			for (int k = 0; k < x->ncols; k++)
				json_array_append_new(row, x->types[k] == 't' &&
									   sqlite3_column_type(x->ex.st, k) != SQLITE_NULL
								   ? json_integer(sqlite3_column_int64(x->ex.st, k))
								   : kc_report_cell(x->ex.st, k, x->types[k]));
		} else {
			json_t *from = json_array_get(src, x->next);

			if (!from) {
				x->done = true;
				json_decref(row);
				break;
			}
			x->next++;
			for (int k = 0; k < x->ncols; k++) {
				json_t *v = json_array_get(from, (size_t)k);
				int64_t ms;

				if (x->types[k] == 't' && json_is_string(v) &&
				    kc_time_parse(json_string_value(v), &ms) == 0)
					json_array_append_new(row, json_integer(ms));
				else
					json_array_append(row, v ? v : json_null());
			}
		}
		json_array_append_new(rows, row);
		n++;
	}
	if (x->ex.st && rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -EIO;
	if (x->ex.st)
		kc_mask_report(x->batch); /* the report's own rows are masked already */
	x->rows += n;
	return n;
}

/* ms as the report's local time, "2026-11-22 21:03:04". */
static void local_time(const struct kc_export *x, int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)((ms + kc_zone_offset(x->zone, ms) * 1000LL) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

static const char *col_title(const struct kc_export *x, int k)
{
	json_t *col = json_array_get(json_object_get(x->sec, "columns"), (size_t)k);
	const char *t = x->api ? NULL : json_string_value(json_object_get(col, x->zh ? "zh" : "en"));

	return t ? t : json_string_value(json_object_get(col, "name"));
}

/* ---- CSV ---- */

static int csv_more(struct kc_export *x)
{
	json_t *rows, *row, *v;
	size_t i;
	int n;

	x->out.len = 0;
	x->off = 0;
	if (!x->header_done) {
		sbuf_addn(&x->out, "\xEF\xBB\xBF", 3); /* BOM: spreadsheets then read UTF-8 */
		for (int k = 0; k < x->ncols; k++) {
			json_t *h = json_string(col_title(x, k));

			if (k)
				sbuf_addn(&x->out, ",", 1);
			kc_render_csv_field(&x->out, h);
			json_decref(h);
		}
		sbuf_addn(&x->out, "\r\n", 2);
		x->header_done = true;
	}
	if ((n = next_batch(x, &rows)) < 0)
		return n;
	json_array_foreach(rows, i, row) {
		for (int k = 0; k < x->ncols; k++) {
			v = json_array_get(row, (size_t)k);
			if (k)
				sbuf_addn(&x->out, ",", 1);
			if (x->types[k] == 't' && json_is_integer(v)) {
				char buf[32];

				if (x->api)
					kc_time_format(json_integer_value(v), buf, sizeof(buf));
				else
					local_time(x, json_integer_value(v), buf, sizeof(buf));
				sbuf_add(&x->out, buf);
			} else {
				kc_render_csv_field(&x->out, v);
			}
		}
		sbuf_addn(&x->out, "\r\n", 2);
	}
	return x->out.oom ? -ENOMEM : n;
}

ssize_t kc_export_csv_read(struct kc_export *x, char *buf, size_t max)
{
	size_t n;

	while (x->off >= x->out.len) {
		int r = csv_more(x);

		if (r < 0)
			return r;
		if (r == 0 && x->out.len == 0)
			return 0;
	}
	n = x->out.len - x->off < max ? x->out.len - x->off : max;
	memcpy(buf, x->out.p + x->off, n);
	x->off += n;
	return (ssize_t)n;
}

/* ---- XLSX ---- */

/* The width of s in a spreadsheet's columns: a CJK character is two. */
static int text_width(const char *s)
{
	int w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80)
			w++;
		else if (*p >= 0xE0)
			w += 2;
	}
	return w;
}

/* A sheet's name: the section's title without what Excel refuses in one. */
static void sheet_name(const struct kc_export *x, char *out, size_t len)
{
	const char *t = json_string_value(json_object_get(x->sec, x->zh ? "title_zh" : "title_en"));

	kc_strlcpy(out, t && !strpbrk(t, "[]:*?/\\") && strlen(t) <= 31 ? t : json_string_value(json_object_get(x->sec, "name")),
		   len);
}

static void xlsx_cell(struct kc_export *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t k, const json_t *v,
		      lxw_format *date)
{
	char *dump;

	if (!v || json_is_null(v))
		return;
	if (x->types[k] == 't' && json_is_integer(v)) {
		int64_t ms = json_integer_value(v);

		/* a date: days since 1899-12-30, local */
		worksheet_write_number(ws, r, k, (double)(ms + kc_zone_offset(x->zone, ms) * 1000LL) / 86400000.0 + 25569.0,
				       date);
	} else if (json_is_integer(v) || json_is_real(v)) {
		worksheet_write_number(ws, r, k, json_number_value(v), NULL);
	} else if (json_is_boolean(v)) {
		worksheet_write_boolean(ws, r, k, json_is_true(v), NULL);
	} else if (json_is_string(v)) {
		worksheet_write_string(ws, r, k, json_string_value(v), NULL);
	} else if ((dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)) != NULL) {
		worksheet_write_string(ws, r, k, dump, NULL);
		free(dump);
	}
}

/* The display width of a cell as written. */
static int cell_width(const struct kc_export *x, int k, const json_t *v)
{
	char *dump;
	int w;

	if (x->types[k] == 't')
		return 19;
	if (json_is_string(v))
		return text_width(json_string_value(v));
	dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	w = dump ? text_width(dump) : 0;
	free(dump);
	return w;
}

int kc_export_xlsx(struct kc_export *x, const char *path, const char *tmpdir)
{
	lxw_workbook_options opt = { .constant_memory = LXW_TRUE, .tmpdir = (char *)tmpdir };
	lxw_workbook *wb = workbook_new_opt(path, &opt);
	lxw_worksheet *ws;
	lxw_format *head, *date;
	lxw_row_t r = 1;
	char name[64];
	json_t *rows, *row;
	size_t i;
	int n, width[KC_EXPORT_COLS];

	if (!wb)
		return -EIO;
	sheet_name(x, name, sizeof(name));
	ws = workbook_add_worksheet(wb, name);
	head = workbook_add_format(wb);
	format_set_bold(head);
	date = workbook_add_format(wb);
	format_set_num_format(date, "yyyy-mm-dd hh:mm:ss");
	/* the header row frozen; widths from the header and the first batch,
	 * set before any row (constant-memory mode writes rows as they come) */
	n = next_batch(x, &rows);
	for (int k = 0; k < x->ncols; k++)
		width[k] = text_width(col_title(x, k)) + 2;
	json_array_foreach(rows, i, row) {
		for (int k = 0; k < x->ncols; k++) {
			int w = cell_width(x, k, json_array_get(row, (size_t)k)) + 2;

			if (w > width[k])
				width[k] = w;
		}
	}
	for (int k = 0; k < x->ncols; k++)
		worksheet_set_column(ws, (lxw_col_t)k, (lxw_col_t)k,
				     width[k] < XLSX_WIDTH_MIN ? XLSX_WIDTH_MIN
				     : width[k] > XLSX_WIDTH_MAX ? XLSX_WIDTH_MAX : width[k], NULL);
	worksheet_freeze_panes(ws, 1, 0);
	for (int k = 0; k < x->ncols; k++)
		worksheet_write_string(ws, 0, (lxw_col_t)k, col_title(x, k), head);
	while (n > 0) {
		json_array_foreach(rows, i, row) {
			for (int k = 0; k < x->ncols; k++)
				xlsx_cell(x, ws, r, (lxw_col_t)k, json_array_get(row, (size_t)k), date);
			r++;
		}
		n = next_batch(x, &rows);
	}
	if (workbook_close(wb) != LXW_NO_ERROR || n < 0)
		return -EIO;
	return 0;
}
