/* "{name}" placeholders filled from a JSON object's string members: the
 * notices' texts (service/templates.c, notify.c) and the key log's
 * sentences (keylog_text.c). It knows nothing of notice kinds. */
#ifndef KC_SERVICE_TEMPLATE_RENDER_H
#define KC_SERVICE_TEMPLATE_RENDER_H
#include <stddef.h>

/* Replaces {name} in tmpl with the string members of fields; unknown
 * names are an error (-EINVAL, with the name in err). malloc'd result. */
int kc_template_render(const char *tmpl, const void *fields_json, char **out, char *err, size_t errlen);

#endif
