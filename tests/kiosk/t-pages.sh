#!/usr/bin/env bash
# The terminal's pages (controller/kiosk/www/) in a real headless Chromium
# with touch at 1024x600 (tests/kiosk/pages.js), against keycabd on
# keycab-sim with the demo estate. The pages are served by keycab-kiosk
# when it is built, else by the development server tests/kiosk/dev/.
# Screenshots of each screen: $BUILD/test-logs/kiosk-screens/.
set -u
. "$KEYCAB_SRC/tests/controller/lib.sh"
command -v chromium >/dev/null || { echo "no chromium (apt-get install chromium)"; exit 77; }
( cd "$KEYCAB_SRC/tests/kiosk" && { [ -d node_modules/playwright-core ] || npm ci --silent; } ) || exit 1
KC_WINDOW=3s
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
login S01 1111
ENT=$(kc --json entrustments | json "[e['entrustment'] for e in d['entrustments'] if e['key']=='K-HY-1-101'][0]")
LETTER=$(echo 440301199512125559 | kc --json letter file "$ENT" --borrower '谭伟' --id-type id_card --id-stdin \
	--to "$(date -u -d '+14 days' +%Y-%m-%d)" --ref WT-2026-001 | json "d['letter']")
kc logout >/dev/null

PORT=$(free_port)
python3 "$KEYCAB_SRC/tests/kiosk/dev/devserver.py" --www "$KEYCAB_SRC/controller/kiosk/www" \
	--socket "$KEYCAB_SOCKET" --db "$T/keycab.db" --port "$PORT" >"$T/dev.out" 2>"$T/dev.log" &
DEV_PID=$!
trap 'kill $DEV_PID 2>/dev/null; wait $DEV_PID 2>/dev/null; kc_cleanup' EXIT
wait_for 10 grep -q listening "$T/dev.out" || { cat "$T/dev.log"; exit 1; }

SHOTS="$BUILD/test-logs/kiosk-screens"
mkdir -p "$SHOTS"
KIOSK_URL="http://127.0.0.1:$PORT/" SHOTS=$SHOTS LETTER=$LETTER \
	NODE_PATH="$KEYCAB_SRC/tests/kiosk/node_modules" node "$KEYCAB_SRC/tests/kiosk/pages.js" || bad "pages.js"
cat "$T/dev.log"
kc_finish
