#!/usr/bin/env bash
# The release button under a finger (tests/kiosk/t-pages-tap.js) in a real
# headless Chromium with touch at 1024x600: the page opens the slot when
# the finger lifts, without waiting for the click Chromium makes of a tap
# after it, and a tap still opens it only once; against keycabd on
# keycab-sim with the demo estate, served by keycab-kiosk.
# Screenshots: $BUILD/test-logs/kiosk/t-pages-tap/.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
command -v chromium >/dev/null || { echo "no chromium (apt-get install chromium)"; exit 77; }
NODE_PATH=$("$KEYCAB_SRC/tests/kiosk/npm-setup.sh") || { echo "npm ci failed"; exit 1; }
export NODE_PATH
KC_WINDOW=2s
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK_PID=$KPID
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR node "$KEYCAB_SRC/tests/kiosk/t-pages-tap.js" && ok "t-pages-tap.js" || bad "t-pages-tap.js"
kc_finish
