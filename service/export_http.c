/* /export/<report>.csv and /export/<report>.xlsx: the whole filtered
 * report (the page's filters, every row of one section) as a download;
 * the API's ?format=csv streams its CSV the same way (http_export_csv).
 * The CSV is read from the report's statement as the client reads it;
 * the XLSX is written to a temporary file first (a zip cannot be sent as
 * it is made), in libxlsxwriter's constant-memory mode, then sent from
 * the file, which is already unlinked. */
#include "service/http_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/util.h"
#include "service/export.h"
#include "service/web.h"

#define EXPORT_BLOCK ((size_t)64 * 1024)

static ssize_t csv_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	ssize_t n = kc_export_csv_read(cls, buf, max);

	(void)pos;
	return n > 0 ? n : n == 0 ? MHD_CONTENT_READER_END_OF_STREAM : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void csv_done(void *cls)
{
	kc_export_free(cls);
}

int http_export_open(struct call *k, const char *name, const struct kc_params *p, struct kc_export **x, char *err,
		     size_t errlen)
{
	return kc_export_open(k->db, k->s->cfg->db_path, name, http_request_arg(k->c, "section"), p, kc_wall_ms(),
			      !p->english, x, err, errlen);
}

enum MHD_Result http_export_csv(struct call *k, struct kc_export *x)
{
	struct MHD_Response *resp;
	char file[160];

	snprintf(file, sizeof(file), "%s.csv", kc_export_basename(x));
	kc_info("export %s for %s", file, k->rq->user);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, EXPORT_BLOCK, csv_reader, x, csv_done);
	if (!resp)
		kc_export_free(x);
	return http_reply_download(k->c, resp, "text/csv; charset=utf-8", file);
}

static const char *tmp_dir(void)
{
	const char *d = getenv("TMPDIR");

	return d && *d ? d : "/tmp";
}

/* The XLSX written to an unlinked temporary file: its descriptor and
 * size, or -errno. */
static int xlsx_file(struct kc_export *x, off_t *size)
{
	char path[512];
	struct stat sb;
	int fd, r;

	snprintf(path, sizeof(path), "%s/keyauditd-export-XXXXXX", tmp_dir());
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	close(fd);
	r = kc_export_xlsx(x, path, tmp_dir());
	fd = r < 0 ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		r = r < 0 ? r : -errno;
	unlink(path);
	if (fd >= 0 && fstat(fd, &sb) < 0) {
		r = -errno;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		return r;
	*size = sb.st_size;
	return fd;
}

enum MHD_Result http_export(struct call *k)
{
	const char *dot = strrchr(k->rest, '.'), *lang = http_request_arg(k->c, "lang");
	char name[48], err[256], file[160], csrf[65];
	struct kc_web_page pg = http_web_page(k, csrf);
	/* the account's language; ?lang=en or ?lang=zh overrides it */
	struct kc_params p = { http_request_arg, k->c, lang ? strcmp(lang, "en") == 0 : pg.english,
				 k->scope };
	struct MHD_Response *resp;
	struct kc_export *x;
	bool xlsx;
	off_t size = 0;
	int r, fd;

	if (!dot || (size_t)(dot - k->rest) >= sizeof(name) || (strcmp(dot, ".csv") != 0 && strcmp(dot, ".xlsx") != 0))
		return http_reply_html(k->c, 404, kc_web_message(&pg, kc_web_t(&pg, "Error"), kc_web_t(&pg, "There is no such export")),
				       NULL);
	snprintf(name, sizeof(name), "%.*s", (int)(dot - k->rest), k->rest);
	xlsx = strcmp(dot, ".xlsx") == 0;
	r = http_export_open(k, name, &p, &x, err, sizeof(err));
	if (r == -EIO)
		kc_err("export %s: database error: %s", name, err[0] ? err : sqlite3_errmsg(k->db->h));
	if (r == -EACCES)
		return http_reply_html(k->c, 403,
				       kc_web_message(NULL, kc_web_t(NULL, "Error"),
						      kc_web_t(NULL, "This site or cabinet is outside the sites of your account.")),
				       NULL);
	if (r < 0)
		return http_reply_html(k->c, r == -ENOENT ? 404 : r == -EINVAL ? 400 : 500,
				       kc_web_message(&pg, kc_web_t(&pg, "Error"), r == -EIO || r == -ENOMEM ? kc_web_t(&pg, "Database error") : err),
				       NULL);
	if (!xlsx)
		return http_export_csv(k, x);
	snprintf(file, sizeof(file), "%s%s", kc_export_basename(x), dot);
	kc_info("export %s for %s", file, k->rq->user);
	fd = xlsx_file(x, &size);
	kc_export_free(x);
	if (fd < 0) {
		kc_err("export %s: the workbook cannot be written in %s: %s", file, tmp_dir(), strerror(-fd));
		return http_reply_html(k->c, 500, kc_web_message(&pg, kc_web_t(&pg, "Error"), kc_web_t(&pg, "The export failed")), NULL);
	}
	resp = MHD_create_response_from_fd((uint64_t)size, fd);
	if (!resp)
		close(fd);
	return http_reply_download(k->c, resp, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", file);
}
