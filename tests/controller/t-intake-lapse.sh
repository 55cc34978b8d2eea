#!/usr/bin/env bash
# Taking keys in on keycab-sim ([release] window 1s, [desk] intake_wait
# 2s): a key put into a slot intake.open opened and never registered is a
# wrong-slot alarm once the slot's wait ends (naming no key, its detail
# saying it went in during intake); intake.enrol still registers it and
# clears the alarm (reason "key registered"), taking it out clears it too
# (reason "key taken out"); a slot left empty raises nothing. An owner
# on file by their ID's keyed hash, enrolled under another name: refused
# with the name on file, nothing written; the name on file is accepted.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/intake-cabinet.sh"
KC_WINDOW=1s
intake_cabinet_start 4
kcd_stop
printf '[desk]\nintake_wait = 2s\n' >>"$T/keycabd.conf"
kcd_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
login S01 1111 || { bad "login S01"; exit 1; }

# open wrong-slot alarms at SLOT naming no key: "id detail" lines
open_at() { sqlite3 "$T/keycab.db" "SELECT id || ' ' || detail FROM alarms WHERE type = 'wrong_slot' AND slot = '$1' AND key IS NULL AND cleared_ms IS NULL"; }
alarmed() { [ -n "$(open_at "$1")" ]; }
quiet() { [ -z "$(open_at "$1")" ]; }
cleared_reason() { sqlite3 "$T/keycab.db" "SELECT json_extract(body, '\$.data.reason') FROM outbox WHERE json_extract(body, '\$.type') = 'alarm.cleared' AND json_extract(body, '\$.data.alarm') = $1"; }
open_slot() { kc --json intake open | json "d['slot']"; }
# inserted SLOT TAG: keycabd read the key with TAG put into SLOT (its slot.inserted)
inserted() {
	[ "$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox WHERE json_extract(body, '\$.type') = 'slot.inserted' AND json_extract(body, '\$.slot') = '$1' AND json_extract(body, '\$.data.tag') = $2")" -gt 0 ]
}
# put SLOT TAG: the key in, once keycabd has read it
put() {
	sim insert "$1" "$2" >/dev/null
	wait_for 10 inserted "$1" "$2" || bad "keycabd did not read the key put into $1"
}
alarms_all() { sqlite3 "$T/keycab.db" "SELECT count(*) FROM alarms"; }

echo "== a key put in and not registered: an alarm when the wait ends"
S1=$(open_slot)
[ -n "$S1" ] && ok "intake.open opened $S1" || { bad "intake.open"; kc_finish; }
put "$S1" $((0x5001))
sleep 0.5
quiet "$S1" && ok "$S1 during its wait: the key raises no alarm" || bad "$S1: an alarm during the wait: $(open_at "$S1")"
t0=$SECONDS
wait_for 15 alarmed "$S1" && ok "$S1 after its wait (~$((SECONDS - t0)) s more): $(open_at "$S1")" ||
	bad "$S1: no alarm once the wait ended"
has "the detail says the key went in during intake" "during intake" "$(open_at "$S1")"
has "the detail names the tag" "0x5001" "$(open_at "$S1")"
ev=$(sqlite3 "$T/keycab.db" "SELECT json_extract(body, '\$.data.intake') FROM outbox WHERE json_extract(body, '\$.type') = 'alarm.raised' AND json_extract(body, '\$.slot') = '$S1'")
[ "$ev" = 1 ] && ok "its alarm.raised event has intake: true" || bad "alarm.raised intake: '$ev'"
A1=$(open_at "$S1" | cut -d' ' -f1)
expect 0 "intake.enrol registers the key after the wait" kc intake enrol "$S1" --kind vacant --unit HY-1-103
[ -n "$A1" ] && wait_for 5 quiet "$S1" && ok "$S1: its alarm cleared" || bad "$S1 still alarmed: $(open_at "$S1")"
[ "$(cleared_reason "$A1")" = "key registered" ] && ok "alarm $A1 cleared, reason: key registered" ||
	bad "alarm $A1 cleared with: '$(cleared_reason "$A1")'"
st=$(kc keys --json | json "[(k['key'], k['state'], k['slot']) for k in d['keys'] if k['slot'] == '$S1']")
has "the key is in, in $S1" "'in', '$S1'" "$st"

echo "== a key put in, not registered, taken out"
S2=$(open_slot)
put "$S2" $((0x5002))
wait_for 15 alarmed "$S2" && ok "$S2 after its wait: $(open_at "$S2")" || bad "$S2: no alarm once the wait ended"
A2=$(open_at "$S2" | cut -d' ' -f1)
sim remove "$S2" >/dev/null
[ -n "$A2" ] && wait_for 5 quiet "$S2" && ok "$S2: the key taken out, its alarm cleared" || bad "$S2 still alarmed: $(open_at "$S2")"
[ "$(cleared_reason "$A2")" = "key taken out" ] && ok "alarm $A2 cleared, reason: key taken out" ||
	bad "alarm $A2 cleared with: '$(cleared_reason "$A2")'"
refused 10 "the key taken out, the wait over: nothing to register in the slot" kc intake enrol "$S2" --kind vacant --unit HY-1-104

echo "== a slot opened and left empty"
n=$(alarms_all)
S3=$(open_slot)
sleep 4
[ "$(alarms_all)" = "$n" ] && ok "$S3 left empty past its wait: no alarm" || bad "alarms: $n, then $(alarms_all)"

echo "== an owner on file under another name"
ID=$(python3 -c "
b='11010519850612345'[:17]; w=[7,9,10,5,8,4,2,1,6,3,7,9,10,5,8,4,2]
print(b + '10X98765432'[sum(int(c)*x for c, x in zip(b, w)) % 11])")
END=$(date -d '+30 days' +%F)
enrol_owner() { # enrol_owner SLOT UNIT NAME
	printf '%s\n' "$ID" | kc intake enrol "$1" --kind entrusted --unit "$2" --owner-name "$3" \
		--owner-phone 13912345678 --id-type id_card --id-stdin --end "$END"
}
S4=$(open_slot)
put "$S4" $((0x5004))
expect 0 "李明's key enrolled" enrol_owner "$S4" HY-1-101 李明
S5=$(open_slot)
put "$S5" $((0x5005))
keys=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM keys")
ents=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM entrustments")
refused 0 "the same ID under the name 王五: refused" enrol_owner "$S5" HY-1-102 王五
has "the refusal names the name on file" "李明" "$ERR"
[ "$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM keys")/$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM entrustments")" = "$keys/$ents" ] &&
	ok "nothing written (keys $keys, entrustments $ents)" || bad "written after the refusal"
zh=$(printf '%s\n' "$ID" | LANGUAGE=zh_CN LANG=zh_CN.UTF-8 kc intake enrol "$S5" --kind entrusted --unit HY-1-102 \
	--owner-name 王五 --owner-phone 13912345678 --id-type id_card --id-stdin --end "$END" 2>&1)
has "in Chinese: 证件号已登记为 李明，姓名不符" "证件号已登记为 李明，姓名不符" "$zh"
expect 0 "the same ID under the name on file: enrolled" enrol_owner "$S5" HY-1-102 李明
[ "$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM owners WHERE name = '李明'")" = 1 ] &&
	ok "one owner 李明, two keys" || bad "owners: $(sqlite3 "$T/keycab.db" "SELECT code, name FROM owners")"
chain_ok >/dev/null && ok "the outbox chain is whole" || bad "chain"
kc_finish
