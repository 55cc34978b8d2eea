#!/usr/bin/env bash
# The walk of one release (by hand, not in make bench): keycabd built with
# -finstrument-functions and hook.c, one release of a vacant key through
# it, and walk.py's count of the files it enters. From the checkout:
#   bash bench/walk/run.sh          (builds into /tmp/keycab-walk)
# KEYCAB_BIN: the normal build's programs (keycab-sim, keycab).
set -u
KEYCAB_SRC=${KEYCAB_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
KEYCAB_BIN=${KEYCAB_BIN:-$KEYCAB_SRC/build/bin}
W=${WALK_BUILD:-/tmp/keycab-walk}
mkdir -p "$W"
cc -O2 -c -o "$W/hook.o" "$KEYCAB_SRC/bench/walk/hook.c" || exit 1
make -C "$KEYCAB_SRC" -j2 BUILD="$W/b" CFLAGS="-O2 -g -finstrument-functions" \
	LDFLAGS="$W/hook.o -ldl" "$W/b/bin/keycabd" >"$W/build.log" 2>&1 || { tail "$W/build.log"; exit 1; }
WALK_KCD=$W/b/bin/keycabd
WALK_OUT=$W/trace
export KEYCAB_SRC KEYCAB_BIN
source "$KEYCAB_SRC/tests/controller/lib.sh"
kc_cabinet
kc_config
sim_start
"$WALK_KCD" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
rm -f "$WALK_OUT"
KC_WALK=$WALK_OUT "$WALK_KCD" -c "$T/keycabd.conf" --test-clock >>"$T/keycabd.log" 2>&1 &
KCD_PID=$!
wait_for 15 kc ping || { echo "keycabd did not start"; tail -20 "$T/keycabd.log"; exit 1; }
printf 'code,name,age\nB,Bench,new\n' >"$T/sites.csv"
printf 'code,site,vacant\nU01,B,yes\n' >"$T/units.csv"
printf 'code,unit,kind,slot,tag\nK01,U01,vacant,A01,8193\n' >"$T/keys.csv"
for t in sites units keys; do kc import $t "$T/$t.csv" >/dev/null || exit 1; done
echo 1234 | kc person add S01 --name Bench --role staff --pin-stdin >/dev/null
sim insert A01 8193 >/dev/null
wait_for 20 bash -c "[ \$(sqlite3 '$T/keycab.db' \"SELECT count(*) FROM keys WHERE state='in'\") = 1 ]" || { echo "key not in"; exit 1; }
sleep 0.5
python3 - <<'PY'
import json, os, socket
sock = os.environ["KEYCAB_SOCKET"]
def req(o):
    s = socket.socket(socket.AF_UNIX); s.connect(sock)
    s.sendall((json.dumps(o) + "\n").encode())
    buf = b""
    while not buf.endswith(b"\n"):
        buf += s.recv(65536)
    s.close()
    return json.loads(buf)
r = req({"op": "login", "person": "S01", "pin": "1234"})
print(req({"op": "release", "session": r["session"], "key": "K01", "purpose": "inspection",
           "borrower": "S01", "due_in_s": 3600}))
PY
sleep 1.5
kcd_stop
WALK_SRC=$KEYCAB_SRC python3 "$KEYCAB_SRC/bench/walk/walk.py" "$WALK_KCD" "$WALK_OUT"
WALK_SRC=$KEYCAB_SRC python3 "$KEYCAB_SRC/bench/walk/walk.py" "$WALK_KCD" "$WALK_OUT" --controller
