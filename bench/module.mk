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
