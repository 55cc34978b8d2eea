/* multipart/form-data (RFC 7578): the boundary from the Content-Type, the
 * parts between its delimiters, each part's name from its
 * Content-Disposition. */
#include "service/import_sheet_upload.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

#define BOUNDARY_MAX 70 /* RFC 2046 */

/* The boundary parameter of ctype, into b: 0 or -EINVAL. */
static int boundary(const char *ctype, char *b, size_t blen)
{
	static const char media[] = "multipart/form-data";
	const char *p;
	size_t n;

	if (!ctype || strncasecmp(ctype, media, strlen(media)) != 0)
		return -EINVAL;
	p = strcasestr(ctype, "boundary=");
	if (!p)
		return -EINVAL;
	p += strlen("boundary=");
	if (*p == '"') {
		p++;
		n = strcspn(p, "\"");
	} else {
		n = strcspn(p, "; \t");
	}
	if (n == 0 || n > BOUNDARY_MAX || n + 1 > blen)
		return -EINVAL;
	memcpy(b, p, n);
	b[n] = '\0';
	return 0;
}

/* Whether the part's headers (h, n bytes) name it name. */
static bool part_named(const char *h, size_t n, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i + 6 + nl < n; i++) {
		/* name="x" with a blank or ';' before it (not filename="x") */
		if (strncasecmp(h + i, "name=\"", 6) == 0 && (i == 0 || h[i - 1] == ' ' || h[i - 1] == ';') &&
		    memcmp(h + i + 6, name, nl) == 0 && h[i + 6 + nl] == '"')
			return true;
	}
	return false;
}

int kc_upload_part(const char *ctype, const char *body, size_t blen, const char *name, const char **data,
		   size_t *len)
{
	char b[BOUNDARY_MAX + 1], delim[BOUNDARY_MAX + 5];
	const char *p, *end;
	size_t dl;

	if (boundary(ctype, b, sizeof(b)) < 0 || !body)
		return -EINVAL;
	end = body + blen;
	dl = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", b);
	/* the first delimiter may start the body, without its CRLF */
	if (blen >= dl - 2 && memcmp(body, delim + 2, dl - 2) == 0)
		p = body + dl - 2;
	else if ((p = memmem(body, blen, delim, dl)) != NULL)
		p += dl;
	else
		return -EINVAL;
	for (;;) {
		const char *hend, *next;

		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return -ENOENT; /* the closing delimiter */
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return -EINVAL;
		p += 2;
		hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (!hend)
			return -EINVAL;
		next = memmem(hend + 4, (size_t)(end - hend - 4), delim, dl);
		if (!next)
			return -EINVAL;
		if (part_named(p, (size_t)(hend - p), name)) {
			*data = hend + 4;
			*len = (size_t)(next - hend - 4);
			return 0;
		}
		p = next + dl;
	}
}

int kc_upload_field(const char *ctype, const char *body, size_t blen, const char *name, char *out, size_t outlen)
{
	const char *d;
	size_t n;
	int r = kc_upload_part(ctype, body, blen, name, &d, &n);

	if (r < 0)
		return r;
	if (n + 1 > outlen)
		return -ENOSPC;
	memcpy(out, d, n);
	out[n] = '\0';
	return 0;
}
