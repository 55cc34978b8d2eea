#!/usr/bin/env bash
# Personal data at rest, against a real keycabd on keycab-sim: ID numbers
# and card ids are stored only as hashes keyed with a secret kept outside
# the database (a key file created by --init-db, readable by keycabd
# only); the database files are private whatever the umask; keycabd will
# not start without its key, with a key others may read, or with another
# key than the database's.
source "$KEYCAB_SRC/tests/controller/lib.sh"
umask 000
ID=11010119850202236X CARD=CARD-0077-5521 LEGACY_CARD=CARD-0042-0042
kc_cabinet
kc_config
mkdir -m 700 "$T/secret"
printf '[database]\nkey_file = %s\n' "$T/secret/hash.key" >>"$T/keycabd.conf"
sim_start
mode() { stat -c %a "$1"; }
db() { sqlite3 "$T/keycab.db" "$@"; }

echo "== files, with umask 000"
expect 0 "keycabd --init-db" "$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db
for f in keycab.db secret/hash.key; do
	[ -f "$T/$f" ] && [ "$(mode "$T/$f")" = 600 ] && ok "$f created 0600" || bad "$f: $(ls -l "$T/$f" 2>&1)"
done
[ "$(stat -c %s "$T/secret/hash.key")" = 32 ] && ok "the key is 32 bytes" || bad "key size $(stat -c %s "$T/secret/hash.key")"
kcd_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
ok "estate imported (owners with ID numbers)"
for f in keycab.db keycab.db-wal keycab.db-shm; do
	[ -f "$T/$f" ] && [ "$(mode "$T/$f")" = 600 ] && ok "$f is 0600" || bad "$f: $(ls -l "$T/$f" 2>&1)"
done

echo "== keyed hashes"
S=$(token S01 1111) || { bad "login S01"; exit 1; }
expect 0 "a staff member with a card" sh -c "printf '4321\n$CARD\n' | '$KEYCAB_BIN/keycab' person add S07 --name 'Card User' --role staff --pin-stdin --card-stdin"
expect 0 "login with the card" sh -c "echo $CARD | '$KEYCAB_BIN/keycab' login --card-stdin --print-token"
stored_id=$(db "SELECT id_hash FROM owners WHERE code='O02'")
stored_card=$(db "SELECT card_hash FROM people WHERE code='S07'")
echo "       stored: ID $stored_id, card $stored_card"
# every unkeyed hash of the ID or card an attacker could try against a copy
unkeyed=$(python3 - "$ID" "$CARD" <<'PY'
import hashlib, sys
for v in sys.argv[1:]:
    for s in {v, v.lower(), v.upper()}:
        b = s.encode()
        for h in (hashlib.sha256(b), hashlib.sha512(b), hashlib.blake2b(b, digest_size=32),
                  hashlib.blake2b(b), hashlib.sha1(b), hashlib.md5(b)):
            print(h.hexdigest())
PY
)
found=0
for h in $unkeyed; do
	db .dump | grep -qi "$h" && { found=1; bad "an unkeyed hash in the database: $h"; }
done
[ $found = 0 ] && ok "no unkeyed hash (SHA-256, SHA-512, BLAKE2b, SHA-1, MD5) of the ID or card in the database"
case $stored_id in '$argon2id$'*|'') bad "the ID hash is not keyed: $stored_id" ;; *) ok "the ID hash is keyed" ;; esac
expect 0 "the right key still matches: O02 collects with the ID" \
	sh -c "echo $ID | KEYCAB_SESSION=$S '$KEYCAB_BIN/keycab' collect K-HY-1-102 --signature COL-1 --id-stdin"
refused 8 "another ID does not match" \
	sh -c "echo 110101199001011114 | KEYCAB_SESSION=$S '$KEYCAB_BIN/keycab' collect K-HY-1-101 --signature COL-2 --id-stdin"

echo "== a card registered before keyed hashes"
legacy=$(printf '%s' "$LEGACY_CARD" | sha256sum | cut -d' ' -f1)
db "INSERT INTO people (code, name, role, card_hash) VALUES ('S08', 'Old Card', 'staff', '$legacy')"
expect 0 "login with a card stored as a plain SHA-256" sh -c "echo $LEGACY_CARD | '$KEYCAB_BIN/keycab' login --card-stdin --print-token"
now=$(db "SELECT card_hash FROM people WHERE code='S08'")
[ -n "$now" ] && [ "$now" != "$legacy" ] && ok "  ... its hash is keyed now" || bad "  ... card hash still $now"
expect 0 "login with it again" sh -c "echo $LEGACY_CARD | '$KEYCAB_BIN/keycab' login --card-stdin --print-token"

echo "== nothing in clear"
for f in "$T"/keycab.db* "$T/keycabd.log"; do
	if grep -a -q -i -e "$ID" -e "$CARD" -e "$LEGACY_CARD" -e 110101198001011232 "$f"; then
		bad "an ID or card in clear in $(basename "$f")"; else ok "no ID or card in clear in $(basename "$f")"; fi
done
db "SELECT body FROM outbox" | grep -q -i -e "$ID" -e "$CARD" -e "$stored_id" -e "$stored_card" &&
	bad "an ID, card or their hash in an event" || ok "no ID, card or hash in the outbox"
kcd_stop

echo "== keycabd's key"
rows() { db "SELECT (SELECT count(*) FROM outbox) || '/' || (SELECT count(*) FROM people) || '/' || (SELECT group_concat(card_hash) FROM people)"; }
before=$(rows)
no_start() { # no_start DESC PATTERN
	local rc
	"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" >"$T/start.log" 2>&1 &
	local pid=$!
	( sleep 10; kill $pid 2>/dev/null ) &
	wait $pid && rc=0 || rc=$?
	if [ "$rc" != 0 ] && grep -q -- "$2" "$T/start.log"; then
		ok "$1: $(grep -m1 -- "$2" "$T/start.log")"
	else bad "$1: exit $rc, log: $(cat "$T/start.log")"; fi
}
chmod 644 "$T/secret/hash.key"
no_start "a key others may read" "chmod 600"
chmod 640 "$T/secret/hash.key"
no_start "a key the group may read" "chmod 600"
chmod 600 "$T/secret/hash.key"
mv "$T/secret/hash.key" "$T/hash.key.saved"
no_start "no key" "no key file"
head -c 32 /dev/urandom >"$T/secret/hash.key"
chmod 600 "$T/secret/hash.key"
no_start "another key" "not the key of this database"
head -c 16 /dev/urandom >"$T/secret/hash.key"
no_start "a key of 16 bytes" "32 bytes"
[ "$(rows)" = "$before" ] && ok "the database is unchanged" || bad "rows $(rows), were $before"
mv "$T/hash.key.saved" "$T/secret/hash.key"
kcd_start
ok "keycabd starts with its own key"
expect 0 "the card still logs in" sh -c "echo $CARD | '$KEYCAB_BIN/keycab' login --card-stdin --print-token"
kc_finish
