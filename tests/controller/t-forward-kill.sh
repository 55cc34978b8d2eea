#!/usr/bin/env bash
# keycab-forward and keycabd killed (SIGKILL) at random moments while the
# cabinet writes events and keycab-forward sends them to a real keyauditd
# in small batches: a kill lands before a post, between the office's
# answer and the outbox.ack that marks the rows, or while keycabd commits.
# Once both run again and the outbox drains, keyauditd holds every event
# of the cabinet exactly once, in one chain that verifies. FWD_KILL_SEED
# repeats a run; FWD_KILLS sets how many kills (default 24).
source "$KEYCAB_SRC/tests/controller/lib.sh"
SEED=${FWD_KILL_SEED:-$((RANDOM * 32768 + RANDOM))}
KILLS=${FWD_KILLS:-24}
RANDOM=$((SEED % 32768))
echo "forward kill test: $KILLS kills, seed $SEED"
kc_link_start $'heartbeat = 1s'
# batches of 3: many posts and acknowledgements for a kill to fall between
sed -i '/^\[audit\]/a batch_max = 3' "$T/keycabd.conf"
kfw_stop
kfw_start
wait_for 60 link_drained && ok "the estate's events forwarded: $(link_st)" || bad "not drained: $(link_st)"

# the desk keeps writing events (a person added), keycabd there or not
(
	i=0
	while [ ! -e "$T/stop-writer" ]; do
		i=$((i + 1))
		printf '1234\n' | "$KEYCAB_BIN/keycab" person add "Q$i" --name "Temp $i" --role staff --pin-stdin \
			>/dev/null 2>&1 || sleep 0.05
	done
) &
WRITER=$!

kfw=0 kcd=0
for ((k = 0; k < KILLS; k++)); do
	sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
	if ((RANDOM % 2)); then
		kill -KILL "$KFW_PID"
		wait "$KFW_PID" 2>/dev/null
		KFW_PID=
		kfw=$((kfw + 1))
		sleep "0.$((RANDOM % 3))"
		kfw_start
	else
		kill -KILL "$KCD_PID"
		wait "$KCD_PID" 2>/dev/null
		KCD_PID=
		kcd=$((kcd + 1))
		kcd_start
	fi
done
touch "$T/stop-writer"
wait "$WRITER"
ok "killed keycab-forward $kfw times and keycabd $kcd times while events were written and sent"
[ "$kfw" -gt 0 ] && [ "$kcd" -gt 0 ] || bad "both processes should have been killed (seed $SEED)"

wait_for 90 link_drained && ok "both back: the outbox drained: $(link_st)" || bad "not drained: $(link_st)"
last=$(sqlite3 "$T/keycab.db" "SELECT last_seq FROM chain")
read -r n distinct lo hi <<<"$(sqlite3 -separator ' ' "$T/audit.db" \
	"SELECT count(*), count(DISTINCT seq), min(seq), max(seq) FROM events WHERE cabinet = 'demo-desk'")"
[ "$n" = "$last" ] && [ "$distinct" = "$last" ] && [ "$lo" = 1 ] && [ "$hi" = "$last" ] &&
	ok "keyauditd holds events 1..$last, each exactly once ($n rows)" ||
	bad "keyauditd holds $n rows, $distinct distinct, $lo..$hi; the cabinet wrote 1..$last (seed $SEED)"
added=$(sqlite3 "$T/audit.db" "SELECT count(*) FROM events WHERE cabinet = 'demo-desk' AND type = 'person.registered'")
[ "$added" -gt 10 ] && ok "$added person.registered events among them" || bad "only $added person.registered events"
out=$("$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" verify-chain demo-desk 2>&1) && ok "verify-chain: $out" ||
	bad "verify-chain: $out"
out=$(chain_ok 2>&1) && ok "the cabinet's outbox: $out" || bad "the cabinet's outbox: $out"
kc_finish
