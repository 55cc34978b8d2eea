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
