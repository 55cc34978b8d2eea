/* SQL built from fixed fragments, every value bound. A value is bound
 * either with the fragment that holds its one "?" (kc_query_str,
 * kc_query_int: one bind per placeholder, in the order of the text), or
 * by name for a ":name" placeholder the SQL uses more than once
 * (kc_query_set_str, kc_query_set_int). A query never borrows another
 * query's binds: kc_query_append copies a part's SQL and its values
 * together. */
#ifndef KC_SERVICE_QUERY_H
#define KC_SERVICE_QUERY_H
#include <stdint.h>

#include "service/store.h"

#define KC_QUERY_ARGS 32

struct kc_query {
	char sql[4096];
	size_t len;
	int n;
	struct {
		const char *name;	/* ":name", or NULL for a "?" */
		int is_int;
		int64_t i;
		const char *s;
	} args[KC_QUERY_ARGS];
	int overflow;
};

void kc_query_add(struct kc_query *q, const char *frag);
/* frag holds one "?", bound to v (NULL binds NULL). */
void kc_query_str(struct kc_query *q, const char *frag, const char *v);
void kc_query_int(struct kc_query *q, const char *frag, int64_t v);
/* The value of the named placeholder name (":site") wherever it appears. */
void kc_query_set_str(struct kc_query *q, const char *name, const char *v);
void kc_query_set_int(struct kc_query *q, const char *name, int64_t v);
/* Appends part's SQL and its "?" values (a filter shared by queries). */
void kc_query_append(struct kc_query *q, const struct kc_query *part);
/* Prepares q with every value bound; NULL when q overflowed, SQLite
 * refuses it, or its placeholders and values do not match one to one. */
sqlite3_stmt *kc_query_prepare(struct kc_db *db, const struct kc_query *q);

#endif
