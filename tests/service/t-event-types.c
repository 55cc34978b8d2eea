/* The one list of event types (common/event_types.h): every type is either
 * derived by keyauditd (a function in service/derive.c) or marked log-only,
 * names are unique and found by name, and the list names the same types
 * as the tables of schema/events.md. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/event_types.h"
#include "service/derive.h"

static void test_derived_or_log_only(void **state)
{
	(void)state;
	for (int t = 0; t < KC_EVT_COUNT; t++) {
		const char *name = kc_event_type_name((enum kc_event_type)t);
		bool derived = kc_event_type_use((enum kc_event_type)t) == KC_EVT_DERIVED;

		assert_non_null(name);
		if (derived != kc_derive_has((enum kc_event_type)t))
			fail_msg("%s is marked %s but derive.c %s for it", name,
				 derived ? "derived" : "log-only", derived ? "has no function" : "has a function");
	}
	assert_false(kc_derive_has(KC_EVT_COUNT));
	assert_null(kc_event_type_name(KC_EVT_COUNT));
}

static void test_find(void **state)
{
	enum kc_event_type found;

	(void)state;
	for (int t = 0; t < KC_EVT_COUNT; t++) {
		assert_int_equal(kc_event_type_find(kc_event_type_name((enum kc_event_type)t), &found), 0);
		assert_int_equal(found, t); /* the first with that name: names are unique */
	}
	assert_int_equal(kc_event_type_find("release.granted", &found), 0);
	assert_int_equal(found, KC_EVT_RELEASE_GRANTED);
	assert_int_equal(kc_event_type_find("release.grante", &found), -ENOENT);
	assert_int_equal(kc_event_type_find("", &found), -ENOENT);
	assert_int_equal(kc_event_type_find(NULL, &found), -ENOENT);
}

/* The types schema/events.md names: the first cell of each table row
 * after "## Event types", when it is one back-quoted dotted name
 * ("| `release.granted` | ..."; "| `person.registered` (owners) |"
 * counts too). Returns how many were added to names. */
static int doc_types(FILE *f, char names[][64], int max)
{
	char line[4096];
	bool in_types = false;
	int n = 0;

	while (fgets(line, sizeof(line), f)) {
		char *end;
		size_t len;

		if (strncmp(line, "## ", 3) == 0)
			in_types = strncmp(line, "## Event types", 14) == 0;
		if (!in_types || strncmp(line, "| `", 3) != 0)
			continue;
		end = strchr(line + 3, '`');
		if (!end)
			continue;
		len = (size_t)(end - (line + 3));
		if (len == 0 || len >= 64 || !memchr(line + 3, '.', len))
			continue;
		for (int i = 0; i < n; i++)
			if (strlen(names[i]) == len && memcmp(names[i], line + 3, len) == 0)
				goto next;
		assert_true(n < max);
		memcpy(names[n], line + 3, len);
		names[n++][len] = '\0';
next:;
	}
	return n;
}

static void test_doc(void **state)
{
	const char *src = getenv("KEYCAB_SRC");
	char path[4096], names[128][64];
	enum kc_event_type t;
	bool listed[KC_EVT_COUNT] = { false };
	int n, bad = 0;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/schema/events.md", src ? src : ".");
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot read %s (KEYCAB_SRC names the source tree)", path);
	n = doc_types(f, names, 128);
	fclose(f);
	/* The doc's tables hold far more than a handful: a parser that finds
	 * nothing must not pass. */
	assert_true(n >= KC_EVT_COUNT / 2);
	for (int i = 0; i < n; i++) {
		if (kc_event_type_find(names[i], &t) < 0) {
			print_error("schema/events.md names %s, common/event_types.h does not\n", names[i]);
			bad++;
			continue;
		}
		listed[t] = true;
	}
	for (int i = 0; i < KC_EVT_COUNT; i++) {
		if (!listed[i]) {
			print_error("common/event_types.h names %s, schema/events.md does not\n",
				    kc_event_type_name((enum kc_event_type)i));
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_derived_or_log_only),
		cmocka_unit_test(test_find),
		cmocka_unit_test(test_doc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
