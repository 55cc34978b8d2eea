/* Replies as the desk reads them: values (times in the cabinet's zone,
 * words of the vocabulary in the desk's language) and arrays of objects as
 * aligned columns under translated headers, CJK characters two wide. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "controller/cli/cli.h"
#include "controller/client/client.h"

#define TABLE_COLS_MAX 24
#define TABLE_COL_WIDTH_MAX 40

/* The cabinet's time zone, asked of keycabd once: the desk reads times in
 * the cabinet's zone, whatever TZ this shell has. */
static void table_desk_zone(void)
{
	static bool done;
	const char *zone;
	json_t *rep;

	if (done)
		return;
	done = true;
	rep = cli_call(cli_call_req("ping"));
	if (kc_desktime_zone(rep, &zone) < 0)
		fprintf(stderr, "keycab: warning: the cabinet's time zone %s is not known here (%s); "
				"times are shown in UTC\n",
			zone, KC_TZ_DIR);
	json_decref(rep);
}

void cli_table_cell(char *out, size_t len, const char *name, json_t *v)
{
	int64_t ms;

	/* a message, in the desk's language */
	if (json_is_object(v) && kc_msg_render(v, cli_lang, out, len) != -ENOENT)
		return;
	if (json_is_string(v) && kc_desktime_parse(json_string_value(v), &ms)) {
		table_desk_zone();
		kc_desktime_format(name, ms, out, len);
	} else if (json_is_string(v) && cli_word_column(name))
		snprintf(out, len, "%s", cli_word(name, json_string_value(v)));
	else if (json_is_string(v))
		snprintf(out, len, "%s", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(out, len, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(out, len, "%s", cli_word("bool", json_is_true(v) ? "yes" : "no"));

	else if (json_is_null(v) || !v)
		snprintf(out, len, "-");
	else {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		snprintf(out, len, "%s", s ? s : "?");
		free(s);
	}
}

/* Columns a character takes on a terminal: CJK and full-width characters
 * (3-byte UTF-8 from U+1100 on, in practice) take two. */
static size_t table_char_width(unsigned char lead)
{
	return lead >= 0xe1 && lead < 0xf0 ? 2 : 1;
}

static size_t table_width(const char *s)
{
	size_t w = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			w += table_char_width(*p);
	return w;
}

/* Prints s padded to width columns, cut at max columns. */
static void table_put(const char *s, size_t width, size_t max)
{
	size_t w = 0;
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t cw = table_char_width(*p), len = 1;

		while ((p[len] & 0xc0) == 0x80)
			len++;
		if (w + cw > max)
			break;
		fwrite(p, 1, len, stdout);
		w += cw;
		p += len;
	}
	for (; w < width; w++)
		putchar(' ');
}

static void table_row(const char *const *cells, const size_t *widths, size_t ncols)
{
	for (size_t c = 0; c < ncols; c++) {
		table_put(cells[c], c + 1 < ncols ? widths[c] : 0, TABLE_COL_WIDTH_MAX);
		fputs(c + 1 < ncols ? "  " : "\n", stdout);
	}
}

/* A row's value of column name: its message (a column name_msg beside
 * it, rendered in the desk's language) when it has one. */
static json_t *table_value(json_t *row, const char *name)
{
	char msg_name[80];
	json_t *m;

	snprintf(msg_name, sizeof(msg_name), "%s_msg", name);
	m = json_object_get(row, msg_name);
	return json_is_object(m) && kc_msg_lookup(json_string_value(json_object_get(m, "code"))) >= 0 ?
		       m :
		       json_object_get(row, name);
}

static bool table_is_msg_column(const char *name)
{
	size_t n = strlen(name);

	return n > 4 && strcmp(name + n - 4, "_msg") == 0;
}

void cli_table_print(json_t *arr, const char *empty)
{
	const char *cols[TABLE_COLS_MAX], *heads[TABLE_COLS_MAX];
	size_t widths[TABLE_COLS_MAX] = { 0 }, ncols = 0, i;
	char bufs[TABLE_COLS_MAX][200];
	const char *cells[TABLE_COLS_MAX];
	const char *k;
	json_t *row, *v;

	if (json_array_size(arr) == 0) {
		printf("%s\n", cli_tr(empty));
		return;
	}
	json_object_foreach(json_array_get(arr, 0), k, v) {
		if (ncols < TABLE_COLS_MAX && !table_is_msg_column(k)) {
			cols[ncols] = k;
			heads[ncols] = cli_word("column", k);
			widths[ncols] = table_width(heads[ncols]);
			ncols++;
		}
	}
	json_array_foreach(arr, i, row)
		for (size_t c = 0; c < ncols; c++) {
			size_t w;

			cli_table_cell(bufs[c], sizeof(bufs[c]), cols[c], table_value(row, cols[c]));
			w = table_width(bufs[c]);
			if (w > widths[c])
				widths[c] = w > TABLE_COL_WIDTH_MAX ? TABLE_COL_WIDTH_MAX : w;
		}
	table_row(heads, widths, ncols);
	json_array_foreach(arr, i, row) {
		for (size_t c = 0; c < ncols; c++) {
			cli_table_cell(bufs[c], sizeof(bufs[c]), cols[c], table_value(row, cols[c]));
			cells[c] = bufs[c];
		}
		table_row(cells, widths, ncols);
	}
}
