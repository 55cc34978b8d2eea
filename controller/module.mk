# controller/: keycabd (the cabinet controller), the keycab CLI,
# keycab-forward, and their tests. controller/forward.c, which sends the
# outbox, is library "forward" (service/module.mk); the outbox itself
# (outbox.c) and keycabd's side of keycab-forward (outbox_ops.c) are here.
LIBRARIES += controller
controller_SRCS := controller/store.c controller/conf.c controller/rules.c \
	controller/session.c controller/registry.c controller/hwevents.c controller/windows.c controller/scans.c \
	controller/row.c controller/desk.c controller/reseat.c controller/reply.c controller/reads.c controller/request.c \
	controller/proto.c controller/subscribe.c controller/csv.c controller/outbox.c $(SCHEMA_C_controller) \
	controller/rules_release.c controller/facts.c controller/keys.c controller/people.c controller/custody.c \
	controller/rules_access.c controller/hwread.c controller/words.c \
	controller/phones.c \
	controller/rules_intake.c controller/intake.c controller/intake_wait.c controller/hashkey.c \
	controller/estate_approval.c

PROGRAMS += keycabd
keycabd_SRCS := controller/main.c
keycabd_LIBS := controller hw common

PROGRAMS += keycab
keycab_SRCS := $(wildcard controller/cli/*.c)
keycab_LIBS := kcclient controller common

# tests: unit tests on temp SQLite files, scenarios on keycab-sim

# checks an outbox: every event once, in order, chain unbroken (tests, demo)
TEST_TOOLS += keycab-chaincheck
keycab-chaincheck_SRCS := tests/controller/chaincheck.c
keycab-chaincheck_LIBS := common

# unit tests on temp SQLite files (cmocka)
TEST_PROGRAMS += t-ctl-store t-ctl-rules t-ctl-conf t-ctl-csv
t-ctl-store_SRCS := tests/controller/t-ctl-store.c
t-ctl-store_LIBS := controller common
t-ctl-rules_SRCS := tests/controller/t-ctl-rules.c
t-ctl-rules_LIBS := controller hw common
t-ctl-conf_SRCS := tests/controller/t-ctl-conf.c
t-ctl-conf_LIBS := controller common
t-ctl-csv_SRCS := tests/controller/t-ctl-csv.c
t-ctl-csv_LIBS := controller common
# the release rules on facts alone: linked with the rules' objects and
# common/ only, so a rule that reached for the store would not link
TEST_PROGRAMS += t-ctl-decide
t-ctl-decide_SRCS := tests/controller/t-ctl-decide.c controller/rules.c controller/rules_release.c \
	controller/words.c controller/rules_access.c
t-ctl-decide_LIBS := common

# scenarios on keycab-sim (tests/controller/lib.sh starts both)
TEST_SCRIPTS += tests/controller/t-rules-sim.sh tests/controller/t-bad-input.sh \
	tests/controller/t-crash.sh tests/controller/t-systemd.sh tests/controller/t-demo-walkthrough.sh \
	tests/controller/t-forward.sh

# benchmark: decision latency (bench/controller-release.sh)
BENCH_TOOLS += controller-hwopen
controller-hwopen_SRCS := bench/controller-hwopen.c
controller-hwopen_LIBS := hw common
BENCH_SCRIPTS += bench/controller-release.sh
# ... and beside a baseline keycabd (main), in alternating rounds
BENCH_SCRIPTS += bench/controller-release-ab.sh
TEST_SCRIPTS += tests/controller/t-desk-time.sh
TEST_PROGRAMS += t-ctl-desktime
t-ctl-desktime_SRCS := tests/controller/t-ctl-desktime.c
t-ctl-desktime_LIBS := controller hw common
# keycabd reads its [cabinet] time_zone from the zone database
DEBS_TEST += tzdata
DEBS_DEMO += tzdata
TEST_SCRIPTS += tests/controller/t-story.sh
TEST_SCRIPTS += tests/controller/t-four-eyes.sh
TEST_SCRIPTS += tests/controller/t-pdata.sh
TEST_SCRIPTS += tests/controller/t-socket.sh
TEST_SCRIPTS += tests/controller/t-link.sh
TEST_SCRIPTS += tests/controller/t-cli.sh
# the client side of keycabd's socket, for keycab and the kiosk (controller/client/client.h)
LIBRARIES += kcclient
kcclient_SRCS := $(wildcard controller/client/*.c)
TEST_PROGRAMS += t-ctl-client
t-ctl-client_SRCS := tests/controller/t-ctl-client.c
t-ctl-client_LIBS := kcclient common
# controller/kiosk/: pieces of the cabinet's terminal (keycab-kiosk)
LIBRARIES += kiosk
kiosk_SRCS := controller/kiosk/cardreader.c
TEST_PROGRAMS += t-kiosk-cardreader
t-kiosk-cardreader_SRCS := tests/controller/t-kiosk-cardreader.c
t-kiosk-cardreader_LIBS := kiosk common
TEST_SCRIPTS += tests/controller/t-watchdog.sh
TEST_SCRIPTS += tests/controller/t-watchdog-bus.sh
# the example configurations in systemd/ against the programs' key tables
TEST_PROGRAMS += t-conf-examples
t-conf-examples_SRCS := tests/controller/t-conf-examples.c controller/kiosk/conf.c
t-conf-examples_LIBS := controller service common
TEST_SCRIPTS += tests/controller/t-json-formats.py
# t-json-formats reads the sources' json_pack/json_unpack calls, their wrappers and the SQL bind letters with libclang
DEBS_TEST += python3-clang-14
TEST_SCRIPTS += tests/controller/t-windows.sh
TEST_SCRIPTS += tests/controller/t-db-errors.sh
TEST_SCRIPTS += tests/controller/t-subscribe.sh
# keycab-kiosk: the cabinet's terminal. The files of controller/kiosk/www/
# are embedded by controller/kiosk/embed-www.sh; a file added or taken
# away there is picked up as it is (the list is rewritten when it changes).
# Its i18n.js is generated from the catalogue (controller/kiosk/i18n.en and
# po/zh_CN/, by controller/kiosk/gen-i18n.sh) and embedded with them.
KIOSK_I18N_JS := $(BUILD)/gen/kiosk/www/i18n.js
KIOSK_PO := $(sort $(wildcard po/zh_CN/*.po))
$(KIOSK_I18N_JS): controller/kiosk/i18n.en $(KIOSK_PO) controller/kiosk/gen-i18n.sh
	@mkdir -p $(@D)
	controller/kiosk/gen-i18n.sh $@ controller/kiosk/i18n.en $(KIOSK_PO)
KIOSK_WWW := $(sort $(shell find controller/kiosk/www -type f 2>/dev/null)) $(KIOSK_I18N_JS)
KIOSK_WWW_C := $(BUILD)/gen/kiosk/www.c
.PHONY: kiosk-www-list-check
$(BUILD)/gen/kiosk/www.list: kiosk-www-list-check
	@mkdir -p $(@D)
	@echo '$(KIOSK_WWW)' | cmp -s - $@ || echo '$(KIOSK_WWW)' >$@
$(KIOSK_WWW_C): $(KIOSK_WWW) $(BUILD)/gen/kiosk/www.list controller/kiosk/embed-www.sh
	@mkdir -p $(@D)
	controller/kiosk/embed-www.sh $@ $(KIOSK_WWW)
PROGRAMS += keycab-kiosk
keycab-kiosk_SRCS := controller/kiosk/main.c controller/kiosk/conf.c controller/kiosk/keycabd.c \
	controller/kiosk/ops.c controller/kiosk/session.c controller/kiosk/login.c controller/kiosk/relay.c \
	controller/kiosk/http.c controller/kiosk/pair.c controller/kiosk/osk.c controller/kiosk/voice.c controller/kiosk/estate.c $(KIOSK_WWW_C)
keycab-kiosk_LIBS := kiosk kcclient common
TEST_SCRIPTS += tests/kiosk/t-kiosk-server.sh tests/kiosk/t-kiosk-systemd.sh
# the one screen the terminal serves (pairing), and its live state
TEST_SCRIPTS += tests/kiosk/t-kiosk-pair.sh tests/kiosk/t-kiosk-live.sh tests/kiosk/t-kiosk-banners.sh
# the terminal's browser tests: Debian's Chromium driven by playwright-core
# (npm, tests/kiosk/package-lock.json), a CJK font for the screenshots;
# cage for the display unit's verify
DEBS_TEST += chromium fonts-wqy-microhei cage iproute2
# the terminal's spoken prompts (controller/kiosk/voice.c): espeak-ng's Mandarin
DEBS_TEST += espeak-ng
DEBS_DEMO += espeak-ng
# node and npm run the browser tests: Debian's packages unless the
# machine has them already (a nodejs that bundles npm conflicts with npm)
CMDS_TEST += node:nodejs npm:npm
# benchmark: the terminal's bytes per page and RSS (bench/kiosk-page.sh)
BENCH_SCRIPTS += bench/kiosk-page.sh
# The terminal's pages (controller/kiosk/www/): in Chromium through Playwright
# (tests/kiosk/package-lock.json, npm ci), and the page's ID number check.
TEST_SCRIPTS += tests/kiosk/t-pages.sh tests/kiosk/t-idcard-js.sh
TEST_SCRIPTS += tests/kiosk/t-pages-bad.sh
TEST_SCRIPTS += tests/controller/t-reseat.sh
TEST_SCRIPTS += tests/controller/t-link-idle.sh
TEST_SCRIPTS += tests/controller/t-link-restore.sh
TEST_SCRIPTS += tests/controller/t-due-bounds.sh
TEST_SCRIPTS += tests/controller/t-idcard-doors.sh
TEST_SCRIPTS += tests/controller/t-cli-lang.sh
TEST_PROGRAMS += t-cli-render
t-cli-render_SRCS := tests/controller/t-cli-render.c controller/cli/lang.c controller/cli/globals.c
t-cli-render_LIBS := common
TEST_SCRIPTS += tests/controller/t-proto-codes.sh
TEST_SCRIPTS += tests/controller/t-codes.sh
TEST_SCRIPTS += tests/kiosk/t-pages-tap.sh
TEST_SCRIPTS += tests/kiosk/t-pages-edge.sh
TEST_SCRIPTS += tests/kiosk/t-kiosk-alarm.sh
# changes that wait for the cabinet's disk (controller/backlog.h)
controller_SRCS += controller/backlog.c
# the cabinet's own disk full or read-only, and a start that fails (root: tmpfs, loop ext4)
TEST_SCRIPTS += tests/controller/t-disk-full.sh tests/controller/t-disk-ro.sh tests/controller/t-start-fails.sh
DEBS_TEST += e2fsprogs util-linux
# keycab-kiosk on the HTTP layer it shares with keyauditd (common/httpd/)
TEST_SCRIPTS += tests/kiosk/t-kiosk-http.sh
# the one check of a request against its op's spec (controller/ops.def)
controller_SRCS += controller/opcheck.c
TEST_SCRIPTS += tests/controller/t-opspec.sh
TEST_SCRIPTS += tests/controller/t-ops-readme.sh
# keycab-forward: the outbox to the audit service, in its own process,
# through keycabd's socket (controller/forward/)
controller_SRCS += controller/link.c controller/outbox_ops.c
PROGRAMS += keycab-forward
keycab-forward_SRCS := controller/forward/main.c controller/forward/port.c controller/forward/feed.c
keycab-forward_LIBS := forward kcclient controller common
TEST_SCRIPTS += tests/controller/t-forward-kill.sh tests/controller/t-forward-proc.sh
# phone numbers leave the cabinet masked and sealed to the office's notice
# key (controller/phones.c, common/pdata.c), opened with python3-nacl; no
# clear number at the office
TEST_SCRIPTS += tests/controller/t-phone-seal.sh
DEBS_TEST += python3-nacl
# the on-screen keyboard's Chinese (controller/kiosk/pinyin.c): words by
# their pinyin from Rime's luna_pinyin dictionary (Debian's
# rime-data-luna-pinyin, read by keycab-kiosk at start), in simplified
# characters by a table controller/kiosk/t2s-gen.sh makes of Unihan's
# variants (unicode-data, as for service/pinyin-gen.sh)
DEBS_BUILD += rime-data-luna-pinyin
UNIHAN_VARIANTS := /usr/share/unicode/Unihan_Variants.txt.bz2
KIOSK_T2S_C := $(BUILD)/gen/kiosk/t2s_table.c
$(KIOSK_T2S_C): $(UNIHAN_VARIANTS) controller/kiosk/t2s-gen.sh
	@mkdir -p $(@D)
	controller/kiosk/t2s-gen.sh $@ $(UNIHAN_VARIANTS)
kiosk_SRCS += controller/kiosk/pinyin.c $(KIOSK_T2S_C)
TEST_PROGRAMS += t-kiosk-pinyin
t-kiosk-pinyin_SRCS := tests/controller/t-kiosk-pinyin.c
t-kiosk-pinyin_LIBS := kiosk common
# the on-screen keyboard in Chromium: every field, ASCII and pinyin by
# taps, quick phrases, no dictionary (tests/kiosk/t-osk.sh)
TEST_SCRIPTS += tests/kiosk/t-osk.sh
# the slot layer in the controller's types; only the windows module
# (windows.c, hwlink.c) talks to it (nm -u)
controller_SRCS += controller/hwlink.c
TEST_SCRIPTS += tests/controller/t-hw-edge.sh
# keycab-forward woken by keycabd's subscription when an event is written
TEST_SCRIPTS += tests/controller/t-forward-wake.sh
# keys already in their slots when keys.csv is imported
TEST_SCRIPTS += tests/controller/t-import-inslot.sh
# the terminal's smaller defects, each by taps (tests/kiosk/t-kiosk-defects.js)
TEST_SCRIPTS += tests/kiosk/t-kiosk-defects.sh
TEST_SCRIPTS += tests/kiosk/t-kiosk-catalogue.sh
TEST_SCRIPTS += tests/kiosk/t-kiosk-offline.sh
# a key put into a slot opened for a new key and never registered; an
# owner's name that differs from the one on file
TEST_SCRIPTS += tests/controller/t-intake-lapse.sh
# the estate managed from the office: keycab-forward's estate.apply, the
# change types and their rules (controller/estate*.c, rules_estate.c)
controller_SRCS += controller/estate.c controller/estate_people.c controller/estate_keys.c \
	controller/estate_places.c controller/rules_estate.c
# the estate feed end to end: keycabd (managed) on keycab-sim, keycab-forward,
# keyauditd; 200 changes applied once each, in order, through kill -9 of
# keycab-forward and keyauditd (controller/forward/feed.c)
TEST_SCRIPTS += tests/forward/t-feed-kill.sh
# the estate's rules on facts alone, linked without the store
TEST_PROGRAMS += t-ctl-estate
t-ctl-estate_SRCS := tests/controller/t-ctl-estate.c controller/rules.c controller/rules_estate.c \
	controller/words.c controller/rules_access.c
t-ctl-estate_LIBS := common

# a manager's approval from the office, the cabinet's end (controller/estate_approval.c)
TEST_SCRIPTS += tests/controller/t-approval-remote.sh
TEST_SCRIPTS += tests/kiosk/t-kiosk-remote.sh
# the terminal of a cabinet the office manages: a first sign-in with the
# office's enrolment code, a deactivated account, the site's settings
TEST_SCRIPTS += tests/kiosk/t-kiosk-estate.sh
TEST_SCRIPTS += tests/kiosk/t-approval-e2e.sh
TEST_SCRIPTS += tests/controller/t-estate.sh
