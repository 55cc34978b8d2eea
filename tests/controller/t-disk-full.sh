#!/usr/bin/env bash
# The cabinet's disk fills up mid-day: keycabd's database on a small
# tmpfs that another file fills, on keycab-sim. While it is full, a key
# on loan comes back and a release window closes with its key still in:
# the slots show the truth, `keycab status` says the disk is full and how
# many changes wait, a new release is refused and opens nothing, the
# window's coil goes off at its end. Once the file is gone, without a
# restart, both changes are written in the order they happened, at the
# time they happened: the key is in and its loan closed, the window's loan
# is "not taken" and its key can be released again, and no overdue alarm
# is raised for the key sitting in its slot.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/controller/disk.sh"
disk_tmpfs 8m
disk_estate
disk_before
disk_subscribe
echo "== the disk fills up"
disk_fill
df -k "$MNT" | tail -1
disk_while full "disk is full" "磁盘已满"
K4=K-LJ-5-107 K4_SLOT=C07 FLAPS=40
disk_flap "$K4_SLOT" $FLAPS && ok "$K4 lifted out of $K4_SLOT and put back $FLAPS times" || bad "$K4_SLOT did not follow"
until_eq 5 True storage "s.get('pending', 0) >= 2 + 2 * $FLAPS" && ok "status: $(storage 's["pending"]') changes wait to be written" ||
	bad "status storage: $(storage 's')"

echo "== space comes back; no restart"
t_free=$(date +%s%3N)
disk_free
until_eq 5 in key_state "$K1" && ok "$K1 is in, $(($(date +%s%3N) - t_free)) ms after space came back" ||
	bad "$K1 is $(key_state "$K1")"
until_eq 5 returned loan_state "$L1" && ok "loan $L1 returned" || bad "loan $L1 is $(loan_state "$L1")"
until_eq 5 not_taken loan_state "$L2" && ok "loan $L2 not taken" || bad "loan $L2 is $(loan_state "$L2")"
[ "$(key_state "$K2")" = in ] && ok "$K2 is in" || bad "$K2 is $(key_state "$K2")"
until_eq 5 "ok 0" storage 's.get("state"), s.get("pending")' && ok "status: storage ok, nothing waits" ||
	bad "status storage: $(storage 's')"
has "keycab status says the disk is ok" "database disk: ok" "$(kc status)"
pushes=$(storage_pushes)
case " $pushes" in
*" full/"*" ok/0") ok "a subscriber was told: $(awk '{ if (NF > 6) print $1, $2, $3, "...", $(NF-2), $(NF-1), $NF; else print }' <<<"$pushes")" ;;
*) bad "the storage pushes a subscriber got: '$pushes'" ;;
esac
kill -0 "$KCD_PID" && ok "keycabd kept running" || bad "keycabd is gone"

echo "== the record: in the order it happened, when it happened"
q() { sqlite3 -cmd ".timeout 5000" "$DB" "$1"; }
seq_of() { q "SELECT seq FROM outbox WHERE json_extract(body,'\$.type') = '$1' AND json_extract(body,'\$.data.loan') = $2"; }
s1=$(seq_of loan.returned "$L1") s2=$(seq_of release.not_taken "$L2")
[ -n "$s1" ] && [ -n "$s2" ] && [ "$s1" -lt "$s2" ] && ok "loan.returned (event $s1) before release.not_taken (event $s2)" ||
	bad "loan.returned event '$s1', release.not_taken event '$s2'"
k4=$(q "SELECT group_concat(json_extract(body,'\$.type'), ' ') FROM (SELECT body FROM outbox
	WHERE seq > $s1 AND json_extract(body,'\$.slot') = '$K4_SLOT' AND json_extract(body,'\$.type') LIKE 'slot.%' ORDER BY seq)")
want=$(for _ in $(seq $FLAPS); do printf 'slot.removed slot.inserted '; done)
[ "$k4 " = "$want" ] && ok "$K4_SLOT: $FLAPS removals and returns, each in its order (more than one batch of 64)" ||
	bad "$K4_SLOT's events after the outage: $k4"
ts_sorted=$(q "SELECT count(*) FROM outbox a JOIN outbox b ON b.seq = a.seq + 1 WHERE a.seq > $s1
	AND json_extract(a.body,'\$.slot') = '$K4_SLOT' AND json_extract(b.body,'\$.slot') = '$K4_SLOT'
	AND json_extract(b.body,'\$.ts') < json_extract(a.body,'\$.ts')")
[ "$ts_sorted" = 0 ] && ok "  ... at the times they happened, in order" || bad "  ... $ts_sorted out of time order"
[ "$(key_state "$K4")" = in ] && ok "$K4 is in" || bad "$K4 is $(key_state "$K4")"
in_ms=$(q "SELECT in_ms FROM loans WHERE id = $L1")
[ -n "$in_ms" ] && [ "$in_ms" -lt "$t_free" ] && ok "loan $L1 returned at $in_ms, $((t_free - in_ms)) ms before space came back" ||
	bad "loan $L1 in_ms $in_ms, space back at $t_free"
[ "$(q "SELECT overdue FROM loans WHERE id = $L1")" = 0 ] && ok "loan $L1 not overdue" || bad "loan $L1 marked overdue"

echo "== $K2 can be released again"
rel "$K2" >/dev/null && ok "$K2 released again" || bad "$K2 not released again"
wait_coil "$K2_SLOT" on && ok "$K2_SLOT opened" || bad "$K2_SLOT did not open"
L2b=$(loan_of "$K2")
until_eq 10 not_taken loan_state "$L2b" && ok "its window closed (loan $L2b not taken)" || bad "loan $L2b: $(loan_state "$L2b")"

echo "== two hours later: no overdue alarm for the key in its slot"
kc test-clock advance 7200 >/dev/null
sleep 1
alarms=$(kc alarms --all --json | json "[a['type'] + ':' + str(a['key']) for a in d['alarms']]")
case $alarms in *"overdue:$K1"*) bad "an overdue alarm for $K1: $alarms" ;; *) ok "no overdue alarm for $K1 ($alarms)" ;; esac
disk_chain_ok && ok "quick_check ok; the outbox holds every event once, chain unbroken" || bad "database or chain"
kc_finish
