/* Unit tests of the embedded schemas (schema/embed-sql.sh): for each
 * database, one migration per schema/<kind>-NNN.sql file there is, each
 * the file's text byte for byte (so a file added is picked up with no
 * edit, and no two migrations run into each other), and a database the
 * shared layer (common/db.c) creates stands at the number of files. */
#include <errno.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/db.h"
#include "controller/schema_sql.h"
#include "service/schema_sql.h"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;

	assert_non_null(f);
	assert_int_equal(getdelim(&buf, &len, '\0', f) >= 0 || feof(f), 1);
	fclose(f);
	return buf;
}

static void check_kind(const char *kind, const char *const *migrations, int count)
{
	const char *src = getenv("KEYCAB_SRC");
	char pattern[512], dir[] = "/tmp/t-schema.XXXXXX", path[64], err[512];
	struct kc_db_spec spec = { .program = "t-schema", .kind = kind, .migrations = migrations,
				   .nmigrations = count, .busy_ms = 1000, .create = true, .startup = true,
				   .fresh_ok = true };
	struct kc_db *db;
	glob_t g;
	int v = -1;

	snprintf(pattern, sizeof(pattern), "%s/schema/%s-*.sql", src ? src : ".", kind);
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	printf("%s: %zu files, %d migrations embedded\n", kind, g.gl_pathc, count);
	assert_int_equal((int)g.gl_pathc, count);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char *text = slurp(g.gl_pathv[i]);

		if (strcmp(text, migrations[i]) != 0)
			fail_msg("migration %zu is not %s as it is", i + 1, g.gl_pathv[i]);
		free(text);
	}
	globfree(&g);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/x.db", dir);
	db = kc_db_connect(path, &spec, err, sizeof(err));
	if (!db)
		fail_msg("%s", err);
	assert_int_equal(kc_db_user_version(db, &v), 0);
	assert_int_equal(v, count);
	kc_db_free(db);
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/x.db%s", dir, (const char *[]){ "", "-wal", "-shm" }[i]);
		unlink(path);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void test_controller(void **state)
{
	(void)state;
	check_kind("controller", kc_controller_migrations, kc_controller_migration_count);
}

static void test_audit(void **state)
{
	(void)state;
	check_kind("audit", kc_audit_migrations, kc_audit_migration_count);
}

/* An in-memory database (verify-chain's re-derivation) leaves no file
 * named ":memory:" in the working directory. */
static void test_memory(void **state)
{
	char dir[] = "/tmp/t-schema-mem.XXXXXX", err[256], cwd[4096];
	struct kc_db_spec spec = { .program = "t-schema", .kind = "audit", .migrations = kc_audit_migrations,
				   .nmigrations = kc_audit_migration_count, .busy_ms = 1000, .create = true,
				   .startup = true, .fresh_ok = true };
	struct kc_db *db;

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
	db = kc_db_connect(":memory:", &spec, err, sizeof(err));
	if (!db)
		fail_msg("%s", err);
	kc_db_free(db);
	assert_int_equal(access(":memory:", F_OK), -1);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_controller),
		cmocka_unit_test(test_audit),
		cmocka_unit_test(test_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
