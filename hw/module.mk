LIBRARIES += hw
hw_SRCS := $(wildcard hw/*.c)
