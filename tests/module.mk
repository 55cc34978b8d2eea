# Tests of common/ (each other directory registers its own tests).
TEST_PROGRAMS += t-common
t-common_SRCS := tests/common/t-common.c
t-common_LIBS := common
TEST_PROGRAMS += t-log
t-log_SRCS := tests/common/t-log.c
t-log_LIBS := common
TEST_PROGRAMS += t-schema
t-schema_SRCS := tests/common/t-schema.c
t-schema_LIBS := controller service common
TEST_PROGRAMS += t-idcard
t-idcard_SRCS := tests/common/t-idcard.c
t-idcard_LIBS := common
TEST_SCRIPTS += tests/t-install.sh
# message codes and the catalogue (common/msg.h)
TEST_PROGRAMS += t-msg
t-msg_SRCS := tests/common/t-msg.c
t-msg_LIBS := common
# make demo as CI and a pipe run it (tests/demo/demo.sh), in English and in
# Chinese: its wait for the office, what it prints once it stops, the
# narration's catalogue (po/zh_CN/demo.po)
TEST_SCRIPTS += tests/demo/t-demo.py
# the office console's texts in the catalogue (service/*.c, po/zh_CN/)
TEST_SCRIPTS += tests/common/t-catalogue.sh
# taking keys in (controller/intake.c): its rules on facts alone, linked
# with the rules' objects only, and every flow by touch at the terminal
TEST_PROGRAMS += t-ctl-intake
t-ctl-intake_SRCS := tests/controller/t-ctl-intake.c controller/rules_intake.c controller/rules.c \
	controller/rules_release.c controller/words.c
t-ctl-intake_LIBS := common
TEST_SCRIPTS += tests/kiosk/t-intake.sh
# the estate run from the office, end to end (tests/estate/module.mk)
include tests/estate/module.mk
