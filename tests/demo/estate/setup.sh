#!/usr/bin/env bash
# Imports the demo estate into a fresh keycabd: two sites (one new, one
# old), 40 units, 9 owners, 24 keys of every kind, six people, and the
# owners' entrustments; then puts every key in its slot on keycab-sim.
# Env: KEYCAB_BIN, KEYCAB_SOCKET, SIM_CONTROL (and DEMO_DIR, unused here).
# Runs as root or keycabd's own user: the socket's "console" may import.
set -euo pipefail
: "${KEYCAB_BIN:?}" "${KEYCAB_SOCKET:?}" "${SIM_CONTROL:?}"
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/demo/narrate.sh
source "$here/../narrate.sh"
kc() { "$KEYCAB_BIN/keycab" "$@"; }
simctl() { "$here/../../simctl.py" "$@" >/dev/null; }

for t in sites units owners keys; do
	kc import "$t" "$here/$t.csv"
done

# People at the desk. Demo PINs: S01 1111, S02 2222, E01 3333, E02 4444,
# M01 5555, Q01 6666 (read from stdin, never on the command line).
add() { printf '%s\n' "$5" | kc person add "$1" --name "$2" --role "$3" --phone "$4" --pin-stdin >/dev/null; }
add S01 "王芳 Wang Fang" staff 13900000001 1111
add S02 "李娜 Li Na" staff 13900000002 2222
add E01 "张伟 Zhang Wei" engineer 13900000003 3333
add E02 "黄磊 Huang Lei" engineer 13900000004 4444
add M01 "陈经理 Manager Chen" manager 13900000005 5555
add Q01 "杨主管 Supervisor Yang" supervisor 13900000006 6666
msg "6 people added (staff S01 S02, engineers E01 E02, manager M01, supervisor Q01)"

# Every key into its slot; A-slots read key tags.
while IFS=, read -r code unit kind slot tag; do
	[ "$code" = code ] && continue
	simctl insert "$slot" "${tag:-0}"
done <"$here/keys.csv"
for _ in $(seq 1 200); do
	n=$(kc keys --json | python3 -c 'import json,sys; print(sum(k["state"]=="in" for k in json.load(sys.stdin)["keys"]))')
	[ "$n" = 24 ] && break
	sleep 0.05
done
if [ "$n" != 24 ]; then
	msg "setup: only %s of 24 keys are seen in their slots" "$n"
	exit 1
fi
msg "24 keys in their slots"

day() { date -u -d "$1 days" +%Y-%m-%d; }
# one entrustment ended yesterday: its key now goes only to its owner
kc entrust K-HY-2-104 --owner O09 --start "$(day -30)" --end "$(day -1)"
kc entrust K-HY-1-101 --owner O01 --end "$(day 60)"
kc entrust K-HY-1-102 --owner O02 --end "$(day 3)"
kc entrust K-HY-2-101 --owner O03 --end "$(day 90)"
kc entrust K-LJ-3-201 --owner O04 --end "$(day 30)"
kc entrust K-LJ-3-203 --owner O05 --end "$(day 365)"
kc entrust K-LJ-5-101 --owner O06 --end "$(day 365)"
kc entrust K-HY-2-103 --owner O07 --end "$(day 45)"
kc entrust K-LJ-5-102 --owner O08 --end "$(day 20)"
msg "estate ready"
