# The GPIO driver against the kernel's gpio-sim in a small QEMU VM
# (tests/gpio/README.md). gpio-vmtest runs inside the VM only, so it is not
# a TEST_PROGRAM: t-gpio-vm.sh boots the VM around it, and check-run builds
# it first.
GPIO_VMTEST := $(BUILD)/tests/gpio-vm/gpio-vmtest
gpio-vmtest_SRCS := tests/gpio/gpio-vmtest.c tests/gpio/sim.c
gpio-vmtest_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(gpio-vmtest_SRCS))
$(GPIO_VMTEST): $(gpio-vmtest_OBJS) $(BUILD)/libhw.a $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm
check-run: $(GPIO_VMTEST)
TEST_SCRIPTS += tests/gpio/t-gpio-vm.sh
# linux-headers-$KVER (the ABI linux-image-amd64 names) is installed by
# tests/gpio/setup.sh, which works the ABI out.
DEBS_TEST += qemu-system-x86 busybox-static cpio xz-utils gpiod libgpiod-dev
# The card reader (controller/kiosk/cardreader.c) against evdev and uinput,
# run by t-gpio-vm.sh in the same boot after gpio-vmtest.
INPUT_VMTEST := $(BUILD)/tests/gpio-vm/input-vmtest
input-vmtest_OBJS := $(BUILD)/obj/tests/gpio/input-vmtest.o $(BUILD)/obj/tests/gpio/kbd.o
$(INPUT_VMTEST): $(input-vmtest_OBJS) $(BUILD)/libkiosk.a $(BUILD)/libcommon.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm
check-run: $(INPUT_VMTEST)
# The card reader's hand in the card login VM (tests/kiosk/t-card-vm.sh):
# a uinput keyboard typing the cards the host sends over a serial port.
CARD_TYPER := $(BUILD)/tests/gpio-vm/card-typer
card-typer_OBJS := $(BUILD)/obj/tests/gpio/card-typer.o $(BUILD)/obj/tests/gpio/kbd.o
$(CARD_TYPER): $(card-typer_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
check-run: $(CARD_TYPER)
TEST_SCRIPTS += tests/kiosk/t-card-vm.sh
