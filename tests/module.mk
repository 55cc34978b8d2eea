# Tests of common/ (each other directory registers its own tests).
TEST_PROGRAMS += t-common
t-common_SRCS := tests/common/t-common.c
t-common_LIBS := common
