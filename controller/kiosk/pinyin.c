/* Words by their pinyin for the on-screen keyboard (controller/kiosk/pinyin.h).
 *
 * In memory: the words' text one after another, each word's syllables as
 * numbers (a count, then the numbers) in a second pool, and one 12-byte
 * record per word, sorted by its syllables (numbered in alphabetical
 * order, so that the syllables a start of one names are a range), then by
 * weight. A lookup walks the ways the query splits into syllables, each
 * split's words a binary search away. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controller/kiosk/pinyin.h"

#define SYL_LEN 8	   /* a syllable's letters, NUL included: "zhuang" */
#define SYL_SLOTS 4096	   /* the hash of syllables while loading: more than any dictionary has */
#define LOOK_NODES 2048	   /* splits of a query walked, at most */
#define LOOK_PER_SPLIT 64  /* words taken from each split */

struct pinyin_word {
	uint32_t text; /* offset in text */
	uint32_t code; /* offset in code: the count, then the syllables */
	uint32_t weight;
};

struct kiosk_pinyin {
	char *text;
	size_t text_len, text_cap;
	uint16_t *code;
	size_t code_len, code_cap;
	struct pinyin_word *w;
	size_t n, cap;
	char (*syl)[SYL_LEN]; /* the syllables, in alphabetical order */
	size_t nsyl;
};

/* ---- characters ---- */

static int t2s_cmp(const void *k, const void *e)
{
	uint32_t a = *(const uint32_t *)k, b = ((const struct kiosk_t2s *)e)->from;

	return a < b ? -1 : a > b;
}

uint32_t kiosk_t2s(uint32_t cp)
{
	const struct kiosk_t2s *e = bsearch(&cp, kiosk_t2s_table, kiosk_t2s_count, sizeof(*e), t2s_cmp);

	return e ? e->to : cp;
}

/* A Han character of the BMP (the extensions beyond it have no glyph in
 * the terminal's fonts). */
static bool is_han(uint32_t c)
{
	return c == 0x3007 || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
	       (c >= 0xf900 && c <= 0xfaff);
}

/* One code point of well-formed UTF-8 from p (at most end), its length in
 * *len; 0 for anything else. */
static uint32_t utf8_get(const unsigned char *p, const unsigned char *end, int *len)
{
	int n = p[0] < 0x80 ? 0 : p[0] >= 0xf0 && p[0] < 0xf5 ? 3 : p[0] >= 0xe0 ? 2 : p[0] >= 0xc2 ? 1 : -1;
	uint32_t c;

	if (n < 0 || p + n >= end + (n ? 0 : 1))
		return 0;
	c = n ? p[0] & (0x3fu >> n) : p[0];
	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3fu);
	}
	*len = n + 1;
	return c;
}

static int utf8_put(uint32_t c, char *out)
{
	if (c < 0x800) {
		out[0] = (char)(0xc0 | c >> 6);
		out[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xe0 | c >> 12);
		out[1] = (char)(0x80 | (c >> 6 & 0x3f));
		out[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | c >> 18);
	out[1] = (char)(0x80 | (c >> 12 & 0x3f));
	out[2] = (char)(0x80 | (c >> 6 & 0x3f));
	out[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* ---- loading ---- */

/* The syllables met while loading, by a hash of their letters; their
 * numbers in the order met. */
struct syl_hash {
	char name[SYL_SLOTS][SYL_LEN];
	int16_t id[SYL_SLOTS]; /* -1: a free slot */
	int n;
};

static int syl_id(struct syl_hash *h, const char *s, size_t len)
{
	uint32_t x = 2166136261u;

	for (size_t i = 0; i < len; i++)
		x = (x ^ (unsigned char)s[i]) * 16777619u;
	for (uint32_t i = x % SYL_SLOTS;; i = (i + 1) % SYL_SLOTS) {
		if (h->id[i] < 0) {
			if (h->n >= SYL_SLOTS / 2)
				return -ENOSPC;
			memcpy(h->name[i], s, len);
			h->name[i][len] = '\0';
			h->id[i] = (int16_t)h->n++;
			return h->id[i];
		}
		if (strncmp(h->name[i], s, len) == 0 && h->name[i][len] == '\0')
			return h->id[i];
	}
}

static int grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 4096;
	void *q;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	q = realloc(*p, c * size);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* The word's text in simplified characters into out (room for 4 bytes a
 * character of it); its length, or -1 when it is not Han characters
 * only. */
static int word_text(const char *s, size_t len, char *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	int n = 0, l = 1;

	while (p < end) {
		uint32_t c = utf8_get(p, end, &l);

		if (!is_han(c))
			return -1;
		n += utf8_put(kiosk_t2s(c), out + n);
		p += l;
	}
	return n;
}

/* One "WORD<TAB>syl syl[<TAB>weight]" line; a line of any other shape, or
 * a word of anything but Han characters, is left out (0). */
static int load_line(struct kiosk_pinyin *d, struct syl_hash *h, const char *s, size_t len)
{
	const char *tab = memchr(s, '\t', len), *code, *end = s + len, *tab2;
	uint16_t syl[KIOSK_PINYIN_SYL_MAX];
	char text[4 * 4 * KIOSK_PINYIN_SYL_MAX];
	double weight = 0;
	int n = 0, tl;

	if (!tab || tab == s || (size_t)(tab - s) > sizeof(text) / 4)
		return 0;
	code = tab + 1;
	tab2 = memchr(code, '\t', (size_t)(end - code));
	if (tab2) {
		char num[32];
		size_t nl = (size_t)(end - tab2 - 1);

		if (nl && nl < sizeof(num) && tab2[nl] != '%') {
			memcpy(num, tab2 + 1, nl);
			num[nl] = '\0';
			weight = strtod(num, NULL);
		}
		end = tab2;
	}
	while (code < end) {
		const char *sp = memchr(code, ' ', (size_t)(end - code));
		size_t l = (size_t)((sp ? sp : end) - code);
		int id;

		if (l == 0 || l >= SYL_LEN || n == KIOSK_PINYIN_SYL_MAX)
			return 0;
		for (size_t i = 0; i < l; i++)
			if (code[i] < 'a' || code[i] > 'z')
				return 0;
		id = syl_id(h, code, l);
		if (id < 0)
			return 0;
		syl[n++] = (uint16_t)id;
		code += l + (sp ? 1 : 0);
	}
	tl = word_text(s, (size_t)(tab - s), text);
	if (n == 0 || tl <= 0)
		return 0;
	if (grow((void **)&d->text, &d->text_cap, d->text_len + (size_t)tl + 1, 1) < 0 ||
	    grow((void **)&d->code, &d->code_cap, d->code_len + (size_t)n + 1, sizeof(uint16_t)) < 0 ||
	    grow((void **)&d->w, &d->cap, d->n + 1, sizeof(*d->w)) < 0)
		return -ENOMEM;
	d->w[d->n].text = (uint32_t)d->text_len;
	d->w[d->n].code = (uint32_t)d->code_len;
	d->w[d->n].weight = weight <= 0 ? 0 : weight >= 4e9 ? 4000000000u : (uint32_t)(weight + 0.5);
	d->n++;
	memcpy(d->text + d->text_len, text, (size_t)tl);
	d->text[d->text_len + (size_t)tl] = '\0';
	d->text_len += (size_t)tl + 1;
	d->code[d->code_len++] = (uint16_t)n;
	memcpy(d->code + d->code_len, syl, (size_t)n * sizeof(uint16_t));
	d->code_len += (size_t)n;
	return 0;
}

/* Every line of the file's bytes; a YAML header ("---" ... "...") and
 * '#' lines left out. */
static int load_lines(struct kiosk_pinyin *d, struct syl_hash *h, const char *p, size_t len)
{
	const char *end = p + len;
	bool header = len >= 3 && memcmp(p, "---", 3) == 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = (size_t)((nl ? nl : end) - p);
		int r = 0;

		if (l && p[l - 1] == '\r')
			l--;
		if (header)
			header = !(l == 3 && memcmp(p, "...", 3) == 0);
		else if (l && p[0] != '#')
			r = load_line(d, h, p, l);
		if (r < 0)
			return r;
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* The words' syllables numbered in alphabetical order. */
static int number_syllables(struct kiosk_pinyin *d, const struct syl_hash *h)
{
	uint16_t map[SYL_SLOTS / 2];
	size_t k = 0;

	d->nsyl = (size_t)h->n;
	d->syl = calloc(d->nsyl ? d->nsyl : 1, SYL_LEN);
	if (!d->syl)
		return -ENOMEM;
	for (size_t i = 0; i < SYL_SLOTS; i++)
		if (h->id[i] >= 0)
			memcpy(d->syl[k++], h->name[i], SYL_LEN);
	qsort(d->syl, d->nsyl, SYL_LEN, (int (*)(const void *, const void *))strcmp);
	for (size_t i = 0; i < SYL_SLOTS; i++) {
		if (h->id[i] < 0)
			continue;
		char(*f)[SYL_LEN] = bsearch(h->name[i], d->syl, d->nsyl, SYL_LEN,
					    (int (*)(const void *, const void *))strcmp);

		map[h->id[i]] = (uint16_t)(f - d->syl);
	}
	for (size_t i = 0; i < d->n; i++) {
		uint16_t *c = d->code + d->w[i].code;

		for (uint16_t j = 1; j <= c[0]; j++)
			c[j] = map[c[j]];
	}
	return 0;
}

/* Syllables a against b: the first that differs; a start of the other
 * first. */
static int code_cmp(const uint16_t *a, const uint16_t *b)
{
	for (uint16_t i = 1; i <= a[0] && i <= b[0]; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return a[0] < b[0] ? -1 : a[0] > b[0];
}

static int word_by_text(const void *x, const void *y, void *arg)
{
	const struct kiosk_pinyin *d = arg;
	const struct pinyin_word *a = x, *b = y;
	int c = code_cmp(d->code + a->code, d->code + b->code);

	return c ? c : strcmp(d->text + a->text, d->text + b->text);
}

static int word_by_weight(const void *x, const void *y, void *arg)
{
	const struct kiosk_pinyin *d = arg;
	const struct pinyin_word *a = x, *b = y;
	int c = code_cmp(d->code + a->code, d->code + b->code);

	if (c)
		return c;
	if (a->weight != b->weight)
		return a->weight > b->weight ? -1 : 1;
	return strcmp(d->text + a->text, d->text + b->text);
}

/* One record for a word with the same syllables and (simplified) text,
 * the weights added; then in the order lookups read. */
static void sort_words(struct kiosk_pinyin *d)
{
	size_t k = 0;

	qsort_r(d->w, d->n, sizeof(*d->w), word_by_text, d);
	for (size_t i = 0; i < d->n; i++) {
		if (k && word_by_text(&d->w[k - 1], &d->w[i], d) == 0) {
			uint64_t s = (uint64_t)d->w[k - 1].weight + d->w[i].weight;

			d->w[k - 1].weight = s > 4000000000u ? 4000000000u : (uint32_t)s;
			continue;
		}
		d->w[k++] = d->w[i];
	}
	d->n = k;
	qsort_r(d->w, d->n, sizeof(*d->w), word_by_weight, d);
}

/* The pools cut to what they hold. */
static void shrink(void **p, size_t n, size_t size)
{
	void *q = realloc(*p, (n ? n : 1) * size);

	if (q)
		*p = q;
}

int kiosk_pinyin_load(const char *path, struct kiosk_pinyin **out, char *err, size_t errlen)
{
	struct kiosk_pinyin *d = calloc(1, sizeof(*d));
	struct syl_hash *h = malloc(sizeof(*h));
	struct stat st;
	void *map = MAP_FAILED;
	int fd = -1, r;

	*out = NULL;
	if (!d || !h) {
		r = -ENOMEM;
		goto done;
	}
	memset(h->id, 0xff, sizeof(h->id));
	h->n = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	if (st.st_size > 0)
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (st.st_size > 0 && map == MAP_FAILED) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto done;
	}
	r = st.st_size > 0 ? load_lines(d, h, map, (size_t)st.st_size) : 0;
	if (r == 0 && d->n == 0) {
		r = -EINVAL;
		snprintf(err, errlen, "%s: no word in it (a Rime dictionary: WORD<TAB>pin yin[<TAB>weight] lines)", path);
		goto done;
	}
	if (r == 0)
		r = number_syllables(d, h);
	if (r == 0) {
		sort_words(d);
		shrink((void **)&d->text, d->text_len, 1);
		shrink((void **)&d->code, d->code_len, sizeof(uint16_t));
		shrink((void **)&d->w, d->n, sizeof(*d->w));
		*out = d;
		d = NULL;
	}
done:
	if (r == -ENOMEM)
		snprintf(err, errlen, "%s: out of memory", path);
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	free(h);
	kiosk_pinyin_free(d);
	return r;
}

void kiosk_pinyin_free(struct kiosk_pinyin *d)
{
	if (!d)
		return;
	free(d->text);
	free(d->code);
	free(d->w);
	free(d->syl);
	free(d);
}

size_t kiosk_pinyin_words(const struct kiosk_pinyin *d)
{
	return d ? d->n : 0;
}

size_t kiosk_pinyin_bytes(const struct kiosk_pinyin *d)
{
	return d ? d->text_len + d->code_len * sizeof(uint16_t) + d->n * sizeof(*d->w) + d->nsyl * SYL_LEN : 0;
}

/* ---- lookups ---- */

struct hit {
	uint32_t word;
	unsigned used;
};

struct look {
	const struct kiosk_pinyin *d;
	const char *q;
	size_t n;
	uint16_t seq[1 + KIOSK_PINYIN_SYL_MAX]; /* a split so far: the count, then the syllables */
	struct hit *hits;
	size_t nhits, cap;
	int nodes;
	bool starts; /* a last syllable typed whole is a start of longer ones too */
};

/* The first word whose syllables are not before seq (as a start of
 * them: seq's words, then the longer ones it starts). */
static size_t first_from(const struct kiosk_pinyin *d, const uint16_t *seq)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (code_cmp(d->code + d->w[mid].code, seq) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether word i's syllables start with seq. */
static bool starts_with(const struct kiosk_pinyin *d, size_t i, const uint16_t *seq)
{
	const uint16_t *c;

	if (i >= d->n)
		return false;
	c = d->code + d->w[i].code;
	return c[0] >= seq[0] && memcmp(c + 1, seq + 1, seq[0] * sizeof(uint16_t)) == 0;
}

/* The words of exactly the split so far, the most frequent first, for
 * used characters of the query. */
static void take_words(struct look *L, unsigned used)
{
	const struct kiosk_pinyin *d = L->d;
	size_t i = first_from(d, L->seq);

	for (int k = 0; k < LOOK_PER_SPLIT && i < d->n; k++, i++) {
		if (code_cmp(d->code + d->w[i].code, L->seq) != 0)
			return;
		if (grow((void **)&L->hits, &L->cap, L->nhits + 1, sizeof(*L->hits)) < 0)
			return;
		L->hits[L->nhits].word = (uint32_t)i;
		L->hits[L->nhits++].used = used;
	}
}

/* The syllable q[pos..pos+len), or -1. */
static int syl_find(const struct kiosk_pinyin *d, const char *s, size_t len)
{
	size_t lo = 0, hi = d->nsyl;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(d->syl[mid], s, len);

		if (c == 0 && d->syl[mid][len])
			c = 1;
		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* The syllables that start with s[0..len): [*a, *b). */
static void syl_range(const struct kiosk_pinyin *d, const char *s, size_t len, size_t *a, size_t *b)
{
	size_t lo = 0, hi = d->nsyl;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strncmp(d->syl[mid], s, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*a = lo;
	while (lo < d->nsyl && strncmp(d->syl[lo], s, len) == 0)
		lo++;
	*b = lo;
}

/* The splits of q[pos..] after the k syllables of L->seq. */
static void walk(struct look *L, size_t pos)
{
	const struct kiosk_pinyin *d = L->d;
	size_t k = L->seq[0], rest, a, b;
	bool whole = false;

	if (L->nodes++ >= LOOK_NODES)
		return;
	while (pos < L->n && L->q[pos] == '\'')
		pos++;
	if (k)
		take_words(L, (unsigned)pos);
	if (pos == L->n || k == KIOSK_PINYIN_SYL_MAX)
		return;
	rest = strcspn(L->q + pos, "'");
	for (size_t len = 1; len < SYL_LEN && len <= rest; len++) {
		int s = syl_find(d, L->q + pos, len);

		if (s < 0)
			continue;
		whole |= len == rest && pos + rest == L->n;
		L->seq[0] = (uint16_t)(k + 1);
		L->seq[k + 1] = (uint16_t)s;
		if (starts_with(d, first_from(d, L->seq), L->seq))
			walk(L, pos + len);
		L->seq[0] = (uint16_t)k;
	}
	/* the query's last syllable, still being typed */
	if ((whole && !L->starts) || pos + rest != L->n || rest >= SYL_LEN)
		return;
	syl_range(d, L->q + pos, rest, &a, &b);
	L->seq[0] = (uint16_t)(k + 1);
	for (size_t s = a; s < b; s++) {
		L->seq[k + 1] = (uint16_t)s;
		take_words(L, (unsigned)L->n);
	}
	L->seq[0] = (uint16_t)k;
}

/* Whether a word takes all of the query. */
static bool whole_hit(const struct look *L)
{
	for (size_t i = 0; i < L->nhits; i++)
		if (L->hits[i].used == L->n)
			return true;
	return false;
}

static int hit_order(const void *x, const void *y, void *arg)
{
	const struct kiosk_pinyin *d = arg;
	const struct hit *a = x, *b = y;
	uint32_t wa = d->w[a->word].weight, wb = d->w[b->word].weight;

	if (a->used != b->used)
		return a->used > b->used ? -1 : 1;
	if (wa != wb)
		return wa > wb ? -1 : 1;
	return a->word < b->word ? -1 : a->word > b->word;
}

int kiosk_pinyin_lookup(const struct kiosk_pinyin *d, const char *q, struct kiosk_pinyin_cand *out, int max)
{
	struct look L = { .d = d, .q = q, .n = strlen(q) };
	int m = 0;

	if (L.n > KIOSK_PINYIN_QUERY_MAX || strspn(q, "abcdefghijklmnopqrstuvwxyz'") != L.n)
		return -EINVAL;
	if (!d || !L.n)
		return 0;
	walk(&L, 0);
	/* no word takes all of q: its last syllable may be the start of a
	 * longer one although it is one itself (loushu: lou shui) */
	if (!whole_hit(&L)) {
		L.starts = true; /* the same walk and more: its words again */
		L.nodes = 0;
		L.nhits = 0;
		walk(&L, 0);
	}
	if (L.nhits)
		qsort_r(L.hits, L.nhits, sizeof(*L.hits), hit_order, (void *)d);
	for (size_t i = 0; i < L.nhits && m < max; i++) {
		const char *w = d->text + d->w[L.hits[i].word].text;
		bool seen = false;

		for (int j = 0; j < m && !seen; j++)
			seen = strcmp(out[j].word, w) == 0;
		if (seen)
			continue;
		out[m].word = w;
		out[m++].used = L.hits[i].used;
	}
	free(L.hits);
	return m;
}
