#!/usr/bin/env bash
# keycabd and keycab-kiosk started without the Chinese catalogue
# (KEYCAB_LOCALEDIR an empty directory): each warns in its log at start,
# and the terminal shows staff a banner that says so (t-kiosk-catalogue.js:
# not on the idle screen, nor to an engineer). With the catalogue: no
# warning (t-kiosk-defects.sh checks the screen).
source "$KEYCAB_SRC/tests/controller/lib.sh"
source "$KEYCAB_SRC/tests/kiosk/lib.sh"
kiosk_browser
mkdir -p "$T/no-locale"
export KEYCAB_LOCALEDIR=$T/no-locale
kc_start
"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
has "keycabd warns at start" "the Chinese message catalogue is missing ($T/no-locale/zh_CN/LC_MESSAGES/keycab.mo)" \
	"$(cat "$T/keycabd.log")"
KIOSK_PID=
trap '[ -n "$KIOSK_PID" ] && kill $KIOSK_PID 2>/dev/null && wait $KIOSK_PID 2>/dev/null; kc_cleanup' EXIT
kiosk_start kiosk "idle_timeout = 5m" || exit 1
KIOSK_PID=$KPID
has "keycab-kiosk warns at start" "the Chinese message catalogue is missing ($T/no-locale/zh_CN/LC_MESSAGES/keycab.mo)" \
	"$(cat "$T/kiosk.log")"
act() { echo "unknown request $1"; return 1; }
KIOSK_URL=$KURL KIOSK_PAIR=$KPAIR kiosk_node t-kiosk-catalogue.js
kiosk_end "$KIOSK_PID" kiosk
KIOSK_PID=

echo "== with the catalogue: no warning"
export KEYCAB_LOCALEDIR=$BUILD/locale
kcd_stop
: >"$T/keycabd.log"
kcd_start
case $(cat "$T/keycabd.log") in *"catalogue is missing"*) bad "keycabd warns with the catalogue there" ;; *) ok "keycabd: no warning with the catalogue there" ;; esac
kc_finish
