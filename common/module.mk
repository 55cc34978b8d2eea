LIBRARIES += common
common_SRCS := $(wildcard common/*.c)
