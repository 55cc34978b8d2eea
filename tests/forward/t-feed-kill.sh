#!/usr/bin/env bash
# The estate feed end to end: keycabd (managed) on keycab-sim, keycab-forward
# and a real keyauditd. Changes made through the office's API
# (/api/v1/estate/...) reach keycabd through keycab-forward's long-poll
# (the first within 2 s, measured) and are applied once each; then a feed
# of 200 changes made while keycab-forward and keyauditd are killed
# (SIGKILL) at random moments and started again: keycabd applies every
# change exactly once, in order (its estate.applied events counted), and
# keyauditd marks each applied with the cabinet's event. FEED_KILL_SEED
# repeats a run; FEED_KILLS sets how many kills (default 10).
source "$KEYCAB_SRC/tests/controller/lib.sh"
SEED=${FEED_KILL_SEED:-$((RANDOM * 32768 + RANDOM))}
KILLS=${FEED_KILLS:-10}
CHANGES=200
RANDOM=$((SEED % 32768))
echo "feed kill test: $KILLS kills, seed $SEED"
ADMIN=admin:Feed-pass-1

kc_cabinet
kc_config
printf '[estate]\nmode = managed\n' >>"$T/keycabd.conf"
kad_setup 500ms
"$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" cabinet-mode demo-desk managed >/dev/null || bad "cabinet-mode"
printf 'Feed-pass-1\n' | "$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" add-user --role admin admin >/dev/null ||
	bad "add-user"
sim_start
"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
kcd_start

# office API: POST rows (a JSON text) to /api/v1/estate/$1
office() {
	curl -sS -o "$T/office.out" -w '%{http_code}' -u "$ADMIN" -H 'Content-Type: application/json' \
		--data-binary "$2" "http://127.0.0.1:$(cat "$T/kad.port")/api/v1/estate/$1"
}
# keycabd's position, as keycab status has it through keycab-forward's report
position() { sqlite3 "$T/keycab.db" "SELECT position FROM estate_position"; }
pos_is() { [ "$(position)" = "$1" ]; }
has_feed() { kc --json status | python3 -c "import json,sys; sys.exit(0 if json.load(sys.stdin)['forward'].get('feed') else 1)"; }
marked() { # marked N: keyauditd marks N changes applied, each with the cabinet's event
	[ "$(sqlite3 "$T/audit.db" "SELECT count(*) FROM feed WHERE cabinet = 'demo-desk' AND state = 'applied' AND event_seq IS NOT NULL")" = "$1" ]
}
feed_st() {
	kc --json status | python3 -c "import json,sys; f=json.load(sys.stdin)['forward'].get('feed') or {}; print(f.get('state'), f.get('position'), f.get('last_change'), f.get('applied'), f.get('refused'))"
}

wait_for 20 has_feed && ok "keycab status shows the feed: $(feed_st)" ||
	bad "no feed in keycab status: $(feed_st)"
[ "$(office sites '{"site":"SA","name":"阳光花园","age":"new","time_zone":"Asia/Shanghai"}')" = 200 ] ||
	bad "site SA: $(cat "$T/office.out")"
t0=$(date +%s%N)
[ "$(office cabinets '{"cabinet":"demo-desk","sites":["SA"]}')" = 200 ] || bad "cabinet sites: $(cat "$T/office.out")"
wait_for 10 pos_is 1 || bad "change 1 not applied: position $(position)"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 2000 ] && ok "the site given at the office is applied at keycabd $ms ms later (< 2 s)" ||
	bad "applied $ms ms later"
wait_for 10 bash -c "[ \"\$(sqlite3 '$T/keycab.db' \"SELECT name FROM sites WHERE code = 'SA'\")\" = 阳光花园 ]" &&
	ok "keycabd holds site SA as the office made it" || bad "site SA at keycabd: $(sqlite3 "$T/keycab.db" "SELECT * FROM sites")"

# the feed of 200 changes, made in batches while the processes are killed
(
	i=0
	while [ $i -lt $CHANGES ]; do
		rows=""
		for ((j = 0; j < 10 && i < CHANGES; j++)); do
			i=$((i + 1))
			rows="$rows${rows:+,}{\"unit\":\"U$i\",\"site\":\"SA\",\"building\":\"$((i / 50 + 1))\",\"room\":\"$i\",\"vacant\":$([ $((i % 3)) = 0 ] && echo true || echo false)}"
		done
		until [ "$(office units "[$rows]" 2>/dev/null)" = 200 ]; do sleep 0.2; done # keyauditd restarting
		sleep 0.1
	done
	touch "$T/office-done"
) &
WRITER=$!

# kill9 kfw|kad: keycab-forward or keyauditd killed (SIGKILL), started again
kill9() {
	local pid=${1^^}_PID
	kill -KILL "${!pid}"
	wait "${!pid}" 2>/dev/null
	eval "$pid="
	[ "$1" = kad ] && rm -f "$T/kad.port"
	"$1_start"
}
kfw=0 kad=0
for ((k = 0; k < KILLS; k++)); do
	sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
	if ((RANDOM % 2)); then
		kill9 kfw && kfw=$((kfw + 1))
	else
		kill9 kad && kad=$((kad + 1))
	fi
done
wait "$WRITER"
ok "killed keycab-forward $kfw times and keyauditd $kad times while $CHANGES changes were made and applied"
[ "$kfw" -gt 0 ] && [ "$kad" -gt 0 ] || bad "both processes should have been killed (seed $SEED)"
[ -e "$T/office-done" ] || bad "the office's changes were not all made"

# the office may have made a batch twice (its answer lost to a kill, the
# batch sent again): the changes are what its feed holds
last=$(sqlite3 "$T/audit.db" "SELECT max(change) FROM feed WHERE cabinet = 'demo-desk'")
[ "$last" -ge $((CHANGES + 1)) ] && ok "the office's feed holds $last changes" || bad "the feed holds $last changes"
wait_for 120 pos_is "$last" && ok "keycabd's position reached $last" ||
	bad "keycabd's position $(position), wanted $last (seed $SEED)"
read -r n distinct lo hi <<<"$(sqlite3 -separator ' ' "$T/keycab.db" \
	"SELECT count(*), count(DISTINCT json_extract(body, '\$.data.change')), min(json_extract(body, '\$.data.change')),
	 max(json_extract(body, '\$.data.change')) FROM outbox WHERE json_extract(body, '\$.type') = 'estate.applied'")"
[ "$n" = "$last" ] && [ "$distinct" = "$last" ] && [ "$lo" = 1 ] && [ "$hi" = "$last" ] &&
	ok "keycabd applied changes 1..$last, each exactly once ($n estate.applied events)" ||
	bad "keycabd has $n estate.applied events, $distinct distinct changes, $lo..$hi (seed $SEED)"
inorder=$(sqlite3 "$T/keycab.db" "SELECT json_extract(body, '\$.data.change') FROM outbox
	WHERE json_extract(body, '\$.type') = 'estate.applied' ORDER BY seq" | python3 -c "import sys; c=[int(x) for x in sys.stdin]; print(int(c == sorted(c)))")
[ "$inorder" = 1 ] && ok "in the order of the feed" || bad "estate.applied events out of order (seed $SEED)"
[ "$(events estate.refused)" = 0 ] && ok "none refused" || bad "$(events estate.refused) refused"
[ "$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM units WHERE site = 'SA'")" = $CHANGES ] &&
	ok "keycabd holds the $CHANGES units" || bad "keycabd holds $(sqlite3 "$T/keycab.db" "SELECT count(*) FROM units WHERE site = 'SA'") units"

wait_for 90 link_drained && ok "the outbox drained to keyauditd: $(link_st)" || bad "not drained: $(link_st)"
[ "$(sqlite3 "$T/audit.db" "SELECT count(*), count(DISTINCT json_extract(body, '\$.data.change')) FROM events
	WHERE cabinet = 'demo-desk' AND type = 'estate.applied'")" = "$last|$last" ] &&
	ok "keyauditd stored the $last estate.applied events once each" ||
	bad "keyauditd's estate.applied events: $(sqlite3 "$T/audit.db" "SELECT count(*) FROM events WHERE type = 'estate.applied'")"
wait_for 10 marked "$last" &&
	ok "keyauditd marks all $last changes applied, each with the cabinet's event" ||
	bad "keyauditd: $(sqlite3 "$T/audit.db" "SELECT state, count(*) FROM feed GROUP BY state")"
[ "$(sqlite3 "$T/audit.db" "SELECT count(*) FROM units WHERE site = 'SA'")" = $CHANGES ] &&
	ok "keyauditd's units table has the $CHANGES units from the applied changes" ||
	bad "keyauditd's units: $(sqlite3 "$T/audit.db" "SELECT count(*) FROM units WHERE site = 'SA'")"
feed_at() { # feed_at N: keycab status: the feed running, at change N of N, none refused
	kc --json status | python3 -c "import json,sys; f=json.load(sys.stdin)['forward']['feed']; sys.exit(0 if f['state'] == 'running' and f['position'] == $1 and f['last_change'] == $1 and f['refused'] == 0 else 1)"
}
wait_for 10 feed_at "$last" &&
	ok "keycab status: $(feed_st)" || bad "keycab status: $(feed_st)"
out=$(kc status 2>&1 | grep "estate feed") && ok "keycab status prints: $out" || bad "keycab status has no feed line"
out=$("$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" verify-chain demo-desk 2>&1) && ok "verify-chain: $out" ||
	bad "verify-chain: $out"
out=$(chain_ok 2>&1) && ok "the cabinet's outbox: $out" || bad "the cabinet's outbox: $out"

# a cabinet the office makes standalone: the feed stops with one log line
"$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" cabinet-mode demo-desk standalone >/dev/null
kfw_stop
kfw_start
wait_for 20 grep -q "the estate feed is off: this cabinet is standalone" "$T/keycab-forward.log" &&
	ok "made standalone at the office: keycab-forward's feed stops, saying so once" ||
	bad "no standalone line: $(tail -5 "$T/keycab-forward.log")"
sleep 1
[ "$(grep -c "estate feed is off" "$T/keycab-forward.log")" = 1 ] && ok "one line" || bad "more than one line"
kill -0 "$KFW_PID" && ok "keycab-forward still forwards the outbox" || bad "keycab-forward exited"
kc_finish
