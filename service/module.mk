# service: keyauditd, the audit service, and the forwarder
# (controller/forward.c, library "forward"), which keycab-forward runs
# (controller/module.mk) and kc-forward-test runs on a database of its own.
LIBRARIES += service
service_SRCS := $(filter-out service/main.c,$(wildcard service/*.c)) $(SCHEMA_C_audit)
PROGRAMS += keyauditd
keyauditd_SRCS := service/main.c
keyauditd_LIBS := service common

LIBRARIES += forward
forward_SRCS := controller/forward.c

# test helper: a controller-like outbox and the forwarder, without keycabd
# (the outbox reached through controller/outbox.c, library "controller")
TEST_TOOLS += kc-forward-test
kc-forward-test_SRCS := tests/service/kc-forward-test.c
kc-forward-test_LIBS := forward controller common

TEST_SCRIPTS += tests/service/t-ingest.py tests/service/t-forward.py tests/service/t-reports.py tests/service/t-notify.py tests/service/t-web.py \
	tests/service/t-config.sh tests/service/t-systemd.sh
DEBS_TEST += chromium

TEST_PROGRAMS += t-service-unit
t-service-unit_SRCS := tests/service/t-service-unit.c
t-service-unit_LIBS := service common

BENCH_PROGRAMS += service-ingest service-reports
service-ingest_SRCS := bench/service-ingest.c
service-ingest_LIBS := service common
service-reports_SRCS := bench/service-reports.c
service-reports_LIBS := service common
TEST_SCRIPTS += tests/service/t-verify.py
TEST_SCRIPTS += tests/service/t-csrf.py tests/service/t-login.py tests/service/t-store-check.py tests/service/t-ack-durable.py
DEBS_TEST += strace
TEST_SCRIPTS += tests/service/t-link.py
TEST_SCRIPTS += tests/service/t-tls.py
TEST_SCRIPTS += tests/service/t-flood.py
TEST_PROGRAMS += t-event-types
t-event-types_SRCS := tests/service/t-event-types.c
t-event-types_LIBS := service common
TEST_SCRIPTS += tests/service/t-event-emit.py
# the console's sign-in and sign-out in Chromium through Playwright
# (tests/kiosk/npm-setup.sh installs playwright-core)
TEST_SCRIPTS += tests/service/t-signin.py
# keyauditd hands each TLS handshake its certificate itself (service/http_tls.c)
PKGS += gnutls
DEBS_BUILD += libgnutls28-dev
# time zones by name (service/zone.c) against glibc
TEST_PROGRAMS += t-zone
TEST_SCRIPTS += tests/service/t-localtime.py
t-zone_SRCS := tests/service/t-zone.c
t-zone_LIBS := service common
# the monthly vacant-unit report printed to PDF in Chromium, read back with
# pdftotext (poppler-utils, in the Makefile's DEBS_TEST)
TEST_SCRIPTS += tests/service/t-vacant-print.py
# owners' phone numbers and webhook URLs masked in every page and export
TEST_SCRIPTS += tests/service/t-masks.py
TEST_PROGRAMS += t-mask
t-mask_SRCS := tests/service/t-mask.c
t-mask_LIBS := service common
TEST_SCRIPTS += tests/service/t-keylog.py
# the dashboard (service/web_dashboard.c) in Chromium: figures, SVG charts,
# phone layout, new events followed without a reload
TEST_SCRIPTS += tests/service/t-dashboard.py
# whole reports as CSV and XLSX (service/export.c, export_http.c): every
# row, the XLSX opened by LibreOffice (headless), the CSV link clicked in
# Chromium
TEST_SCRIPTS += tests/service/t-export.py
DEBS_TEST += libreoffice-calc-nogui
TEST_SCRIPTS += tests/service/t-chinese-pages.py
# the office's own acts in Chromium: a review signed at the office, a
# problem followed up, the office chain verified and a tampered office
# event found (service/office.c, office_acts.c, web_handovers.c,
# web_problems.c)
TEST_SCRIPTS += tests/service/t-office.py
# office accounts on the admin's page (service/accounts.c, web_accounts.c):
# bad input, one-time reset codes, disable, unlock, role and scope changes,
# and in Chromium an admin creating a supervisor of one site
TEST_SCRIPTS += tests/service/t-accounts.py
# site scopes (service/scope.c), every route of http_route.c's table
TEST_SCRIPTS += tests/service/t-scopes.py
# the person filter by pinyin (service/pinyin.c): the Mandarin readings of
# each Han character, a C table that service/pinyin-gen.sh makes of
# Unihan's readings (Debian's unicode-data)
DEBS_BUILD += unicode-data bzip2
UNIHAN_READINGS := /usr/share/unicode/Unihan_Readings.txt.bz2
PINYIN_C := $(BUILD)/gen/pinyin/pinyin_table.c
service_SRCS += $(PINYIN_C)
$(PINYIN_C): $(UNIHAN_READINGS) service/pinyin-gen.sh
	@mkdir -p $(@D)
	service/pinyin-gen.sh $@ $(UNIHAN_READINGS)
TEST_PROGRAMS += t-pinyin
t-pinyin_SRCS := tests/service/t-pinyin.c
t-pinyin_LIBS := service common
# the notices' built-in templates: the shipped template files
# (service/templates/<kind>.<lang>.txt, installed for admins to edit) as a
# C table made by service/templates-gen.sh
NOTICE_TEMPLATES := $(sort $(wildcard service/templates/*.txt))
TEMPLATES_C := $(BUILD)/gen/templates/templates_default.c
service_SRCS += $(TEMPLATES_C)
$(TEMPLATES_C): $(NOTICE_TEMPLATES) service/templates-gen.sh
	@mkdir -p $(@D)
	service/templates-gen.sh $@ $(NOTICE_TEMPLATES)
# what is worth a notice and the truth in it (service/notice.c,
# notice_facts.c, cabinet_watch.c, templates.c): names, local times, no
# "today" for a day gone by, board faults, cabinets offline, owners told of
# their keys' use, the admin's template files
TEST_SCRIPTS += tests/service/t-notice-texts.py
# the SMS gateways' request signatures (service/sign.c) against the
# vendors' published worked examples
TEST_PROGRAMS += t-sign
t-sign_SRCS := tests/service/t-sign.c
t-sign_LIBS := service common
# notices through the channels (service/channel*.c) against local servers
# speaking each vendor's protocol: WeCom robot, Aliyun and Tencent Cloud
# SMS (signatures checked in Python), SMTP with STARTTLS (aiosmtpd); the
# notice key's rotation (python3-nacl seals the numbers)
TEST_SCRIPTS += tests/service/t-channels.py
DEBS_TEST += python3-nacl python3-aiosmtpd
# overdue keys to the borrower's department's WeCom group ([departments],
# route target department), two local robots
TEST_SCRIPTS += tests/service/t-departments.py
# one of each notice kind routed to its channel and person ([route],
# [departments]), the texts checked in Chinese
TEST_SCRIPTS += tests/service/t-notice-routes.py
# the estate's change feed (service/feed.c) on a database file
TEST_PROGRAMS += t-feed-unit
t-feed-unit_SRCS := tests/service/t-feed-unit.c
t-feed-unit_LIBS := service common
# the feed over HTTP (service/http_feed.c): held polls, refusals, 1,000
# polls held on 4 threads
TEST_SCRIPTS += tests/service/t-feed.py
# the estate at the office (service/estate*.c, web_estate*.c): its API and
# forms route by route and role by role, its fan-out to the cabinets' feeds
TEST_SCRIPTS += tests/service/t-estate-api.py
TEST_SCRIPTS += tests/service/t-estate-pages.py
# a manager's approval from the office: requests, manager accounts, the phone page (service/approvals.c, web_approvals.c)
TEST_SCRIPTS += tests/service/t-approvals.py
