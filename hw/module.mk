# hw/: the slot layer (libhw), the keycab-hw commissioning tool, their tests
# and benchmarks. hw/sim/ has its own module.mk.
LIBRARIES += hw
hw_SRCS := $(wildcard hw/*.c)

PROGRAMS += keycab-hw
keycab-hw_SRCS := hw/tools/keycab-hw.c
keycab-hw_LIBS := hw common

TEST_PROGRAMS += t-hw-conf t-hw-scan t-hw-api
t-hw-api_SRCS := tests/hw/t-hw-api.c tests/simctl.c
t-hw-api_LIBS := hw common
t-hw-conf_SRCS := tests/hw/t-hw-conf.c
t-hw-conf_LIBS := hw common
t-hw-scan_SRCS := tests/hw/t-hw-scan.c
t-hw-scan_LIBS := hw common

# Integration tests against keycab-sim (hw/sim/): Modbus TCP and RTU on a pty
TEST_SCRIPTS += tests/hw/t-hw-modbus.py

# make bench: wire cost per scan, scan-loop CPU, open latency (bench/hw-bench.c)
BENCH_PROGRAMS += hw-bench
hw-bench_SRCS := bench/hw-bench.c tests/simctl.c
hw-bench_LIBS := hw common
