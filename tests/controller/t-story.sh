#!/usr/bin/env bash
# The cabinet and the audit service tell the same story, end to end:
# keycabd on keycab-sim with its forwarder, a real keyauditd. An ID taken
# for a borrow whose key was never taken is released at both ends; the
# loan register's contact (masked) and signature reach the service; an
# inspection's inspector is the engineer who borrowed the key; the key log
# of a unit has its key's ID and take events; a handover signed at the
# cabinet shows as reviewed at the office, and the office cannot sign one
# itself. At the end the service's report tables are what its events give.
source "$KEYCAB_SRC/tests/controller/lib.sh"
KC_WINDOW=2s
KAD_PID=
trap '[ -n "$KAD_PID" ] && kill "$KAD_PID" && wait "$KAD_PID"; kc_cleanup' EXIT
printf '[server]\nlisten = 127.0.0.1\nport = %s\n[database]\npath = %s/audit.db\n' "$(free_port)" "$T" >"$T/keyauditd.conf"
kad() { "$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" "$@"; }
kad add-cabinet demo-desk >"$T/token" 2>>"$T/keyauditd.log" || { cat "$T/keyauditd.log"; exit 1; }
echo "sup-password-1" | kad add-user --role supervisor sup 2>>"$T/keyauditd.log" || exit 1
kad --port-file "$T/kad.port" serve >>"$T/keyauditd.log" 2>&1 &
KAD_PID=$!
wait_for 15 test -s "$T/kad.port" || { echo "keyauditd did not start"; cat "$T/keyauditd.log"; exit 1; }
URL=http://127.0.0.1:$(cat "$T/kad.port")
kc_cabinet
kc_config
printf '[audit]\nurl = %s\ntoken_file = %s/token\nbackoff_min = 100ms\nbackoff_max = 1s\n' "$URL" "$T" >>"$T/keycabd.conf"
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start
export DEMO_DIR=$T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
declare -A TOK
for p in S01:1111 S02:2222 E01:3333 Q01:6666; do
	TOK[${p%%:*}]=$(token "${p%%:*}" "${p#*:}") || { bad "login ${p%%:*}"; exit 1; }
done
as() { local who=$1; shift; KEYCAB_SESSION=${TOK[$who]} "$@"; }
take() { "$KEYCAB_SRC/tests/simctl.py" remove "$1" >/dev/null; }
put() { "$KEYCAB_SRC/tests/simctl.py" insert "$1" "${2:-0}" >/dev/null; }
drained() { kc --json status | python3 -c "import json,sys; d=json.load(sys.stdin); f=d['forward']; sys.exit(0 if f['pending'] == 0 and f['last_acked_seq'] == d['last_seq'] else 1)"; }
# report NAME SECTION [QUERY]: the section's rows as JSON objects
report() {
	curl -s -u sup:sup-password-1 "$URL/api/v1/reports/$1?${3:-}" | python3 -c "
import json,sys
s=[x for x in json.load(sys.stdin)['sections'] if x['name']=='$2'][0]
cols=[c['name'] for c in s['columns']]
print(json.dumps([dict(zip(cols,r)) if isinstance(r,list) else r for r in s['rows']], ensure_ascii=False))"
}
audit() { sqlite3 "$T/audit.db" "$1"; }

echo "== an ID held for a borrow whose key is never taken"
ENT=$(kc --json entrustments | python3 -c 'import json,sys; print([e["entrustment"] for e in json.load(sys.stdin)["entrustments"] if e["key"]=="K-HY-1-101"][0])')
expect 0 "letter filed" sh -c "echo E7654321 | KEYCAB_SESSION=${TOK[S01]} '$KEYCAB_BIN/keycab' --json letter file $ENT --borrower 'Tan Tenant' --id-type passport --id-stdin --to $(date -u -d '+30 days' +%Y-%m-%d) --ref WT-001"
LET=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["letter"])' <<<"$OUT")
expect 0 "the owner's confirmation" as S01 kc letter confirm "$LET" --channel phone
borrow() {
	echo E7654321 | KEYCAB_SESSION=${TOK[S01]} "$KEYCAB_BIN/keycab" --json release K-HY-1-101 --purpose borrow \
		--borrower "Tan Tenant" --contact 13712345678 --signature SIG-77 --letter "$LET" --id-type passport --id-stdin --due-in 2h
}
expect 0 "borrow granted, the ID held" borrow
L1=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["loan"])' <<<"$OUT")
wait_for 10 bash -c "[ \$(sqlite3 '$T/keycab.db' \"SELECT state FROM loans WHERE id = $L1\") = not_taken ]" &&
	ok "the window closed with the key in: loan $L1 not taken" || bad "loan $L1 still $(sqlite3 "$T/keycab.db" "SELECT state FROM loans WHERE id = $L1")"
expect 0 "keycab ids" kc ids
has "  ... the cabinet holds no ID" "no IDs held" "$OUT"
wait_for 30 drained && ok "the outbox drained to keyauditd" || bad "not drained"
r=$(audit "SELECT actor || ' ' || json_extract(body, '\$.data.loan') || ' ' || json_extract(body, '\$.data.reason') FROM events WHERE type = 'id.released'")
[ "$r" = "S01 $L1 not_taken" ] && ok "the service stored an id.released event: by S01, loan $L1, reason not_taken" || bad "id.released at the service: '$r'"
held=$(report now ids_held)
[ "$held" = "[]" ] && ok "the service's Now report holds no ID either" || bad "the service still lists IDs held: $held"
r=$(audit "SELECT loan, released_ms IS NOT NULL FROM ids_held")
[ "$r" = "$L1|1" ] && ok "  ... its ids_held row for loan $L1 is released" || bad "  ... ids_held: $r"

echo "== the loan register's contact and signature reach the service"
expect 0 "borrow again, taken this time" borrow
L2=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["loan"])' <<<"$OUT")
take A01
wait_key K-HY-1-101 out && ok "the borrower took the key" || bad "key not out"
wait_for 30 drained && ok "forwarded" || bad "not drained"
r=$(report now keys_out | python3 -c "import json,sys; print([(r['contact'], r['signature']) for r in json.load(sys.stdin) if r['loan']==$L2])")
[ "$r" = "[('*******5678', 'SIG-77')]" ] && ok "Now, keys out: contact *******5678 (masked), signature SIG-77" || bad "keys out: $r"
if sqlite3 "$T/keycab.db" "SELECT body FROM outbox" | grep -q -e 13712345678 -e E7654321 ||
	audit "SELECT body FROM events" | grep -q -e 13712345678 -e E7654321; then
	bad "a phone or ID number in clear in an event"; else ok "no phone or ID number in clear in any event, at either end"; fi

echo "== the key log of a unit has its key's ID and take events"
ids=$(report keylog events "unit=HY-1-101" | python3 -c "import json,sys; print(' '.join(r['type'] for r in json.load(sys.stdin)))")
echo "       HY-1-101: $ids"
for t in id.held id.released release.taken release.not_taken; do
	case " $ids " in *" $t "*) ok "  ... $t" ;; *) bad "  ... no $t in the unit's key log" ;; esac
done
put A01 0x1001
wait_key K-HY-1-101 in && ok "key back" || bad "key not back"

echo "== an inspection: the inspector is the engineer who borrowed the key"
expect 0 "S01 lends vacant K-HY-1-108 to E01" as S01 kc --json release K-HY-1-108 --purpose inspection --borrower E01 --due-in 1h
L3=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["loan"])' <<<"$OUT")
SLOT=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["slot"])' <<<"$OUT")
TAG=$(sqlite3 "$T/keycab.db" "SELECT printf('0x%x', tag) FROM keys WHERE code = 'K-HY-1-108'")
take "$SLOT"; wait_key K-HY-1-108 out
put "$SLOT" "$TAG"; wait_key K-HY-1-108 in && ok "back in $SLOT" || bad "not back"
expect 0 "S01 records the result" as S01 kc inspect "$L3" --result ok
wait_for 30 drained && ok "forwarded" || bad "not drained"
r=$(audit "SELECT inspector || ' ' || actor FROM inspections WHERE loan = $L3")
[ "$r" = "E01 S01" ] && ok "the service's inspection: inspector E01, recorded by S01" || bad "inspection: $r"

echo "== a handover is reviewed once, at the cabinet or at the office, whichever signs first"
review_api() { # HANDOVER: the office's review through the API; the status, its answer in $T/review.json
	curl -s -o "$T/review.json" -w '%{http_code}' -u sup:sup-password-1 -H 'Content-Type: application/json' \
		-d "{\"cabinet\":\"demo-desk\",\"handover\":$1}" "$URL/api/v1/handovers/review"
}
reviews() { # HANDOVER: [(reviewed_by, reviewed_at)] from the office's handovers report
	report handovers handovers | python3 -c "import json,sys; print([(r['reviewed_by'], r['reviewed_at']) for r in json.load(sys.stdin) if r['handover']==$1])"
}
expect 0 "S01 starts a handover" as S01 kc --json handover start
HO=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["handover"])' <<<"$OUT")
expect 0 "S02 confirms it" as S02 kc handover confirm "$HO"
expect 0 "Q01 reviews and signs it at the cabinet" as Q01 kc handover review "$HO"
wait_for 30 drained && ok "forwarded" || bad "not drained"
r=$(reviews "$HO")
[ "$r" = "[('Q01', 'cabinet')]" ] && ok "the office's handovers report: reviewed by Q01 at the cabinet" || bad "handovers report: $r"
st=$(review_api "$HO")
[ "$st" = 409 ] && grep -q "Q01" "$T/review.json" &&
	ok "the office's review of it: 409, naming the cabinet's review ($(tr -d '\n' <"$T/review.json"))" ||
	bad "office review of a reviewed handover: $st $(cat "$T/review.json")"
expect 0 "S02 starts a second handover" as S02 kc --json handover start
HO2=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["handover"])' <<<"$OUT")
expect 0 "S01 confirms it" as S01 kc handover confirm "$HO2"
wait_for 30 drained
st=$(review_api "$HO2")
[ "$st" = 200 ] && ok "the office reviews the second at the office: 200" || bad "office review: $st $(cat "$T/review.json")"
r=$(reviews "$HO2")
[ "$r" = "[('sup', 'office')]" ] && ok "  ... reviewed by sup at the office" || bad "  ... $r"
expect 0 "Q01 signs the second at the cabinet too (the cabinet decides offline)" as Q01 kc handover review "$HO2"
wait_for 30 drained && ok "forwarded" || bad "not drained"
r=$(reviews "$HO2")
[ "$r" = "[('sup', 'office')]" ] && ok "  ... one review shown, the first to arrive (the office's)" || bad "  ... $r"

echo "== the service's report tables are what its events give"
out=$(kad verify-chain demo-desk 2>&1) && ok "verify-chain: $(tr '\n' ' ' <<<"$out")" || bad "verify-chain: $out"
chain_ok >/dev/null && ok "the cabinet's outbox chain is unbroken" || bad "outbox chain broken"
kc_finish
