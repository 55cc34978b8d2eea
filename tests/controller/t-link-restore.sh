#!/usr/bin/env bash
# The office restored from an older backup while the cabinet is idle:
# keycabd's forwarder against a real keyauditd. The heartbeat's answer
# shows the service's head below what it acknowledged; with no new event
# at the cabinet, the kept events are sent again within a few heartbeats,
# and `keycab status` (and the status reply's forward object) says the
# office was behind and what was sent again. Then the same with fewer
# events kept than the service lost: stuck not_retained, said plainly,
# nothing deleted.
source "$KEYCAB_SRC/tests/controller/lib.sh"
export LANG=C LC_ALL=C LANGUAGE=
kc_cabinet
kc_config
kad_setup 500ms
printf '[forward]\nheartbeat = 1s\nkeep_acked_events = 1000\n' >>"$T/keycabd.conf"
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start
export DEMO_DIR=$T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }

st() { kc --json status | python3 -c "import json,sys; d=json.load(sys.stdin); f=d['forward']; print(f.get('state'), f.get('reason') or '-', f['pending'], f['last_acked_seq'], d['last_seq'])"; }
online_drained() { read -r s r p a l <<<"$(st)"; [ "$s" = online ] && [ "$p" = 0 ] && [ "$a" = "$l" ]; }
stored() { sqlite3 "$T/audit.db" "SELECT count(*) FROM events WHERE cabinet = 'demo-desk'"; }
wait_for 30 online_drained && ok "the estate's events forwarded: $(st)" || bad "not drained: $(st)"

# the office's nightly backup, taken while keyauditd runs
sqlite3 "$T/audit.db" ".backup '$T/audit-backup.db'" || exit 1
head=$(stored)

# five more events after the backup, acknowledged by the service
for i in 1 2 3 4 5; do
	printf '1234\n' | kc person add "P0$i" --name "Temp $i" --role staff --pin-stdin >/dev/null || bad "person add P0$i"
done
wait_for 20 online_drained && ok "five more forwarded and acknowledged: $(st)" || bad "not drained: $(st)"
last=$(sqlite3 "$T/keycab.db" "SELECT last_seq FROM chain")
[ "$(stored)" = "$last" ] && [ "$last" -gt "$head" ] && ok "the service holds 1..$last; the backup has 1..$head" ||
	bad "stored $(stored), last $last, backup $head"

# the office is restored from the backup; the cabinet stays idle
kad_stop
rm -f "$T/audit.db-wal" "$T/audit.db-shm"
cp "$T/audit-backup.db" "$T/audit.db"
kad_start
[ "$(stored)" = "$head" ] && ok "the restored service holds 1..$head again" || bad "restored service holds $(stored)"

# watch `keycab status` while the forwarder finds out (heartbeat 1 s)
said= said_json= t0=$SECONDS
until [ "$(stored)" = "$last" ] || [ $((SECONDS - t0)) -ge 8 ]; do
	out=$(kc status 2>&1)
	case $out in *"office is behind"*|*"office was behind"*) [ -z "$said" ] && said=$(grep -i "office" <<<"$out") ;; esac
	j=$(kc --json status | python3 -c "import json,sys; f=json.load(sys.stdin)['forward']; print('behind' if f.get('service_behind') else '', (f.get('message') or {}).get('code') or '')")
	case $j in behind*) said_json=$j ;; esac
	sleep 0.1
done
took=$((SECONDS - t0))
[ "$(stored)" = "$last" ] && ok "with no new event at the cabinet, the office holds 1..$last again within ${took}s" ||
	bad "the office holds $(stored) of $last after ${took}s (the link says: $(st))"
[ "$(sqlite3 "$T/keycab.db" "SELECT last_seq FROM chain")" = "$last" ] && ok "no event written at the cabinet meanwhile" ||
	bad "the cabinet wrote events"
n=$(sqlite3 "$T/audit.db" "SELECT count(DISTINCT seq) FROM events WHERE cabinet = 'demo-desk' AND seq BETWEEN 1 AND $last")
[ "$n" = "$last" ] && ok "every seq 1..$last stored once" || bad "$n distinct seqs of $last"
out=$("$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" verify-chain demo-desk 2>&1) && ok "verify-chain: $out" || bad "verify-chain: $out"
out=$(kc status)
line=$(grep -i "office" <<<"$out")
has "keycab status says the office was behind" "office was behind" "$out"
has "  ... naming the service's head" "up to $head" "$line"
has "  ... and the events sent again" "$((head + 1))–$last" "$line"
echo "       $line"
[ -n "$said" ] && ok "keycab status said so while it happened: $said" || echo "       (the re-send finished between two looks)"
j=$(kc --json status | python3 -c "import json,sys; f=json.load(sys.stdin)['forward']; print(f['state'], f['service_behind'], f['message']['code'], f['message']['params'].get('service_seq'), f['message']['params'].get('from'), f['message']['params'].get('to'), f['pending'], f['last_acked_seq'])")
[ "$j" = "online False link_service_caught_up $head $((head + 1)) $last 0 $last" ] &&
	ok "the forward object: online, service_behind false, message link_service_caught_up $head: $((head + 1))..$last" ||
	bad "the forward object: $j"
echo "       (seen during: ${said_json:-not between two looks})"
nlog=$(grep -c "office is behind" "$T/keycabd.log")
[ "$nlog" = 1 ] && ok "logged once: $(grep 'office is behind' "$T/keycabd.log" | cut -c1-200)" || bad "logged $nlog times"

# again, with fewer events kept than the service loses: they cannot be
# sent again, and the status says so
kcd_stop
sed -i 's/^keep_acked_events = .*/keep_acked_events = 2/' "$T/keycabd.conf"
: >"$T/keycabd.log"
kcd_start
wait_for 20 online_drained && ok "keycabd restarted keeping 2 acknowledged events: $(st)" || bad "not drained: $(st)"
last=$(sqlite3 "$T/keycab.db" "SELECT last_seq FROM chain")
kad_stop
rm -f "$T/audit.db-wal" "$T/audit.db-shm"
cp "$T/audit-backup.db" "$T/audit.db"
kad_start
stuck() { read -r s r p a l <<<"$(st)"; [ "$s" = stuck ] && [ "$r" = not_retained ]; }
wait_for 10 stuck && ok "events past retention: the link is stuck not_retained within a few heartbeats ($(st))" ||
	bad "not stuck: $(st)"
out=$(kc status)
line=$(grep -i "office" <<<"$out")
has "keycab status says the office is behind" "office is behind" "$line"
has "  ... and that the events it lacks are no longer kept" "no longer kept" "$line"
has "  ... naming them" "$((head + 1))–$((last - 2))" "$line"
echo "       $line"
j=$(kc --json status | python3 -c "import json,sys; f=json.load(sys.stdin)['forward']; print(f['state'], f['reason'], f['service_behind'], f['message']['code'])")
[ "$j" = "stuck not_retained True link_service_lost" ] && ok "the forward object: $j" || bad "the forward object: $j"
al=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM alarms WHERE type = 'audit_link' AND cleared_ms IS NULL")
[ "$al" = 1 ] && ok "one open audit_link alarm" || bad "$al open audit_link alarms"
[ "$(stored)" = "$head" ] && ok "nothing sent that would leave a gap at the service" || bad "service holds $(stored)"
n=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox WHERE seq > $((last - 2))")
[ "$n" -ge 2 ] && ok "the kept events stay kept ($n)" || bad "kept $n"

# the office records the loss with a new epoch: the link goes on, and the
# status says what the office lacks
out=$("$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" new-epoch demo-desk 2>&1) && ok "keyauditd new-epoch: $out" || bad "new-epoch: $out"
wait_for 20 online_drained && ok "the link goes on: $(st)" || bad "not online: $(st)"
j=$(kc --json status | python3 -c "import json,sys; f=json.load(sys.stdin)['forward']; print(f['state'], f['service_behind'], f['message']['code'], f['message']['params']['from'], f['message']['params']['to'])")
[ "$j" = "online False link_service_gap_left $((head + 1)) $((last - 2))" ] && ok "the forward object: $j" || bad "the forward object: $j"
echo "       $(kc status | grep -i office)"
now=$(sqlite3 "$T/keycab.db" "SELECT last_seq FROM chain")
n=$(sqlite3 "$T/audit.db" "SELECT count(*) FROM events WHERE cabinet = 'demo-desk~2' AND seq BETWEEN $((last - 1)) AND $now")
[ "$n" = $((now - last + 2)) ] && ok "the office holds the kept events after the lost ones too: $((last - 1))..$now" ||
	bad "epoch 2 holds $n of $((last - 1))..$now"
out=$("$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" verify-chain demo-desk 2>&1) && ok "verify-chain: $out" || bad "verify-chain: $out"
kc_finish
