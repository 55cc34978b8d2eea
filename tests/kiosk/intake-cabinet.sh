# Sourced by the intake tests and bench (after tests/controller/lib.sh):
# intake_cabinet_start [N]: kc_start on the demo cabinet with N free
# slots (default 4) added to its tag board (A09, A10, ..., reading key
# tags), so keys can be taken in while the demo estate fills A01-C08.
# With INTAKE_AUDIT=1, a real keyauditd beside it (kad_setup) that keycabd
# forwards its events to.
intake_cabinet_start() {
	kc_cabinet
	local i
	for i in $(seq 9 $((8 + ${1:-4}))); do
		printf '[slot A%02d]\nboard = tags\nlock = %d\nsense = %d\ntag = %d\n' "$i" $((i - 1)) $((i - 1)) \
			$((2 * (i - 1))) >>"$T/cabinet.conf"
	done
	kc_config
	[ "${INTAKE_AUDIT:-0}" = 1 ] && kad_setup 500ms
	sim_start
	"$KEYCAB_BIN/keycabd" -c "$T/keycabd.conf" --init-db >/dev/null || exit 1
	kcd_start
}
