# bench
BENCH_PROGRAMS += service-fleet
service-fleet_SRCS := bench/service-fleet.c
service-fleet_LIBS := service common
BENCH_SCRIPTS += bench/kiosk-tap.sh
# whole-report exports (CSV, XLSX) of 100,000 rows beside a plain SELECT
BENCH_PROGRAMS += service-export
service-export_SRCS := bench/service-export.c
service-export_LIBS := service common
