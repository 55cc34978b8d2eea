#!/usr/bin/env bash
# The desk's, registry's and re-seat's answers carry a message code and
# its params beside the English text, over the real socket on keycab-sim
# with the demo estate: bad input (a release with no key, a due time that
# is no time, an entrustment with no end), unknowns (an owner, an alarm),
# a session that is not known (its own message in the refusal), and a slot
# still open from a re-seat (rule 10, for a re-seat and for a release).
source "$KEYCAB_SRC/tests/controller/lib.sh"
KC_WINDOW=3s
kc_start
export DEMO_DIR=$T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
S01=$(token S01 1111) || { bad "login S01"; kc_finish; }

# req JSON: the reply to one request on the socket (the session added
# when $SESSION is set)
req() {
	python3 - "$KEYCAB_SOCKET" "$1" "${SESSION:-}" <<'PY'
import json, socket, sys
r = json.loads(sys.argv[2])
if sys.argv[3]:
    r["session"] = sys.argv[3]
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall((json.dumps(r) + "\n").encode())
print(s.makefile().readline().strip())
PY
}
# coded DESC REPLY CODE PYEXPR: REPLY carries CODE (the reply's own, and
# for a refusal its first message's) and PYEXPR holds over it (as d, its
# params as p)
coded() {
	local out
	out=$(python3 - "$2" "$3" "$4" <<'PY'
import json, sys
d = json.loads(sys.argv[1]); code = sys.argv[2]; p = d.get("params", {})
ok = d.get("ok") is False and d.get("code") == code and isinstance(p, dict)
if d.get("refused"):
    ok = ok and d["messages"] and d["messages"][0] == {"code": d["code"], "params": p}
ok = ok and eval(sys.argv[3])
print("yes" if ok else "no")
PY
)
	[ "$out" = yes ] && ok "$1: $3 $(echo "$2" | json 'd.get("params")')" || bad "$1: wanted $3 with $4: $2"
}
key_at() { # key_at KEY STATE SLOT
	kc keys --json | python3 -c "import json,sys; sys.exit(0 if [k for k in json.load(sys.stdin)['keys'] if k['key']=='$1' and k['state']=='$2' and (k['slot'] or '')=='$3'] else 1)"
}

echo "== bad input: errors with a code and params, the English as before"
r=$(SESSION=$S01 req '{"op":"release"}')
coded "a release with no key" "$r" release_needs_key_purpose 'd["error"] == "release needs \"key\" and \"purpose\""'
r=$(SESSION=$S01 req '{"op":"release","key":"K-HY-1-108","purpose":"inspection","borrower":"E01","due":"2026-13-45"}')
coded "a due time that is no time" "$r" release_time_bad \
	'p["field"] == "due" and p["zone"] and d["error"] == "release: \"due\" is not a time (YYYY-MM-DD HH:MM, %s time)" % p["zone"]'
r=$(req '{"op":"entrust","key":"K-HY-1-104","owner":"O01"}')
coded "an entrustment with no end" "$r" entrust_end_needed 'p["field"] == "end" and p["zone"] in d["error"]'
r=$(SESSION=$S01 req '{"op":"letter.confirm","letter":1,"channel":"pigeon"}')
coded "a confirmation by pigeon" "$r" letter_confirm_channel_bad '"channel must be phone" in d["error"]'

echo "== unknowns: refusals with a code and params"
r=$(req '{"op":"entrust","key":"K-HY-1-101","owner":"O99","end":"2030-01-01"}')
coded "entrust to an unknown owner" "$r" entrust_owner_unknown 'p == {"owner": "O99"} and d["rule"] == 0'
r=$(req '{"op":"entrust","key":"K-HY-1-104","owner":"O01","end":"2030-01-01"}')
coded "entrust a vacant key" "$r" entrust_key_kind 'p == {"key": "K-HY-1-104", "kind": "vacant"}'
r=$(SESSION=$S01 req '{"op":"slot.reseat","alarm":999}')
coded "a re-seat of an alarm there is not" "$r" reseat_alarm_unknown 'p == {"alarm": 999}'

echo "== a session that is not known: its own message in the refusal"
r=$(SESSION=not-a-session req '{"op":"release","key":"K-HY-1-108","purpose":"inspection","borrower":"E01","due_in_s":3600}')
python3 - "$r" <<'PY' && ok "release with an unknown session: its session_detail message" || bad "unknown session: $r"
import json, sys
d = json.loads(sys.argv[1])
m = [m for m in d["messages"] if m["code"] == "session_detail"
     and m["params"] == {"detail": {"code": "session_unknown", "params": {}}}]
assert d["refused"] and d["rule"] == 1 and len(m) == 1, d
assert d["reason"].endswith(" (the session is not known (logged out, or ended); log in again.)"), d["reason"]
PY

echo "== a slot still open from a re-seat (rule 10)"
as() { KEYCAB_SESSION=$S01 "$@"; }
expect 0 "K-HY-1-103 out (home A07)" as kc release K-HY-1-103 --purpose inspection --borrower E01 --due-in 1h
"$KEYCAB_SRC/tests/simctl.py" remove A07 >/dev/null; wait_key K-HY-1-103 out
expect 0 "K-HY-1-104 out (home A08)" as kc release K-HY-1-104 --purpose repair --borrower E01 --due-in 1h
"$KEYCAB_SRC/tests/simctl.py" remove A08 >/dev/null; wait_key K-HY-1-104 out
"$KEYCAB_SRC/tests/simctl.py" insert A08 0x1007 >/dev/null
wait_for 10 key_at K-HY-1-103 in A08 && ok "K-HY-1-103 back, in A08 (wrong slot)" || bad "wrong-slot return not seen"
wait_coil A08 off || bad "A08 still open from the release of K-HY-1-104"
r=$(SESSION=$S01 req '{"op":"slot.reseat","key":"K-HY-1-103"}')
[ "$(echo "$r" | json 'd.get("ok")')" = True ] && ok "re-seat of K-HY-1-103: A08 opens" || bad "re-seat: $r"
r=$(SESSION=$S01 req '{"op":"slot.reseat","key":"K-HY-1-103"}')
coded "a second re-seat while A08 is open" "$r" reseat_slot_busy \
	'p == {"slot": "A08"} and d["rule"] == 10 and d["missing"] == ["working slot"] and d["reason"] == "Slot A08 cannot be opened: slot A08 is still open from the last release; try again in a moment."'
r=$(SESSION=$S01 req '{"op":"release","key":"K-HY-1-103","purpose":"inspection","borrower":"E01","due_in_s":3600}')
coded "a release from the open A08" "$r" release_slot_busy \
	'p == {"key": "K-HY-1-103", "slot": "A08"} and d["rule"] == 10 and d["missing"] == ["working slot"] and d["reason"] == "Key K-HY-1-103 cannot be released: slot A08 is still open from the last release; try again in a moment."'
n=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox WHERE json_extract(body,'\$.type')='release.refused' AND json_extract(body,'\$.key')='K-HY-1-103' AND json_extract(body,'\$.data.rule')=10")
[ "$n" = 1 ] && ok "  ... its release.refused event, by rule 10" || bad "release.refused by rule 10: $n"
chain_ok >/dev/null && ok "outbox chain unbroken" || bad "outbox chain"
kc_finish
