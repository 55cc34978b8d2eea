/* The on-screen keyboard's Chinese: words by their pinyin, from a Rime
 * dictionary that Debian packages (rime-data-luna-pinyin), loaded once at
 * the kiosk's start and read by any number of threads after that.
 *
 * The file is Rime's: lines "WORD<TAB>syl syl ...[<TAB>weight]", '#'
 * lines and a YAML header ("---" to "...") left out; its build of
 * luna_pinyin (build/luna_pinyin.table.txt: the dictionary with the
 * preset vocabulary's words and their frequencies) or luna_pinyin.dict.yaml
 * itself. Words are written in traditional characters there; each is kept
 * in simplified ones (kiosk_t2s_table, from Unihan), the weights of words
 * that become the same added up. Only words of Han characters of the BMP,
 * of at most KIOSK_PINYIN_SYL_MAX syllables, are kept. */
#ifndef KC_KIOSK_PINYIN_H
#define KC_KIOSK_PINYIN_H

#include <stddef.h>
#include <stdint.h>

/* A traditional character and its simplified form (t2s-gen.sh), sorted by
 * from. */
struct kiosk_t2s {
	uint32_t from, to;
};
extern const struct kiosk_t2s kiosk_t2s_table[];
extern const size_t kiosk_t2s_count;

/* The simplified form of code point cp (cp itself when it has none). */
uint32_t kiosk_t2s(uint32_t cp);

#define KIOSK_PINYIN_SYL_MAX 8	/* syllables of a word kept */
#define KIOSK_PINYIN_QUERY_MAX 48 /* letters of a query */

struct kiosk_pinyin;

/* Loads the dictionary at path. 0; -errno with "PATH: why" in err (a
 * missing file: -ENOENT; a file with no word in it: -EINVAL). */
int kiosk_pinyin_load(const char *path, struct kiosk_pinyin **out, char *err, size_t errlen);
void kiosk_pinyin_free(struct kiosk_pinyin *d);
/* How many words it holds. */
size_t kiosk_pinyin_words(const struct kiosk_pinyin *d);
/* Bytes it holds in memory. */
size_t kiosk_pinyin_bytes(const struct kiosk_pinyin *d);

/* A candidate: the word, and how many characters of the query it stands
 * for (the rest of the query is still to be typed as pinyin). */
struct kiosk_pinyin_cand {
	const char *word;
	unsigned used;
};

/* The words for q (letters a-z, an apostrophe between syllables; its last
 * syllable may be a start of one: "weishengj"), the words that take the
 * most of q first, then by frequency; a word once. Up to max into out;
 * how many. -EINVAL for a query of anything else, or longer than
 * KIOSK_PINYIN_QUERY_MAX. */
int kiosk_pinyin_lookup(const struct kiosk_pinyin *d, const char *q, struct kiosk_pinyin_cand *out, int max);

#endif
