#!/usr/bin/env bash
# Taking keys in at the terminal (bench/kiosk-intake.js): taps and seconds
# of an owner's entrustment of two keys, from the login to the receipt, by
# touch in real Chromium at 1024x600, beside a plain release (a repair key,
# from the login to its slot open) in the same run; keycabd on keycab-sim
# with the demo estate and free slots for BENCH_INTAKE_ROUNDS rounds
# (default 3) of two keys each. Under a minute.
set -u
: "${KEYCAB_BIN:?}" "${KEYCAB_SRC:?}" "${BUILD:?}"
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/intake-cabinet.sh"
command -v chromium >/dev/null || { echo "no chromium (apt-get install chromium)"; exit 1; }
NODE_PATH=$("$KEYCAB_SRC/tests/kiosk/npm-setup.sh") || exit 1
export NODE_PATH T
ROUNDS=${BENCH_INTAKE_ROUNDS:-3}
export BENCH_INTAKE_ROUNDS=$ROUNDS
KC_WINDOW=3s
intake_cabinet_start $((2 * ROUNDS))
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
kiosk_start kiosk "idle_timeout = 1h" || exit 1
KIOSK_PID=$KPID
sleep 1
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR timeout 600 node "$KEYCAB_SRC/bench/kiosk-intake.js"
rc=$?
echo "screenshots: $BUILD/test-logs/kiosk/bench-kiosk-intake/"
exit $rc
