#!/usr/bin/env bash
# The dashboard on a large audit log beside the vacant-unit report
# (bench/service-dashboard.c): bench/service-reports generates the log
# (KC_BENCH_EVENTS events, default 10 million, kept for this run only),
# then service-dashboard measures both on it.
set -u
: "${BUILD:?}"
LOG=$(mktemp /tmp/kc-bench-dash-XXXXXX)
KC_BENCH_KEEP=1 "$BUILD/bench/service-reports" >"$LOG" 2>&1
rc=$?
DB=$(sed -n 's/^kept //p' "$LOG")
trap 'rm -f "$LOG"; [ -n "$DB" ] && rm -rf "$(dirname "$DB")"' EXIT
grep -E '^(events|generated|built)' "$LOG"
[ -n "$DB" ] && [ -s "$DB" ] || { echo "no database generated (service-reports exit $rc)"; cat "$LOG"; exit 1; }
"$BUILD/bench/service-dashboard" "$DB"
