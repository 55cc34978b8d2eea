#!/usr/bin/env bash
# Prepares what the GPIO VM test boots: Debian's own kernel, configfs.ko,
# an out-of-tree gpio-sim.ko built from the matching Debian kernel source,
# and a busybox initramfs. Everything lands under a cache directory outside
# the repository, one subdirectory per kernel ABI, so that later runs (and
# CI's SANITIZE=1 pass) reuse it; a re-run with everything in place only
# checks stamps. The kernel sources are a test-time download, never part of
# the project (GPL-2.0). See tests/gpio/README.md and
# /work/shared/notes/gpio-sim-vm.md for why each step is the way it is.
#
# Usage: tests/gpio/setup.sh      -> prints the kernel's cache directory
# Env:   KEYCAB_GPIO_CACHE        cache root (default /var/cache/keycab-gpio-vm,
#                                 ~/.cache/keycab-gpio-vm when not root)
# Progress and errors go to stderr; stdout is only the directory.
set -euo pipefail

# Bump when what this script produces changes, so old caches are rebuilt.
SETUP_REV=1
if [ -n "${KEYCAB_GPIO_CACHE:-}" ]; then
	CACHE=$KEYCAB_GPIO_CACHE
elif [ "$(id -u)" = 0 ]; then
	CACHE=/var/cache/keycab-gpio-vm
else
	CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/keycab-gpio-vm
fi
# The modules the tests load from the overlay, beside the base archive's:
# evdev and uinput for the card reader, e1000 for the card login test's
# network (user networking, tests/kiosk/t-card-vm.sh).
EXTRA_KOS=(kernel/drivers/input/evdev.ko kernel/drivers/input/misc/uinput.ko
	kernel/drivers/net/ethernet/intel/e1000/e1000.ko)
extra_present() {
	local k
	for k in "${EXTRA_KOS[@]}"; do [ -f "$DIR/$(basename "$k")" ] || return 1; done
}
extract_extra() { # .deb of the image, directory to extract into
	local k paths=()
	for k in "${EXTRA_KOS[@]}"; do paths+=("./lib/modules/$KVER/$k"); done
	dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" "${paths[@]}"
	for k in "${EXTRA_KOS[@]}"; do mv "$2/lib/modules/$KVER/$k" "$DIR/"; done
}
DEBS=(qemu-system-x86 busybox-static cpio xz-utils gpiod libgpiod-dev)

say() { echo "gpio-vm setup: $*" >&2; }
die() { say "error: $*"; exit 1; }

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
apt_updated=0
apt_update() {
	[ "$apt_updated" = 1 ] && return 0
	say "apt-get update"
	$SUDO apt-get update -q >&2 || die "apt-get update failed"
	apt_updated=1
}
installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q 'install ok installed'
}
install_debs() {
	local missing=() p
	for p in "$@"; do installed "${p%%=*}" || missing+=("$p"); done
	[ ${#missing[@]} -eq 0 ] && return 0
	apt_update
	say "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
		"${missing[@]}" >&2 || die "could not install ${missing[*]}"
}

# The kernel ABI to use is the one linux-image-amd64 depends on now: when
# Debian bumps the ABI the old image leaves the archive.
kver_from_apt() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n 1
}
candidate() {
	apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p'
}

mkdir -p "$CACHE"
chmod 755 "$CACHE"
# One setup at a time (a by-hand run next to make check).
exec 9>"$CACHE/.lock"
flock 9

KVER=$(kver_from_apt)
if [ -z "$KVER" ]; then
	apt_update
	KVER=$(kver_from_apt)
fi
[ -n "$KVER" ] || die "apt-cache cannot say which kernel linux-image-amd64 depends on"
DIR=$CACHE/$KVER

# Fast path: everything built for this ABI and the packages still there.
if [ -f "$DIR/.ready" ] && [ "$(cat "$DIR/.ready")" = "$SETUP_REV" ] &&
	[ -f "$DIR/.stamp-input" ] && extra_present; then
	VER=$(cat "$DIR/version")
	if [ "$(dpkg-query -W -f='${Version}' "linux-headers-$KVER" 2>/dev/null)" = "$VER" ]; then
		all=1
		for p in "${DEBS[@]}"; do installed "$p" || all=0; done
		if [ "$all" = 1 ]; then
			echo "$DIR"
			exit 0
		fi
	fi
fi

say "preparing $DIR (kernel $KVER)"
install_debs "${DEBS[@]}"
VER=$(candidate "linux-image-$KVER")
if [ -z "$VER" ] || [ "$VER" = "(none)" ]; then
	apt_update
	VER=$(candidate "linux-image-$KVER")
fi
[ -n "$VER" ] && [ "$VER" != "(none)" ] || die "no candidate for linux-image-$KVER"
# gpio-sim reads private gpiolib structures: headers, source and image
# must be the very same version.
install_debs "linux-headers-$KVER=$VER"
hver=$(dpkg-query -W -f='${Version}' "linux-headers-$KVER")
[ "$hver" = "$VER" ] || die "linux-headers-$KVER is $hver, the image is $VER"
HDRS=/usr/src/linux-headers-$KVER
[ -f "$HDRS/Module.symvers" ] || die "$HDRS has no Module.symvers"

mkdir -p "$DIR"
if [ -f "$DIR/version" ] && [ "$(cat "$DIR/version")" != "$VER" ]; then
	say "cached files are for $(cat "$DIR/version"), need $VER: starting over"
	rm -rf "${DIR:?}"/* "$DIR"/.stamp-*
fi
echo "$VER" >"$DIR/version"
rm -f "$DIR/.ready"

# apt-get download drops privileges to _apt, which must be able to write
# into the directory or apt warns and downloads unsandboxed.
DL=$CACHE/dl
mkdir -p "$DL"
chmod 755 "$DL"
if id _apt >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then chown _apt "$DL"; fi
download() { # package=version -> path of the .deb
	local name=${1%%=*} f
	f=$(find "$DL" -maxdepth 1 -name "${name}_*.deb" | head -n 1)
	if [ -n "$f" ] && [ "$(dpkg-deb -f "$f" Version)" = "$VER" ]; then
		echo "$f"
		return 0
	fi
	rm -f "$DL/${name}"_*.deb
	say "downloading $1"
	(cd "$DL" && apt-get download -q "$1" >&2) || die "apt-get download $1 failed"
	f=$(find "$DL" -maxdepth 1 -name "${name}_*.deb" | head -n 1)
	[ -n "$f" ] || die "apt-get download $1 left no .deb"
	echo "$f"
}

if [ ! -f "$DIR/.stamp-image" ]; then
	deb=$(download "linux-image-$KVER=$VER")
	say "extracting vmlinuz and configfs.ko"
	tmp=$(mktemp -d "$DIR/tmp.XXXXXX")
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" \
		"./boot/vmlinuz-$KVER" "./lib/modules/$KVER/kernel/fs/configfs/configfs.ko"
	mv "$tmp/boot/vmlinuz-$KVER" "$DIR/vmlinuz"
	mv "$tmp/lib/modules/$KVER/kernel/fs/configfs/configfs.ko" "$DIR/configfs.ko"
	extract_extra "$deb" "$tmp"
	rm -rf "$tmp" "$deb"
	touch "$DIR/.stamp-image" "$DIR/.stamp-input"
fi

# The extra modules (Debian's kernel has them as modules); the runners put
# them in the overlay, so the base archive stays as it is. A cache made
# before one of them was needed gets them here.
if [ ! -f "$DIR/.stamp-input" ] || ! extra_present; then
	deb=$(download "linux-image-$KVER=$VER")
	say "extracting ${EXTRA_KOS[*]##*/}"
	tmp=$(mktemp -d "$DIR/tmp.XXXXXX")
	extract_extra "$deb" "$tmp"
	rm -rf "$tmp" "$deb"
	touch "$DIR/.stamp-input"
fi

if [ ! -f "$DIR/.stamp-source" ]; then
	deb=$(download "linux-source-6.1=$VER")
	say "extracting gpio-sim.c, irq_sim.c and the gpiolib headers"
	tmp=$(mktemp -d "$DIR/tmp.XXXXXX")
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -xJ -C "$tmp" --wildcards 'linux-source-6.1/drivers/gpio/gpio-sim.c' \
			'linux-source-6.1/kernel/irq/irq_sim.c' 'linux-source-6.1/drivers/gpio/gpiolib*.h'
	rm -rf "$DIR/src"
	mkdir -p "$DIR/src"
	mv "$tmp"/linux-source-6.1/drivers/gpio/gpiolib*.h "$DIR/src/"
	mv "$tmp/linux-source-6.1/drivers/gpio/gpio-sim.c" "$DIR/src/"
	mv "$tmp/linux-source-6.1/kernel/irq/irq_sim.c" "$DIR/src/"
	rm -rf "$tmp" "$deb"
	touch "$DIR/.stamp-source"
fi

if [ ! -f "$DIR/.stamp-module" ] || [ ! -f "$DIR/gpio-sim.ko" ]; then
	say "building gpio-sim.ko against $HDRS"
	b=$DIR/build
	rm -rf "$b"
	mkdir -p "$b"
	cp "$DIR"/src/gpiolib*.h "$b/"
	# gpio-sim and irq_sim go into one module whose name is gpio-sim, so
	# the driver's own file needs another name.
	cp "$DIR/src/gpio-sim.c" "$b/gpio-sim-core.c"
	# irq_to_desc() is not exported to modules in 6.1; generic_handle_irq()
	# does the same lookup and is (edge events work with it).
	sed 's/handle_simple_irq(irq_to_desc(irqnum));/generic_handle_irq(irqnum);/' \
		"$DIR/src/irq_sim.c" >"$b/irq_sim.c"
	grep -q 'generic_handle_irq(irqnum);' "$b/irq_sim.c" ||
		die "irq_sim.c changed: the irq_to_desc patch no longer applies"
	grep -q 'irq_to_desc' "$b/irq_sim.c" && die "irq_sim.c still calls irq_to_desc"
	cat >"$b/Kbuild" <<-'EOF'
		obj-m += gpio-sim.o
		gpio-sim-y := gpio-sim-core.o irq_sim.o
		ccflags-y += -I$(src)
	EOF
	# The caller's make (make check) exports MAKEFLAGS and friends; kbuild
	# must not see them.
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u CFLAGS -u LDFLAGS -u CC \
		make -s -C "$HDRS" M="$b" -j"$(nproc)" modules >"$b/build.log" 2>&1 ||
		{ tail -n 30 "$b/build.log" >&2; die "building gpio-sim.ko failed (log: $b/build.log)"; }
	vm=$(tr '\0' '\n' <"$b/gpio-sim.ko" | sed -n 's/^vermagic=//p' | head -n 1)
	case "$vm" in
	"$KVER "*) ;;
	*) die "gpio-sim.ko has vermagic '$vm', the kernel is $KVER" ;;
	esac
	mv "$b/gpio-sim.ko" "$DIR/gpio-sim.ko"
	rm -rf "$b"
	touch "$DIR/.stamp-module"
fi

if [ ! -f "$DIR/.stamp-initramfs" ] || [ ! -f "$DIR/base.cpio" ]; then
	say "building the base initramfs"
	root=$(mktemp -d "$DIR/tmp.XXXXXX")
	mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,run,etc,lib/modules}
	cp /bin/busybox "$root/bin/busybox"
	ln -s busybox "$root/bin/sh"
	cp "$DIR/configfs.ko" "$DIR/gpio-sim.ko" "$root/lib/modules/"
	# With /dev/console in the archive the kernel starts /init with its
	# stdio on the console; without (mknod needs root) /init reopens it
	# once devtmpfs is mounted.
	[ "$(id -u)" = 0 ] && mknod -m 600 "$root/dev/console" c 5 1
	(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) \
		>"$DIR/base.cpio.tmp"
	mv "$DIR/base.cpio.tmp" "$DIR/base.cpio"
	rm -rf "$root"
	touch "$DIR/.stamp-initramfs"
fi

rmdir "$DL" 2>/dev/null || true
echo "$SETUP_REV" >"$DIR/.ready"
say "ready: $DIR"
echo "$DIR"
