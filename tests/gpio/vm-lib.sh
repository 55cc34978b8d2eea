# Shared by the tests that boot the test VM (t-gpio-vm.sh here,
# tests/kiosk/t-card-vm.sh): the cached kernel, the overlay archive with
# programs and the libraries ldd names, the accelerator, the console.
# Source it with `here` naming tests/gpio; defines fail() unless defined.
# See tests/gpio/README.md.
declare -F fail >/dev/null || fail() { echo "FAIL: $*"; exit 1; }

# vm_setup: vmdir = the kernel's cache directory (setup.sh).
vm_setup() {
	local start
	echo "== setup (tests/gpio/setup.sh)"
	start=$(date +%s)
	vmdir=$("$here/setup.sh") || fail "tests/gpio/setup.sh failed"
	echo "kernel and modules: $vmdir ($(($(date +%s) - start)) s)"
}

# vm_libs ROOT PROGRAM...: copies every shared library ldd names for the
# programs (the ASan/UBSan runtimes too under SANITIZE=1) to ROOT, at the
# path the loader looks for.
vm_libs() {
	local root=$1 libs l
	shift
	libs=$(ldd "$@" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' | sort -u)
	[ -n "$libs" ] || fail "ldd names no libraries for $*"
	for l in $libs; do
		mkdir -p "$root$(dirname "$l")"
		cp -L "$l" "$root$l" || fail "cannot copy $l"
	done
}

# vm_sanitizer_env FILE: ASAN_OPTIONS and UBSAN_OPTIONS for the guest.
vm_sanitizer_env() {
	# LeakSanitizer stops the world with ptrace, which works in the VM; a
	# leak fails the test like any other sanitizer report.
	echo "export ASAN_OPTIONS=abort_on_error=0:detect_leaks=1"
	echo "export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1"
} >"$1"

# vm_initrd ROOT OUT: the cached base archive with ROOT appended (the
# kernel unpacks concatenated archives in order).
vm_initrd() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
		>"$2.overlay" || fail "cpio failed"
	cat "$vmdir/base.cpio" "$2.overlay" >"$2"
	rm -f "$2.overlay"
}

# vm_accel: accel_args (KEYCAB_GPIO_ACCEL, else tcg under kvm_pvm or
# without a usable /dev/kvm, else kvm) and mem (more under SANITIZE=1).
vm_accel() {
	accel=${KEYCAB_GPIO_ACCEL:-}
	if [ -z "$accel" ]; then
		# A paravirtual KVM (kvm_pvm) cannot run a stock kernel at usable speed.
		if [ -e /sys/module/kvm_pvm ] || [ ! -w /dev/kvm ]; then accel=tcg; else accel=kvm; fi
	fi
	case $accel in
	kvm) accel_args=(-enable-kvm -cpu host) ;;
	tcg) accel_args=(-accel tcg) ;;
	*) fail "KEYCAB_GPIO_ACCEL=$accel: say tcg or kvm" ;;
	esac
	mem=${1:-512}
	[ "${SANITIZE:-}" = 1 ] && mem=$((mem + 256)) # ASan's shadow and quarantine
	return 0
}

# vm_console RAW TXT: the console without SeaBIOS's escape sequences and
# carriage returns.
vm_console() {
	sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g; s/\r$//' "$1" >"$2"
}

# vm_crashed TXT: fails when the guest kernel crashed (an oops panics
# through oops=panic, a panic ends QEMU through panic=-1 and -no-reboot).
vm_crashed() {
	local crash
	crash=$(grep -a -m 1 -E 'Kernel panic|BUG:|general protection fault|Oops:' "$1")
	[ -z "$crash" ] || fail "the guest kernel crashed: $crash"
}

# vm_ended DIR RC SECS LIMIT PREFIX: after QEMU exited with RC: the console
# (DIR/console.raw) as text in DIR/console.txt and printed, QEMU's stderr,
# and what every boot must show: no kernel crash, a power-off within LIMIT
# seconds, QEMU exit 0, and the guest's /init saying "PREFIX BOOTED".
vm_ended() {
	local dir=$1 rc=$2 secs=$3 limit=$4 prefix=$5
	vm_console "$dir/console.raw" "$dir/console.txt"
	echo "== console"
	cat "$dir/console.txt"
	echo "== end of console (QEMU exit $rc after ${secs} s)"
	[ -s "$dir/qemu.err" ] && { echo "qemu stderr:"; cat "$dir/qemu.err"; }
	vm_crashed "$dir/console.txt"
	{ [ "$rc" = 124 ] || [ "$rc" = 137 ]; } && fail "the VM did not power off within ${limit} s"
	[ "$rc" = 0 ] || fail "QEMU exited with $rc"
	grep -aq "^$prefix BOOTED" "$dir/console.txt" || fail "the VM's /init did not start"
}
