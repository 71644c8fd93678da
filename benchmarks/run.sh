#!/bin/bash
# benchmarks/run.sh: install what is missing, build, run the benchmark matrix and write a report.
#
#   benchmarks/run.sh [--quick] [--out DIR] [--reps N] [--duration S] [--warmup S]
#                     [--only-strategies a,b] [--only-modes a,b] [--only-workloads a,b]
#                     [--no-peers] [--testbed] [--build-dir DIR] [--inv-latency-ns N] [--vmexit-ns N]
#                     [--pool-size N]
#
# Default: every strategy x mode x workload (7 x 3 x 2) three times with vfapp's internal
# topology, the map/unmap microbenchmark, the peer comparisons (testpmd on net_memif,
# sockperf on a veth pair), the real-peer runs (iperf3/sockperf between two namespaces
# through the appliance on net_af_xdp), interrupt delivery modes when vfapp has --rx-mode.
#   --quick          every cell once, briefly (about 3 minutes when built)
#   --out DIR        output directory (default benchmarks/results/<UTC timestamp>)
#   --reps N         repetitions per matrix cell (default 3; --quick 1)
#   --no-peers       skip the peer and real-peer sections
#   --testbed        add the QEMU test-bed section (tests/testbed/run-bench.sh)
#   --build-dir DIR  build tree to use (default build)
# Writes DIR/results.json (schema in benchmarks/README.md), DIR/report.md, DIR/*.png and
# DIR/logs/. Exits non-zero when a matrix cell is missing or zero.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$PWD
. tests/setup.sh

STRATEGIES="off strict deferred optimistic persistent shared ring"
MODES="native trap-and-emulate sidecore"
WORKLOADS="TCP_STREAM UDP_RR"
quick=0 out="" reps="" duration="" warmup="" peers=1 testbed=0 build=build
pool_size=4095 only_s="" only_m="" only_w="" inv_ns=${VFB_INV_LATENCY_NS:-700} vmexit_ns=${VFB_VMEXIT_NS:-1200}
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--out) out=$2; shift ;;
	--reps) reps=$2; shift ;;
	--duration) duration=$2; shift ;;
	--warmup) warmup=$2; shift ;;
	--only-strategies) only_s=${2//,/ }; shift ;;
	--only-modes) only_m=${2//,/ }; shift ;;
	--only-workloads) only_w=${2//,/ }; shift ;;
	--no-peers) peers=0 ;;
	--testbed) testbed=1 ;;
	--build-dir) build=$2; shift ;;
	--inv-latency-ns) inv_ns=$2; shift ;;
	--vmexit-ns) vmexit_ns=$2; shift ;;
	--pool-size) pool_size=$2; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "benchmarks/run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ $quick = 1 ]; then
	reps=${reps:-1} duration=${duration:-0.6} warmup=${warmup:-0.3}
else
	reps=${reps:-3} duration=${duration:-2} warmup=${warmup:-1}
fi
case $reps in ''|*[!0-9]*|0) echo "benchmarks/run.sh: --reps needs a positive integer" >&2; exit 2 ;; esac
[ -n "$out" ] || out=benchmarks/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$out/logs" || exit 1
out=$(cd "$out" && pwd)
case $build in /*) ;; *) build=$top/$build ;; esac
t_start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------ cleanup
tag=vfb$$
# netns/veth names get a per-run suffix (peers/netns.sh): concurrent runs do not collide
export VFB_TAG=$(printf '%05d' $(( $$ % 100000 )))
cleanup() {
	local p
	[ $peers = 1 ] && "$top/benchmarks/peers/netns.sh" cleanup 2>/dev/null
	rm -rf /dev/hugepages/${tag}* /var/run/dpdk/${tag}* /tmp/${tag}* 2>/dev/null
	true
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# ------------------------------------------------------------------ install + build
if [ -n "${VFB_VFAPP:-}" ]; then
	# run by /usr/bin/vfmgr-bench (vfmgr-bench package): its binaries, nothing built
	reserve_hugepages 512
	vfapp=$VFB_VFAPP micro=${VFB_MICRO:-}
else
	ensure_packages || exit 1
	reserve_hugepages 512
	log "building $build"
	build_tree "$build" || { log "build failed"; exit 1; }
	vfapp=$build/app/appliance/vfapp
	micro=$build/benchmarks/microbench/iova-microbench
fi
[ -x "$vfapp" ] || { log "no $vfapp after the build"; exit 1; }
# vfapp's own options come after the EAL's: `vfapp EAL -- --help`.
# shellcheck disable=SC2046
help=$(timeout 30 "$vfapp" -l 0 --no-pci --no-huge -m 64 --file-prefix ${tag}_help \
	--log-level=lib.eal:error -- --help 2>&1 </dev/null | head -200)
# Strategies the binary lists beyond ours: "--strategy S   off|strict|...|ring [off]".
for s in $(printf '%s\n' "$help" | grep -oE -- '--strategy[[:space:]]+([A-Z]+[[:space:]]+)?[a-z][a-z0-9_-]*(\|[a-z][a-z0-9_-]*)+' |
	head -1 | awk '{print $NF}' | tr '|' ' '); do
	case " $STRATEGIES " in *" $s "*) ;; *) STRATEGIES="$STRATEGIES $s" ;; esac
done
[ -n "$only_s" ] && STRATEGIES=$only_s
[ -n "$only_m" ] && MODES=$only_m
[ -n "$only_w" ] && WORKLOADS=$only_w
has_rx_mode=0; printf '%s\n' "$help" | grep -q -- '--rx-mode' && has_rx_mode=1
has_ports=0; printf '%s\n' "$help" | grep -q -- '--topology.*ports\|^ *ports ' && has_ports=1

# EAL: hugepages when enough are free, else --no-huge (decided once, recorded in results.json).
free_hp=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free_hp:-0}" -ge 128 ] && [ -z "${VFB_NO_HUGE:-}" ]; then huge=1 mem="--in-memory"
else huge=0 mem="--no-huge -m 1024"; fi  # --no-huge implies legacy memory: no --in-memory
eal() { echo "-l 0-1 --no-pci --file-prefix ${tag}_$1 $mem --log-level=lib.eal:error"; }
common="--inv-latency-ns $inv_ns --vmexit-ns $vmexit_ns"
# The appliance and the endpoints run on lcore 0. Where the VMM thread runs follows the paper's
# model: trap-and-emulate handles a synchronous exit on the vCPU's own core (CPU 0; on the other
# core every exit pays a cross-CPU wake-up, ~60x slower here), the sidecore polls from a core
# of its own (CPU 1; sharing CPU 0 with the datapath makes it ~100x slower here).
has_vmm=0; printf '%s\n' "$help" | grep -q -- '--vmm-lcore' && has_vmm=1
vmm_cpu_for() { case $1 in trap-and-emulate) echo 0 ;; sidecore) echo 1 ;; *) echo -1 ;; esac; }
vmm_args() { [ $has_vmm = 1 ] && [ "$1" != native ] && echo "--vmm-lcore $(vmm_cpu_for "$1")"; }
# Every pool buffer is mapped at pool creation and unmapped at exit: under trap-and-emulate
# 16383 buffers cost seconds per run. 4095 keeps the memif rings fed (no drops seen).
# (Not for the real-peer runs: net_af_xdp takes 4096 buffers per rx queue from the pool.)
common_rp=$common
printf '%s\n' "$help" | grep -q -- '--pool-size' && [ -n "$pool_size" ] && common="$common --pool-size $pool_size"
records=$out/logs/records.jsonl errors=$out/logs/errors.jsonl
: >"$records"; : >"$errors"

# last_json LOGFILE KIND EXTRA-JSON [RECORDS-FILE [NONZERO]]: the log's last line starting with
# '{' as one record with "kind" (and EXTRA fields) added; appended to RECORDS-FILE when given,
# and the headline figure printed, else the record printed. Exit 1 if there is none or not
# JSON; with NONZERO=1, exit 3 (record not written) when the headline figure is missing or 0.
last_json() {
	python3 - "$1" "$2" "${3:-}" "${4:-}" "${5:-0}" <<'PY'
import json, sys
last = None
for ln in open(sys.argv[1], errors="replace"):
    if ln.startswith("{"):
        last = ln
if last is None:
    sys.exit(1)
try:
    r = json.loads(last)
except ValueError:
    sys.exit(1)
if not isinstance(r, dict):
    sys.exit(1)
r["kind"] = sys.argv[2]
if sys.argv[3]:
    r.update(json.loads(sys.argv[3]))
if not sys.argv[4]:
    print(json.dumps(r)); sys.exit(0)
head = "?"
for k, u, fm in (("goodput_gbps", "Gbit/s", "%.2f"), ("transactions_per_s", "trans/s", "%.0f"), ("mpps", "Mpps", "%.2f")):
    if isinstance(r.get(k), (int, float)):
        head = (fm + " " + u) % r[k]
        if r[k] <= 0 and sys.argv[5] == "1":
            sys.exit(3)
        break
else:
    if sys.argv[5] == "1":
        sys.exit(3)
with open(sys.argv[4], "a") as f:
    f.write(json.dumps(r) + "\n")
print(head)
PY
}
# error WHAT LOGFILE: remember a failed run.
error() {
	python3 -c 'import json,sys; print(json.dumps({"what": sys.argv[1], "log": sys.argv[2], "tail": open(sys.argv[2], errors="replace").read()[-400:] if sys.argv[2] else ""}))' \
		"$1" "${2:-}" >>"$errors"
	log "FAILED: $1 (log ${2:-none})"
}
# figure RECORD-JSON: the headline figure of one record, for the progress line.
figure() {
	python3 -c '
import json, sys
r = json.loads(sys.argv[1])
for k, u, f in (("goodput_gbps", "Gbit/s", "%.2f"), ("transactions_per_s", "trans/s", "%.0f"), ("mpps", "Mpps", "%.2f")):
    if isinstance(r.get(k), (int, float)):
        print((f + " " + u) % r[k]); break
else:
    print("?")' "$1"
}

# run_vfapp NAME KIND EXTRA-JSON TIMEOUT-S ARGS...: run vfapp (retry once), append its record
# to $records and print its headline figure.
run_vfapp() {
	local name=$1 kind=$2 extra=$3 tmo=$4; shift 4
	local lf=$out/logs/$name.log try rec t0 x
	for try in 1 2; do
		t0=$(date +%s%N)
		# shellcheck disable=SC2046
		timeout -k 3 "$tmo" "$vfapp" $(eal "$name") -- "$@" --json >"$lf" 2>&1 </dev/null
		t0=$(( ($(date +%s%N) - t0) / 10000000 ))
		x=$(printf '"wall_s": %d.%02d' $((t0 / 100)) $((t0 % 100)))
		if [ -n "$extra" ]; then x="${extra%\}}, $x}"; else x="{$x}"; fi
		# first try: a zero figure counts as a failure (retried); second try: record whatever came
		last_json "$lf" "$kind" "$x" "$records" $((try == 1 ? 1 : 0)) && return 0
		[ -f "$lf" ] && cp "$lf" "$lf.try$try"
		rm -rf /var/run/dpdk/${tag}_"$name"* 2>/dev/null
	done
	error "vfapp $*" "$lf"
	return 1
}
tmo_run=$(python3 -c "import math; print(int(math.ceil($duration + $warmup)) + 30)")

# ------------------------------------------------------------------ matrix
set -- $STRATEGIES; ns=$#; set -- $MODES; nm=$#; set -- $WORKLOADS; nw=$#
total=$((ns * nm * nw * reps)) i=0
log "matrix: $ns strategies x $nm modes x $nw workloads x $reps reps = $total runs (duration $duration s, warm-up $warmup s, hugepages $huge)"
t_matrix=$(date +%s)
for rep in $(seq 1 "$reps"); do
	for w in $WORKLOADS; do
		for m in $MODES; do
			for s in $STRATEGIES; do
				i=$((i + 1))
				if rec=$(run_vfapp "m-$s-$m-$w-$rep" matrix "" "$tmo_run" --workload "$w" --strategy "$s" \
					--mode "$m" --duration "$duration" --warmup "$warmup" --repetition "$rep" $common $(vmm_args "$m")); then
					printf '[%d/%d] %s %s %s rep %d: %s\n' $i $total "$s" "$m" "$w" "$rep" "$rec"
				else
					printf '[%d/%d] %s %s %s rep %d: FAILED (see %s)\n' $i $total "$s" "$m" "$w" "$rep" "logs/m-$s-$m-$w-$rep.log"
				fi
			done
		done
	done
done
log "matrix done in $(( $(date +%s) - t_matrix )) s"

# ------------------------------------------------------------------ microbenchmark
tsc_hz=""
if [ -x "$micro" ]; then
	log "microbenchmark"
	mhelp=$("$micro" --help 2>&1 </dev/null)
	margs="--inv-latency-ns $inv_ns --vmexit-ns $vmexit_ns"
	if [ $quick = 1 ]; then
		printf '%s\n' "$mhelp" | grep -q -- '--iterations' && margs="$margs --iterations 5000"
		printf '%s\n' "$mhelp" | grep -q -- '--max-seconds' && margs="$margs --max-seconds 1"
	fi
	# One process per mode: the microbench thread on CPU 0, the VMM / sidecore thread placed
	# as for vfapp (trap-and-emulate CPU 0, sidecore CPU 1).
	: >"$out/logs/microbench.log"
	for m in $MODES; do
		ma="$margs --mode $m"
		[ "$m" != native ] && printf '%s\n' "$mhelp" | grep -q -- '--vmm-cpu' && ma="$ma --vmm-cpu $(vmm_cpu_for "$m")"
		timeout -k 3 300 taskset -c 0 "$micro" --json $ma >"$out/logs/microbench-$m.log" 2>&1 </dev/null
		mrc=$?
		cat "$out/logs/microbench-$m.log" >>"$out/logs/microbench.log"
		if grep -q '"kind" *: *"microbench"' "$out/logs/microbench-$m.log"; then
			grep '^{' "$out/logs/microbench-$m.log" | grep '"kind" *: *"microbench"' >>"$records"
			log "microbench $m: $(grep -c '"kind" *: *"microbench"' "$out/logs/microbench-$m.log") records (exit $mrc)"
		else
			error "iova-microbench --json $ma" "$out/logs/microbench-$m.log"
		fi
	done
	tsc_hz=$(grep '"kind" *: *"machine"' "$out/logs/microbench.log" | tail -1 |
		python3 -c 'import json,sys; print(json.loads(sys.stdin.read()).get("tsc_hz",""))' 2>/dev/null)
else
	error "no $micro" ""
fi

# ------------------------------------------------------------------ peers
preps=$([ $quick = 1 ] && echo 1 || echo $(( reps < 3 ? reps : 3 )))
pdur=$([ $quick = 1 ] && echo 1 || echo 2)
if [ $peers = 1 ]; then
	log "peers: forwarding rate on net_memif (vfapp fwd vs testpmd io/mac), $preps rep(s)"
	for rep in $(seq 1 "$preps"); do
		for sz in 64 1500; do
			if rec=$(run_vfapp "p-fwd-$sz-$rep" peer "{\"tool\":\"vfapp\",\"fwd_mode\":\"fwd\",\"ports\":\"net_memif\",\"pkt_size\":$sz}" \
				"$tmo_run" --workload fwd --strategy off --mode native --pkt-size "$sz" \
				--duration "$pdur" --warmup "$warmup" --repetition "$rep" $common); then
				log "vfapp fwd $sz B rep $rep: $rec"
			fi
			for f in io mac; do
				nh=""; [ $huge = 0 ] && nh=--no-huge
				if rec=$(benchmarks/peers/testpmd-memif.sh --fwd $f --pkt-size $sz --duration "$pdur" \
					--warmup 1 --repetition "$rep" $nh 2>"$out/logs/p-testpmd-$f-$sz-$rep.log"); then
					echo "$rec" >>"$records"; log "testpmd $f $sz B rep $rep: $(figure "$rec")"
				else error "testpmd $f $sz B" "$out/logs/p-testpmd-$f-$sz-$rep.log"; fi
			done
		done
	done
	log "peers: sockperf ping-pong and iperf3 over a direct veth pair between two namespaces"
	eval "$(benchmarks/peers/netns.sh names)"
	if benchmarks/peers/netns.sh direct up 2>"$out/logs/netns-direct.log"; then
		for rep in $(seq 1 "$preps"); do
			if rec=$(benchmarks/peers/sockperf.sh --server-ns "$DB" --client-ns "$DA" --ip 10.199.0.2 \
				--duration "$pdur" --kind peer --path veth-direct --extra "{\"repetition\":$rep}" 2>"$out/logs/p-sockperf-$rep.log"); then
				echo "$rec" >>"$records"; log "sockperf veth rep $rep: $(figure "$rec")"
				# the same figure belongs to the real-peer comparison (direct path)
				echo "$rec" | sed 's/"kind": "peer"/"kind": "realpeer"/' >>"$records"
			else error "sockperf veth-direct" "$out/logs/p-sockperf-$rep.log"; fi
			if rec=$(benchmarks/peers/iperf3.sh --server-ns "$DB" --client-ns "$DA" --ip 10.199.0.2 \
				--duration "$((pdur + 1))" --kind realpeer --path veth-direct --extra "{\"repetition\":$rep}" 2>"$out/logs/p-iperf3-$rep.log"); then
				echo "$rec" >>"$records"; log "iperf3 veth rep $rep: $(figure "$rec")"
			else error "iperf3 veth-direct" "$out/logs/p-iperf3-$rep.log"; fi
		done
		benchmarks/peers/netns.sh direct down
	else error "netns direct up" "$out/logs/netns-direct.log"; fi

	# Real peers through the appliance on af_xdp (or af_packet) ports on the root-side veths;
	# in the full run also dpdk-testpmd (mac forwarding) in the same place, for reference.
	if [ $has_ports = 1 ]; then
		rp_cells="vfapp:off:native"
		[ $quick = 0 ] && rp_cells="vfapp:off:native vfapp:strict:native vfapp:optimistic:sidecore testpmd:off:native"
		for cell in $rp_cells; do
			IFS=: read -r fw st md <<<"$cell"
			rl=$out/logs/realpeer-$fw-$st-$md.log n0=$(wc -l <"$records")
			benchmarks/peers/realpeer.sh --forwarder "$fw" --vfapp "$vfapp" --strategy "$st" --mode "$md" \
				--duration "$((pdur + 1))" --logdir "$out/logs" --prefix "${tag}_rp" --eal-mem "$mem" \
				--extra-args "$common_rp $(vmm_args "$md")" >>"$records" 2>"$rl" || error "realpeer $cell" "$rl"
			tail -n +$((n0 + 1)) "$records" | grep -E '"tool": "(iperf3|sockperf)"' | while read -r r; do
				log "realpeer $fw $st/$md $(echo "$r" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["tool"], r["path"])'): $(figure "$r")"
			done
		done
	else
		error "vfapp --help lists no --topology ports: real-peer section skipped" ""
	fi
fi

# ------------------------------------------------------------------ interrupt delivery
if [ $has_rx_mode = 1 ]; then
	log "interrupt delivery: UDP_RR with --rx-mode poll|posted|remapped"
	lowload=""; printf '%s\n' "$help" | grep -q -- '--rate' && lowload="--rate 1000"
	for rep in $(seq 1 "$preps"); do
		for rx in poll posted remapped; do
			if rec=$(run_vfapp "irq-$rx-$rep" irq "" "$tmo_run" --workload UDP_RR --strategy off --mode native \
				--rx-mode "$rx" --duration "$pdur" --warmup "$warmup" --repetition "$rep" $lowload $common); then
				log "rx-mode $rx rep $rep: $rec"
			fi
		done
	done
fi

# ------------------------------------------------------------------ QEMU test bed
if [ $testbed = 1 ]; then
	if [ -x tests/testbed/run-bench.sh ]; then
		log "test bed: tests/testbed/run-bench.sh"
		tq=""; [ $quick = 1 ] && tq=--quick
		grep -q -- '--build' tests/testbed/run-bench.sh && tq="$tq --build $build"
		timeout -k 5 1200 tests/testbed/run-bench.sh --out "$out" $tq >"$out/logs/testbed.log" 2>&1 ||
			error "tests/testbed/run-bench.sh" "$out/logs/testbed.log"
		if [ -s "$out/testbed.json" ]; then
			python3 - "$out/testbed.json" >>"$records" <<'PY' || error "testbed.json unreadable" "$out/testbed.json"
import json, sys
txt = open(sys.argv[1]).read()
try:
    d = json.loads(txt)
    recs = d.get("records", [d]) if isinstance(d, dict) else d
except ValueError:
    recs = [json.loads(l) for l in txt.splitlines() if l.strip().startswith("{")]
for r in recs:
    if isinstance(r, dict):
        r = dict(r); r.setdefault("testbed_kind", r.get("kind")); r["kind"] = "testbed"
        print(json.dumps(r))
PY
		fi
	else
		error "--testbed: tests/testbed/run-bench.sh does not exist" ""
	fi
fi

# ------------------------------------------------------------------ results.json + report
elapsed=$(( $(date +%s) - t_start ))
python3 - "$out" "$records" "$errors" <<PY || { log "cannot write results.json"; exit 1; }
import json, os, platform, subprocess, sys, datetime
out, recf, errf = sys.argv[1:4]
def sh(cmd):
    try: return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
    except Exception: return ""
cpu = "?"
for ln in open("/proc/cpuinfo"):
    if ln.startswith("model name"):
        cpu = ln.split(":", 1)[1].strip(); break
mi = {}
for ln in open("/proc/meminfo"):
    k, v = ln.split(":", 1); mi[k] = v.split()[0]
recs = [json.loads(l) for l in open(recf) if l.strip()]
errs = [json.loads(l) for l in open(errf) if l.strip()]
tsc = "$tsc_hz"
tsc = float(tsc) if tsc else None
if tsc is None:
    for r in recs:
        if isinstance(r.get("tsc_hz"), (int, float)) and r["tsc_hz"] > 0:
            tsc = r["tsc_hz"]; break
tsc_src = "iova-microbench" if tsc else None
if tsc is None:  # the kernel's calibration, then the nominal clock
    import re
    m = re.search(r"tsc: Refined TSC clocksource calibration: ([\d.]+) MHz", sh("dmesg 2>/dev/null | grep -m1 'Refined TSC'"))
    if m:
        tsc, tsc_src = float(m.group(1)) * 1e6, "kernel (dmesg)"
    else:
        m = re.search(r"cpu MHz\s*:\s*([\d.]+)", open("/proc/cpuinfo").read())
        if m:
            tsc, tsc_src = float(m.group(1)) * 1e6, "/proc/cpuinfo cpu MHz"
doc = {
  "schema": "vfmgr-bench/1",
  "machine": {"cpu_model": cpu, "cores": os.cpu_count(), "tsc_hz": tsc, "tsc_source": tsc_src, "kernel": platform.release(),
              "hugepages": {"total": int(mi.get("HugePages_Total", 0)), "free_at_start": int("$free_hp" or 0),
                            "size_kb": int(mi.get("Hugepagesize", 0)), "used_by_runs": bool($huge)},
              "dpdk_version": sh("pkg-config --modversion libdpdk"),
              "loadavg_start": "$load_start", "loadavg_end": open("/proc/loadavg").read().split()[:3],
              "date": datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")},
  "parameters": {"inv_latency_ns": $inv_ns, "vmexit_ns": $vmexit_ns, "duration": $duration,
                 "warmup": $warmup, "reps": $reps, "quick": bool($quick),
                 "strategies": "$STRATEGIES".split(), "modes": "$MODES".split(),
                 "workloads": "$WORKLOADS".split(), "eal": "$(eal X | sed 's/_X//')",
                 "pool_size": int("$pool_size" or 0), "vmm_cpu": {"native": None, "trap-and-emulate": $(vmm_cpu_for trap-and-emulate), "sidecore": $(vmm_cpu_for sidecore)}, "vfapp_args": "$common",
                 "peers": bool($peers), "testbed": bool($testbed), "elapsed_s": $elapsed,
                 "build_dir": "$build"},
  "records": recs,
  "errors": errs,
}
with open(os.path.join(out, "results.json"), "w") as f:
    json.dump(doc, f, indent=1)
PY
python3 benchmarks/report/gen_report.py --results "$out/results.json" --published benchmarks/published.json
rc=$?
log "report: $out/report.md ($(ls "$out"/*.png 2>/dev/null | wc -l) plots), $(wc -l <"$records") records, $(wc -l <"$errors") failed runs, ${elapsed} s"
if [ $rc != 0 ]; then
	python3 benchmarks/report/gen_report.py --check "$out/results.json" >&2
	log "INCOMPLETE: matrix cells missing or zero (see above)"
	exit 1
fi
log "matrix complete"
exit 0
