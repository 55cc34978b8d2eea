#!/usr/bin/env bash
# Phone numbers sealed at the cabinet, against keycab-sim, a real keycabd
# and a real keyauditd: with the office's notice public key in
# keycabd.conf ([notify] notice_public_key), an owner's phone (the demo
# estate's entrustments) and a borrower's contact leave the cabinet only
# masked (phone_masked, owner_phone / contact) and sealed (phone_sealed, a
# libsodium sealed box, opened here with python3-nacl's SealedBox and the
# secret half, which only this test holds); no clear number is in the
# outbox's events, keyauditd's database files, its log, a report's JSON
# or CSV. A wrong key in the file is refused at start.
source "$KEYCAB_SRC/tests/controller/lib.sh"
PY=/usr/bin/python3 # Debian's, with python3-nacl
CONTACT=13700001111
keys=$($PY -c 'import base64, nacl.public as p
k = p.PrivateKey.generate()
print(base64.b64encode(bytes(k)).decode(), base64.b64encode(bytes(k.public_key)).decode())') || { bad "python3-nacl"; exit 1; }
read -r SK PK <<<"$keys"
# the sealed box in $1 opened with the secret key: the number, or an error
open_box() {
	$PY -c 'import base64, sys, nacl.public as p
box = p.SealedBox(p.PrivateKey(base64.b64decode(sys.argv[1])))
print(box.decrypt(base64.b64decode(sys.argv[2])).decode())' "$SK" "$1" 2>&1
}

kc_link_start $'[notify]\nnotice_public_key = '"$PK"
wait_for 30 link_drained && ok "estate imported and forwarded: $(link_st)" || bad "not drained: $(link_st)"

echo "== the owners' phones leave masked and sealed"
PHONES=$(tail -n +2 "$KEYCAB_SRC/tests/demo/estate/owners.csv" | cut -d, -f3 | sort -u)
rows=$(sqlite3 -separator ' ' "$T/keycab.db" "SELECT json_extract(body,'\$.person'), json_extract(body,'\$.data.owner_phone'),
	json_extract(body,'\$.data.phone_masked'), json_extract(body,'\$.data.phone_sealed') FROM outbox
	WHERE json_extract(body,'\$.type') = 'entrustment.registered'")
n=0 good=0
while read -r owner shown masked sealed; do
	[ -n "$owner" ] || continue
	n=$((n + 1))
	want=$(grep "^$owner," "$KEYCAB_SRC/tests/demo/estate/owners.csv" | cut -d, -f3)
	got=$(open_box "$sealed")
	exp=${want:0:3}****${want:7:4}
	if [ "$got" = "$want" ] && [ "$shown" = "$exp" ] && [ "$masked" = "$exp" ]; then
		good=$((good + 1))
	else
		echo "    $owner: owner_phone $shown, phone_masked $masked, sealed opens to $got (want $want)"
	fi
	[ $n = 1 ] && echo "    $owner: owner_phone $shown, phone_masked $masked, phone_sealed ${sealed:0:24}... opens to $got"
done <<<"$rows"
[ "$n" -ge 1 ] && [ "$good" = "$n" ] && ok "$n entrustments: owner_phone and phone_masked 138****NNNN, phone_sealed opens to the number" ||
	bad "$good of $n entrustment events right"

echo "== a borrower's contact"
S01=$(token S01 1111) || { bad "login S01"; exit 1; }
KEYCAB_SESSION=$S01 kc --json release K-HY-1-106 --purpose repair --borrower E01 --work-order WO-77 \
	--contact "$CONTACT" >"$T/release.json" 2>&1
rel=$(sqlite3 -separator ' ' "$T/keycab.db" "SELECT json_extract(body,'\$.data.contact'), json_extract(body,'\$.data.phone_masked'),
	json_extract(body,'\$.data.phone_sealed') FROM outbox WHERE json_extract(body,'\$.type') = 'release.granted'
	ORDER BY seq DESC LIMIT 1")
read -r contact masked sealed <<<"$rel"
got=$(open_box "$sealed")
echo "    release.granted: contact $contact, phone_masked $masked, phone_sealed opens to $got"
[ "$contact" = "*******1111" ] && [ "$masked" = "137****1111" ] && [ "$got" = "$CONTACT" ] &&
	ok "the contact leaves masked, and sealed to the office's key" || bad "release.granted: $rel ($(cat "$T/release.json"))"
wait_for 30 link_drained && ok "forwarded: $(link_st)" || bad "not drained: $(link_st)"

echo "== no clear number at the cabinet's outbox or anywhere at the office"
leaks() { # leaks FILE...: the clear numbers found in the files
	for p in $PHONES $CONTACT; do
		grep -l -a -F "$p" "$@" 2>/dev/null | sed "s|^|$p in |"
	done
}
l=$(sqlite3 "$T/keycab.db" "SELECT body FROM outbox" | leaks -)
[ -z "$l" ] && ok "the outbox's events hold no clear number" || bad "clear numbers in the outbox: $l"
printf '1234-pass-word\n' | "$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" add-user --role supervisor sup >/dev/null 2>&1
port=$(cat "$T/kad.port")
for r in entrustments keylog now; do
	curl -s -u sup:1234-pass-word "http://127.0.0.1:$port/api/v1/reports/$r" >"$T/report-$r.json"
	curl -s -u sup:1234-pass-word "http://127.0.0.1:$port/api/v1/reports/$r?format=csv" >"$T/report-$r.csv"
done
shown=$(cat "$T"/report-*.json | grep -a -o -E '138\*{4}[0-9]{4}' | sort -u | wc -l)
[ "$shown" -ge 1 ] && ok "the reports show owners' phones masked ($shown numbers as 138****NNNN)" ||
	bad "no masked phone in the reports: $(head -c 300 "$T/report-keylog.json")"
sqlite3 "$T/audit.db" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
l=$(leaks "$T"/audit.db* "$T/keyauditd.log" "$T"/report-*)
[ -z "$l" ] && ok "no clear number in keyauditd's database files, its log, the reports (JSON, CSV)" || bad "clear numbers: $l"
n=$(sqlite3 "$T/audit.db" "SELECT count(*) FROM entrustments WHERE phone_sealed IS NOT NULL")
[ "$n" -ge 1 ] && ok "the office keeps the sealed form for the notifier ($n entrustments)" || bad "no phone_sealed at the office"
echo "== a notice public key that is not one: refused at start"
sed "s|^notice_public_key = .*|notice_public_key = not-a-key|" "$T/keycabd.conf" >"$T/bad.conf"
out=$("$KEYCAB_BIN/keycabd" -c "$T/bad.conf" --check-config 2>&1); rc=$?
echo "    $out"
[ $rc -ne 0 ] && [[ "$out" == *"[notify] notice_public_key: \"not-a-key\" is not a notice public key"* ]] &&
	ok "refused with file, line and key" || bad "a bad key taken (exit $rc)"
kc_finish
