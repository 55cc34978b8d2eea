#!/usr/bin/env bash
# The GPIO driver against the real kernel GPIO subsystem: boots Debian's
# kernel in QEMU with gpio-sim loaded and runs $BUILD/tests/gpio-vm/gpio-vmtest
# (tests/gpio/gpio-vmtest.c) inside it, once; in the same boot, the card
# reader against evdev and uinput ($BUILD/tests/gpio-vm/input-vmtest,
# tests/gpio/input-vmtest.c). Passes when both programs' last words on the
# console are "GPIOTEST PASS" and "INPUTTEST PASS". See tests/gpio/README.md.
#
# Env: BUILD (set by make check), KEYCAB_GPIO_CACHE (setup.sh's cache),
#      KEYCAB_GPIO_TIMEOUT (seconds for the whole boot, default 240),
#      KEYCAB_GPIO_ACCEL (tcg or kvm; default: tcg under kvm_pvm, else kvm
#      when /dev/kvm is usable).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${BUILD:?BUILD must name the build directory (make check sets it)}"
prog=$BUILD/tests/gpio-vm/gpio-vmtest
iprog=$BUILD/tests/gpio-vm/input-vmtest
limit=${KEYCAB_GPIO_TIMEOUT:-240}

fail() { echo "FAIL: $*"; exit 1; }
source "$here/vm-lib.sh"

[ -x "$prog" ] || fail "$prog is not built (make $BUILD/tests/gpio-vm/gpio-vmtest)"
[ -x "$iprog" ] || fail "$iprog is not built (make $BUILD/tests/gpio-vm/input-vmtest)"

vm_setup

tmp=$(mktemp -d)
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# The overlay: the test program, every shared library ldd names for it (the
# ASan/UBSan runtimes too under SANITIZE=1) at the path the loader looks
# for, and /init. The kernel unpacks it over the cached base archive.
root=$tmp/root
mkdir -p "$root/etc" "$root/lib/modules"
cp "$prog" "$root/gpio-vmtest"
cp "$iprog" "$root/input-vmtest"
cp "$here/vm-init.sh" "$root/init"
cp "$vmdir/evdev.ko" "$vmdir/uinput.ko" "$root/lib/modules/" || fail "no evdev.ko/uinput.ko in $vmdir"
vm_libs "$root" "$prog" "$iprog"
vm_sanitizer_env "$root/etc/gpio-vmtest.env"
vm_initrd "$root" "$tmp/initrd"

vm_accel 512

echo "== booting $(basename "$vmdir") under $accel, ${mem} MB, at most ${limit} s"
start=$(date +%s)
timeout --kill-after=10 "$limit" qemu-system-x86_64 "${accel_args[@]}" -m "$mem" -smp 1 \
	-nodefaults -display none -serial stdio -monitor none -no-reboot \
	-kernel "$vmdir/vmlinuz" -initrd "$tmp/initrd" \
	-append "console=ttyS0 panic=-1 oops=panic quiet loglevel=4" \
	</dev/null >"$tmp/console.raw" 2>"$tmp/qemu.err" &
qpid=$!
wait "$qpid"
rc=$?
qpid=
secs=$(($(date +%s) - start))
vm_ended "$tmp" "$rc" "$secs" "$limit" GPIOVM
grep -aq '^GPIOVM EXIT ' "$tmp/console.txt" || fail "the test program did not finish (crash or panic?)"
verdict=$(grep -a '^GPIOTEST ' "$tmp/console.txt" | tail -n 1)
exitline=$(grep -a '^GPIOVM EXIT ' "$tmp/console.txt" | tail -n 1)
echo "$verdict"
case $verdict in
"GPIOTEST PASS "*) ;;
*) fail "${verdict:-no GPIOTEST verdict}" ;;
esac
[ "$exitline" = "GPIOVM EXIT 0" ] || fail "the test printed PASS but ended with ${exitline#GPIOVM }"
iverdict=$(grep -a '^INPUTTEST ' "$tmp/console.txt" | tail -n 1)
iexit=$(grep -a '^GPIOVM INPUT EXIT ' "$tmp/console.txt" | tail -n 1)
echo "$iverdict"
case $iverdict in
"INPUTTEST PASS "*) ;;
*) fail "card reader: ${iverdict:-no INPUTTEST verdict}" ;;
esac
[ "$iexit" = "GPIOVM INPUT EXIT 0" ] ||
	fail "the card reader test printed PASS but ended with ${iexit:-no exit line}"
echo "PASS: the GPIO and card reader tests passed in the VM (${secs} s boot to power-off)"
