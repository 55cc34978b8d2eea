#!/usr/bin/env bash
# Card login end to end on the real kernel input subsystem: boots the test
# VM (tests/gpio/vm-lib.sh, the cache of tests/gpio/setup.sh) with
# keycab-sim, keycabd and keycab-kiosk inside, the kiosk reading a uinput
# keyboard-wedge reader (card-typer) through evdev, grabbed. Chromium on
# this host opens the kiosk's page through QEMU's user networking (a
# hostfwd to the guest's 127.0.0.1), has cards typed through the second
# serial port (card-vm.js), and sees who logged in. The page is paired
# as the display pairs it; a card logs in that screen even when another
# local process opened an event stream after it with a cookie of its own
# making (the card login hijack). A card the cabinet does not know is
# refused on the page and logs nobody in. Afterwards no card id and no
# pairing key is in any log of the guest. See tests/gpio/README.md.
#
# Env: BUILD, KEYCAB_BIN, KEYCAB_SRC (tests/run.sh), KEYCAB_GPIO_CACHE,
#      KEYCAB_GPIO_ACCEL, KEYCAB_CARD_VM_TIMEOUT (seconds for the whole
#      boot, default 240).
set -uo pipefail
: "${BUILD:?}" "${KEYCAB_BIN:?}" "${KEYCAB_SRC:?}"
here=$KEYCAB_SRC/tests/gpio
limit=${KEYCAB_CARD_VM_TIMEOUT:-240}
fail() { echo "FAIL: $*"; exit 1; }
source "$here/vm-lib.sh"

typer=$BUILD/tests/gpio-vm/card-typer
progs=("$KEYCAB_BIN/keycab-sim" "$KEYCAB_BIN/keycabd" "$KEYCAB_BIN/keycab" "$KEYCAB_BIN/keycab-kiosk" "$typer")
for p in "${progs[@]}"; do [ -x "$p" ] || fail "$p is not built"; done
NODE_PATH=$("$KEYCAB_SRC/tests/kiosk/npm-setup.sh") || fail "npm ci failed"
export NODE_PATH
vm_setup

tmp=$(mktemp -d)
qpid=
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

# Cards made up for this run: two people's and one nobody has.
card() { od -An -N6 -tu8 /dev/urandom | tr -d ' ' | cut -c1-10 | sed 's/^0/1/'; }
CARD_S01=$(card)
CARD_E01=$(card)
CARD_UNKNOWN=$(card)
NAME_S01="王芳 Wang Fang"
NAME_E01="张伟 Zhang Wei"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

root=$tmp/root
mkdir -p "$root/bin" "$root/etc" "$root/lib/modules" "$root/share"
for p in "${progs[@]::4}"; do cp "$p" "$root/bin/"; done
cp "$typer" "$root/card-typer"
cp "$KEYCAB_SRC/tests/kiosk/card-vm-init.sh" "$root/init"
for m in evdev uinput e1000; do cp "$vmdir/$m.ko" "$root/lib/modules/" || fail "no $m.ko in $vmdir"; done
[ -d "$BUILD/locale" ] || fail "no message catalogue in $BUILD/locale"
cp -r "$BUILD/locale" "$root/share/locale"
# the C.UTF-8 locale the catalogue is read in (common/msg.c; Debian's libc-bin)
mkdir -p "$root/usr/lib/locale"
cp -r /usr/lib/locale/C.utf8 "$root/usr/lib/locale/" || fail "no /usr/lib/locale/C.utf8"
# the cabinet's time zone (keycabd's default, Asia/Shanghai)
mkdir -p "$root/usr/share/zoneinfo/Asia"
cp /usr/share/zoneinfo/Asia/Shanghai "$root/usr/share/zoneinfo/Asia/" || fail "no tzdata"
vm_libs "$root" "${progs[@]}"
# the demo cabinet and keycabd's configuration as the controller tests
# have them (tests/controller/lib.sh), @T@ the guest's directory
sed -e "s|^device = .*|device = @T@/ttyRS485|" -e 's/^scan_ms = .*/scan_ms = 20/' \
	"$KEYCAB_SRC/hw/examples/demo-cabinet.conf" >"$root/etc/cabinet.conf.in"
cat >"$root/etc/keycabd.conf.in" <<'CONF'
[cabinet]
file = @T@/cabinet.conf
[database]
path = @T@/keycab.db
[socket]
path = @T@/keycabd.sock
mode = 0660
terminal_key = /etc/terminal.key
[lockout]
attempts = 5
base = 2s
max = 1h
CONF
# the kiosk's pairing key, and the page the display opens to pair, written
# by keycab-kiosk --pairing-page here as the display unit writes it there
(umask 077 && head -c 32 /dev/urandom | basenc --base64url | tr -d '=\n' >"$root/etc/kiosk-pairing")
# keycabd's terminal key, which the kiosk reads too
(umask 077 && head -c 32 /dev/urandom | base64 >"$root/etc/terminal.key")
printf '[kiosk]\nport = %s\npairing_key = %s\n' "$PORT" "$root/etc/kiosk-pairing" >"$tmp/pair.conf"
"$KEYCAB_BIN/keycab-kiosk" -c "$tmp/pair.conf" --pairing-page "$tmp/pair.html" || fail "keycab-kiosk --pairing-page"
vm_sanitizer_env "$root/etc/card-vm.env"
{
	echo "export KEYCAB_LOCALEDIR=/share/locale"
	echo "KIOSK_PORT=$PORT"
	echo "CARD_S01=$CARD_S01"
	echo "CARD_E01=$CARD_E01"
	echo "NAME_S01='$NAME_S01'"
	echo "NAME_E01='$NAME_E01'"
} >>"$root/etc/card-vm.env"
vm_initrd "$root" "$tmp/initrd"
vm_accel 512

echo "== booting $(basename "$vmdir") under $accel, ${mem} MB, at most ${limit} s; the kiosk at 127.0.0.1:$PORT"
start=$(date +%s)
# user networking without a way out (restrict=on) but the kiosk's port;
# ttyS1 is card-typer's command line, a unix socket here
timeout --kill-after=10 "$limit" qemu-system-x86_64 "${accel_args[@]}" -m "$mem" -smp 1 \
	-nodefaults -display none -monitor none -no-reboot \
	-serial stdio -chardev "socket,id=cmd,path=$tmp/cmd.sock,server=on,wait=off" -serial chardev:cmd \
	-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$PORT-127.0.0.1:$PORT" \
	-device e1000,netdev=n0 \
	-kernel "$vmdir/vmlinuz" -initrd "$tmp/initrd" \
	-append "console=ttyS0 panic=-1 oops=panic quiet loglevel=4" \
	</dev/null >"$tmp/console.raw" 2>"$tmp/qemu.err" &
qpid=$!
ready=0
while kill -0 "$qpid" 2>/dev/null; do
	grep -aq '^CARDVM READY' "$tmp/console.raw" && { ready=1; break; }
	grep -aq '^CARDVM FAIL' "$tmp/console.raw" && break
	sleep 0.2
done
echo "guest ready after $(($(date +%s) - start)) s"

FAILS=0
if [ "$ready" = 1 ]; then
	echo "== the page in Chromium, cards typed in the VM"
	KIOSK_URL=http://127.0.0.1:$PORT/ KIOSK_PAIR=file://$tmp/pair.html CARD_CMD=$tmp/cmd.sock CARD_S01=$CARD_S01 CARD_E01=$CARD_E01 \
		CARD_UNKNOWN=$CARD_UNKNOWN NAME_S01=$NAME_S01 NAME_E01=$NAME_E01 \
		node "$KEYCAB_SRC/tests/kiosk/card-vm.js" || FAILS=$((FAILS + 1))
fi
# card-typer's "quit" lets the guest stop everything and power off
[ "$ready" = 1 ] && python3 - "$tmp/cmd.sock" <<'PY' || echo "could not tell card-typer to quit"
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(20)
s.sendall(b"quit\n"); buf = b""
while b"bye" not in buf:
    d = s.recv(100)
    if not d: break
    buf += d
PY
wait "$qpid"
rc=$?
qpid=
secs=$(($(date +%s) - start))
vm_ended "$tmp" "$rc" "$secs" "$limit" CARDVM
grep -a '^CARDVM FAIL' "$tmp/console.txt" && fail "the guest could not set up"
[ "$ready" = 1 ] || fail "the guest never said READY"
grep -aq '^CARDVM EXIT 0$' "$tmp/console.txt" || fail "the guest's programs did not stop cleanly"
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
kiosk_log=$(sed -n '/^CARDVM LOG kiosk$/,/^CARDVM END LOG kiosk$/p' "$tmp/console.txt")
[[ $kiosk_log == *"login by card: S01"* ]] && ok "the kiosk logged S01's card login by person code" ||
	bad "no \"login by card: S01\" in the kiosk's log"
found=
for c in "$CARD_S01" "$CARD_E01" "$CARD_UNKNOWN" "$(cat "$root/etc/kiosk-pairing")" "$(cat "$root/etc/terminal.key")"; do
	grep -aqF "$c" "$tmp/console.txt" && found=1
done
[ -z "$found" ] && ok "no card id nor key on the guest's console, keycabd's, keycab-sim's and the kiosk's logs included" ||
	bad "a card id or a key on the guest's console or in a log"
if grep -aq -e "ERROR: AddressSanitizer" -e "runtime error:" -e "ERROR: LeakSanitizer" "$tmp/console.txt"; then
	bad "a sanitizer report in the guest"
fi
[ "$FAILS" = 0 ] || fail "$FAILS checks failed"
echo "PASS: card logins end to end in the VM (${secs} s boot to power-off)"
