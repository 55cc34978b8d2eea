# keycab: one GNU Makefile for the whole tree.
#
#   make            build everything into build/
#   make check      install what is missing, build, run every test
#   make demo       install what is missing, build, run the demo
#   make bench      run the benchmarks
#   make SANITIZE=1 check   the same under ASan + UBSan (into build-san/)
#
# Each directory adds its sources, programs and tests in its own module.mk.

SHELL := /bin/bash
BUILD ?= build
ifeq ($(SANITIZE),1)
BUILD := build-san
endif

CC ?= cc
AR ?= ar
PKGS := libgpiod libmodbus sqlite3 libcurl libmicrohttpd libsystemd jansson libsodium inih libevdev xlsxwriter libzip expat
# Evaluated once, and only when a compile needs it, so that `make deps`
# runs before pkg-config is there.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKGS) cmocka))$(PKG_LIBS)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Werror
CFLAGS ?= -O2 -g
override CFLAGS += -std=gnu11 $(WARN) -MMD -MP -D_GNU_SOURCE -I. -pthread
LDFLAGS ?=
override LDFLAGS += -pthread -Wl,--as-needed
ifeq ($(SANITIZE),1)
override CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
override LDFLAGS += -fsanitize=address,undefined
endif

# Debian packages: what building needs, and what the tests and demo add.
DEBS_BUILD := build-essential pkg-config libgpiod-dev libmodbus-dev \
	libsqlite3-dev libcurl4-openssl-dev libmicrohttpd-dev libsystemd-dev \
	libjansson-dev libsodium-dev libcmocka-dev libinih-dev libevdev-dev libxlsxwriter-dev gettext libzip-dev libexpat1-dev
DEBS_TEST := python3 socat mbpoll sqlite3 gpiod systemd curl openssl poppler-utils
DEBS_DEMO := python3 sqlite3 curl
CMDS_TEST :=

LIBRARIES :=
# PROGRAMS are installed; TEST_TOOLS (the simulator, test stand-ins) are
# built into the same bin/ for the tests, the demo and the benchmarks only.
PROGRAMS :=
TEST_TOOLS :=
TEST_PROGRAMS :=
TEST_SCRIPTS :=
BENCH_PROGRAMS :=
BENCH_TOOLS :=
BENCH_SCRIPTS :=

.PHONY: all build deps deps-test deps-demo deps-lint check check-run demo demo-run bench bench-run fuzz lint lint-run install clean
all: deps
	@$(MAKE) --no-print-directory build

include schema/module.mk
include common/module.mk hw/module.mk controller/module.mk service/module.mk tests/module.mk bench/module.mk
-include hw/sim/module.mk tests/gpio/module.mk tests/fuzz/module.mk

# lib<name>.a from <name>_SRCS
define LIB_template
$(1)_OBJS := $$(patsubst %.c,$(BUILD)/obj/%.o,$$($(1)_SRCS))
$(BUILD)/lib$(1).a: $$($(1)_OBJS)
	@mkdir -p $$(@D)
	@rm -f $$@
	$$(AR) rcs $$@ $$^
endef
# a program in $(2) from <name>_SRCS, linked with the libraries <name>_LIBS
define PROG_template
$(1)_OBJS := $$(patsubst %.c,$(BUILD)/obj/%.o,$$($(1)_SRCS))
$(BUILD)/$(2)/$(1): $$($(1)_OBJS) $$(foreach l,$$($(1)_LIBS),$(BUILD)/lib$$(l).a)
	@mkdir -p $$(@D)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(PKG_LIBS) -lm
endef
$(foreach l,$(LIBRARIES),$(eval $(call LIB_template,$(l))))
$(foreach p,$(PROGRAMS) $(TEST_TOOLS),$(eval $(call PROG_template,$(p),bin)))
$(foreach p,$(TEST_PROGRAMS),$(eval $(call PROG_template,$(p),tests)))
$(foreach p,$(BENCH_PROGRAMS) $(BENCH_TOOLS),$(eval $(call PROG_template,$(p),bench)))

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

BIN_TARGETS := $(addprefix $(BUILD)/bin/,$(PROGRAMS))
TOOL_TARGETS := $(addprefix $(BUILD)/bin/,$(TEST_TOOLS))
TEST_TARGETS := $(addprefix $(BUILD)/tests/,$(TEST_PROGRAMS))
BENCH_TARGETS := $(addprefix $(BUILD)/bench/,$(BENCH_PROGRAMS))
# built for the bench scripts, not run by themselves
BENCH_TOOL_TARGETS := $(addprefix $(BUILD)/bench/,$(BENCH_TOOLS))

# The "keycab" message catalogue (common/msg.h): po/zh_CN/*.po, one per
# area, joined and compiled. Programs find it under $(PREFIX)/share/locale,
# or under $KEYCAB_LOCALEDIR (the tests, the demo and the benchmarks set
# it to $(BUILD)/locale).
LOCALEDIR ?= $(PREFIX)/share/locale
override CFLAGS += -DKC_LOCALEDIR='"$(LOCALEDIR)"'
PO_ZH := $(sort $(wildcard po/zh_CN/*.po))
LOCALE_TARGETS := $(BUILD)/locale/zh_CN/LC_MESSAGES/keycab.mo
$(BUILD)/locale/zh_CN/LC_MESSAGES/keycab.mo: $(PO_ZH)
	@mkdir -p $(@D)
	msgcat --use-first -o $(BUILD)/locale/zh_CN.po $^
	msgfmt --check --statistics -o $@ $(BUILD)/locale/zh_CN.po

build: $(BIN_TARGETS) $(foreach l,$(LIBRARIES),$(BUILD)/lib$(l).a) $(LOCALE_TARGETS)

# Install the Debian packages that are missing (sudo when not root).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
define install_debs
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "keycab: installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi
endef
deps:
	$(call install_debs,$(DEBS_BUILD))
# Packages for commands: "cmd:package" is installed only when cmd is missing.
define install_cmds
	@missing=$$(for c in $(1); do command -v $${c%%:*} >/dev/null || echo $${c#*:}; done); \
	if [ -n "$$missing" ]; then \
		echo "keycab: installing Debian packages:" $$missing; \
		$(SUDO) apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi
endef
deps-test: deps
	$(call install_debs,$(DEBS_TEST))
	$(call install_cmds,$(CMDS_TEST))
deps-demo: deps
	$(call install_debs,$(DEBS_DEMO))

check: deps-test
	@$(MAKE) --no-print-directory check-run
check-run: $(BIN_TARGETS) $(TOOL_TARGETS) $(TEST_TARGETS) $(LOCALE_TARGETS)
	@BUILD=$(abspath $(BUILD)) SANITIZE=$(SANITIZE) tests/run.sh $(TEST_TARGETS) $(TEST_SCRIPTS)

demo: deps-demo
	@$(MAKE) --no-print-directory demo-run
demo-run: $(BIN_TARGETS) $(TOOL_TARGETS) $(LOCALE_TARGETS)
	@BUILD=$(abspath $(BUILD)) tests/demo/demo.sh

bench: deps-test
	@$(MAKE) --no-print-directory bench-run
bench-run: $(BIN_TARGETS) $(TOOL_TARGETS) $(BENCH_TARGETS) $(BENCH_TOOL_TARGETS) $(LOCALE_TARGETS)
	@BUILD=$(abspath $(BUILD)) bench/run.sh $(BENCH_TARGETS) $(BENCH_SCRIPTS)

# make lint: cppcheck and clang-tidy (.clang-tidy: bugprone-*,
# clang-analyzer-*) over every source outside tests; any finding fails.
DEBS_LINT := cppcheck clang-tidy
LINT_SRCS = $(sort $(shell git ls-files 'common/*.c' 'hw/*.c' 'controller/*.c' 'service/*.c' 2>/dev/null || \
	find common hw controller service -name '*.c'))
deps-lint: deps
	$(call install_debs,$(DEBS_LINT))
lint: deps-lint
	@$(MAKE) --no-print-directory lint-run
# One file per clang-tidy process: clang-tidy 14's va_list checker keeps
# what it knows of va_start across the files of one run, so in a run of
# several every va_list after the first file was "uninitialised"
# (clang-analyzer-valist.Uninitialized on vsnprintf(.., ap) just after
# va_start(ap, ..)), a finding that came and went with the batching.
lint-run:
	cppcheck --enable=warning,portability --inline-suppr --quiet --std=c11 --error-exitcode=1 \
		-D_GNU_SOURCE -I. --include=/usr/include/jansson.h $(LINT_SRCS)
	@echo "clang-tidy over $(words $(LINT_SRCS)) files"
	@printf '%s\n' $(LINT_SRCS) | xargs -P "$$(nproc)" -n 1 sh -c \
		'clang-tidy --quiet "$$@" -- -std=gnu11 -D_GNU_SOURCE -I. $(PKG_CFLAGS) 2>/dev/null' clang-tidy | \
		{ ! grep -E -A3 'warning:|error:'; } && echo "lint: clean"

# make install [PREFIX=/usr] [DESTDIR=...]: the programs where the units
# look for them, the units, sysusers, the example configurations, and the
# notices' templates (service/templates/) for keyauditd's [templates] dir.
PREFIX ?= /usr
SYSTEMD_UNIT_DIR ?= $(PREFIX)/lib/systemd/system
SYSUSERS_DIR ?= $(PREFIX)/lib/sysusers.d
EXAMPLES_DIR ?= $(PREFIX)/share/doc/keycab/examples
TEMPLATES_DIR ?= /etc/keyauditd/templates
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(SYSTEMD_UNIT_DIR) $(DESTDIR)$(SYSUSERS_DIR) \
		$(DESTDIR)$(EXAMPLES_DIR)
	install -m 0755 $(BIN_TARGETS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(wildcard systemd/*.service) $(DESTDIR)$(SYSTEMD_UNIT_DIR)/
	for f in systemd/*.sysusers; do \
		install -m 0644 $$f $(DESTDIR)$(SYSUSERS_DIR)/$$(basename $$f .sysusers).conf || exit 1; done
	install -m 0644 $(wildcard systemd/*.conf.example) $(wildcard hw/examples/*.conf) $(DESTDIR)$(EXAMPLES_DIR)/
	install -d $(DESTDIR)$(LOCALEDIR)/zh_CN/LC_MESSAGES
	install -m 0644 $(LOCALE_TARGETS) $(DESTDIR)$(LOCALEDIR)/zh_CN/LC_MESSAGES/
	install -d $(DESTDIR)$(TEMPLATES_DIR)
	install -m 0644 $(wildcard service/templates/*.txt) $(DESTDIR)$(TEMPLATES_DIR)/

clean:
	rm -rf build build-san

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
