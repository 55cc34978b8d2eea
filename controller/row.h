/* One row of a statement from kc_store_q(), telling "no row" from a
 * database error, so a failed read is answered as one and not as
 * "there is no such loan". */
#ifndef KC_CTL_ROW_H
#define KC_CTL_ROW_H
#include <sqlite3.h>
#include <stddef.h>

/* Steps s: 0 when it has a row (read its columns, then kc_row_done),
 * -ENOENT when it has none, -EIO on an error (s NULL: the statement could
 * not be prepared or bound). */
int kc_row_step(sqlite3_stmt *s);
/* Resets s for its next use; NULL is a no-op. */
void kc_row_done(sqlite3_stmt *s);
/* Column i of the current row as text into dst ("" for NULL). */
void kc_row_text(sqlite3_stmt *s, int i, char *dst, size_t len);
/* The first column of s's one row as text into out ("": no row), s
 * reset after. 0 or -EIO. */
int kc_row_text_first(sqlite3_stmt *s, char *out, size_t len);
/* Reads the columns of the current row of s into out. */
typedef void kc_row_read_fn(sqlite3_stmt *s, void *out);
/* The one row of s read by read into out, s reset after: kc_row_step's
 * 0, -ENOENT or -EIO. */
int kc_row_one(sqlite3_stmt *s, kc_row_read_fn *read, void *out);
/* Column i of a row into a member of a struct: text of len bytes at off,
 * (len 0) an int64_t at off, or (words set) a word of that string table
 * of nwords (words.h) as the int of an enum at off (-1: none of them). */
struct kc_row_col {
	size_t off, len;
	const char *const *words;
	int nwords;
};
#define KC_ROW_TEXT(type, member) { offsetof(type, member), sizeof(((type *)0)->member), NULL, 0 }
#define KC_ROW_INT(type, member) { offsetof(type, member), 0, NULL, 0 }
#define KC_ROW_WORD(type, member, name, max) { offsetof(type, member), 0, name##_table, max }
/* The one row of s, its columns in order into out by cols, s reset
 * after: kc_row_step's 0, -ENOENT or -EIO. */
int kc_row_cols(sqlite3_stmt *s, const struct kc_row_col *cols, size_t n, void *out);

#endif
