#include "common/log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static const char *log_prog = "keycab";
static int log_max = LOG_INFO;
static int log_journal = -1;

void kc_log_init(const char *progname)
{
	const char *lvl = getenv("KEYCAB_LOG_LEVEL");

	if (progname)
		log_prog = progname;
	log_journal = getenv("JOURNAL_STREAM") != NULL;
	if (lvl && lvl[0] >= '0' && lvl[0] <= '7' && lvl[1] == '\0')
		log_max = lvl[0] - '0';
}

void kc_log_set_level(int max_priority)
{
	log_max = max_priority;
}

/* The length (2 to 4) of the well-formed UTF-8 sequence at s, or 0: no
 * overlong forms, no surrogates, nothing above U+10FFFF, and no C1
 * control (U+0080 to U+009F), which terminals act on as they do on ESC. */
static size_t log_utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned cp, min;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, cp = c & 0x1fu, min = 0xa0;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, cp = c & 0x0fu, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, cp = c & 0x07u, min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

size_t kc_log_escape(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t o = 0;

	if (outlen == 0)
		return 0;
	while (*s) {
		size_t n = *s >= 0x20 && *s < 0x7f ? 1 : log_utf8_len(s);
		char esc[4] = { '\\', 'x', hex[*s >> 4], hex[*s & 15] };
		const char *from = n ? (const char *)s : esc;
		size_t len = n ? n : sizeof(esc);

		if (*s == '\\')
			from = "\\\\", len = 2;
		if (o + len >= outlen)
			break;
		for (size_t i = 0; i < len; i++)
			out[o++] = from[i];
		s += n ? n : 1;
	}
	out[o] = '\0';
	return o;
}

void kc_log(int priority, const char *fmt, ...)
{
	static const char *names[] = { "emerg", "alert", "crit", "error",
				       "warning", "notice", "info", "debug" };
	char line[1024], safe[4 * sizeof(line)];
	va_list ap;

	if (priority > log_max)
		return;
	if (log_journal < 0)
		log_journal = getenv("JOURNAL_STREAM") != NULL;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	kc_log_escape(line, safe, sizeof(safe));
	if (log_journal)
		fprintf(stderr, "<%d>%s\n", priority & 7, safe);
	else
		fprintf(stderr, "%s: %s: %s\n", log_prog, names[priority & 7], safe);
}
