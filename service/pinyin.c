/* Names found by their pinyin (service/pinyin.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "service/pinyin.h"

/* The characters of a name compared: at most this many. */
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

/* The longest reading: "zhuang", "shuang". */
#define READING_MAX 6

struct match {
	const uint32_t *name, *q;
	const char *readings[NAME_MAX_CHARS]; /* of each character of name */
	int n, m;
	/* (i, j) tried and failed: bit j of failed[i] */
	unsigned char failed[NAME_MAX_CHARS][(KC_PINYIN_QUERY_MAX + 7) / 8];
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
	for (r = mt->readings[i]; r && *r; r += strspn(r, " ")) {
		/* each start of the reading that q goes on with */
		for (int k = 0; r[k] && r[k] != ' ' && j + k < mt->m && mt->q[j + k] == (unsigned char)r[k]; k++)
			if (match_from(mt, i + 1, j + k + 1))
				return true;
		r += strcspn(r, " ");
	}
	mt->failed[i][j / 8] |= (unsigned char)(1u << (j % 8));
	return false;
}

int kc_pinyin_query_set(struct kc_pinyin_query *q, const char *text)
{
	q->n = chars_of(text, q->c, KC_PINYIN_QUERY_MAX);
	return q->n > 0 ? 0 : -EINVAL;
}

bool kc_pinyin_match(const char *name, const struct kc_pinyin_query *q)
{
	uint32_t nc[NAME_MAX_CHARS];
	struct match mt;
	int n = chars_of(name, nc, NAME_MAX_CHARS);

	if (n < 0)
		n = NAME_MAX_CHARS; /* a longer name: its first characters */
	/* each character takes at most a reading's letters */
	if (q->n <= 0 || q->n > n * READING_MAX)
		return false;
	mt.name = nc;
	mt.q = q->c;
	mt.n = n;
	mt.m = q->n;
	for (int i = 0; i < n; i++) {
		mt.readings[i] = kc_pinyin_readings(nc[i]);
		memset(mt.failed[i], 0, (size_t)(q->n + 7) / 8);
	}
	for (int i = 0; i < n; i++)
		if (match_from(&mt, i, 0))
			return true;
	return false;
}

int kc_pinyin_of(const char *name, char *out, size_t len)
{
	size_t o = 0;
	bool reading = false; /* the last written a reading */

	if (!len)
		return -ENOSPC;
	while (*name) {
		const char *at = name, *r = kc_pinyin_readings(next_cp(&name));
		size_t w = r ? strcspn(r, " ") : (size_t)(name - at);
		/* a space between a reading and what is beside it */
		bool sp = o > 0 && out[o - 1] != ' ' && (r || reading) && !(w == 1 && *at == ' ');

		if (o + sp + w >= len) {
			out[o] = '\0';
			return -ENOSPC;
		}
		if (sp)
			out[o++] = ' ';
		if (!(w == 1 && *at == ' ' && o > 0 && out[o - 1] == ' ')) {
			memcpy(out + o, r ? r : at, w);
			o += w;
		}
		reading = r != NULL;
	}
	out[o] = '\0';
	return 0;
}
