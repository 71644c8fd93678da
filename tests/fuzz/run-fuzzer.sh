#!/bin/bash
# run-fuzzer.sh EXE CORPUS_DIR NAME: run one libFuzzer target for FUZZ_SECONDS on a scratch copy
# of its seed corpus, print "fuzz NAME: execs=N exec_per_sec=N", fail on any crash.
set -eu
exe=$1 corpus=$2 name=$3
secs=${FUZZ_SECONDS:-60}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work"/ 2>/dev/null || true
artdir=${FUZZ_ARTIFACTS:-$work}
"$exe" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$artdir/$name-" \
       -rss_limit_mb=2048 "$work" >"$work.log" 2>&1 && rc=0 || rc=$?
execs=$(awk '/stat::number_of_executed_units/{print $2}' "$work.log")
eps=$(awk '/stat::average_exec_per_sec/{print $2}' "$work.log")
echo "fuzz $name: execs=${execs:-0} exec_per_sec=${eps:-0} seconds=$secs rc=$rc"
[ "$rc" = 0 ] || { tail -40 "$work.log"; exit 1; }
rm -f "$work.log"
