# tests/fuzz: fuzz harnesses of keycab's parsers (tests/fuzz/README.md).
#
#   make fuzz                          each harness for FUZZ_SECONDS (60) with
#                                      libFuzzer + ASan + UBSan (clang)
#   make fuzz FUZZ=ctl-csv FUZZ_SECONDS=600   one harness, longer
#   make fuzz-merge                    minimise what the runs found into
#                                      tests/fuzz/corpus/<target>/
#   make check                         replays every corpus (t-fuzz-<target>)
FUZZ_TARGETS := hw-conf event sim-ctl sim-rtu sim-conf ctl-proto ctl-csv ctl-conf svc-ingest svc-conf
# keyauditd's spreadsheet reader (service/import_sheet*.c): CSV and XLSX
FUZZ_TARGETS += svc-sheet

fuzz-hw-conf_SRCS := tests/fuzz/fuzz-hw-conf.c
fuzz-hw-conf_LIBS := hw common
fuzz-event_SRCS := tests/fuzz/fuzz-event.c
fuzz-event_LIBS := common
# keycab-sim's parts (libsim, hw/sim/module.mk) with a harness each
fuzz-sim-ctl_SRCS := tests/fuzz/fuzz-sim-ctl.c tests/fuzz/fuzz-sim.c
fuzz-sim-ctl_LIBS := sim hw common
fuzz-sim-rtu_SRCS := tests/fuzz/fuzz-sim-rtu.c tests/fuzz/fuzz-sim.c
fuzz-sim-rtu_LIBS := sim hw common
fuzz-sim-conf_SRCS := tests/fuzz/fuzz-sim-conf.c tests/fuzz/fuzz-sim.c
fuzz-sim-conf_LIBS := sim hw common
fuzz-ctl-proto_SRCS := tests/fuzz/fuzz-ctl-proto.c
fuzz-ctl-proto_LIBS := controller hw common
fuzz-ctl-csv_SRCS := tests/fuzz/fuzz-ctl-csv.c
fuzz-ctl-csv_LIBS := controller common
fuzz-ctl-conf_SRCS := tests/fuzz/fuzz-ctl-conf.c
fuzz-ctl-conf_LIBS := controller common
fuzz-svc-ingest_SRCS := tests/fuzz/fuzz-svc-ingest.c
fuzz-svc-ingest_LIBS := service common
fuzz-svc-conf_SRCS := tests/fuzz/fuzz-svc-conf.c
fuzz-svc-conf_LIBS := service common
fuzz-svc-sheet_SRCS := tests/fuzz/fuzz-svc-sheet.c
fuzz-svc-sheet_LIBS := service common

# make check: each harness with tests/fuzz/driver.c, built like every test
# (gcc; ASan + UBSan under SANITIZE=1), replays its corpus.
define FUZZ_TEST_template
TEST_PROGRAMS += t-fuzz-$(1)
t-fuzz-$(1)_SRCS := $$(fuzz-$(1)_SRCS) tests/fuzz/fuzz-util.c tests/fuzz/driver.c
t-fuzz-$(1)_LIBS := $$(fuzz-$(1)_LIBS)
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_TEST_template,$(t))))

# make fuzz: clang + libFuzzer, everything compiled again into build/fuzz/
# (never the gcc objects of build/).
DEBS_FUZZ := clang libclang-rt-14-dev
FUZZ_BUILD := build/fuzz
FUZZ_CC := clang
FUZZ_SECONDS ?= 60
FUZZ ?= $(FUZZ_TARGETS)
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
# -Werror stays with the gcc build: clang's set of warnings differs, and a
# warning in another module must not stop a fuzz run (it is reported).
FUZZ_CFLAGS := -O1 -g -fno-omit-frame-pointer $(FUZZ_SAN) -std=gnu11 \
	$(filter-out -Werror,$(WARN)) -MMD -MP -D_GNU_SOURCE -I. -pthread

$(FUZZ_BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c -o $@ $<

define FUZZ_LIB_template
$(FUZZ_BUILD)/lib$(1).a: $$(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$$($(1)_SRCS))
	@mkdir -p $$(@D)
	$$(AR) rcs $$@ $$^
endef
$(foreach l,$(LIBRARIES),$(eval $(call FUZZ_LIB_template,$(l))))

define FUZZ_BIN_template
$(FUZZ_BUILD)/bin/fuzz-$(1): $$(patsubst %.c,$(FUZZ_BUILD)/obj/%.o,$$(fuzz-$(1)_SRCS) tests/fuzz/fuzz-util.c) \
		$$(foreach l,$$(fuzz-$(1)_LIBS),$(FUZZ_BUILD)/lib$$(l).a)
	@mkdir -p $$(@D)
	$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -pthread -Wl,--as-needed -o $$@ $$^ $$(PKG_LIBS) -lm
endef
$(foreach t,$(FUZZ_TARGETS),$(eval $(call FUZZ_BIN_template,$(t))))

FUZZ_BINS := $(addprefix $(FUZZ_BUILD)/bin/fuzz-,$(FUZZ))

.PHONY: fuzz-run fuzz-merge fuzz-merge-run fuzz-build
fuzz: deps
	$(call install_debs,$(DEBS_FUZZ))
	@$(MAKE) --no-print-directory fuzz-run
fuzz-build: $(FUZZ_BINS)
fuzz-run: $(FUZZ_BINS)
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/fuzz.sh run $(FUZZ)
fuzz-merge: deps
	$(call install_debs,$(DEBS_FUZZ))
	@$(MAKE) --no-print-directory fuzz-merge-run
fuzz-merge-run: $(FUZZ_BINS)
	@FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/fuzz.sh merge $(FUZZ)

-include $(shell find $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
