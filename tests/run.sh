#!/usr/bin/env bash
# Runs each test given (a built program or a script), one after another.
# A test passes with exit 0, is skipped with exit 77, fails otherwise.
# Each test's output goes to $BUILD/test-logs/<name>.log; a failure prints
# the end of it. The last line is "N passed, N failed[, N skipped]".
# Each test runs under a time limit (TEST_TIMEOUT seconds, default 900):
# a hung test fails with its name instead of hanging the run.
set -u
: "${BUILD:?BUILD must name the build directory}"
export BUILD
export KEYCAB_BIN="$BUILD/bin"
# the message catalogue as built (common/msg.h)
export KEYCAB_LOCALEDIR="$BUILD/locale"
export KEYCAB_SRC
KEYCAB_SRC=$(cd "$(dirname "$0")/.." && pwd)
logs="$BUILD/test-logs"
mkdir -p "$logs"
pass=0 fail=0 skip=0 failed=()
for t in "$@"; do
	case $t in
	*tests/*) name=${t##*tests/} ;;
	*) name=$t ;;
	esac
	name=${name%.sh}
	name=${name%.py}
	name=${name//\//_}
	log="$logs/$name.log"
	start=$(date +%s%N)
	if [ -x "$t" ]; then
		timeout --kill-after=10 "${TEST_TIMEOUT:-900}" "$t" >"$log" 2>&1 </dev/null
	else
		timeout --kill-after=10 "${TEST_TIMEOUT:-900}" bash "$t" >"$log" 2>&1 </dev/null
	fi
	rc=$?
	[ "$rc" -eq 124 ] && echo "timed out after ${TEST_TIMEOUT:-900} s" >>"$log"
	ms=$(( ($(date +%s%N) - start) / 1000000 ))
	secs=$((ms / 1000)).$(( (ms % 1000) / 100 ))
	case $rc in
	0) pass=$((pass + 1)); printf 'PASS %-50s %6ss\n' "$name" "$secs" ;;
	77) skip=$((skip + 1)); printf 'SKIP %-50s %s\n' "$name" "$(tail -n 1 "$log")" ;;
	*) fail=$((fail + 1)); failed+=("$name")
	   printf 'FAIL %-50s %6ss (exit %d)\n' "$name" "$secs" "$rc"
	   tail -n 30 "$log" | sed 's/^/    | /' ;;
	esac
done
[ ${#failed[@]} -gt 0 ] && printf 'failed: %s\n' "${failed[*]}"
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
