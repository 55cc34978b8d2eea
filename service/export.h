/* A whole filtered report, every row of one section, as a download: CSV
 * (UTF-8 with a BOM) read piece by piece as the client reads, or XLSX
 * written to a file. The rows come from the report's own query (its
 * filters, no paging) on a connection of the export's own, a batch at a
 * time, masked as every page is (kc_mask_report); times are local, in the
 * report's zone; headers are Chinese unless English is asked for. */
#ifndef KC_SERVICE_EXPORT_H
#define KC_SERVICE_EXPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "service/reports.h"
#include "service/store.h"

enum kc_export_format { KC_EXPORT_CSV, KC_EXPORT_XLSX };

struct kc_export;

/* Runs report name on db (its filters from p) and prepares the rows of
 * section (NULL: the first) on a new connection to db_path. 0 with *out,
 * or kc_report_run's -ENOENT, -EINVAL (a sentence in err), -EIO. */
int kc_export_open(struct kc_db *db, const char *db_path, const char *name, const char *section,
		   const struct kc_params *p, int64_t now_ms, bool zh, struct kc_export **out, char *err,
		   size_t errlen);
/* "keylog-events-20261122-2103" (the report, the section, the local time
 * of the export), for the file's name. */
const char *kc_export_basename(const struct kc_export *x);
/* The CSV as the API gives it: the columns' names as its header and
 * times in UTC as the report's JSON writes them ("2026-11-22T13:03:04.000Z");
 * before the first kc_export_csv_read. */
void kc_export_api(struct kc_export *x);
/* The CSV's next bytes, up to max: their count, 0 at the end, -EIO. */
ssize_t kc_export_csv_read(struct kc_export *x, char *buf, size_t max);
/* Writes the XLSX to path (libxlsxwriter in constant-memory mode, its
 * temporary files in tmpdir): 0 or -EIO. */
int kc_export_xlsx(struct kc_export *x, const char *path, const char *tmpdir);
/* The rows written so far. */
int64_t kc_export_rows(const struct kc_export *x);
void kc_export_free(struct kc_export *x);

#endif
