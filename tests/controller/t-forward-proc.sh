#!/usr/bin/env bash
# keycab-forward is its own process: keycabd's binary does not link
# libcurl, keycab-forward holds no database file open, and keycabd's
# outbox.* and forward.report requests take the forward key ([socket]
# forward_key) and nothing else. keycabd shows the link as keycab-forward
# reports it, and says so when keycab-forward goes silent.
source "$KEYCAB_SRC/tests/controller/lib.sh"

echo "== the binaries"
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' '; }
n=$(needed "$KEYCAB_BIN/keycabd")
case $n in *libcurl*) bad "keycabd links libcurl: $n" ;; *) ok "keycabd does not link libcurl (NEEDED: $n)" ;; esac
n=$(needed "$KEYCAB_BIN/keycab-forward")
case $n in *libcurl*) ok "keycab-forward links libcurl" ;; *) bad "keycab-forward without libcurl: $n" ;; esac
case $n in *libsqlite3*|*libgpiod*|*libmodbus*) bad "keycab-forward links the database or the hardware: $n" ;;
*) ok "keycab-forward links neither SQLite nor the hardware's libraries" ;; esac

echo "== its unit"
sed -e "s|/usr/bin/keycab-forward |$KEYCAB_BIN/keycab-forward |" "$KEYCAB_SRC/systemd/keycab-forward.service" \
	>"$T/keycab-forward.service"
out=$(cd "$T" && systemd-analyze verify --man=no "$T/keycab-forward.service" 2>&1) && rc=0 || rc=$?
[ "$rc" = 0 ] && [ -z "$out" ] && ok "systemd-analyze verify keycab-forward.service: clean" || bad "verify (exit $rc): $out"
sed 's/^Type=notify/Type=notifyy/' "$T/keycab-forward.service" >"$T/broken.service"
out=$(systemd-analyze verify --man=no "$T/broken.service" 2>&1)
[[ $out == *"Failed to parse service type"* ]] && ok "a broken copy is reported" || bad "broken copy not reported: $out"
for want in "Type=notify" "User=keycab-forward" "SupplementaryGroups=keycab" "NoNewPrivileges=yes" \
	"ProtectSystem=strict" "PrivateDevices=yes" "DevicePolicy=closed" "InaccessiblePaths=-/var/lib/keycabd" \
	"CapabilityBoundingSet=" "LoadCredential=forward-key:/etc/keycab/forward.key"; do
	grep -qxF "$want" "$T/keycab-forward.service" && ok "keycab-forward.service has $want" || bad "no $want"
done
grep -q "^DeviceAllow=" "$T/keycab-forward.service" && bad "keycab-forward.service allows a device" ||
	ok "keycab-forward.service allows no device"
grep -qE "^(ReadWritePaths|StateDirectory)=" "$T/keycab-forward.service" && bad "keycab-forward.service may write somewhere" ||
	ok "keycab-forward.service has no writable path"
grep -qxF "LoadCredential=forward-key:/etc/keycab/forward.key" "$KEYCAB_SRC/systemd/keycabd.service" &&
	ok "keycabd.service gets the same forward key" || bad "keycabd.service lacks the forward key"
grep -qxF "m keycab-forward keycab" "$KEYCAB_SRC/systemd/keycab-forward.sysusers" &&
	ok "keycab-forward's user is in the socket's group" || bad "sysusers: no socket group"

kc_link_start
wait_for 30 link_drained && ok "keycab-forward drained the outbox: $(link_st)" || bad "not drained: $(link_st)"
open=$(ls -l "/proc/$KFW_PID/fd" 2>/dev/null | grep -c "keycab.db")
[ "$open" = 0 ] && ok "keycab-forward holds no database file open" || bad "keycab-forward has $open database files open"
grep -q "forwarding through keycab-forward" "$T/keycabd.log" && ok "keycabd says it forwards through keycab-forward" ||
	bad "keycabd's start line: $(grep ready "$T/keycabd.log")"

echo "== keycabd's outbox requests take the forward key only"
(umask 077 && head -c 32 /dev/urandom | base64 >"$T/wrong.key")
python3 - "$(cat "$FORWARD_KEY")" "$(cat "$T/wrong.key")" "$(token S01 1111)" "$(cat "$TERMINAL_KEY")" \
	<<'PY' >"$T/sock.out" 2>&1
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["KEYCAB_SRC"], "tests/controller"))
from sockask import ask
key, wrong, session, terminal = sys.argv[1:5]
def show(name, r):
    print(name, "|", r.get("ok"), r.get("code"), "|", r.get("error") or "")
show("read, no key (the console)", ask({"op": "outbox.read", "max": 5}))
show("read, an operator", ask({"op": "outbox.read", "max": 5, "session": session}))
show("read, the terminal key", ask({"op": "outbox.read", "max": 5, "terminal_key": terminal}))
show("read, a wrong key", ask({"op": "outbox.read", "max": 5, "forward_key": wrong}))
show("ack, a wrong key", ask({"op": "outbox.ack", "first": 1, "upto": 1, "forward_key": wrong}))
show("report, no key", ask({"op": "forward.report", "state": "stuck"}))
r = ask({"op": "outbox.read", "from": 1, "max": 3, "forward_key": key})
ev = json.loads(r.get("events", "null") or "null")
print("read, the key |", r.get("ok"), r.get("count"), r.get("first"), r.get("last"),
      [e["seq"] for e in ev] if ev else ev, "|", json.dumps(r.get("state")))
show("read, max too big", ask({"op": "outbox.read", "max": 10**6, "forward_key": key}))
show("ack past the chain", ask({"op": "outbox.ack", "first": 1, "upto": 10**9, "forward_key": key}))
report = {"op": "forward.report", "forward_key": key, "state": "fine", "reason": "", "last_acked_seq": 0,
          "service_seq": -1, "since_ms": 0, "consecutive_failures": 0, "last_error": "", "service_behind": False,
          "behind": {k: 0 for k in ("behind_ms", "service_seq", "from", "to", "lost_to", "caught_up_ms")}}
show("report, no such state", ask(report))
show("report, a member missing", ask({k: v for k, v in report.items() if k != "reason"}))
PY
sed 's/^/       /' "$T/sock.out"
line() { grep "^$1 |" "$T/sock.out"; }
for w in "read, no key (the console)" "read, an operator" "read, the terminal key" "report, no key"; do
	has "$w: refused" "| False forward_key_needed |" "$(line "$w")"
done
for w in "read, a wrong key" "ack, a wrong key"; do
	has "$w: refused" "| False forward_key_wrong |" "$(line "$w")"
done
has "read with the key: rows 1..3 as the outbox holds them" "| True 3 1 3 ?1, 2, 3? |" "$(line "read, the key")"
for w in "read, max too big" "ack past the chain" "report, no such state" "report, a member missing"; do
	has "$w: a clear error" "| False forward_bad_request |" "$(line "$w")"
done
wait_for 10 link_drained && ok "nothing lost or marked by the requests refused: $(link_st)" || bad "$(link_st)"

echo "== the link as keycab-forward reports it"
kc --json status | json "d['forward']['state'], d['forward']['reason']" | grep -q "online" &&
	ok "online while keycab-forward reports" || bad "status: $(link_st)"
kfw_stop
silent() { read -r s r p a l <<<"$(link_st)"; [ "$s" = offline ] && [ "$r" = no_forwarder ]; }
t0=$SECONDS
wait_for 30 silent && ok "keycab-forward stopped: offline (no_forwarder) after $((SECONDS - t0))s: $(link_st)" ||
	bad "keycab-forward stopped, the link says: $(link_st)"
err=$(kc --json status | json "d['forward']['last_error']")
has "  ... and says why" "keycab-forward has not reported" "$err"
wait_for 5 grep -q "audit link offline (no_forwarder)" "$T/keycabd.log" && ok "keycabd logged it once" ||
	bad "no log line: $(grep 'audit link' "$T/keycabd.log")"
printf '1234\n' | kc person add P09 --name "Temp 9" --role staff --pin-stdin >/dev/null || bad "person add"
read -r s r p a l <<<"$(link_st)"
[ "$p" -gt 0 ] && ok "an event written meanwhile waits in the outbox ($p pending)" || bad "$(link_st)"
kfw_start
wait_for 20 link_drained && ok "keycab-forward back: online, drained: $(link_st)" || bad "not drained: $(link_st)"
wait_for 5 grep -q "audit link back online" "$T/keycabd.log" && ok "keycabd logged the link back" ||
	bad "no log line: $(grep 'audit link' "$T/keycabd.log")"

echo "== keycab-forward with a wrong key"
"$KEYCAB_BIN/keycab-forward" -c "$T/keycabd.conf" --key "$T/wrong.key" >"$T/wrong.log" 2>&1 &
pid=$!
wait_for 10 bash -c "! kill -0 $pid" && { wait "$pid"; rc=$?; } || { kill "$pid"; rc=running; }
[ "$rc" = 1 ] && ok "it stops (exit 1): $(head -1 "$T/wrong.log")" || bad "exit $rc: $(cat "$T/wrong.log")"
has "  ... saying why" "not this cabinet's" "$(cat "$T/wrong.log")"
kc_finish
