#!/usr/bin/env bash
# Bad input and races: bad configuration values, a missing, corrupt or
# newer database, malformed requests, unknown keys and people, rejected
# import rows, two requests racing for one key, wrong PINs and lockouts,
# and a stop in the middle of a release. Each shows its message and that
# nothing was lost (database unchanged, outbox chain intact).
source "$KEYCAB_SRC/tests/controller/lib.sh"
KC_WINDOW=3s
kc_cabinet
kc_config
sim_start

echo "== configuration: each bad value names file, line and key; no start"
bad_conf() { # bad_conf DESC WANT: the config in $T/bad.conf
	local desc=$1 want=$2 out rc
	out=$("$KEYCAB_BIN/keycabd" -c "$T/bad.conf" 2>&1) && rc=0 || rc=$?
	if [ "$rc" != 0 ] && [[ $out == *"$want"* ]]; then ok "$desc: $out"; else bad "$desc (exit $rc): $out"; fi
}
sed 's/^window = .*/window = 2 minutes/' "$T/keycabd.conf" >"$T/bad.conf"
bad_conf "window not a duration" "$T/bad.conf:11: [release] window: \"2 minutes\" is not a duration"
sed 's/^attempts = .*/attempts = -3/' "$T/keycabd.conf" >"$T/bad.conf"
bad_conf "negative lockout attempts" "$T/bad.conf:14: [lockout] attempts"
sed 's/^mode = .*/mode = 0999/' "$T/keycabd.conf" >"$T/bad.conf"
bad_conf "socket mode not octal" "$T/bad.conf:7: [socket] mode"
sed 's|^terminal_key = .*|terminal_key = /nonexistent/terminal.key|' "$T/keycabd.conf" >"$T/bad.conf"
bad_conf "terminal key file missing" \
	"$T/bad.conf:8: [socket] terminal_key: /nonexistent/terminal.key: cannot open it: No such file or directory"
cp "$T/keycabd.conf" "$T/bad.conf"
chmod 0644 "$TERMINAL_KEY"
bad_conf "terminal key readable by others" "$T/bad.conf:8: [socket] terminal_key: $TERMINAL_KEY: others may read it"
chmod 0600 "$TERMINAL_KEY"
sed 's|^forward_key = .*|forward_key = /nonexistent/forward.key|' "$T/keycabd.conf" >"$T/bad.conf"
bad_conf "forward key file missing" \
	"$T/bad.conf:9: [socket] forward_key: /nonexistent/forward.key: cannot open it: No such file or directory"
sed 's|^forward_key = .*|forward_key = forward.key|' "$T/keycabd.conf" >"$T/bad.conf"
bad_conf "forward key not an absolute path" "$T/bad.conf:9: [socket] forward_key: \"forward.key\" must be an absolute path"
printf '[cabinet]\nfile = %s/none.conf\n' "$T" >"$T/bad.conf"
bad_conf "cabinet file missing" "[cabinet] file: "
sed 's/^window = .*/window = 40s/' "$T/keycabd.conf" >"$T/bad.conf"
sed -i 's/^pulse_ms = .*/pulse_ms = 10000\npulse_max_ms = 20000/' "$T/cabinet.conf"
bad_conf "window above the cabinet's pulse_max_ms" "above the cabinet's pulse_max_ms"
sed -i '/^pulse_max_ms/d' "$T/cabinet.conf"
out=$("$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --check-config 2>&1) && ok "--check-config: $out" || bad "--check-config: $out"

echo "== database: missing, corrupt, newer: a clear error and no start"
out=$("$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" 2>&1) && rc=0 || rc=$?
[ "$rc" != 0 ] && [[ $out == *"--init-db"* ]] && ok "missing: $out" || bad "missing database (exit $rc): $out"
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null && ok "--init-db creates it" || bad "--init-db"
out=$("$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db 2>&1) && rc=0 || rc=$?
[ "$rc" != 0 ] && [[ $out == *"already"* ]] && ok "--init-db twice: $out" || bad "--init-db twice: $out"
cp "$T/keycab.db" "$T/good.db"
head -c 8192 /dev/urandom >"$T/keycab.db"
sum=$(sha256sum <"$T/keycab.db")
out=$("$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" 2>&1) && rc=0 || rc=$?
[ "$rc" != 0 ] && [[ $out == *"$T/keycab.db"* ]] && ok "corrupt: $out" || bad "corrupt database (exit $rc): $out"
[ "$(sha256sum <"$T/keycab.db")" = "$sum" ] && ok "the corrupt file is left as it was" || bad "corrupt file changed"
cp "$T/good.db" "$T/keycab.db"
sqlite3 "$T/keycab.db" "PRAGMA user_version = 99"
sum=$(sha256sum <"$T/keycab.db")
out=$("$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" 2>&1) && rc=0 || rc=$?
[ "$rc" != 0 ] && [[ $out == *"newer"* ]] && ok "newer schema: $out" || bad "newer schema (exit $rc): $out"
[ "$(sha256sum <"$T/keycab.db")" = "$sum" ] && ok "the newer database is left as it was" || bad "newer database changed"
cp "$T/good.db" "$T/keycab.db"
rm -f "$T/keycab.db-wal" "$T/keycab.db-shm"

kcd_start
export DEMO_DIR=$T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
S01=$(token S01 1111)
as1() { KEYCAB_SESSION=$S01 "$@"; }

echo "== malformed requests: an error reply, keycabd stays up, nothing changes"
# the first scan's notices come on their own (several, and slowly under the
# sanitizers); let them all come before comparing: the outbox quiet for 1.5 s
wait_for 10 bash -c "[ \$(sqlite3 '$T/keycab.db' 'SELECT count(*) FROM notices') -ge 1 ]"
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
reply() { python3 - "$KEYCAB_SOCKET" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
while not buf.endswith(b"\n"):
    c = s.recv(65536)
    if not c: break
    buf += c
print(buf.decode().strip())
PY
}
for req in 'this is not json' '[1,2,3]' '{"no_op":1}' '{"op":"fly"}' '{"op":"release"}' \
	'{"op":"release","key":7,"purpose":null}' '{"op":"import","table":"moons","rows":[]}' \
	'{"op":"login","person":"S01"}' '{"op":"test.clock","advance_s":"x"}' '{"op":"status","op":"keys"}'; do
	r=$(reply "$req")
	case $r in *'"ok": false'*|*'"ok":false'*) ok "$req -> $r" ;; *) bad "$req -> $r" ;; esac
done
kc ping >/dev/null && ok "keycabd still answers" || bad "keycabd died"
[ "$(dump | sha256sum)" = "$before" ] && ok "database unchanged by malformed requests" || bad "database changed"

echo "== unknown key, person, slot"
refused 0 "release of an unknown key" as1 kc release K-NOPE --purpose inspection --due-in 1h
has "  ... names it" 'no key "K-NOPE"' "$ERR"
refused 0 "login of an unknown person" sh -c "echo 1234 | '$KEYCAB_BIN/keycab' login Z99 --pin-stdin"
refused 0 "entrust to an unknown owner" kc entrust K-HY-1-104 --owner O99 --end 2030-01-01
refused 0 "entrust a vacant key" kc entrust K-HY-1-104 --owner O01 --end 2030-01-01
refused 0 "a second open entrustment" kc entrust K-HY-1-101 --owner O01 --end 2030-01-01
expect 2 "a bad due time (usage)" as1 kc release K-HY-1-108 --purpose inspection --due-in soon
expect 1 "a due time that is no date" as1 kc release K-HY-1-108 --purpose inspection --due 2026-13-45
cat >"$T/keys-bad.csv" <<'CSV'
code,unit,kind,slot,tag
K-NEW-1,HY-1-109,vacant,Z99,
K-NEW-2,HY-1-109,vacant,A01,
K-NEW-3,NOPE,vacant,C08,
K-NEW-4,HY-1-109,spare,C08,
K-NEW-5,HY-1-109,vacant,C08,0x1001
K-HY-1-101,HY-1-101,vacant,C08,
CSV
expect 1 "an import with bad rows" kc import keys "$T/keys-bad.csv"
echo "$OUT"
has "  ... unknown slot" "keys-bad.csv:2: slot: the cabinet has no slot \"Z99\"" "$OUT"
has "  ... slot taken" "keys-bad.csv:3: slot: slot A01 is the home of another key" "$OUT"
has "  ... unknown unit" "keys-bad.csv:4: unit: no unit \"NOPE\"" "$OUT"
has "  ... bad kind" "keys-bad.csv:5: kind: must be entrusted" "$OUT"
has "  ... tag taken" "keys-bad.csv:6: tag: tag 0x1001 belongs to another key" "$OUT"
has "  ... duplicate key" "keys-bad.csv:7: slot: slot C08 is the home of another key" "$OUT"
expect 1 "the same import, LANG=zh_CN.UTF-8" env LANG=zh_CN.UTF-8 "$KEYCAB_BIN/keycab" import keys "$T/keys-bad.csv"
has "  ... each row's reason in Chinese" "keys-bad.csv:2: 钥匙位（slot）：本柜没有“Z99”号格" "$OUT"
has "  ... the tag" "keys-bad.csv:6: 标签（tag）：标签 0x1001 已属于另一把钥匙" "$OUT"
expect 1 "the same import, --json" kc --json import keys "$T/keys-bad.csv"
python3 - "$OUT" <<'PY' && ok "  ... each rejected row with its code, params, line and English reason" || bad "  ... $OUT"
import json, sys
rows = json.loads(sys.argv[1])["rejected"]
assert [r["code"] for r in rows] == ["import_row_slot_unknown", "import_row_slot_taken", "import_row_key_unit_unknown",
                                     "import_row_kind_bad", "import_row_tag_taken", "import_row_slot_taken"], rows
assert rows[0]["params"] == {"slot": "Z99"} and rows[0]["line"] == 2, rows[0]
assert rows[0]["reason"] == 'slot: the cabinet has no slot "Z99"', rows[0]
PY
# every check of a site, unit and owner row, each rejected by its own
# message in the order the checks run; the good rows are added
printf 'code,name,age\nbad code!,X,new\nS-N,,new\nS-A,Site,middle\nHY,Again,new\nS-OK,Site,old\n' >"$T/sites-bad.csv"
printf 'code,site,vacant\nbad code!,HY,no\nU-S,NOPE,no\nU-N,,no\nU-V,HY,maybe\nHY-1-101,HY,no\nU-OK,HY,yes\n' >"$T/units-bad.csv"
printf 'code,name,phone,unit,id_type,id_number\nbad code!,N,1,,passport,E1234567\nO-N,,1,,passport,E1234567\nO-U,N,1,NOPE,passport,E1234567\nO-T,N,1,,,E1234567\nO01,N,1,,passport,E1234567\nO-OK,N,1,U-OK,passport,E1234567\n' >"$T/owners-bad.csv"
for t in sites units owners; do
	expect 1 "an import of $t with bad rows" kc --json import $t "$T/$t-bad.csv"
	cp /dev/null "$T/$t-out.json"
	printf '%s' "$OUT" >"$T/$t-out.json"
done
python3 - "$T" <<'PY' && ok "  ... each row rejected by its check, in order, with its params; the good rows added" || bad "  ... $(cat "$T"/*-out.json)"
import json, sys
T = sys.argv[1]
want = {
    "sites": (["import_row_code_bad", "import_row_name_bad", "import_row_age_bad", "import_row_site_exists"],
              [None, None, None, {"site": "HY"}]),
    "units": (["import_row_code_bad", "import_row_site_unknown", "import_row_site_unknown",
               "import_row_vacant_bad", "import_row_unit_exists"],
              [None, {"site": "NOPE"}, {"site": ""}, None, {"unit": "HY-1-101"}]),
    "owners": (["import_row_code_bad", "import_row_name_bad", "import_row_unit_unknown",
                "import_row_id_type_missing", "import_row_owner_exists"],
               [None, None, {"unit": "NOPE"}, None, {"owner": "O01"}]),
}
for t, (codes, params) in want.items():
    rep = json.load(open("%s/%s-out.json" % (T, t)))
    rows = rep["rejected"]
    assert [r["code"] for r in rows] == codes, (t, rows)
    for r, p in zip(rows, params):
        assert r.get("params", {}) == (p or {}) or (p is None and not r.get("params")), (t, r, p)
    assert [r["line"] for r in rows] == list(range(2, 2 + len(codes))), (t, rows)
    assert rep["added"] == 1, (t, rep)
PY
printf 'code,name\n"broken,x\n' >"$T/broken.csv"
expect 1 "a CSV that does not parse" kc import sites "$T/broken.csv"
has "  ... names file and line" "broken.csv:2: a quoted field is not closed" "$ERR"

echo "== two requests for one key: one wins, the other is refused"
for key in K-HY-1-108 K-HY-2-105 K-LJ-3-202 K-LJ-3-207 K-LJ-5-103; do
	as1 kc release $key --purpose inspection --borrower E01 --due-in 1h >"$T/r1" 2>&1 & p1=$!
	as1 kc release $key --purpose inspection --borrower E02 --due-in 1h >"$T/r2" 2>&1 & p2=$!
	wait $p1 && a=0 || a=$?
	wait $p2 && b=0 || b=$?
	if { [ $a = 0 ] && [ $b = 3 ]; } || { [ $a = 3 ] && [ $b = 0 ]; }; then
		ok "$key: one granted, one refused: $(grep -h REFUSED "$T/r1" "$T/r2")"
	else bad "$key: exits $a and $b"; cat "$T/r1" "$T/r2"; fi
done
n=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM loans WHERE state IN ('granted','out')")
[ "$n" = 5 ] && ok "exactly 5 loans open" || bad "$n loans open"

echo "== wrong PINs: a lockout after 5, each one longer"
for i in 1 2 3 4; do echo 0000 | kc login S02 --pin-stdin >/dev/null 2>&1; done
refused 1 "the 5th wrong PIN locks S02 out" sh -c "echo 0000 | '$KEYCAB_BIN/keycab' login S02 --pin-stdin"
has "  ... says until when" "locked out until" "$ERR"
refused 1 "the right PIN while locked out" sh -c "echo 2222 | '$KEYCAB_BIN/keycab' login S02 --pin-stdin"
sleep 2.2
for i in 1 2 3 4 5; do echo 0000 | kc login S02 --pin-stdin >/dev/null 2>&1; done
durs=$(sqlite3 "$T/keycab.db" "SELECT json_extract(body,'\$.data.locked_until'), json_extract(body,'\$.ts') FROM outbox WHERE json_extract(body,'\$.type')='operator.login_failed' AND json_extract(body,'\$.data.locked_until') IS NOT NULL" |
	python3 -c '
import sys, datetime
f = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
print(" ".join(str(round((f(a) - f(b)).total_seconds())) for a, b in (l.strip().split("|") for l in sys.stdin)))')
[ "$durs" = "2 4" ] && ok "lockouts of 2 s then 4 s" || bad "lockout lengths: $durs"
sleep 4.2
expect 0 "the right PIN after the lockout" sh -c "echo 2222 | '$KEYCAB_BIN/keycab' login S02 --pin-stdin"

echo "== sessions"
expect 0 "S01 logs out" as1 kc logout
refused 1 "the ended session is refused" as1 kc release K-HY-1-104 --purpose inspection --due-in 1h

echo "== a stop during a release leaves every slot locked and the database consistent"
S01=$(token S01 1111)
expect 0 "K-HY-1-104 released" as1 kc release K-HY-1-104 --purpose inspection --borrower E01 --due-in 1h
wait_coil A08 on && ok "A08 open"
kcd_stop && ok "keycabd stopped by SIGTERM (exit 0)" || bad "keycabd exit on SIGTERM"
wait_coil A08 off && ok "every lock off after the stop" || bad "A08 still on"
chain_ok && ok "outbox chain intact" || bad "chain broken"
[ "$(sqlite3 "$T/keycab.db" "PRAGMA quick_check")" = ok ] && ok "quick_check ok" || bad "quick_check"
kcd_start
wait_key K-HY-1-104 in && ok "after restart the untaken release is closed; key in" || bad "K-HY-1-104 state"
[ "$(events controller.stopping)" = 1 ] && ok "controller.stopping event" || bad "no controller.stopping"

echo "== a session ends after its idle timeout"
kcd_stop
sed -i 's/^idle_timeout = .*/idle_timeout = 2s/' "$T/keycabd.conf"
kcd_start
S01=$(token S01 1111)
expect 0 "a fresh session works" as1 kc whoami
sleep 3
refused 1 "3 s later, past the 2 s idle timeout" as1 kc release K-HY-1-104 --purpose inspection --due-in 1h
has "  ... says why" "idle" "$ERR"
kc_finish
