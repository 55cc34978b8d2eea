/* Messages people read: a stable code with named parameters, rendered
 * in Chinese or English from the "keycab" gettext catalogue.
 *
 * Each code has an English template (common/msgs/NAME.def) whose
 * placeholders name the parameters: "Key {key} is out on loan." The
 * template is the catalogue's msgid; po/zh_CN/ holds the translations.
 * keycabd answers with {"code", "params"} and the English text; keycab
 * and the kiosk render the code in the desk's language. A parameter
 * named in a word list (purpose, kind, state, role, ...) is itself a word
 * of the vocabulary and is translated in the context of its name; a
 * parameter that is itself a message ({"code", "params"}) is rendered in
 * the same language. A fragment {=...} is a hint for the command line
 * (the option or command to use): rendered unless kc_msg_command_hints
 * turned hints off, as a terminal with no command line does. */
#ifndef KC_MSG_H
#define KC_MSG_H
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum kc_msg_code {
#define KC_MSG(code, text) KCM_##code,
#include "common/msgs/all.def"
#undef KC_MSG
	KCM__COUNT
};

enum kc_lang {
	KC_LANG_EN = 0,
	KC_LANG_ZH,
};

const char *kc_msg_name(enum kc_msg_code c);
/* The English template of c. */
const char *kc_msg_template(enum kc_msg_code c);
/* The code named name, or -ENOENT. */
int kc_msg_lookup(const char *name);

/* {"code": c, "params": {...}}; fmt is a json_pack format for the params
 * object ("{s:s, s:I}"), NULL for none. NULL only when out of memory or
 * the format is wrong. */
json_t *kc_msg_new(enum kc_msg_code c, const char *fmt, ...);
json_t *kc_msg_vnew(enum kc_msg_code c, const char *fmt, va_list ap);

/* The desk's language from the environment, as gettext reads it:
 * LANGUAGE, LC_ALL, LC_MESSAGES, LANG; zh* is Chinese, anything else
 * English. */
enum kc_lang kc_msg_env_lang(void);
/* "zh-CN" or "en"; kc_msg_parse_lang takes those and zh, zh_CN..., en*. */
const char *kc_msg_lang_tag(enum kc_lang lang);
int kc_msg_parse_lang(const char *s, enum kc_lang *out);

/* Marks s as a msgid of the catalogue where it is not translated at once
 * (a table's entry, shown through kc_msg_gettext later): xgettext's
 * --keyword=KC_N_ finds it there (tests/common/t-catalogue.sh). */
#define KC_N_(s) (s)

/* s from the catalogue in lang (s itself when untranslated). */
const char *kc_msg_gettext(enum kc_lang lang, const char *s) __attribute__((format_arg(2)));
/* word in context ctx ("purpose", "kind", ...), translated. */
const char *kc_msg_word(enum kc_lang lang, const char *ctx, const char *word);

/* Whether the Chinese catalogue is there: 0, or -ENOENT when Chinese
 * texts come out in English (no catalogue, or one without them). path:
 * the file it is read from ($KEYCAB_LOCALEDIR, else LOCALEDIR). */
int kc_msg_catalogue(char *path, size_t len);
/* Whether {=...} hints are rendered (by default they are). */
void kc_msg_command_hints(bool on);

/* One message ({"code", "params"}) as a sentence in lang. -ENOENT for a
 * code this build does not know (buf untouched), -ENOSPC when cut short. */
int kc_msg_render(const json_t *msg, enum kc_lang lang, char *buf, size_t len);
/* A keycabd reply's text in lang: its "messages" (joined), else its
 * "code" and "params", else the English "reason" or "error" as sent. */
int kc_msg_render_reply(const json_t *rep, enum kc_lang lang, char *buf, size_t len);

#endif
