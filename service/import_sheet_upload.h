/* A file uploaded from a page's form: the parts of a multipart/form-data
 * body (RFC 7578), as a browser sends a form with a file input. */
#ifndef KC_SERVICE_IMPORT_SHEET_UPLOAD_H
#define KC_SERVICE_IMPORT_SHEET_UPLOAD_H
#include <stddef.h>

/* The part named name of body (ctype: the request's Content-Type): 0
 * with *data (inside body) and *len, -ENOENT when there is no such part,
 * -EINVAL when the body is no multipart/form-data of that type. */
int kc_upload_part(const char *ctype, const char *body, size_t blen, const char *name, const char **data,
		   size_t *len);
/* The same, copied as a string (cut at outlen - 1: -ENOSPC). */
int kc_upload_field(const char *ctype, const char *body, size_t blen, const char *name, char *out, size_t outlen);

#endif
