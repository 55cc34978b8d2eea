/* The INI loader: libinih with one line-counting reader, the message
 * format, and the key tables (common/ini.h). */
#include "common/ini.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static void ini_vfail(struct kc_ini *ini, int line, const char *key, const char *fmt,
		      va_list ap) __attribute__((format(printf, 4, 0)));

static void ini_vfail(struct kc_ini *ini, int line, const char *key, const char *fmt,
		      va_list ap)
{
	char what[256], at[16] = "", where[KC_INI_SECTION_MAX + 80] = "";

	if (ini->failed)
		return;
	ini->failed = true;
	ini->fail_line = line;
	vsnprintf(what, sizeof(what), fmt, ap);
	if (line > 0)
		snprintf(at, sizeof(at), ":%d", line);
	if (key && ini->section[0])
		snprintf(where, sizeof(where), "[%s] %s: ", ini->section, key);
	else if (key)
		snprintf(where, sizeof(where), "%s: ", key);
	else if (ini->section[0])
		snprintf(where, sizeof(where), "[%s]: ", ini->section);
	snprintf(ini->err, ini->errlen, "%s%s: %s%s", ini->path, at, where, what);
}

void kc_ini_fail_at(struct kc_ini *ini, int line, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ini_vfail(ini, line, key, fmt, ap);
	va_end(ap);
}

void kc_ini_fail(struct kc_ini *ini, const char *key, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ini_vfail(ini, ini->line, key, fmt, ap);
	va_end(ap);
}

/* A "[...]" line: the header becomes the current section, and the spec's
 * section hook sees it before inih hands over any key under it. */
static void ini_header(struct kc_ini *ini, const char *p)
{
	const char *end = strchr(p, ']');
	size_t len;

	if (!end)
		return;
	len = (size_t)(end - p - 1);
	if (len >= sizeof(ini->section)) {
		kc_ini_fail(ini, NULL, "section name too long");
		return;
	}
	if (ini->spec->section_end && !ini->failed)
		ini->spec->section_end(ini);
	memcpy(ini->section, p + 1, len);
	ini->section[len] = '\0';
	if (ini->spec->section && !ini->failed)
		ini->spec->section(ini, ini->section);
}

/* The reader inih calls once a line. */
static char *ini_read_line(char *str, int num, void *stream)
{
	struct kc_ini *ini = stream;
	ssize_t n = getline(&ini->buf, &ini->bufsz, ini->f);
	char *p;

	if (n < 0)
		return NULL;
	ini->line++;
	if (n >= num - 1)
		kc_ini_fail(ini, NULL, "line longer than %d characters", num - 2);
	p = ini->buf;
	if (ini->line == 1 && (unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB &&
	    (unsigned char)p[2] == 0xBF)
		p += 3;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '[')
		ini_header(ini, p);
	kc_strlcpy(str, ini->buf, (size_t)num);
	return str;
}

static int ini_on_key(void *user, const char *section, const char *name, const char *value)
{
	struct kc_ini *ini = user;

	(void)section; /* the reader's copy, in ini->section */
	if (!ini->failed)
		ini->spec->key(ini, name, value);
	return !ini->failed;
}

int kc_ini_load(const char *path, const struct kc_ini_spec *spec, void *user, char *err,
		size_t errlen)
{
	struct kc_ini ini = { .path = path, .user = user, .err = err, .errlen = errlen,
			      .spec = spec };
	int r;

	ini.f = fopen(path, "r");
	if (!ini.f) {
		r = -errno;
		snprintf(err, errlen, "%s: %s%s", path, spec->cannot_open, strerror(-r));
		return r;
	}
	r = ini_parse_stream(ini_read_line, &ini, ini_on_key, &ini);
	/* inih tells the first bad line once it is through: it comes before
	 * what the hooks found, or is where they found it */
	if (r > 0 && (!ini.failed || r < ini.fail_line)) {
		ini.failed = false;
		ini.section[0] = '\0';
		kc_ini_fail_at(&ini, r, NULL, "%s", spec->syntax);
	}
	if (!ini.failed && ferror(ini.f)) {
		ini.section[0] = '\0';
		kc_ini_fail_at(&ini, 0, NULL, "cannot read the file");
	}
	if (!ini.failed && spec->section_end)
		spec->section_end(&ini);
	if (!ini.failed && spec->end)
		spec->end(&ini);
	fclose(ini.f);
	free(ini.buf);
	return ini.failed ? -EINVAL : 0;
}

const struct kc_ini_key *kc_ini_find(const struct kc_ini_key *keys, size_t n,
				     const char *section, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].section, section) == 0 && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* "a, b or c" from the names in list (n of them, or up to a NULL). */
static void ini_join(char *out, size_t len, const char *const *list, size_t n,
		     const char *last)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && list[i] && used < len; i++) {
		const char *sep = i == 0 ? "" : (i + 1 == n || !list[i + 1]) ? last : ", ";
		int w = snprintf(out + used, len - used, "%s%s", sep, list[i]);

		if (w < 0)
			break;
		used += (size_t)w;
	}
}

static int ini_unknown(struct kc_ini *ini, const struct kc_ini_key *keys, size_t n,
		       const char *section, const char *name)
{
	const char *names[64];
	char known[512];
	size_t k = 0;

	for (size_t i = 0; i < n && k < KC_ARRAY_SIZE(names); i++)
		if (strcmp(keys[i].section, section) == 0)
			names[k++] = keys[i].name;
	if (k == 0) {
		kc_ini_fail(ini, name, "unknown key");
		return -EINVAL;
	}
	ini_join(known, sizeof(known), names, k, ", ");
	kc_ini_fail(ini, name, "unknown key (known: %s)", known);
	return -EINVAL;
}

static int ini_number(struct kc_ini *ini, const struct kc_ini_key *k, const char *value,
		      long long *out)
{
	int r = kc_parse_long(value, k->min, k->max, out);

	if (r == -ERANGE)
		kc_ini_fail(ini, k->name, "%s is out of range (%lld to %lld)", value, k->min, k->max);
	else if (r < 0)
		kc_ini_fail(ini, k->name, "\"%s\" is not a whole number", value);
	return r < 0 ? -EINVAL : 0;
}

static int ini_duration(struct kc_ini *ini, const struct kc_ini_key *k, const char *value,
			int64_t *out)
{
	int r = kc_parse_duration(value, k->min, k->max, out);

	if (r == -ERANGE)
		kc_ini_fail(ini, k->name, "\"%s\" is out of range (%lld ms to %lld ms)", value,
			    k->min, k->max);
	else if (r < 0)
		kc_ini_fail(ini, k->name,
			    "\"%s\" is not a duration (e.g. 10s, 5m, 2h, 7d, 500ms)", value);
	return r < 0 ? -EINVAL : 0;
}

static int ini_text(struct kc_ini *ini, const struct kc_ini_key *k, const char *value, char *out)
{
	if (strlen(value) >= (size_t)k->max) {
		kc_ini_fail(ini, k->name, "longer than %lld characters", k->max - 1);
		return -EINVAL;
	}
	if (k->min > 0 && value[0] == '\0') {
		kc_ini_fail(ini, k->name, "must not be empty");
		return -EINVAL;
	}
	kc_strlcpy(out, value, (size_t)k->max);
	return 0;
}

static int ini_choice(struct kc_ini *ini, const struct kc_ini_key *k, const char *value, int *out)
{
	char say[256];

	for (int i = 0; k->choices[i]; i++)
		if (strcmp(k->choices[i], value) == 0) {
			*out = i;
			return 0;
		}
	ini_join(say, sizeof(say), k->choices, SIZE_MAX, " or ");
	kc_ini_fail(ini, k->name, "\"%s\": say %s", value, say);
	return -EINVAL;
}

int kc_ini_set(struct kc_ini *ini, const struct kc_ini_key *keys, size_t n, const char *section,
	       void *base, const char *name, const char *value)
{
	const struct kc_ini_key *k = kc_ini_find(keys, n, section, name);
	void *dst;
	long long v;
	int64_t ms;
	int r;

	if (!k)
		return ini_unknown(ini, keys, n, section, name);
	dst = (char *)base + k->offset;
	switch (k->type) {
	case KC_INI_INT:
	case KC_INI_LONG:
		r = ini_number(ini, k, value, &v);
		if (r == 0 && k->type == KC_INI_INT)
			*(int *)dst = (int)v;
		else if (r == 0)
			*(int64_t *)dst = v;
		return r;
	case KC_INI_MS:
		return ini_duration(ini, k, value, dst);
	case KC_INI_MS_INT:
		r = ini_duration(ini, k, value, &ms);
		if (r == 0)
			*(int *)dst = (int)ms;
		return r;
	case KC_INI_BOOL:
		if (kc_parse_bool(value, dst) < 0) {
			kc_ini_fail(ini, k->name, "\"%s\" is not yes or no", value);
			return -EINVAL;
		}
		return 0;
	case KC_INI_TEXT:
		return ini_text(ini, k, value, dst);
	case KC_INI_CHOICE:
		return ini_choice(ini, k, value, dst);
	case KC_INI_FUNC:
		return k->set(ini, k, base, value);
	}
	return -EINVAL;
}

void kc_ini_defaults(const struct kc_ini_key *keys, size_t n, const char *section, void *base)
{
	for (size_t i = 0; i < n; i++) {
		const struct kc_ini_key *k = &keys[i];
		void *dst = (char *)base + k->offset;

		if (section && strcmp(k->section, section) != 0)
			continue;
		switch (k->type) {
		case KC_INI_INT:
		case KC_INI_MS_INT:
		case KC_INI_CHOICE:
			*(int *)dst = (int)k->def;
			break;
		case KC_INI_LONG:
		case KC_INI_MS:
			*(int64_t *)dst = k->def;
			break;
		case KC_INI_BOOL:
			*(bool *)dst = k->def != 0;
			break;
		case KC_INI_TEXT:
			if (k->text_def)
				kc_strlcpy(dst, k->text_def, (size_t)k->max);
			break;
		case KC_INI_FUNC:
			break;
		}
	}
}
