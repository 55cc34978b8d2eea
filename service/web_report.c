/* kc_web_report: a report's page, by the page of its report (web_<name>.c)
 * or as tables (web_table.c). */
#include "service/web.h"

#include <string.h>

/* The reports with a page of their own; print: only on the printable page. */
static const struct {
	const char *name;
	int print;
	char *(*page)(const json_t *report, const struct kc_web_page *pg);
} pages[] = {
	{ "vacant", 1, kc_web_vacant_sheet },
	{ "keylog", 0, kc_web_keylog },
	{ "problems", 0, kc_web_problems },
	{ "handovers", 0, kc_web_handovers },
	{ "receipt", 0, kc_web_receipt },
};

char *kc_web_report(const json_t *report, const struct kc_web_page *pg)
{
	const char *name = json_string_value(json_object_get(report, "report"));

	for (size_t i = 0; name && i < sizeof(pages) / sizeof(pages[0]); i++)
		if (strcmp(name, pages[i].name) == 0 && (!pages[i].print || pg->print))
			return pages[i].page(report, pg);
	return kc_web_table(report, pg);
}
