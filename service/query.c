/* The reports' query builder (service/query.h). */
#include "service/query.h"

#include <string.h>

#include "common/util.h"

void kc_query_add(struct kc_query *q, const char *frag)
{
	size_t n = strlen(frag);

	if (q->len + n + 1 > sizeof(q->sql)) {
		q->overflow = 1;
		return;
	}
	memcpy(q->sql + q->len, frag, n + 1);
	q->len += n;
}

static void query_arg(struct kc_query *q, const char *name, int is_int, int64_t i, const char *s)
{
	if (q->n == KC_QUERY_ARGS) {
		q->overflow = 1;
		return;
	}
	q->args[q->n].name = name;
	q->args[q->n].is_int = is_int;
	q->args[q->n].i = i;
	q->args[q->n++].s = s;
}

void kc_query_str(struct kc_query *q, const char *frag, const char *v)
{
	kc_query_add(q, frag);
	query_arg(q, NULL, 0, 0, v);
}

void kc_query_int(struct kc_query *q, const char *frag, int64_t v)
{
	kc_query_add(q, frag);
	query_arg(q, NULL, 1, v, NULL);
}

void kc_query_set_str(struct kc_query *q, const char *name, const char *v)
{
	query_arg(q, name, 0, 0, v);
}

void kc_query_set_int(struct kc_query *q, const char *name, int64_t v)
{
	query_arg(q, name, 1, v, NULL);
}

void kc_query_append(struct kc_query *q, const struct kc_query *part)
{
	kc_query_add(q, part->sql);
	for (int i = 0; i < part->n; i++) {
		if (!part->args[i].name)
			query_arg(q, NULL, part->args[i].is_int, part->args[i].i, part->args[i].s);
	}
	q->overflow |= part->overflow;
}

/* The value for placeholder name (NULL: the next "?" value after *next). */
static int query_find(const struct kc_query *q, const char *name, int *next)
{
	for (int i = name ? 0 : *next; i < q->n; i++) {
		if (!name && !q->args[i].name) {
			*next = i + 1;
			return i;
		}
		if (name && q->args[i].name && strcmp(q->args[i].name, name) == 0)
			return i;
	}
	return -1;
}

sqlite3_stmt *kc_query_prepare(struct kc_db *db, const struct kc_query *q)
{
	int next = 0, used = 0, nparams;
	sqlite3_stmt *st;

	if (q->overflow || sqlite3_prepare_v2(db->h, q->sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	nparams = sqlite3_bind_parameter_count(st);
	for (int p = 1; p <= nparams; p++) {
		const char *name = sqlite3_bind_parameter_name(st, p);
		int a = query_find(q, name && name[0] != '?' ? name : NULL, &next);

		if (a < 0)
			goto mismatch;
		used++;
		if (q->args[a].is_int)
			sqlite3_bind_int64(st, p, q->args[a].i);
		else
			kc_bind_text(st, p, q->args[a].s);
	}
	if (used != q->n)
		goto mismatch;
	return st;
mismatch:
	sqlite3_finalize(st);
	return NULL;
}
