/* The supervisors' reports (custody rules 5, 7, 11, 12, 13), computed from
 * the stored events and the tables derived from them.
 *
 * A report is a JSON object:
 *   {"report", "title_en", "title_zh", "params": {...}, "generated",
 *    "sections": [{"name", "title_en", "title_zh",
 *                  "columns": [{"name", "en", "zh"}], "rows": [[...]],
 *                  "total", "page", "page_size"}]}
 * which render.c turns into JSON (rows as objects), CSV or HTML. */
#ifndef KC_SERVICE_REPORTS_H
#define KC_SERVICE_REPORTS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "service/store.h"

#define KC_EXPORT_COLS 32

struct kc_scope;
struct kc_params {
	/* The value of a query parameter, or NULL. */
	const char *(*get)(void *ctx, const char *name);
	void *ctx;
	/* texts the report writes (the key log's sentences, type names and
	 * choices) in English; Chinese otherwise */
	bool english;
	/* The sites the reader may see (service/scope.h); NULL: every site. */
	const struct kc_scope *scope;
};

struct kc_report_info {
	const char *name;
	const char *title; /* a msgid of the "keycab" catalogue (po/zh_CN/office.po) */
};
extern const struct kc_report_info kc_reports[];
extern const size_t kc_nreports;

/* Runs report name. Returns 0 (*out set), -ENOENT for an unknown report,
 * -EINVAL for a bad parameter (a sentence in err), -EACCES for a site or
 * cabinet outside p->scope asked for, -EIO. Rows outside the scope are
 * left out of every section. */
int kc_report_run(struct kc_db *db, const char *name, const struct kc_params *p, int64_t now_ms,
		  json_t **out, char *err, size_t errlen);

/* How a report runs: the page asked for; a printable page of every row
 * (up to KC_PRINT_MAX, paging ignored); an export of one section, every
 * row, whose statement kc_report_run_mode prepares without reading it. */
enum kc_report_mode { KC_REPORT_PAGE, KC_REPORT_PRINT, KC_REPORT_EXPORT };
#define KC_PRINT_MAX 5000

struct kc_report_export {
	const char *section;	/* the section exported; NULL: the first */
	struct kc_db *db;	/* the connection the statement is prepared on */
	/* out: the statement selecting the section's rows, and the type of
	 * each column (the report's kc_report_col types: 's' as is, 't' ms,
	 * 'j' JSON text, 'b' 0/1); NULL when the report builds that
	 * section's rows itself (they are then in the report, masked) */
	sqlite3_stmt *st;
	char types[KC_EXPORT_COLS + 1];
};

/* kc_report_run in a mode; export is set for KC_REPORT_EXPORT only. On
 * success the caller owns export->st (sqlite3_finalize). */
int kc_report_run_mode(struct kc_db *db, const char *name, const struct kc_params *p, int64_t now_ms,
		       enum kc_report_mode mode, struct kc_report_export *export, json_t **out, char *err,
		       size_t errlen);

/* The inspection coverage of month ("2026-11") per registered site (or
 * of site), each site's month in its own zone, as the vacant report
 * counts it: *out = {"SN": {"name", "age", "target" (%), "nv" (vacant
 * units), "ni" (of them inspected)}}. 0, -EINVAL (not a month), -EIO. */
int kc_report_vacant_coverage(struct kc_db *db, const char *site, const char *month, json_t **out);

/* Renderings. JSON and CSV are malloc'd strings (NULL on failure); CSV is
 * of one section (by name; NULL for the first). */
char *kc_render_json(const json_t *report);
char *kc_render_csv(const json_t *report, const char *section);
struct sbuf;
/* One CSV field (RFC 4180; a leading =, +, - or @ quoted with a '). */
void kc_render_csv_field(struct sbuf *b, const json_t *v);

#endif
