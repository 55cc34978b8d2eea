#!/usr/bin/env bash
# Alarms that speak up (tests/kiosk/t-kiosk-alarm.js): in a real headless
# Chromium with touch at 1024x600, against keycabd on keycab-sim with the
# demo estate, served by keycab-kiosk: a wrong-slot return is no good
# return; a tamper and a wrong-slot alarm take the screen over, at the
# idle screen too, oldest first, the action one tap away; the page asks
# the kiosk for the spoken prompt of an alarm and of a slot opening,
# which is espeak-ng's Mandarin, not silent. Then the same terminal with
# speech = off asks for none.
# Screenshots: $BUILD/test-logs/kiosk/t-kiosk-alarm/.
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
kiosk_browser
command -v espeak-ng >/dev/null || { echo "no espeak-ng (apt-get install espeak-ng)"; exit 77; }
KC_WINDOW=3s
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }

# what the browser test asks of the shell (lib.js shell())
act() {
	case $1 in
	two-out) # K-HY-1-103 (A07) and K-HY-1-104 (A08) out on inspection
		kiosk_two_out ;;
	espeak) # the prompt as espeak-ng says it, in Chinese, at the kiosk's speed
		espeak-ng -v cmn -s 150 --stdout "B01 号格已打开，请取钥匙" >"$T/expected.wav" ;;
	speech-off) # the terminal again, with speech = off
		kiosk_stop "$KIOSK_PID"
		kiosk_start kiosk "idle_timeout = 5m" "speech = off" && KIOSK_PID=$KPID ;;
	esac
}
KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK_PID=$KPID
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR kiosk_node t-kiosk-alarm.js
kiosk_end "$KIOSK_PID" kiosk
KIOSK_PID=
kc_finish
