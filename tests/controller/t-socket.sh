#!/usr/bin/env bash
# keycabd's socket against clients that misbehave (tests/controller/
# sockcheck.py): oversize text fields and request lines refused with
# nothing written; a flood of unknown-card logins rate-limited per
# connection and summed into a bounded number of events; the connection
# limit full of idle clients, yet a new operator logs in and releases a
# key, and the idle ones are closed after the idle timeout; a client that
# pipelines requests and never reads its replies, with keycabd's RSS
# bounded and other clients served.
source "$KEYCAB_SRC/tests/controller/lib.sh"
export IDLE_S=4 SUMMARY_S=3
kc_cabinet
kc_config
sed -i -e "/^mode = /a idle_timeout = ${IDLE_S}s" \
	-e "/^max = 1h/a summary_interval = ${SUMMARY_S}s" "$T/keycabd.conf"
echo "== configuration"
for kv in "idle_timeout = 0s|[socket] idle_timeout: \"0s\" is out of range" \
	"summary_interval = soon|[lockout] summary_interval: \"soon\" is not a duration"; do
	key=${kv%%|*} want=${kv#*|}
	sed -e "s/^${key%% *} = .*/$key/" "$T/keycabd.conf" >"$T/bad.conf"
	out=$("$KEYCAB_BIN/keycabd" -c "$T/bad.conf" --check-config 2>&1) && rc=0 || rc=$?
	if [ "$rc" != 0 ] && [[ $out == *"$want"* ]]; then ok "$key: $out"; else bad "$key (exit $rc): $out"; fi
done
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
export KCD_PID DB=$T/keycab.db

# the first scan's notices come on their own: let the outbox go quiet
last=-1 same=0
for _ in $(seq 1 100); do
	now=$(sqlite3 "$DB" 'SELECT COALESCE(MAX(seq), 0) FROM outbox')
	if [ "$now" = "$last" ]; then same=$((same + 1)); else same=0; fi
	[ $same -ge 3 ] && break
	last=$now
	sleep 0.5
done

for scenario in oversize flood idle greedy; do
	echo "== $scenario"
	python3 "$KEYCAB_SRC/tests/controller/sockcheck.py" $scenario >"$T/$scenario.out" 2>&1
	rc=$?
	cat "$T/$scenario.out"
	n=$(grep -c '^FAIL' "$T/$scenario.out")
	[ "$rc" = 0 ] || [ "$n" -gt 0 ] || { bad "$scenario: exit $rc"; }
	FAILS=$((FAILS + n))
	kill -0 "$KCD_PID" 2>/dev/null || { bad "keycabd died"; tail -20 "$T/keycabd.log"; exit 1; }
done
chain_ok && ok "outbox chain intact" || bad "chain broken"
if grep -q -e '漏漏漏漏' -e 'FLOOD0' -e 'WWWWWWWW' "$T/keycabd.log"; then
	bad "request text in keycabd's log"
else ok "no request text in keycabd's log"; fi
kc_finish
