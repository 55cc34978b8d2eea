#!/usr/bin/env bash
# A start that fails leaves no coil on (rule 10): switching every lock off
# is the first thing keycabd does. keycabd is killed (SIGKILL) inside a
# release window, and started again by itself (no service manager, no
# `keycab-hw off`) when it cannot start: its database on a tmpfs that
# another file has filled, then a keycabd.conf with a bad value. Each
# start fails, and the coil's on-time summed at keycab-sim across the
# crash and the failed start stays within the release window (3 s).
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/controller/disk.sh"
disk_tmpfs 8m
disk_estate
S=$(token S01 1111) || { bad "login S01"; kc_finish; }
K=K-HY-2-109 SLOT=C06 WINDOW_MS=3000

# crash_in_window: the key released, its coil on, keycabd killed
crash_in_window() {
	sim clear-history >/dev/null
	KEYCAB_SESSION=$S kc release "$K" --purpose inspection --borrower E01 --due-in 1h >/dev/null || bad "$K not granted"
	wait_coil "$SLOT" on || bad "$SLOT did not open"
	sleep 0.3
	kill -9 "$KCD_PID" && wait "$KCD_PID" 2>/dev/null
	KCD_PID=
	[ "$(sim coil "$SLOT")" = "OK on" ] && ok "killed inside the window, $SLOT's coil on" || bad "$SLOT's coil: $(sim coil "$SLOT")"
}

# failed_start WHY: keycabd started by itself must fail; then the coil
failed_start() {
	local t0 rc
	t0=$(python3 -c 'import time; print(time.monotonic_ns() // 1000)')
	timeout 20 "$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" >"$T/start.log" 2>&1 && rc=0 || rc=$?
	[ "$rc" != 0 ] && [ "$rc" != 124 ] && ok "the start fails (exit $rc): $(grep -m1 -i -e error -e refusing "$T/start.log")" ||
		bad "the start did not fail as it should (exit $rc): $(tail -3 "$T/start.log")"
	cat "$T/start.log" >>"$T/keycabd.log"
	has "  ... $1" "$1" "$(cat "$T/start.log")"
	sleep 0.5
	[ "$(sim coil "$SLOT")" = "OK off" ] && ok "$SLOT's coil is off" || bad "$SLOT's coil is still on"
	on=$(coil_on_ms "$SLOT")
	[ "$on" != on ] && [ "$on" -le "$WINDOW_MS" ] && ok "$SLOT's coil was on $on ms in all, within the window ($WINDOW_MS ms)" ||
		bad "$SLOT's coil on-time: $on (window $WINDOW_MS ms)"
	off=$(sim history "$SLOT" | tr ' ' '\n' | grep '^OFF@' | tail -1)
	[ -n "$off" ] && echo "       the coil went off $(( (${off#OFF@} - t0) / 1000 )) ms after the failed start began"
}

echo "== the database on a full disk"
crash_in_window
disk_fill
failed_start "refusing to start"
disk_free

echo "== space back: keycabd starts; the window's loan ends"
kcd_start
L=$(loan_of "$K")
until_eq 10 not_taken loan_state "$L" && ok "loan $L not taken" || bad "loan $L: $(loan_state "$L")"
until_eq 10 in key_state "$K" && ok "$K is in" || bad "$K is $(key_state "$K")"

echo "== keycabd.conf with a bad value"
crash_in_window
cp "$T/keycabd.conf" "$T/keycabd.conf.good"
sed -i 's/^scan_interval = .*/scan_interval = 2 minutes/' "$T/keycabd.conf"
failed_start "is not a duration"
cp "$T/keycabd.conf.good" "$T/keycabd.conf"
kcd_start
until_eq 10 in key_state "$K" && ok "started with the good file: $K is in" || bad "$K is $(key_state "$K")"
kcd_stop
disk_chain_ok && ok "quick_check ok; the outbox holds every event once, chain unbroken" || bad "database or chain"
kc_finish
