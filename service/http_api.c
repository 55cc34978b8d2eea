/* The API's handlers (JSON): the cabinets' ingest, the health check,
 * reports (JSON or CSV), the review sign-off, cabinet management. */
#include "service/http_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/msg.h"
#include "common/util.h"
#include "service/export.h"
#include "service/ingest.h"
#include "service/office_acts.h"
#include "service/reports.h"
#include "service/office.h"
#include "service/scope.h"

enum MHD_Result http_api_ingest(struct call *k)
{
	struct kc_db *db = k->db;
	struct MHD_Connection *c = k->c;
	struct req *rq = k->rq;
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	char cabinet[KC_NAME_MAX + 1];
	struct kc_ingest_result res;
	int r;

	if (!auth || strncmp(auth, "Bearer ", 7) != 0) {
		kc_notice("ingest refused: no bearer token");
		return http_reply_error(c, 401, "unauthorized", "an \"Authorization: Bearer <token>\" header is required");
	}
	r = kc_auth_cabinet_by_token(db, auth + 7, cabinet, sizeof(cabinet));
	if (r == -EACCES) {
		kc_notice("ingest refused: unknown cabinet token");
		return http_reply_error(c, 401, "unauthorized", "the bearer token is not a registered cabinet's");
	}
	if (r < 0)
		return http_reply_error(c, 500, "internal", "database error");
	r = kc_ingest_batch(db, k->s->cfg, cabinet, rq->body ? rq->body : "", rq->len, &res);
	if (r < 0) {
		char why[256];

		kc_db_note_write(0);
		kc_err("ingest for cabinet %s: cannot store: %s", cabinet, kc_db_errstr(db, why, sizeof(why)));
		return http_reply_error(c, 500, "internal", "database error; nothing was stored");
	}
	kc_db_note_write(1);
	if (res.notices || res.alarm)
		kc_notifier_wake(k->s->notifier);
	if (res.error)
		kc_log(res.alarm ? LOG_WARNING : LOG_NOTICE, "ingest for cabinet %s refused (%s): %s", cabinet,
		       res.error, res.message);
	else
		kc_debug("ingest for cabinet %s: %d stored, %d duplicates, last %lld", cabinet, res.stored,
			 res.duplicates, (long long)res.last_seq);
	return http_reply_json(c, res.status,
			       json_pack("{s:b, s:s?, s:s, s:s, s:I, s:i, s:i}", "ok", res.error == NULL, "error",
					 res.error, "message", res.error ? res.message : "stored", "cabinet", cabinet,
					 "last_seq", (json_int_t)res.last_seq, "stored", res.stored, "duplicates",
					 res.duplicates));
}

/* 200 {"store": "ok"} while the service can store, else 503 and why. */
enum MHD_Result http_api_healthz(struct call *k)
{
	char msg[300];

	if (kc_db_health(k->db, k->s->cfg->db_path, msg, sizeof(msg)) == 0)
		return http_reply_json(k->c, 200, json_pack("{s:b, s:s}", "ok", 1, "store", "ok"));
	return http_reply_json(k->c, 503, json_pack("{s:b, s:s, s:s, s:s}", "ok", 0, "store", "failing", "error",
						 "store", "message", msg));
}

enum MHD_Result http_api_ingest_method(struct call *k)
{
	return http_reply_error(k->c, 405, "method", "POST a JSON array of events");
}

/* The answer to a report that cannot run (kc_report_run's or
 * http_export_open's r, the sentence err). */
static enum MHD_Result api_report_error(struct MHD_Connection *c, int r, const char *err)
{
	return http_reply_error(c, r == -ENOENT ? 404 : r == -EINVAL ? 400 : r == -EACCES ? 403 : 500,
				r == -ENOENT ? "not_found" : r == -EINVAL ? "bad_parameter" : r == -EACCES ? "forbidden" : "internal",
				r == -EIO || r == -ENOMEM ? "database error" : err);
}

/* The CSV of one section of the whole filtered report, every row
 * whatever page is asked for, streamed as /export/<name>.csv is; the
 * columns by name and times in UTC, as the JSON gives them. */
static enum MHD_Result api_report_csv(struct call *k, const char *name, const struct kc_params *p)
{
	struct kc_export *x;
	char err[256] = "";
	int r = http_export_open(k, name, p, &x, err, sizeof(err));

	if (r == -EIO)
		kc_err("report %s: database error: %s", name, err[0] ? err : sqlite3_errmsg(k->db->h));
	if (r < 0)
		return api_report_error(k->c, r, err);
	kc_export_api(x);
	return http_export_csv(k, x);
}

enum MHD_Result http_api_report(struct call *k)
{
	struct MHD_Connection *c = k->c;
	struct kc_params p = { http_request_arg, c, false, k->scope };
	const char *fmt = http_request_arg(c, "format"), *name = k->rest;
	char err[256], *out;
	json_t *rep;
	int r;

	if (fmt && strcmp(fmt, "csv") == 0)
		return api_report_csv(k, name, &p);
	r = kc_report_run(k->db, name, &p, kc_wall_ms(), &rep, err, sizeof(err));
	if (r == -EIO)
		kc_err("report %s: database error: %s", name, sqlite3_errmsg(k->db->h));
	if (r < 0)
		return api_report_error(c, r, err);
	if (fmt && strcmp(fmt, "json") != 0) {
		json_decref(rep);
		return http_reply_error(c, 400, "bad_parameter", "format must be json or csv");
	}
	out = kc_render_json(rep);
	json_decref(rep);
	if (!out)
		return MHD_NO;
	return http_reply_buf(c, 200, "application/json; charset=utf-8", out, strlen(out), NULL);
}

/* A review signed at the office through the API: {"cabinet", "handover",
 * "note"}; an office-chain event (office_acts.c). */
enum MHD_Result http_api_review(struct call *k)
{
	struct req *rq = k->rq;
	json_t *b = rq->body ? json_loadb(rq->body, rq->len, 0, NULL) : NULL;
	json_t *h = json_object_get(b, "handover"), *msg = NULL;
	char text[512] = "";
	enum MHD_Result ret;
	unsigned status;
	int r;

	if (json_is_string(json_object_get(b, "cabinet")) &&
	    !kc_scope_cabinet(k->scope, json_string_value(json_object_get(b, "cabinet")))) {
		json_decref(b);
		return http_reply_error(k->c, 403, "forbidden", "the cabinet is outside the sites of this account");
	}
	r = kc_office_review(k->db, rq->user, json_string_value(json_object_get(b, "cabinet")),
			     json_is_integer(h) ? json_integer_value(h) : 0, json_string_value(json_object_get(b, "note")),
			     &msg);
	json_decref(b);
	status = kc_office_status(r);
	if (msg)
		kc_msg_render(msg, KC_LANG_EN, text, sizeof(text));
	if (r == 0)
		ret = http_reply_json(k->c, 200, json_pack("{s:b, s:s, s:s}", "ok", 1, "message", text, "code",
							  json_string_value(json_object_get(msg, "code")) ?: ""));
	else
		ret = http_reply_error(k->c, status,
				       status == 400 ? "bad_request" : status == 404 ? "not_found" :
				       status == 409 ? "conflict" : "database", text);
	json_decref(msg);
	return ret;
}

enum MHD_Result http_api_cabinets(struct call *k)
{
	struct kc_db *db = k->db;
	struct MHD_Connection *c = k->c;
	struct req *rq = k->rq;
	const char *method = k->method, *rest = k->rest;
	char token[KC_TOKEN_LEN];
	json_t *b, *list;
	const char *id;
	sqlite3_stmt *st;
	int r;

	if (strcmp(method, "GET") == 0 && !*rest) {
		st = kc_db_stmt(db, "SELECT id, created_ms, last_seq, last_seen_ms FROM cabinets"
				    " WHERE id <> '" KC_OFFICE_CHAIN "' ORDER BY id");
		list = json_array();
		while (st && sqlite3_step(st) == SQLITE_ROW)
			json_array_append_new(list, json_pack("{s:o, s:o, s:o, s:o}", "id", kc_column_json(st, 0),
							      "created_ms", kc_column_json(st, 1), "last_seq",
							      kc_column_json(st, 2), "last_seen_ms",
							      kc_column_json(st, 3)));
		if (st)
			sqlite3_reset(st);
		return http_reply_json(c, 200, json_pack("{s:o}", "cabinets", list));
	}
	if (strcmp(method, "POST") != 0)
		return http_reply_error(c, 405, "method", "use GET or POST");
	b = rq->body ? json_loadb(rq->body, rq->len, 0, NULL) : NULL;
	id = json_string_value(json_object_get(b, "id"));
	if (!id) {
		json_decref(b);
		return http_reply_error(c, 400, "bad_request", "a JSON body {\"id\": \"CABINET\"} is required");
	}
	if (strcmp(rest, "/token") == 0)
		r = kc_auth_cabinet_rotate(db, id, token);
	else if (!*rest)
		r = kc_auth_cabinet_add(db, id, token);
	else
		r = -ENOTSUP;
	if (r == 0) {
		kc_notice("cabinet %s: %s by %s", id, *rest ? "token replaced" : "registered", rq->user);
		r = http_reply_json(c, *rest ? 200 : 201,
				    json_pack("{s:b, s:s, s:s}", "ok", 1, "id", id, "token", token)) == MHD_YES ? 0 : -EIO;
		json_decref(b);
		return r == 0 ? MHD_YES : MHD_NO;
	}
	json_decref(b);
	if (r == -EEXIST)
		return http_reply_error(c, 409, "conflict", "that cabinet is already registered");
	if (r == -EINVAL)
		return http_reply_error(c, 400, "bad_request", "a cabinet id is 1 to 64 of A-Z a-z 0-9 . _ -");
	if (r == -ENOENT)
		return http_reply_error(c, 404, "not_found", "no such cabinet");
	if (r == -ENOTSUP)
		return http_reply_error(c, 404, "not_found", "no such route");
	return http_reply_error(c, 500, "internal", "database error");
}
