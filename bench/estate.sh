# What the release benchmarks share (sourced after tests/controller/lib.sh,
# with keycabd running): bench_estate puts the bench estate in keycabd, a
# vacant key in every one of the demo cabinet's 24 slots (K01-K24, tags on
# the A board), staff member S01 with PIN 1234, and the keys in their slots
# at keycab-sim; it returns once keycabd has all 24 in.
bench_estate() {
	local i=0 s tag p put=()

	printf 'code,name,age\nB,Bench,new\n' >"$T/sites.csv"
	printf 'code,site,vacant\n' >"$T/units.csv"
	printf 'code,unit,kind,slot,tag\n' >"$T/keys.csv"
	for s in A0{1..8} B0{1..8} C0{1..8}; do
		i=$((i + 1))
		tag=0
		[ "${s:0:1}" = A ] && tag=$((0x2000 + i))
		printf 'U%02d,B,yes\n' $i >>"$T/units.csv"
		printf 'K%02d,U%02d,vacant,%s,%d\n' $i $i "$s" $tag >>"$T/keys.csv"
		put+=("$s $tag")
	done
	for t in sites units keys; do kc import $t "$T/$t.csv" >/dev/null || return 1; done
	echo 1234 | kc person add S01 --name Bench --role staff --pin-stdin >/dev/null || return 1
	for p in "${put[@]}"; do sim insert $p >/dev/null; done
	wait_for 20 bash -c "[ \$(sqlite3 '$T/keycab.db' \"SELECT count(*) FROM keys WHERE state='in'\") = 24 ]" ||
		{ echo "keys not in"; return 1; }
}
