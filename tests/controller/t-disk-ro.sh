#!/usr/bin/env bash
# The cabinet's disk turns read-only, as an SD card's ext4 does on an
# error (errors=remount-ro): keycabd's database on an ext4 image on a
# loop device, and the file system's error forced under it. keycabd keeps
# running: a key that comes back and a release window that closes are
# kept in memory, the slots show the truth, `keycab status` says the disk
# is read-only and how many changes wait, a release is refused and opens
# nothing, the window's coil goes off at its end. Stopped, its file system
# repaired (e2fsck) and started again, keycabd finds both from what the
# slots read: every key in, no loan left open, the chain whole.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/controller/disk.sh"
disk_ext4 32M
disk_estate
disk_before

echo "== the file system fails and turns read-only"
dev=$(basename "$LOOP")
if [ -w "/sys/fs/ext4/$dev/trigger_fs_error" ]; then
	echo 1 >"/sys/fs/ext4/$dev/trigger_fs_error"
	how="trigger_fs_error"
else
	mount -o remount,ro "$MNT" 2>"$T/mount.err" || disk_skip "neither /sys/fs/ext4/$dev/trigger_fs_error nor a remount read-only ($(cat "$T/mount.err"))"
	how="remount,ro"
fi
touch "$MNT/probe" 2>/dev/null && bad "the file system still takes writes" || ok "the file system is read-only ($how): $(findmnt -no OPTIONS "$MNT")"
disk_while read_only "disk is read-only" "磁盘已变为只读"
kcd_stop
grep -q "changes not written" "$T/keycabd.log" && ok "keycabd stopped, saying what it could not write" ||
	bad "keycabd's stop: $(tail -3 "$T/keycabd.log")"
for s in "$K1_SLOT" "$K2_SLOT" "$K3_SLOT"; do
	[ "$(sim coil "$s")" = "OK off" ] || bad "$s's coil is on after the stop"
done

echo "== repaired and started again"
umount "$MNT"
e2fsck -fy "$LOOP" >"$T/fsck.log" 2>&1
mount -t ext4 -o errors=remount-ro "$LOOP" "$MNT" || { bad "mount after e2fsck"; kc_finish; }
kcd_start
until_eq 10 in key_state "$K1" && ok "$K1 is in" || bad "$K1 is $(key_state "$K1")"
until_eq 10 returned loan_state "$L1" && ok "loan $L1 returned" || bad "loan $L1 is $(loan_state "$L1")"
until_eq 10 not_taken loan_state "$L2" && ok "loan $L2 not taken" || bad "loan $L2 is $(loan_state "$L2")"
until_eq 5 "ok 0" storage 's.get("state"), s.get("pending")' && ok "status: storage ok, nothing waits" ||
	bad "status storage: $(storage 's')"
rel "$K2" >/dev/null && ok "$K2 released again" || bad "$K2 not released again"
kcd_stop
disk_chain_ok && ok "quick_check ok; the outbox holds every event once, chain unbroken" || bad "database or chain"
kc_finish
