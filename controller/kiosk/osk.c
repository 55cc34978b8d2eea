/* The on-screen keyboard's server side (kiosk.h, "osk.c"): the pinyin
 * dictionary loaded once at start and read by every request's thread
 * after that, and the quick phrases of the configuration, as the
 * keyboard (www/keyboard.js) asks for them. */
#include <errno.h>
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

json_t *kiosk_osk_pinyin(const char *q, enum kc_msg_code *code)
{
	struct kiosk_pinyin_cand c[OSK_CANDIDATES];
	json_t *words, *rep;
	int n;

	if (!osk_dict) {
		*code = KCM_osk_no_dictionary;
		return NULL;
	}
	n = kiosk_pinyin_lookup(osk_dict, q ? q : "", c, OSK_CANDIDATES);
	if (n < 0) {
		*code = KCM_osk_bad_query;
		return NULL;
	}
	words = json_array();
	for (int i = 0; words && i < n; i++)
		json_array_append_new(words, json_pack("{s:s, s:i}", "w", c[i].word, "n", (int)c[i].used));
	rep = words ? json_pack("{s:b, s:s, s:o}", "ok", 1, "q", q ? q : "", "words", words) : NULL;
	if (!rep)
		*code = KCM_osk_bad_query;
	return rep;
}

json_t *kiosk_osk_phrases(void)
{
	return json_pack("{s:b, s:I, s:O}", "ok", 1, "words", (json_int_t)kiosk_osk_words(), "phrases", osk_phrases);
}
