/* keycab-forward: sends the cabinet's outbox to the audit service
 * (keyauditd), outside keycabd, the process that drives the locks. It
 * reads keycabd.conf's [audit] and [forward] sections and [socket] path,
 * reaches the outbox and reports the link through keycabd's socket under
 * the forward key (controller/forward/port.c), and runs the forwarder
 * (controller/forward.c) until a signal stops it. main() reads as a
 * list: configuration, the token and the key, signals, the forwarder,
 * READY=1, the link's state reported to keycabd until a signal. The
 * forwarder is kicked by keycabd's pushes: a subscription on keycabd's
 * socket, on which keycabd pushes each event it writes; without one (keycabd
 * restarting) it looks at the outbox every KC_FORWARD_RECHECK_MS. */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "common/log.h"
#include "common/signals.h"
#include "common/util.h"
#include "controller/conf.h"
#include "controller/forward.h"
#include "controller/forward/feed.h"
#include "controller/forward/port.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: keycab-forward -c CONFIG [--key FILE] [--token FILE]\n"
		   "  -c, --config FILE  keycabd's configuration: [audit], [forward], [socket] path\n"
		   "  --key FILE         the forward key (default: [socket] forward_key)\n"
		   "  --token FILE       the cabinet's token at the office (default: [audit] token_file)\n");
}

struct args {
	const char *config, *key_file, *token_file;
};

/* The token's first line, without its end. */
static int read_token(const char *path, char *out, size_t len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f) {
		snprintf(err, errlen, "[audit] token_file %s: %s", path, strerror(errno));
		return -EIO;
	}
	n = fgets(out, (int)len, f) ? strcspn(out, "\r\n") : 0;
	fclose(f);
	out[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "[audit] token_file %s: empty", path);
		return -EINVAL;
	}
	return 0;
}

/* keycabd learns the link this often at least (controller/outbox_ops.h's
 * KC_LINK_SILENT_MS is three times that), news of the link (a new state,
 * the service found behind or caught up: kc_forwarder_status_fd) at once,
 * and any other change within REPORT_TICK_MS. */
#define REPORT_EVERY_MS 5000
#define REPORT_TICK_MS 500

/* While keycabd cannot be subscribed to, try again this often. */
#define SUBSCRIBE_RETRY_MS 1000

/* The subscription whose pushes kick the forwarder: made when there is
 * none (and a try is due), kicking the forwarder for what was written
 * meanwhile; read when readable, each push a kick. */
struct wake {
	struct kc_fwd_port port;
	int64_t retry_mono;
	bool told; /* the log said the subscription is lost */
};

static void wake_tick(struct wake *w, struct kc_forwarder *fwd)
{
	if (kc_fwd_port_fd(&w->port) >= 0 || kc_mono_ms() < w->retry_mono)
		return;
	if (kc_fwd_port_subscribe(&w->port) < 0) {
		if (!w->told)
			kc_warn("not woken by keycabd (%s): looking at the outbox every %d ms until it is back",
				w->port.err, KC_FORWARD_RECHECK_MS);
		w->told = true;
		w->retry_mono = kc_mono_ms() + SUBSCRIBE_RETRY_MS;
		return;
	}
	kc_notice("subscribed to keycabd: each event it writes wakes the forwarder");
	w->told = false;
	kc_forwarder_kick(fwd);
}

static void wake_read(struct wake *w, struct kc_forwarder *fwd)
{
	int r = kc_fwd_port_pushes(&w->port);

	if (r != 0)
		kc_forwarder_kick(fwd);
	if (r < 0)
		w->retry_mono = kc_mono_ms() + SUBSCRIBE_RETRY_MS;
}

/* What keycabd shows of the link changed (the counts are its own). */
static bool link_changed(const struct kc_forward_status *a, const struct kc_forward_status *b)
{
	return a->state != b->state || strcmp(a->reason, b->reason) != 0 || a->service_seq != b->service_seq ||
	       a->last_acked_seq != b->last_acked_seq || a->service_behind != b->service_behind ||
	       memcmp(&a->behind, &b->behind, sizeof(a->behind)) != 0 ||
	       strcmp(a->last_error, b->last_error) != 0;
}

/* Until SIGTERM or SIGINT (SIGHUP is ignored): the forwarder's status
 * and the estate feed's to keycabd, on its own connection (rp), so that a
 * transfer in flight never holds it up. */
static void report_until_stop(int sfd, struct kc_forwarder *fwd, struct kc_feed_link *feed, struct kc_fwd_port *rp,
			      struct wake *w)
{
	struct kc_forward_status st, sent = { 0 };
	json_t *feed_sent = NULL;
	int64_t last = 0;

	for (;;) {
		struct pollfd p[3] = { { .fd = sfd, .events = POLLIN },
				       { .fd = kc_forwarder_status_fd(fwd), .events = POLLIN },
				       { .fd = -1, .events = POLLIN } };
		struct signalfd_siginfo si;
		uint64_t news;
		json_t *fs;

		wake_tick(w, fwd);
		p[2].fd = kc_fwd_port_fd(&w->port);

		kc_forwarder_status(fwd, &st);
		fs = kc_feed_link_status(feed);

		if (!last || link_changed(&st, &sent) || !json_equal(fs, feed_sent) ||
		    kc_mono_ms() - last >= REPORT_EVERY_MS) {
			/* a report keycabd did not take is sent again at the next tick */
			last = kc_fwd_port_report(rp, &st, fs) == 0 ? kc_mono_ms() : 0;
			sent = st;
		}
		json_decref(feed_sent);
		feed_sent = fs;
		if (poll(p, 3, REPORT_TICK_MS) < 0 && errno != EINTR)
			break;
		if (p[2].fd >= 0 && p[2].revents)
			wake_read(w, fwd);
		if ((p[1].revents & POLLIN) && read(p[1].fd, &news, sizeof(news)) < 0) {
			/* EAGAIN: nothing more to read; the status is read again anyway */
		}
		while (read(sfd, &si, sizeof(si)) == sizeof(si))
			if (si.ssi_signo != SIGHUP)
				goto out;
	}
out:
	json_decref(feed_sent);
}

/* The command line into *a: -1 to go on, else the exit code. */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' }, { "key", required_argument, NULL, 'k' },
		{ "token", required_argument, NULL, 't' },  { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		if (opt != 'c' && opt != 'k' && opt != 't')
			break;
		*(opt == 'c' ? &a->config : opt == 'k' ? &a->key_file : &a->token_file) = optarg;
	}
	if (opt != -1 || !a->config || optind != argc) {
		usage(stderr);
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct args a = { NULL, NULL, NULL };
	const char *config, *key_file;
	struct kc_ctl_conf conf;
	struct kc_fwd_port port, reporter, feeder;
	struct kc_feed_link *feed;
	struct wake wake = { 0 };
	struct kc_outbox_port op;
	struct kc_forwarder *fwd;
	char err[512], token[256];
	int sfd, rc;

	kc_log_init("keycab-forward");
	rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;
	config = a.config;
	key_file = a.key_file;
	/* 1. configuration */
	kc_ctl_conf_defaults(&conf);
	if (kc_ctl_conf_load_forward(&conf, config, err, sizeof(err)) < 0) {
		kc_err("%s", err);
		return 1;
	}
	if (!conf.audit_url[0]) {
		kc_err("%s: [audit] url is not set: there is nowhere to forward to", config);
		return 1;
	}
	key_file = key_file ? key_file : conf.forward_key_file;
	if (!key_file[0]) {
		kc_err("%s: [socket] forward_key is not set, and no --key given", config);
		return 1;
	}
	/* 2. the token and the key */
	if (read_token(a.token_file ? a.token_file : conf.audit_token_file, token, sizeof(token), err, sizeof(err)) < 0) {
		kc_err("%s: %s", config, err);
		return 1;
	}
	if (kc_fwd_port_init(&port, conf.socket_path, key_file, err, sizeof(err)) < 0 ||
	    kc_fwd_port_init(&reporter, conf.socket_path, key_file, err, sizeof(err)) < 0 ||
	    kc_fwd_port_init(&wake.port, conf.socket_path, key_file, err, sizeof(err)) < 0 ||
	    kc_fwd_port_init(&feeder, conf.socket_path, key_file, err, sizeof(err)) < 0) {
		explicit_bzero(token, sizeof(token));
		kc_fwd_port_free(&port);
		kc_fwd_port_free(&reporter);
		kc_fwd_port_free(&wake.port);
		kc_err("the forward key: %s", err);
		return 1;
	}
	/* 3. signals, before the forwarder's thread inherits the mask */
	sfd = kc_signalfd_open(false);
	if (sfd < 0) {
		explicit_bzero(token, sizeof(token));
		kc_fwd_port_free(&port);
		kc_fwd_port_free(&reporter);
		kc_fwd_port_free(&wake.port);
		kc_fwd_port_free(&feeder);
		kc_err("signalfd: %s", strerror(-sfd));
		return 1;
	}
	/* 4. the forwarder */
	op = kc_fwd_port_outbox(&port);
	{
		struct kc_forward_config fc = {
			.url = conf.audit_url,
			.token = token,
			.ca_file = conf.audit_ca_file[0] ? conf.audit_ca_file : NULL,
			.batch_max = conf.audit_batch_max,
			.backoff_min_ms = conf.audit_backoff_min_ms,
			.backoff_max_ms = conf.audit_backoff_max_ms,
			.allow_plain_http = conf.fwd_allow_plain_http,
			.idle_close_ms = (int)conf.fwd_idle_close_ms,
			.heartbeat_ms = (int)conf.fwd_heartbeat_ms,
		};

		struct kc_feed_link_config lc = {
			.url = conf.audit_url,
			.token = token,
			.ca_file = fc.ca_file,
			.backoff_min_ms = conf.audit_backoff_min_ms,
			.backoff_max_ms = conf.audit_backoff_max_ms,
		};

		fwd = kc_forwarder_start(&op, &fc, err, sizeof(err));
		/* 5. the estate feed, the office's changes to keycabd */
		feed = fwd ? kc_feed_link_start(&feeder, &lc, err, sizeof(err)) : NULL;
	}
	explicit_bzero(token, sizeof(token));
	if (!fwd || !feed) {
		kc_err("%s", err);
		kc_forwarder_stop(fwd);
		kc_fwd_port_free(&port);
		kc_fwd_port_free(&reporter);
		kc_fwd_port_free(&wake.port);
		kc_fwd_port_free(&feeder);
		close(sfd);
		return 1;
	}
	sd_notify(0, "READY=1\nSTATUS=forwarding");
	kc_notice("forwarding the outbox of keycabd at %s to %s", conf.socket_path, conf.audit_url);
	/* 6. the links' state to keycabd until a signal */
	report_until_stop(sfd, fwd, feed, &reporter, &wake);
	sd_notify(0, "STOPPING=1");
	kc_feed_link_stop(feed);
	kc_forwarder_stop(fwd);
	kc_fwd_port_free(&feeder);
	kc_fwd_port_free(&port);
	kc_fwd_port_free(&reporter);
	kc_fwd_port_free(&wake.port);
	close(sfd);
	kc_notice("stopped");
	return 0;
}
