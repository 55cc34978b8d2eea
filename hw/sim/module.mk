# keycab-sim: the Modbus board simulator (hw/sim/README.md)
PROGRAMS += keycab-sim
keycab-sim_SRCS := $(wildcard hw/sim/*.c)
keycab-sim_LIBS := hw common
