# bench
BENCH_PROGRAMS += service-fleet
service-fleet_SRCS := bench/service-fleet.c
service-fleet_LIBS := service common
BENCH_SCRIPTS += bench/kiosk-tap.sh
