# Shared by the estate's end-to-end tests (bash), sourced after
# tests/controller/lib.sh and tests/kiosk/lib.sh: the office (keyauditd
# with an admin account and the estate's card key) and one cabinet managed
# from it (keycabd on keycab-sim with [estate] mode = managed, its card key
# the estate's, keycab-forward linked to keyauditd), as issue 17 has them.

# The office's admin, who signs in at the console.
export ADMIN=admin ADMIN_PASS=estate-admin-pw
# The cabinet, as its file names it (hw/examples/demo-cabinet.conf).
export CABINET=demo-desk

# office_conf: keyauditd's configuration on a free port, its [estate]
# section with the card key keycabd made ($T/card.key).
office_conf() {
	cat >"$T/keyauditd.conf" <<CONF
[server]
listen = 127.0.0.1
port = $(free_port)
threads = 4
[database]
path = $T/audit.db
[estate]
card_key_file = $T/card.key
enrol_code_valid = 72h
feed_wait_max = 30s
CONF
}

# office_cmd ARGS...: keyauditd's command line on the office's database
office_cmd() {
	"$KEYCAB_BIN/keyauditd" -c "$T/keyauditd.conf" "$@"
}

# estate_start: keycab-sim, a managed keycabd with the estate's card key as
# its [database] key_file (made by --init-db), keyauditd with the cabinet
# registered managed (its token in $T/token) and the admin account, and
# keycab-forward linked to it. Nothing is in the cabinet yet: the estate
# comes from the office (estate_seed).
estate_start() {
	kc_cabinet
	kc_config
	sed -i "s|^path = $T/keycab.db\$|&\nkey_file = $T/card.key|" "$T/keycabd.conf"
	printf '[estate]\nmode = managed\n' >>"$T/keycabd.conf"
	"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
	[ -s "$T/card.key" ] || { echo "keycabd --init-db made no card key"; exit 1; }
	office_conf
	office_cmd add-cabinet "$CABINET" --managed >"$T/token" 2>>"$T/keyauditd.log" ||
		{ cat "$T/keyauditd.log"; exit 1; }
	chmod 600 "$T/token"
	printf '%s\n' "$ADMIN_PASS" | office_cmd add-user --role admin "$ADMIN" 2>>"$T/keyauditd.log" ||
		{ cat "$T/keyauditd.log"; exit 1; }
	kad_start
	OFFICE=http://127.0.0.1:$(cat "$T/kad.port")
	export OFFICE
	printf '[audit]\nurl = %s\ntoken_file = %s/token\nbackoff_min = 100ms\nbackoff_max = 500ms\n' \
		"$OFFICE" "$T" >>"$T/keycabd.conf"
	sim_start
	kcd_start
}

# kad_kill9 / kfw_kill9: keyauditd or keycab-forward killed by SIGKILL,
# as a power cut would stop it.
kad_kill9() { kill -9 "$KAD_PID" && wait "$KAD_PID" 2>/dev/null; KAD_PID=; rm -f "$T/kad.port"; }
kfw_kill9() { kill -9 "$KFW_PID" && wait "$KFW_PID" 2>/dev/null; KFW_PID=; }

# office_api METHOD PATH [JSON]: the office's JSON API as the admin; the
# answer's body on stdout, fails on a status other than 2xx.
office_api() {
	curl -sS --fail-with-body -u "$ADMIN:$ADMIN_PASS" -X "$1" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} "$OFFICE$2"
}

# cab_applied: the change number of each estate.applied or estate.refused
# event in keycabd's outbox ($T/keycab.db), one a line, in the chain's order.
cab_applied() {
	sqlite3 "$T/keycab.db" "SELECT json_extract(body, '\$.data.change') FROM outbox
		WHERE json_extract(body, '\$.type') IN ('estate.applied', 'estate.refused') ORDER BY seq"
}
# office_applied: the same events as keyauditd holds them
office_applied() {
	sqlite3 "$T/audit.db" "SELECT json_extract(body, '\$.data.change') FROM events
		WHERE cabinet = '$CABINET' AND type IN ('estate.applied', 'estate.refused') ORDER BY seq"
}
# cab_position: the last change the cabinet applied or refused (0: none)
cab_position() {
	sqlite3 "$T/keycab.db" "SELECT coalesce(max(json_extract(body, '\$.data.change')), 0) FROM outbox
		WHERE json_extract(body, '\$.type') IN ('estate.applied', 'estate.refused')"
}
# office_last: the cabinet's newest change number in the office's feed
office_last() {
	sqlite3 "$T/audit.db" "SELECT coalesce(max(change), 0) FROM feed WHERE cabinet = '$CABINET'"
}
# all_applied: the cabinet has applied (or refused) every change of its feed
all_applied() {
	local l
	l=$(office_last)
	[ "$l" -gt 0 ] && [ "$(cab_position)" = "$l" ]
}
# past N: the cabinet's position is N or more
past() {
	[ "$(cab_position)" -ge "$1" ]
}
