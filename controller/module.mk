# controller/: keycabd (the cabinet controller), the keycab CLI, and
# their tests. controller/forward.c, which sends the outbox, is library
# "forward" (service/module.mk); the outbox itself (outbox.c) is here.
LIBRARIES += controller
controller_SRCS := controller/store.c controller/conf.c controller/rules.c \
	controller/session.c controller/registry.c controller/cabinet.c \
	controller/ops.c controller/proto.c controller/csv.c controller/outbox.c $(SCHEMA_C_controller)

PROGRAMS += keycabd
keycabd_SRCS := controller/main.c
keycabd_LIBS := controller forward hw common

PROGRAMS += keycab
keycab_SRCS := $(wildcard controller/cli/*.c)
keycab_LIBS := kcclient controller common

# tests: unit tests on temp SQLite files, scenarios on keycab-sim

# checks an outbox: every event once, in order, chain unbroken (tests, demo)
PROGRAMS += keycab-chaincheck
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

# scenarios on keycab-sim (tests/controller/lib.sh starts both)
TEST_SCRIPTS += tests/controller/t-rules-sim.sh tests/controller/t-bad-input.sh \
	tests/controller/t-crash.sh tests/controller/t-systemd.sh tests/controller/t-demo-walkthrough.sh \
	tests/controller/t-forward.sh

# benchmark: decision latency (bench/controller-release.sh)
BENCH_TOOLS += controller-hwopen
controller-hwopen_SRCS := bench/controller-hwopen.c
controller-hwopen_LIBS := hw common
BENCH_SCRIPTS += bench/controller-release.sh
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
# The terminal's pages (controller/kiosk/www/): in Chromium through Playwright
# (tests/kiosk/package-lock.json, npm ci), and the page's ID number check.
TEST_SCRIPTS += tests/kiosk/t-pages.sh tests/kiosk/t-idcard-js.sh
DEBS_TEST += chromium fonts-wqy-microhei nodejs npm
