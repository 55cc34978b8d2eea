#!/usr/bin/env bash
# make install into a DESTDIR: the programs the units start are there, the
# units, sysusers and examples too, and none of the test tools.
set -u
src=${KEYCAB_SRC:?}
d=$(mktemp -d /tmp/keycab-install.XXXXXX)
trap 'rm -rf "$d"' EXIT
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }

out=$(make -s -C "$src" BUILD="$BUILD" DESTDIR="$d" PREFIX=/usr install 2>&1) || bad "make install: $out"
for p in keycabd keycab keycab-forward keycab-hw keyauditd; do
	[ -x "$d/usr/bin/$p" ] && ok "bin/$p installed" || bad "bin/$p missing"
done
for p in keycab-sim kc-forward-test keycab-chaincheck; do
	[ ! -e "$d/usr/bin/$p" ] && ok "test tool $p not installed" || bad "test tool $p installed"
done
for u in "$src"/systemd/*.service; do
	n=$(basename "$u")
	[ -f "$d/usr/lib/systemd/system/$n" ] && ok "unit $n installed" || bad "unit $n missing"
	# every keycab program a unit starts is installed where the unit looks
	# (cage and chromium come from Debian)
	for exe in $(grep -hoE '^Exec[A-Za-z]*=[-@!+]*/usr/bin/(keycab|keyaudit)[^ ]*' "$u" | sed -E 's/^[^=]*=[-@!+]*//'); do
		[ -x "$d$exe" ] && ok "$n: $exe is installed" || bad "$n starts $exe, which make install does not install"
	done
done
for f in "$src"/systemd/*.sysusers; do
	n=$(basename "$f" .sysusers).conf
	[ -f "$d/usr/lib/sysusers.d/$n" ] && ok "sysusers $n installed" || bad "sysusers $n missing"
done
[ -f "$d/usr/share/doc/keycab/examples/keycabd.conf.example" ] &&
	[ -f "$d/usr/share/doc/keycab/examples/demo-cabinet.conf" ] && ok "examples installed" || bad "examples missing"
# the notices' templates, one file per kind and language, where the
# example keyauditd.conf's [templates] dir names them
tdir=$(sed -n 's/^;\{0,1\}dir *= *//p' "$src/systemd/keyauditd.conf.example")
n=$(ls "$d$tdir"/*.zh.txt "$d$tdir"/*.en.txt 2>/dev/null | wc -l)
[ -n "$tdir" ] && [ "$n" -eq $(ls "$src"/service/templates/*.txt | wc -l) ] && [ "$n" -ge 26 ] &&
	ok "$n notice templates installed in $tdir" || bad "notice templates not installed in [templates] dir ($tdir: $n)"
echo "$fails check(s) failed"
[ "$fails" -eq 0 ]
