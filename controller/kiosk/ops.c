/* The ops a page may send to keycabd through POST /api/op/<op>: the kiosk
 * column of controller/ops.def. Everything else (imports, people,
 * entrustments, vacancy changes, the test clock, login and subscribe) is
 * not the terminal's to send. And what every answer says, in both of the
 * desk's languages. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "common/msg.h"
#include "common/util.h"
#include "controller/kiosk/kiosk.h"

struct kiosk_op {
	const char *op;
	enum kiosk_op_access access; /* 0: not the terminal's to send */
};

/* ops.def's kiosk column: NO is 0 */
#define KIOSK_OP_NO 0
static const struct kiosk_op kiosk_ops[] = {
#define KC_OP(op, access, kiosk, handler, args) { op, KIOSK_OP_##kiosk },
#include "controller/ops.def"
};
#undef KIOSK_OP_NO

enum kiosk_op_access kiosk_ops_access(const char *op)
{
	for (size_t i = 0; i < KC_ARRAY_SIZE(kiosk_ops); i++)
		if (strcmp(kiosk_ops[i].op, op) == 0)
			return kiosk_ops[i].access;
	return 0;
}

static char kiosk_ops_text[512];
static pthread_once_t kiosk_ops_once = PTHREAD_ONCE_INIT;

static void kiosk_ops_make_list(void)
{
	size_t n = 0;

	for (size_t i = 0; i < KC_ARRAY_SIZE(kiosk_ops) && n < sizeof(kiosk_ops_text); i++)
		if (kiosk_ops[i].access)
			n += (size_t)snprintf(kiosk_ops_text + n, sizeof(kiosk_ops_text) - n, "%s%s",
					      n ? ", " : "", kiosk_ops[i].op);
}

const char *kiosk_ops_list(void)
{
	pthread_once(&kiosk_ops_once, kiosk_ops_make_list);
	return kiosk_ops_text;
}

/* A refusal's text with every message in it: a few sentences. */
#define KIOSK_TEXT_MAX 4096

static const enum kc_lang kiosk_text_langs[] = { KC_LANG_ZH, KC_LANG_EN };

/* Rows with a message beside a text (an alarm's detail_msg): the text
 * in each language as detail_text. */
static void kiosk_rows_text(json_t *rep)
{
	char buf[KIOSK_TEXT_MAX];
	const char *name;
	json_t *rows, *row;
	size_t i;

	json_object_foreach(rep, name, rows) {
		json_array_foreach(rows, i, row) {
			const json_t *m = json_object_get(row, "detail_msg");
			json_t *text;

			if (!json_is_object(m))
				continue;
			text = json_object();
			for (size_t l = 0; text && l < KC_ARRAY_SIZE(kiosk_text_langs); l++)
				if (kc_msg_render(m, kiosk_text_langs[l], buf, sizeof(buf)) != -ENOENT)
					json_object_set_new(text, kc_msg_lang_tag(kiosk_text_langs[l]),
							    json_string(buf));
			json_object_set_new(row, "detail_text", text);
		}
	}
}

void kiosk_text_add(json_t *rep)
{
	const json_t *missing = json_object_get(rep, "missing"), *m;
	json_t *text, *mtext;
	char buf[KIOSK_TEXT_MAX];
	size_t i;

	if (!json_is_object(rep))
		return;
	kiosk_rows_text(rep);
	text = json_object();
	for (size_t l = 0; text && l < KC_ARRAY_SIZE(kiosk_text_langs); l++) {
		int r = kc_msg_render_reply(rep, kiosk_text_langs[l], buf, sizeof(buf));

		if (r < 0 && r != -ENOSPC) /* nothing to say; a text cut short is still said */
			break;
		json_object_set_new(text, kc_msg_lang_tag(kiosk_text_langs[l]), json_string(buf));
	}
	if (json_object_size(text) == KC_ARRAY_SIZE(kiosk_text_langs))
		json_object_set_new(rep, "text", text);
	else
		json_decref(text);
	if (!json_array_size(missing))
		return;
	mtext = json_object();
	for (size_t l = 0; mtext && l < KC_ARRAY_SIZE(kiosk_text_langs); l++) {
		json_t *a = json_array();

		json_array_foreach(missing, i, m)
			if (json_is_string(m))
				json_array_append_new(a, json_string(kc_msg_word(kiosk_text_langs[l], "missing",
										 json_string_value(m))));
		json_object_set_new(mtext, kc_msg_lang_tag(kiosk_text_langs[l]), a);
	}
	json_object_set_new(rep, "missing_text", mtext);
}

json_t *kiosk_error(enum kc_msg_code c)
{
	json_t *e = kc_msg_new(c, NULL);

	if (!e)
		return NULL;
	json_object_set_new(e, "ok", json_false());
	json_object_set_new(e, "error", json_string(kc_msg_template(c)));
	kiosk_text_add(e);
	return e;
}
