# Shared by the controller's test scripts (bash): a fresh keycab-sim and
# keycabd on the demo cabinet in a temp dir, helpers to drive them, and
# checks. Source it; call kc_start; the trap stops both by pid.
set -u
: "${KEYCAB_BIN:?}" "${KEYCAB_SRC:?}"

T=$(mktemp -d /tmp/keycab-ctl.XXXXXX)
SIM_PID= KCD_PID= KAD_PID= KFW_PID=
export KEYCAB_SOCKET=$T/keycabd.sock
export SIM_CONTROL=$T/sim.sock
export XDG_RUNTIME_DIR=$T/run
mkdir -p "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
unset KEYCAB_SESSION
FAILS=0

kc_cleanup() {
	[ -n "$KFW_PID" ] && kill "$KFW_PID" 2>/dev/null && wait "$KFW_PID" 2>/dev/null
	[ -n "$KCD_PID" ] && kill "$KCD_PID" 2>/dev/null && wait "$KCD_PID" 2>/dev/null
	[ -n "$KAD_PID" ] && kill "$KAD_PID" 2>/dev/null && wait "$KAD_PID" 2>/dev/null
	[ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
	if [ "${KEEP:-0}" = 1 ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap kc_cleanup EXIT

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for SECONDS CMD...: polls until CMD succeeds
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
}

# A real keyauditd beside keycabd. kad_setup [BACKOFF_MAX]: its
# configuration on a free port, the cabinet demo-desk registered (token in
# $T/token), started, and keycabd.conf's [audit] pointing at it (kc_config
# first). kad_stop and kad_start stop and start it again on that port.
kad_start() {
	"$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" --port-file "$T/kad.port" serve >>"$T/keyauditd.log" 2>&1 &
	KAD_PID=$!
	wait_for 15 test -s "$T/kad.port" || { echo "keyauditd did not start"; cat "$T/keyauditd.log"; exit 1; }
}
kad_stop() { kill "$KAD_PID" && wait "$KAD_PID"; KAD_PID=; rm -f "$T/kad.port"; }
kad_setup() {
	printf '[server]\nlisten = 127.0.0.1\nport = %s\n[database]\npath = %s/audit.db\n' "$(free_port)" "$T" >"$T/keyauditd.conf"
	"$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" add-cabinet demo-desk >"$T/token" 2>>"$T/keyauditd.log" ||
		{ cat "$T/keyauditd.log"; exit 1; }
	chmod 600 "$T/token"
	kad_start
	printf '[audit]\nurl = http://127.0.0.1:%s\ntoken_file = %s/token\nbackoff_min = 100ms\nbackoff_max = %s\n' \
		"$(cat "$T/kad.port")" "$T" "${1:-1s}" >>"$T/keycabd.conf"
}

# kad_restore COPY: keyauditd stopped, its database replaced by an older
# copy (a restore from backup), started again on its port.
kad_restore() {
	kad_stop
	rm -f "$T/audit.db-wal" "$T/audit.db-shm"
	cp "$1" "$T/audit.db"
	kad_start
}

# kc_link_start [FORWARD_LINES]: keycab-sim, a fresh keycabd forwarding to
# a real keyauditd (kad_setup 500ms; FORWARD_LINES added under [forward]),
# the demo estate imported.
kc_link_start() {
	kc_cabinet
	kc_config
	kad_setup 500ms
	printf '[forward]\n%s\n' "${1:-}" >>"$T/keycabd.conf"
	sim_start
	"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
	kcd_start
	export DEMO_DIR=$T
	"$KEYCAB_SRC/tests/demo/estate/setup.sh" >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; exit 1; }
}
# link_st: the link as `keycab --json status` has it: state, reason (-
# for none), pending, last acknowledged seq, the cabinet's last seq
link_st() {
	kc --json status | python3 -c "import json,sys; d=json.load(sys.stdin); f=d['forward']; print(f.get('state'), f.get('reason') or '-', f['pending'], f['last_acked_seq'], d['last_seq'])"
}
# link_drained: online, nothing pending, everything acknowledged
link_drained() {
	local s r p a l
	read -r s r p a l <<<"$(link_st)"
	[ "$s" = online ] && [ "$p" = 0 ] && [ "$a" = "$l" ]
}

sim() {
	printf '%s\n' "$*" | socat -t 5 - "UNIX-CONNECT:$SIM_CONTROL"
}

kc() {
	"$KEYCAB_BIN/keycab" "$@"
}

# The demo cabinet in $T: the RTU bus in $T, the TCP board on a free port.
kc_cabinet() {
	SIM_PORT=$(free_port)
	sed -e "s|^device = .*|device = $T/ttyRS485|" -e "s|^port = 15020|port = $SIM_PORT|" \
		"$KEYCAB_SRC/hw/examples/demo-cabinet.conf" >"$T/cabinet.conf"
	# a quick scan keeps the tests short; the debounce stays
	sed -i -e 's/^scan_ms = .*/scan_ms = 20/' "$T/cabinet.conf"
}

# The terminal key keycabd and the kiosk share ([socket] terminal_key,
# [kiosk] terminal_key): 32 random bytes in base64, mode 0600.
export TERMINAL_KEY=$T/terminal.key
terminal_key_make() {
	(umask 077 && head -c 32 /dev/urandom | base64 >"$TERMINAL_KEY")
}

# The forward key keycabd and keycab-forward share ([socket] forward_key).
export FORWARD_KEY=$T/forward.key
forward_key_make() {
	(umask 077 && head -c 32 /dev/urandom | base64 >"$FORWARD_KEY")
}

kc_config() {
	[ -s "$TERMINAL_KEY" ] || terminal_key_make
	[ -s "$FORWARD_KEY" ] || forward_key_make
	cat >"$T/keycabd.conf" <<CONF
[cabinet]
file = $T/cabinet.conf
[database]
path = $T/keycab.db
[socket]
path = $KEYCAB_SOCKET
mode = 0660
terminal_key = $TERMINAL_KEY
forward_key = $FORWARD_KEY
[release]
window = ${KC_WINDOW:-3s}
grace = 1s
[lockout]
attempts = 5
base = ${KC_LOCKOUT_BASE:-2s}
max = 1h
[session]
idle_timeout = 1h
[notice]
lead = 7d
reminder = 1d
scan_interval = 200ms
CONF
}

sim_start() {
	"$KEYCAB_BIN/keycab-sim" -c "$T/cabinet.conf" --control "$SIM_CONTROL" --quiet \
		>>"$T/sim.log" 2>&1 &
	SIM_PID=$!
	wait_for 10 sim ping || { echo "keycab-sim did not start"; cat "$T/sim.log"; exit 1; }
}

# kcd_start: keycabd, and keycab-forward beside it when keycabd.conf
# has an [audit] section and keycab-forward is not running yet
kcd_start() {
	"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --test-clock >>"$T/keycabd.log" 2>&1 &
	KCD_PID=$!
	wait_for 15 kc ping || { echo "keycabd did not start"; tail -20 "$T/keycabd.log"; exit 1; }
	if grep -q '^\[audit\]' "$T/keycabd.conf" && [ -z "$KFW_PID" ]; then kfw_start; fi
}

kcd_stop() {
	kill "$KCD_PID" && wait "$KCD_PID"
	KCD_PID=
}

# keycab-forward: the outbox to keyauditd through keycabd's socket
kfw_start() {
	"$KEYCAB_BIN/keycab-forward" -c "$T/keycabd.conf" >>"$T/keycab-forward.log" 2>&1 &
	KFW_PID=$!
}
kfw_stop() {
	kill "$KFW_PID" && wait "$KFW_PID"
	KFW_PID=
}

# kc_start: sim + fresh database + keycabd
kc_start() {
	kc_cabinet
	kc_config
	sim_start
	"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
	kcd_start
}

ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }

# expect RC DESC CMD...: runs CMD, checks its exit code; output in $OUT/$ERR
expect() {
	local want=$1 desc=$2
	shift 2
	OUT=$("$@" 2>"$T/stderr") && RC=0 || RC=$?
	ERR=$(cat "$T/stderr")
	if [ "$RC" = "$want" ]; then ok "$desc (exit $RC)"; else
		bad "$desc: exit $RC, wanted $want"; echo "$OUT"; echo "$ERR"; fi
}

# refused RULE DESC CMD...: a refusal naming custody rule RULE
refused() {
	local rule=$1 desc=$2
	shift 2
	expect 3 "$desc" "$@"
	if [ "$rule" != 0 ]; then
		case $ERR in
		*"custody rule $rule)"*) ok "  ... by rule $rule: ${ERR%%$'\n'*}" ;;
		*) bad "  ... not by rule $rule: $ERR" ;;
		esac
	else
		echo "       ${ERR%%$'\n'*}"
	fi
}

has() { # has DESC PATTERN TEXT
	case $3 in *$2*) ok "$1" ;; *) bad "$1: no \"$2\" in: $3" ;; esac
}

# json EXPR: evaluates a python expression over the JSON on stdin (as d)
json() {
	python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"
}

# The outbox: every event once, in order, chain unbroken.
chain_ok() {
	"$KEYCAB_BIN/keycab-chaincheck" "$T/keycab.db"
}

# events TYPE: how many events of TYPE are in the outbox
events() {
	sqlite3 "$T/keycab.db" "SELECT count(*) FROM outbox WHERE json_extract(body, '\$.type') = '$1'"
}

login() { # login PERSON PIN: sets the session file
	printf '%s\n' "$2" | kc login "$1" --pin-stdin >/dev/null
}
token() { # token PERSON PIN: prints a session token
	printf '%s\n' "$2" | kc login "$1" --pin-stdin --print-token
}

# wait_coil SLOT on|off
wait_coil() {
	wait_for 10 bash -c "printf 'coil $1\n' | socat -t 5 - UNIX-CONNECT:$SIM_CONTROL | grep -q 'OK $2'"
}
# wait_key KEY STATE
wait_key() {
	wait_for 10 bash -c "'$KEYCAB_BIN/keycab' keys --json | python3 -c \"import json,sys; d=json.load(sys.stdin); sys.exit(0 if [k for k in d['keys'] if k['key']=='$1' and k['state']=='$2'] else 1)\""
}

kc_finish() {
	# keycabd's own reports under SANITIZE=1 land in its log
	if grep -q -e "ERROR: AddressSanitizer" -e "runtime error:" -e "ERROR: LeakSanitizer" "$T"/*.log 2>/dev/null; then
		bad "a sanitizer report in keycabd's log"
		grep -h -A20 -e "Sanitizer" -e "runtime error:" "$T"/*.log | head -40
	fi
	if [ "$FAILS" -gt 0 ]; then echo "$FAILS checks failed"; exit 1; fi
	echo "all checks passed"
}
