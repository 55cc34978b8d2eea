/* Notice templates: "{name}" placeholders (template_render.h, which
 * service/notify.c renders with), checked against the fields
 * each notice kind has (service/notice.c), read from the files an admin
 * edits ([templates] dir: <kind>.<lang>.txt) over the built-in ones, which
 * are the shipped files of service/templates/. */
#ifndef KC_SERVICE_TEMPLATES_H
#define KC_SERVICE_TEMPLATES_H
#include <stddef.h>

#include "service/notice.h"
#include "service/template_render.h"

/* 0 when tmpl names only fields a notice of kind k has; else -EINVAL with
 * "line N: ..." in err (N counted from first_line), or -ENOMEM. */
int kc_template_check(enum kc_notice_kind k, const char *tmpl, int first_line, char *err, size_t errlen);

/* The shipped templates (made at build time from service/templates/). */
struct kc_template_default {
	const char *kind, *lang, *text;
};
extern const struct kc_template_default kc_template_defaults[];
extern const size_t kc_template_ndefaults;
/* The built-in template of kind k in lang ("zh", "en"); "" when none. */
const char *kc_template_default(enum kc_notice_kind k, const char *lang);

/* Reads the template file path of kind k (its first lines, those starting with #, left out;
 * the rest joined by new lines, the last new line dropped) and checks it.
 * 0 with the malloc'd text in *out; -ENOENT when there is no such file;
 * else -errno with "PATH:LINE: what is wrong" in err. */
int kc_template_read(enum kc_notice_kind k, const char *path, char **out, char *err, size_t errlen);

#endif
