/* keycabd: the cabinet controller. main() reads as a list: configuration,
 * hardware (every lock off, before anything else can fail), database,
 * socket, the outbox for keycab-forward, READY=1, loop. */
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

#include "common/ini.h"
#include "common/log.h"
#include "common/msg.h"
#include "common/signals.h"
#include "common/pdata.h"
#include "common/util.h"
#include "controller/conf.h"
#include "controller/ctl.h"
#include "controller/proto.h"
#include "controller/request.h"
#include "controller/schema_sql.h"
#include "controller/store.h"
#include "controller/backlog.h"
#include "controller/hwevents.h"
#include "controller/hwlink.h"
#include "controller/hwread.h"
#include "controller/outbox_ops.h"
#include "controller/hashkey.h"
#include "controller/registry.h"
#include "controller/scans.h"
#include "controller/session.h"
#include "controller/subscribe.h"
#include "controller/windows.h"

#define KEYCABD_VERSION "1.0"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: keycabd -c CONFIG [--init-db] [--test-clock] [--check-config]\n"
		"  -c, --config FILE   keycabd's configuration (controller/README.md)\n"
		"  --init-db           create the database once, then exit\n"
		"  --check-config      load the configuration and cabinet file, then exit\n"
		"  --test-clock        allow the test.clock request (tests only)\n");
}

static void arm_timer(int fd, int64_t ms)
{
	struct itimerspec its = { 0 };

	if (ms < 1)
		ms = 1;
	its.it_value.tv_sec = ms / 1000;
	its.it_value.tv_nsec = (ms % 1000) * 1000000;
	timerfd_settime(fd, 0, &its, NULL);
}

static int64_t min_ms(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* An event of keycabd's own life; data's members (taken) go into its data. */
static int lifecycle_event(struct kc_ctl *ctl, enum kc_event_type type, json_t *data)
{
	json_t *ev = kc_store_event(ctl->st, type);

	json_object_update(json_object_get(ev, "data"), data);
	json_decref(data);
	if (kc_store_begin(ctl->st) < 0) {
		json_decref(ev);
		return -EIO;
	}
	if (kc_store_append(ctl->st, ev) < 0 || kc_store_commit(ctl->st) < 0) {
		kc_store_rollback(ctl->st);
		return -EIO;
	}
	return 0;
}

/* keycabd cannot start: every lock of the cabinet in file off before it
 * exits, as its start would have done (rule 10). */
static void locks_off(const char *file)
{
	char err[512];
	struct hw_cabinet *hw = kc_hwlink_new(file, err, sizeof(err));

	if (!hw) {
		kc_err("the locks stay as they are: [cabinet] file: %s", err);
		return;
	}
	if (kc_hwlink_start(hw, err, sizeof(err)) < 0)
		kc_err("the locks stay as they are: cabinet %s: %s", file, err);
	else
		kc_notice("cabinet %s: every lock switched off before exiting", kc_hwlink_id(hw));
	/* the bus threads' last act: every lock off, board by board */
	kc_hwlink_free(hw);
}

static void cabinet_file_key(struct kc_ini *ini, const char *name, const char *value)
{
	struct kc_ctl_conf *c = ini->user;

	if (strcmp(ini->section, "cabinet") == 0 && strcmp(name, "file") == 0)
		kc_strlcpy(c->cabinet_file, value, sizeof(c->cabinet_file));
}

/* keycabd.conf failed its checks, but names a cabinet file (or leaves
 * the default): its locks go off. A file that cannot be read names no
 * hardware: the locks stay as they are (the service's ExecStopPost
 * switches them off). */
static void locks_off_named_in(const char *config)
{
	static const struct kc_ini_spec spec = { .key = cabinet_file_key, .syntax = "", .cannot_open = "" };
	struct kc_ctl_conf c;
	char err[512];
	int r;

	kc_ctl_conf_defaults(&c);
	r = kc_ini_load(config, &spec, &c, err, sizeof(err));
	if (r < 0 && r != -EINVAL) {
		kc_err("the locks stay as they are: %s names no cabinet file: %s", config, err);
		return;
	}
	locks_off(c.cabinet_file);
}

/* Healthy: the database answers and every bus thread finished a step (a
 * board scanned, opens and pulse ends served) within the watchdog's
 * period, so one wedged bus among several starves the watchdog while the
 * others scan on. A board that does not answer is no wedge: its thread
 * goes on, the board FAULT. The first wedged bus is named in the log and
 * in the unit's status. */
static bool healthy(struct kc_ctl *ctl, int64_t period_ms)
{
	int64_t idle = 0, v;
	const char *bus = kc_hwlink_stuck_bus(ctl->hw, period_ms, &idle);

	if (bus) {
		kc_warn("not feeding the watchdog: bus %s has been stuck for %lld ms", bus, (long long)idle);
		sd_notifyf(0, "STATUS=bus %s stuck", bus);
		return false;
	}
	return kc_store_int(ctl->st, &v, "SELECT 1", "") == 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "init-db", no_argument, NULL, 'I' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "test-clock", no_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kc_ctl_conf conf;
	struct kc_ctl ctl = { 0 };
	struct hw_cabinet *hw = NULL;
	struct kc_store *st = NULL;
	struct kc_proto *srv = NULL;
	const char *config = NULL;
	bool init_db = false, check_only = false, test_clock = false;
	char err[512];
	int sfd = -1, tfd = -1, rc = 1, opt, r;
	uint64_t wd_usec = 0;
	int64_t wd_next = 0;

	kc_log_init("keycabd");
	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'I': init_db = true; break;
		case 'C': check_only = true; break;
		case 'T': test_clock = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!config || optind != argc) {
		usage(stderr);
		return 2;
	}
	/* 1. configuration and the cabinet file. A start that fails here
	 * still switches the locks off (a check or --init-db never touches
	 * the hardware: keycabd may be running). */
	kc_ctl_conf_defaults(&conf);
	if (kc_ctl_conf_load(&conf, config, err, sizeof(err)) < 0) {
		kc_err("%s", err);
		if (!check_only && !init_db)
			locks_off_named_in(config);
		return 1;
	}
	/* Desk time before any thread starts: every date in the cabinet's
	 * zone, whatever TZ the service manager passed. */
	r = kc_tz_set(conf.time_zone);
	if (r < 0) {
		kc_err("%s: [cabinet] time_zone: \"%s\" is not a time zone in %s: %s", config,
		       conf.time_zone, KC_TZ_DIR, strerror(-r));
		if (!check_only && !init_db)
			locks_off(conf.cabinet_file);
		return 1;
	}
	hw = kc_hwlink_new(conf.cabinet_file, err, sizeof(err));
	if (!hw) {
		kc_err("[cabinet] file: %s", err);
		return 1;
	}

	/* 2. hardware: every lock off, bus threads started, before anything
	 * else can fail (rule 10). Signals first: the threads inherit the
	 * mask, and every way out goes through the clean-up below, which
	 * switches every lock off again. */
	if (!check_only && !init_db) {
		sfd = kc_signalfd_open(false);
		if (kc_hwlink_start(hw, err, sizeof(err)) < 0) {
			kc_err("cabinet %s: %s", conf.cabinet_file, err);
			goto out;
		}
		ctl.hw = hw;
		if (sfd < 0) {
			kc_err("signalfd: %s", strerror(-sfd));
			goto out;
		}
	}
	if (conf.release_window_ms > kc_hwlink_pulse_max_ms(hw)) {
		kc_err("%s: [release] window %lld ms is above the cabinet's pulse_max_ms (%d ms in %s)",
		       config, (long long)conf.release_window_ms, kc_hwlink_pulse_max_ms(hw),
		       conf.cabinet_file);
		goto out;
	}
	if (check_only) {
		printf("%s: configuration ok; cabinet %s with %d slots\n", config,
		       kc_hwlink_id(hw), kc_hwlink_slot_count(hw));
		rc = 0;
		goto out;
	}

	/* 3. the hash key, then the database: no start on half a state */
	if (kc_pdata_init() < 0) {
		kc_err("libsodium did not initialise");
		goto out;
	}
	if (init_db) {
		r = kc_pdata_key_create(conf.key_file, err, sizeof(err));
		if (r < 0) {
			kc_err("%s", err);
			goto out;
		}
		if (r > 0)
			printf("%s: key file created\n", conf.key_file);
		if (r > 0 && access(conf.db_path, F_OK) == 0) {
			rc = 0; /* a database made before its key: it learns the key at start */
			goto out;
		}
	}
	if (kc_pdata_key_load(conf.key_file, err, sizeof(err)) < 0) {
		kc_err("%s", err);
		goto out;
	}
	st = kc_store_open(conf.db_path, kc_hwlink_id(hw), init_db, err, sizeof(err));
	if (!st) {
		kc_err("%s", err);
		goto out;
	}
	if (kc_hashkey_check(st, conf.key_file, err, sizeof(err)) < 0) {
		kc_err("%s", err);
		goto out;
	}
	if (init_db) {
		printf("%s: created for cabinet %s (schema version %d)\n", conf.db_path,
		       kc_hwlink_id(hw), kc_controller_migration_count);
		rc = 0;
		goto out;
	}
	ctl.conf = &conf;
	ctl.st = st;
	ctl.db = kc_store_kdb(st);
	ctl.uid = getuid();
	ctl.test_clock = test_clock;
	if (test_clock)
		kc_warn("started with --test-clock: the test.clock request can move time");
	r = kc_windows_recover(&ctl);
	if (r > 0)
		kc_notice("%d release windows were open at the last stop; waiting for the first scan", r);

	/* 4. the socket for keycab */
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0) {
		kc_err("timerfd: %s", strerror(errno));
		goto out;
	}
	srv = kc_proto_new(conf.socket_path, conf.socket_mode, conf.socket_group,
			    kc_request_handle, err, sizeof(err));
	if (!srv) {
		kc_err("[socket] %s", err);
		goto out;
	}
	kc_proto_set_idle_timeout(srv, conf.socket_idle_ms);
	/* each committed event goes to the socket's subscribers */
	ctl.proto = srv;
	ctl.link_pushed = -1;
	kc_store_set_publish(st, kc_subscribe_event, &ctl);
	ctl.storage_changed = kc_subscribe_storage;

	/* 5. the outbox for keycab-forward, when forwarding is configured */
	if (kc_outbox_ops_open(&ctl, err, sizeof(err)) < 0) {
		kc_err("[audit] the outbox for keycab-forward: %s", err);
		goto out;
	}
	ctl.link_seen = -1;
	if (lifecycle_event(&ctl, KC_EVT_CONTROLLER_STARTED,
			    json_pack("{s:s, s:s}", "version", KEYCABD_VERSION, "time_zone",
				      conf.time_zone)) < 0) {
		kc_err("cannot write to the database: %s", kc_store_errmsg(st));
		goto out;
	}
	if (sd_watchdog_enabled(0, &wd_usec) <= 0)
		wd_usec = 0;
	if (kc_msg_catalogue(err, sizeof(err)) < 0)
		kc_warn("the Chinese message catalogue is missing (%s): replies and alarms rendered in Chinese "
			"(the terminal, keycab under zh_CN) show in English; install it with keycab", err);
	sd_notify(0, "READY=1\nSTATUS=cabinet ready");
	kc_notice("cabinet %s ready: %d slots, socket %s%s", kc_hwlink_id(hw),
		  kc_hwlink_slot_count(hw), conf.socket_path, ctl.outbox ? ", forwarding through keycab-forward" : "");

	/* 6. the loop */
	while (!ctl.stopping) {
		struct pollfd fds[3 + KC_PROTO_MAX_FDS];
		int64_t next, now;
		int n = 0, ns, nfds;

		/* what waits for the disk goes before the scans read the database */
		next = kc_backlog_tick(&ctl);
		next = min_ms(next, kc_scans_tick(&ctl));
		kc_subscribe_tick(&ctl);
		next = min_ms(next, kc_session_tick(&ctl, false));
		next = min_ms(next, kc_proto_tick(srv));
		now = kc_mono_ms();
		if (wd_usec) {
			if (now >= wd_next) {
				if (healthy(&ctl, (int64_t)(wd_usec / 2000)))
					sd_notify(0, "WATCHDOG=1");
				wd_next = now + (int64_t)(wd_usec / 2000);
			}
			if (wd_next - now < next)
				next = wd_next - now;
		}
		arm_timer(tfd, next);
		fds[n++] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = tfd, .events = POLLIN };
		fds[n++] = (struct pollfd){ .fd = kc_hwlink_fd(hw), .events = POLLIN };
		ns = kc_proto_pollfds(srv, fds + n, (int)KC_ARRAY_SIZE(fds) - n);
		nfds = n + ns;
		if (poll(fds, (nfds_t)nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			kc_err("poll: %s", strerror(errno));
			break;
		}
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				if (si.ssi_signo != SIGHUP)
					ctl.stopping = true;
		}
		if (fds[1].revents & POLLIN) {
			uint64_t x;

			if (read(tfd, &x, sizeof(x)) < 0 && errno != EAGAIN)
				kc_warn("timerfd: %s", strerror(errno));
		}
		if (fds[2].revents & POLLIN)
			kc_hwread_events(&ctl);
		kc_proto_handle(srv, fds + n, ns, &ctl);
	}
	sd_notify(0, "STOPPING=1");
	kc_notice("stopping");
	kc_backlog_free(&ctl);
	kc_session_tick(&ctl, true);
	lifecycle_event(&ctl, KC_EVT_CONTROLLER_STOPPING, json_pack("{s:s}", "reason", "signal"));
	rc = 0;
out:
	kc_backlog_free(&ctl);
	kc_proto_free(srv);
	kc_outbox_ops_close(&ctl);
	/* kc_hwlink_free switches every lock off before the threads go. */
	kc_hwlink_free(hw);
	kc_store_free(st);
	if (tfd >= 0)
		close(tfd);
	if (sfd >= 0)
		close(sfd);
	return rc;
}
