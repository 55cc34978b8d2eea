#!/usr/bin/env bash
# The terminal's pages (controller/kiosk/www/) in a real headless Chromium
# with touch at 1024x600 (tests/kiosk/pages.js), against keycabd on
# keycab-sim with the demo estate, served by keycab-kiosk.
# Screenshots of each screen: $BUILD/test-logs/kiosk-screens/.
set -u
. "$KEYCAB_SRC/tests/controller/lib.sh"
. "$KEYCAB_SRC/tests/kiosk/lib.sh"
command -v chromium >/dev/null || { echo "no chromium (apt-get install chromium)"; exit 77; }
NODE_PATH=$("$KEYCAB_SRC/tests/kiosk/npm-setup.sh") || { echo "npm ci failed"; exit 1; }
export NODE_PATH
KC_WINDOW=3s
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
login S01 1111
ENT=$(kc --json entrustments | json "[e['entrustment'] for e in d['entrustments'] if e['key']=='K-HY-1-101'][0]")
LETTER=$(echo 440301199512125559 | kc --json letter file "$ENT" --borrower '谭伟' --id-type id_card --id-stdin \
	--to "$(date -u -d '+14 days' +%Y-%m-%d)" --ref WT-2026-001 | json "d['letter']")
kc logout >/dev/null

KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
kiosk_start kiosk "idle_timeout = 90s" || exit 1
KIOSK_PID=$KPID

SHOTS="$BUILD/test-logs/kiosk-screens"
mkdir -p "$SHOTS"
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR SHOTS=$SHOTS LETTER=$LETTER \
	node "$KEYCAB_SRC/tests/kiosk/pages.js" || bad "pages.js"
# the problems typed on the on-screen keyboard (pinyin, candidates), as
# keycabd recorded them: the inspection's row and its sealed event
got=$(sqlite3 "$T/keycab.db" "SELECT problems FROM inspections ORDER BY at_ms DESC LIMIT 1")
[ "$got" = 卫生间漏水 ] && ok "keycabd recorded the inspection's problems 卫生间漏水" ||
	bad "the inspection's problems in keycabd's db: \"$got\""
got=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox WHERE json_extract(body, '\$.type') = 'inspection.recorded'
	AND json_extract(body, '\$.data.problems') = '卫生间漏水'")
[ "$got" = 1 ] && ok "the inspection.recorded event holds 卫生间漏水" || bad "inspection.recorded events with 卫生间漏水: $got"

# The key of HY-1-103 back in A08, the home of HY-1-104's key: a wrong-slot
# alarm for reseat.js to move home from the alarm screen.
login S01 1111
kc release K-HY-1-103 --purpose inspection --borrower E01 --due-in 1h >/dev/null && sim remove A07 >/dev/null &&
	wait_key K-HY-1-103 out &&
	kc release K-HY-1-104 --purpose inspection --borrower E01 --due-in 1h >/dev/null && sim remove A08 >/dev/null &&
	wait_key K-HY-1-104 out && sim insert A08 $((0x1007)) >/dev/null && wait_key K-HY-1-103 in && wait_coil A08 off ||
	bad "the wrong-slot key for reseat.js"
kc logout >/dev/null
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR node "$KEYCAB_SRC/tests/kiosk/reseat.js" || bad "reseat.js"
cat "$T/kiosk.log"
kc_finish
