#!/usr/bin/env bash
# An idle cabinet notices the audit service go away: with nothing to send,
# keycabd still asks the service ([forward] heartbeat, an empty batch)
# and shows the link offline within a few heartbeats, then online again
# when the service is back. The heartbeats store nothing at the service.
source "$KEYCAB_SRC/tests/controller/lib.sh"
kc_cabinet
kc_config
kad_setup 500ms
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
