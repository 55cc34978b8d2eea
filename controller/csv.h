/* A CSV reader for the registry imports (RFC 4180: quoted fields, "" for
 * a quote inside quotes, CRLF or LF). The first line names the columns. */
#ifndef KC_CTL_CSV_H
#define KC_CTL_CSV_H
#include <jansson.h>
#include <stddef.h>

/* Reads the file into an array of objects, one per data row, keyed by
 * the header's names (trimmed, lower-cased), with "_line" the row's line
 * number. Empty lines are skipped. NULL with "FILE:LINE: ..." in err for
 * an unreadable file, a bad quote, or a row with more fields than the
 * header. */
json_t *kc_csv_read(const char *path, char *err, size_t errlen);
/* The same from a buffer (name is used in messages). */
json_t *kc_csv_parse(const char *name, const char *buf, size_t len, char *err, size_t errlen);

#endif
