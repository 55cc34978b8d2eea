#!/usr/bin/env bash
# Runs each benchmark given (a built program or a script) and prints what
# it reports. Benchmarks print their figures as ratios against a baseline
# measured in the same run, since these machines are shared and noisy.
set -u
: "${BUILD:?BUILD must name the build directory}"
export BUILD KEYCAB_BIN="$BUILD/bin"
export KEYCAB_LOCALEDIR="$BUILD/locale"
export KEYCAB_SRC
KEYCAB_SRC=$(cd "$(dirname "$0")/.." && pwd)
rc=0
for b in "$@"; do
	echo "== ${b##*/}"
	if [ -x "$b" ]; then "$b" </dev/null; else bash "$b" </dev/null; fi || { echo "bench ${b##*/} failed"; rc=1; }
done
exit $rc
