#!/usr/bin/env bash
# How far ahead the desk may set a loan's due time: [desk]
# max_loan_<purpose> bounds it per purpose. A due time past the bound
# (given as a date, in seconds from now, or as 2^63-1 seconds that would
# overflow) is refused with a message naming the limit, in English and
# Chinese, over the CLI and over keycabd's socket; nothing is written and
# no slot opens. Bad values of the keys stop keycabd at start, named. Run
# under `make SANITIZE=1` too: no overflow reaches UBSan.
source "$KEYCAB_SRC/tests/controller/lib.sh"
export KEYCAB_SRC
KC_WINDOW=2s
kc_cabinet
kc_config
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1

echo "== bad [desk] bounds stop keycabd at start, named"
bad_conf() { # bad_conf DESC LINE WANT
	local out rc
	cp "$T/keycabd.conf" "$T/bad.conf"
	printf '[desk]\n%s\n' "$2" >>"$T/bad.conf"
	out=$("$KEYCAB_BIN/keycabd" -c "$T/bad.conf" --check-config 2>&1) && rc=0 || rc=$?
	if [ "$rc" != 0 ] && [[ $out == *"$3"* ]]; then ok "$1: $out"; else bad "$1 (exit $rc): $out"; fi
}
n=$(($(wc -l <"$T/keycabd.conf") + 2))
bad_conf "not a duration" "max_loan_borrow = forever" "$T/bad.conf:$n: [desk] max_loan_borrow: \"forever\" is not a duration"
bad_conf "zero" "max_loan_inspection = 0" "[desk] max_loan_inspection: \"0\" is out of range"
bad_conf "over a year" "max_loan_repair = 400d" "[desk] max_loan_repair: \"400d\" is out of range"
bad_conf "2^63-1 seconds" "max_loan_emergency = 9223372036854775807" "[desk] max_loan_emergency"
bad_conf "a purpose there is none of" "max_loan_party = 1d" "[desk] max_loan_party: unknown key"

printf '[desk]\nmax_loan_inspection = 1d\n' >>"$T/keycabd.conf"
out=$("$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --check-config 2>&1) && ok "good bounds: $out" || bad "good bounds refused: $out"
kcd_start
export DEMO_DIR=$T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
S01=$(token S01 1111)
as() { KEYCAB_SESSION=$S01 "$@"; }
# what a refusal must leave as it was: the outbox, the loans, the key, the coil
state() {
	sqlite3 "$T/keycab.db" "SELECT (SELECT count(*) FROM outbox WHERE json_extract(body, '\$.type') LIKE 'release.%'
		OR json_extract(body, '\$.type') LIKE 'loan.%' OR json_extract(body, '\$.type') LIKE 'id.%'), (SELECT count(*) FROM loans),
		(SELECT state FROM keys WHERE code = 'K-HY-1-108'), (SELECT count(*) FROM ids_held)"
}
unchanged() { # unchanged DESC
	[ "$(state)" = "$before" ] && ok "  ... nothing written ($before)" || bad "  ... written: $before -> $(state)"
	sim coil B01 | grep -q 'OK off' && ok "  ... slot B01 stays locked" || bad "  ... B01's coil: $(sim coil B01)"
}

echo "== over the CLI"
before=$(state)
refused 0 "inspection due in 2 days (bound 1d)" as kc release K-HY-1-108 --purpose inspection --borrower E01 --due-in 2d
has "  ... names the limit and the key" "at most 1d ahead (?desk? max_loan_inspection)" "$ERR"
unchanged
far=$(date -u -d '+3 days' +%Y-%m-%d)
refused 0 "inspection due $far (bound 1d)" as kc release K-HY-1-108 --purpose inspection --borrower E01 --due "$far 10:00"
has "  ... the same message" "?desk? max_loan_inspection" "$ERR"
unchanged
refused 0 "year 9999 for a repair (default bound 7d)" as kc release K-HY-1-108 --purpose repair --borrower E01 --due 9999-12-31
has "  ... names the default" "at most 7d ahead (?desk? max_loan_repair)" "$ERR"
unchanged
expect 3 "in Chinese" env KEYCAB_SESSION="$S01" LANG=zh_CN.UTF-8 "$KEYCAB_BIN/keycab" release K-HY-1-108 --purpose inspection --borrower E01 --due-in 30h
has "  ... 中文" "最长 1d" "$ERR"
echo "       ${ERR%%$'\n'*}"
unchanged
expect 0 "within the bound (23h) the key goes out" as kc release K-HY-1-108 --purpose inspection --borrower E01 --due-in 23h
wait_coil B01 on && ok "  ... B01 opens" || bad "  ... B01 never opened"
wait_key K-HY-1-108 in && wait_coil B01 off && ok "  ... not taken: relocked" || bad "  ... still releasing"

echo "== over keycabd's socket"
python3 - "$S01" "$(token M01 5555)" <<'PY' >"$T/sock.out" 2>&1
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["KEYCAB_SRC"], "tests/controller"))
from sockask import ask
tok, manager = sys.argv[1], sys.argv[2]
base = {"op": "release", "session": tok, "key": "K-HY-1-108", "purpose": "inspection", "borrower": "E01"}
for name, v in [("2^63-1", 2**63 - 1), ("1e15 (the year 31,690,765)", 10**15), ("2^53", 2**53),
                ("86401", 86401), ("-7200", -7200), ("0", 0), ("text", "7200"), ("1.5", 1.5)]:
    r = ask(dict(base, due_in_s=v))
    print(name, "|", r.get("ok"), r.get("code"), json.dumps(r.get("params"), ensure_ascii=False), "|",
          r.get("error") or r.get("reason"))
r = ask({"op": "approve", "session": manager, "key": "K-LJ-3-203", "valid_for_s": 2**63 - 1})
print("approve 2^63-1 |", r.get("ok"), r.get("code"))
r = ask({"op": "test.clock", "advance_s": 2**63 - 1})
print("test.clock 2^63-1 |", r.get("ok"), r.get("code"))
PY
cat "$T/sock.out" | sed 's/^/       /'
line_of() { local l; while IFS= read -r l; do [[ $l == "$1 |"* ]] && { echo "$l"; return; }; done <"$T/sock.out"; }
for v in "2^63-1" "1e15 (the year 31,690,765)" "2^53" 86401; do
	line=$(line_of "$v")
	case $line in *"| False due_beyond_limit "*'"limit": "1d"'*'"setting": "[desk] max_loan_inspection"'*) ok "due_in_s $v: refused, due_beyond_limit, limit 1d" ;;
	*) bad "due_in_s $v: $line" ;; esac
done
for v in -7200 0 text 1.5; do
	line=$(line_of "$v")
	case $line in *"| False due_in_bad "*) ok "due_in_s $v: refused, due_in_bad" ;; *) bad "due_in_s $v: $line" ;; esac
done
[[ $(line_of "approve 2^63-1") == *"| False approve_window_bad" ]] && ok "approve valid_for_s 2^63-1: refused" ||
	bad "approve: $(grep approve "$T/sock.out")"
[[ $(line_of "test.clock 2^63-1") == *"| False test_clock_bad_advance" ]] && ok "test.clock advance_s 2^63-1: refused" ||
	bad "test.clock: $(grep test.clock "$T/sock.out")"
before=$(state)
kill -0 "$KCD_PID" && ok "keycabd is up" || bad "keycabd died"
[ "$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM loans WHERE due_ms > strftime('%s','now','+2 days') * 1000")" = 0 ] &&
	ok "no loan due past the bound" || bad "a loan due past the bound was written"
chain_ok && ok "outbox chain intact" || bad "chain broken"
kc_finish
