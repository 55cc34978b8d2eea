/* keycab in the desk's language: LANG (as gettext reads it) picks Chinese
 * or English. keycab's own words come from the "keycab" catalogue
 * (po/zh_CN/cli.po; the English text is the msgid); keycabd's refusals
 * and errors are rendered from their code and parameters, or shown as
 * sent when this build does not know the code. English output is the
 * text keycabd sent, word for word. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/util.h"
#include "controller/cli/cli.h"

/* The custody rules' names (controller/README.md), words in context
 * "rule": a Chinese refusal names its rule. */
static const char *const lang_rules[] = {
	[1] = "authenticated operator",
	[2] = "owner's authorisation for borrowers",
	[3] = "ID retention",
	[4] = "sealed keys",
	[5] = "vacant-unit keys and inspections",
	[6] = "repair keys",
	[7] = "entrustment expiry",
	[8] = "owner collection",
	[9] = "returns",
	[10] = "fail-secure hardware",
	[11] = "everything is logged",
	[12] = "shift handover",
	[13] = "supervisor audit",
};

/* Columns whose values are words of the vocabulary, translated in the
 * context of the column's name. */
static const char *const lang_word_columns[] = {
	"purpose", "kind",    "state",	   "role",	   "id_type", "result", "method",
	"type",	   "channel", "presence", "inspection", "stage",   "link",	 "borrower_type",
};

/* kc_msg_gettext, as a printf format's source */
__attribute__((format_arg(2))) static const char *lang_tr(enum kc_lang lang, const char *en)
{
	return kc_msg_gettext(lang, en);
}

const char *cli_tr(const char *en)
{
	return kc_msg_gettext(cli_lang, en);
}

const char *cli_word(const char *ctx, const char *word)
{
	return kc_msg_word(cli_lang, ctx, word);
}

bool cli_word_column(const char *name)
{
	for (size_t i = 0; i < KC_ARRAY_SIZE(lang_word_columns); i++)
		if (strcmp(lang_word_columns[i], name) == 0)
			return true;
	return false;
}

void cli_lang_print_failure(FILE *f, const json_t *rep, enum kc_lang lang)
{
	const char *sent = json_string_value(json_object_get(rep, "reason"));
	json_t *missing = json_object_get(rep, "missing"), *v;
	char text[2048];
	size_t i;
	int rule;

	if (!json_is_true(json_object_get(rep, "refused")))
		sent = json_string_value(json_object_get(rep, "error"));
	/* English: as sent; Chinese: rendered, unless the code is unknown */
	if (lang == KC_LANG_EN || kc_msg_render_reply(rep, lang, text, sizeof(text)) == -ENOENT)
		kc_strlcpy(text, sent ? sent : "", sizeof(text));
	if (!json_is_true(json_object_get(rep, "refused"))) {
		fprintf(f, lang_tr(lang, "keycab: error: %s\n"), text);
		return;
	}
	rule = (int)json_integer_value(json_object_get(rep, "rule"));
	if (rule > 0 && lang == KC_LANG_EN)
		fprintf(f, "REFUSED (custody rule %d): %s\n", rule, text);
	else if (rule > 0)
		fprintf(f, lang_tr(lang, "REFUSED (custody rule %d, %s): %s\n"), rule,
			(size_t)rule < KC_ARRAY_SIZE(lang_rules) ?
				kc_msg_word(lang, "rule", lang_rules[rule]) :
				"",
			text);
	else
		fprintf(f, lang_tr(lang, "REFUSED: %s\n"), text);
	if (json_array_size(missing) > 0) {
		fputs(lang_tr(lang, "  missing:"), f);
		json_array_foreach(missing, i, v) {
			const char *sep = lang == KC_LANG_ZH ? "、" : ", ";

			fprintf(f, "%s%s", i ? sep : lang == KC_LANG_ZH ? "" : " ",
				kc_msg_word(lang, "missing", json_string_value(v)));
		}
		fputc('\n', f);
	}
}
