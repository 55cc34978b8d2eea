# Shared by the terminal's test scripts (bash), sourced after
# tests/controller/lib.sh: keycab-kiosk started as the cabinet starts it,
# with a pairing key of its own, and the page its display opens to pair
# (controller/README.md, "The terminal": pairing).

# kiosk_browser: Debian's Chromium and the browser tests' npm packages
# (NODE_PATH exported, and T); skips the test (77) without Chromium.
kiosk_browser() {
	command -v chromium >/dev/null || { echo "no chromium (apt-get install chromium)"; exit 77; }
	NODE_PATH=$("$KEYCAB_SRC/tests/kiosk/npm-setup.sh") || { echo "npm ci failed"; exit 1; }
	export NODE_PATH T
}

# kiosk_start NAME [LINE...]: keycab-kiosk NAME on a free port of
# 127.0.0.1 for keycabd at $KEYCAB_SOCKET with keycabd's terminal key
# ($TERMINAL_KEY, tests/controller/lib.sh), its pairing key in
# $T/NAME.pairing (mode 0600), each LINE added to its configuration after
# the [kiosk] keys (e.g. "idle_timeout = 5m", or a section of its own).
# Sets KPID, KURL (http://127.0.0.1:PORT/) and KPAIR: the file:// page the
# display unit opens (written by keycab-kiosk --pairing-page, as
# keycab-kiosk-display.service does). Also in $T/NAME.url, $T/NAME.pair.
# Its log: $T/NAME.log.
kiosk_start() {
	local name=$1 port
	shift
	port=$(free_port)
	# base64: the page percent-encodes what a URL would change (+ / =)
	(umask 077 && head -c 32 /dev/urandom | base64 >"$T/$name.pairing")
	{
		printf '[kiosk]\nport = %s\nsocket = %s\npairing_key = %s\nterminal_key = %s\n' "$port" \
			"$KEYCAB_SOCKET" "$T/$name.pairing" "$TERMINAL_KEY"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"$T/$name.conf"
	"$KEYCAB_BIN/keycab-kiosk" -c "$T/$name.conf" >>"$T/$name.log" 2>&1 &
	KPID=$!
	KURL=http://127.0.0.1:$port/
	echo "$KURL" >"$T/$name.url"
	if ! wait_for 10 curl -sf -o /dev/null "${KURL}static/favicon.svg"; then
		bad "keycab-kiosk $name did not start"
		cat "$T/$name.log"
		return 1
	fi
	"$KEYCAB_BIN/keycab-kiosk" -c "$T/$name.conf" --pairing-page "$T/$name-pair.html" ||
		{ bad "keycab-kiosk --pairing-page for $name"; return 1; }
	KPAIR=file://$T/$name-pair.html
	echo "$KPAIR" >"$T/$name.pair"
}

# kiosk_stop PID: SIGTERM, and its exit status.
kiosk_stop() {
	kill "$1" 2>/dev/null && wait "$1"
}

# kiosk_end PID NAME: stops keycab-kiosk NAME (a check that it stops
# cleanly), no sanitizer report in its log, its last lines.
kiosk_end() {
	kiosk_stop "$1" && ok "keycab-kiosk $2 stops cleanly" || bad "keycab-kiosk $2 stop"
	if grep -q -e "ERROR: AddressSanitizer" -e "runtime error:" -e "LeakSanitizer" "$T/$2.log"; then
		bad "a sanitizer report in $2's log"
		grep -A20 Sanitizer "$T/$2.log" | head -40
	fi
	tail -n 8 "$T/$2.log"
}

# kiosk_node SCRIPT: runs a browser test (node SCRIPT, its environment
# the caller's) and does what it asks of the shell meanwhile (lib.js
# shell(): it writes $T/req-WHAT, the caller's function act WHAT does it,
# then $T/done-WHAT is written); a check that it passed.
kiosk_node() {
	local node r w
	node "$KEYCAB_SRC/tests/kiosk/$1" &
	node=$!
	while kill -0 "$node" 2>/dev/null; do
		for r in "$T"/req-*; do
			[ -e "$r" ] || continue
			w=${r##*/req-}
			rm -f "$r"
			act "$w" && touch "$T/done-$w"
		done
		sleep 0.05
	done
	wait "$node" && ok "$1" || bad "$1"
}

# kiosk_two_out: the demo estate's K-HY-1-104 (A08) and K-HY-1-103 (A07)
# released on inspection to E01 and taken out (a login of S01 for it).
kiosk_two_out() {
	login S01 1111 &&
		kc release K-HY-1-104 --purpose inspection --borrower E01 --due-in 1h >/dev/null && sim remove A08 >/dev/null &&
		wait_key K-HY-1-104 out &&
		kc release K-HY-1-103 --purpose inspection --borrower E01 --due-in 1h >/dev/null && sim remove A07 >/dev/null &&
		wait_key K-HY-1-103 out && kc logout >/dev/null
}

# kiosk_wrong_slot: kiosk_two_out, then the key of HY-1-103 back in A08,
# the home of HY-1-104's key: a wrong-slot alarm (and the inspection of
# its loan to record).
kiosk_wrong_slot() {
	kiosk_two_out && sim insert A08 $((0x1007)) >/dev/null && wait_key K-HY-1-103 in && wait_coil A08 off
}
