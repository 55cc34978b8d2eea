#!/usr/bin/env bash
# A manager's approval from the office at the terminal
# (tests/kiosk/t-kiosk-remote.js): in a real headless Chromium with touch,
# against keycabd (managed) on keycab-sim with the demo estate, served by
# keycab-kiosk. S01 asks M01 for the sealed key K-LJ-3-203 (a reason typed
# on the on-screen keyboard), withdraws it, asks again with a quick phrase;
# the office's answer comes as estate.apply with the forward key, as
# keycab-forward applies the feed: a grant opens A05 (the sim's coil) with
# the approval; a refusal of K-LJ-5-101 shows the manager's reason.
# Screenshots: $BUILD/test-logs/kiosk/t-kiosk-remote/.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
kiosk_browser
KC_WINDOW=5s
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
kcd_stop
printf '[estate]\nmode = managed\n' >>"$T/keycabd.conf"
kcd_start
db() { sqlite3 "$T/keycab.db" "$1"; }
# apply TYPE DATA: a change of the office's feed, through estate.apply
apply() { "$KEYCAB_SRC/tests/controller/estate_apply.py" "$@"; }
valid_to() { date -u -d "+30 min" +%Y-%m-%dT%H:%M:%S.000Z; }

act() {
	local r
	case $1 in
	asked) # the request S01 made: pending, for M01, with the reason typed
		r=$(db "SELECT id||'|'||key||'|'||asker||'|'||manager||'|'||state||'|'||reason FROM approval_requests ORDER BY id DESC LIMIT 1")
		echo "$r" >"$T/request"
		case $r in *"|K-LJ-3-203|S01|M01|pending|"*漏水*) ok "request ${r%%|*}: K-LJ-3-203, S01 asks M01, the typed reason" ;;
		*) bad "request: $r" ;; esac ;;
	cancelled)
		r=$(cut -d'|' -f1 "$T/request")
		[ "$(db "SELECT state FROM approval_requests WHERE id=$r")" = cancelled ] && ok "request $r withdrawn" ||
			bad "request $r: $(db "SELECT state FROM approval_requests WHERE id=$r")"
		[ "$(sim history A05 | grep -c 'ON@')" = 0 ] && ok "  ... and A05 never opened" || bad "A05 opened" ;;
	grant) # the office's approval of the newest request
		r=$(db "SELECT id FROM approval_requests WHERE state='pending' AND key='K-LJ-3-203' ORDER BY id DESC LIMIT 1")
		apply approval.grant "{\"request\": $r, \"key\": \"K-LJ-3-203\", \"manager\": \"M01\", \"asker\": \"S01\", \"valid_to\": \"$(valid_to)\"}" >"$T/apply.out" &&
			ok "estate.apply approval.grant of request $r: $(cat "$T/apply.out")" || bad "approval.grant: $(cat "$T/apply.out")" ;;
	refuse)
		r=$(db "SELECT id FROM approval_requests WHERE state='pending' AND key='K-LJ-5-101' ORDER BY id DESC LIMIT 1")
		apply approval.refuse "{\"request\": $r, \"key\": \"K-LJ-5-101\", \"manager\": \"M01\", \"reason\": \"请先联系业主\"}" >"$T/apply.out" &&
			ok "estate.apply approval.refuse of request $r" || bad "approval.refuse: $(cat "$T/apply.out")" ;;
	esac
}
KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK_PID=$KPID
sim clear-history >/dev/null
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR kiosk_node t-kiosk-remote.js
kiosk_end "$KIOSK_PID" kiosk
KIOSK_PID=
n=$(db "SELECT count(*) FROM approvals WHERE method='remote' AND used_loan IS NOT NULL")
[ "$n" = 1 ] && ok "one remote approval, used by the release" || bad "remote approvals used: $n"
[ "$(events approval.used)" = 1 ] && ok "one approval.used" || bad "approval.used: $(events approval.used)"
chain_ok && ok "the outbox chain is whole" || bad "chain"
kc_finish
