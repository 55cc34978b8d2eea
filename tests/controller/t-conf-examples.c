/* The example configurations in systemd/ against the tables their programs
 * read: every key of keycabd's (controller/conf.c), keycab-kiosk's
 * (controller/kiosk/conf.c) and keyauditd's (service/config.c) table is in
 * its example, set or commented out (";key = value"), under its section;
 * every key an example shows is in the table; keyauditd takes each value
 * its example shows, and the example names every notice kind its
 * [templates] keys are made of. A key added without documenting fails
 * here. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ini.h"
#include "common/util.h"
#include "controller/conf.h"
#include "controller/kiosk/kiosk.h"
#include "service/config.h"
#include "service/notice.h"

#define EX_MAX 256

struct example_key {
	char section[KC_INI_SECTION_MAX];
	char name[80];
	char value[512];
	int line;
};

struct example {
	char path[512];
	struct example_key keys[EX_MAX];
	int n;
	char *text; /* the whole file */
};

static int fails;

static void fail(const struct example *ex, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fail(const struct example *ex, int line, const char *fmt, ...)
{
	va_list ap;

	if (line)
		printf("FAIL - %s:%d: ", ex->path, line);
	else
		printf("FAIL - %s: ", ex->path);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fails++;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* a byte of a UTF-8 sequence (not ASCII) */
static bool utf8_byte(char c)
{
	return (unsigned char)c >= 0x80;
}

/* A key line: "name = value", or commented out: ";name = value" (a ';' or
 * '#' and the name at once; prose comments have a space after the ';'). */
static bool key_line(char *line, struct example_key *k)
{
	char *eq, *name = line;

	if (*name == ';' || *name == '#') {
		name++;
		if (!(*name >= 'a' && *name <= 'z') && !utf8_byte(*name))
			return false;
	}
	eq = strchr(name, '=');
	if (!eq)
		return false;
	*eq = '\0';
	name = trim(name);
	if (!*name)
		return false;
	/* a name is lower-case ASCII, or a name in Chinese ([departments] 工程部) */
	for (const char *c = name; *c; c++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_.", *c) && !utf8_byte(*c))
			return false;
	kc_strlcpy(k->name, name, sizeof(k->name));
	kc_strlcpy(k->value, trim(eq + 1), sizeof(k->value));
	return true;
}

static void example_read(struct example *ex, const char *file)
{
	const char *src = getenv("KEYCAB_SRC");
	char line[1024], section[KC_INI_SECTION_MAX] = "";
	size_t cap = 0, len = 0;
	int n = 0;
	FILE *f;

	memset(ex, 0, sizeof(*ex));
	snprintf(ex->path, sizeof(ex->path), "%s/%s", src ? src : ".", file);
	f = fopen(ex->path, "r");
	if (!f) {
		perror(ex->path);
		exit(2);
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = trim(line);
		size_t l = strlen(line);

		n++;
		if (len + l + 2 > cap) {
			cap = (len + l + 2) * 2;
			ex->text = realloc(ex->text, cap);
			if (!ex->text)
				exit(2);
		}
		memcpy(ex->text + len, line, l);
		len += l;
		ex->text[len++] = '\n';
		ex->text[len] = '\0';
		/* a section header, or one commented out (";[channel desk]") */
		if (*s == '[' || ((*s == ';' || *s == '#') && s[1] == '[')) {
			char *end = strchr(s, ']');

			if (end)
				*end = '\0';
			kc_strlcpy(section, s + (*s == '[' ? 1 : 2), sizeof(section));
			continue;
		}
		if (ex->n < EX_MAX && key_line(s, &ex->keys[ex->n])) {
			kc_strlcpy(ex->keys[ex->n].section, section, sizeof(ex->keys[ex->n].section));
			ex->keys[ex->n].line = n;
			ex->n++;
		}
	}
	fclose(f);
}

static const struct example_key *example_find(const struct example *ex, const char *section,
					      const char *name)
{
	for (int i = 0; i < ex->n; i++)
		if (strcmp(ex->keys[i].section, section) == 0 && strcmp(ex->keys[i].name, name) == 0)
			return &ex->keys[i];
	return NULL;
}

/* An INI table (common/ini.h) and its example, both ways. */
static void check_ini_table(const char *file, const char *table, const struct kc_ini_key *keys,
			    size_t n)
{
	struct example ex;
	int before = fails;

	example_read(&ex, file);
	for (size_t i = 0; i < n; i++)
		if (!example_find(&ex, keys[i].section, keys[i].name))
			fail(&ex, 0, "[%s] %s is in %s's table but not in the example", keys[i].section,
			     keys[i].name, table);
	for (int i = 0; i < ex.n; i++)
		if (!kc_ini_find(keys, n, ex.keys[i].section, ex.keys[i].name))
			fail(&ex, ex.keys[i].line, "[%s] %s is no key of %s", ex.keys[i].section,
			     ex.keys[i].name, table);
	if (fails == before)
		printf("ok   - %s: the %zu keys of %s, each in the example, and no other\n", file, n,
		       table);
	free(ex.text);
}

/* keyauditd's table; each value the example shows is taken as it is. */
static void check_service(void)
{
	const char *file = "systemd/keyauditd.conf.example";
	size_t n;
	const struct kc_config_key *keys = kc_config_keys(&n);
	struct example ex;
	int before = fails;
	const char *tmpl;

	example_read(&ex, file);
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (int j = 0; j < ex.n && !seen; j++)
			seen = kc_config_section_is(ex.keys[j].section, keys[i].section) &&
			       (!keys[i].name || strcmp(ex.keys[j].name, keys[i].name) == 0);
		if (!seen)
			fail(&ex, 0, "[%s] %s is in service/config.c's table but not in the example",
			     keys[i].section, keys[i].name ? keys[i].name : "(any)");
	}
	for (int i = 0; i < ex.n; i++) {
		struct kc_audit_config cfg;
		char err[256] = "";

		if (kc_config_defaults(&cfg) < 0)
			exit(2);
		if (kc_config_set(&cfg, ex.keys[i].section, ex.keys[i].name, ex.keys[i].value, err,
				  sizeof(err)) < 0)
			fail(&ex, ex.keys[i].line, "[%s] %s = %s: keyauditd says: %s", ex.keys[i].section,
			     ex.keys[i].name, ex.keys[i].value, err);
		kc_config_free(&cfg);
	}
	/* [templates]' keys are <kind>.zh and <kind>.en: every kind named */
	tmpl = strstr(ex.text, "[templates]");
	for (int k = 0; k < KC_NOTICE_KINDS; k++)
		if (!tmpl || !strstr(tmpl, kc_notice_kind_name(k)))
			fail(&ex, 0, "[templates] does not name the notice kind %s",
			     kc_notice_kind_name(k));
	if (fails == before)
		printf("ok   - %s: the %zu keys of service/config.c's table, each in the example, "
		       "every value taken, every notice kind named\n", file, n);
	free(ex.text);
}

int main(void)
{
	size_t n;
	const struct kc_ini_key *keys;

	keys = kc_ctl_conf_keys(&n);
	check_ini_table("systemd/keycabd.conf.example", "controller/conf.c", keys, n);
	keys = kiosk_conf_keys(&n);
	check_ini_table("systemd/keycab-kiosk.conf.example", "controller/kiosk/conf.c", keys, n);
	check_service();
	if (fails)
		printf("%d checks failed\n", fails);
	return fails ? 1 : 0;
}
