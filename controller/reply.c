/* The answers a request gets (controller/README.md, "Protocol"), the
 * request's members, and rows as JSON. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "controller/reply.h"

json_t *kc_reply_ok(void)
{
	return json_pack("{s:b}", "ok", 1);
}

/* The English text of a message, as keycabd sends it beside the code. */
static void reply_text(const json_t *m, char *buf, size_t len)
{
	if (kc_msg_render(m, KC_LANG_EN, buf, len) == -ENOENT)
		buf[0] = '\0';
}

/* Message c with its params (fmt, ap), and its English text in text. */
static json_t *reply_msg(enum kc_msg_code c, const char *fmt, va_list ap, char *text, size_t len)
{
	json_t *m = kc_msg_vnew(c, fmt, ap);

	if (!m)
		m = kc_msg_new(c, NULL);
	reply_text(m, text, len);
	return m;
}

json_t *kc_reply_fail(enum kc_msg_code c, const char *fmt, ...)
{
	char text[768];
	va_list ap;
	json_t *m, *rep;

	va_start(ap, fmt);
	m = reply_msg(c, fmt, ap, text, sizeof(text));
	va_end(ap);
	rep = json_pack("{s:b, s:s}", "ok", 0, "error", text);
	json_object_update(rep, m);
	json_decref(m);
	return rep;
}

static json_t *reply_refusal(int rule, json_t *missing, json_t *msgs, const char *reason)
{
	json_t *first = json_array_get(msgs, 0);
	json_t *rep = json_pack("{s:b, s:b, s:i, s:s, s:o, s:o}", "ok", 0, "refused", 1, "rule", rule,
				"reason", reason, "messages", msgs ? json_incref(msgs) : json_array(), "missing",
				missing ? missing : json_array());

	if (first)
		json_object_update(rep, first);
	return rep;
}

json_t *kc_reply_refuse(int rule, json_t *missing, enum kc_msg_code c, const char *fmt, ...)
{
	char text[768];
	va_list ap;
	json_t *m, *msgs, *rep;

	va_start(ap, fmt);
	m = reply_msg(c, fmt, ap, text, sizeof(text));
	va_end(ap);
	msgs = json_pack("[o]", m);
	rep = reply_refusal(rule, missing, msgs, text);
	json_decref(msgs);
	return rep;
}

json_t *kc_reply_decision(const struct kc_decision *d)
{
	return reply_refusal(d->rule, json_incref(d->missing), d->msgs, d->reason);
}

json_t *kc_reply_take(struct kc_decision *d)
{
	json_t *rep = kc_reply_decision(d);

	kc_decision_clear(d);
	return rep;
}

json_t *kc_reply_write_failed(const char *why)
{
	return kc_reply_fail(KCM_db_write_failed, "{s:s}", "detail", why);
}

json_t *kc_reply_read_failed(struct kc_store *st)
{
	return kc_reply_fail(KCM_db_read_failed, "{s:s}", "detail", kc_store_errmsg(st));
}

const char *kc_req_str(json_t *req, const char *name)
{
	return json_string_value(json_object_get(req, name));
}

int64_t kc_req_int(json_t *req, const char *name)
{
	json_t *v = json_object_get(req, name);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

void kc_req_members(json_t *req, const struct kc_req_member *m, size_t n, void *out)
{
	for (size_t i = 0; i < n; i++) {
		char *at = (char *)out + m[i].off;

		if (m[i].text)
			*(const char **)(void *)at = kc_req_str(req, m[i].name);
		else
			*(int64_t *)(void *)at = kc_req_int(req, m[i].name);
	}
}

/* Rows as objects named by their columns; integer columns named *_ms
 * become UTC times without the suffix; text columns named *_msg hold a
 * message as JSON and become that object. */
json_t *kc_reply_rows(sqlite3_stmt *s)
{
	json_t *arr = json_array();

	if (!s)
		return arr;
	while (sqlite3_step(s) == SQLITE_ROW) {
		json_t *o = json_object();

		for (int i = 0; i < sqlite3_column_count(s); i++) {
			const char *name = sqlite3_column_name(s, i);
			size_t n = strlen(name);

			switch (sqlite3_column_type(s, i)) {
			case SQLITE_INTEGER:
				if (n > 3 && strcmp(name + n - 3, "_ms") == 0) {
					char nm[64];

					snprintf(nm, sizeof(nm), "%.*s", (int)(n - 3), name);
					kc_json_time(o, nm, sqlite3_column_int64(s, i));
				} else {
					json_object_set_new(o, name,
							    json_integer(sqlite3_column_int64(s, i)));
				}
				break;
			case SQLITE_NULL:
				if (n > 3 && strcmp(name + n - 3, "_ms") == 0) {
					char nm[64];

					snprintf(nm, sizeof(nm), "%.*s", (int)(n - 3), name);
					json_object_set_new(o, nm, json_null());
				} else {
					json_object_set_new(o, name, json_null());
				}
				break;
			default:
				if (n > 4 && strcmp(name + n - 4, "_msg") == 0) {
					json_t *m = json_loads((const char *)sqlite3_column_text(s, i), 0, NULL);

					json_object_set_new(o, name, m ? m : json_null());
					break;
				}
				json_object_set_new(o, name,
						    json_string((const char *)sqlite3_column_text(s, i)));
			}
		}
		json_array_append_new(arr, o);
	}
	sqlite3_reset(s);
	return arr;
}

json_t *kc_reply_id(const char *name, json_int_t id)
{
	json_t *rep = kc_reply_ok();

	json_object_set_new(rep, name, json_integer(id));
	return rep;
}
