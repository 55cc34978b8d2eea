# bench
BENCH_PROGRAMS += service-fleet
service-fleet_SRCS := bench/service-fleet.c
service-fleet_LIBS := service common
BENCH_SCRIPTS += bench/kiosk-tap.sh
# the dashboard beside the vacant-unit report, on service-reports' audit log
BENCH_TOOLS += service-dashboard
service-dashboard_SRCS := bench/service-dashboard.c
service-dashboard_LIBS := service common
BENCH_SCRIPTS += bench/service-dashboard.sh
# whole-report exports (CSV, XLSX) of 100,000 rows beside a plain SELECT
BENCH_PROGRAMS += service-export
service-export_SRCS := bench/service-export.c
service-export_LIBS := service common
# the on-screen keyboard: a pinyin letter to the candidate bar beside a
# letter into the field; keycab-kiosk's RSS with the dictionary beside without
BENCH_SCRIPTS += bench/kiosk-osk.sh
# keycab-kiosk's pinyin lookups alone: the dictionary's load, a lookup at each letter
BENCH_PROGRAMS += kiosk-pinyin
kiosk-pinyin_SRCS := bench/kiosk-pinyin.c
kiosk-pinyin_LIBS := kiosk common
# notices a minute per channel against local servers; ingest beside
# 10,000 queued notices and beside none (tests/service/gateways.py)
BENCH_SCRIPTS += bench/service-notify.py
# taking keys in: an owner's two keys by touch, login to receipt, beside a release
BENCH_SCRIPTS += bench/kiosk-intake.sh
# the estate's change feed: a change at the office to the cabinet's
# estate.applied stored, beside GET /healthz; 1,000 cabinets' held polls
# (keyauditd's CPU and RSS) and one change fanned to all of them
BENCH_SCRIPTS += bench/estate-feed.py
# the same with a real cabinet: keycabd (managed) on keycab-sim and
# keycab-forward; the admin's request to the cabinet's estate.applied
# stored at keyauditd, beside GET /healthz
BENCH_SCRIPTS += bench/estate-feed-cabinet.sh
