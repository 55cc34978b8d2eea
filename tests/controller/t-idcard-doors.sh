#!/usr/bin/env bash
# keycabd checks a resident ID card number (居民身份证, id_type id_card,
# GB 11643) itself, at every door an ID number comes in by: an owner
# imported, a letter filed for a borrower, a borrower's ID held at a
# release, an owner collecting. A wrong check character (one digit
# mistyped) is refused with its own message code, in English and
# Chinese, and nothing is written; so are a region code starting with 0,
# a birth date that is no date or after today, and a number of the wrong
# form. Other documents (passport) keep their own form. No number reaches
# the log or an event.
source "$KEYCAB_SRC/tests/controller/lib.sh"
export KEYCAB_SRC
KC_WINDOW=2s
kc_start
export DEMO_DIR=$T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
S01=$(token S01 1111)
as() { KEYCAB_SESSION=$S01 "$@"; }
# a valid number and the same with its check character off by one
GOOD=440301199512125559 BADCHK=440301199512125558
count() { sqlite3 "$T/keycab.db" "SELECT (SELECT count(*) FROM owners), (SELECT count(*) FROM letters),
	(SELECT count(*) FROM loans), (SELECT count(*) FROM ids_held), (SELECT count(*) FROM outbox WHERE
	json_extract(body, '\$.type') IN ('release.granted', 'id.held', 'letter.filed', 'person.registered'))"; }
unchanged() { [ "$(count)" = "$before" ] && ok "  ... nothing written" || bad "  ... written: $before -> $(count)"; }

echo "== import: an owner's ID number"
cat >"$T/owners.csv" <<CSV
code,name,phone,unit,id_type,id_number
O21,Good Number,13800000021,HY-1-103,id_card,$GOOD
O22,Check Off,13800000022,HY-1-104,id_card,$BADCHK
O23,Lower x,13800000023,HY-1-105,id_card,11010519491231002x
O24,Passport,13800000024,HY-1-106,passport,E99887766
O25,Region 0,13800000025,HY-1-108,id_card,010105194912310026
O26,Born tomorrow,13800000026,HY-2-102,id_card,110101$(date -u -d '+2 days' +%Y%m%d)0010
CSV
# the birth-date row's check character made right, so the date is what is wrong
python3 - "$T/owners.csv" <<'PY'
import sys
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
p = sys.argv[1]
rows = open(p).read().splitlines()
for i, r in enumerate(rows):
    if r.startswith(("O25,", "O26,")):
        n = r.rsplit(",", 1)[1][:17]
        rows[i] = r.rsplit(",", 1)[0] + "," + n + "10X98765432"[sum(int(a) * w for a, w in zip(n, W)) % 11]
open(p, "w").write("\n".join(rows) + "\n")
PY
before=$(count)
expect 1 "import 6 owners: the rows refused are named (exit 1)" kc --json import owners "$T/owners.csv"
echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); [print("       line", r.get("line"), r.get("code"), r.get("reason")) for r in d.get("rejected", [])]'
codes=$(echo "$OUT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(" ".join("%s:%s" % (r.get("line"), r.get("code")) for r in d.get("rejected", [])))')
[ "$(sqlite3 "$T/keycab.db" "SELECT group_concat(code) FROM (SELECT code FROM owners WHERE code BETWEEN 'O21' AND 'O26' ORDER BY code)")" = "O21,O23,O24" ] &&
	ok "the valid card numbers (x as X) and the passport imported: O21,O23,O24" ||
	bad "imported: $(sqlite3 "$T/keycab.db" "SELECT group_concat(code) FROM owners WHERE code BETWEEN 'O21' AND 'O26'")"
case $codes in *"3:id_card_check_char"*) ok "O22 (check character off): rejected, id_card_check_char" ;; *) bad "O22: $codes" ;; esac
case $codes in *"6:id_card_region"*) ok "O25 (region 0): rejected, id_card_region" ;; *) bad "O25: $codes" ;; esac
case $codes in *"7:id_card_birth_date"*) ok "O26 (born after today): rejected, id_card_birth_date" ;; *) bad "O26: $codes" ;; esac
expect 1 "the same file in Chinese" env LANG=zh_CN.UTF-8 "$KEYCAB_BIN/keycab" import owners "$T/owners.csv"
has "  ... the check character, in Chinese" "校验" "$OUT$ERR"
grep -m1 "校验" <<<"$OUT$ERR" | sed 's/^/       /'

echo "== letter file: the borrower's ID number"
ENT=$(kc --json entrustments | python3 -c 'import json,sys; print([e["entrustment"] for e in json.load(sys.stdin)["entrustments"] if e["key"]=="K-HY-1-101"][0])')
to=$(date -u -d '+14 days' +%Y-%m-%d)
before=$(count)
expect 1 "a letter naming an ID card whose check character is off" \
	sh -c "echo $BADCHK | KEYCAB_SESSION=$S01 '$KEYCAB_BIN/keycab' letter file $ENT --borrower 'Tan Wei' --id-type id_card --id-stdin --to $to --ref WT-9"
has "  ... says the check character does not match" "check character" "$ERR"
echo "       ${ERR%%$'\n'*}"
unchanged
expect 1 "  ... 17 digits" \
	sh -c "echo 44030119951212555 | KEYCAB_SESSION=$S01 '$KEYCAB_BIN/keycab' letter file $ENT --borrower 'Tan Wei' --id-type id_card --id-stdin --to $to --ref WT-9"
has "  ... names the form" "17 digits" "$ERR"
unchanged
expect 0 "a letter with the right number" \
	sh -c "echo $GOOD | KEYCAB_SESSION=$S01 '$KEYCAB_BIN/keycab' --json letter file $ENT --borrower 'Tan Wei' --id-type id_card --id-stdin --to $to --ref WT-9"
LET=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["letter"])' <<<"$OUT")
as kc letter confirm "$LET" --channel phone >/dev/null || bad "letter confirm"

echo "== release: the borrower's ID held"
borrow() { # borrow NUMBER
	sh -c "echo $1 | KEYCAB_SESSION=$S01 '$KEYCAB_BIN/keycab' release K-HY-1-101 --purpose borrow --borrower 'Tan Wei' --contact 13700001111 --signature REG-9 --letter $LET --id-type id_card --id-stdin --due-in 2h"
}
before=$(count)
refused 3 "the borrower's ID card with its check character off" borrow $BADCHK
has "  ... says the check character does not match" "check character" "$ERR"
unchanged
sim coil A01 | grep -q 'OK off' && ok "  ... slot A01 stays locked" || bad "  ... A01: $(sim coil A01)"
expect 3 "  ... in Chinese" env LANG=zh_CN.UTF-8 sh -c "echo $BADCHK | KEYCAB_SESSION=$S01 '$KEYCAB_BIN/keycab' release K-HY-1-101 --purpose borrow --borrower 'Tan Wei' --contact 13700001111 --signature REG-9 --letter $LET --id-type id_card --id-stdin --due-in 2h"
has "  ... 校验位" "校验" "$ERR"
echo "       ${ERR%%$'\n'*}"
unchanged

echo "== collect: the owner's ID"
before=$(count)
refused 8 "O01 (an ID card) with the check character off" \
	sh -c "echo 110101198001011233 | KEYCAB_SESSION=$S01 '$KEYCAB_BIN/keycab' collect K-HY-1-101 --signature COL-9 --id-stdin"
has "  ... says the check character does not match, not that it is someone else's" "check character" "$ERR"
unchanged
refused 8 "O03 (a passport) with an ID card's form: not O03's, no card check" \
	sh -c "echo $GOOD | KEYCAB_SESSION=$S01 '$KEYCAB_BIN/keycab' collect K-HY-2-101 --signature COL-9 --id-stdin"
has "  ... the passport does not match" "does not match" "$ERR"

echo "== over the socket"
python3 - "$S01" "$ENT" "$LET" <<'PY' >"$T/sock.out" 2>&1
import json, os, sys
sys.path.insert(0, os.path.join(os.environ["KEYCAB_SRC"], "tests/controller"))
from sockask import ask
tok, ent, let = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
bad = "440301199512125558"
for name, req in [
    ("letter.file", {"op": "letter.file", "session": tok, "entrustment": ent, "borrower": "X", "id_type": "id_card",
                     "id_number": bad, "valid_to": "2099-01-01", "reference": "R"}),
    ("release", {"op": "release", "session": tok, "key": "K-HY-1-101", "purpose": "borrow", "borrower": "Tan Wei",
                 "contact": "1", "signature": "S", "letter": let, "id_type": "id_card", "id_number": bad,
                 "due_in_s": 3600}),
    ("collect", {"op": "collect", "session": tok, "key": "K-HY-1-101", "id_number": "110101198001011233",
                 "signature": "S"}),
    ("import", {"op": "import", "table": "owners", "rows": [{"code": "O31", "name": "N", "phone": "1",
                "unit": "HY-1-103", "id_type": "id_card", "id_number": bad}]}),
]:
    r = ask(req)
    codes = [m.get("code") for m in r.get("messages", [])] + [r.get("code")] + \
        [x.get("code") for x in r.get("rejected", [])]
    print(name, "|", r.get("ok"), " ".join(c for c in codes if c))
PY
sed 's/^/       /' "$T/sock.out"
for door in letter.file release collect import; do
	grep -q "^$door | .*id_card_check_char" "$T/sock.out" && ok "$door: id_card_check_char" || bad "$door: $(grep "^$door" "$T/sock.out")"
done

echo "== the numbers stay out of the log and the events"
for n in $BADCHK $GOOD 110101198001011233; do
	grep -q "$n" "$T/keycabd.log" && bad "$n in keycabd's log" || ok "$n not in keycabd's log"
	sqlite3 "$T/keycab.db" "SELECT body FROM outbox" | grep -q "$n" && bad "$n in an event" || ok "$n not in an event"
done
chain_ok && ok "outbox chain intact" || bad "chain broken"
kc_finish
