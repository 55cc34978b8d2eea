/* The one check of a request against its op's spec (controller/ops.def):
 * text lengths by member, and each op's arguments by json_unpack format. */
#include "controller/opcheck.h"

#include <string.h>

#include "common/util.h"
#include "controller/reply.h"

static const struct member_max {
	const char *name;
	int max;
} member_max[] = {
#define KC_MEMBER(name, max) { #name, max },
#include "controller/ops.def"
};

int kc_opcheck_member_max(const char *name)
{
	for (size_t i = 0; i < KC_ARRAY_SIZE(member_max); i++)
		if (strcmp(name, member_max[i].name) == 0)
			return member_max[i].max;
	return KC_MEMBER_MAX_DEFAULT;
}

static size_t utf8_chars(const char *s, size_t bytes)
{
	size_t n = 0;

	for (size_t i = 0; i < bytes; i++)
		n += ((unsigned char)s[i] & 0xC0) != 0x80;
	return n;
}

/* Where a text is: the import row it is in (row 0: none), the list that
 * holds the row and the row's line in its file (-1: not known). */
struct text_where {
	size_t row;
	const char *list;
	json_int_t line;
};

/* The reply to a text over its member's limit. */
static json_t *text_too_long(const char *name, const struct text_where *w, size_t chars, int max)
{
	if (!w->row)
		return kc_reply_fail(KCM_text_too_long, "{s:s, s:I, s:i}", "field", name, "chars",
				     (json_int_t)chars, "max", max);
	if (w->line < 0)
		return kc_reply_fail(KCM_text_too_long_row, "{s:s, s:I, s:s, s:I, s:i}", "field", name,
				     "row", (json_int_t)w->row, "list", w->list, "chars",
				     (json_int_t)chars, "max", max);
	return kc_reply_fail(KCM_text_too_long_line, "{s:s, s:I, s:s, s:I, s:I, s:i}", "field", name,
			     "row", (json_int_t)w->row, "list", w->list, "line", w->line, "chars",
			     (json_int_t)chars, "max", max);
}

/* Checks every string in v against the limit of the member that holds it
 * (name); w says which import row it is in, when it is. NULL, or the
 * reply refusing the request. */
static json_t *check_text(const char *name, json_t *v, const struct text_where *w)
{
	const char *k;
	json_t *m, *rep;
	size_t i;

	if (json_is_string(v)) {
		size_t chars = utf8_chars(json_string_value(v), json_string_length(v));
		int max = kc_opcheck_member_max(name);

		return chars <= (size_t)max ? NULL : text_too_long(name, w, chars, max);
	}
	if (json_is_object(v)) {
		json_object_foreach(v, k, m)
			if ((rep = check_text(k, m, w)))
				return rep;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m) {
			struct text_where in = *w;
			json_t *line = json_object_get(m, "_line");

			if (json_is_object(m) && !w->row)
				in = (struct text_where){ i + 1, name,
							  json_is_integer(line) ? json_integer_value(line)
										: -1 };
			if ((rep = check_text(name, m, &in)))
				return rep;
		}
	}
	return NULL;
}

json_t *kc_opcheck_text(json_t *req)
{
	const struct text_where top = { 0, NULL, -1 };

	return check_text("request", req, &top);
}

/* The refusal of a member that is not what format t asks for. */
static enum kc_msg_code type_code(char t)
{
	switch (t) {
	case 's':
		return KCM_request_member_not_text;
	case 'I':
	case 'i':
		return KCM_request_member_not_integer;
	case 'b':
		return KCM_request_member_not_bool;
	case '[':
		return KCM_request_member_not_list;
	default:
		return KCM_request_member_not_object;
	}
}

json_t *kc_opcheck_args(const char *op, const char *args, json_t *req)
{
	for (const char *p = args ? args : ""; *p;) {
		char name[64], fmt[8];
		size_t n = strcspn(p, ":?"), f;
		bool required = p[n] == ':';
		json_t *v;
		json_error_t err;

		if (!p[n] || n >= sizeof(name))
			return kc_reply_fail(KCM_internal_op_spec, "{s:s}", "op", op);
		memcpy(name, p, n);
		name[n] = '\0';
		p += n + 1;
		f = strcspn(p, " ");
		if (f == 0 || f >= sizeof(fmt))
			return kc_reply_fail(KCM_internal_op_spec, "{s:s}", "op", op);
		memcpy(fmt, p, f);
		fmt[f] = '\0';
		p += f + strspn(p + f, " ");
		v = json_object_get(req, name);
		if (!v || json_is_null(v)) {
			if (required)
				return kc_reply_fail(KCM_request_member_missing, "{s:s, s:s}", "op", op,
						     "field", name);
			continue;
		}
		if (json_unpack_ex(v, &err, JSON_VALIDATE_ONLY, fmt) < 0)
			return kc_reply_fail(type_code(fmt[0]), "{s:s, s:s}", "op", op, "field", name);
	}
	return NULL;
}
