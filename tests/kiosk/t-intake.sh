#!/usr/bin/env bash
# Taking keys in by touch (tests/kiosk/t-intake.js) in a real headless
# Chromium with touch at 1024x600: an owner's two keys entrusted, a key
# enrolled, an entrustment extended and ended early, an authorisation
# letter filed, each to its receipt, and the refusals (a bad ID check
# digit, a period past the bound, no free slot); against keycabd on
# keycab-sim with the demo estate and four free slots, served by
# keycab-kiosk. Screenshots: $BUILD/test-logs/kiosk/t-intake/.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/intake-cabinet.sh"
kiosk_browser
KC_WINDOW=3s
intake_cabinet_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK_PID=$KPID
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR node "$KEYCAB_SRC/tests/kiosk/t-intake.js" && ok "t-intake.js" || bad "t-intake.js"
"$KEYCAB_BIN/keycab-chaincheck" "$T/keycab.db" >/dev/null 2>&1 && ok "the outbox chain is whole" || bad "keycab-chaincheck"
kc_finish
