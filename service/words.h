/* Words of the vocabulary (kinds, purposes, states, roles, event types,
 * ...) as a supervisor reads them: a code shown as a word in the page's
 * language. The Chinese is the "keycab" catalogue's, in the context of
 * the word's kind (msgctxt "kind" msgid "vacant"); the English is this
 * file's table. */
#ifndef KC_SERVICE_WORDS_H
#define KC_SERVICE_WORDS_H
#include <stdbool.h>
#include <stddef.h>

#include "common/msg.h"

/* code in context ctx as a word in lang; code itself when neither has a
 * word for it (a name, a unit, a number). */
const char *kc_word(enum kc_lang lang, const char *ctx, const char *code);
/* The i-th word of the English table (its context and code), for the
 * check that each has its Chinese: false past the last. */
bool kc_word_entry(size_t i, const char **ctx, const char **code);

#endif
