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
kc_link_start $'heartbeat = 1s\nkeep_acked_events = 1000'
stored() { sqlite3 "$T/audit.db" "SELECT count(*) FROM events WHERE cabinet = 'demo-desk'"; }
wait_for 30 link_drained && ok "the estate's events forwarded: $(link_st)" || bad "not drained: $(link_st)"

# the office's nightly backup, taken while keyauditd runs
sqlite3 "$T/audit.db" ".backup '$T/audit-backup.db'" || exit 1
head=$(stored)

# five more events after the backup, acknowledged by the service
for i in 1 2 3 4 5; do
	printf '1234\n' | kc person add "P0$i" --name "Temp $i" --role staff --pin-stdin >/dev/null || bad "person add P0$i"
done
wait_for 20 link_drained && ok "five more forwarded and acknowledged: $(link_st)" || bad "not drained: $(link_st)"
last=$(sqlite3 "$T/keycab.db" "SELECT last_seq FROM chain")
[ "$(stored)" = "$last" ] && [ "$last" -gt "$head" ] && ok "the service holds 1..$last; the backup has 1..$head" ||
	bad "stored $(stored), last $last, backup $head"

# the office is restored from the backup; the cabinet stays idle
kad_restore "$T/audit-backup.db"
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
	bad "the office holds $(stored) of $last after ${took}s (the link says: $(link_st))"
[ "$(sqlite3 "$T/keycab.db" "SELECT last_seq FROM chain")" = "$last" ] && ok "no event written at the cabinet meanwhile" ||
	bad "the cabinet wrote events"
n=$(sqlite3 "$T/audit.db" "SELECT count(DISTINCT seq) FROM events WHERE cabinet = 'demo-desk' AND seq BETWEEN 1 AND $last")
[ "$n" = "$last" ] && ok "every seq 1..$last stored once" || bad "$n distinct seqs of $last"
out=$("$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" verify-chain demo-desk 2>&1) && ok "verify-chain: $out" || bad "verify-chain: $out"
# office_says DESC PATTERN...: `keycab status`'s line on the office has each
office_says() {
	local desc=$1 line p
	shift
	line=$(kc status | grep -i "office")
	for p in "$@"; do
		has "$desc" "$p" "$line"
		desc="  ... \"$p\""
	done
	echo "       $line"
}
office_says "keycab status says the office was behind, its head, the events sent again" \
	"office was behind" "up to $head" "$((head + 1))–$last"
zh=$(env LANG=zh_CN.UTF-8 LC_ALL= "$KEYCAB_BIN/keycab" status | grep "审计中心")
has "  ... in Chinese too" "第 $((head + 1))–$last 条已于" "$zh"
echo "       $zh"
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
wait_for 20 link_drained && ok "keycabd restarted keeping 2 acknowledged events: $(link_st)" || bad "not drained: $(link_st)"
last=$(sqlite3 "$T/keycab.db" "SELECT last_seq FROM chain")
kad_restore "$T/audit-backup.db"
stuck() { read -r s r p a l <<<"$(link_st)"; [ "$s" = stuck ] && [ "$r" = not_retained ]; }
wait_for 10 stuck && ok "events past retention: the link is stuck not_retained within a few heartbeats ($(link_st))" ||
	bad "not stuck: $(link_st)"
office_says "keycab status says the office is behind, and which events are no longer kept" \
	"office is behind" "no longer kept" "$((head + 1))–$((last - 2))"
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
wait_for 20 link_drained && ok "the link goes on: $(link_st)" || bad "not online: $(link_st)"
j=$(kc --json status | python3 -c "import json,sys; f=json.load(sys.stdin)['forward']; print(f['state'], f['service_behind'], f['message']['code'], f['message']['params']['from'], f['message']['params']['to'])")
[ "$j" = "online False link_service_gap_left $((head + 1)) $((last - 2))" ] && ok "the forward object: $j" || bad "the forward object: $j"
echo "       $(kc status | grep -i office)"
grep -q "the office goes on without events $((head + 1))..$((last - 2))" "$T/keycabd.log" &&
	ok "logged: $(grep 'goes on without' "$T/keycabd.log" | cut -c1-160)" || bad "no log of the events the office goes on without"
now=$(sqlite3 "$T/keycab.db" "SELECT last_seq FROM chain")
n=$(sqlite3 "$T/audit.db" "SELECT count(*) FROM events WHERE cabinet = 'demo-desk~2' AND seq BETWEEN $((last - 1)) AND $now")
[ "$n" = $((now - last + 2)) ] && ok "the office holds the kept events after the lost ones too: $((last - 1))..$now" ||
	bad "epoch 2 holds $n of $((last - 1))..$now"
out=$("$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" verify-chain demo-desk 2>&1) && ok "verify-chain: $out" || bad "verify-chain: $out"
kc_finish
