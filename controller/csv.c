#include "controller/csv.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

struct field_buf {
	char *s;
	size_t len, cap;
};

static int fb_put(struct field_buf *f, char c)
{
	if (f->len + 2 > f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 64;
		char *p = realloc(f->s, cap);

		if (!p)
			return -ENOMEM;
		f->s = p;
		f->cap = cap;
	}
	f->s[f->len++] = c;
	f->s[f->len] = '\0';
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s && isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Parses one record starting at *pos; fields appended to arr as strings.
 * Returns 1 for a record, 0 at the end, -EINVAL for a bad quote, -ENOMEM.
 * *line advances over the newlines consumed. */
static int record(const char *buf, size_t len, size_t *pos, int *line, json_t *arr)
{
	struct field_buf f = { 0 };
	size_t i = *pos;
	bool quoted = false, was_quoted = false, any = false, eol = false;

	if (i >= len)
		return 0;
	if (fb_put(&f, '\0') < 0)
		return -ENOMEM;
	f.len = 0;
	for (; i < len; i++) {
		char c = buf[i];

		if (quoted) {
			if (c == '"') {
				if (i + 1 < len && buf[i + 1] == '"') {
					if (fb_put(&f, '"') < 0)
						goto nomem;
					i++;
				} else {
					quoted = false;
				}
			} else {
				if (c == '\n')
					(*line)++;
				if (fb_put(&f, c) < 0)
					goto nomem;
			}
			continue;
		}
		if (c == '"') {
			if (f.len > 0 && trim(f.s)[0] != '\0') {
				free(f.s);
				return -EINVAL;
			}
			f.len = 0;
			if (f.s)
				f.s[0] = '\0';
			quoted = was_quoted = true;
			any = true;
			continue;
		}
		if (c == ',' || c == '\n' || c == '\r') {
			if (c == '\r' && i + 1 < len && buf[i + 1] != '\n') {
				if (fb_put(&f, c) < 0)
					goto nomem;
				continue;
			}
			if (c == '\r')
				i++;
			json_array_append_new(arr, json_string(was_quoted ? f.s : trim(f.s)));
			f.len = 0;
			f.s[0] = '\0';
			was_quoted = false;
			any = true;
			if (c != ',') {
				(*line)++;
				i++;
				eol = true;
				break;
			}
			continue;
		}
		if (was_quoted) {
			if (!isspace((unsigned char)c)) {
				free(f.s);
				return -EINVAL;
			}
			continue;
		}
		if (fb_put(&f, c) < 0)
			goto nomem;
		any = true;
	}
	if (quoted) {
		free(f.s);
		return -EINVAL;
	}
	if (!eol && (f.len > 0 || was_quoted || (any && json_array_size(arr) > 0)))
		json_array_append_new(arr, json_string(was_quoted ? f.s : trim(f.s)));
	free(f.s);
	*pos = i;
	return 1;
nomem:
	free(f.s);
	return -ENOMEM;
}

static bool blank(json_t *rec)
{
	size_t i;
	json_t *v;

	json_array_foreach(rec, i, v)
		if (json_string_length(v) > 0)
			return false;
	return true;
}

json_t *kc_csv_parse(const char *name, const char *buf, size_t len, char *err, size_t errlen)
{
	json_t *header = NULL, *out = json_array(), *rec;
	size_t pos = 0;
	int line = 1, r;

	/* A UTF-8 byte-order mark (spreadsheets write one) is not a name. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	for (;;) {
		int start = line;

		rec = json_array();
		r = record(buf, len, &pos, &line, rec);
		if (r == 0) {
			json_decref(rec);
			break;
		}
		if (r == -ENOMEM) {
			snprintf(err, errlen, "%s:%d: out of memory", name, start);
			goto fail;
		}
		if (r < 0) {
			snprintf(err, errlen, "%s:%d: a quoted field is not closed, or has text after its "
					      "closing quote",
				 name, start);
			goto fail;
		}
		if (blank(rec)) {
			json_decref(rec);
			continue;
		}
		if (!header) {
			size_t i;
			json_t *v;

			json_array_foreach(rec, i, v) {
				char low[64];
				size_t k;

				kc_strlcpy(low, json_string_value(v), sizeof(low));
				for (k = 0; low[k]; k++)
					low[k] = (char)tolower((unsigned char)low[k]);
				if (!low[0]) {
					snprintf(err, errlen, "%s:%d: column %zu of the header has no name", name,
						 start, i + 1);
					goto fail;
				}
				json_array_set_new(rec, i, json_string(low));
			}
			header = rec;
			continue;
		}
		if (json_array_size(rec) > json_array_size(header)) {
			snprintf(err, errlen, "%s:%d: %zu fields, but the header names %zu", name, start,
				 json_array_size(rec), json_array_size(header));
			goto fail;
		}
		{
			json_t *obj = json_object();
			size_t i;
			json_t *v;

			json_array_foreach(rec, i, v)
				json_object_set(obj, json_string_value(json_array_get(header, i)), v);
			json_object_set_new(obj, "_line", json_integer(start));
			json_array_append_new(out, obj);
		}
		json_decref(rec);
	}
	if (!header) {
		snprintf(err, errlen, "%s: empty: the first line must name the columns", name);
		json_decref(out);
		return NULL;
	}
	json_decref(header);
	return out;
fail:
	json_decref(rec);
	json_decref(header);
	json_decref(out);
	return NULL;
}

json_t *kc_csv_read(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;
	json_t *out;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 65536) {
			char *p = realloc(buf, cap + 65536 + 1);

			if (!p) {
				fclose(f);
				free(buf);
				snprintf(err, errlen, "%s: out of memory", path);
				return NULL;
			}
			buf = p;
			cap += 65536;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	out = kc_csv_parse(path, buf ? buf : "", len, err, errlen);
	free(buf);
	return out;
}
