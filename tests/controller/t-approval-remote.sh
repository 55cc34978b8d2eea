#!/usr/bin/env bash
# A manager's approval from the office, the cabinet's end, against a real
# keycabd (managed) on keycab-sim (controller/estate_approval.c): a clerk
# asks for a sealed key (approval.ask: the request and its approval.asked
# event), withdraws a request (approval.cancel), and the refusals of a
# request nobody can approve (not a sealed key, not a manager, the clerk
# himself, no reason). The office's answers through estate.apply with the
# forward key, as keycab-forward applies the feed: a grant opens the
# sealed key once, for its asker only (the sim's coil); a second use, an
# expired approval (test.clock), a grant for a withdrawn request and
# forged grants (another manager or asker than the request's) are refused;
# a refusal is recorded with its reason.
source "$KEYCAB_SRC/tests/controller/lib.sh"
kc_start
export DEMO_DIR=$T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
ok "estate imported"
S=$(token S01 1111) || { bad "login S01"; exit 1; }
expect 1 "a standalone cabinet takes no request: nobody at the office could answer" \
	env KEYCAB_SESSION="$S" "$KEYCAB_BIN/keycab" approval ask K-LJ-3-203 --manager M01 --reason "why"
has "  ... says it is standalone" "standalone" "$ERR"
kcd_stop
printf '[estate]\nmode = managed\n' >>"$T/keycabd.conf"
kcd_start
db() { sqlite3 "$T/keycab.db" "$1"; }
take() { "$KEYCAB_SRC/tests/simctl.py" remove "$1" >/dev/null; }
put() { "$KEYCAB_SRC/tests/simctl.py" insert "$1" "${2:-0}" >/dev/null; }

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

echo "== the office's answers, applied through estate.apply"
apply() { "$KEYCAB_SRC/tests/controller/estate_apply.py" "$@"; }
until_() { date -u -d "+$1" +%Y-%m-%dT%H:%M:%S.000Z; }
grant() { # grant REQUEST KEY MANAGER ASKER VALID_FOR
	apply approval.grant "{\"request\": $1, \"key\": \"$2\", \"manager\": \"$3\", \"asker\": \"$4\", \"valid_to\": \"$(until_ "$5")\"}"
}
Q=$(token Q01 6666) || bad "login Q01"
release() { env KEYCAB_SESSION="$1" "$KEYCAB_BIN/keycab" release "$2" --purpose emergency --borrower E02 --approval "$3"; }
expect 3 "a grant for the withdrawn request $R2" grant "$R2" K-LJ-5-101 M01 S01 30min
has "  ... refused: no such request waiting" estate_request_unknown "$OUT"
expect 0 "the grant of request $R1 (M01 for S01, 30 minutes)" grant "$R1" K-LJ-3-203 M01 S01 30min
AP=$(db "SELECT approval FROM approval_requests WHERE id=$R1")
[ "$(db "SELECT method||'|'||key||'|'||manager||'|'||asker||'|'||request||'|'||coalesce(used_loan,'') FROM approvals WHERE id=${AP:-0}")" = "remote|K-LJ-3-203|M01|S01|$R1|" ] &&
	ok "approval $AP: remote, K-LJ-3-203, M01 for S01, request $R1, unused" || bad "approval: $(db "SELECT * FROM approvals")"
ev=$(db "SELECT body FROM outbox WHERE json_extract(body,'\$.type')='estate.applied' ORDER BY seq DESC LIMIT 1")
[ "$(json '(d["data"]["change_type"], d["data"]["approval"], d["data"]["request"], d["person"], d["key"])' <<<"$ev")" = \
	"('approval.grant', $AP, $R1, 'S01', 'K-LJ-3-203')" ] && ok "estate.applied names the approval, the request, S01, the key" || bad "estate.applied: $ev"
refused 4 "Q01 uses S01's approval" release "$Q" K-LJ-3-203 "$AP"
has "  ... only its asker may" "only S01" "$ERR"
sim clear-history >/dev/null
expect 0 "S01 opens K-LJ-3-203 with it" release "$S" K-LJ-3-203 "$AP"
wait_coil A05 on && ok "the coil of A05 goes on" || bad "A05 did not open"
take A05
wait_key K-LJ-3-203 out && ok "the sealed key is out" || bad "K-LJ-3-203 not out"
[ "$(db "SELECT json_extract(body,'\$.data.method') FROM outbox WHERE json_extract(body,'\$.type')='approval.used'")" = remote ] &&
	ok "approval.used, method remote" || bad "approval.used: $(events approval.used)"
put A05 0x1005
wait_key K-LJ-3-203 in && ok "the key is back" || bad "K-LJ-3-203 not back"
refused 4 "a second use of approval $AP" release "$S" K-LJ-3-203 "$AP"
has "  ... used already" "used already" "$ERR"

echo "== an approval that expired"
expect 0 "S01 asks for K-LJ-5-101" ask "$S" K-LJ-5-101 M01 "检查水管"
R3=$(json 'd["request"]' <<<"$OUT")
expect 0 "granted for 2 minutes" grant "$R3" K-LJ-5-101 M01 S01 2min
AP3=$(db "SELECT approval FROM approval_requests WHERE id=$R3")
expect 0 "the clock moves 5 minutes on" "$KEYCAB_BIN/keycab" test-clock advance 300
refused 4 "S01 opens K-LJ-5-101 with the expired approval $AP3" release "$S" K-LJ-5-101 "$AP3"
has "  ... not valid now" "not now" "$ERR"

echo "== forged grants, a refusal"
expect 0 "S01 asks M01 for K-LJ-5-101 again" ask "$S" K-LJ-5-101 M01 "再次检查"
R4=$(json 'd["request"]' <<<"$OUT")
n=$(db "SELECT count(*) FROM approvals")
expect 3 "a grant naming S01 as the manager of S01's request" grant "$R4" K-LJ-5-101 S01 S01 30min
expect 3 "a grant naming another asker (Q01)" grant "$R4" K-LJ-5-101 M01 Q01 30min
expect 3 "a grant for another key" grant "$R4" K-LJ-3-203 M01 S01 30min
[ "$(db "SELECT count(*) FROM approvals")" = "$n" ] && ok "no approval made by them" || bad "approvals: $(db "SELECT count(*) FROM approvals"), were $n"
[ "$(events estate.refused)" = 4 ] && ok "4 estate.refused events (with the withdrawn request's)" || bad "estate.refused: $(events estate.refused)"
expect 0 "M01's refusal of request $R4" apply approval.refuse "{\"request\": $R4, \"key\": \"K-LJ-5-101\", \"manager\": \"M01\", \"reason\": \"请先联系业主\"}"
[ "$(db "SELECT state||'|'||refusal FROM approval_requests WHERE id=$R4")" = "refused|请先联系业主" ] &&
	ok "request $R4 refused, with the reason" || bad "request $R4: $(db "SELECT state, refusal FROM approval_requests WHERE id=$R4")"
expect 3 "a grant after the refusal" grant "$R4" K-LJ-5-101 M01 S01 30min
[ "$(sim history A06 | grep -c 'ON@')" = 0 ] && ok "A06 never opened" || bad "A06 opened"

echo "== a manager the office deactivated"
expect 0 "the office deactivates M01" apply person.set '{"person": "M01", "name": "陈经理 Manager Chen", "role": "manager", "phone": "13900000005", "department": "", "active": false, "enrolled_by": null}'
refused 4 "S01 asks M01" ask "$S" K-LJ-3-203 M01 "why"

chain_ok && ok "the outbox chain is whole" || bad "chain"
kc_finish
