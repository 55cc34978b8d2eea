#!/usr/bin/env bash
# Keys already in their slots when the admin imports keys.csv, on
# keycab-sim: before the import each tag is unknown (a wrong-slot alarm
# naming no key). The import registers the tags: a key in its own slot
# clears that alarm (an alarm.cleared event with a reason); a key in
# another key's slot stays a wrong-slot alarm, naming the key now.
source "$KEYCAB_SRC/tests/controller/lib.sh"
kc_start
EST=$KEYCAB_SRC/tests/demo/estate
for t in sites units; do kc import "$t" "$EST/$t.csv" >/dev/null || bad "import $t"; done

# open wrong-slot alarms at SLOT: "id key" lines
open_at() { sqlite3 "$T/keycab.db" "SELECT id || ' ' || coalesce(key, '-') FROM alarms WHERE type = 'wrong_slot' AND slot = '$1' AND cleared_ms IS NULL"; }
alarmed() { [ -n "$(open_at "$1")" ]; }

echo "== keys in their slots before the import"
sim insert A01 $((0x1001)) >/dev/null # K-HY-1-101's own slot
sim insert A02 $((0x1002)) >/dev/null # K-HY-1-102's own slot
sim insert A05 $((0x1003)) >/dev/null # K-HY-2-101 (home A03) in K-LJ-3-203's slot
for s in A01 A02 A05; do
	wait_for 10 alarmed $s && ok "$s: an unknown tag, a wrong-slot alarm naming no key ($(open_at $s))" ||
		bad "$s: no unknown-tag alarm"
done
A01_ALARM=$(open_at A01 | cut -d' ' -f1)
A05_ALARM=$(open_at A05 | cut -d' ' -f1)

echo "== the import registers the tags"
expect 0 "import keys" kc import keys "$EST/keys.csv"
for s in A01 A02; do
	[ -z "$(open_at $s)" ] && ok "$s: the key is in its own slot: no alarm open" || bad "$s: still open: $(open_at $s)"
done
cleared=$(sqlite3 "$T/keycab.db" "SELECT json_extract(body, '\$.data.reason') FROM outbox WHERE json_extract(body, '\$.type') = 'alarm.cleared' AND json_extract(body, '\$.data.alarm') = $A01_ALARM")
[ -n "$cleared" ] && ok "alarm $A01_ALARM cleared with an alarm.cleared event, reason: $cleared" ||
	bad "no alarm.cleared event for alarm $A01_ALARM"
a05=$(open_at A05)
[ "$(wc -l <<<"$a05")" = 1 ] && [ "${a05#* }" = K-HY-2-101 ] &&
	ok "A05: still a wrong-slot alarm, naming the key: $a05" || bad "A05: open alarms: '$a05' (was $A05_ALARM)"
st=$(kc keys --json | json "[(k['key'], k['state'], k['slot']) for k in d['keys'] if k['key'] in ('K-HY-1-101', 'K-HY-2-101', 'K-LJ-3-203')]")
echo "       $st"
has "K-HY-1-101 is in, in A01" "('K-HY-1-101', 'in', 'A01')" "$st"
has "K-HY-2-101 is in, in A05 (not its home)" "('K-HY-2-101', 'in', 'A05')" "$st"
has "K-LJ-3-203 (home A05, which holds another key) is awaited, not in" "('K-LJ-3-203', 'awaiting', None)" "$st"
[ "$(kc --json status | json "d['open_alarms']")" = 1 ] && ok "one alarm open in all" ||
	bad "open alarms: $(sqlite3 "$T/keycab.db" "SELECT id, type, key, slot FROM alarms WHERE cleared_ms IS NULL")"

echo "== the key put home: its alarm ends as any wrong-slot alarm does"
sim remove A05 >/dev/null
wait_key K-HY-2-101 missing || bad "K-HY-2-101 lifted out of A05: not seen"
sim insert A03 $((0x1003)) >/dev/null
wait_for 10 bash -c "[ -z \"\$(sqlite3 '$T/keycab.db' \"SELECT id FROM alarms WHERE type = 'wrong_slot' AND key = 'K-HY-2-101' AND cleared_ms IS NULL\")\" ]" &&
	ok "K-HY-2-101 home in A03: its wrong-slot alarm cleared" || bad "K-HY-2-101's alarm still open"
[ -z "$(open_at A05)" ] && ok "no alarm left open at A05" || bad "A05 still has: $(open_at A05)"
chain_ok >/dev/null && ok "the outbox chain is whole" || bad "chain"
kc_finish
