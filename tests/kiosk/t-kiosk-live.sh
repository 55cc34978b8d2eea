#!/usr/bin/env bash
# The terminal keeps its live state (controller/README.md, "The
# terminal": the relay), against a real keycabd on keycab-sim with the
# demo estate: keycabd's 8 subscriber places are held by other clients
# when the kiosk starts, so keycabd refuses its subscribe; the paired
# screen says it is not following the cabinet (t-kiosk-live.js); the
# places are freed, the kiosk subscribes again by itself and the screen
# follows the cabinet (a key lifted at the simulator shows as an alarm).
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
command -v chromium >/dev/null || { echo "no chromium (apt-get install chromium)"; exit 77; }
NODE_PATH=$("$KEYCAB_SRC/tests/kiosk/npm-setup.sh") || { echo "npm ci failed"; exit 1; }
export NODE_PATH T
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
KIOSK_PID= SQUAT=
cleanup() {
	[ -n "$SQUAT" ] && kill "$SQUAT" 2>/dev/null
	[ -n "$KIOSK_PID" ] && kill "$KIOSK_PID" 2>/dev/null && wait "$KIOSK_PID" 2>/dev/null
	kc_cleanup
}
trap cleanup EXIT

echo "== 8 clients hold keycabd's subscriber places"
# each subscribes as a terminal does (with the terminal key when keycabd
# has one), then holds its connection until $T/squat-go is removed
python3 - "$KEYCAB_SOCKET" "${KC_TERMINAL_KEY:-}" "$T/squat-go" >"$T/squat.log" 2>&1 <<'PY' &
import json, os, socket, sys, time
path, keyfile, flag = sys.argv[1:4]
req = {"op": "subscribe"}
if keyfile:
    req["terminal_key"] = open(keyfile).read().strip()
held = []
for i in range(8):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall((json.dumps(req) + "\n").encode())
    line = s.makefile().readline()
    rep = json.loads(line)
    print(i, rep.get("ok"), rep.get("error", ""), flush=True)
    held.append(s)
open(flag, "w").close()
while os.path.exists(flag):
    time.sleep(0.05)
for s in held:
    s.close()
print("left", flush=True)
PY
SQUAT=$!
wait_for 10 test -e "$T/squat-go" || { bad "the clients did not subscribe"; cat "$T/squat.log"; exit 1; }
n=$(grep -c ' True ' "$T/squat.log")
[ "$n" = 8 ] && ok "8 clients subscribed" || bad "$n of 8 clients subscribed: $(cat "$T/squat.log")"

echo "== the kiosk starts; keycabd refuses its subscribe"
kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK_PID=$KPID
wait_for 10 grep -q "keycabd refused subscribe" "$T/kiosk.log" && ok "the kiosk logs the refusal: $(grep -m1 'refused subscribe' "$T/kiosk.log" | cut -c1-160)" ||
	bad "no refusal in the kiosk's log"

# The page asks the shell to free the places (lib.js shell()).
(
	wait_for 120 test -e "$T/req-free" || exit 1
	rm -f "$T/squat-go"
	wait "$SQUAT" 2>/dev/null
	touch "$T/done-free"
) &
HELPER=$!
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR node "$KEYCAB_SRC/tests/kiosk/t-kiosk-live.js" && ok "t-kiosk-live.js" || bad "t-kiosk-live.js"
wait "$HELPER"
SQUAT=

echo "== the log"
tries=$(grep -c "keycabd refused subscribe" "$T/kiosk.log")
grep -q "subscribed to keycabd's live state" "$T/kiosk.log" && ok "the kiosk subscribed once the places were free" ||
	bad "the kiosk never subscribed"
[ "$tries" -le 2 ] && ok "the refusal is logged once a spell ($tries line(s)), not at each try" ||
	bad "the refusal logged $tries times"
kiosk_stop "$KIOSK_PID" && ok "keycab-kiosk stops cleanly" || bad "keycab-kiosk stop"
KIOSK_PID=
if grep -q -e "ERROR: AddressSanitizer" -e "runtime error:" -e "LeakSanitizer" "$T/kiosk.log"; then
	bad "a sanitizer report in the kiosk's log"; grep -A20 Sanitizer "$T/kiosk.log" | head -40
fi
tail -n 8 "$T/kiosk.log"
kc_finish
