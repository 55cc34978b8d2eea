#!/usr/bin/env bash
# An idle cabinet notices the audit service go away: with nothing to send,
# keycabd still asks the service ([forward] heartbeat, an empty batch)
# and shows the link offline within a few heartbeats, then online again
# when the service is back. The heartbeats store nothing at the service.
source "$KEYCAB_SRC/tests/controller/lib.sh"
KAD_PID=
kad_start() {
	"$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" --port-file "$T/kad.port" serve >>"$T/keyauditd.log" 2>&1 &
	KAD_PID=$!
	wait_for 15 test -s "$T/kad.port" || { echo "keyauditd did not start"; cat "$T/keyauditd.log"; exit 1; }
}
kad_stop() { kill "$KAD_PID" && wait "$KAD_PID"; KAD_PID=; rm -f "$T/kad.port"; }
trap 'kad_stop 2>/dev/null; kc_cleanup' EXIT
printf '[server]\nlisten = 127.0.0.1\nport = %s\n[database]\npath = %s/audit.db\n' "$(free_port)" "$T" >"$T/keyauditd.conf"
kc_cabinet
kc_config
"$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" add-cabinet demo-desk >"$T/token" 2>>"$T/keyauditd.log" || { cat "$T/keyauditd.log"; exit 1; }
chmod 600 "$T/token"
kad_start
printf '[audit]\nurl = http://127.0.0.1:%s\ntoken_file = %s/token\nbackoff_min = 100ms\nbackoff_max = 500ms\n' \
	"$(cat "$T/kad.port")" "$T" >>"$T/keycabd.conf"
printf '[forward]\nheartbeat = 1s\n' >>"$T/keycabd.conf"
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start

st() { kc --json status | python3 -c "import json,sys; d=json.load(sys.stdin); f=d['forward']; print(f.get('state'), f['pending'], d['last_seq'])"; }
state() { read -r s p l <<<"$(st)"; [ "$s" = "$1" ] && [ "$p" = 0 ]; }
wait_for 20 state online && ok "online, nothing pending: $(st)" || bad "not online: $(st)"
stored=$(sqlite3 "$T/audit.db" "SELECT count(*) FROM events")
seq0=$(st | cut -d' ' -f3)

kad_stop
wait_for 10 state offline && ok "the service stopped, nothing to send: offline within 10 s ($(st))" ||
	bad "an idle cabinet still shows: $(st)"
has "keycab status says so" "audit link: offline" "$(kc status)"
kad_start
wait_for 10 state online && ok "the service is back: online again ($(st))" || bad "not online again: $(st)"
sleep 3 # a few more heartbeats
[ "$(st | cut -d' ' -f3)" = "$seq0" ] && ok "no event written by the heartbeats at the cabinet" || bad "events at the cabinet: $(st)"
now=$(sqlite3 "$T/audit.db" "SELECT count(*) FROM events")
[ "$now" = "$stored" ] && ok "nothing stored at the service by the heartbeats ($now events)" || bad "service events $stored -> $now"

# a heartbeat that is not a duration is a configuration error, named
printf '[forward]\nheartbeat = often\n' >>"$T/keycabd.conf"
out=$("$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --check-config 2>&1); rc=$?
[ $rc -ne 0 ] && has "a bad heartbeat is named" "heartbeat" "$out" || bad "bad heartbeat accepted (rc $rc): $out"
kc_finish
