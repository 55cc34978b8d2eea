/* The key log in words: each event type's name, and each event as a
 * sentence in Chinese or English (the "keycab" catalogue's), naming
 * people by name and keys by unit
 * (service/report_keylog.c fills the names, service/web_keylog.c shows
 * the sentences). */
#ifndef KC_SERVICE_KEYLOG_TEXT_H
#define KC_SERVICE_KEYLOG_TEXT_H
#include <jansson.h>
#include <stddef.h>

#include "common/msg.h"

/* One event as the sentence reads it: who and what by name (the code
 * when no name is known, NULL when the event names none). */
struct kc_keylog_event {
	const char *type;
	const char *actor, *person;	/* names */
	const char *key, *kind, *slot;
	const char *unit;		/* "1栋103", else the unit's code */
	const char *site;		/* the site's name, else its code */
	const json_t *data;
};

/* The type's name in lang ("Key released", "取出钥匙"); the code itself
 * for a type this build does not know. */
const char *kc_keylog_type_name(enum kc_lang lang, const char *type);
/* The i-th type code in the order a supervisor picks them; NULL past
 * the last. */
const char *kc_keylog_type_at(size_t i);
/* A refusal's or failure's reason (as keycabd sends it, in English) in
 * lang, into out. */
void kc_keylog_reason(enum kc_lang lang, const char *reason, char *out, size_t len);
/* The event as a sentence in lang, an owner's phone masked; malloc'd,
 * NULL when out of memory. */
char *kc_keylog_sentence(enum kc_lang lang, const struct kc_keylog_event *e);

#endif
