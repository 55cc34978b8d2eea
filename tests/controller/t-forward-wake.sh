#!/usr/bin/env bash
# keycab-forward is woken by keycabd when an event is written (it holds a
# subscription on keycabd's socket, under the forward key), not by
# polling the outbox: idle, it sends keycabd next to nothing; a new event
# reaches the office well within the slow fallback poll; and a forwarder
# whose subscription keycabd closed (keycabd restarted) is woken again.
# Real keycabd, keycab-forward, keyauditd, sockets and SQLite files.
source "$KEYCAB_SRC/tests/controller/lib.sh"

kc_link_start
wait_for 30 link_drained && ok "keycab-forward drained the outbox: $(link_st)" || bad "not drained: $(link_st)"
sleep 1

# wake-ups of keycab-forward's threads other than its main thread (the
# forwarder's: each poll timeout, each request to keycabd)
wakeups() {
	local n=0 t
	for t in /proc/"$KFW_PID"/task/*; do
		[ "${t##*/}" = "$KFW_PID" ] && continue
		n=$((n + $(awk '/^voluntary_ctxt_switches:/ { print $2 }' "$t/status")))
	done
	echo "$n"
}
w0=$(wakeups)
sleep 3
w1=$(wakeups)
idle=$((w1 - w0))
# a poll of the outbox every 250 ms would be 12 or more
[ "$idle" -le 4 ] && ok "idle for 3 s, the forwarder's thread woke $idle times" ||
	bad "idle for 3 s, the forwarder's thread woke $idle times (it polls the outbox)"

# Each login is an event (operator.login): the time until keycabd's outbox
# has nothing pending, acknowledged by the office.
latencies() {
	python3 - "$1" <<'PY'
import json, os, sys, time
sys.path.insert(0, os.path.join(os.environ["KEYCAB_SRC"], "tests/controller"))
from sockask import ask
out = []
for i in range(int(sys.argv[1])):
    time.sleep(0.3)
    t0 = time.monotonic()
    r = ask({"op": "login", "person": "S01", "pin": "1111"})
    if not r.get("ok"):
        print("login failed", r); sys.exit(1)
    while True:
        s = ask({"op": "status", "session": r["session"]})
        if s.get("forward", {}).get("pending") == 0:
            break
        if time.monotonic() - t0 > 10:
            break
        time.sleep(0.01)
    out.append(int((time.monotonic() - t0) * 1000))
print(" ".join(map(str, out)))
PY
}
lat=$(latencies 6) || bad "latencies: $lat"
worst=$(tr ' ' '\n' <<<"$lat" | sort -n | tail -1)
[ -n "$worst" ] && [ "$worst" -lt 1500 ] && ok "each login reached the office in (ms): $lat" ||
	bad "logins reached the office in (ms): $lat (the fallback poll is 5 s)"

echo "== keycab-forward's place"
out=$(python3 - "$(cat "$FORWARD_KEY")" <<'PY'
import os, sys
sys.path.insert(0, os.path.join(os.environ["KEYCAB_SRC"], "tests/controller"))
from sockask import ask
r = ask({"op": "subscribe", "forward_key": sys.argv[1]})
print(r.get("ok"), r.get("code"))
PY
)
[ "$out" = "False subscribe_forwarder_held" ] && ok "a second subscription with the forward key is refused: $out" ||
	bad "a second subscription with the forward key: $out"

echo "== keycabd restarted: the forwarder subscribes again"
kcd_stop
kcd_start
wait_for 30 link_drained && ok "drained after keycabd's restart: $(link_st)" || bad "not drained: $(link_st)"
sleep 6 # the forwarder finds keycabd again (its fallback poll, its reconnect)
lat=$(latencies 3) || bad "latencies: $lat"
worst=$(tr ' ' '\n' <<<"$lat" | sort -n | tail -1)
[ -n "$worst" ] && [ "$worst" -lt 1500 ] && ok "after the restart, each login reached the office in (ms): $lat" ||
	bad "after the restart, logins reached the office in (ms): $lat"
grep -q 'subscribed to keycabd' "$T/keycab-forward.log" && ok "keycab-forward says it subscribed: $(grep -c 'subscribed to keycabd' "$T/keycab-forward.log") times" ||
	bad "keycab-forward's log: $(tail -5 "$T/keycab-forward.log")"

kc_finish
