#!/bin/bash
# benchmarks/fuzz.sh: run every libFuzzer target for a long, bounded time (default 600 s each,
# two at a time) and write DIR/fuzz.md and DIR/fuzz.json with executions and executions/s.
#   --seconds N   time per fuzzer (default 600)
#   --out DIR     default benchmarks/results/<UTC timestamp>-fuzz/
# Crashing inputs are kept in DIR/artifacts/; add them to tests/fuzz/corpus/<name>/ as
# regression seeds once fixed (every seed runs in tests/run.sh's bounded fuzz pass).
set -u
cd "$(dirname "$0")/.."
. tests/setup.sh
secs=600 out=""
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) secs=$2; shift ;;
	--out) out=$2; shift ;;
	-h|--help) sed -n '2,8p' "$0"; exit 0 ;;
	*) echo "benchmarks/fuzz.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
case $secs in ''|*[!0-9]*) echo "benchmarks/fuzz.sh: --seconds wants a whole number of seconds" >&2; exit 2 ;; esac
[ -n "$out" ] || out=benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)-fuzz
mkdir -p "$out/artifacts" && out=$(cd "$out" && pwd)
ensure_packages || exit 1
CC=clang build_tree build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false || exit 1
log "fuzzing every target for $secs s, two at a time"
FUZZ_SECONDS=$secs FUZZ_ARTIFACTS=$out/artifacts \
	meson test -C build-fuzz --suite vfmgr:fuzz --num-processes 2 \
	--timeout-multiplier $(( (secs + 300) / 900 + 1 )) >"$out/meson-test.log" 2>&1
rc=$?
python3 - "build-fuzz/meson-logs/testlog.json" "$out" "$secs" <<'PY'
import json, re, sys
log, out, secs = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = []
for line in open(log):
    t = json.loads(line)
    m = re.search(r"fuzz (\S+): execs=(\d+) exec_per_sec=(\d+)", t.get("stdout", ""))
    name = m.group(1) if m else t["name"].removeprefix("fuzz_")
    rows.append({"target": name, "result": t["result"], "seconds": secs,
                 "execs": int(m.group(2)) if m else 0, "execs_per_s": int(m.group(3)) if m else 0})
json.dump({"fuzzers": rows}, open(f"{out}/fuzz.json", "w"), indent=1)
with open(f"{out}/fuzz.md", "w") as f:
    f.write(f"# libFuzzer run, {secs} s per target (clang, ASan+UBSan)\n\n")
    f.write("| target | result | executions | executions/s |\n|---|---|---|---|\n")
    for r in rows:
        f.write(f"| {r['target']} | {r['result']} | {r['execs']:,} | {r['execs_per_s']:,} |\n")
print(open(f"{out}/fuzz.md").read())
PY
log "wrote $out/fuzz.md"
exit $rc
