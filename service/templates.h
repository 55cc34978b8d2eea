/* Notice templates: "{name}" placeholders filled from a JSON object's
 * string members (service/notify.c renders, service/config.c checks what
 * [templates] gives). */
#ifndef KC_SERVICE_TEMPLATES_H
#define KC_SERVICE_TEMPLATES_H
#include <stddef.h>

/* Replaces {name} in tmpl with the string members of fields; unknown
 * names are an error (-EINVAL, with the name in err). malloc'd result. */
int kc_template_render(const char *tmpl, const void *fields_json, char **out, char *err, size_t errlen);
/* 0 when tmpl uses only the fields a notice can have; else -EINVAL (or
 * -ENOMEM) with the reason in err. */
int kc_template_check(const char *tmpl, char *err, size_t errlen);

#endif
