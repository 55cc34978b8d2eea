/* The sites an account reads (its scope, kc_scope_*): an admin, or an
 * account with no site listed, reads every site; an account limited to
 * sites reads those and their cabinets (the cabinets that registered one
 * of them or hold a key of one). The reports, pages, exports and API
 * routes read through one scope: a row of another site is left out, and
 * asking for another site or cabinet by name is refused. */
#ifndef KC_SERVICE_SCOPE_H
#define KC_SERVICE_SCOPE_H
#include <jansson.h>
#include <stdbool.h>

#include "service/auth.h"
#include "service/query.h"
#include "service/store.h"

struct kc_scope {
	bool limited;	 /* false: every site */
	json_t *sites;	 /* {"site": true} of a limited scope */
	json_t *cabinets; /* {"cabinet": true} */
	char *sites_json; /* the sites as a JSON array, bound to queries */
	char *cabinets_json;
};

/* The scope of user in role: 0, -EIO, -ENOMEM. kc_scope_free after. */
int kc_scope_load(struct kc_db *db, const char *user, enum kc_role role, struct kc_scope *out);
void kc_scope_free(struct kc_scope *s);
/* Whether s (NULL: every site) lets its account read site, cabinet. */
bool kc_scope_site(const struct kc_scope *s, const char *site);
bool kc_scope_cabinet(const struct kc_scope *s, const char *cabinet);
/* Appends to q the condition that keeps the scope's rows only: with both
 * columns, a row of one of its sites, or one that names no site from one
 * of its cabinets (a row of its site from the office chain is kept, a
 * cabinet's own row without a site is kept for that cabinet's sites);
 * with one column, a row of one of its sites or cabinets. Nothing for
 * every site. */
void kc_scope_query(struct kc_query *q, const struct kc_scope *s, const char *site_col, const char *cab_col);

#endif
