#!/usr/bin/env bash
# A key in the wrong slot moved home (rule 9), end to end on keycab-sim
# with the demo estate: the key of HY-1-103 comes back into A08 (the home
# of HY-1-104's key): a wrong-slot alarm. `keycab alarm reseat N` (op
# slot.reseat) opens A08 (its coil on at the sim), the key is lifted out
# with no tamper alarm, put in A07, its home: the alarm cleared; events in
# order. A re-seat whose window closed, and a lift with none, are tamper.
# Also the names the desk reads: building and room in `keys`, the owner's
# phone masked in `entrustments`.
source "$KEYCAB_SRC/tests/controller/lib.sh"
KC_WINDOW=3s
kc_start
export DEMO_DIR=$T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
ok "estate imported"

declare -A TOK
for p in S01:1111 E01:3333; do
	TOK[${p%%:*}]=$(token "${p%%:*}" "${p#*:}") || { bad "login ${p%%:*}"; exit 1; }
done
as() { local who=$1; shift; KEYCAB_SESSION=${TOK[$who]} "$@"; }
take() { "$KEYCAB_SRC/tests/simctl.py" remove "$1" >/dev/null; }
put() { "$KEYCAB_SRC/tests/simctl.py" insert "$1" "${2:-0}" >/dev/null; }
open_alarms() { # open_alarms TYPE KEY: the ids of open alarms of TYPE for KEY
	sqlite3 "$T/keycab.db" "SELECT group_concat(id) FROM alarms WHERE type = '$1' AND key = '$2' AND cleared_ms IS NULL"
}
key_at() { # key_at KEY STATE SLOT
	kc keys --json | python3 -c "import json,sys; sys.exit(0 if [k for k in json.load(sys.stdin)['keys'] if k['key']=='$1' and k['state']=='$2' and (k['slot'] or '')=='$3'] else 1)"
}

echo "== the names the desk reads"
expect 0 "keys" as S01 kc keys --json
echo "$OUT" | json '[k for k in d["keys"] if k["key"]=="K-HY-1-101"][0]' | grep -q "'building': '1', 'room': '101'" &&
	ok "keys: K-HY-1-101 is building 1, room 101" || bad "keys: no building/room: $(echo "$OUT" | head -c 400)"
expect 0 "entrustments" as S01 kc entrustments --json
phone=$(echo "$OUT" | json '[e for e in d["entrustments"] if e["owner"]=="O01"][0]["owner_phone"]')
[ "$phone" = "138****0001" ] && ok "the owner's phone masked: $phone" || bad "owner_phone: $phone"
case $OUT in *13800000001*) bad "the phone in full in the entrustments read" ;; *) ok "no phone in full in the read" ;; esac
expect 0 "the CLI's entrustments table" as S01 kc entrustments
has "  ... shows the masked phone" "138****0001" "$OUT"

echo "== a key put in the wrong slot"
expect 0 "vacant K-HY-1-103 out (home A07)" as S01 kc release K-HY-1-103 --purpose inspection --borrower E01 --due-in 1h
take A07; wait_key K-HY-1-103 out
expect 0 "vacant K-HY-1-104 out (home A08)" as S01 kc release K-HY-1-104 --purpose repair --borrower E01 --due-in 1h
take A08; wait_key K-HY-1-104 out
put A08 0x1007
wait_for 10 key_at K-HY-1-103 in A08 && ok "K-HY-1-103 back, in A08" || bad "wrong-slot return not seen"
ALARM=$(open_alarms wrong_slot K-HY-1-103)
[ -n "$ALARM" ] && ok "wrong-slot alarm $ALARM" || bad "no wrong-slot alarm"

echo "== who may re-seat, and what"
refused 1 "re-seat by an engineer" as E01 kc alarm reseat "$ALARM"
refused 1 "re-seat with nobody logged in" kc alarm reseat "$ALARM"
refused 0 "re-seat of an alarm there is not" as S01 kc alarm reseat 999
reseat_key() { # reseat_key KEY: the op by key, on the socket, as S01; prints the reply
	python3 - "$KEYCAB_SOCKET" "${TOK[S01]}" "$1" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall((json.dumps({"op": "slot.reseat", "session": sys.argv[2], "key": sys.argv[3]}) + "\n").encode())
print(s.makefile().readline().strip())
PY
}
r=$(reseat_key K-HY-1-101)
echo "$r" | json 'd["refused"] and d["rule"]==9' | grep -q True && ok "re-seat of a key in its own slot: refused by rule 9" || bad "re-seat K-HY-1-101: $r"
r=$(reseat_key K-HY-1-104)
echo "$r" | json 'd["refused"] and d["rule"]==9' | grep -q True && ok "re-seat of a key on loan: refused by rule 9" || bad "re-seat K-HY-1-104: $r"
[ "$(events key.reseated)" = 0 ] && ok "no key.reseated for the refusals" || bad "key.reseated for a refusal"

echo "== a re-seat whose window closes with the key still in"
wait_coil A08 off || bad "A08 still open from the release of K-HY-1-104" # else rule 10 refuses
r=$(reseat_key K-HY-1-103)
[ "$(echo "$r" | json 'd.get("ok") and d["slot"] + ">" + d["home_slot"]')" = "A08>A07" ] && ok "re-seat by key: A08, home A07" || bad "re-seat by key: $r"
wait_coil A08 on && ok "A08's coil on at the sim" || bad "A08 did not open"
wait_coil A08 off && ok "A08 relocked" || bad "A08 stays open"
sleep 1.5 # the window's grace
take A08
wait_for 10 key_at K-HY-1-103 missing "" && ok "lifted after the window: missing" || bad "lift after the window not seen"
wait_for 5 bash -c "[ -n \"\$(sqlite3 '$T/keycab.db' \"SELECT id FROM alarms WHERE type='tamper' AND key='K-HY-1-103' AND cleared_ms IS NULL\")\" ]" &&
	ok "  ... a tamper alarm (the window had closed)" || bad "no tamper alarm after the window"
put A08 0x1007
wait_for 10 key_at K-HY-1-103 in A08 || bad "K-HY-1-103 not back in A08"
TAMPER=$(open_alarms tamper K-HY-1-103)
expect 0 "the tamper alarm cleared" as S01 kc alarm clear "$TAMPER" --note "re-seat test: lifted after the window"
ALARM=$(open_alarms wrong_slot K-HY-1-103)
[ -n "$ALARM" ] && ok "a wrong-slot alarm open ($ALARM)" || bad "no wrong-slot alarm open"

echo "== the re-seat"
SEQ0=$(sqlite3 "$T/keycab.db" "SELECT max(seq) FROM outbox")
expect 0 "keycab alarm reseat $ALARM" as S01 kc alarm reseat "$ALARM"
has "  ... says which slot to take from and where to put it" "slot A08 open: take key K-HY-1-103 out and put it in its slot A07" "$OUT"
wait_coil A08 on && ok "A08's coil on at the sim" || bad "A08 did not open"
take A08
wait_for 10 key_at K-HY-1-103 missing "" && ok "K-HY-1-103 lifted out of A08" || bad "lift not seen"
put A07 0x1007
wait_for 10 key_at K-HY-1-103 in A07 && ok "K-HY-1-103 in A07, its home" || bad "K-HY-1-103 not in A07"
wait_for 5 bash -c "[ -z \"\$(sqlite3 '$T/keycab.db' \"SELECT id FROM alarms WHERE type='wrong_slot' AND key='K-HY-1-103' AND cleared_ms IS NULL\")\" ]" &&
	ok "the wrong-slot alarm cleared" || bad "wrong-slot alarm still open"
[ -z "$(open_alarms tamper K-HY-1-103)" ] && ok "no tamper alarm" || bad "a tamper alarm on the re-seat"
got=$(sqlite3 "$T/keycab.db" "SELECT json_extract(body,'\$.type') || coalesce(':' || json_extract(body,'\$.data.alarm_type'), '') || '@' || coalesce(json_extract(body,'\$.slot'), '') FROM outbox WHERE seq > $SEQ0 AND json_extract(body,'\$.key') = 'K-HY-1-103' ORDER BY seq" | tr '\n' ' ')
want="key.reseated@A08 slot.removed@A08 slot.inserted@A07 alarm.cleared:wrong_slot@A07 "
[ "$got" = "$want" ] && ok "events in order: $got" || bad "events: $got, wanted $want"
n=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox WHERE seq > $SEQ0 AND json_extract(body,'\$.type')='key.reseated' AND json_extract(body,'\$.actor')='S01' AND json_extract(body,'\$.data.alarm')=$ALARM AND json_extract(body,'\$.data.home_slot')='A07'")
[ "$n" = 1 ] && ok "key.reseated names the clerk, the alarm and the home slot" || bad "key.reseated members"
r=$(reseat_key K-HY-1-103)
echo "$r" | json 'd["refused"] and d["rule"]==9' | grep -q True && ok "home now: a second re-seat refused" || bad "second re-seat: $r"

echo "== a lift with no re-seat is tamper"
take A07
wait_for 5 bash -c "[ -n \"\$(sqlite3 '$T/keycab.db' \"SELECT id FROM alarms WHERE type='tamper' AND key='K-HY-1-103' AND cleared_ms IS NULL\")\" ]" &&
	ok "tamper alarm" || bad "no tamper alarm for a lift with no window"
chain_ok >/dev/null && ok "outbox chain unbroken" || bad "outbox chain"
kc_finish
