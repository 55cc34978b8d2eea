/* Names found by their pinyin (service/pinyin.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "service/pinyin.h"

/* The names and queries compared: at most this many characters. */
#define NAME_MAX_CHARS 64

static int cmp_cp(const void *k, const void *e)
{
	uint32_t a = *(const uint32_t *)k, b = ((const struct kc_pinyin_entry *)e)->cp;

	return a < b ? -1 : a > b;
}

const char *kc_pinyin_readings(uint32_t cp)
{
	const struct kc_pinyin_entry *e = bsearch(&cp, kc_pinyin_table, kc_pinyin_count, sizeof(*e), cmp_cp);

	return e ? e->readings : NULL;
}

/* The next code point of *s (a byte of bad UTF-8 as itself), *s moved on. */
static uint32_t next_cp(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	int n = p[0] >= 0xf0 ? 3 : p[0] >= 0xe0 ? 2 : p[0] >= 0xc0 ? 1 : 0;
	uint32_t c = n ? p[0] & (0x3f >> n) : p[0];

	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			*s += 1;
			return p[0];
		}
		c = c << 6 | (p[i] & 0x3f);
	}
	*s += n + 1;
	return c;
}

/* s's characters, ASCII letters in lower case, spaces and apostrophes
 * left out, at most max; their count, or -1 when there are more. */
static int chars_of(const char *s, uint32_t *out, int max)
{
	int n = 0;

	while (*s) {
		uint32_t c = next_cp(&s);

		if (c == ' ' || c == '\'' || c == '\t' || c == 0x3000 /* ideographic space */)
			continue;
		if (n == max)
			return -1;
		out[n++] = c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
	}
	return n;
}

struct match {
	const uint32_t *name, *q;
	int n, m;
	/* (i, j) tried and failed: bit j of failed[i] */
	unsigned char failed[NAME_MAX_CHARS + 1][(KC_PINYIN_QUERY_MAX + 8) / 8];
};

/* Whether q[j..] is named from name[i] on, character by character. */
static bool match_from(struct match *mt, int i, int j)
{
	const char *r;

	if (j == mt->m)
		return true;
	if (i == mt->n || mt->failed[i][j / 8] & (1u << (j % 8)))
		return false;
	if (mt->name[i] == mt->q[j] && match_from(mt, i + 1, j + 1))
		return true;
	for (r = kc_pinyin_readings(mt->name[i]); r && *r; r += strspn(r, " ")) {
		/* each start of the reading that q goes on with */
		for (int k = 0; r[k] && r[k] != ' ' && j + k < mt->m && mt->q[j + k] == (unsigned char)r[k]; k++)
			if (match_from(mt, i + 1, j + k + 1))
				return true;
		r += strcspn(r, " ");
	}
	mt->failed[i][j / 8] |= (unsigned char)(1u << (j % 8));
	return false;
}

bool kc_pinyin_match(const char *name, const char *query)
{
	uint32_t nc[NAME_MAX_CHARS], qc[KC_PINYIN_QUERY_MAX];
	struct match *mt;
	bool found = false;
	int n = chars_of(name, nc, NAME_MAX_CHARS), m = chars_of(query, qc, KC_PINYIN_QUERY_MAX);

	if (n < 0)
		n = NAME_MAX_CHARS; /* a longer name: its first characters */
	if (m <= 0 || m > n * 8 || !(mt = calloc(1, sizeof(*mt))))
		return false;
	mt->name = nc;
	mt->q = qc;
	mt->n = n;
	mt->m = m;
	for (int i = 0; i < n && !found; i++)
		found = match_from(mt, i, 0);
	free(mt);
	return found;
}

int kc_pinyin_of(const char *name, char *out, size_t len)
{
	size_t o = 0;

	if (!len)
		return -ENOSPC;
	while (*name) {
		const char *at = name, *r = kc_pinyin_readings(next_cp(&name));
		size_t w = r ? strcspn(r, " ") : (size_t)(name - at);
		bool sp = r && o > 0;

		if (o + sp + w >= len) {
			out[o] = '\0';
			return -ENOSPC;
		}
		if (sp)
			out[o++] = ' ';
		memcpy(out + o, r ? r : at, w);
		o += w;
	}
	out[o] = '\0';
	return 0;
}
