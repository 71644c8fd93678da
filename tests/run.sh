#!/bin/bash
# tests/run.sh: install, build and run the whole test suite on Debian 12 (as root).
#   1. normal build: every suite (unit, app, vfmgr, crash, testbed, ...)
#   2. ASan+UBSan build: the hermetic suites again
#   3. valgrind memcheck over the suites tagged 'valgrind'
#   4. clang libFuzzer build: every fuzz target for FUZZ_SECONDS (default 60) each
# Ends with one line "N passed, N failed".
# Options: --no-sanitize --no-fuzz --no-valgrind --no-testbed, --suite S (only that suite, pass 1 only)
# (suites are qualified with the project name: "vfmgr" alone would match every test)
set -u
cd "$(dirname "$0")/.."
top=$PWD
. tests/setup.sh

do_san=1 do_fuzz=1 do_vg=1 do_testbed=1 only_suite=""
while [ $# -gt 0 ]; do
	case $1 in
	--no-sanitize) do_san=0 ;;
	--no-fuzz) do_fuzz=0 ;;
	--no-valgrind) do_vg=0 ;;
	--no-testbed) do_testbed=0 ;;
	--suite) only_suite=$2; shift ;;
	-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
	*) echo "tests/run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

ensure_packages || exit 1
reserve_hugepages 512

total_pass=0 total_fail=0
# count DIR: add the results of DIR's last meson test run to the totals (meson names the log
# after a --wrapper, e.g. testlog-valgrind.json: take the newest).
count() {
	local r log
	log=$(ls -t "$1"/meson-logs/testlog*.json 2>/dev/null | head -1)
	r=$(python3 - "${log:-$1/meson-logs/testlog.json}" <<'PY'
import json, sys
p = f = 0
try:
    for line in open(sys.argv[1]):
        if not line.strip():
            continue
        res = json.loads(line).get("result")
        if res in ("OK", "EXPECTEDFAIL"): p += 1
        elif res != "SKIP": f += 1
except FileNotFoundError:
    f += 1
print(p, f)
PY
)
	total_pass=$((total_pass + ${r% *})); total_fail=$((total_fail + ${r#* }))
}
# pass NAME DIR [meson test args...]
pass() {
	local name=$1 dir=$2; shift 2
	log "== $name"
	meson test -C "$dir" --print-errorlogs --num-processes 2 "$@"
	count "$dir"
}

if ! build_tree build; then echo "0 passed, 1 failed"; exit 1; fi
if [ -n "$only_suite" ]; then
	pass "suite $only_suite" build --suite "vfmgr:${only_suite#vfmgr:}"
else
	skip="--no-suite fuzz"
	[ $do_testbed = 1 ] || skip="$skip --no-suite testbed"
	pass "normal build" build $skip

	if [ $do_vg = 1 ]; then
		pass "valgrind memcheck" build --suite vfmgr:valgrind \
			--wrapper 'valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --quiet'
	fi
	if [ $do_san = 1 ]; then
		if build_tree build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
			ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
				pass "ASan+UBSan" build-asan --suite vfmgr:unit --suite vfmgr:vfmgr --suite vfmgr:crash \
					--suite vfmgr:placement
		else total_fail=$((total_fail + 1)); fi
	fi
	if [ $do_fuzz = 1 ]; then
		if CC=clang build_tree build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false; then
			pass "fuzz (${FUZZ_SECONDS:-60} s each)" build-fuzz --suite vfmgr:fuzz
		else total_fail=$((total_fail + 1)); fi
	fi
fi
echo "${total_pass} passed, ${total_fail} failed"
[ "$total_fail" = 0 ]
