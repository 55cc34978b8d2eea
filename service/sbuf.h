/* A growing string buffer for rendering pages. Allocation failure is
 * sticky: check oom once at the end. */
#ifndef KC_SERVICE_SBUF_H
#define KC_SERVICE_SBUF_H
#include <stddef.h>

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

void sbuf_add(struct sbuf *b, const char *s);
void sbuf_addn(struct sbuf *b, const char *s, size_t n);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* HTML-escapes s (&, <, >, ", ') */
void sbuf_html(struct sbuf *b, const char *s);
/* Percent-encodes s for a URL query value */
void sbuf_url(struct sbuf *b, const char *s);
/* The string (caller frees), or NULL after an allocation failure. */
char *sbuf_take(struct sbuf *b);

#endif
