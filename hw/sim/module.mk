# keycab-sim: the Modbus board simulator (hw/sim/README.md). Its parts are
# a library (libsim) the fuzz harnesses link too; main.c is the program.
LIBRARIES += sim
sim_SRCS := $(filter-out hw/sim/main.c,$(wildcard hw/sim/*.c))
TEST_TOOLS += keycab-sim
keycab-sim_SRCS := hw/sim/main.c
keycab-sim_LIBS := sim hw common
TEST_SCRIPTS += tests/sim/t-sim-tcp.py tests/sim/t-sim-rtu.py tests/sim/t-sim-control.py \
	tests/sim/t-sim-noise.py
DEBS_TEST += mbpoll python3
