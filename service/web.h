/* Server-rendered HTML pages for supervisors: no scripts, no external
 * assets, printable (a print style sheet, and ?print=1 drops the forms).
 * A report's times are shown in its zone (its "time_zone"). */
#ifndef KC_SERVICE_WEB_H
#define KC_SERVICE_WEB_H
#include <jansson.h>

struct kc_web_page {
	const char *user;
	const char *role;
	const char *csrf;	/* token the forms carry */
	int print;
};

/* malloc'd HTML, NULL on allocation failure */
char *kc_web_report(const json_t *report, const struct kc_web_page *pg);
char *kc_web_index(const struct kc_web_page *pg);
char *kc_web_login(const char *message);
char *kc_web_message(const struct kc_web_page *pg, const char *title, const char *message);

#endif
