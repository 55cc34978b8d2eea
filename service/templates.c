#include "service/templates.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "common/util.h"

const char *kc_template_default(enum kc_notice_kind k, const char *lang)
{
	for (size_t i = 0; i < kc_template_ndefaults; i++)
		if (strcmp(kc_template_defaults[i].kind, kc_notice_kind_name(k)) == 0 &&
		    strcmp(kc_template_defaults[i].lang, lang) == 0)
			return kc_template_defaults[i].text;
	return "";
}

int kc_template_check(enum kc_notice_kind k, const char *tmpl, int first_line, char *err, size_t errlen)
{
	int line = first_line;

	for (const char *p = tmpl; *p; p++) {
		const char *close;
		char fields[256];

		if (*p == '\n')
			line++;
		if (*p != '{')
			continue;
		close = strpbrk(p + 1, "{}\n");
		if (!close || *close != '}') {
			snprintf(err, errlen, "line %d: a { with no } after it on its line", line);
			return -EINVAL;
		}
		if (!kc_notice_field_known(k, p + 1, (size_t)(close - p - 1))) {
			kc_notice_field_list(k, fields, sizeof(fields));
			snprintf(err, errlen, "line %d: unknown field {%.*s}; notices of kind %s have: %s", line,
				 (int)(close - p - 1 < 64 ? close - p - 1 : 64), p + 1, kc_notice_kind_name(k),
				 fields);
			return -EINVAL;
		}
		p = close;
	}
	return 0;
}

int kc_template_read(enum kc_notice_kind k, const char *path, char **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *text = NULL, *line = NULL, why[384];
	size_t len = 0, cap = 0;
	ssize_t n;
	int r = 0, lineno = 0, first = 0;

	if (!f) {
		if (errno == ENOENT)
			return -ENOENT;
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		char *t;

		lineno++;
		if (line[0] == '#' && !first)
			continue;
		if (!first)
			first = lineno;
		t = realloc(text, len + (size_t)n + 1);
		if (!t) {
			r = -ENOMEM;
			snprintf(err, errlen, "%s: out of memory", path);
			goto out;
		}
		text = t;
		memcpy(text + len, line, (size_t)n);
		len += (size_t)n;
		text[len] = '\0';
	}
	if (ferror(f)) {
		r = -EIO;
		snprintf(err, errlen, "%s: cannot be read", path);
		goto out;
	}
	if (!text || len == 0 || (len == 1 && text[0] == '\n')) {
		r = -EINVAL;
		snprintf(err, errlen, "%s:%d: the template is empty", path, lineno);
		goto out;
	}
	if (text[len - 1] == '\n')
		text[--len] = '\0';
	r = kc_template_check(k, text, first, why, sizeof(why));
	if (r < 0) {
		snprintf(err, errlen, "%s:%s", path, why + strlen("line "));
		goto out;
	}
	*out = text;
	text = NULL;
out:
	free(line);
	free(text);
	fclose(f);
	return r;
}
