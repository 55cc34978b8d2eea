# hw/: the slot layer (libhw), the keycab-hw commissioning tool, their tests
# and benchmarks. hw/sim/ has its own module.mk.
LIBRARIES += hw
hw_SRCS := $(wildcard hw/*.c)

PROGRAMS += keycab-hw
keycab-hw_SRCS := hw/tools/keycab-hw.c
keycab-hw_LIBS := hw common
