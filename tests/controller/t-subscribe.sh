#!/usr/bin/env bash
# Live state on keycabd's socket (controller/README.md, "Live state"),
# with keycabd on keycab-sim forwarding to a real keyauditd, driven by
# tests/controller/subcheck.py: the status snapshot; releases by another
# client with the key taken and returned at the sim, pushed in order within
# 250 ms (p50/p99 printed); a transaction rolled back pushes nothing; the
# audit link going offline and online; the cap of 8 subscribers; a
# subscriber that never reads dropped while another keeps receiving; the
# roster; subscribers never idle-closed. Who may follow (access): a login or
# the terminal key, never a local process without them (run as the user
# nobody, in the socket's group) nor a wrong key; what they get shows no
# phone number in full while the outbox keeps it for the office; a
# session's subscription ends with the session. The terminal's place
# (squat): 8 subscribers with sessions, then the terminal key still gets in.
source "$KEYCAB_SRC/tests/controller/lib.sh"
KC_WINDOW=1s
export IDLE_S=3 T
kad_kill() { [ -s "$T/kad.pid" ] && kill "$(cat "$T/kad.pid")" 2>/dev/null; rm -f "$T/kad.pid"; }
trap 'kad_kill; kc_cleanup' EXIT
printf '[server]\nlisten = 127.0.0.1\nport = %s\n[database]\npath = %s/audit.db\n' "$(free_port)" "$T" >"$T/keyauditd.conf"
kc_cabinet
kc_config
# the socket's group, for a local process that is not the console (nobody)
sed -i -e "/^mode = /a idle_timeout = ${IDLE_S}s" -e "/^mode = /a group = nogroup" "$T/keycabd.conf"
chmod 711 "$T"
"$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" add-cabinet demo-desk >"$T/token" 2>>"$T/keyauditd.log" || { cat "$T/keyauditd.log"; exit 1; }
chmod 600 "$T/token"
"$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" --port-file "$T/kad.port" serve >>"$T/keyauditd.log" 2>&1 &
echo $! >"$T/kad.pid"
wait_for 15 test -s "$T/kad.port" || { echo "keyauditd did not start"; cat "$T/keyauditd.log"; exit 1; }
printf '[audit]\nurl = http://127.0.0.1:%s\ntoken_file = %s/token\nbackoff_min = 100ms\nbackoff_max = 1s\n' \
	"$(cat "$T/kad.port")" "$T" >>"$T/keycabd.conf"
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
# a person with a card and no PIN: not in the roster
printf 'CARD-0042\n' | kc person add S09 --name "赵敏 Zhao Min" --role staff --card-stdin >/dev/null || bad "person add S09"
online() { kc --json status | json "d['forward']['state']=='online' and d['forward']['pending']==0" | grep -q True; }
wait_for 30 online && ok "the audit link is online, the outbox drained" || bad "the link never came online"
export KCD_PID

for scenario in ${SCENARIOS:-snapshot roster access squat latency rollback cap drop idle link}; do
	python3 "$KEYCAB_SRC/tests/controller/subcheck.py" $scenario >"$T/$scenario.out" 2>&1
	rc=$?
	cat "$T/$scenario.out"
	n=$(grep -c '^FAIL' "$T/$scenario.out")
	[ "$rc" = 0 ] || [ "$n" -gt 0 ] || bad "$scenario: exit $rc"
	FAILS=$((FAILS + n))
	kill -0 "$KCD_PID" 2>/dev/null || { bad "keycabd died"; tail -20 "$T/keycabd.log"; exit 1; }
done
chain_ok && ok "outbox chain intact" || bad "chain broken"
if grep -q -e 13900000 -e CARD-0042 "$T/keycabd.log"; then bad "a phone or card in keycabd's log"
else ok "no phone number or card in keycabd's log"; fi
kc_finish
