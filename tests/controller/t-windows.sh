#!/usr/bin/env bash
# Release windows at their limit, on keycab-sim: a cabinet of 70 slots,
# 64 releases open at once (KC_MAX_WINDOWS), then a 65th. The 65th is
# refused (rule 10) before anything is granted or opened: its coil never
# goes on, no loan is left 'granted', the key stays in. A tag above 2^31
# shows in `keycab slots` as itself.
source "$KEYCAB_SRC/tests/controller/lib.sh"
N=70
SIM_PORT=$(free_port)
{
	printf '[cabinet]\nid = wide-desk\nscan_ms = 20\ndebounce = 2\npulse_ms = 10000\n\n'
	printf '[board wide]\ntype = modbus-tcp\nhost = 127.0.0.1\nport = %s\nunit = 1\nprofile = generic\n\n' "$SIM_PORT"
	for i in $(seq 1 $N); do
		printf '[slot W%02d]\nboard = wide\nlock = %d\nsense = %d\n' "$i" $((i - 1)) $((i - 1))
		[ "$i" = 1 ] && printf 'tag = 0\n'
		printf '\n'
	done
} >"$T/cabinet.conf"
KC_WINDOW=30s kc_config
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start

printf 'code,name,age\nWD,Wide estate,old\n' >"$T/sites.csv"
printf 'code,site,building,room,vacant\n' >"$T/units.csv"
printf 'code,unit,kind,slot,tag\n' >"$T/keys.csv"
for i in $(seq 1 $N); do
	printf 'WD-%02d,WD,1,%02d,yes\n' "$i" "$i" >>"$T/units.csv"
	tag=
	[ "$i" = 1 ] && tag=0xDEADBEEF
	printf 'K-%02d,WD-%02d,vacant,W%02d,%s\n' "$i" "$i" "$i" "$tag" >>"$T/keys.csv"
done
for t in sites units keys; do kc import "$t" "$T/$t.csv" >/dev/null || bad "import $t"; done
printf '1111\n' | kc person add S01 --name "Staff One" --role staff --pin-stdin >/dev/null || bad "person S01"
printf '3333\n' | kc person add E01 --name "Engineer One" --role engineer --pin-stdin >/dev/null || bad "person E01"
sim insert W01 0xDEADBEEF >/dev/null
for i in $(seq 2 $N); do sim insert "$(printf 'W%02d' "$i")" >/dev/null; done
keys_in() { kc keys --json | python3 -c 'import json,sys; print(sum(k["state"]=="in" for k in json.load(sys.stdin)["keys"]))'; }
for _ in $(seq 1 200); do [ "$(keys_in)" = $N ] && break; sleep 0.05; done
[ "$(keys_in)" = $N ] && ok "$N keys in their slots" || { bad "only $(keys_in) keys in"; kc_finish; }

tag=$(kc slots --json | python3 -c 'import json,sys; print([s["tag"] for s in json.load(sys.stdin)["slots"] if s["slot"]=="W01"][0])')
[ "$tag" = 3735928559 ] && ok "keycab slots shows tag 0xDEADBEEF as $tag" || bad "keycab slots shows tag 0xDEADBEEF as $tag"

S=$(token S01 1111) || { bad "login S01"; kc_finish; }
granted=0
for i in $(seq 1 64); do
	KEYCAB_SESSION=$S kc release "$(printf 'K-%02d' "$i")" --purpose inspection --borrower E01 --due-in 2h >/dev/null &&
		granted=$((granted + 1))
done
[ "$granted" = 64 ] && ok "64 releases open at once" || bad "$granted of 64 releases granted"
sim clear-history >/dev/null
refused 10 "a 65th release while 64 windows are open" env KEYCAB_SESSION="$S" "$KEYCAB_BIN/keycab" release K-65 --purpose inspection --borrower E01 --due-in 2h
has "the refusal says why" "releases are open at once" "$ERR"
sleep 0.5
[ "$(sim coil W65)" = "OK off" ] && [ "$(sim history W65)" = "OK" ] && ok "slot W65 never opened" || bad "slot W65: $(sim coil W65) $(sim history W65)"
loans=$(kc loans --json)
python3 - "$loans" <<'PY' && ok "no loan of K-65; 64 loans granted" || bad "loans after the 65th: $loans"
import json, sys
loans = json.loads(sys.argv[1])["loans"]
sys.exit(0 if not [l for l in loans if l["key"] == "K-65"] and len(loans) == 64 else 1)
PY
state=$(kc keys --json | python3 -c 'import json,sys; print([k["state"] for k in json.load(sys.stdin)["keys"] if k["key"]=="K-65"][0])')
[ "$state" = in ] && ok "K-65 stays in" || bad "K-65 is $state"
events=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox WHERE body LIKE '%"release.refused"%' AND body LIKE '%"K-65"%'" 2>/dev/null)
[ "$events" = 1 ] && ok "the refusal is an event (release.refused)" || bad "release.refused events of K-65: $events"
kc_finish
