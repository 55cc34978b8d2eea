/* Names found by their pinyin: the Mandarin readings of each Han
 * character, from the table that service/pinyin-gen.sh makes of Unihan at
 * build time (every reading of a polyphone). */
#ifndef KC_SERVICE_PINYIN_H
#define KC_SERVICE_PINYIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A Han character and its readings, toneless, space-separated, the usual
 * one first; sorted by code point. */
struct kc_pinyin_entry {
	uint32_t cp;
	const char *readings;
};

extern const struct kc_pinyin_entry kc_pinyin_table[];
extern const size_t kc_pinyin_count;

/* The longest query kc_pinyin_query_set reads, in characters. */
#define KC_PINYIN_QUERY_MAX 200

/* The readings of code point cp ("zhang chang"), NULL for none. */
const char *kc_pinyin_readings(uint32_t cp);

/* A query, read once for many names: its characters, ASCII letters in
 * lower case, spaces and apostrophes left out. */
struct kc_pinyin_query {
	uint32_t c[KC_PINYIN_QUERY_MAX];
	int n;
};

/* Reads text into q: -EINVAL when it has nothing but spaces or more than
 * KC_PINYIN_QUERY_MAX characters. */
int kc_pinyin_query_set(struct kc_pinyin_query *q, const char *text);

/* Whether q names name: from the start of one of its characters, each
 * character in turn given as itself or as a start of one of its readings
 * ("zhangmin", "zhang min", "zm", "zhangm", "敏", "张m" all name 张敏);
 * case, spaces and apostrophes not compared. */
bool kc_pinyin_match(const char *name, const struct kc_pinyin_query *q);

/* name's usual pinyin into out ("zhang min"; other characters as they are),
 * cut to len; -ENOSPC when cut. */
int kc_pinyin_of(const char *name, char *out, size_t len);

#endif
