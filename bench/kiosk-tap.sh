#!/usr/bin/env bash
# The terminal's latencies and bytes per screen (bench/kiosk-tap.js):
# tap to open (the tap on 开格 Open slot in real Chromium, touch at 1024x600, to the
# coil on at keycab-sim) beside the same release by `keycab`, key to screen
# (the removal at the sim to 已取走 on the page) beside keycabd's own push,
# bytes per screen of the repair flow, keycab-kiosk's RSS; the floor: the
# same release on keycabd's socket from a connection kept open. keycabd on
# keycab-sim with the demo estate; BENCH_TAPS page releases (default 200)
# and as many by the CLI, alternating, on the slots whose board times its
# own pulse (B01-B08). A few minutes.
set -u
: "${KEYCAB_BIN:?}" "${KEYCAB_SRC:?}" "${BUILD:?}"
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
command -v chromium >/dev/null || { echo "no chromium (apt-get install chromium)"; exit 1; }
NODE_PATH=$("$KEYCAB_SRC/tests/kiosk/npm-setup.sh") || exit 1
export NODE_PATH
KC_WINDOW=3s
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
BENCH_TOKEN=$(token S02 2222) || exit 1 # the socket's own releases
export BENCH_TOKEN
login S01 1111 # the CLI's session, beside the page's own login
KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
# without the pinyin dictionary: its RSS is bench/kiosk-osk.sh's
kiosk_start kiosk "idle_timeout = 1h" "pinyin_dictionary =" || exit 1
KIOSK_PID=$KPID
# let the first scans' notices settle before timing anything
sleep 1
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR KIOSK_PID=$KIOSK_PID timeout 900 node "$KEYCAB_SRC/bench/kiosk-tap.js"
rc=$?
echo "screenshots: $BUILD/test-logs/kiosk/bench-kiosk-tap/"
[ $rc = 0 ] || { echo "--- keycab-kiosk's log (last lines)"; tail -5 "$T/kiosk.log"; }
exit $rc
