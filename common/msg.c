/* Message codes and their rendering (common/msg.h). */
#include "common/msg.h"

#include <errno.h>
#include <libintl.h>
#include <locale.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/util.h"

#ifndef KC_LOCALEDIR
#define KC_LOCALEDIR "/usr/share/locale"
#endif
#define MSG_DOMAIN "keycab"

static const struct {
	const char *name, *text;
} msg_table[] = {
#define KC_MSG(code, text) { #code, text },
#include "common/msgs/all.def"
#undef KC_MSG
};

/* Parameters whose values are words of the vocabulary, translated in the
 * context of the parameter's name. */
static const char *const msg_word_params[] = {
	"purpose", "kind", "state", "role", "id_type", "result", "method", "link", "what", "field",
};

const char *kc_msg_name(enum kc_msg_code c)
{
	return (unsigned)c < KCM__COUNT ? msg_table[c].name : "";
}

const char *kc_msg_template(enum kc_msg_code c)
{
	return (unsigned)c < KCM__COUNT ? msg_table[c].text : "";
}

int kc_msg_lookup(const char *name)
{
	if (!name)
		return -ENOENT;
	for (size_t i = 0; i < KC_ARRAY_SIZE(msg_table); i++)
		if (strcmp(msg_table[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}

json_t *kc_msg_vnew(enum kc_msg_code c, const char *fmt, va_list ap)
{
	json_t *params = fmt ? json_vpack_ex(NULL, 0, fmt, ap) : json_object();

	if (!params)
		return NULL;
	return json_pack("{s:s, s:o}", "code", kc_msg_name(c), "params", params);
}

json_t *kc_msg_new(enum kc_msg_code c, const char *fmt, ...)
{
	va_list ap;
	json_t *m;

	va_start(ap, fmt);
	m = kc_msg_vnew(c, fmt, ap);
	va_end(ap);
	return m;
}

int kc_msg_parse_lang(const char *s, enum kc_lang *out)
{
	if (!s || !*s)
		return -EINVAL;
	if (strncasecmp(s, "zh", 2) == 0 && (s[2] == '\0' || s[2] == '_' || s[2] == '-' || s[2] == '.')) {
		*out = KC_LANG_ZH;
		return 0;
	}
	if (strncasecmp(s, "en", 2) == 0 && (s[2] == '\0' || s[2] == '_' || s[2] == '-' || s[2] == '.')) {
		*out = KC_LANG_EN;
		return 0;
	}
	if (strcmp(s, "C") == 0 || strncmp(s, "C.", 2) == 0 || strcmp(s, "POSIX") == 0) {
		*out = KC_LANG_EN;
		return 0;
	}
	return -EINVAL;
}

enum kc_lang kc_msg_env_lang(void)
{
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	const char *lc = NULL, *language = getenv("LANGUAGE");
	enum kc_lang l = KC_LANG_EN;

	for (size_t i = 0; i < KC_ARRAY_SIZE(vars) && !lc; i++) {
		const char *v = getenv(vars[i]);

		if (v && *v)
			lc = v;
	}
	/* gettext's order: LANGUAGE (a list, first known entry) unless the
	 * locale is C; then the locale. */
	if (language && *language && !(lc && strcmp(lc, "C") == 0)) {
		char first[32];
		const char *colon = strchr(language, ':');
		size_t n = colon ? (size_t)(colon - language) : strlen(language);

		snprintf(first, sizeof(first), "%.*s", (int)n, language);
		if (kc_msg_parse_lang(first, &l) == 0)
			return l;
	}
	if (lc && kc_msg_parse_lang(lc, &l) == 0)
		return l;
	return KC_LANG_EN;
}

const char *kc_msg_lang_tag(enum kc_lang lang)
{
	return lang == KC_LANG_ZH ? "zh-CN" : "en";
}

/* The catalogue is read in a C.UTF-8 locale of this thread's own with
 * LANGUAGE naming the catalogue, so it works whatever the process's
 * locale is and whether or not zh_CN.UTF-8 is generated. The English
 * text is the msgid itself and needs no lookup. */
static locale_t msg_locale;
static bool msg_ready, msg_broken;
static bool msg_hints = true;

void kc_msg_command_hints(bool on)
{
	msg_hints = on;
}

static bool msg_setup(void)
{
	const char *dir = getenv("KEYCAB_LOCALEDIR");

	if (msg_ready || msg_broken)
		return msg_ready;
	msg_locale = newlocale(LC_ALL_MASK, "C.UTF-8", (locale_t)0);
	if (!msg_locale) /* no C.UTF-8 (Debian's libc-bin has it): the environment's */
		msg_locale = newlocale(LC_ALL_MASK, "", (locale_t)0);
	if (!msg_locale) {
		msg_broken = true;
		return false;
	}
	bindtextdomain(MSG_DOMAIN, dir && *dir ? dir : KC_LOCALEDIR);
	bind_textdomain_codeset(MSG_DOMAIN, "UTF-8");
	setenv("LANGUAGE", "zh_CN", 1);
	msg_ready = true;
	return true;
}

const char *kc_msg_gettext(enum kc_lang lang, const char *s)
{
	locale_t old;
	const char *r;

	if (lang == KC_LANG_EN || !s || !*s || !msg_setup())
		return s;
	old = uselocale(msg_locale);
	r = dgettext(MSG_DOMAIN, s);
	uselocale(old);
	return r;
}

int kc_msg_catalogue(char *path, size_t len)
{
	const char *dir = getenv("KEYCAB_LOCALEDIR");

	snprintf(path, len, "%s/zh_CN/LC_MESSAGES/%s.mo", dir && *dir ? dir : KC_LOCALEDIR, MSG_DOMAIN);
	/* the first code of base.def has its Chinese in every catalogue */
	return strcmp(kc_msg_gettext(KC_LANG_ZH, msg_table[0].text), msg_table[0].text) != 0 ? 0 : -ENOENT;
}

const char *kc_msg_word(enum kc_lang lang, const char *ctx, const char *word)
{
	char key[160];
	const char *r;

	if (lang == KC_LANG_EN || !word || !*word || !ctx)
		return word;
	/* the msgctxt convention: context, EOT, msgid */
	if (snprintf(key, sizeof(key), "%s\004%s", ctx, word) >= (int)sizeof(key))
		return word;
	r = kc_msg_gettext(lang, key);
	return r == key ? word : r;
}

static bool msg_is_word_param(const char *name, size_t n)
{
	for (size_t i = 0; i < KC_ARRAY_SIZE(msg_word_params); i++)
		if (strlen(msg_word_params[i]) == n && strncmp(msg_word_params[i], name, n) == 0)
			return true;
	return false;
}

struct msg_buf {
	char *p;
	size_t len, n;
	bool cut;
};

static void msg_put(struct msg_buf *b, const char *s, size_t n)
{
	if (b->n + n >= b->len) {
		n = b->len - 1 - b->n;
		b->cut = true;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void msg_put_value(struct msg_buf *b, enum kc_lang lang, const char *name, size_t n,
			  const json_t *v)
{
	char ctx[32], num[32];

	snprintf(ctx, sizeof(ctx), "%.*s", (int)n, name);
	if (json_is_string(v)) {
		const char *s = json_string_value(v);

		if (msg_is_word_param(name, n))
			s = kc_msg_word(lang, ctx, s);
		msg_put(b, s, strlen(s));
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
		msg_put(b, num, strlen(num));
	} else if (json_is_real(v)) {
		snprintf(num, sizeof(num), "%g", json_real_value(v));
		msg_put(b, num, strlen(num));
	} else if (json_is_array(v)) {
		const char *sep = lang == KC_LANG_ZH ? "、" : ", ";
		size_t i;
		json_t *e;

		json_array_foreach(v, i, e) {
			if (i)
				msg_put(b, sep, strlen(sep));
			msg_put_value(b, lang, name, n, e);
		}
	} else if (json_is_object(v) && json_object_get(v, "code")) {
		/* a message as a parameter: rendered in the same language */
		char inner[512];

		if (kc_msg_render(v, lang, inner, sizeof(inner)) != -ENOENT)
			msg_put(b, inner, strlen(inner));
	} else if (json_is_boolean(v)) {
		const char *s = kc_msg_word(lang, "bool", json_is_true(v) ? "yes" : "no");

		msg_put(b, s, strlen(s));
	}
}

/* The end of the placeholder or hint that opens at open: its matching
 * '}' (a hint may hold placeholders), or NULL. */
static const char *msg_close(const char *open, const char *end)
{
	int depth = 0;

	for (const char *p = open; p < end; p++) {
		if (*p == '{')
			depth++;
		else if (*p == '}' && --depth == 0)
			return p;
	}
	return NULL;
}

/* The template t..end into b: placeholders from params, hints for the
 * command line when they are on. */
static void msg_render_tpl(struct msg_buf *b, const char *t, const char *end, const json_t *params,
			   enum kc_lang lang)
{
	while (t < end) {
		const char *open = memchr(t, '{', (size_t)(end - t)), *close;

		if (!open) {
			msg_put(b, t, (size_t)(end - t));
			break;
		}
		close = msg_close(open, end);
		msg_put(b, t, (size_t)(open - t));
		if (!close) {
			msg_put(b, open, (size_t)(end - open));
			break;
		}
		if (open[1] == '=') {
			/* a hint for the command line only */
			if (msg_hints)
				msg_render_tpl(b, open + 2, close, params, lang);
		} else {
			char name[64];
			size_t n = (size_t)(close - open - 1);
			const json_t *v;

			snprintf(name, sizeof(name), "%.*s", (int)n, open + 1);
			v = json_object_get(params, name);
			if (v)
				msg_put_value(b, lang, open + 1, n, v);
			else
				msg_put(b, open, (size_t)(close - open + 1));
		}
		t = close + 1;
	}
}

int kc_msg_render(const json_t *msg, enum kc_lang lang, char *buf, size_t len)
{
	int c = kc_msg_lookup(json_string_value(json_object_get(msg, "code")));
	struct msg_buf b = { buf, len, 0, false };
	const char *t;

	if (c < 0)
		return -ENOENT;
	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	t = kc_msg_gettext(lang, msg_table[c].text);
	msg_render_tpl(&b, t, t + strlen(t), json_object_get(msg, "params"), lang);
	return b.cut ? -ENOSPC : 0;
}

int kc_msg_render_reply(const json_t *rep, enum kc_lang lang, char *buf, size_t len)
{
	const json_t *msgs = json_object_get(rep, "messages"), *m;
	const char *sep = lang == KC_LANG_ZH ? "" : " ";
	const char *fallback;
	size_t i, n = 0;
	int r = 0;

	if (len == 0)
		return -ENOSPC;
	buf[0] = '\0';
	if (json_array_size(msgs) > 0) {
		json_array_foreach(msgs, i, m) {
			if (n > 0 && n + strlen(sep) < len) {
				memcpy(buf + n, sep, strlen(sep) + 1);
				n += strlen(sep);
			}
			r = kc_msg_render(m, lang, buf + n, len - n);
			if (r == -ENOENT)
				break;
			n += strlen(buf + n);
		}
		if (r != -ENOENT)
			return r;
	} else if (json_object_get(rep, "code")) {
		r = kc_msg_render(rep, lang, buf, len);
		if (r != -ENOENT)
			return r;
	}
	fallback = json_string_value(json_object_get(rep, "reason"));
	if (!fallback)
		fallback = json_string_value(json_object_get(rep, "error"));
	if (!fallback)
		return -ENOENT;
	return kc_strlcpy(buf, fallback, len) >= len ? -ENOSPC : 0;
}
