#!/usr/bin/env bash
# The office's changes applied at the cabinet (controller/estate.c,
# controller/README.md "Managed from the office"), keycabd on keycab-sim
# over its socket as keycab-forward drives it, by
# tests/controller/estatecheck.py: every change type applied and its
# event; every refusal code, nothing written but the refusal's event and
# the position; duplicates and gaps.
source "$KEYCAB_SRC/tests/controller/lib.sh"
kc_start
export DEMO_DIR=$T T
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
# a person with a card (for the card refusals), in standalone mode
printf 'CARD-0042\n' | kc person add P02 --name "赵敏 Zhao Min" --role staff --card-stdin >/dev/null || bad "person add P02"
kcd_stop
printf '[estate]\nmode = managed\n' >>"$T/keycabd.conf"
kcd_start
for scenario in ${SCENARIOS:-apply refusals order}; do
	python3 "$KEYCAB_SRC/tests/controller/estatecheck.py" "$scenario" >"$T/$scenario.out" 2>&1
	rc=$?
	cat "$T/$scenario.out"
	n=$(grep -c '^FAIL' "$T/$scenario.out")
	[ "$rc" = 0 ] || [ "$n" -gt 0 ] || bad "$scenario: exit $rc"
	FAILS=$((FAILS + n))
	kill -0 "$KCD_PID" 2>/dev/null || { bad "keycabd died"; tail -20 "$T/keycabd.log"; exit 1; }
done
chain_ok && ok "outbox chain intact" || bad "chain broken"
kc_finish
