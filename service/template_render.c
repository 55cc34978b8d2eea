#include "service/template_render.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kc_template_render(const char *tmpl, const void *fields_json, char **out, char *err, size_t errlen)
{
	const json_t *fields = fields_json;
	size_t cap = strlen(tmpl) + 64, len = 0;
	char *buf = malloc(cap);
	const char *p = tmpl;

	if (!buf)
		return -ENOMEM;
	while (*p) {
		const char *val = NULL, *close;
		char name[64];
		size_t n;

		if (*p == '{' && (close = strchr(p, '}')) && (size_t)(close - p - 1) < sizeof(name)) {
			const json_t *v;

			n = (size_t)(close - p - 1);
			memcpy(name, p + 1, n);
			name[n] = '\0';
			v = json_object_get(fields, name);
			if (!v) {
				snprintf(err, errlen, "unknown placeholder {%s}", name);
				free(buf);
				return -EINVAL;
			}
			val = json_is_string(v) ? json_string_value(v) : "-";
			p = close + 1;
		}
		n = val ? strlen(val) : 1;
		if (len + n + 1 > cap) {
			char *nb;

			cap = (len + n + 1) * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
		}
		if (val) {
			memcpy(buf + len, val, n);
			len += n;
		} else {
			buf[len++] = *p++;
		}
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}
