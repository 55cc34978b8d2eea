/* The estate's JSON API, /api/v1/estate/... (service/README.md, The
 * estate): GET a list, POST rows to apply (kc_estate_apply) or, with
 * ?check=1, to check each without writing anything. */
#include "service/http_impl.h"

#include <errno.h>
#include <string.h>

#include "common/msg.h"
#include "common/util.h"
#include "common/log.h"
#include "service/estate.h"

static json_t *list_sites(const struct kc_estate_ctx *x, const char *site)
{
	(void)site;
	return kc_estate_sites(x);
}

static json_t *list_people(const struct kc_estate_ctx *x, const char *site)
{
	(void)site;
	return kc_estate_people(x);
}

static json_t *list_settings(const struct kc_estate_ctx *x, const char *site)
{
	(void)site;
	return kc_estate_settings(x);
}

static json_t *list_cabinets(const struct kc_estate_ctx *x, const char *site)
{
	(void)site;
	return kc_estate_cabinets(x);
}

/* The API's paths: a list to GET (NULL: none) and the rows a POST applies. */
static const struct {
	const char *path;
	json_t *(*list)(const struct kc_estate_ctx *x, const char *site);
	enum kc_estate_what what;
} api_paths[] = {
	{ "people", list_people, KC_ESTATE_PERSON },
	{ "people/enrol", NULL, KC_ESTATE_PERSON_ENROL },
	{ "people/unlock", NULL, KC_ESTATE_PERSON_UNLOCK },
	{ "sites", list_sites, KC_ESTATE_SITE },
	{ "units", kc_estate_units, KC_ESTATE_UNIT },
	{ "keys", kc_estate_keys, KC_ESTATE_KEY },
	{ "keys/remove", NULL, KC_ESTATE_KEY_REMOVE },
	{ "settings", list_settings, KC_ESTATE_SETTINGS },
	{ "cabinets", list_cabinets, KC_ESTATE_CABINET },
};

struct kc_estate_ctx http_estate_ctx(const struct call *k)
{
	struct kc_estate_ctx x = { k->db, k->s->cfg, k->rq->user, k->rq->role, k->scope, kc_wall_ms() };

	return x;
}

static const char *error_word(unsigned status)
{
	switch (status) {
	case 400:
		return "bad_request";
	case 403:
		return "forbidden";
	case 404:
		return "not_found";
	case 409:
		return "conflict";
	default:
		return "database";
	}
}

/* {"ok": false, "error", "code", "params", "message" (English),
 * "message_zh", "row"}; msg is borrowed. */
static enum MHD_Result refused(struct call *k, int r, const json_t *msg, size_t row)
{
	char en[512] = "", zh[512] = "";
	unsigned status = kc_estate_status(r);

	kc_msg_render(msg, KC_LANG_EN, en, sizeof(en));
	kc_msg_render(msg, KC_LANG_ZH, zh, sizeof(zh));
	return http_reply_json(k->c, status,
			       json_pack("{s:b, s:s, s:s, s:O, s:s, s:s, s:I}", "ok", 0, "error", error_word(status), "code",
					 json_string_value(json_object_get(msg, "code")) ?: "", "params",
					 json_object_get(msg, "params") ?: json_null(), "message", en, "message_zh", zh,
					 "row", (json_int_t)row));
}

/* ?check=1: each row checked, nothing written: {"ok", "rows": [{"row",
 * "ok", "code", "params", "message", "message_zh"}]}. */
static enum MHD_Result check_rows(struct call *k, const struct kc_estate_ctx *x, enum kc_estate_what what,
				  const json_t *list)
{
	json_t *out = json_array(), *msg;
	const json_t *row;
	char en[512], zh[512];
	bool all = true;
	size_t i;

	json_array_foreach(list, i, row) {
		int r = kc_estate_check(x, what, row, &msg);

		en[0] = zh[0] = '\0';
		if (msg) {
			kc_msg_render(msg, KC_LANG_EN, en, sizeof(en));
			kc_msg_render(msg, KC_LANG_ZH, zh, sizeof(zh));
		}
		all = all && r == 0;
		json_array_append_new(out, json_pack("{s:I, s:b, s:s, s:O, s:s, s:s}", "row", (json_int_t)i, "ok", r == 0,
						     "code", json_string_value(json_object_get(msg, "code")) ?: "",
						     "params", json_object_get(msg, "params") ?: json_null(), "message",
						     en, "message_zh", zh));
		json_decref(msg);
	}
	return http_reply_json(k->c, 200, json_pack("{s:b, s:o}", "ok", all, "rows", out));
}

static enum MHD_Result post_rows(struct call *k, enum kc_estate_what what)
{
	struct kc_estate_ctx x = http_estate_ctx(k);
	json_t *b = k->rq->body ? json_loadb(k->rq->body, k->rq->len, 0, NULL) : NULL, *list, *out, *msg, *done;
	const char *check = http_request_arg(k->c, "check");
	char text[256] = "", zh[256] = "";
	enum MHD_Result ret;
	json_int_t changes = 0;
	const json_t *v;
	size_t bad, i;
	int r;

	if (!b)
		return http_reply_error(k->c, 400, "malformed", "the body is not JSON");
	list = json_is_array(b) ? json_incref(b) : json_is_array(json_object_get(b, "rows"))
							 ? json_incref(json_object_get(b, "rows"))
							 : json_pack("[O]", b);
	json_decref(b);
	if (check && strcmp(check, "1") == 0) {
		ret = check_rows(k, &x, what, list);
		json_decref(list);
		return ret;
	}
	r = kc_estate_apply(&x, what, list, &out, &msg, &bad);
	json_decref(list);
	if (r < 0) {
		kc_notice("estate %s by %s refused (row %zu): %s", kc_estate_what_name(what), x.user, bad,
			  json_string_value(json_object_get(msg, "code")) ?: "?");
		ret = refused(k, r, msg, bad);
		json_decref(msg);
		return ret;
	}
	json_array_foreach(out, i, v)
		changes += json_integer_value(json_object_get(v, "changes"));
	kc_notice("estate %s: %zu saved by %s, %lld changes to the cabinets", kc_estate_what_name(what),
		  json_array_size(out), x.user, (long long)changes);
	done = kc_msg_new(KCM_office_estate_saved, "{s:I}", "changes", changes);
	kc_msg_render(done, KC_LANG_EN, text, sizeof(text));
	kc_msg_render(done, KC_LANG_ZH, zh, sizeof(zh));
	json_decref(done);
	return http_reply_json(k->c, 200, json_pack("{s:b, s:o, s:I, s:s, s:s}", "ok", 1, "results", out, "changes",
						  changes, "message", text, "message_zh", zh));
}

enum MHD_Result http_api_estate(struct call *k)
{
	bool get = strcmp(k->method, "GET") == 0 || strcmp(k->method, "HEAD") == 0;

	for (size_t i = 0; i < KC_ARRAY_SIZE(api_paths); i++) {
		struct kc_estate_ctx x;
		json_t *list;

		if (strcmp(k->rest, api_paths[i].path) != 0)
			continue;
		if (!get && strcmp(k->method, "POST") == 0)
			return post_rows(k, api_paths[i].what);
		if (!get || !api_paths[i].list)
			return http_reply_error(k->c, 405, "method", api_paths[i].list ? "use GET or POST" : "use POST");
		x = http_estate_ctx(k);
		list = api_paths[i].list(&x, http_request_arg(k->c, "site"));
		if (!list) {
			kc_err("estate %s: database error: %s", api_paths[i].path, sqlite3_errmsg(k->db->h));
			return http_reply_error(k->c, 500, "database", "database error");
		}
		return http_reply_json(k->c, 200, json_pack("{s:b, s:o}", "ok", 1, "rows", list));
	}
	return http_reply_error(k->c, 404, "not_found", "no such route");
}
