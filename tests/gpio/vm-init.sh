#!/bin/sh
# /init of the GPIO test VM (busybox): mounts what gpio-sim and the test
# need, loads the modules, runs the GPIO test and then the card reader
# test once each, and powers off. Every line the runner looks for starts
# with GPIOVM, GPIOTEST or INPUTTEST.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# devtmpfs gives /dev/gpiochipN without udev.
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mount -t tmpfs tmpfs /tmp
if ! insmod /lib/modules/configfs.ko ||
	! mount -t configfs configfs /sys/kernel/config ||
	! insmod /lib/modules/gpio-sim.ko; then
	echo "GPIOTEST FAIL could not load configfs and gpio-sim"
	poweroff -f
fi
echo "GPIOVM BOOTED $(uname -r)"
# Written by the runner: environment for the test (ASAN_OPTIONS and such).
[ -f /etc/gpio-vmtest.env ] && . /etc/gpio-vmtest.env
cd /tmp
/gpio-vmtest
echo "GPIOVM EXIT $?"
# The card reader: evdev gives /dev/input/eventN, uinput makes the device.
if [ -x /input-vmtest ]; then
	if insmod /lib/modules/evdev.ko && insmod /lib/modules/uinput.ko; then
		echo "GPIOVM INPUT START $(cut -d ' ' -f 1 /proc/uptime)"
		/input-vmtest
		rc=$?
		echo "GPIOVM INPUT END $(cut -d ' ' -f 1 /proc/uptime)"
		echo "GPIOVM INPUT EXIT $rc"
	else
		echo "INPUTTEST FAIL could not load evdev and uinput"
	fi
fi
poweroff -f
