#!/usr/bin/env bash
# Crash test: 500 release/return cycles (fewer under SANITIZE=1, where all
# runs ~3x slower) with keycabd killed by SIGKILL at ~50 random moments
# and restarted each time. Afterwards: no coil stayed on past its bound
# (keycab-sim's history), the database passes quick_check and the custody
# invariants, and the outbox holds every event once with an unbroken chain.
source "$KEYCAB_SRC/tests/controller/lib.sh"
KC_WINDOW=1s
if [ "${SANITIZE:-0}" = 1 ]; then
	: "${CRASH_CYCLES:=150}" "${CRASH_KILLS:=20}"
fi
export CRASH_CYCLES=${CRASH_CYCLES:-500} CRASH_KILLS=${CRASH_KILLS:-50}
export CRASH_SEED=${CRASH_SEED:-$RANDOM}
kc_cabinet
kc_config
sed -i 's/^grace = .*/grace = 500ms/' "$T/keycabd.conf"
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start
export DEMO_DIR=$T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
kcd_stop
sim clear-history >/dev/null

echo "crash test: $CRASH_CYCLES cycles, $CRASH_KILLS kills, seed $CRASH_SEED"
KCD_CONF=$T/keycabd.conf CAB_CONF=$T/cabinet.conf DB=$T/keycab.db KCD_LOG=$T/keycabd.log \
	python3 "$KEYCAB_SRC/tests/controller/crash.py" || { bad "the driver failed"; tail -30 "$T/keycabd.log"; exit 1; }

echo "== coils: every pulse within the window (1 s) plus 1 s"
for s in A07 A08 B01 B02 B03 C04 C05 C06; do
	h=$(sim history $s)
	python3 - "$h" <<'PY' && ok "$s: $(wc -w <<<"$h") coil changes, all bounded" || bad "$s: $h"
import sys
parts = sys.argv[1].split()[1:]
on = None
for p in parts:
    what, t = p.split("@")
    if what == "ON":
        on = int(t)
    elif on is not None:
        if int(t) - on > 2000000:
            print("pulse of %d us" % (int(t) - on)); sys.exit(1)
        on = None
sys.exit(1 if on is not None else 0)
PY
done

echo "== database: quick_check and the custody invariants"
q() { sqlite3 "$T/keycab.db" "$1"; }
[ "$(q 'PRAGMA quick_check')" = ok ] && ok "quick_check ok" || bad "quick_check"
check() { # check DESC SQL-that-counts-violations
	local n
	n=$(q "$2")
	[ "$n" = 0 ] && ok "$1" || bad "$1: $n violations"
}
check "no key both in and out (in, with a loan open)" \
	"SELECT count(*) FROM keys k WHERE k.state = 'in' AND EXISTS (SELECT 1 FROM loans l WHERE l.key = k.code AND l.state IN ('granted','out'))"
check "every key out has exactly one loan out" \
	"SELECT count(*) FROM keys k WHERE k.state = 'out' AND (SELECT count(*) FROM loans l WHERE l.key = k.code AND l.state = 'out') != 1"
check "every key in has a slot; every key out has none" \
	"SELECT count(*) FROM keys WHERE (state = 'in' AND slot IS NULL) OR (state = 'out' AND slot IS NOT NULL)"
check "no loan granted is left open after the stop" \
	"SELECT count(*) FROM loans WHERE state = 'granted' AND key IN (SELECT code FROM keys WHERE state != 'releasing')"
check "every open borrow loan has its ID held" \
	"SELECT count(*) FROM loans l WHERE l.state = 'out' AND l.purpose = 'borrow' AND NOT EXISTS (SELECT 1 FROM ids_held i WHERE i.loan = l.id AND i.released_ms IS NULL)"
check "every loan has exactly one release.granted event" \
	"SELECT count(*) FROM loans l WHERE (SELECT count(*) FROM outbox WHERE json_extract(body,'\$.type') = 'release.granted' AND json_extract(body,'\$.data.loan') = l.id) != 1"
check "every release.granted event has its loan" \
	"SELECT count(*) FROM outbox o WHERE json_extract(body,'\$.type') = 'release.granted' AND NOT EXISTS (SELECT 1 FROM loans l WHERE l.id = json_extract(o.body,'\$.data.loan'))"
check "every returned loan has one loan.returned event" \
	"SELECT count(*) FROM loans l WHERE l.state = 'returned' AND (SELECT count(*) FROM outbox WHERE json_extract(body,'\$.type') = 'loan.returned' AND json_extract(body,'\$.data.loan') = l.id) != 1"
check "every loan not taken has one release.not_taken event" \
	"SELECT count(*) FROM loans l WHERE l.state = 'not_taken' AND (SELECT count(*) FROM outbox WHERE json_extract(body,'\$.type') = 'release.not_taken' AND json_extract(body,'\$.data.loan') = l.id) != 1"
check "the outbox holds every event from 1 to the chain's last" \
	"SELECT (SELECT last_seq FROM chain) - (SELECT count(*) FROM outbox)"
n=$(q "SELECT count(*) FROM loans"); echo "       $n loans, $(q "SELECT count(*) FROM loans WHERE state='returned'") returned, $(q "SELECT count(*) FROM loans WHERE state='not_taken'") not taken"

echo "== the keys as the slots see them"
for k in K-HY-1-103:A07 K-HY-1-104:A08 K-HY-1-108:B01 K-HY-2-102:B02 K-HY-2-105:B03 K-LJ-5-103:C04 K-LJ-5-106:C05 K-HY-2-109:C06; do
	st=$(q "SELECT state FROM keys WHERE code = '${k%%:*}'")
	pr=$(sim state | tr ' ' '\n' | grep "^${k#*:}=" | grep -c present)
	{ [ "$st" = in ] && [ "$pr" = 1 ]; } && ok "${k%%:*} in, and its slot reads it" || bad "${k%%:*}: $st, present=$pr"
done

echo "== outbox: every event once, in order, chain unbroken"
chain_ok && ok "kc_event_check over the whole outbox" || bad "chain"
kc_finish
