#!/usr/bin/env bash
# The terminal keeps its live state (controller/README.md, "The
# terminal": the relay), against a real keycabd on keycab-sim with the
# demo estate, the screen in Chromium (t-kiosk-live.js):
# 1. keycabd's 8 subscriber places are held by logged-in clients when the
#    kiosk starts: the kiosk, with the terminal key, still gets a place
#    and the screen follows the cabinet (a key lifted without a release
#    at the simulator shows as an alarm);
# 2. keycabd restarted with another terminal key refuses the kiosk's
#    subscribe: the screen says it is not following the cabinet, and why,
#    in Chinese and in English; the kiosk keeps asking, with a doubling
#    delay; keycabd restarted with the kiosk's key takes it again, and the
#    screen follows.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
kiosk_browser
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
KIOSK_PID= SQUAT=
cleanup() {
	[ -n "$SQUAT" ] && kill "$SQUAT" 2>/dev/null
	[ -n "$KIOSK_PID" ] && kill "$KIOSK_PID" 2>/dev/null && wait "$KIOSK_PID" 2>/dev/null
	kc_cleanup
}
trap cleanup EXIT

echo "== 8 logged-in clients hold keycabd's subscriber places"
# each subscribes with S01's session, then holds its connection (and says
# what keycabd pushes to end it) until $T/squat-go is removed
python3 - "$KEYCAB_SOCKET" "$(token S01 1111)" "$T/squat-go" >"$T/squat.log" 2>&1 <<'PY' &
import json, os, select, socket, sys
path, session, flag = sys.argv[1:4]
held = []
for i in range(8):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    s.sendall((json.dumps({"op": "subscribe", "session": session}) + "\n").encode())
    f = s.makefile()
    rep = json.loads(f.readline())
    print(i, rep.get("ok"), rep.get("error", ""), flush=True)
    held.append((s, f))
open(flag, "w").close()
while os.path.exists(flag):
    r, _, _ = select.select([s for s, _ in held], [], [], 0.05)
    for s in r:
        f = dict(held)[s]
        line = f.readline()
        if not line:
            held = [h for h in held if h[0] is not s]
            continue
        if json.loads(line).get("push") == "end":
            print("end", line.strip(), flush=True)
for s, _ in held:
    s.close()
PY
SQUAT=$!
wait_for 10 test -e "$T/squat-go" || { bad "the clients did not subscribe"; cat "$T/squat.log"; exit 1; }
n=$(grep -c ' True ' "$T/squat.log")
[ "$n" = 8 ] && ok "8 clients subscribed" || bad "$n of 8 clients subscribed: $(cat "$T/squat.log")"

echo "== the kiosk starts"
kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK_PID=$KPID
wait_for 10 grep -q "subscribed to keycabd's live state" "$T/kiosk.log" &&
	ok "the kiosk subscribed with every place held" || bad "the kiosk did not subscribe: $(tail -3 "$T/kiosk.log")"
wait_for 5 grep -q '^end' "$T/squat.log" && ok "one of the 8 gave its place: $(grep -m1 '^end' "$T/squat.log" | cut -c1-120)" ||
	bad "none of the 8 gave its place"

# What the page asks of the shell (lib.js shell()): req-WHAT -> done-WHAT.
(
	for w in wrongkey rightkey; do
		wait_for 120 test -e "$T/req-$w" || exit 1
		# keycabd is not this subshell's child: waited for by its pid
		kill "$KCD_PID"
		wait_for 20 bash -c "! kill -0 $KCD_PID" || exit 1
		if [ "$w" = wrongkey ]; then
			(umask 077 && head -c 32 /dev/urandom | base64 >"$T/other.key")
			sed -i "s|^terminal_key = .*|terminal_key = $T/other.key|" "$T/keycabd.conf"
		else
			sed -i "s|^terminal_key = .*|terminal_key = $TERMINAL_KEY|" "$T/keycabd.conf"
		fi
		kcd_start
		echo "$KCD_PID" >"$T/kcd.pid"
		touch "$T/done-$w"
	done
) &
HELPER=$!
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR node "$KEYCAB_SRC/tests/kiosk/t-kiosk-live.js" && ok "t-kiosk-live.js" || bad "t-kiosk-live.js"
wait "$HELPER"
KCD_PID=$(cat "$T/kcd.pid" 2>/dev/null)

echo "== the log"
tries=$(grep -c "keycabd refused subscribe" "$T/kiosk.log")
[ "$tries" = 1 ] && ok "the refusal is logged once, not at each try: $(grep -m1 'refused subscribe' "$T/kiosk.log" | cut -c1-150)" ||
	bad "the refusal logged $tries times"
grep -q "subscribed to keycabd's live state, after its refusal" "$T/kiosk.log" &&
	ok "the kiosk logs that it follows again" || bad "no line of the kiosk following again"
grep -qF "$(cat "$TERMINAL_KEY")" "$T/kiosk.log" && bad "the terminal key in the kiosk's log" || ok "no terminal key in the kiosk's log"
kill "$SQUAT" 2>/dev/null
SQUAT=
kiosk_end "$KIOSK_PID" kiosk
KIOSK_PID=
kc_finish
