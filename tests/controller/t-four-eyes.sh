#!/usr/bin/env bash
# Rule 4's four eyes against a real keycabd on keycab-sim: only the
# administrator (the console without an operator session) registers
# people; an approver is never the operator, nor someone registered (or
# given a PIN or card) by the operator or during the operator's session.
source "$KEYCAB_SRC/tests/controller/lib.sh"
kc_start
export DEMO_DIR=$T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
ok "estate imported"
take() { "$KEYCAB_SRC/tests/simctl.py" remove "$1" >/dev/null; }
put() { "$KEYCAB_SRC/tests/simctl.py" insert "$1" "${2:-0}" >/dev/null; }
people() { sqlite3 "$T/keycab.db" "SELECT count(*) FROM people"; }
approval_of() { python3 -c 'import json,sys; print(json.load(sys.stdin)["approval"])' <<<"$1"; }

Q=$(token Q01 6666) || { bad "login Q01"; exit 1; }
S=$(token S01 1111) || { bad "login S01"; exit 1; }
M1=$(token M01 5555) || { bad "login M01"; exit 1; }

echo "== only the administrator registers people"
n0=$(people) e0=$(events person.registered)
refused 1 "the supervisor registers a manager with a PIN of his choosing" \
	sh -c "echo 4242 | KEYCAB_SESSION=$Q '$KEYCAB_BIN/keycab' person add M98 --name 'Fake Manager' --role manager --pin-stdin"
has "  ... says who may" "administrator" "$ERR"
refused 1 "the manager registers a supervisor" \
	sh -c "echo 4242 | KEYCAB_SESSION=$M1 '$KEYCAB_BIN/keycab' person add Q98 --name 'Fake Supervisor' --role supervisor --pin-stdin"
[ "$(people)" = "$n0" ] && ok "nobody was added ($n0 people)" || bad "people: $(people), was $n0"
[ "$(events person.registered)" = "$e0" ] && ok "no person.registered event" || bad "person.registered events: $(events person.registered)"
refused 4 "so the supervisor cannot open a sealed key alone" \
	sh -c "echo 4242 | KEYCAB_SESSION=$Q '$KEYCAB_BIN/keycab' release K-LJ-3-203 --purpose emergency --borrower E02 --approver M98 --approver-pin-stdin"

echo "== an approver registered during the operator's session"
expect 0 "the administrator registers manager M09 while Q01 and S01 are logged in" \
	sh -c "echo 4242 | '$KEYCAB_BIN/keycab' person add M09 --name 'New Manager' --role manager --pin-stdin"
actor=$(sqlite3 "$T/keycab.db" "SELECT coalesce(json_extract(body,'\$.actor'),'null') FROM outbox WHERE json_extract(body,'\$.type')='person.registered' AND json_extract(body,'\$.person')='M09'")
[ "$actor" = null ] && ok "  ... by the administrator (actor null)" || bad "  ... actor $actor"
refused 4 "M09's PIN approves Q01's opening of a sealed key" \
	sh -c "echo 4242 | KEYCAB_SESSION=$Q '$KEYCAB_BIN/keycab' release K-LJ-3-203 --purpose emergency --borrower E02 --approver M09 --approver-pin-stdin"
has "  ... because M09 was registered in Q01's session" "registered" "$ERR"
M9=$(token M09 4242) || bad "login M09"
expect 0 "M09 issues an approval beforehand" env KEYCAB_SESSION="$M9" "$KEYCAB_BIN/keycab" --json approve K-LJ-3-203 --for 10m
AP=$(approval_of "$OUT")
refused 4 "Q01 uses M09's approval" env KEYCAB_SESSION="$Q" "$KEYCAB_BIN/keycab" release K-LJ-3-203 --purpose emergency --borrower E02 --approval "$AP"
refused 4 "S01 (logged in before M09 was registered) uses it" env KEYCAB_SESSION="$S" "$KEYCAB_BIN/keycab" release K-LJ-3-203 --purpose emergency --borrower E02 --approval "$AP"
[ "$(events release.granted)" = 0 ] && ok "nothing was released" || bad "release.granted: $(events release.granted)"
[ "$(sqlite3 "$T/keycab.db" "SELECT state FROM keys WHERE code='K-LJ-3-203'")" = in ] && ok "the sealed key is in" || bad "K-LJ-3-203 not in"

echo "== the operator approves his own opening"
expect 0 "M01 issues an approval" env KEYCAB_SESSION="$M1" "$KEYCAB_BIN/keycab" --json approve K-LJ-5-101 --for 10m
AP1=$(approval_of "$OUT")
refused 4 "M01 operates with his own approval" env KEYCAB_SESSION="$M1" "$KEYCAB_BIN/keycab" release K-LJ-5-101 --purpose emergency --borrower E02 --approval "$AP1"
refused 4 "M01 operates with his own PIN as approver" \
	sh -c "echo 5555 | KEYCAB_SESSION=$M1 '$KEYCAB_BIN/keycab' release K-LJ-5-101 --purpose emergency --borrower E02 --approver M01 --approver-pin-stdin"

echo "== a second person registered before the session approves"
S1b=$(token S01 1111) || bad "second login S01"
refused 4 "S01 with a second session opened after M09's registration (the first is still open)" \
	env KEYCAB_SESSION="$S1b" "$KEYCAB_BIN/keycab" release K-LJ-3-203 --purpose emergency --borrower E02 --approval "$AP"
expect 0 "S01 logs out of both" sh -c "KEYCAB_SESSION=$S '$KEYCAB_BIN/keycab' logout && KEYCAB_SESSION=$S1b '$KEYCAB_BIN/keycab' logout"
S2=$(token S01 1111) || bad "login S01 again"
expect 0 "S01, logged in again, opens with M09's approval" env KEYCAB_SESSION="$S2" "$KEYCAB_BIN/keycab" release K-LJ-3-203 --purpose emergency --borrower E02 --approval "$AP"
wait_coil A05 on && take A05
wait_key K-LJ-3-203 out && ok "the sealed key is out" || bad "K-LJ-3-203 not out"
expect 0 "Q01 opens with M01's issued approval" env KEYCAB_SESSION="$Q" "$KEYCAB_BIN/keycab" release K-LJ-5-101 --purpose emergency --borrower E02 --approval "$AP1"
n=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox WHERE json_extract(body,'\$.type')='release.refused' AND json_extract(body,'\$.data.rule')=4")
[ "$n" = 7 ] && ok "7 release.refused events name rule 4" || bad "release.refused rule 4 events: $n"
chain_ok && ok "the outbox chain is whole" || bad "chain"
kc_finish
