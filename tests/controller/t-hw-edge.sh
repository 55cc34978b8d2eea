#!/usr/bin/env bash
# Only the windows module (controller/windows.c, controller/hwlink.c) talks
# to the slot layer: no other object of keycabd's controller/ references a
# symbol hw/ defines (nm -u), and no other controller source includes
# "hw/...". The check fails on an object made to call the slot layer.
set -u
: "${BUILD:?}" "${KEYCAB_SRC:?}"
FAILS=0
ok() { echo "ok   - $*"; }
bad() { echo "FAIL - $*"; FAILS=$((FAILS + 1)); }
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

hwobjs=$(find "$BUILD/obj/hw" -maxdepth 1 -name '*.o' | sort)
[ -n "$hwobjs" ] || { echo "no objects in $BUILD/obj/hw"; exit 1; }
# shellcheck disable=SC2086
nm -g --defined-only $hwobjs | awk 'NF == 3 { print $3 }' | sort -u >"$T/hw.syms"
n=$(wc -l <"$T/hw.syms")
[ "$n" -gt 10 ] && ok "hw/ defines $n symbols" || bad "hw/ defines only $n symbols"

# Prints the hw/ symbols object $1 uses, one "object: symbol" a line.
hw_uses() {
	nm -u "$1" | awk '{ print $NF }' | sort -u | comm -12 - "$T/hw.syms" | sed "s|^|${1##*/}: |"
}

checked=0
for o in "$BUILD"/obj/controller/*.o; do
	case ${o##*/} in windows.o | hwlink.o) continue ;; esac
	checked=$((checked + 1))
	hw_uses "$o" >>"$T/uses"
done
[ "$checked" -gt 20 ] && ok "$checked objects of controller/ checked" || bad "only $checked objects found"
if [ -s "$T/uses" ]; then
	bad "objects outside the windows module use hw/: $(tr '\n' ' ' <"$T/uses")"
else
	ok "no object outside the windows module uses hw/"
fi
hwl=$(hw_uses "$BUILD/obj/controller/hwlink.o" 2>/dev/null; hw_uses "$BUILD/obj/controller/windows.o")
[ -n "$hwl" ] && ok "the windows module does: $(echo "$hwl" | wc -l) symbols" ||
	bad "the windows module uses no hw/ symbol: the check sees nothing"

inc=$(cd "$KEYCAB_SRC" && grep -ln '#include "hw/' controller/*.c controller/*.h |
	grep -v '^controller/\(windows\|hwlink\)\.[ch]$')
[ -z "$inc" ] && ok "no controller source outside the windows module includes hw/" ||
	bad "controller sources including hw/: $(echo "$inc" | tr '\n' ' ')"

# The check sees a call: an object of controller/ made to call the slot layer.
printf '#include "hw/hw.h"\nint kc_probe(struct hw_cabinet *c) { return hw_cabinet_slot_count(c); }\n' >"$T/probe.c"
if cc -I"$KEYCAB_SRC" -c "$T/probe.c" -o "$T/probe.o" 2>"$T/cc.err"; then
	u=$(hw_uses "$T/probe.o")
	[ "$u" = "probe.o: hw_cabinet_slot_count" ] && ok "an object calling hw_cabinet_slot_count is seen: $u" ||
		bad "an object calling hw_cabinet_slot_count is not seen: '$u'"
else
	bad "the probe did not compile: $(cat "$T/cc.err")"
fi

if [ "$FAILS" -gt 0 ]; then echo "$FAILS checks failed"; exit 1; fi
echo "all checks passed"
