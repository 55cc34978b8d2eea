#!/usr/bin/env bash
# keycabd with its forwarder (controller/forward.c) against a real
# keyauditd: events reach the service in order, the service's stored chain
# verifies, and with the service down the cabinet keeps working offline,
# its outbox growing, until the service is back and the outbox drains.
source "$KEYCAB_SRC/tests/controller/lib.sh"
kc_cabinet
kc_config
kad_setup 1s
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start
export DEMO_DIR=$T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
S01=$(token S01 1111)

fwd() { kc --json status | python3 -c "import json,sys; d=json.load(sys.stdin); f=d['forward']; print(f['pending'], f['last_acked_seq'], d['last_seq'])"; }
drained() { read -r p a l <<<"$(fwd)"; [ "$p" = 0 ] && [ "$a" = "$l" ]; }
wait_for 30 drained && ok "the outbox drained to keyauditd: $(fwd)" || bad "not drained: $(fwd)"
out=$("$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" verify-chain demo-desk 2>&1) && ok "keyauditd verify-chain: $out" || bad "verify-chain: $out"
# the office reads the site's days and months in the zone its cabinet names
zone=$(sqlite3 "$T/audit.db" "SELECT json_extract(body, '$.data.time_zone') FROM events WHERE type = 'controller.started' ORDER BY seq DESC LIMIT 1")
[ "$zone" = "$(kc --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["time_zone"])')" ] &&
	ok "controller.started names the cabinet's zone at the office ($zone)" || bad "controller.started's time_zone at the office: '$zone'"

kad_stop
ok "keyauditd stopped: the cabinet goes on offline"
expect 0 "a release with the service down" env KEYCAB_SESSION="$S01" "$KEYCAB_BIN/keycab" release K-HY-1-108 --purpose inspection --borrower E01 --due-in 1h
"$KEYCAB_SRC/tests/simctl.py" remove B01 >/dev/null
wait_key K-HY-1-108 out && ok "the key went out"
read -r p a l <<<"$(fwd)"
[ "$p" -gt 0 ] && ok "events wait in the outbox ($p pending)" || bad "nothing pending: $p $a $l"
kc --json status | python3 -c 'import json,sys; print("       forwarder says:", json.load(sys.stdin)["forward"]["last_error"])'
kad_start
wait_for 30 drained && ok "the service is back: the outbox drained: $(fwd)" || bad "not drained: $(fwd)"
out=$("$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" verify-chain demo-desk 2>&1) && ok "verify-chain after the outage: $out" || bad "verify-chain: $out"
n=$(sqlite3 "$T/audit.db" "SELECT count(*) FROM sqlite_master WHERE type='table' AND name='events'")
[ "$n" = 1 ] && { s=$(sqlite3 "$T/audit.db" "SELECT count(*) FROM events"); l=$(sqlite3 "$T/keycab.db" "SELECT last_seq FROM chain"); [ "$s" = "$l" ] && ok "keyauditd holds all $s events, once each" || bad "service has $s events, cabinet $l"; }
kc_finish
