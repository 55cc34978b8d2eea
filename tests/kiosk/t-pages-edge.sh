#!/usr/bin/env bash
# Nothing below the edge (tests/kiosk/t-pages-edge.js): every screen of
# the terminal (tests/kiosk/edge-screens.js) in a real headless Chromium
# with touch, three notices up, at 1024x600 and 1280x800: every button on
# screen without scrolling; against keycabd on keycab-sim with the demo
# estate and six free slots (A09-A14, tests/kiosk/intake-cabinet.sh) for
# the keys taken in, served by keycab-kiosk. The estate adds: a letter for
# K-HY-1-101, K-HY-1-104 out, K-HY-1-103 put back in A08 (a wrong-slot
# alarm, and its inspection to record).
# Screenshots (1024x600): $BUILD/test-logs/kiosk/t-pages-edge/.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/intake-cabinet.sh"
kiosk_browser
KC_WINDOW=3s
intake_cabinet_start 6
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
login S01 1111
ENT=$(kc --json entrustments | json "[e['entrustment'] for e in d['entrustments'] if e['key']=='K-HY-1-101'][0]")
echo 440301199512125559 | kc --json letter file "$ENT" --borrower '谭伟' --id-type id_card --id-stdin \
	--to "$(date -u -d '+14 days' +%Y-%m-%d)" --ref WT-2026-001 >/dev/null || bad "the letter for K-HY-1-101"
kc logout >/dev/null
kiosk_wrong_slot || bad "K-HY-1-103 back in the wrong slot"
KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
# each screen is reached from a fresh load of the page: room for the event
# streams of the loads before it that the kiosk has not seen end yet
kiosk_start kiosk "idle_timeout = 5m" "max_pages = 64" || exit 1
KIOSK_PID=$KPID
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR kiosk_node t-pages-edge.js
kc_finish
