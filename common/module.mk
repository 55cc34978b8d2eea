LIBRARIES += common
common_SRCS := $(wildcard common/*.c)
# the HTTP layer keyauditd and keycab-kiosk share (common/httpd/httpd.h)
common_SRCS += $(wildcard common/httpd/*.c)
