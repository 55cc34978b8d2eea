#include "controller/row.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "common/util.h"

int kc_row_step(sqlite3_stmt *s)
{
	int rc;

	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return 0;
	return rc == SQLITE_DONE ? -ENOENT : -EIO;
}

void kc_row_done(sqlite3_stmt *s)
{
	if (s)
		sqlite3_reset(s);
}

void kc_row_text(sqlite3_stmt *s, int i, char *dst, size_t len)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	kc_strlcpy(dst, t ? (const char *)t : "", len);
}

int kc_row_one(sqlite3_stmt *s, kc_row_read_fn *read, void *out)
{
	int r = kc_row_step(s);

	if (r == 0)
		read(s, out);
	kc_row_done(s);
	return r;
}

int kc_row_text_first(sqlite3_stmt *s, char *out, size_t len)
{
	int r = kc_row_step(s);

	out[0] = '\0';
	if (r == 0)
		kc_row_text(s, 0, out, len);
	kc_row_done(s);
	return r == -EIO ? -EIO : 0;
}

/* The value of the word column i holds in words (nwords of them), -1 for
 * none. */
static int row_word(sqlite3_stmt *s, int i, const char *const *words, int nwords)
{
	const char *t = (const char *)sqlite3_column_text(s, i);

	for (int w = 0; t && w < nwords; w++)
		if (words[w] && strcmp(t, words[w]) == 0)
			return w;
	return -1;
}

int kc_row_cols(sqlite3_stmt *s, const struct kc_row_col *cols, size_t n, void *out)
{
	int r = kc_row_step(s);

	for (size_t i = 0; r == 0 && i < n; i++) {
		char *at = (char *)out + cols[i].off;

		if (cols[i].words)
			*(int *)(void *)at = row_word(s, (int)i, cols[i].words, cols[i].nwords);
		else if (cols[i].len)
			kc_row_text(s, (int)i, at, cols[i].len);
		else
			*(int64_t *)(void *)at = sqlite3_column_int64(s, (int)i);
	}
	kc_row_done(s);
	return r;
}
