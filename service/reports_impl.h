/* What the reports (report_<name>.c) share: the context of one run, its
 * parameters, sections and rows (reports.c), and the query builder. */
#ifndef KC_SERVICE_REPORTS_IMPL_H
#define KC_SERVICE_REPORTS_IMPL_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"
#include "service/query.h"
#include "service/reports.h"
#include "service/store.h"
#include "service/zone.h"

struct kc_report_col {
	const char *name;
	const char *en; /* its heading: a msgid of the "keycab" catalogue */
	char type; /* 's' as is, 't' ms -> time, 'j' JSON text -> value, 'b' 0/1 -> bool */
};

struct kc_report_ctx {
	struct kc_db *db;
	const struct kc_params *p;
	int64_t now;
	json_t *rep;
	char *err;
	size_t errlen;
	int64_t page, page_size;
	/* the zone of the site or cabinet asked for (every cabinet's, when
	 * they share one; else the default): from, to and month are read in
	 * it, and pages show times in it */
	const struct kc_zone *zone;
	/* how the report runs (reports.h): a page, a printable page of every
	 * row up to KC_PRINT_MAX, or an export whose section's rows are
	 * prepared in export->st rather than read */
	enum kc_report_mode mode;
	struct kc_report_export *export;
	enum kc_lang lang; /* of the texts the report writes (kc_params.english) */
};

/* The name a person.registered event gave the person in column col
 * (SQL, a scalar subquery). */
#define KC_PERSON_NAME_SQL(col)                                                                    \
	"(SELECT json_extract(p.body, '$.data.name') FROM events p INDEXED BY events_type"          \
	" WHERE p.type = 'person.registered' AND p.person = " col " ORDER BY p.ts_ms DESC LIMIT 1)"

/* The reports, one a file. Each returns 0, -EINVAL (a sentence in c->err)
 * or -EIO. */
int kc_report_keylog(struct kc_report_ctx *c);
int kc_report_now(struct kc_report_ctx *c);
int kc_report_entrustments(struct kc_report_ctx *c);
int kc_report_vacant(struct kc_report_ctx *c);
int kc_report_handovers(struct kc_report_ctx *c);
int kc_report_chain(struct kc_report_ctx *c);
int kc_report_problems(struct kc_report_ctx *c);
int kc_report_deliveries(struct kc_report_ctx *c);
int kc_report_receipt(struct kc_report_ctx *c);
/* The problems of site (NULL: every site) not yet resolved, whenever
 * found, with their follow-up state and age: a section "unresolved"
 * (columns as the problems report's), up to KC_PRINT_MAX rows. */
int kc_report_problems_unresolved(struct kc_report_ctx *c, const char *site);

/* A query parameter (recorded in the report's params), NULL when absent
 * or empty. */
const char *kc_report_param(struct kc_report_ctx *c, const char *name);
/* Writes the sentence to c->err; returns -EINVAL. */
int kc_report_bad(struct kc_report_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A time in the report's zone (kc_zone_parse): 1 with *out set, 0 when
 * absent, -EINVAL when malformed. as KC_DAY_START reads a "from": a date
 * from its local midnight. KC_DAY_END reads a "to", an exclusive end that
 * holds what was typed: a date up to the next local midnight, a local time
 * to the end of its minute (or second, or millisecond, as given); a UTC
 * time (with Z) is the end itself. */
int kc_report_param_time(struct kc_report_ctx *c, const char *name, enum kc_day_as as, int64_t *out);
/* The zone of a site (its cabinets') and of a cabinet (the time_zone its
 * controller.started events named last; an epoch CAB~N is CAB's), or the
 * default zone when they named none. */
/* "1栋103": a unit (?1) of a site (?2) as people name it, from its
 * building and room; its code when it has neither. */
extern const char kc_report_unit_label_sql[];
extern const char kc_report_estate_unit_label_sql[];
const struct kc_zone *kc_report_site_zone(struct kc_db *db, const char *site);
const struct kc_zone *kc_report_cabinet_zone(struct kc_db *db, const char *cabinet);
int kc_report_param_int(struct kc_report_ctx *c, const char *name, long long min, long long max, int64_t *out);
/* 0 (*out NULL when absent), -EINVAL when too long. */
int kc_report_param_name(struct kc_report_ctx *c, const char *name, const char **out);
/* page and page_size into c. */
int kc_report_paging(struct kc_report_ctx *c);
/* Filters shared by several reports: site (on column site_col) and
 * cabinet, and the reader's scope on both, appended to q. */
int kc_report_site_cabinet(struct kc_report_ctx *c, struct kc_query *q, const char *site_col, const char **site,
			   const char **cabinet);

/* A new section (appended to the report) with cols as its columns; en,
 * its title, and the columns' headings are msgids of the "keycab"
 * catalogue, whose Chinese the report holds beside them. */
json_t *kc_report_section(struct kc_report_ctx *c, const char *name, const char *en,
			  const struct kc_report_col *cols);
/* A column of a section: {"name", "en", "zh"}, the Chinese the catalogue's. */
json_t *kc_report_column(const char *name, const char *en);
/* Column i of the row as a JSON value of the column's type. */
json_t *kc_report_cell(sqlite3_stmt *st, int i, char type);
/* Runs q and appends its rows (one column per col) to sec. */
int kc_report_fill(struct kc_report_ctx *c, json_t *sec, const struct kc_query *q, const struct kc_report_col *cols);
/* The count(*) q selects (0 in an export, which shows no total), or -EIO. */
int64_t kc_report_count(struct kc_report_ctx *c, const struct kc_query *q);
void kc_report_set_paging(struct kc_report_ctx *c, json_t *sec, int64_t total);
/* Fills sec with the page of select + filter + order (SQL fragments) and
 * sets its paging from count + filter (a "SELECT count(*)"). 0 or -EIO. */
int kc_report_paged(struct kc_report_ctx *c, json_t *sec, const char *select, const char *count,
		    const struct kc_query *filter, const char *order, const struct kc_report_col *cols);

#endif
