/* The on-screen keyboard's server side (kiosk.h, "osk.c"): the pinyin
 * dictionary loaded once at start and read by every request's thread
 * after that, and the quick phrases of the configuration, as the
 * keyboard (www/keyboard.js) asks for them. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "controller/kiosk/kiosk.h"
#include "controller/kiosk/pinyin.h"

#define OSK_CANDIDATES 60 /* words of one answer: the keyboard pages them */

static struct kiosk_pinyin *osk_dict;
static json_t *osk_phrases; /* {KIND: [text, ...], ...} */

int kiosk_osk_init(const struct kiosk_conf *c, char *err, size_t errlen)
{
	int r;

	err[0] = '\0';
	osk_phrases = json_object();
	if (!osk_phrases)
		return -ENOMEM;
	for (int k = 0; k < KIOSK_PHRASE_KINDS; k++) {
		json_t *a = json_array();

		for (int i = 0; a && i < c->nphrases[k]; i++)
			json_array_append_new(a, json_string(c->phrases[k][i]));
		if (!a || json_object_set_new(osk_phrases, kiosk_phrase_kinds[k], a) < 0)
			return -ENOMEM;
	}
	if (!c->pinyin_dictionary[0]) {
		snprintf(err, errlen, "no [kiosk] pinyin_dictionary: the on-screen keyboard types letters and digits only");
		return 0;
	}
	r = kiosk_pinyin_load(c->pinyin_dictionary, &osk_dict, err, errlen);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		size_t l = strlen(err);

		snprintf(err + l, errlen - l, " ([kiosk] pinyin_dictionary; the package rime-data-luna-pinyin):"
			 " the on-screen keyboard types letters and digits only, no Chinese");
	}
	return 0;
}

void kiosk_osk_free(void)
{
	kiosk_pinyin_free(osk_dict);
	osk_dict = NULL;
	json_decref(osk_phrases);
	osk_phrases = NULL;
}

size_t kiosk_osk_words(void)
{
	return kiosk_pinyin_words(osk_dict);
}

/* The words for q, the most likely first: {"w": word, "n": characters of
 * q it takes} each, or [word, n] each (compact: a next letter's). NULL for
 * a bad query or no memory; *whole: whether the first word takes all of q. */
static json_t *osk_words(const char *q, bool compact, bool *whole)
{
	struct kiosk_pinyin_cand c[OSK_CANDIDATES];
	int n = kiosk_pinyin_lookup(osk_dict, q, c, OSK_CANDIDATES);
	json_t *a;

	if (n < 0 || !(a = json_array()))
		return NULL;
	*whole = n > 0 && c[0].used == strlen(q);
	for (int i = 0; i < n; i++) {
		json_t *w = compact ? json_pack("[s, i]", c[i].word, (int)c[i].used)
				    : json_pack("{s:s, s:i}", "w", c[i].word, "n", (int)c[i].used);

		if (json_array_append_new(a, w) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

/* The words of each letter that may come after q, {"a": [[word, n], ...],
 * ...}: the letters with a word that takes q and the letter whole (the
 * others are typed by mistake, and asked for when they are). */
static json_t *osk_next(const char *q)
{
	static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
	char nq[KIOSK_PINYIN_QUERY_MAX + 1], key[2] = "";
	size_t l = strlen(q);
	json_t *next = json_object();

	if (!next || l >= KIOSK_PINYIN_QUERY_MAX)
		return next;
	memcpy(nq, q, l);
	nq[l + 1] = '\0';
	for (const char *x = letters; *x; x++) {
		bool whole = false;
		json_t *w;

		nq[l] = *x;
		key[0] = *x;
		w = osk_words(nq, true, &whole);
		if (w && !whole) {
			json_decref(w);
			continue;
		}
		if (!w || json_object_set_new(next, key, w) < 0) {
			json_decref(next);
			return NULL;
		}
	}
	return next;
}

json_t *kiosk_osk_pinyin(const char *q, const char *next, enum kc_msg_code *code)
{
	json_t *words, *rep;
	bool whole;

	*code = KCM_osk_bad_query;
	if (!osk_dict) {
		*code = KCM_osk_no_dictionary;
		return NULL;
	}
	if (!q)
		q = "";
	if (next && strcmp(next, "1") != 0) {
		*code = KCM_osk_bad_next;
		return NULL;
	}
	words = osk_words(q, false, &whole);
	if (!words)
		return NULL;
	rep = json_pack("{s:b, s:s, s:o}", "ok", 1, "q", q, "words", words);
	if (rep && next && json_object_set_new(rep, "next", osk_next(q)) < 0) {
		json_decref(rep);
		return NULL;
	}
	return rep;
}

json_t *kiosk_osk_phrases(void)
{
	return json_pack("{s:b, s:I, s:O}", "ok", 1, "words", (json_int_t)kiosk_osk_words(), "phrases", osk_phrases);
}
