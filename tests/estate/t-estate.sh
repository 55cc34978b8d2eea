#!/usr/bin/env bash
# Issue 17 end to end: the estate run from the office. keyauditd with an
# admin and the estate's card key; one cabinet managed from it (keycabd on
# keycab-sim, keycab-forward linked to keyauditd, keycab-kiosk); the console
# and the terminal in one headless Chromium (tests/estate/t-estate.js),
# driven by clicks and taps. What the page asks of the shell (stop and start
# keycab-forward, kill -9 of keycab-forward and keyauditd, a feed of many
# changes through the office's JSON API) is act() below. Screenshots:
# $BUILD/test-logs/estate/t-estate/.
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
"$KEYCAB_SRC/tests/estate/seed.sh" >"$T/seed.log" 2>&1 || { cat "$T/seed.log"; bad "the estate's seed"; kc_finish; }
cat "$T/seed.log"
kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK=$KPID

# What the page asks of the shell (tests/kiosk/lib.js shell()).
act() {
	case $1 in
	kfw-stop) kfw_stop ;;
	kfw-start) kfw_start ;;
	kfw-kill9) kfw_kill9 ;;
	kad-kill9) kad_kill9 ;;
	kad-start) kad_start ;;
	*) echo "unknown request $1"; return 1 ;;
	esac
}
KIOSK_PAIR=$KPAIR kiosk_node ../estate/t-estate.js

echo "== each change applied once, at the cabinet and at the office"
cab=$(cab_applied | sort -n | uniq -c | awk '$1 != 1')
[ -z "$cab" ] && ok "keycabd: one estate.applied or estate.refused per change ($(cab_applied | wc -l))" ||
	bad "keycabd: changes recorded more than once: $cab"

kiosk_end "$KIOSK" kiosk
KIOSK=
kc_finish
