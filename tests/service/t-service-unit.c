/* Unit tests of keyauditd's pure parts: templates, CSV and HTML escaping,
 * config ranges, the words and headings in Chinese from the catalogue
 * ($KEYCAB_LOCALEDIR), and ingest/report on a database file without HTTP. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/event.h"
#include "common/pdata.h"
#include "common/util.h"
#include "service/auth.h"
#include "service/config.h"
#include "service/chain.h"
#include "service/ingest.h"
#include "service/office.h"
#include "service/reports.h"
#include "service/sbuf.h"
#include "service/templates.h"
#include "service/words.h"
#include "service/verify.h"

static void test_template(void **state)
{
	json_t *f = json_pack("{s:s, s:s}", "unit", "O6", "owner_name", "张三");
	char err[128], *out = NULL;

	(void)state;
	assert_int_equal(kc_template_render("{owner_name}您好 {unit}: {unit}", f, &out, err, sizeof(err)), 0);
	assert_string_equal(out, "张三您好 O6: O6");
	free(out);
	assert_int_equal(kc_template_render("no {such}", f, &out, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "{such}"));
	assert_int_equal(kc_template_render("a { b } {", f, &out, err, sizeof(err)), -EINVAL);
	json_decref(f);
}

/* The shipped templates: one per kind and language, each naming only
 * fields its kind has; a field another kind has is refused with its line. */
static void test_template_kinds(void **state)
{
	char err[512];
	json_t *f, *zh;

	(void)state;
	for (int k = 0; k < KC_NOTICE_KINDS; k++) {
		const char *langs[] = { "zh", "en" };

		for (int l = 0; l < 2; l++) {
			const char *t = kc_template_default(k, langs[l]);

			assert_true(strlen(t) > 20);
			assert_int_equal(kc_template_check(k, t, 1, err, sizeof(err)), 0);
		}
	}
	assert_int_equal(kc_template_check(KC_NOTICE_BOARD_FAULT, "{board}\n{slots}\n{owner_name}", 3, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "line 5: unknown field {owner_name}; notices of kind board_fault have:"));
	assert_int_equal(kc_template_check(KC_NOTICE_ALARM, "{slot", 1, err, sizeof(err)), -EINVAL);
	/* end_when and a list in each language's words */
	f = json_pack("{s:s, s:s, s:[s,s]}", "end", "2026-12-06", "end_when", "past", "slots", "C01", "C02");
	zh = kc_notice_words(f, KC_LANG_ZH);
	assert_string_equal(json_string_value(json_object_get(zh, "slots")), "C01、C02");
	json_decref(zh);
	zh = kc_notice_words(f, KC_LANG_EN);
	assert_string_equal(json_string_value(json_object_get(zh, "end_when")), "ended on 2026-12-06");
	assert_string_equal(json_string_value(json_object_get(zh, "slots")), "C01, C02");
	json_decref(zh);
	json_decref(f);
}

static void test_notice_time(void **state)
{
	char out[32];

	(void)state;
	/* a date as the cabinet records it: midnight UTC, shown as the date */
	kc_notice_time("2026-11-25T00:00:00.000Z", 8 * 60, out, sizeof(out));
	assert_string_equal(out, "2026-11-25");
	/* a time: at the configured offset, across midnight */
	kc_notice_time("2026-11-24T18:30:00.000Z", 8 * 60, out, sizeof(out));
	assert_string_equal(out, "2026-11-25 02:30");
	kc_notice_time("2026-11-24T03:15:00.000Z", -5 * 60, out, sizeof(out));
	assert_string_equal(out, "2026-11-23 22:15");
	/* what is no time stays as it is */
	kc_notice_time("soon", 0, out, sizeof(out));
	assert_string_equal(out, "soon");
	/* a local midnight is a date at the desk */
	kc_notice_time("2026-11-30T16:00:00.000Z", 8 * 60, out, sizeof(out));
	assert_string_equal(out, "2026-12-01");
	/* an end "to 2026-11-30" is kept as the start of the next local day:
	 * people read the last day */
	kc_notice_end("2026-11-30T16:00:00.000Z", 8 * 60, out, sizeof(out));
	assert_string_equal(out, "2026-11-30");
	kc_notice_end("2026-11-30T15:59:59.999Z", 8 * 60, out, sizeof(out));
	assert_string_equal(out, "2026-11-30 23:59");
	kc_notice_end("2026-12-01T05:00:00.000Z", -5 * 60, out, sizeof(out));
	assert_string_equal(out, "2026-11-30");
	kc_notice_end("later", 0, out, sizeof(out));
	assert_string_equal(out, "later");
}

static void test_csv(void **state)
{
	json_t *rep = json_pack("{s:[{s:s, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}], s:[[s, s], [i, n]]}]}", "sections",
				"name", "x", "columns", "name", "a", "en", "A", "zh", "甲", "name", "b", "en", "B",
				"zh", "乙", "rows", "=cmd()", "say \"hi\", ok", 5);
	char *csv = kc_render_csv(rep, NULL);

	(void)state;
	assert_non_null(csv);
	assert_string_equal(csv, "\xEF\xBB\xBF" "a,b\r\n\"'=cmd()\",\"say \"\"hi\"\", ok\"\r\n5,\r\n");
	free(csv);
	assert_null(kc_render_csv(rep, "nope"));
	json_decref(rep);
}

static void test_html(void **state)
{
	struct sbuf b = { 0 };
	char *s;

	(void)state;
	sbuf_html(&b, "<script>alert('x')</script>&\"");
	sbuf_url(&b, " a/b");
	s = sbuf_take(&b);
	assert_string_equal(s, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;%20a%2Fb");
	free(s);
}

static void test_config(void **state)
{
	struct kc_audit_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(kc_config_defaults(&cfg), 0);
	assert_int_equal(cfg.port, 8080);
	assert_int_equal(kc_config_set(&cfg, "server", "port", "65536", err, sizeof(err)), -ERANGE);
	assert_int_equal(kc_config_set(&cfg, "server", "port", "12x", err, sizeof(err)), -EINVAL);
	assert_int_equal(kc_config_set(&cfg, "server", "port", "9000", err, sizeof(err)), 0);
	assert_int_equal(cfg.port, 9000);
	assert_int_equal(kc_config_set(&cfg, "notify", "webhook", "http://h/x", err, sizeof(err)), 0);
	assert_int_equal(cfg.nwebhooks, 1);
	assert_int_equal(kc_config_set(&cfg, "templates", "alarm.fr", "x", err, sizeof(err)), -EINVAL);
	kc_config_free(&cfg);
}

/* Every word shown for a code (service/words.c) has its Chinese. */
static void test_words(void **state)
{
	const char *ctx, *code;
	int missing = 0;

	(void)state;
	assert_non_null(getenv("KEYCAB_LOCALEDIR"));
	for (size_t i = 0; kc_word_entry(i, &ctx, &code); i++) {
		const char *zh = kc_word(KC_LANG_ZH, ctx, code), *en = kc_word(KC_LANG_EN, ctx, code);

		if (zh == code || strcmp(zh, en) == 0) {
			fprintf(stderr, "no Chinese for the word %s \"%s\" (%s)\n", ctx, code, en);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
	assert_string_equal(kc_word(KC_LANG_EN, "kind", "vacant"), "Vacant unit");
	assert_string_equal(kc_word(KC_LANG_ZH, "kind", "vacant"), "空房");
	assert_string_equal(kc_word(KC_LANG_ZH, "kind", "1栋103"), "1栋103");
}

/* Each report's title, sections and columns have their Chinese, and the
 * key log writes its texts in the language asked for. */
static void check_headings(const json_t *rep)
{
	const json_t *sec, *col;
	size_t i, k;

	assert_string_not_equal(json_string_value(json_object_get(rep, "title_zh")),
				json_string_value(json_object_get(rep, "title_en")));
	json_array_foreach(json_object_get(rep, "sections"), i, sec) {
		const char *en = json_string_value(json_object_get(sec, "title_en"));

		if (strcmp(en, json_string_value(json_object_get(sec, "title_zh"))) == 0)
			fail_msg("section \"%s\" has no Chinese title", en);
		json_array_foreach(json_object_get(sec, "columns"), k, col) {
			en = json_string_value(json_object_get(col, "en"));
			if (strcmp(en, json_string_value(json_object_get(col, "zh"))) == 0)
				fail_msg("column \"%s\" has no Chinese heading", en);
		}
	}
}

static const char *no_params(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return NULL;
}

/* Removes dir/name with its -wal and -shm files, then dir. */
static void remove_db(const char *dir, const char *name)
{
	static const char *const ends[] = { "", "-wal", "-shm" };
	char p[128];

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s%s", dir, name, ends[i]);
		unlink(p);
	}
	rmdir(dir);
}

static void test_ingest_and_report(void **state)
{
	char path[] = "/tmp/kc-unit-XXXXXX", dbp[64], err[256], prev[KC_HASH_HEX] = KC_GENESIS_HASH;
	char token[KC_TOKEN_LEN], cab[KC_NAME_MAX + 1];
	struct kc_audit_config cfg;
	struct kc_ingest_result res;
	struct kc_params p = { no_params, NULL, false, NULL };
	struct kc_db *db;
	json_t *batch = json_array(), *rep;
	int64_t checked, bad;
	char *body;

	(void)state;
	assert_non_null(mkdtemp(path));
	snprintf(dbp, sizeof(dbp), "%s/a.db", path);
	assert_int_equal(kc_config_defaults(&cfg), 0);
	db = kc_db_open(dbp, 1, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(kc_auth_cabinet_add(db, "C1", token), 0);
	assert_int_equal(kc_auth_cabinet_add(db, "C1", token), -EEXIST);
	assert_int_equal(kc_auth_cabinet_by_token(db, token, cab, sizeof(cab)), 0);
	assert_string_equal(cab, "C1");
	assert_int_equal(kc_auth_cabinet_by_token(db, "nope", cab, sizeof(cab)), -EACCES);
	for (int i = 1; i <= 3; i++) {
		json_t *ev = kc_event_new("C1", i, 1700000000000 + i, "site.registered");

		json_object_set_new(ev, "site", json_string(i == 3 ? "S3" : "S1"));
		json_object_set_new(json_object_get(ev, "data"), "age", json_string("new"));
		assert_int_equal(kc_event_seal(ev, prev, prev), 0);
		json_array_append_new(batch, ev);
	}
	body = json_dumps(batch, JSON_COMPACT);
	assert_int_equal(kc_ingest_batch(db, &cfg, "C1", body, strlen(body), &res), 0);
	assert_int_equal(res.status, 200);
	assert_int_equal(res.stored, 3);
	assert_int_equal(res.last_seq, 3);
	assert_int_equal(kc_ingest_batch(db, &cfg, "C1", body, strlen(body), &res), 0);
	assert_int_equal(res.duplicates, 3);
	free(body);
	assert_int_equal(kc_chain_verify(db, "C1", &checked, &bad, err, sizeof(err)), 0);
	assert_int_equal(checked, 3);
	assert_int_equal(kc_report_run(db, "vacant", &p, 1700000000000, &rep, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(rep, "sections"), 0), "rows")), 2);
	json_decref(rep);
	for (size_t i = 0; i < kc_nreports; i++) {
		struct kc_params en = { no_params, NULL, true, NULL };
		const char *text;

		assert_int_equal(kc_report_run(db, kc_reports[i].name, &p, 1700000000000, &rep, err, sizeof(err)), 0);
		check_headings(rep);
		if (strcmp(kc_reports[i].name, "keylog") == 0) {
			/* newest first: S3's registration; its sentence (column 13, "text") */
			text = json_string_value(json_array_get(json_array_get(json_object_get(
				json_array_get(json_object_get(rep, "sections"), 0), "rows"), 0), 13));
			assert_non_null(text);
			assert_string_equal(text, "登记项目 S3");
			json_decref(rep);
			assert_int_equal(kc_report_run(db, "keylog", &en, 1700000000000, &rep, err, sizeof(err)), 0);
			text = json_string_value(json_array_get(json_array_get(json_object_get(
				json_array_get(json_object_get(rep, "sections"), 0), "rows"), 0), 13));
			assert_non_null(text);
			assert_string_equal(text, "Site S3 registered");
		}
		json_decref(rep);
	}
	assert_int_equal(kc_report_run(db, "nope", &p, 0, &rep, err, sizeof(err)), -ENOENT);
	json_decref(batch);
	kc_db_free(db);
	kc_config_free(&cfg);
	remove_db(path, "a.db");
}

static void count_difference(void *ctx, const char *sentence)
{
	(void)sentence;
	(*(int *)ctx)++;
}

/* The office chain: acts sealed and stored like a cabinet's events, the
 * chain re-checked by kc_chain_verify, a tampered body found. */
static void test_office_chain(void **state)
{
	char path[] = "/tmp/kc-unit-XXXXXX", dbp[64], err[256];
	struct kc_office_about about = { .site = "S1" };
	struct kc_audit_config cfg;
	struct kc_db *db;
	int64_t checked, bad, seq = 0, events, diffs;
	json_t *ok = json_pack("{s:s, s:i, s:s, s:s}", "cabinet", "C1", "inspection", 5, "department", "工程部",
			       "to", "王工");
	json_t *nodept = json_pack("{s:s, s:i}", "cabinet", "C1", "inspection", 6);
	int n = 0;

	(void)state;
	assert_non_null(mkdtemp(path));
	snprintf(dbp, sizeof(dbp), "%s/o.db", path);
	assert_int_equal(kc_config_defaults(&cfg), 0);
	db = kc_db_open(dbp, 1, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(kc_chain_verify(db, KC_OFFICE_CHAIN, &checked, &bad, err, sizeof(err)), 0);
	assert_int_equal(checked, 0);
	/* a cabinet's type is no office act */
	assert_int_equal(kc_office_record(db, KC_EVT_NOTICE_DUE, "sup", ok), -EINVAL);
	/* a member its table needs is missing: nothing is stored */
	assert_int_equal(kc_office_record(db, KC_EVT_OFFICE_PROBLEM_FORWARDED, "sup", nodept), -EINVAL);
	assert_int_equal(kc_office_record_about(db, KC_EVT_OFFICE_PROBLEM_FORWARDED, "sup", &about, ok, &seq), 0);
	assert_int_equal(seq, 1);
	assert_int_equal(kc_office_record(db, KC_EVT_OFFICE_PROBLEM_FORWARDED, "sup", ok), 0);
	assert_int_equal(kc_chain_verify(db, KC_OFFICE_CHAIN, &checked, &bad, err, sizeof(err)), 0);
	assert_int_equal(checked, 2);
	assert_int_equal(kc_verify_derived(db, &cfg, count_difference, &n, &events, &diffs, err, sizeof(err)), 0);
	assert_int_equal(events, 2);
	assert_int_equal(diffs, 0);
	/* the department changed behind the service's back, in the body */
	assert_int_equal(kc_db_exec(db, "UPDATE events SET body = replace(body, '5DE5', '4FDD')"
					" WHERE cabinet = '@office' AND seq = 1"),
			 0);
	assert_int_equal(kc_chain_verify(db, KC_OFFICE_CHAIN, &checked, &bad, err, sizeof(err)), 1);
	assert_int_equal(bad, 1);
	json_decref(ok);
	json_decref(nodept);
	kc_db_free(db);
	kc_config_free(&cfg);
	remove_db(path, "o.db");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_template), cmocka_unit_test(test_template_kinds), cmocka_unit_test(test_notice_time), cmocka_unit_test(test_csv),
		cmocka_unit_test(test_html),     cmocka_unit_test(test_config),
		cmocka_unit_test(test_ingest_and_report), cmocka_unit_test(test_words),
		cmocka_unit_test(test_office_chain),
	};

	kc_pdata_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
