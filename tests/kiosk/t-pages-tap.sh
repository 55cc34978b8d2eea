#!/usr/bin/env bash
# The release button under a finger (tests/kiosk/t-pages-tap.js) in a real
# headless Chromium with touch at 1024x600: the page opens the slot when
# the finger lifts, without waiting for the click Chromium makes of a tap
# after it, and a tap still opens it only once; against keycabd on
# keycab-sim with the demo estate, served by keycab-kiosk.
# Screenshots: $BUILD/test-logs/kiosk/t-pages-tap/.
source "$KEYCAB_SRC/tests/controller/lib.sh"
command -v chromium >/dev/null || { echo "no chromium (apt-get install chromium)"; exit 77; }
NODE_PATH=$("$KEYCAB_SRC/tests/kiosk/npm-setup.sh") || { echo "npm ci failed"; exit 1; }
export NODE_PATH
KC_WINDOW=2s
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
PORT=$(free_port)
printf '[kiosk]\nport = %s\nsocket = %s\nidle_timeout = 5m\n' "$PORT" "$KEYCAB_SOCKET" >"$T/kiosk.conf"
"$KEYCAB_BIN/keycab-kiosk" -c "$T/kiosk.conf" >>"$T/kiosk.log" 2>&1 &
KIOSK_PID=$!
trap 'kill $KIOSK_PID 2>/dev/null; wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
wait_for 10 curl -sf "http://127.0.0.1:$PORT/" >/dev/null || { bad "keycab-kiosk did not start"; cat "$T/kiosk.log"; exit 1; }
KIOSK_URL="http://127.0.0.1:$PORT/" node "$KEYCAB_SRC/tests/kiosk/t-pages-tap.js" && ok "t-pages-tap.js" || bad "t-pages-tap.js"
kc_finish
