#!/usr/bin/env bash
# A manager's approval from the office, the cabinet's end, against a real
# keycabd on keycab-sim (controller/estate_approval.c): a clerk asks for a
# sealed key (approval.ask: the request and its approval.asked event),
# withdraws a request (approval.cancel), and the refusals of a request
# nobody can approve (not a sealed key, not a manager, the clerk himself,
# no reason).
source "$KEYCAB_SRC/tests/controller/lib.sh"
kc_start
export DEMO_DIR=$T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
ok "estate imported"
db() { sqlite3 "$T/keycab.db" "$1"; }

S=$(token S01 1111) || { bad "login S01"; exit 1; }
M1=$(token M01 5555) || { bad "login M01"; exit 1; }
E=$(token E02 4444) || { bad "login E02"; exit 1; }
ask() { env KEYCAB_SESSION="$1" "$KEYCAB_BIN/keycab" --json approval ask "$2" --manager "$3" --reason "$4"; }

echo "== a clerk asks a manager for a sealed key"
expect 0 "S01 asks M01 for K-LJ-3-203" ask "$S" K-LJ-3-203 M01 "业主家漏水，需紧急进入"
R1=$(json 'd["request"]' <<<"$OUT")
[ "$(db "SELECT key||'|'||asker||'|'||manager||'|'||state FROM approval_requests WHERE id=$R1")" = "K-LJ-3-203|S01|M01|pending" ] &&
	ok "request $R1 waits: K-LJ-3-203, asked by S01, for M01" || bad "request row: $(db "SELECT * FROM approval_requests")"
ev=$(db "SELECT body FROM outbox WHERE json_extract(body,'\$.type')='approval.asked'")
[ "$(json '(d["actor"], d["key"], d["unit"], d["site"], d["data"]["request"], d["data"]["manager"], d["data"]["reason"])' <<<"$ev")" = \
	"('S01', 'K-LJ-3-203', 'LJ-3-203', 'LJ', $R1, 'M01', '业主家漏水，需紧急进入')" ] &&
	ok "approval.asked: actor S01, key, unit, site, request, manager, reason" || bad "approval.asked: $ev"
expect 0 "the pending requests list it" env KEYCAB_SESSION="$S" "$KEYCAB_BIN/keycab" --json approval-requests
[ "$(json '[(r["request"], r["manager_name"], r["state"]) for r in d["approval_requests"]]' <<<"$OUT")" = "[($R1, '陈经理 Manager Chen', 'pending')]" ] &&
	ok "  ... with the manager's name" || bad "  ... $OUT"

echo "== requests nobody can approve"
n0=$(events approval.asked)
refused 4 "a key that is not sealed" ask "$S" K-HY-1-101 M01 "why"
refused 4 "a person who is not a manager" ask "$S" K-LJ-3-203 Q01 "why"
has "  ... says so" "not a manager" "$ERR"
refused 4 "nobody on the roll" ask "$S" K-LJ-3-203 M77 "why"
refused 4 "the manager asks himself" ask "$M1" K-LJ-3-203 M01 "why"
refused 0 "an unknown key" ask "$S" K-NONE M01 "why"
expect 1 "no reason" ask "$S" K-LJ-3-203 M01 ""
has "  ... says why one is needed" "Say why" "$ERR"
refused 0 "an engineer may not ask" ask "$E" K-LJ-3-203 M01 "why"
[ "$(events approval.asked)" = "$n0" ] && ok "no approval.asked for any of them" || bad "approval.asked: $(events approval.asked)"

echo "== the clerk withdraws a request"
expect 0 "S01 asks again" ask "$S" K-LJ-5-101 M01 "查看漏水"
R2=$(json 'd["request"]' <<<"$OUT")
refused 0 "another clerk cannot withdraw it" env KEYCAB_SESSION="$M1" "$KEYCAB_BIN/keycab" approval cancel "$R2"
expect 0 "S01 withdraws it" env KEYCAB_SESSION="$S" "$KEYCAB_BIN/keycab" approval cancel "$R2"
[ "$(db "SELECT state FROM approval_requests WHERE id=$R2")" = cancelled ] && ok "request $R2 cancelled" || bad "request $R2: $(db "SELECT state FROM approval_requests WHERE id=$R2")"
[ "$(events approval.cancelled)" = 1 ] && ok "one approval.cancelled event" || bad "approval.cancelled: $(events approval.cancelled)"
refused 0 "a second withdrawal" env KEYCAB_SESSION="$S" "$KEYCAB_BIN/keycab" approval cancel "$R2"

chain_ok && ok "the outbox chain is whole" || bad "chain"
kc_finish
