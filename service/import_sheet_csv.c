/* CSV as Excel, WPS and LibreOffice save it: UTF-8 with or without a
 * BOM, cells separated by commas (or semicolons, or tabs: the header
 * line decides), quoted with "" for a quote inside, records ending in
 * CRLF, LF or CR. A file in GBK (what Excel saves as plain "CSV" on a
 * Chinese Windows) is refused with its encoding named, not guessed at. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service/import_sheet_impl.h"
#include "service/sbuf.h"

/* The length of the valid UTF-8 character at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need;
	uint32_t cp;

	if (s[0] < 0x80)
		return s[0] ? 1 : 0;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return need;
}

/* Whether every byte above ASCII pairs up as a GBK (GB18030 two-byte)
 * character: a lead byte 0x81-0xFE and a trail 0x40-0xFE but 0x7F. */
static bool looks_gbk(const unsigned char *s, size_t n)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < 0x80)
			continue;
		if (s[i] == 0x80 || s[i] == 0xff || i + 1 >= n || s[i + 1] < 0x40 || s[i + 1] == 0x7f ||
		    s[i + 1] == 0xff)
			return false;
		any = true;
		i++;
	}
	return any;
}

/* 0 when the whole text is UTF-8 without NULs; else the refusal. */
static int check_text(struct sheet_build *b, const unsigned char *s, size_t n)
{
	long line = 1;

	for (size_t i = 0; i < n;) {
		size_t k = utf8_len(s + i, n - i);

		if (k == 0) {
			if (s[i] == 0)
				return sheet_refuse(b, -EINVAL, kc_msg_new(KCM_sheet_binary, NULL));
			if (looks_gbk(s, n))
				return sheet_refuse(b, -EINVAL, kc_msg_new(KCM_sheet_gbk, NULL));
			return sheet_refuse(b, -EINVAL, kc_msg_new(KCM_sheet_not_utf8, "{s:I}", "line", (json_int_t)line));
		}
		line += s[i] == '\n';
		i += k;
	}
	return 0;
}

/* The separator the header line uses most: comma, semicolon or tab. */
static char separator(const char *s, size_t n)
{
	size_t comma = 0, semi = 0, tab = 0;
	bool quoted = false;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && (s[i] == '\n' || s[i] == '\r'))
			break;
		else if (!quoted)
			comma += s[i] == ',', semi += s[i] == ';', tab += s[i] == '\t';
	}
	if (tab > comma && tab >= semi)
		return '\t';
	if (semi > comma)
		return ';';
	return ',';
}

/* One record from s[*i]: its cells into b. *line counts the lines. */
static int record(struct sheet_build *b, const char *s, size_t n, size_t *i, long *line, char sep, struct sbuf *c)
{
	long col = 0, open_line = 0;
	bool quoted = false, was_quoted = false;
	int r;

	sheet_row_begin(b, *line);
	c->len = 0;
	for (; *i < n; (*i)++) {
		char ch = s[*i];

		if (quoted) {
			if (ch == '"' && *i + 1 < n && s[*i + 1] == '"') {
				(*i)++;
			} else if (ch == '"') {
				quoted = false;
				continue;
			}
			*line += ch == '\n' || (ch == '\r' && !(*i + 1 < n && s[*i + 1] == '\n'));
		} else if (ch == '"' && c->len == 0 && !was_quoted) {
			quoted = was_quoted = true;
			open_line = *line;
			continue;
		} else if (ch == sep || ch == '\n' || ch == '\r') {
			r = sheet_cell(b, col++, c->p ? c->p : "", c->len);
			if (r < 0)
				return r;
			c->len = 0;
			was_quoted = false;
			if (ch == sep)
				continue;
			if (ch == '\r' && *i + 1 < n && s[*i + 1] == '\n')
				(*i)++;
			(*i)++;
			(*line)++;
			return sheet_row_end(b);
		}
		sbuf_addn(c, &ch, 1);
		if (c->oom)
			return sheet_refuse(b, -ENOMEM, NULL);
	}
	if (quoted)
		return sheet_refuse(b, -EINVAL, kc_msg_new(KCM_sheet_csv_quote, "{s:I}", "line", (json_int_t)open_line));
	r = sheet_cell(b, col, c->p ? c->p : "", c->len);
	return r < 0 ? r : sheet_row_end(b);
}

int sheet_read_csv(struct sheet_build *b, const char *data, size_t len)
{
	struct sbuf c = { 0 };
	size_t i = 0;
	long line = 1;
	char sep;
	int r;

	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		data += 3, len -= 3;
	r = check_text(b, (const unsigned char *)data, len);
	if (r < 0)
		return r;
	sep = separator(data, len);
	while (r == 0 && i < len)
		r = record(b, data, len, &i, &line, sep, &c);
	free(c.p);
	return r;
}
