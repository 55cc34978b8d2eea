#!/usr/bin/env bash
# Issue 17 end to end: the estate run from the office. keyauditd with an
# admin and the estate's card key; one cabinet managed from it (keycabd on
# keycab-sim, keycab-forward linked to keyauditd, keycab-kiosk); the console
# and the terminal in one headless Chromium (tests/estate/t-estate.js),
# driven by clicks and taps: a person created at the console enrols and logs
# in at the terminal, a key moved at the office is a task at the terminal
# (开格移位: its old slot opens, the screen follows it home) and then opens
# at its new slot, a deactivated person is refused, changes made while the
# cabinet is offline are applied in order when it is back, a change the cabinet refuses shows
# as refused with its reason, a manager made at the console approves a
# sealed key from the phone (tests/estate/approval.js). Then, here: kill -9 of keycab-forward and of
# keyauditd in the middle of a feed of many changes (made through the
# office's JSON API), and each change applied exactly once, in order, at
# keycabd and at keyauditd. Screenshots: $BUILD/test-logs/estate/t-estate/.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
source "$KEYCAB_SRC/tests/estate/lib.sh"
kiosk_browser
KIOSK=
cleanup() {
	[ -n "$KIOSK" ] && kill "$KIOSK" 2>/dev/null && wait "$KIOSK" 2>/dev/null
	kc_cleanup
}
trap cleanup EXIT

estate_start
echo "== the estate made at the office (its JSON API), fed to the cabinet"
"$KEYCAB_SRC/tests/estate/office.py" seed >"$T/seed.log" 2>&1 && ok "the estate seeded at the office" ||
	{ cat "$T/seed.log"; bad "the estate's seed"; kc_finish; }
wait_for 20 all_applied && ok "the cabinet applied the seed's $(office_last) changes" ||
	bad "the seed not applied: position $(cab_position) of $(office_last)"
seeded=$(office_last)
kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK=$KPID

# What the page asks of the shell (tests/kiosk/lib.js shell()).
act() {
	case $1 in
	kfw-stop) kfw_stop ;;
	kfw-start) kfw_start ;;
	keys) kc keys --json >"$T/keys.json" ;;
	# the cabinet's clock past a manager's approval ([estate] approval_valid, 30m)
	clock-past-approval) kc test-clock advance 1860 >/dev/null ;;
	*) echo "unknown request $1"; return 1 ;;
	esac
}
KIOSK_PAIR=$KPAIR kiosk_node ../estate/t-estate.js
cat "$T/figures.txt" 2>/dev/null

echo "== the enrolment codes the console showed: in no log, no event"
for code in $(cat "$T/enrol-codes" 2>/dev/null); do
	found=$(grep -l -- "$code" "$T"/*.log 2>/dev/null)
	found+=$(sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox WHERE body LIKE '%$code%'" | grep -v '^0$')
	found+=$(sqlite3 "$T/audit.db" "SELECT count(*) FROM events WHERE body LIKE '%$code%'" | grep -v '^0$')
	[ -z "$found" ] || bad "enrolment code $code found in: $found"
done
n=$(grep -c . "$T/enrol-codes" 2>/dev/null)
[ "${n:-0}" -ge 4 ] && ok "none of the $n codes in the logs, the cabinet's outbox or the office's events" || bad "codes seen: ${n:-0}"

echo "== the changes made at the console while the cabinet was online: at the cabinet within 2 s"
clicked=$(sqlite3 "$T/audit.db" "SELECT change, applied_ms - made_ms FROM feed WHERE cabinet = '$CABINET'
	AND change > $seeded AND change NOT IN ($(paste -sd, "$T/offline-changes" 2>/dev/null || echo 0)) ORDER BY change")
lat=$(cut -d'|' -f2 <<<"$clicked" | sort -n)
n=$(grep -c . <<<"$lat")
if [ "$n" -ge 5 ] && [ "$(tail -n 1 <<<"$lat")" -lt 2000 ]; then
	ok "$n changes, from the console's save to the cabinet's event: median $(sed -n "$(((n + 1) / 2))p" <<<"$lat") ms, max $(tail -n 1 <<<"$lat") ms"
else bad "from the console's save to the cabinet's event (change|ms): $(tr '\n' ' ' <<<"$clicked")"; fi

echo "== kill -9 of keycab-forward, then of keyauditd, in the middle of a feed of many changes"
wait_for 20 all_applied || bad "before the feed: position $(cab_position) of $(office_last)"
kfw_stop
base=$(cab_position)
start=$(date +%s%N)
"$KEYCAB_SRC/tests/estate/office.py" many 300 >"$T/many.log" 2>&1 && ok "300 changes made at the office ($(tail -n 1 "$T/many.log"))" ||
	{ bad "the many changes"; cat "$T/many.log"; }
last=$(office_last)
kfw_start
wait_for 30 past $((base + 40)) || bad "keycab-forward did not apply 40 changes: $(cab_position)"
kfw_kill9
at1=$(cab_position)
kfw_start
wait_for 30 past $((at1 + 60)) || bad "keycab-forward did not go on after its kill: $(cab_position)"
kad_kill9
at2=$(cab_position)
kad_start
if [ "$at1" -gt "$base" ] && [ "$at1" -lt "$last" ] && [ "$at2" -gt "$at1" ] && [ "$at2" -lt "$last" ]; then
	ok "killed in the middle: keycab-forward at change $at1, keyauditd at change $at2, of $base..$last"
else bad "not in the middle: keycab-forward killed at $at1, keyauditd at $at2, of $base..$last"; fi
wait_for 60 all_applied && ok "all $last changes applied at the cabinet in $((($(date +%s%N) - start) / 1000000)) ms" ||
	bad "not all applied: position $(cab_position) of $last"
wait_for 30 link_drained || bad "the outbox did not drain: $(link_st)"

echo "== each change applied once, in order, at keycabd and at keyauditd"
want=$(seq 1 "$last")
got=$(cab_applied)
[ "$got" = "$want" ] && ok "keycabd: one estate.applied or estate.refused per change, 1..$last in change order" ||
	bad "keycabd's estate events by change: $(diff <(echo "$want") <(echo "$got") | head -8 | tr '\n' ' ')"
got=$(office_applied)
[ "$got" = "$want" ] && ok "keyauditd: the same, 1..$last, once each" ||
	bad "keyauditd's estate events by change: $(diff <(echo "$want") <(echo "$got") | head -8 | tr '\n' ' ')"
n=$(sqlite3 "$T/audit.db" "SELECT count(*) FROM feed WHERE cabinet = '$CABINET' AND state = 'pending'")
[ "$n" = 0 ] && ok "no change pending at the office" || bad "$n changes still pending at the office"
out=$(office_cmd verify-chain "$CABINET" 2>&1) && ok "verify-chain: $out" || bad "verify-chain: $out"
out=$(office_cmd verify-chain @office 2>&1) && ok "the office chain (the admin's and the manager's acts): $out" ||
	bad "verify-chain @office: $out"
n=$(sqlite3 "$T/audit.db" "SELECT count(*) FROM events WHERE cabinet = '@office' AND type IN
	('office.estate_person_saved', 'office.estate_key_saved', 'office.estate_unit_saved', 'office.approval_granted')")
[ "$n" -ge 10 ] && ok "$n of the console's estate and approval acts in the office chain" || bad "only $n estate acts in the office chain"
chain_ok >/dev/null && ok "the cabinet's chain checks" || bad "the cabinet's chain"

kiosk_end "$KIOSK" kiosk
KIOSK=
kc_finish
