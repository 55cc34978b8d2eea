# keycab-sim: the Modbus board simulator (hw/sim/README.md)
PROGRAMS += keycab-sim
keycab-sim_SRCS := $(wildcard hw/sim/*.c)
keycab-sim_LIBS := hw common
TEST_SCRIPTS += tests/sim/t-sim-tcp.py tests/sim/t-sim-rtu.py tests/sim/t-sim-control.py \
	tests/sim/t-sim-noise.py
DEBS_TEST += mbpoll python3
