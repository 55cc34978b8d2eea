#!/usr/bin/env bash
# keycabd's audit link against a real keyauditd, for a cabinet whose
# database was lost (re-initialised under the same id): the service
# refuses the new chain, which is a stuck state, visible in `keycab
# status` and as an audit_link alarm, logged once; nothing is deleted.
# After `keyauditd new-epoch` the link recovers by itself, the alarm is
# cleared (logged once), and both chains are stored and verify.
source "$KEYCAB_SRC/tests/controller/lib.sh"
kc_link_start $'keep_acked_events = 1000\nkeep_acked_days = 7'
wait_for 30 link_drained && ok "first chain forwarded: $(link_st)" || bad "not drained: $(link_st)"
first=$(sqlite3 "$T/audit.db" "SELECT count(*) FROM events WHERE cabinet = 'demo-desk'")
kept=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox WHERE acked_ms IS NOT NULL")
[ "$kept" = "$first" ] && ok "acknowledged events are kept in the outbox ($kept, retention 1000)" || bad "kept $kept of $first"

# the SD card is lost: a new database under the same cabinet id
kcd_stop
rm -f "$T/keycab.db" "$T/keycab.db-wal" "$T/keycab.db-shm"
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
: >"$T/keycabd.log"
kcd_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup2.log" 2>&1 || { cat "$T/setup2.log"; exit 1; }
stuck() { read -r s r p a l <<<"$(link_st)"; [ "$s" = stuck ]; }
wait_for 20 stuck && ok "the link is stuck: $(link_st)" || bad "not stuck: $(link_st)"
read -r s r p a l <<<"$(link_st)"
[ "$r" = conflict ] && [ "$p" = "$l" ] && [ "$a" = 0 ] && ok "reason conflict, backlog $p = every event of the new chain, none acknowledged" || bad "status: $s $r $p $a $l"
sleep 2 # several retries
n=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox")
[ "$n" -ge "$l" ] && ok "nothing deleted from the outbox ($n rows)" || bad "outbox has $n rows of $l"
out=$(kc status)
has "keycab status names the stuck link" "audit link: stuck conflict" "$out"
echo "       $(grep 'audit link' <<<"$out")"
al=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM alarms WHERE type = 'audit_link' AND cleared_ms IS NULL")
[ "$al" = 1 ] && ok "one open audit_link alarm" || bad "$al open audit_link alarms"
ev=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox WHERE json_extract(body,'\$.type')='alarm.raised' AND json_extract(body,'\$.data.alarm_type')='audit_link'")
[ "$ev" = 1 ] && ok "one alarm.raised event for it" || bad "$ev alarm.raised events"
nlog=$(grep -c "audit link stuck" "$T/keycabd.log")
[ "$nlog" = 1 ] && ok "logged once: $(grep 'audit link stuck' "$T/keycabd.log" | head -1 | cut -c1-160)" || bad "logged $nlog times"
kc --json status | python3 -c 'import json,sys; print("       --json forward:", json.dumps(json.load(sys.stdin)["forward"], ensure_ascii=False)[:300])'
now=$(sqlite3 "$T/audit.db" "SELECT kind FROM ingest_alarms WHERE cabinet = 'demo-desk' AND cleared_ms IS NULL")
[ "$now" = conflict ] && ok "the service has one open conflict alarm for the cabinet" || bad "service alarms: $now"

# the recovery: a new chain epoch at the service
out=$("$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" new-epoch demo-desk 2>&1) && ok "keyauditd new-epoch: $out" || bad "new-epoch: $out"
wait_for 30 link_drained && ok "the link recovers by itself: $(link_st)" || bad "not recovered: $(link_st)"
al=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM alarms WHERE type = 'audit_link' AND cleared_ms IS NOT NULL AND cleared_by = 'recovered'")
[ "$al" = 1 ] && ok "the audit_link alarm is cleared" || bad "cleared: $al"
wait_for 10 link_drained
nlog=$(grep -c "audit link back online" "$T/keycabd.log")
[ "$nlog" = 1 ] && ok "recovery logged once" || bad "recovery logged $nlog times"
l=$(sqlite3 "$T/keycab.db" "SELECT last_seq FROM chain")
s2=$(sqlite3 "$T/audit.db" "SELECT count(*) FROM events WHERE cabinet = 'demo-desk~2'")
s1=$(sqlite3 "$T/audit.db" "SELECT count(*) FROM events WHERE cabinet = 'demo-desk'")
[ "$s2" = "$l" ] && [ "$s1" = "$first" ] && ok "every event of both chains stored once: $s1 + $s2" || bad "stored $s1 + $s2, expected $first + $l"
out=$("$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" verify-chain demo-desk 2>&1) && ok "verify-chain: $out" || bad "verify-chain: $out"
kc_finish
