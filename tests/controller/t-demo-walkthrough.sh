#!/usr/bin/env bash
# The demo's scripts as a test, so the demo never rots: a fresh keycab-sim
# (the demo cabinet, on a free port and a temp RS485 link) and keycabd
# configured from tests/demo/estate/keycabd.conf.in, then
# tests/demo/estate/setup.sh and tests/demo/walkthrough.sh as `make demo`
# runs them. Afterwards the outbox chain must be unbroken.
source "$KEYCAB_SRC/tests/controller/lib.sh"
kc_cabinet
terminal_key_make
forward_key_make
sed -e "s|@CABINET@|$T/cabinet.conf|" -e "s|@DB@|$T/keycab.db|" -e "s|@SOCKET@|$KEYCAB_SOCKET|" \
	-e "s|@TERMINAL_KEY@|$TERMINAL_KEY|" -e "s|@FORWARD_KEY@|$FORWARD_KEY|" -e "s|@AUDIT@||" \
	"$KEYCAB_SRC/tests/demo/estate/keycabd.conf.in" >"$T/keycabd.conf"
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" >>"$T/keycabd.log" 2>&1 &
KCD_PID=$!
wait_for 15 kc ping || { echo "keycabd did not start"; cat "$T/keycabd.log"; exit 1; }
export DEMO_DIR=$T/demo
mkdir -p "$DEMO_DIR"
"$KEYCAB_SRC/tests/demo/estate/setup.sh" && ok "setup.sh" || bad "setup.sh failed"
"$KEYCAB_SRC/tests/demo/walkthrough.sh" && ok "walkthrough.sh" || bad "walkthrough.sh failed"
chain_ok && ok "outbox chain unbroken" || bad "chain"
kc_finish
