#!/usr/bin/env bash
# Runs the libFuzzer harnesses built in $FUZZ_BUILD/bin (make fuzz), one
# after another (the machine is shared: one process, one core).
#   fuzz.sh run TARGET...    each for $FUZZ_SECONDS; new inputs go to
#                            $FUZZ_BUILD/corpus/TARGET, crashes, leaks and
#                            timeouts to tests/fuzz/crashes/TARGET/
#   fuzz.sh merge TARGET...  minimises the committed corpus together with
#                            what the runs found into tests/fuzz/corpus/TARGET
set -u
cd "$(dirname "$0")/../.."
: "${FUZZ_BUILD:=build/fuzz}"
: "${FUZZ_SECONDS:=60}"
mode=${1:?usage: fuzz.sh run|merge TARGET...}
shift

# Inputs larger than these find nothing new in these parsers and slow
# every run down; the regression driver takes anything up to 1 MB.
max_len() {
	case $1 in
	ctl-proto|svc-ingest) echo 16384 ;;
	sim-ctl|sim-rtu) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

opts() {
	local t=$1
	echo "-max_len=$(max_len "$t") -timeout=25 -rss_limit_mb=2560 -print_final_stats=1"
	[ -f "tests/fuzz/dict/$t.dict" ] && echo "-dict=tests/fuzz/dict/$t.dict"
}

status=0
for t in "$@"; do
	bin=$FUZZ_BUILD/bin/fuzz-$t
	seeds=tests/fuzz/corpus/$t
	work=$FUZZ_BUILD/corpus/$t
	crashes=tests/fuzz/crashes/$t
	mkdir -p "$work" "$crashes" "$seeds"
	case $mode in
	run)
		echo "== fuzz $t for ${FUZZ_SECONDS}s (seeds: $(ls "$seeds" | wc -l) files)"
		before=$(ls "$crashes" | wc -l)
		# -fork=1: a crash is written and the run goes on to find others
		# shellcheck disable=SC2046
		log=$FUZZ_BUILD/logs/$t.log
		mkdir -p "$FUZZ_BUILD/logs"
		"$bin" $(opts "$t") -max_total_time="$FUZZ_SECONDS" -fork=1 -ignore_crashes=1 \
			-ignore_timeouts=1 -ignore_ooms=1 -artifact_prefix="$crashes/" \
			"$work" "$seeds" >"$log" 2>&1
		grep -E '^(#[0-9]+:|==[0-9]+==|SUMMARY|.*(crash|leak|timeout|oom)-)' "$log" | tail -n 8
		echo "   (whole output, stack traces included: $log)"
		after=$(ls "$crashes" | wc -l)
		if [ "$after" -gt "$before" ]; then
			echo "!! $t: $((after - before)) new crashing inputs in $crashes/"
			status=1
		fi
		;;
	merge)
		# The named seeds stay; of what the runs found (and of the inputs
		# kept by earlier merges, named by their SHA-1) only those adding
		# an edge the others miss are kept: edges, not hit counts
		# (-use_counters=0), keep the corpus small.
		echo "== merge $t"
		tmp=$(mktemp -d)
		old=$(mktemp -d)
		for f in "$seeds"/*; do
			[ -f "$f" ] || continue
			if [[ $(basename "$f") =~ ^[0-9a-f]{40}$ ]]; then
				mv "$f" "$old"/
			else
				cp "$f" "$tmp"/
			fi
		done
		# shellcheck disable=SC2046
		"$bin" $(opts "$t") -merge=1 -use_counters=0 "$tmp" "$old" "$work" 2>&1 | grep MERGE-OUTER
		rm -f "$seeds"/*
		cp "$tmp"/* "$seeds"/
		rm -rf "$tmp" "$old"
		echo "   $seeds: $(ls "$seeds" | wc -l) files"
		;;
	*)
		echo "fuzz.sh: unknown mode $mode" >&2
		exit 2
		;;
	esac
done
exit $status
