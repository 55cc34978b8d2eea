/* Server-rendered HTML pages for supervisors: no scripts, no external
 * assets, printable (a print style sheet, and ?print=1 drops the forms).
 * A report's times are shown in its zone (its "time_zone"). */
#ifndef KC_SERVICE_WEB_H
#define KC_SERVICE_WEB_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/msg.h"

struct kc_web_page {
	const char *user;
	const char *role;
	const char *csrf;	/* token the forms carry */
	int print;
	const char *estate;	/* [report] estate, NULL when not set */
	bool english;		/* the account reads English; Chinese otherwise */
	const char *url;	/* the page's path, where the language toggle returns */
};

/* A text of the console in the page's language: en is the msgid of the
 * "keycab" catalogue (po/zh_CN/), Chinese unless pg->english. */
const char *kc_web_t(const struct kc_web_page *pg, const char *en) __attribute__((format_arg(2)));
/* The page's language (KC_LANG_ZH for pg NULL). */
enum kc_lang kc_web_lang(const struct kc_web_page *pg);

/* malloc'd HTML, NULL on allocation failure: the page of the report's
 * own (web_report.c's table), else kc_web_table. */
char *kc_web_report(const json_t *report, const struct kc_web_page *pg);
/* A report as tables, one a section (web_table.c). */
char *kc_web_table(const json_t *report, const struct kc_web_page *pg);
/* The sign-in form; message (in the page's language, NULL for none) above it. */
char *kc_web_login(const struct kc_web_page *pg, const char *message);
/* A page of one message; title and message in the page's language. */
char *kc_web_message(const struct kc_web_page *pg, const char *title, const char *message);
/* The monthly vacant-unit report as it is filed (the vacant report's
 * printable page, web_vacant.c): per site, on pages of its own. */
char *kc_web_vacant_sheet(const json_t *report, const struct kc_web_page *pg);

/* The console's home page (web_dashboard.c): the figures of every site
 * of scope (NULL: every site) with its charts in pg's language; the whole
 * page, else only the figures (the part the page's script replaces). 0
 * with *out malloc'd, -EIO, -ENOMEM. */
struct kc_db;
struct kc_scope;
int kc_web_dashboard(struct kc_db *db, int64_t now_ms, const struct kc_scope *scope, const struct kc_web_page *pg,
		     bool whole, char **out);
/* A text that changes whenever the dashboard's figures may have: 0, -EIO. */
int kc_web_dashboard_version(struct kc_db *db, int64_t now_ms, char *out, size_t len);

struct kc_zone;
/* An ISO time of a report as supervisors read it, in zone z: a local
 * midnight as its date (is_end: an exclusive end, as the last day it
 * holds), else "2026-12-01 00:30". */
void kc_web_time(const struct kc_zone *z, const char *iso, bool is_end, char *out, size_t len);
/* The zone a report names (its "time_zone"), else the default one. */
const struct kc_zone *kc_web_zone(const json_t *report);

/* The problems page (web_problems.c): each problem found in an
 * inspection with its follow-up and the form for its next step; a
 * state's code ("open", "forwarded", "resolved") as a word of the page. */
char *kc_web_problems(const json_t *report, const struct kc_web_page *pg);
const char *kc_web_problem_state(const struct kc_web_page *pg, const char *code);
/* The handovers page (web_handovers.c): each handover as a sheet, with
 * the form that signs its review; printable. */
char *kc_web_handovers(const json_t *report, const struct kc_web_page *pg);

/* An entrustment's receipt (持钥凭证, web_receipt.c), or the entrustments
 * to pick one from. */
char *kc_web_receipt(const json_t *report, const struct kc_web_page *pg);

/* The key log's page (web_keylog.c): filters picked from the data, each
 * event as a sentence, keyset paging. */
char *kc_web_keylog(const json_t *report, const struct kc_web_page *pg);

/* For the pages of other files: the page's head (title in the page's
 * language, navigation with the language toggle), its end, and the report's query string without its position (page,
 * after, before, last), with extra ("a=b") appended. */
struct sbuf;
void kc_web_head(struct sbuf *b, const char *title, const struct kc_web_page *pg);
void kc_web_tail(struct sbuf *b);
/* The line saying when the report was made, in its zone, and for whom. */
void kc_web_generated(struct sbuf *b, const json_t *report, const struct kc_web_page *pg);
void kc_web_query(struct sbuf *b, const json_t *params, const char *extra);
/* The links that export section of report whole (CSV, XLSX) with the
 * page's filters; the notice of a printable page that holds fewer rows
 * than sec's total. */
void kc_web_export_links(struct sbuf *b, const struct kc_web_page *pg, const char *report, const json_t *params,
			 const char *section);
void kc_web_print_notice(struct sbuf *b, const struct kc_web_page *pg, const json_t *sec);
/* A report's section by name (NULL when it has none); column col of a
 * row of sec (NULL when sec has no such column), and as text ("" for
 * none) (web_rows.c). */
const json_t *kc_web_section(const json_t *report, const char *name);
const json_t *kc_web_at(const json_t *sec, const json_t *row, const char *col);
const char *kc_web_str(const json_t *sec, const json_t *row, const char *col);
/* A report page's head: its title, navigation and when it was made. */
void kc_web_report_head(struct sbuf *b, const json_t *report, const struct kc_web_page *pg);
/* The hidden form token field of pg's forms. */
void kc_web_csrf_field(struct sbuf *b, const struct kc_web_page *pg);
/* Checkboxes name=value of choices ([[value, label], ...]), those of have
 * (values) ticked. */
void kc_web_checkboxes(struct sbuf *b, const char *name, const json_t *choices, const json_t *have);

#endif
