/* keycab-kiosk: the cabinet's touchscreen terminal (controller/README.md,
 * "The terminal"). main() reads as a list: configuration, the pairing key
 * and the terminal key, keycabd's socket, the logins, the relay, the HTTP
 * server, the card reader, READY=1, one poll() loop (signals, the idle
 * timer, the card reader). With --pairing-page it only writes the page
 * the display opens to pair, and exits. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "common/log.h"
#include "common/msg.h"
#include "common/signals.h"
#include "common/util.h"
#include "controller/kiosk/cardreader.h"
#include "controller/kiosk/kiosk.h"

#define KIOSK_TICK_MS 500 /* how often idle logins are looked for */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: keycab-kiosk -c CONFIG [--check-config | --pairing-page FILE]\n"
		"  -c, --config FILE     the terminal's configuration (controller/README.md, \"The terminal\")\n"
		"  --check-config        load the configuration, then exit\n"
		"  --pairing-page FILE   write the page the display opens to pair (mode 0600), then exit\n");
}

/* The terminal's settings, sent first on every page's stream. */
static json_t *kiosk_settings(const struct kiosk_conf *c, const char *reader)
{
	return json_pack("{s:s, s:I, s:s}", "language", kiosk_languages[c->language], "idle_timeout_s",
			 (json_int_t)(c->idle_ms / 1000), "card_reader", reader);
}

/* A card from the reader: a login for the paired screen, when its page
 * is open (it has an event stream). */
static void kiosk_card(const char *id)
{
	char cookie[KIOSK_COOKIE_LEN];
	json_t *req, *rep;
	int rc = 0;

	if (kiosk_pair_screen(cookie) < 0 || kiosk_stream_count() == 0) {
		kc_notice("a card was read with the screen's page not open; ignored");
		return;
	}
	req = json_pack("{s:s}", "card", id);
	if (!req)
		return;
	rep = kiosk_login(req, cookie, "card", &rc);
	/* the request's copy of the id, as the reader wipes its own */
	sodium_memzero((char *)json_string_value(json_object_get(req, "card")), strlen(id));
	json_decref(req);
	if (!rep)
		rep = kiosk_error(KCM_kiosk_keycabd_down);
	else
		kiosk_text_add(rep);
	kiosk_relay_publish("login", rep, cookie);
	sodium_memzero(cookie, sizeof(cookie));
}

/* The pairing key and (unless terminal is NULL: the pairing page needs
 * none) the terminal key, read once at start. */
static int kiosk_secrets(const struct kiosk_conf *c, char pairing[KC_SHARED_KEY_MAX + 1], char *terminal, char *err,
			 size_t errlen)
{
	int r = kiosk_conf_secret("[kiosk] pairing_key", c->pairing_key, pairing, err, errlen);

	if (r < 0 || !terminal)
		return r;
	terminal[0] = '\0';
	if (c->terminal_key[0])
		r = kiosk_conf_secret("[kiosk] terminal_key", c->terminal_key, terminal, err, errlen);
	if (r < 0)
		sodium_memzero(pairing, KC_SHARED_KEY_MAX + 1);
	return r;
}

static void kiosk_card_events(struct kc_cardreader *cr, const struct kiosk_conf *c)
{
	struct kc_cardreader_event ev;
	char err[256];
	int r;

	while ((r = kc_cardreader_read(cr, &ev, err, sizeof(err))) > 0) {
		switch (ev.kind) {
		case KC_CARDREADER_CARD:
			kiosk_card(ev.id);
			sodium_memzero(ev.id, sizeof(ev.id));
			break;
		case KC_CARDREADER_UP:
			kc_notice("card reader %s: open and grabbed", c->card_device);
			kiosk_relay_set_kiosk(kiosk_settings(c, "up"));
			break;
		case KC_CARDREADER_DOWN:
			kc_warn("card reader %s: %s", c->card_device, ev.message);
			kiosk_relay_set_kiosk(kiosk_settings(c, "down"));
			break;
		}
	}
	if (r < 0)
		kc_err("card reader: %s", err);
}

static void kiosk_expire(void)
{
	char cookie[KIOSK_COOKIE_LEN], token[KIOSK_TOKEN_MAX];

	while (kiosk_session_expire(kc_mono_ms(), cookie, token) > 0) {
		kc_info("a login ended: idle for %lld s", (long long)(kiosk_session_idle_ms() / 1000));
		kiosk_logout_token(token, cookie, "idle");
		sodium_memzero(token, sizeof(token));
	}
}

static int kiosk_loop(int sigfd, int tfd, struct kc_cardreader *cr, const struct kiosk_conf *c)
{
	struct pollfd p[3] = { { .fd = sigfd, .events = POLLIN }, { .fd = tfd, .events = POLLIN },
			       { .fd = cr ? kc_cardreader_fd(cr) : -1, .events = POLLIN } };

	for (;;) {
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[0].revents) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				kc_notice("stopping (signal %u)", si.ssi_signo);
				return 0;
			}
		}
		if (p[1].revents) {
			uint64_t n;

			if (read(tfd, &n, sizeof(n)) < 0 && errno != EAGAIN)
				return -errno;
			kiosk_expire();
		}
		if (p[2].revents)
			kiosk_card_events(cr, c);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = { { "config", required_argument, NULL, 'c' },
					       { "check-config", no_argument, NULL, 'C' },
					       { "pairing-page", required_argument, NULL, 'P' },
					       { "help", no_argument, NULL, 'h' },
					       { NULL, 0, NULL, 0 } };
	const char *config = NULL, *pairing_page = NULL;
	bool check = false;
	struct kiosk_conf conf;
	struct kiosk_http *http = NULL;
	struct kc_cardreader *cr = NULL;
	struct itimerspec tick = { .it_interval = { 0, KIOSK_TICK_MS * 1000000L },
				   .it_value = { 0, KIOSK_TICK_MS * 1000000L } };
	char err[512], cookie[KIOSK_COOKIE_LEN], token[KIOSK_TOKEN_MAX];
	char pairing[KC_SHARED_KEY_MAX + 1], terminal[KC_SHARED_KEY_MAX + 1];
	json_t *settings;
	int o, sigfd, tfd, r;

	kc_log_init("keycab-kiosk");
	/* the people at the terminal have no command line to type options into */
	kc_msg_command_hints(false);
	while ((o = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (o) {
		case 'c': config = optarg; break;
		case 'C': check = true; break;
		case 'P': pairing_page = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!config || optind != argc || (check && pairing_page)) {
		usage(stderr);
		return 2;
	}
	kiosk_conf_defaults(&conf);
	if (kiosk_conf_load(&conf, config, err, sizeof(err)) < 0) {
		kc_err("%s", err);
		return 1;
	}
	if (check) {
		printf("%s: ok\n", config);
		return 0;
	}
	if (kiosk_secrets(&conf, pairing, pairing_page ? NULL : terminal, err, sizeof(err)) < 0) {
		kc_err("%s", err);
		return 1;
	}
	if (pairing_page) {
		r = kiosk_pair_page(pairing_page, conf.port, pairing, err, sizeof(err));
		sodium_memzero(pairing, sizeof(pairing));
		if (r < 0)
			kc_err("%s", err);
		return r < 0 ? 1 : 0;
	}
	r = kiosk_pair_init(pairing);
	sodium_memzero(pairing, sizeof(pairing));
	if (r < 0) {
		kc_err("[kiosk] pairing_key: %s", strerror(-r));
		return 1;
	}
	if (!terminal[0])
		kc_warn("no [kiosk] terminal_key: keycabd may refuse the terminal its live state and roster");
	/* one heap for every thread: the terminal stays small */
	mallopt(M_ARENA_MAX, 1);
	sigfd = kc_signalfd_open(false);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (sigfd < 0 || tfd < 0 || timerfd_settime(tfd, 0, &tick, NULL) < 0) {
		kc_err("signals and timer: %s", strerror(errno));
		return 1;
	}
	r = kiosk_keycabd_init(conf.socket_path, terminal);
	sodium_memzero(terminal, sizeof(terminal));
	if (r < 0 ||
	    (r = kiosk_session_init(conf.idle_ms, conf.max_streams)) < 0) {
		kc_err("starting: %s", strerror(-r));
		return 1;
	}
	r = kiosk_osk_init(&conf, err, sizeof(err));
	if (r < 0) {
		kc_err("the on-screen keyboard: %s", strerror(-r));
		return 1;
	}
	if (err[0])
		kc_warn("pinyin dictionary: %s", err);
	else
		kc_notice("pinyin dictionary %s: %zu words", conf.pinyin_dictionary, kiosk_osk_words());
	/* what loading the dictionary took and gave back */
	malloc_trim(0);
	settings = kiosk_settings(&conf, conf.card_device[0] ? "down" : "none");
	r = kiosk_relay_start(conf.socket_path, settings, conf.max_streams, err, sizeof(err));
	json_decref(settings);
	if (r < 0 || kiosk_http_start(&conf, &http, err, sizeof(err)) < 0) {
		kc_err("%s", err);
		kiosk_relay_stop();
		return 1;
	}
	if (conf.card_device[0]) {
		struct kc_cardreader_opts co = { .path = conf.card_device,
						 .key_timeout_ms = (unsigned)conf.card_key_timeout_ms };

		if (kc_cardreader_open(&cr, &co, err, sizeof(err)) < 0) {
			kc_err("card reader: %s", err);
			kiosk_relay_stop();
			kiosk_http_stop(http);
			return 1;
		}
	}
	kc_notice("serving the terminal on http://127.0.0.1:%d/ to the screen its display pairs (keycabd at %s;"
		  " logins end after %lld s idle; card reader %s; ops: %s)", kiosk_http_port(http), conf.socket_path,
		  (long long)(conf.idle_ms / 1000), conf.card_device[0] ? conf.card_device : "none", kiosk_ops_list());
	sd_notify(0, "READY=1");
	r = kiosk_loop(sigfd, tfd, cr, &conf);
	sd_notify(0, "STOPPING=1");
	kiosk_relay_stop();
	kiosk_http_stop(http);
	kc_cardreader_close(cr);
	while (kiosk_session_pop(cookie, token) > 0) {
		kiosk_logout_token(token, NULL, "stop");
		sodium_memzero(token, sizeof(token));
	}
	kiosk_keycabd_close();
	kiosk_osk_free();
	kiosk_relay_free();
	kiosk_pair_free();
	close(tfd);
	close(sigfd);
	if (r < 0) {
		kc_err("main loop: %s", strerror(-r));
		return 1;
	}
	return 0;
}
