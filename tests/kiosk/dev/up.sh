#!/usr/bin/env bash
# For working on the pages by hand: keycab-sim + keycabd with the demo
# estate + the dev server; prints the URL and waits (Ctrl-C stops all).
# Env: KEYCAB_BIN (default ./build/bin), PORT (default a free one).
set -u
KEYCAB_SRC=$(cd "$(dirname "$0")/../../.." && pwd)
: "${KEYCAB_BIN:=$KEYCAB_SRC/build/bin}"
export KEYCAB_BIN KEYCAB_SRC
. "$KEYCAB_SRC/tests/controller/lib.sh"
KC_WINDOW=${KC_WINDOW:-10s}
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
python3 "$KEYCAB_SRC/tests/kiosk/dev/devserver.py" --www "$KEYCAB_SRC/controller/kiosk/www" \
	--socket "$KEYCAB_SOCKET" --db "$T/keycab.db" --port "${PORT:-0}" >"$T/dev.out" 2>"$T/dev.log" &
DEV_PID=$!
trap 'kill $DEV_PID 2>/dev/null; kc_cleanup' EXIT
wait_for 10 grep -q listening "$T/dev.out" || { cat "$T/dev.log"; exit 1; }
echo "url http://127.0.0.1:$(awk '/listening/ {print $2}' "$T/dev.out")/"
echo "env T=$T KEYCAB_SOCKET=$KEYCAB_SOCKET SIM_CONTROL=$SIM_CONTROL"
wait $DEV_PID
