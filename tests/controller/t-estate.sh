#!/usr/bin/env bash
# The office's changes applied at the cabinet (controller/estate.c,
# controller/README.md "Managed from the office"), keycabd on keycab-sim
# over its socket as keycab-forward drives it, by
# tests/controller/estatecheck.py: standalone (estate.* refused, the
# local registry ops allowed); then managed: keycab's refusal of a local
# registry op in Chinese and English; every change type applied and its
# event; every refusal code, nothing written but the refusal's event and
# the position; duplicates and gaps; op by op, who may send the estate ops
# and the registry ops refused; a deactivated person (sessions ended, PIN
# and card refused, off the roster); the enrolment code at the terminal;
# a key moved to another slot, released there; a site's settings.
source "$KEYCAB_SRC/tests/controller/lib.sh"
kc_start
export DEMO_DIR=$T T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
# a person with a card (for the card refusals), in standalone mode
printf 'CARD-0042\n' | kc person add P02 --name "赵敏 Zhao Min" --role staff --card-stdin >/dev/null || bad "person add P02"
run() {
	python3 "$KEYCAB_SRC/tests/controller/estatecheck.py" "$1" >"$T/$1.out" 2>&1
	rc=$?
	cat "$T/$1.out"
	n=$(grep -c '^FAIL' "$T/$1.out")
	[ "$rc" = 0 ] || [ "$n" -gt 0 ] || bad "$1: exit $rc"
	FAILS=$((FAILS + n))
	kill -0 "$KCD_PID" 2>/dev/null || { bad "keycabd died"; tail -20 "$T/keycabd.log"; exit 1; }
}
run standalone
kcd_stop
printf '[estate]\nmode = managed\n' >>"$T/keycabd.conf"
kcd_start
# keycab says where to make the change, in the desk's language
out=$(env LANG=zh_CN.UTF-8 "$KEYCAB_BIN/keycab" unit vacant HY-1-102 yes 2>&1) && rc=0 || rc=$?
[ "$rc" = 3 ] && [[ $out == *"本柜由办公室统一管理：人员、小区、房号和钥匙请在办公室管理端修改。"* ]] &&
	ok "keycab unit vacant (zh): $out" || bad "keycab unit vacant (zh, exit $rc): $out"
out=$(env LANG=en_US.UTF-8 "$KEYCAB_BIN/keycab" unit vacant HY-1-102 yes 2>&1) && rc=0 || rc=$?
[ "$rc" = 3 ] && [[ $out == *"managed by the office"* ]] &&
	ok "keycab unit vacant (en): $out" || bad "keycab unit vacant (en, exit $rc): $out"
for scenario in ${SCENARIOS:-apply refusals order access people enrol move settings}; do
	run "$scenario"
done
chain_ok && ok "outbox chain intact" || bad "chain broken"
kc_finish
