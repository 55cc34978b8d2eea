#!/usr/bin/env bash
# The one check of controller/ops.def: a request whose arguments do not fit
# its op's spec (a member of the wrong type, a text too long, a required
# member missing) is refused with its message code before any handler
# runs, for several ops over the real socket and through keycab; the access
# check comes first; nothing is written and no coil is energised.
source "$KEYCAB_SRC/tests/controller/lib.sh"
: "${KEYCAB_LOCALEDIR:?}"
export KEYCAB_LOCALEDIR KEYCAB_SRC
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
export S01=$(token S01 1111) M01=$(token M01 5555)

# the outbox quiet (the first scan's notices) before the database is compared
last=-1 same=0
for _ in $(seq 1 100); do
	now=$(sqlite3 "$T/keycab.db" 'SELECT COALESCE(MAX(seq), 0) FROM outbox')
	if [ "$now" = "$last" ]; then same=$((same + 1)); else same=0; fi
	[ $same -ge 3 ] && break
	last=$now
	sleep 0.5
done
dump() { sqlite3 "$T/keycab.db" ".dump" | grep -v -e "INTO sessions" -e "INTO people"; }
before=$(dump | sha256sum)

echo "== over the socket: each refused by the spec's check, with its code"
PYTHONPATH="$KEYCAB_SRC/tests/controller" python3 - <<'PY' >"$T/opspec.out" 2>&1
import gettext, json, os, re
from sockask import ask

S01, M01 = os.environ["S01"], os.environ["M01"]
zh = gettext.translation("keycab", os.environ["KEYCAB_LOCALEDIR"], ["zh_CN"])
tmpl = {}
for f in os.listdir(os.path.join(os.environ["KEYCAB_SRC"], "common/msgs")):
    text = open(os.path.join(os.environ["KEYCAB_SRC"], "common/msgs", f), encoding="utf-8").read()
    for m in re.finditer(r'KC_MSG\((\w+),\s*((?:"(?:[^"\\]|\\.)*"\s*)+)\)', text):
        tmpl[m.group(1)] = "".join(json.loads(s) for s in re.findall(r'"(?:[^"\\]|\\.)*"', m.group(2)))
fails = 0


def check(cond, desc, detail=None):
    global fails
    print(("ok   - " if cond else "FAIL - ") + desc + ("" if cond else "  " + json.dumps(detail, ensure_ascii=False)))
    fails += not cond


def refused_by_spec(req, code, params, desc):
    rep = ask(req)
    check(rep.get("ok") is False and rep.get("code") == code and rep.get("params") == params,
          "%s: %s %s" % (desc, code, json.dumps(params)), rep)
    english = re.sub(r"\{(\w+)\}", lambda m: str(params.get(m.group(1), m.group(0))), tmpl.get(code, "?"))
    check(rep.get("error") == english, "  ... says: " + english, rep.get("error"))
    check(zh.gettext(tmpl.get(code, "?")) != tmpl.get(code, "?"), "  ... and has its Chinese")


release = {"op": "release", "session": S01, "key": "K-HY-1-108", "purpose": "inspection",
           "borrower": "E01", "due_in_s": 3600}
# a whole number sent as text: the handler alone would take it as none and release
refused_by_spec(dict(release, letter="7"), "request_member_not_integer",
                {"op": "release", "field": "letter"}, "release with a letter as text")
refused_by_spec(dict(release, key=108), "request_member_not_text",
                {"op": "release", "field": "key"}, "release with a key as a number")
refused_by_spec(dict(release, signature="x" * 101), "text_too_long",
                {"field": "signature", "chars": 101, "max": 100}, "release with a signature too long")
refused_by_spec(dict(release, purpose="检" * 65), "text_too_long",
                {"field": "purpose", "chars": 65, "max": 64}, "release with a purpose of 65 characters (195 bytes)")
refused_by_spec({"op": "inspect", "session": S01, "result": "ok"}, "request_member_missing",
                {"op": "inspect", "field": "loan"}, "inspect without its loan")
refused_by_spec({"op": "approve", "session": M01, "valid_for_s": 600}, "request_member_missing",
                {"op": "approve", "field": "key"}, "approve without its key")
refused_by_spec({"op": "approve", "session": M01, "key": "K-HY-1-101", "valid_for_s": "600"},
                "request_member_not_integer", {"op": "approve", "field": "valid_for_s"},
                "approve with valid_for_s as text")
refused_by_spec({"op": "alarm.clear", "session": S01, "alarm": "1", "note": "n"}, "request_member_not_integer",
                {"op": "alarm.clear", "field": "alarm"}, "alarm.clear with the alarm as text")
refused_by_spec({"op": "handover.confirm", "session": S01, "handover": 1.5}, "request_member_not_integer",
                {"op": "handover.confirm", "field": "handover"}, "handover.confirm with a fraction")
refused_by_spec({"op": "import", "table": "keys", "rows": {"code": "K-X"}}, "request_member_not_list",
                {"op": "import", "field": "rows"}, "import with rows not a list (console)")
refused_by_spec({"op": "import", "rows": []}, "request_member_missing",
                {"op": "import", "field": "table"}, "import without its table (console)")
refused_by_spec({"op": "person.add", "code": 7, "name": "N", "role": "staff", "pin": "9999"},
                "request_member_not_text", {"op": "person.add", "field": "code"}, "person.add with a code as a number")
refused_by_spec({"op": "unit.vacancy", "vacant": True}, "request_member_missing",
                {"op": "unit.vacancy", "field": "unit"}, "unit.vacancy without its unit")
refused_by_spec({"op": "letter.confirm", "session": S01, "letter": 1}, "request_member_missing",
                {"op": "letter.confirm", "field": "channel"}, "letter.confirm without its channel")
refused_by_spec({"op": "keys", "session": S01, "all": "yes"}, "request_member_not_bool",
                {"op": "keys", "field": "all"}, "keys with all as text")
refused_by_spec({"op": "test.clock"}, "request_member_missing",
                {"op": "test.clock", "field": "advance_s"}, "test.clock without advance_s")

# who may send it is checked first: the spec's check answers only them
rep = ask({"op": "approve", "session": S01})
check(rep.get("refused") and rep.get("rule") == 4, "approve by staff without a key: rule 4 first", rep)
rep = ask({"op": "person.add", "session": S01, "code": 7})
check(rep.get("refused") and rep.get("code") == "registrar_logged_in", "person.add by a logged-in person: the administrator's check first", rep)
rep = ask({"op": "import"})
check(rep.get("code") == "request_member_missing", "a null member is none", rep)
# what fits the spec reaches the handler: an optional member left out, null
rep = ask({"op": "keys", "session": S01, "all": None})
check(rep.get("ok") is True and len(rep.get("keys", [])) == 24, "keys with all null: answered", {k: rep[k] for k in rep if k != "keys"})
raise SystemExit(1 if fails else 0)
PY
rc=$?
cat "$T/opspec.out"
FAILS=$((FAILS + $(grep -c '^FAIL' "$T/opspec.out")))
[ "$rc" = 0 ] || grep -q '^FAIL' "$T/opspec.out" || bad "the socket checks: exit $rc"
[ "$(sqlite3 "$T/keycab.db" 'SELECT count(*) FROM loans')" = 0 ] && ok "no loan: no release reached its handler" ||
	bad "a loan was opened"
printf 'coil B01\n' | socat -t 5 - "UNIX-CONNECT:$SIM_CONTROL" | grep -q 'OK off' && ok "K-HY-1-108's slot B01: its coil off" ||
	bad "the coil of B01 is not off"

echo "== through keycab: the same check, its message in the desk's language"
as1() { KEYCAB_SESSION=$S01 "$@"; }
expect 1 "keycab release with a signature of 101 characters" \
	as1 kc release K-HY-1-108 --purpose inspection --borrower E01 --due-in 1h --signature "$(printf 'x%.0s' $(seq 101))"
has "  ... says why" 'keycab: error: "signature" is 101 characters long; at most 100 are allowed. Nothing was done.' "$ERR"
expect 1 "keycab letter confirm without --channel" as1 kc letter confirm 1
has "  ... names the op and the member" 'keycab: error: letter.confirm needs "channel". Nothing was done.' "$ERR"
expect 1 "the same in Chinese" as1 env LANG=zh_CN.UTF-8 "$KEYCAB_BIN/keycab" letter confirm 1
has "  ... in Chinese" 'letter.confirm 需要“channel”。未做任何操作。' "$ERR"
expect 1 "keycab --json alarm clear with a note of 1001 characters" \
	as1 kc --json alarm clear 1 --note "$(printf 'n%.0s' $(seq 1001))"
has "  ... the reply's code" '"code": "text_too_long"' "$OUT"

[ "$(dump | sha256sum)" = "$before" ] && ok "the database as it was: nothing written" || bad "the database changed"
kill -0 "$KCD_PID" 2>/dev/null && ok "keycabd still answers" || bad "keycabd died"
kc_finish
