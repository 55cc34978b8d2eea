/* keyauditd: the audit service. main reads as a list: config, database,
 * notifier, listener, READY=1, loop; and the admin subcommands. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <curl/curl.h>

#include "common/log.h"
#include "common/signals.h"
#include "common/pdata.h"
#include "common/util.h"
#include "service/auth.h"
#include "service/cabinet_watch.h"
#include "service/config.h"
#include "service/feed_admin.h"
#include "service/daily_summary.h"
#include "service/http.h"
#include "service/chain.h"
#include "service/ingest.h"
#include "service/notice_key.h"
#include "service/notify.h"
#include "service/store.h"
#include "service/verify.h"
#include "service/zone.h"

static void usage(FILE *f)
{
	fputs("usage: keyauditd [-c CONF] [--listen ADDR] [--port N] [--db PATH] [--port-file FILE] COMMAND\n"
	      "commands:\n"
	      "  serve                         run the service (the default)\n"
	      "  add-user --role ROLE NAME     add a supervisor or admin; the password is read from stdin\n"
	      "  add-cabinet ID                register a cabinet; prints its bearer token once\n"
	      "  rotate-token ID               give a cabinet a new token; the old one stops working\n"
	      "  verify-chain ID               re-check a cabinet's stored hash chain, every epoch\n"
	      "  new-epoch ID                  start a new chain epoch for a cabinet whose database was lost\n"
	      "                                or restored from an older backup (service/README.md)\n"
	      "  check-config                  read the configuration and report the first bad value\n"
	      "  notice-key new                add a notice key pair to [notify] notice_key_file; prints\n"
	      "                                the public half, which the cabinets are configured with\n"
	      "  add-cabinet ID --managed      register a cabinet whose estate the office manages (a feed)\n"
	      "  cabinet-mode ID managed|standalone  whether the office manages a cabinet's estate\n"
	      "  feed-add CABINET TYPE JSON [BY]  append a change to a managed cabinet's feed\n"
	      "  feed-status CABINET [N]       a cabinet's feed: counts and its N newest changes\n",
	      f);
}

static int make_timerfd(int64_t period_ms)
{
	struct itimerspec its = { 0 };
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	its.it_interval.tv_sec = period_ms / 1000;
	its.it_interval.tv_nsec = (period_ms % 1000) * 1000000;
	its.it_value = its.it_interval;
	if (timerfd_settime(fd, 0, &its, NULL) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int healthy(struct kc_db *db, struct kc_notifier *n)
{
	sqlite3_stmt *st = kc_db_stmt(db, "SELECT count(*) FROM cabinets");
	int ok;

	if (!st)
		return 0;
	ok = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return ok && kc_notifier_health(n) == 0;
}

/* SIGHUP: the TLS certificate and key read again; a bad file leaves the
 * ones in use. */
static void reload(const struct kc_audit_config *cfg, struct kc_http *server)
{
	char err[512], about[400];
	int r;

	if (!cfg->tls_cert) {
		kc_notice("SIGHUP: nothing to reload (no [server] tls_cert)");
		return;
	}
	r = kc_http_reload(server, about, sizeof(about), err, sizeof(err));
	if (r < 0)
		kc_err("SIGHUP: %s; still serving the certificate loaded before", err);
	else if (r > 0)
		kc_warn("SIGHUP: TLS certificate %s reloaded: %s: clients will refuse it", cfg->tls_cert, about);
	else
		kc_notice("SIGHUP: TLS certificate %s reloaded: %s; new connections get it", cfg->tls_cert, about);
}

static int serve(struct kc_audit_config *cfg)
{
	struct kc_db *db;
	struct kc_notifier *notifier;
	struct kc_http *server;
	char err[512];
	uint64_t wd_usec = 0;
	int64_t period = 1000, last_house = kc_mono_ms();
	int sfd, tfd, r = 1;

	/* the estate's card key: the cards typed at the office are hashed with it */
	if (cfg->card_key_file && kc_pdata_key_load(cfg->card_key_file, err, sizeof(err)) < 0) {
		kc_err("[estate] card_key_file: %s", err);
		return 2;
	}
	sfd = kc_signalfd_open(false);
	if (sfd < 0) {
		kc_err("signalfd: %s", strerror(-sfd));
		return 1;
	}
	db = kc_db_open(cfg->db_path, 1, err, sizeof(err));
	if (!db) {
		kc_err("%s", err);
		goto close_sfd;
	}
	notifier = kc_notifier_start(cfg, err, sizeof(err));
	if (!notifier) {
		kc_err("notifier: %s", err);
		goto close_db;
	}
	server = kc_http_start(cfg, notifier, err, sizeof(err));
	if (!server) {
		kc_err("%s", err);
		goto stop_notifier;
	}
	if (cfg->port_file) {
		FILE *f = fopen(cfg->port_file, "w");

		if (!f || fprintf(f, "%d\n", kc_http_port(server)) < 0 || fclose(f) != 0) {
			kc_err("%s: cannot write the port: %s", cfg->port_file, strerror(errno));
			goto stop_server;
		}
	}
	if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec / 2000 < (uint64_t)period)
		period = (int64_t)(wd_usec / 2000);
	tfd = make_timerfd(period);
	if (tfd < 0) {
		kc_err("timerfd: %s", strerror(-tfd));
		goto stop_server;
	}
	kc_notice("listening on %s port %d, database %s, %d webhook(s)", cfg->listen, kc_http_port(server),
		  cfg->db_path, cfg->nwebhooks);
	sd_notify(0, "READY=1\nSTATUS=serving");
	for (;;) {
		struct pollfd p[2] = { { .fd = sfd, .events = POLLIN }, { .fd = tfd, .events = POLLIN } };

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			kc_err("poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if (si.ssi_signo == SIGHUP) {
				reload(cfg, server);
				continue;
			}
			kc_notice("signal %u: stopping", si.ssi_signo);
			r = 0;
			break;
		}
		if (p[1].revents & POLLIN) {
			uint64_t ticks;
			int offline, summaries;

			if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				kc_warn("timerfd: %s", strerror(errno));
			if (healthy(db, notifier))
				sd_notify(0, "WATCHDOG=1");
			else
				kc_warn("unhealthy: the database does not answer; not feeding the watchdog");
			offline = kc_cabinet_watch(db, cfg, kc_wall_ms());
			if (offline < 0)
				kc_warn("cannot look for cabinets gone offline: %s", strerror(-offline));
			summaries = kc_daily_summary(db, cfg, kc_wall_ms());
			if (summaries < 0)
				kc_warn("cannot make the daily summaries: %s", strerror(-summaries));
			if (offline > 0 || summaries > 0)
				kc_notifier_wake(notifier);
			if (kc_mono_ms() - last_house >= 60000) {
				last_house = kc_mono_ms();
				if (kc_auth_session_expire(db) < 0)
					kc_warn("cannot expire old sessions: %s", sqlite3_errmsg(db->h));
				sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
			}
		}
	}
	sd_notify(0, "STOPPING=1");
	close(tfd);
stop_server:
	kc_http_stop(server);
stop_notifier:
	kc_notifier_stop(notifier);
close_db:
	kc_db_free(db);
close_sfd:
	close(sfd);
	return r;
}

static int read_password(char *buf, size_t len)
{
	size_t n;

	if (!fgets(buf, (int)len, stdin))
		return -EINVAL;
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return n ? 0 : -EINVAL;
}

static int cmd_add_user(struct kc_audit_config *cfg, int argc, char **argv)
{
	static const struct option opts[] = { { "role", required_argument, NULL, 'r' }, { NULL, 0, NULL, 0 } };
	enum kc_role role = KC_ROLE_NONE;
	char pass[256], err[512];
	struct kc_db *db;
	int o, r;

	optind = 1;
	while ((o = getopt_long(argc, argv, "r:", opts, NULL)) != -1) {
		if (o != 'r' || kc_auth_role_parse(optarg, &role) < 0 || role == KC_ROLE_MANAGER) {
			fprintf(stderr, "keyauditd add-user: --role must be supervisor or admin\n");
			return 2;
		}
	}
	if (role == KC_ROLE_NONE || optind != argc - 1) {
		fprintf(stderr, "usage: keyauditd add-user --role supervisor|admin NAME  (password on stdin)\n");
		return 2;
	}
	if (kc_auth_name_check(argv[optind]) < 0) {
		fprintf(stderr, "keyauditd add-user: a user name is 1 to 64 of A-Z a-z 0-9 . _ -\n");
		return 2;
	}
	if (read_password(pass, sizeof(pass)) < 0 || kc_auth_password_check(argv[optind], pass) < 0) {
		memset(pass, 0, sizeof(pass));
		fprintf(stderr, "keyauditd add-user: give a password on the first line of stdin: 8 to 128 bytes,"
				" of letters and digits or signs, not the user name\n");
		return 2;
	}
	db = kc_db_open(cfg->db_path, 1, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "keyauditd: %s\n", err);
		return 1;
	}
	r = kc_auth_user_add(db, argv[optind], role, pass);
	memset(pass, 0, sizeof(pass));
	kc_db_free(db);
	if (r == -EEXIST) {
		fprintf(stderr, "keyauditd add-user: user %s exists already\n", argv[optind]);
		return 1;
	}
	if (r < 0) {
		fprintf(stderr, "keyauditd add-user: cannot add %s: %s\n", argv[optind], strerror(-r));
		return 1;
	}
	printf("user %s added (%s)\n", argv[optind], kc_auth_role_name(role));
	return 0;
}

static void print_difference(void *ctx, const char *sentence)
{
	(void)ctx;
	printf("  %s\n", sentence);
}

static int cmd_cabinet(struct kc_audit_config *cfg, const char *cmd, int argc, char **argv)
{
	char token[KC_TOKEN_LEN], err[512];
	struct kc_db *db;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: keyauditd %s ID\n", cmd);
		return 2;
	}
	db = kc_db_open(cfg->db_path, 1, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "keyauditd: %s\n", err);
		return 1;
	}
	if (strcmp(cmd, "verify-chain") == 0) {
		int64_t checked = 0, bad = 0, events = 0, diffs = 0;

		r = kc_chain_verify(db, argv[1], &checked, &bad, err, sizeof(err));
		if (r == -ENOENT) {
			kc_db_free(db);
			fprintf(stderr, "keyauditd verify-chain: no cabinet %s\n", argv[1]);
			return 1;
		}
		if (r < 0) {
			kc_db_free(db);
			fprintf(stderr, "keyauditd verify-chain: database error\n");
			return 1;
		}
		if (r > 0)
			printf("cabinet %s: chain BROKEN at event %lld after %lld good events: %s\n", argv[1],
			       (long long)bad, (long long)checked, err);
		else
			printf("cabinet %s: chain intact, %lld events%s%s%s\n", argv[1], (long long)checked,
			       err[0] ? " (" : "", err, err[0] ? ")" : "");
		/* What the reports read must be what the events say. */
		if (kc_verify_derived(db, cfg, print_difference, NULL, &events, &diffs, err, sizeof(err)) < 0) {
			kc_db_free(db);
			fprintf(stderr, "keyauditd verify-chain: %s\n", err);
			return 1;
		}
		kc_db_free(db);
		if (diffs)
			printf("report tables: %lld difference(s) from what the %lld stored events give\n",
			       (long long)diffs, (long long)events);
		else
			printf("report tables: as the %lld stored events give\n", (long long)events);
		return r > 0 || diffs ? 3 : 0;
	}
	r = strcmp(cmd, "add-cabinet") == 0 ? kc_auth_cabinet_add(db, argv[1], token) : kc_auth_cabinet_rotate(db, argv[1], token);
	kc_db_free(db);
	if (r == -EEXIST || r == -ENOENT || r == -EINVAL) {
		fprintf(stderr, "keyauditd %s: %s\n", cmd,
			r == -EEXIST ? "that cabinet is registered already" :
			r == -ENOENT ? "no such cabinet" : "a cabinet id is 1 to 64 of A-Z a-z 0-9 . _ -");
		return 1;
	}
	if (r < 0) {
		fprintf(stderr, "keyauditd %s: database error\n", cmd);
		return 1;
	}
	printf("%s\n", token);
	return 0;
}

/* keyauditd new-epoch ID: the cabinet's chain starts again here. */
static int cmd_new_epoch(struct kc_audit_config *cfg, int argc, char **argv)
{
	char err[512];
	struct kc_db *db;
	int64_t epoch = 0;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: keyauditd new-epoch ID\n");
		return 2;
	}
	db = kc_db_open(cfg->db_path, 1, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "keyauditd: %s\n", err);
		return 1;
	}
	r = kc_chain_new_epoch(db, argv[1], &epoch);
	kc_db_free(db);
	if (r < 0) {
		fprintf(stderr, "keyauditd new-epoch: %s\n",
			r == -ENOENT ? "no such cabinet" :
			r == -EALREADY ? "the cabinet's newest epoch has no event yet; it starts with the next one" :
			"database error");
		return 1;
	}
	printf("cabinet %s: epoch %lld started; the cabinet's next events anchor it "
	       "(stored as %s~%lld; the events already stored stay and verify as before)\n",
	       argv[1], (long long)epoch, argv[1], (long long)epoch);
	return 0;
}

/* notice-key new: a new pair; the older ones stay (numbers sealed to them
 * still open). */
static int cmd_notice_key(struct kc_audit_config *cfg, int argc, char **argv)
{
	char pub[KC_NOTICE_PUB_B64], err[512];

	if (argc != 2 || strcmp(argv[1], "new") != 0) {
		usage(stderr);
		return 2;
	}
	if (!cfg->notice_key_file) {
		kc_err("keyauditd notice-key: no [notify] notice_key_file in the configuration");
		return 2;
	}
	if (kc_notice_key_new(cfg->notice_key_file, pub, err, sizeof(err)) < 0) {
		kc_err("keyauditd notice-key: %s", err);
		return 1;
	}
	printf("%s\n", pub);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },   { "db", required_argument, NULL, 'd' },
		{ "port-file", required_argument, NULL, 'P' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct {
		const char *section, *key, *value, *opt;
	} cli[8];
	struct kc_audit_config cfg;
	const char *conf = NULL, *cmd;
	char err[512];
	int ncli = 0, o, r;

	kc_log_init("keyauditd");
	while ((o = getopt_long(argc, argv, "+c:l:p:d:P:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': conf = optarg; break;
		case 'l': cli[ncli++] = (typeof(cli[0])){ "server", "listen", optarg, "--listen" }; break;
		case 'p': cli[ncli++] = (typeof(cli[0])){ "server", "port", optarg, "--port" }; break;
		case 'd': cli[ncli++] = (typeof(cli[0])){ "database", "path", optarg, "--db" }; break;
		case 'P': cli[ncli++] = (typeof(cli[0])){ "server", "port_file", optarg, "--port-file" }; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (ncli == (int)KC_ARRAY_SIZE(cli) - 1) {
			usage(stderr);
			return 2;
		}
	}
	if (kc_pdata_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    kc_config_defaults(&cfg) < 0) {
		kc_err("cannot initialise libsodium/libcurl");
		return 1;
	}
	r = 0;
	if (conf)
		r = kc_config_load(&cfg, conf, err, sizeof(err));
	for (int i = 0; r == 0 && i < ncli; i++) {
		char why[256] = "";

		r = kc_config_set(&cfg, cli[i].section, cli[i].key, cli[i].value, why, sizeof(why));
		if (r < 0)
			snprintf(err, sizeof(err), "command line: %s %s: %s", cli[i].opt, cli[i].value, why);
	}
	if (r < 0) {
		kc_err("%s", err);
		kc_config_free(&cfg);
		return 2;
	}
	kc_zone_set_default(cfg.time_zone); /* checked as the configuration was read */
	cmd = optind < argc ? argv[optind] : "serve";
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "serve") == 0)
		r = serve(&cfg);
	else if ((r = kc_feed_command(&cfg, cmd, argc, argv)) >= 0)
		;
	else if (strcmp(cmd, "add-user") == 0)
		r = cmd_add_user(&cfg, argc, argv);
	else if (strcmp(cmd, "add-cabinet") == 0 || strcmp(cmd, "rotate-token") == 0 ||
		 strcmp(cmd, "verify-chain") == 0)
		r = cmd_cabinet(&cfg, cmd, argc, argv);
	else if (strcmp(cmd, "new-epoch") == 0)
		r = cmd_new_epoch(&cfg, argc, argv);
	else if (strcmp(cmd, "notice-key") == 0)
		r = cmd_notice_key(&cfg, argc, argv);
	else if (strcmp(cmd, "check-config") == 0)
		r = printf("configuration OK\n") < 0;
	else {
		usage(stderr);
		r = 2;
	}
	kc_config_free(&cfg);
	curl_global_cleanup();
	return r;
}
