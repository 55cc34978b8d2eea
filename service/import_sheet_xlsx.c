/* XLSX (Office Open XML, as Excel, WPS and LibreOffice save it): a zip
 * (libzip, read from memory) of XML parts (expat, fed as each part is
 * unpacked). The workbook names its first sheet, its relationships where
 * that sheet and the shared strings are; the styles say which number
 * formats are dates. Every part is unpacked at most KC_SHEET_PART_MAX
 * bytes, whatever its header claims, so a zip bomb stops there; a DOCTYPE
 * (entity expansion) is refused. */
#include <errno.h>
#include <expat.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zip.h>

#include "common/util.h"
#include "service/import_sheet.h"
#include "service/import_sheet_impl.h"

#define NS_SEP '\x01'
#define TEXT_MAX (KC_SHEET_CELL_MAX * 4 + 8) /* bytes of a text kept: past it, too long anyway */

/* What the parts tell, and the state of the part being read. */
struct xlsx {
	struct sheet_build *b;
	zip_t *zip;
	XML_Parser parser;
	const char *part; /* the part being read */
	int err;	  /* the first error of a handler */
	/* workbook.xml and its relationships */
	char sheet_rid[64];
	char sheet_path[256], strings_path[256], styles_path[256];
	bool date1904;
	/* the shared strings */
	char **strings;
	size_t nstrings, cap_strings, strings_bytes;
	/* the styles: for each cell format (cellXfs), whether it is a date */
	bool *xf_date;
	size_t nxf, cap_xf;
	int in_cellxfs;
	struct fmt {
		long id;
		bool date;
	} *fmts;
	size_t nfmts, cap_fmts;
	/* a text being gathered: a shared string, a cell's value */
	char *text;
	size_t text_len;
	bool text_long; /* cut at TEXT_MAX */
	int in_text;	/* inside <t> (or <v>) that counts */
	int in_rph;	/* inside phonetic runs, which are not the text */
	/* the cell being read */
	long row, col, next_col;
	char type[16];
	long style;
	bool in_cell, in_row;
};

/* The element's local name (after the namespace). */
static const char *local(const char *name)
{
	const char *p = strrchr(name, NS_SEP);

	return p ? p + 1 : name;
}

static const char *attr(const char **atts, const char *name, bool namespaced)
{
	for (size_t i = 0; atts[i]; i += 2)
		if (strcmp(local(atts[i]), name) == 0 && (strchr(atts[i], NS_SEP) != NULL) == namespaced)
			return atts[i + 1];
	return NULL;
}

static void fail(struct xlsx *x, int err, json_t *why)
{
	if (!x->err)
		x->err = sheet_refuse(x->b, err, why);
	else
		json_decref(why);
	XML_StopParser(x->parser, XML_FALSE);
}

static void text_reset(struct xlsx *x)
{
	x->text_len = 0;
	x->text_long = false;
	if (x->text)
		x->text[0] = '\0';
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int n)
{
	struct xlsx *x = ud;

	if (!x->in_text || x->in_rph)
		return;
	if (x->text_len + (size_t)n > TEXT_MAX) {
		x->text_long = true;
		n = (int)(TEXT_MAX - x->text_len);
	}
	memcpy(x->text + x->text_len, s, (size_t)n);
	x->text_len += (size_t)n;
	x->text[x->text_len] = '\0';
}

/* A DOCTYPE is never in a workbook; refused (no entity is expanded). */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid, const XML_Char *pubid,
			       int internal)
{
	struct xlsx *x = ud;

	(void)name, (void)sysid, (void)pubid, (void)internal;
	fail(x, -EINVAL, kc_msg_new(KCM_sheet_xlsx_xml, "{s:s, s:I}", "part", x->part, "line", (json_int_t)XML_GetCurrentLineNumber(x->parser)));
}

static void XMLCALL on_end_ignore(void *ud, const XML_Char *name)
{
	(void)ud, (void)name;
}

/* ---- the parts, one after another ---- */

/* Reads a part through expat with the handlers set: 0, -ENOENT when the
 * zip has no such part, or the refusal (b->why set). */
static int read_part(struct xlsx *x, const char *path, XML_StartElementHandler start, XML_EndElementHandler end)
{
	zip_file_t *f;
	char buf[65536];
	size_t total = 0;
	zip_int64_t n;
	int r = 0;

	f = zip_fopen(x->zip, path, 0);
	if (!f) {
		zip_error_t *ze = zip_get_error(x->zip);

		if (zip_error_code_zip(ze) == ZIP_ER_NOENT)
			return -ENOENT;
		if (zip_error_code_zip(ze) == ZIP_ER_NOPASSWD || zip_error_code_zip(ze) == ZIP_ER_ENCRNOTSUPP)
			return sheet_refuse(x->b, -EINVAL, kc_msg_new(KCM_sheet_xlsx_encrypted, NULL));
		return sheet_refuse(x->b, -EINVAL, kc_msg_new(KCM_sheet_xlsx_damaged, "{s:s}", "part", path));
	}
	x->parser = XML_ParserCreateNS("UTF-8", NS_SEP);
	if (!x->parser) {
		zip_fclose(f);
		return sheet_refuse(x->b, -ENOMEM, NULL);
	}
	x->part = path;
	x->err = 0;
	XML_SetUserData(x->parser, x);
	XML_SetElementHandler(x->parser, start, end ? end : on_end_ignore);
	XML_SetCharacterDataHandler(x->parser, on_text);
	XML_SetStartDoctypeDeclHandler(x->parser, on_doctype);
	for (;;) {
		n = zip_fread(f, buf, sizeof(buf));
		if (n < 0) {
			r = sheet_refuse(x->b, -EINVAL, kc_msg_new(KCM_sheet_xlsx_damaged, "{s:s}", "part", path));
			break;
		}
		total += (size_t)n;
		if (total > KC_SHEET_PART_MAX) {
			r = sheet_refuse(x->b, -E2BIG,
					 kc_msg_new(KCM_sheet_xlsx_too_big, "{s:s, s:i}", "part", path, "max",
						    (int)(KC_SHEET_PART_MAX >> 20)));
			break;
		}
		if (XML_Parse(x->parser, buf, (int)n, n == 0) == XML_STATUS_ERROR) {
			r = x->err ? x->err
				   : sheet_refuse(x->b, -EINVAL,
						  kc_msg_new(KCM_sheet_xlsx_xml, "{s:s, s:I}", "part", path, "line",
							     (json_int_t)XML_GetCurrentLineNumber(x->parser)));
			break;
		}
		if (n == 0)
			break;
	}
	XML_ParserFree(x->parser);
	x->parser = NULL;
	zip_fclose(f);
	return r;
}

/* workbook.xml: the first sheet's relationship, the date system. */
static void XMLCALL wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xlsx *x = ud;
	const char *n = local(name), *v;

	if (strcmp(n, "workbookPr") == 0) {
		v = attr(atts, "date1904", false);
		x->date1904 = v && (strcmp(v, "1") == 0 || strcmp(v, "true") == 0);
	} else if (strcmp(n, "sheet") == 0 && !x->sheet_rid[0]) {
		v = attr(atts, "id", true);
		if (v)
			kc_strlcpy(x->sheet_rid, v, sizeof(x->sheet_rid));
	}
}

/* A relationship's target as a path in the zip (targets are relative to
 * xl/, or absolute from the package's root). */
static void target_path(const char *target, char *out, size_t len)
{
	if (target[0] == '/')
		kc_strlcpy(out, target + 1, len);
	else
		snprintf(out, len, "xl/%s", target);
}

static bool type_is(const char *type, const char *tail)
{
	size_t a = strlen(type), b = strlen(tail);

	return a >= b && strcmp(type + a - b, tail) == 0;
}

static void XMLCALL rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xlsx *x = ud;
	const char *id = attr(atts, "Id", false), *type = attr(atts, "Type", false), *target = attr(atts, "Target", false);

	if (strcmp(local(name), "Relationship") != 0 || !id || !type || !target)
		return;
	if (strcmp(id, x->sheet_rid) == 0)
		target_path(target, x->sheet_path, sizeof(x->sheet_path));
	else if (type_is(type, "/sharedStrings"))
		target_path(target, x->strings_path, sizeof(x->strings_path));
	else if (type_is(type, "/styles"))
		target_path(target, x->styles_path, sizeof(x->styles_path));
}

/* sharedStrings.xml: <si> with its <t>, or its runs' <t> (not <rPh>'s). */
static void XMLCALL ss_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xlsx *x = ud;
	const char *n = local(name);

	(void)atts;
	if (strcmp(n, "si") == 0) {
		text_reset(x);
	} else if (strcmp(n, "t") == 0) {
		x->in_text++;
	} else if (strcmp(n, "rPh") == 0) {
		x->in_rph++;
	}
}

static void XMLCALL ss_end(void *ud, const XML_Char *name)
{
	struct xlsx *x = ud;
	const char *n = local(name);
	char *s;

	if (strcmp(n, "t") == 0 && x->in_text) {
		x->in_text--;
	} else if (strcmp(n, "rPh") == 0 && x->in_rph) {
		x->in_rph--;
	} else if (strcmp(n, "si") == 0) {
		if (x->nstrings == x->cap_strings) {
			size_t cap = x->cap_strings ? x->cap_strings * 2 : 256;
			char **p = realloc(x->strings, cap * sizeof(*p));

			if (!p)
				return fail(x, -ENOMEM, NULL);
			x->strings = p;
			x->cap_strings = cap;
		}
		/* a text too long keeps one character more than a cell may
		 * hold, so that the cell that uses it is refused */
		s = x->text_long ? strdup(x->text) : strndup(x->text, x->text_len);
		if (!s)
			return fail(x, -ENOMEM, NULL);
		x->strings[x->nstrings++] = s;
	}
}

/* A number format's code is a date's when, its quoted texts, escapes and
 * [colour] or [$-locale] parts left out, it has y, m, d, h or s. */
static bool code_is_date(const char *code)
{
	bool in_q = false;

	for (const char *p = code; *p; p++) {
		if (*p == '"') {
			in_q = !in_q;
		} else if (in_q) {
			continue;
		} else if (*p == '\\' && p[1]) {
			p++;
		} else if (*p == '[') {
			const char *e = strchr(p, ']');

			if (!e)
				return false;
			if (p[1] == 'h' || p[1] == 'm' || p[1] == 's' || p[1] == 'H' || p[1] == 'M' || p[1] == 'S')
				return true; /* [h]:mm elapsed time */
			p = e;
		} else if (strchr("ymdhsYMDHS", *p)) {
			return true;
		}
	}
	return false;
}

/* The built-in number formats that are dates or times: 14-22, 45-47 and
 * the East Asian ones, 27-36 and 50-58. */
static bool builtin_is_date(long id)
{
	return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) || (id >= 50 && id <= 58);
}

static bool fmt_is_date(const struct xlsx *x, long id)
{
	for (size_t i = 0; i < x->nfmts; i++)
		if (x->fmts[i].id == id)
			return x->fmts[i].date;
	return builtin_is_date(id);
}

static long num_attr(const char **atts, const char *name, long dflt)
{
	const char *v = attr(atts, name, false);
	char *end;
	long n;

	if (!v)
		return dflt;
	n = strtol(v, &end, 10);
	return end != v && *end == '\0' && n >= 0 ? n : dflt;
}

static void XMLCALL st_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xlsx *x = ud;
	const char *n = local(name);

	if (strcmp(n, "numFmt") == 0 && x->nfmts < 4096) {
		const char *code = attr(atts, "formatCode", false);

		if (x->nfmts == x->cap_fmts) {
			size_t cap = x->cap_fmts ? x->cap_fmts * 2 : 16;
			struct fmt *p = realloc(x->fmts, cap * sizeof(*p));

			if (!p)
				return fail(x, -ENOMEM, NULL);
			x->fmts = p;
			x->cap_fmts = cap;
		}
		x->fmts[x->nfmts].id = num_attr(atts, "numFmtId", -1);
		x->fmts[x->nfmts++].date = code && code_is_date(code);
	} else if (strcmp(n, "cellXfs") == 0) {
		x->in_cellxfs++;
	} else if (strcmp(n, "xf") == 0 && x->in_cellxfs && x->nxf < 65536) {
		if (x->nxf == x->cap_xf) {
			size_t cap = x->cap_xf ? x->cap_xf * 2 : 32;
			bool *p = realloc(x->xf_date, cap * sizeof(*p));

			if (!p)
				return fail(x, -ENOMEM, NULL);
			x->xf_date = p;
			x->cap_xf = cap;
		}
		x->xf_date[x->nxf++] = fmt_is_date(x, num_attr(atts, "numFmtId", 0));
	}
}

static void XMLCALL st_end(void *ud, const XML_Char *name)
{
	struct xlsx *x = ud;

	if (strcmp(local(name), "cellXfs") == 0 && x->in_cellxfs)
		x->in_cellxfs--;
}

/* ---- the sheet ---- */

/* "BC12" → column 54 (from 0); -1 when it is no reference. */
static long ref_col(const char *ref)
{
	long col = 0;
	const char *p = ref;

	while (*p >= 'A' && *p <= 'Z' && col < 100000)
		col = col * 26 + (*p++ - 'A' + 1);
	return p == ref ? -1 : col - 1;
}

/* An Excel serial as a date ("2026-12-07"), with its time when it has one
 * ("2026-12-07 08:30", seconds when not whole minutes). Serials count days
 * from 1899-12-30 (from 1899-12-31 below 61: Excel's 29 February 1900),
 * or from 1904-01-01 in the 1904 system. */
static int serial_date(double v, bool date1904, char *out, size_t len)
{
	double days = floor(v);
	long secs = lround((v - days) * 86400.0);
	time_t t;
	struct tm tm;

	if (!(v >= 0 && v < 2958466)) /* up to 9999-12-31 */
		return -ERANGE;
	if (date1904)
		days -= 24107; /* 1904-01-01 is day -24107 of 1970 */
	else
		days -= 25569 - (days < 61 ? 1 : 0);
	t = (time_t)days * 86400 + secs;
	if (!gmtime_r(&t, &tm))
		return -ERANGE;
	if (secs % 86400 == 0)
		strftime(out, len, "%Y-%m-%d", &tm);
	else if (secs % 60 == 0)
		strftime(out, len, "%Y-%m-%d %H:%M", &tm);
	else
		strftime(out, len, "%Y-%m-%d %H:%M:%S", &tm);
	return 0;
}

/* A number cell as the sheet shows it in a General format: whole numbers
 * in full (a phone number, a room), others with up to 15 digits. */
static void number_text(const char *v, char *out, size_t len)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v || *end != '\0')
		kc_strlcpy(out, v, len);
	else if (d == floor(d) && fabs(d) < 1e15)
		snprintf(out, len, "%.0f", d);
	else
		snprintf(out, len, "%.15g", d);
}

/* The cell's value as text, into b. */
static void cell_end(struct xlsx *x)
{
	const char *v = x->text ? x->text : "";
	char num[64];
	char *end;

	if (x->text_long) {
		/* a text over TEXT_MAX: longer than any cell may be */
	} else if (strcmp(x->type, "s") == 0) {
		long i = strtol(v, &end, 10);

		if (end == v || *end || i < 0 || (size_t)i >= x->nstrings)
			return fail(x, -EINVAL, kc_msg_new(KCM_sheet_xlsx_xml, "{s:s, s:I}", "part", x->part, "line",
							  (json_int_t)XML_GetCurrentLineNumber(x->parser)));
		v = x->strings[i];
	} else if (strcmp(x->type, "b") == 0) {
		v = strcmp(v, "1") == 0 ? "TRUE" : "FALSE";
	} else if (strcmp(x->type, "n") == 0 || x->type[0] == '\0') {
		double d = strtod(v, &end);

		if (*v && end != v && *end == '\0' && x->style >= 0 && (size_t)x->style < x->nxf &&
		    x->xf_date[x->style] && serial_date(d, x->date1904, num, sizeof(num)) == 0)
			v = num;
		else if (*v) {
			number_text(v, num, sizeof(num));
			v = num;
		}
	}
	int r = sheet_cell(x->b, x->col, v, strlen(v));

	if (r < 0)
		fail(x, r, NULL);
}

static void XMLCALL sh_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct xlsx *x = ud;
	const char *n = local(name), *v;

	if (strcmp(n, "row") == 0) {
		x->row = num_attr(atts, "r", x->row + 1);
		x->next_col = 0;
		x->in_row = true;
		sheet_row_begin(x->b, x->row);
	} else if (strcmp(n, "c") == 0 && x->in_row) {
		v = attr(atts, "r", false);
		x->col = v ? ref_col(v) : x->next_col;
		if (x->col < 0)
			x->col = x->next_col;
		x->next_col = x->col + 1;
		v = attr(atts, "t", false);
		kc_strlcpy(x->type, v ? v : "", sizeof(x->type));
		x->style = num_attr(atts, "s", -1);
		x->in_cell = true;
		text_reset(x);
	} else if (x->in_cell && (strcmp(n, "v") == 0 || strcmp(n, "t") == 0)) {
		x->in_text++;
	} else if (x->in_cell && strcmp(n, "rPh") == 0) {
		x->in_rph++;
	}
}

static void XMLCALL sh_end(void *ud, const XML_Char *name)
{
	struct xlsx *x = ud;
	const char *n = local(name);

	if ((strcmp(n, "v") == 0 || strcmp(n, "t") == 0) && x->in_text) {
		x->in_text--;
	} else if (strcmp(n, "rPh") == 0 && x->in_rph) {
		x->in_rph--;
	} else if (strcmp(n, "c") == 0 && x->in_cell) {
		x->in_cell = false;
		cell_end(x);
	} else if (strcmp(n, "row") == 0 && x->in_row) {
		x->in_row = false;
		int r = sheet_row_end(x->b);

		if (r < 0)
			fail(x, r, NULL);
	}
}

static void xlsx_free(struct xlsx *x)
{
	for (size_t i = 0; i < x->nstrings; i++)
		free(x->strings[i]);
	free(x->strings);
	free(x->xf_date);
	free(x->fmts);
	free(x->text);
	if (x->zip)
		zip_discard(x->zip);
}

/* A part the workbook cannot do without: read, or its absence refused. */
static int need_part(struct xlsx *x, const char *path, XML_StartElementHandler start, XML_EndElementHandler end)
{
	int r = read_part(x, path, start, end);

	if (r == -ENOENT)
		return sheet_refuse(x->b, -EINVAL, kc_msg_new(KCM_sheet_xlsx_part, "{s:s}", "part", path));
	return r;
}

static int open_zip(struct xlsx *x, const void *data, size_t len)
{
	zip_error_t ze;
	zip_source_t *src;

	zip_error_init(&ze);
	src = zip_source_buffer_create(data, len, 0, &ze);
	if (src)
		x->zip = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
	if (!x->zip) {
		zip_source_free(src);
		zip_error_fini(&ze);
		return sheet_refuse(x->b, -EINVAL, kc_msg_new(KCM_sheet_xlsx_damaged, "{s:s}", "part", "zip"));
	}
	zip_error_fini(&ze);
	if (zip_get_num_entries(x->zip, 0) > KC_SHEET_ZIP_ENTRIES)
		return sheet_refuse(x->b, -E2BIG, kc_msg_new(KCM_sheet_xlsx_damaged, "{s:s}", "part", "zip"));
	return 0;
}

int sheet_read_xlsx(struct sheet_build *b, const void *data, size_t len)
{
	struct xlsx x = { .b = b, .row = 0 };
	int r;

	x.text = malloc(TEXT_MAX + 1);
	if (!x.text)
		return sheet_refuse(b, -ENOMEM, NULL);
	x.text[0] = '\0';
	r = open_zip(&x, data, len);
	if (r == 0)
		r = need_part(&x, "xl/workbook.xml", wb_start, NULL);
	if (r == 0 && !x.sheet_rid[0])
		r = sheet_refuse(b, -EINVAL, kc_msg_new(KCM_sheet_xlsx_no_sheet, NULL));
	if (r == 0)
		r = need_part(&x, "xl/_rels/workbook.xml.rels", rels_start, NULL);
	if (r == 0 && !x.sheet_path[0])
		r = sheet_refuse(b, -EINVAL, kc_msg_new(KCM_sheet_xlsx_no_sheet, NULL));
	/* a workbook of numbers only has no shared strings; one without
	 * styles has no dates */
	if (r == 0 && x.strings_path[0] && (r = read_part(&x, x.strings_path, ss_start, ss_end)) == -ENOENT)
		r = 0;
	if (r == 0 && x.styles_path[0] && (r = read_part(&x, x.styles_path, st_start, st_end)) == -ENOENT)
		r = 0;
	if (r == 0)
		r = need_part(&x, x.sheet_path, sh_start, sh_end);
	xlsx_free(&x);
	return r;
}
