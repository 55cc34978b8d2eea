#!/usr/bin/env bash
# The screen says what keeps the cabinet from the truth, against the real
# keycabd, its forwarder and keyauditd (t-kiosk-banners.js):
# 1. keycabd's database on a small tmpfs that another file fills: a key
#    lifted at the simulator cannot be written; the status's storage is
#    not ok and the screen says the cabinet's disk is full, in Chinese
#    and English; the space back, the banner goes.
# 2. keyauditd restored from an older backup, with fewer events kept at
#    the cabinet than it lost: the link says the office is behind, and so
#    does the screen; keyauditd's new epoch, and the banner goes.
# A part whose field keycabd's status does not carry (storage,
# forward.service_behind) is skipped, and said so. Needs root (a tmpfs).
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
kiosk_browser
MNT=$T/disk
KIOSK_PID=
cleanup() {
	[ -n "$KIOSK_PID" ] && kill "$KIOSK_PID" 2>/dev/null && wait "$KIOSK_PID" 2>/dev/null
	[ -n "$KCD_PID" ] && kill "$KCD_PID" 2>/dev/null && wait "$KCD_PID" 2>/dev/null
	KCD_PID=
	mountpoint -q "$MNT" 2>/dev/null && { umount "$MNT" 2>/dev/null || umount -l "$MNT"; }
	kc_cleanup
}
trap cleanup EXIT
mkdir -p "$MNT"
mount -t tmpfs -o size=16m,mode=0700 keycab-kiosk-test "$MNT" 2>"$T/mount.err" ||
	{ echo "skipped: cannot mount a tmpfs ($(cat "$T/mount.err")); the test needs root"; exit 77; }

kc_cabinet
kc_config
sed -i "s|^path = $T/keycab.db|path = $MNT/keycab.db|" "$T/keycabd.conf"
kad_setup 500ms
printf '[forward]\nheartbeat = 1s\nkeep_acked_events = 2\n' >>"$T/keycabd.conf"
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start
DEMO_DIR=$T "$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
# started again: its write-ahead log starts empty
kcd_stop
kcd_start

st() { kc --json status | python3 -c "import json,sys; d=json.load(sys.stdin); f=d.get('forward') or {}; print($1)"; }
drained() { [ "$(st "int(f.get('pending', 1) == 0 and f.get('last_acked_seq') == d['last_seq'])")" = 1 ]; }
HAS_STORAGE=$(st "int('storage' in d)")
HAS_BEHIND=$(st "int('service_behind' in f)")
[ "$HAS_STORAGE" = 1 ] || echo "skipped: the disk's part (keycabd's status has no storage)"
[ "$HAS_BEHIND" = 1 ] || echo "skipped: the link's part (keycabd's forward object has no service_behind)"
[ "$HAS_STORAGE" = 1 ] || [ "$HAS_BEHIND" = 1 ] || exit 77
wait_for 30 drained && ok "the estate's events forwarded" || bad "not forwarded: $(st f)"
# the office's backup, then events it acknowledges after it
sqlite3 "$T/audit.db" ".backup '$T/audit-backup.db'" || exit 1
for i in 1 2 3 4 5; do
	printf '1234\n' | kc person add "P0$i" --name "Temp $i" --role staff --pin-stdin >/dev/null || bad "person add P0$i"
done
wait_for 20 drained && ok "five more forwarded after the office's backup" || bad "not forwarded: $(st f)"

kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK_PID=$KPID
# What the page asks of the shell (kiosk_node).
act() {
	case $1 in
	fill) # another file takes every free block; a key lifted must be written
		dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
		dd if=/dev/zero of="$MNT/filler2" bs=4k 2>/dev/null
		sim remove A07 >/dev/null ;;
	free) rm -f "$MNT/filler" "$MNT/filler2" ;;
	restore) # the office restored from the backup; the cabinet idle
		kad_stop
		rm -f "$T/audit.db-wal" "$T/audit.db-shm"
		cp "$T/audit-backup.db" "$T/audit.db"
		kad_start ;;
	epoch) "$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" new-epoch demo-desk >>"$T/keyauditd.log" 2>&1 ;;
	*) echo "unknown request $1"; return 1 ;;
	esac
}
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR HAS_STORAGE=$HAS_STORAGE HAS_BEHIND=$HAS_BEHIND kiosk_node t-kiosk-banners.js
kiosk_end "$KIOSK_PID" kiosk
KIOSK_PID=
kc_finish
