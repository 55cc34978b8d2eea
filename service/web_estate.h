/* The estate's pages (/estate/...): what web_estate.c (the pages'
 * frame, forms and actions, people), web_estate_places.c (sites, units,
 * keys) and web_estate_cabinets.c (settings, cabinets) share. */
#ifndef KC_SERVICE_WEB_ESTATE_H
#define KC_SERVICE_WEB_ESTATE_H
#include <jansson.h>
#include <stdbool.h>

#include "service/estate.h"
#include "service/estate_impl.h"
#include "service/http_impl.h"
#include "service/sbuf.h"

/* One page being answered. */
struct est_page {
	struct call *k;
	struct kc_web_page pg;
	char csrf[65];
	struct kc_estate_ctx x;
	bool admin;
	struct sbuf *b;
};

/* A page's body after its head and what was done (web_estate*.c): 0,
 * -EIO on a database error. */
int web_estate_people(struct est_page *p);
int web_estate_sites(struct est_page *p);
int web_estate_keys(struct est_page *p);
int web_estate_settings(struct est_page *p);
int web_estate_cabinets(struct est_page *p);

/* The text of the page's language. */
#define ET(p, s) kc_web_t(&(p)->pg, s)

/* A form posting action to the page at path, with the form token; its
 * end. */
void est_form(struct est_page *p, const char *path, const char *action, const char *cls);
void est_form_end(struct est_page *p, const char *button);
void est_hidden(struct est_page *p, const char *name, const char *value);
/* A labelled input (type "text", "number", ...; value NULL for none). */
void est_input(struct est_page *p, const char *label, const char *name, const char *value, const char *type);
/* A labelled select of choices ([[value, label], ...]), cur selected;
 * with blank, a first empty choice (unchanged). */
void est_select(struct est_page *p, const char *label, const char *name, const json_t *choices, const char *cur,
		bool blank);
/* The choices of a word list (kinds, roles), as words of the page. */
json_t *est_word_choices(struct est_page *p, const char *ctx, const char *const *codes, size_t n);
/* The registered sites as choices [[site, name], ...]; NULL on an error. */
json_t *est_site_choices(struct est_page *p);
/* The name of site among choices (site itself when not there). */
const char *est_site_name(const json_t *choices, const char *site);
/* A time of wall_ms in the zone of site (NULL: the office's default). */
void est_time(struct est_page *p, const char *site, int64_t wall_ms, char *out, size_t len);
/* A table's start with its column headers (msgids, NULL-terminated). */
void est_table(struct est_page *p, const char *cls, const char *const *cols);
/* A row's start, <tr data-what="code">. */
void est_tr(struct est_page *p, const char *what, const char *code);
/* A cell's start, labelled for the phone layout. */
void est_td(struct est_page *p, const char *label);

#endif
