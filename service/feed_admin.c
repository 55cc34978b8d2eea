/* The feed's admin subcommands (keyauditd add-cabinet --managed,
 * cabinet-mode, feed-add, feed-status): kc_feed_command. */
#include "service/feed_admin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "service/auth.h"
#include "service/feed.h"
#include "service/store.h"

static struct kc_db *admin_open(const struct kc_audit_config *cfg)
{
	char err[512];
	struct kc_db *db = kc_db_open(cfg->db_path, 1, err, sizeof(err));

	if (!db)
		fprintf(stderr, "keyauditd: %s\n", err);
	return db;
}

/* add-cabinet ID --managed (or --managed ID): the cabinet registered and
 * managed in one transaction; its token printed once. */
static int cmd_add_managed(const struct kc_audit_config *cfg, const char *id)
{
	char token[KC_TOKEN_LEN];
	struct kc_db *db = admin_open(cfg);
	int r;

	if (!db)
		return 1;
	r = kc_db_begin(db) < 0 ? -EIO : kc_auth_cabinet_add(db, id, token);
	if (r == 0)
		r = kc_feed_cabinet_set_mode(db, id, KC_FEED_MANAGED);
	if (r == 0 && kc_db_commit(db) < 0)
		r = -EIO;
	if (r < 0)
		kc_db_rollback(db);
	kc_db_free(db);
	if (r < 0) {
		fprintf(stderr, "keyauditd add-cabinet: %s\n",
			r == -EEXIST ? "that cabinet is registered already" :
			r == -EINVAL ? "a cabinet id is 1 to 64 of A-Z a-z 0-9 . _ -" : "database error");
		return 1;
	}
	printf("%s\n", token);
	return 0;
}

static int cmd_mode(const struct kc_audit_config *cfg, int argc, char **argv)
{
	enum kc_feed_mode m;
	struct kc_db *db;
	int r;

	if (argc != 3 || kc_feed_mode_parse(argv[2], &m) < 0) {
		fprintf(stderr, "usage: keyauditd cabinet-mode ID managed|standalone\n");
		return 2;
	}
	db = admin_open(cfg);
	if (!db)
		return 1;
	r = kc_feed_cabinet_set_mode(db, argv[1], m);
	kc_db_free(db);
	if (r < 0) {
		fprintf(stderr, "keyauditd cabinet-mode: %s\n", r == -ENOENT ? "no such cabinet" : "database error");
		return 1;
	}
	printf("cabinet %s: %s\n", argv[1], kc_feed_mode_name(m));
	return 0;
}

/* feed-add CABINET TYPE JSON [BY]: one change appended as it is (the
 * cabinet's keycabd checks it when it applies it); prints its number. */
static int cmd_feed_add(const struct kc_audit_config *cfg, int argc, char **argv)
{
	json_error_t jerr;
	json_t *data;
	struct kc_db *db;
	int r;

	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: keyauditd feed-add CABINET TYPE JSON-OBJECT [BY]\n");
		return 2;
	}
	data = json_loads(argv[3], 0, &jerr);
	if (!json_is_object(data)) {
		fprintf(stderr, "keyauditd feed-add: the data is not a JSON object%s%s\n", data ? "" : ": ",
			data ? "" : jerr.text);
		json_decref(data);
		return 2;
	}
	db = admin_open(cfg);
	if (!db) {
		json_decref(data);
		return 1;
	}
	r = kc_db_write_begin(db);
	if (r == 0) {
		r = kc_feed_add(db, argv[1], argv[2], data, argc == 5 ? argv[4] : "admin", kc_wall_ms());
		r = kc_db_write_end(db, r < 0 ? r : 0) < 0 && r > 0 ? -EIO : r;
	}
	kc_db_free(db);
	json_decref(data);
	if (r < 0) {
		fprintf(stderr, "keyauditd feed-add: %s\n",
			r == -ENOENT ? "no such cabinet" :
			r == -EPERM ? "the cabinet is standalone: it gets no feed (keyauditd cabinet-mode ID managed)" :
			r == -EINVAL ? "bad type or data" : "database error");
		return 1;
	}
	printf("%d\n", r);
	return 0;
}

/* feed-status CABINET [N]: the feed's counts and its N newest changes
 * (default 20), as JSON. */
static int cmd_feed_status(const struct kc_audit_config *cfg, int argc, char **argv)
{
	long long n = 20;
	json_t *out = NULL;
	struct kc_db *db;
	int r;

	if ((argc != 2 && argc != 3) || (argc == 3 && kc_parse_long(argv[2], 0, 100000, &n) < 0)) {
		fprintf(stderr, "usage: keyauditd feed-status CABINET [N]\n");
		return 2;
	}
	db = admin_open(cfg);
	if (!db)
		return 1;
	r = kc_feed_status(db, argv[1], 0, (int)n, &out);
	kc_db_free(db);
	if (r < 0) {
		fprintf(stderr, "keyauditd feed-status: %s\n", r == -ENOENT ? "no such cabinet" : "database error");
		return 1;
	}
	json_dumpf(out, stdout, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	putchar('\n');
	json_decref(out);
	return 0;
}

int kc_feed_command(const struct kc_audit_config *cfg, const char *cmd, int argc, char **argv)
{
	if (strcmp(cmd, "add-cabinet") == 0 && argc == 3 && strcmp(argv[2], "--managed") == 0)
		return cmd_add_managed(cfg, argv[1]);
	if (strcmp(cmd, "add-cabinet") == 0 && argc == 3 && strcmp(argv[1], "--managed") == 0)
		return cmd_add_managed(cfg, argv[2]);
	if (strcmp(cmd, "cabinet-mode") == 0)
		return cmd_mode(cfg, argc, argv);
	if (strcmp(cmd, "feed-add") == 0)
		return cmd_feed_add(cfg, argc, argv);
	if (strcmp(cmd, "feed-status") == 0)
		return cmd_feed_status(cfg, argc, argv);
	return -1;
}
