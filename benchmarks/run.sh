#!/bin/bash
# benchmarks/run.sh: install what is missing, build, run the benchmark matrix and write a report.
#
#   benchmarks/run.sh [--quick] [--out DIR] [--iterations MAX,MIN] [--confidence LEVEL,WIDTH]
#                     [--duration S] [--warmup S] [--only-strategies a,b] [--only-modes a,b]
#                     [--only-workloads a,b] [--sensitivity NS,NS,...|none] [--no-peers]
#                     [--testbed] [--no-te] [--build-dir DIR] [--inv-latency-ns N] [--vmexit-ns N]
#                     [--pool-size N] [--wire memif|vfdev] [--device-core auto|next|same]
#                     [--max-load L] [--force]
#
# Every strategy x mode x workload cell (names from `vfapp --list-strategies/--list-modes`)
# is repeated as `netperf -I 99,5 -i 10,3` does: until the 99 % confidence interval of its
# throughput is within +-2.5 % of the mean, at least 3 and at most 10 times (round-robin
# over the cells, so slow drifts of the machine spread over all of them). Then the
# sensitivity sweep (TCP_STREAM, native, every strategy, --inv-latency-ns 0..2000), the
# map/unmap microbenchmark, the peers (testpmd on net_memif, sockperf/iperf3 on veths, real
# peers through the appliance on net_af_xdp), interrupt delivery (the VF's MSI-X chain), the QEMU test
# bed with --testbed.
#   --quick          -i 3,3, 0.25 s runs, sensitivity once per point, trap & emulate with 1 s
#                    runs (about 5 minutes built)
#   --wire W         the matrix's internal wires (default vfdev: the software VF, its DMA
#                    through the soft VT-d, devices on the second core; memif: DPDK's
#                    shared-memory PMD); the attack pass always runs on vfdev
#   --device-core C  vfdev: the devices, IOMMU hardware and endpoints on the next lcore (next:
#                    the issue's placement, one core for the vCPU, one for the hardware) or on
#                    the appliance's (same). auto (default): next on an idle machine, same when
#                    --force starts on a busy one (two busy-polling threads that must meet on
#                    two shared CPUs collapse to a few kpps; README "Wires")
#   --iterations MAX,MIN   netperf -i (default 10,3; --quick 3,3; clamped to 3..30 like netperf)
#   --confidence LEVEL,WIDTH  netperf -I (default 99,5: 99 % interval within +-2.5 %)
#   --sensitivity L  --inv-latency-ns points of the sweep (default 0,250,500,1000,2000; none = skip)
#   --max-load L     refuse to start when the 1-minute load average exceeds L (default: cores/2)
#   --force          start anyway (recorded in results.json and in the report)
#   --out DIR        output directory (default benchmarks/results/<UTC timestamp>)
#   --no-peers       skip the peer and real-peer sections
#   --testbed        add the QEMU test-bed section (tests/testbed/run-bench.sh)
#   --no-te          skip the trap & emulate section (tests/testbed/run-te.sh; on by default,
#                    --quick included, when the QEMU test bed can boot here, else SKIPPED with
#                    the reason in the log)
#   --te             run it (the default; kept for scripts that pass it)
#   --build-dir DIR  build tree to use (default build)
# Writes DIR/results.json (schema in benchmarks/README.md), DIR/report.md, DIR/*.png and
# DIR/logs/. Everything computed (records, intervals, the report) is the Python package
# benchmarks/report/vfreport; this script only runs processes. Exits non-zero when a matrix
# cell is missing or zero.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$PWD
. tests/setup.sh

# Debian's python3 (python3-matplotlib lives there), whatever else is first on PATH
PY=${VFB_PYTHON:-/usr/bin/python3}
[ -x "$PY" ] || PY=python3
vfr() { PYTHONPATH="$top/benchmarks/report" "$PY" -m vfreport "$@"; }

WORKLOADS="TCP_STREAM UDP_RR"
quick=0 out="" iters="" confidence=99,5 duration="" warmup="" peers=1 testbed=0 te="" build=build
pool_size=4095 only_s="" only_m="" only_w="" inv_ns=${VFB_INV_LATENCY_NS:-0} vmexit_ns=${VFB_VMEXIT_NS:-1200}
sens=0,250,500,1000,2000 force=0 max_load="" wire=vfdev device_core=auto
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--out) out=$2; shift ;;
	--iterations) iters=$2; shift ;;
	--confidence) confidence=$2; shift ;;
	--duration) duration=$2; shift ;;
	--warmup) warmup=$2; shift ;;
	--only-strategies) only_s=${2//,/ }; shift ;;
	--only-modes) only_m=${2//,/ }; shift ;;
	--only-workloads) only_w=${2//,/ }; shift ;;
	--sensitivity) sens=$2; shift ;;
	--no-peers) peers=0 ;;
	--testbed) testbed=1 ;;
	--no-te) te=0 ;;
	--te) te=1 ;;
	--build-dir) build=$2; shift ;;
	--inv-latency-ns) inv_ns=$2; shift ;;
	--vmexit-ns) vmexit_ns=$2; shift ;;
	--pool-size) pool_size=$2; shift ;;
	--max-load) max_load=$2; shift ;;
	--wire) wire=$2; shift ;;
	--device-core) device_core=$2; shift ;;
	--force) force=1 ;;
	-h|--help) usage; exit 0 ;;
	*) echo "benchmarks/run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ $quick = 1 ]; then
	te=${te:-1}  # run-te.sh --quick: about 1.5-2 minutes (one boot per Linux mode, one for vfapp)
	iters=${iters:-3,3} duration=${duration:-0.25} warmup=${warmup:-0.1} sens_reps=1
else
	te=${te:-1}
	iters=${iters:-10,3} duration=${duration:-1} warmup=${warmup:-0.5} sens_reps=2
fi
case $iters in
[0-9]*,[0-9]*) imax=${iters%,*} imin=${iters#*,} ;;
*) echo "benchmarks/run.sh: --iterations MAX,MIN (netperf -i), e.g. 10,3; got '$iters'" >&2; exit 2 ;;
esac
case $imax$imin in *[!0-9]*) echo "benchmarks/run.sh: --iterations MAX,MIN needs two integers, got '$iters'" >&2; exit 2 ;; esac
# netperf's clamping: MAX >= MIN, both 3..30
[ "$imax" -lt "$imin" ] && imax=$imin
for v in imax imin; do [ "${!v}" -lt 3 ] && eval $v=3; [ "${!v}" -gt 30 ] && eval $v=30; done
case $confidence in
95,[0-9]*|99,[0-9]*) clevel=${confidence%,*} cwidth=${confidence#*,} ;;
*) echo "benchmarks/run.sh: --confidence LEVEL,WIDTH: LEVEL 95 or 99 (netperf -I), e.g. 99,5; got '$confidence'" >&2; exit 2 ;;
esac
[ "$sens" = none ] && sens=""
sens=${sens//,/ }
[ -n "$max_load" ] || max_load=$(awk -v c="$(nproc)" 'BEGIN { printf "%.1f", c / 2 }')
if ! vfr busy --max-load "$max_load" >/dev/null; then
	if [ $force = 0 ]; then
		echo "benchmarks/run.sh: refusing to start (see above); --force runs anyway" >&2
		exit 1
	fi
	log "--force: starting although the machine is busy (recorded in results.json)"
else
	force=0  # not needed: the check passed
fi
case $device_core in
auto) if [ $force = 1 ]; then device_core=same; else device_core=next; fi
	log "device core: $device_core (--device-core auto)" ;;
next|same) ;;
*) echo "benchmarks/run.sh: --device-core takes auto, next or same; got '$device_core'" >&2; exit 2 ;;
esac
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
# Strategy and mode names: vfapp's own list (lib/iova/iova_names.c), nowhere else.
STRATEGIES=$(vfr names --vfapp "$vfapp" strategies) || exit 1
MODES=$(vfr names --vfapp "$vfapp" modes) || exit 1
names_src=$(vfr names --vfapp "$vfapp" --source strategies)
[ -n "$only_s" ] && STRATEGIES=$only_s
[ -n "$only_m" ] && MODES=$only_m
[ -n "$only_w" ] && WORKLOADS=$only_w

# EAL: hugepages when enough are free, else --no-huge (decided once, recorded in results.json).
free_hp=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free_hp:-0}" -ge 128 ] && [ -z "${VFB_NO_HUGE:-}" ]; then huge=1 mem="--in-memory"
else huge=0 mem="--no-huge -m 1024"; fi  # --no-huge implies legacy memory: no --in-memory
eal() { echo "-l 0-1 --no-pci --file-prefix ${tag}_$1 $mem --log-level=lib.eal:error"; }
common_rp="--inv-latency-ns $inv_ns --vmexit-ns $vmexit_ns"
# Every pool buffer is mapped at pool creation and unmapped at exit: under trap-and-emulate
# 16383 buffers cost seconds per run. 4095 keeps the memif rings fed (no drops seen).
# (Not for the real-peer runs: net_af_xdp takes 4096 buffers per rx queue from the pool.)
common="$common_rp --pool-size $pool_size"
# The appliance and the endpoints run on lcore 0. Where the VMM thread runs follows the paper's
# model: trap-and-emulate handles a synchronous exit on the vCPU's own core (CPU 0; on the other
# core every exit pays a cross-CPU wake-up, ~60x slower here), the sidecore polls from a core
# of its own (CPU 1; sharing CPU 0 with the datapath makes it ~100x slower here).
vmm_cpu_for() { case $1 in trap-and-emulate) echo 0 ;; sidecore) echo 1 ;; *) echo -1 ;; esac; }
vmm_args() { [ "$1" != native ] && echo "--vmm-lcore $(vmm_cpu_for "$1")"; }
records=$out/logs/records.jsonl errors=$out/logs/errors.jsonl
: >"$records"; : >"$errors"

# error WHAT LOGFILE: remember a failed run.
error() {
	vfr error --what "$1" --log "${2:-}" --errors "$errors"
	log "FAILED: $1 (log ${2:-none})"
}

# run_vfapp NAME KIND EXTRA-JSON TIMEOUT-S ARGS...: run vfapp (retry once), append its record
# (plus wall_s, the load average at its start and the CPU placement of its threads sampled
# mid-run) to $records and print its headline figure.
run_vfapp() {
	local name=$1 kind=$2 extra=$3 tmo=$4; shift 4
	local lf=$out/logs/$name.log try t0 x la pid nz
	for try in 1 2; do
		la="[$(cut -d" " -f1-3 /proc/loadavg | tr " " ",")]"
		t0=$(date +%s%N)
		# shellcheck disable=SC2046
		timeout -k 3 "$tmo" "$vfapp" $(eal "$name") -- "$@" --json >"$lf" 2>&1 </dev/null &
		pid=$!
		# thread placement, sampled in the background during the warm-up (not the measurement)
		(sleep "$sample_at"; vfr placement --pid "$pid" >"$lf.placement.json" 2>/dev/null) &
		wait "$pid"
		wait $!
		t0=$(( ($(date +%s%N) - t0) / 10000000 ))
		x=$(printf '"wall_s": %d.%02d, "loadavg": %s' $((t0 / 100)) $((t0 % 100)) "$la")
		if [ -n "$extra" ]; then x="${extra%\}}, $x}"; else x="{$x}"; fi
		# first try: a zero figure counts as a failure (retried); second try: record whatever came
		nz=""; [ $try = 1 ] && nz=--nonzero
		vfr record --log "$lf" --kind "$kind" --extra "$x" --extra-file "placement=$lf.placement.json" \
			--records "$records" $nz && return 0
		[ -f "$lf" ] && cp "$lf" "$lf.try$try"
		rm -rf /var/run/dpdk/${tag}_"$name"* 2>/dev/null
	done
	error "vfapp $*" "$lf"
	return 1
}
tmo_run=$(awk -v d="$duration" -v w="$warmup" 'BEGIN { printf "%d", d + w + 30.999 }')
# placement sample: EAL start-up (~0.4 s here) + half the warm-up
sample_at=$(awk -v w="$warmup" 'BEGIN { printf "%.2f", 0.4 + w / 2 }')

# run_cells KIND MAX MIN EXTRA-ARGS-FN CELL...: netperf's repetition over cells
# (KIND:strategy:mode:workload[:inv_latency_ns]), round-robin: in round r every cell that
# still needs a result (fewer than MIN, or CI wider than WIDTH and fewer than MAX) runs once.
run_cells() {
	local kind=$1 cmax=$2 cmin=$3 r todo cell k s m w inv a n=0 rec
	shift 3
	for r in $(seq 1 "$cmax"); do
		todo=$(vfr pending --records "$records" --level "$clevel" --width "$cwidth" \
			--max "$cmax" --min "$cmin" "$@")
		[ -n "$todo" ] || break
		for cell in $todo; do
			IFS=: read -r k s m w inv <<<"$cell"
			a="--inv-latency-ns ${inv:-$inv_ns} --vmexit-ns $vmexit_ns --pool-size $pool_size --wire $wire"
			[ "$wire" = vfdev ] && a="$a --device-core $device_core"
			n=$((n + 1))
			if rec=$(run_vfapp "$k-$s-$m-$w${inv:+-$inv}-$r" "$kind" "" "$tmo_run" --workload "$w" \
				--strategy "$s" --mode "$m" --duration "$duration" --warmup "$warmup" \
				--repetition "$r" $a $(vmm_args "$m")); then
				printf '[%s round %d] %s %s %s%s: %s\n' "$kind" "$r" "$s" "$m" "$w" "${inv:+ inv $inv ns}" "$rec"
			else
				printf '[%s round %d] %s %s %s%s: FAILED (see logs/%s)\n' "$kind" "$r" "$s" "$m" "$w" \
					"${inv:+ inv $inv ns}" "$k-$s-$m-$w${inv:+-$inv}-$r.log"
			fi
		done
	done
	log "$kind: $n runs"
}

# ------------------------------------------------------------------ matrix
cells=()
for w in $WORKLOADS; do for m in $MODES; do for s in $STRATEGIES; do cells+=("matrix:$s:$m:$w"); done; done; done
log "matrix: ${#cells[@]} cells ($(echo $STRATEGIES | wc -w) strategies x $(echo $MODES | wc -w) modes x $(echo $WORKLOADS | wc -w) workloads), netperf -I $clevel,$cwidth -i $imax,$imin, duration $duration s, warm-up $warmup s, hugepages $huge"
t_matrix=$(date +%s)
run_cells matrix "$imax" "$imin" "${cells[@]}"
log "matrix done in $(( $(date +%s) - t_matrix )) s"

# ------------------------------------------------------------------ attack (protection)
# The device issue's malicious-device mode: the software VF (--wire vfdev) keeps DMA-writing
# to buffers the appliance freed; forwarding traffic (fwd) frees buffers all the time.
# One run per strategy x mode; attack_attempts / attack_successes feed the protection table
# and the summary's "safe".
log "attack: vfapp --workload fwd --wire vfdev --attack on, every strategy x mode"
na=0
for m in $MODES; do
	for s in $STRATEGIES; do
		if rec=$(run_vfapp "attack-$s-$m" attack "" "$tmo_run" --workload fwd --wire vfdev --attack on \
			--strategy "$s" --mode "$m" --duration "$duration" --warmup "$warmup" $common $(vmm_args "$m")); then
			na=$((na + 1))
		fi
	done
done
log "attack: $na runs"

# ------------------------------------------------------------------ sensitivity
if [ -n "$sens" ] && [[ " $WORKLOADS " == *" TCP_STREAM "* ]]; then
	cells=()
	for p in $sens; do for s in $STRATEGIES; do cells+=("sensitivity:$s:native:TCP_STREAM:$p"); done; done
	log "sensitivity: TCP_STREAM native x ${#cells[@]} (strategy, --inv-latency-ns) points, $sens_reps run(s) each"
	run_cells sensitivity "$sens_reps" "$sens_reps" "${cells[@]}"
fi

# ------------------------------------------------------------------ microbenchmark
tsc_hz=""
if [ -x "$micro" ]; then
	log "microbenchmark"
	margs="--inv-latency-ns $inv_ns --vmexit-ns $vmexit_ns"
	[ $quick = 1 ] && margs="$margs --iterations 5000 --max-seconds 1"
	# One process per mode: the microbench thread on CPU 0, the VMM / sidecore thread placed
	# as for vfapp (trap-and-emulate CPU 0, sidecore CPU 1).
	for m in $MODES; do
		ma="$margs --mode $m"
		[ "$m" != native ] && ma="$ma --vmm-cpu $(vmm_cpu_for "$m")"
		ml=$out/logs/microbench-$m.log
		timeout -k 3 300 taskset -c 0 "$micro" --json $ma >"$ml" 2>&1 </dev/null
		mrc=$?
		if t=$(vfr microbench --log "$ml" --records "$records" 2>/dev/null); then
			[ -n "$t" ] && tsc_hz=$t
			log "microbench $m: records appended (exit $mrc)"
		else
			error "iova-microbench --json $ma" "$ml"
		fi
	done
else
	error "no $micro" ""
fi

# ------------------------------------------------------------------ peers
preps=$([ $quick = 1 ] && echo 1 || echo 3)
pdur=$([ $quick = 1 ] && echo 1 || echo 2)
# --quick: 64 B only and a shorter testpmd warm-up (the 5-minute budget)
psizes=$([ $quick = 1 ] && echo 64 || echo "64 1500")
pwarm=$([ $quick = 1 ] && echo 0.5 || echo 1)
if [ $peers = 1 ]; then
	log "peers: forwarding rate on net_memif (vfapp fwd vs testpmd io/mac), $preps rep(s)"
	for rep in $(seq 1 "$preps"); do
		for sz in $psizes; do
			if rec=$(run_vfapp "p-fwd-$sz-$rep" peer "{\"tool\":\"vfapp\",\"fwd_mode\":\"fwd\",\"ports\":\"net_memif\",\"pkt_size\":$sz}" \
				"$tmo_run" --workload fwd --wire memif --strategy off --mode native --pkt-size "$sz" \
				--duration "$pdur" --warmup "$warmup" --repetition "$rep" $common); then
				log "vfapp fwd $sz B rep $rep: $rec"
			fi
			for f in io mac; do
				nh=""; [ $huge = 0 ] && nh=--no-huge
				if rec=$(benchmarks/peers/testpmd-memif.sh --fwd $f --pkt-size $sz --duration "$pdur" \
					--warmup "$pwarm" --repetition "$rep" $nh 2>"$out/logs/p-testpmd-$f-$sz-$rep.log"); then
					echo "$rec" >>"$records"; log "testpmd $f $sz B rep $rep: $(vfr figure "$rec")"
				else error "testpmd $f $sz B" "$out/logs/p-testpmd-$f-$sz-$rep.log"; fi
			done
		done
	done
	# vfapp vs dpdk-l3fwd (LPM) vs testpmd io/mac as the DUT on the same two memif ports
	# (peers/l3fwd.sh builds l3fwd from dpdk-doc; records kind "dut", benchmarks/README.md).
	# Full run only: building l3fwd, 22 forwarder runs (about 3.5 min) and the callgrind
	# pass (about 1 min) do not fit --quick's 5 minutes.
	if [ $quick = 0 ]; then
		log "peers: vfapp vs dpdk-l3fwd (LPM) vs testpmd io/mac on the same ports, 64/1500 B"
		nh=""; [ $huge = 0 ] && nh=--no-huge
		n0=$(wc -l <"$records")
		benchmarks/peers/l3fwd.sh --vfapp "$vfapp" --duration 4 --warmup 1 --repetitions 3 $nh \
			--build-dir "$out/l3fwd-build" >>"$records" 2>"$out/logs/p-l3fwd.log" ||
			error "peers/l3fwd.sh" "$out/logs/p-l3fwd.log"
		log "l3fwd peers: $(($(wc -l <"$records") - n0)) record(s)"
		# where the instructions go, vfapp vs l3fwd (counted under callgrind: a loaded host
		# does not move them; about 1 minute)
		if command -v valgrind >/dev/null; then
			log "peers: instructions per forwarded packet under callgrind, vfapp and l3fwd-lpm"
			n0=$(wc -l <"$records")
			benchmarks/peers/fwd-callgrind.sh --vfapp "$vfapp" --seconds 8 \
				--build-dir "$out/l3fwd-build" >>"$records" 2>"$out/logs/p-callgrind.log" ||
				error "peers/fwd-callgrind.sh" "$out/logs/p-callgrind.log"
			log "callgrind: $(($(wc -l <"$records") - n0)) record(s)"
		fi
	fi
	log "peers: sockperf ping-pong and iperf3 over a direct veth pair between two namespaces"
	eval "$(benchmarks/peers/netns.sh names)"
	if benchmarks/peers/netns.sh direct up 2>"$out/logs/netns-direct.log"; then
		for rep in $(seq 1 "$preps"); do
			if rec=$(benchmarks/peers/sockperf.sh --server-ns "$DB" --client-ns "$DA" --ip 10.199.0.2 \
				--duration "$pdur" --kind peer --path veth-direct --extra "{\"repetition\":$rep}" 2>"$out/logs/p-sockperf-$rep.log"); then
				echo "$rec" >>"$records"; log "sockperf veth rep $rep: $(vfr figure "$rec")"
				# the same figure belongs to the real-peer comparison (direct path)
				echo "$rec" | sed 's/"kind": "peer"/"kind": "realpeer"/' >>"$records"
			else error "sockperf veth-direct" "$out/logs/p-sockperf-$rep.log"; fi
			if rec=$(benchmarks/peers/iperf3.sh --server-ns "$DB" --client-ns "$DA" --ip 10.199.0.2 \
				--duration "$((pdur + 1))" --kind realpeer --path veth-direct --extra "{\"repetition\":$rep}" 2>"$out/logs/p-iperf3-$rep.log"); then
				echo "$rec" >>"$records"; log "iperf3 veth rep $rep: $(vfr figure "$rec")"
			else error "iperf3 veth-direct" "$out/logs/p-iperf3-$rep.log"; fi
		done
		benchmarks/peers/netns.sh direct down
	else error "netns direct up" "$out/logs/netns-direct.log"; fi

	# Real peers through the appliance on af_xdp (or af_packet) ports on the root-side veths;
	# in the full run also dpdk-testpmd (mac forwarding) in the same place, for reference.
	rp_cells="vfapp:off:native"
	[ $quick = 0 ] && rp_cells="vfapp:off:native vfapp:strict:native vfapp:optimistic:sidecore testpmd:off:native"
	for cell in $rp_cells; do
		IFS=: read -r fw st md <<<"$cell"
		rl=$out/logs/realpeer-$fw-$st-$md.log n0=$(wc -l <"$records")
		benchmarks/peers/realpeer.sh --forwarder "$fw" --vfapp "$vfapp" --strategy "$st" --mode "$md" \
			--duration "$((pdur + 1))" --logdir "$out/logs" --prefix "${tag}_rp" --eal-mem "$mem" \
			--extra-args "$common_rp $(vmm_args "$md")" >>"$records" 2>"$rl" || error "realpeer $cell" "$rl"
		tail -n +$((n0 + 1)) "$records" | grep -E '"tool": "(iperf3|sockperf)"' | while read -r r; do
			log "realpeer $fw $st/$md: $(vfr figure "$r")"
		done
	done
fi

# ------------------------------------------------------------------ interrupt delivery
# on the vfdev wire: the VF's MSI-X goes through the soft VT-d's interrupt remapping to the
# posted-interrupt descriptor (lib/vfdev, lib/iova, lib/irqpost); --attack on adds the
# device's interrupt-spoofing attempts; one posted run with --intremap off models a host
# without interrupt remapping (the spoofed interrupts are then delivered)
log "interrupt delivery: UDP_RR on vfdev with --rx-mode poll|posted|remapped at --rate 1000"
for rep in $(seq 1 "$preps"); do
	for rx in poll posted remapped posted-noir; do
		case $rx in
		poll) a="--rx-mode poll" ;;
		posted-noir) a="--rx-mode posted --attack on --intremap off" ;;
		*) a="--rx-mode $rx --attack on" ;;
		esac
		# shellcheck disable=SC2086
		if rec=$(run_vfapp "irq-$rx-$rep" irq "" "$tmo_run" --workload UDP_RR --wire vfdev --strategy off --mode native \
			$a --duration "$pdur" --warmup "$warmup" --repetition "$rep" --rate 1000 $common); then
			log "rx-mode $rx rep $rep: $rec"
		fi
	done
done

# ------------------------------------------------------------------ QEMU test bed
if [ $testbed = 1 ]; then
	if [ -x tests/testbed/run-bench.sh ]; then
		log "test bed: tests/testbed/run-bench.sh"
		tq="--build $build"; [ $quick = 1 ] && tq="$tq --quick"
		timeout -k 5 1200 tests/testbed/run-bench.sh --out "$out" $tq >"$out/logs/testbed.log" 2>&1 ||
			error "tests/testbed/run-bench.sh" "$out/logs/testbed.log"
		if [ -s "$out/testbed.json" ]; then
			vfr testbed --json "$out/testbed.json" --records "$records" || error "testbed.json unreadable" "$out/testbed.json"
		fi
	else
		error "--testbed: tests/testbed/run-bench.sh does not exist" ""
	fi
fi

# ------------------------------------------------------------------ trap & emulate on the test bed
# tests/testbed/run-te.sh (owner: tbed): Linux strict/lazy/pt/off and every strategy under QEMU's
# VT-d; by default whenever the test bed can boot here (--no-te skips it).
if [ $te = 1 ]; then
	if why=$(tests/testbed/run-te.sh --can-boot 2>&1); then
		log "trap & emulate: tests/testbed/run-te.sh"
		tq="--build $build"; [ $quick = 1 ] && tq="$tq --quick"
		t_te=$(date +%s)
		timeout -k 5 2400 tests/testbed/run-te.sh --out "$out" $tq >"$out/logs/testbed-te.log" 2>&1 ||
			error "tests/testbed/run-te.sh" "$out/logs/testbed-te.log"
		log "trap & emulate done in $(( $(date +%s) - t_te )) s (profile: grep 'run-te:' $out/logs/testbed-te.log)"
		[ -s "$out/testbed-te.json" ] && { vfr testbed --json "$out/testbed-te.json" --records "$records" ||
			error "testbed-te.json unreadable" "$out/testbed-te.json"; }
	else
		log "trap & emulate on the QEMU test bed: SKIPPED ($why)"
	fi
fi

# ------------------------------------------------------------------ results.json + report
elapsed=$(( $(date +%s) - t_start ))
vfr results --out "$out" --records "$records" --errors "$errors" ${tsc_hz:+--tsc-hz "$tsc_hz"} \
	--free-hp "${free_hp:-0}" --huge "$huge" --loadavg-start "$load_start" \
	--set inv_latency_ns="$inv_ns" --set vmexit_ns="$vmexit_ns" --set duration="$duration" \
	--set warmup="$warmup" --set quick="$([ $quick = 1 ] && echo true || echo false)" \
	--set "confidence={\"level\": $clevel, \"width_pct\": $cwidth, \"iterations_max\": $imax, \"iterations_min\": $imin}" \
	--list strategies="$STRATEGIES" --list modes="$MODES" --list workloads="$WORKLOADS" \
	--list sensitivity_inv_latency_ns="$sens" --set sensitivity_reps="$sens_reps" \
	--set names_source="$names_src" --set eal="$(eal X | sed 's/_X//')" --set pool_size="$pool_size" \
	--set "vmm_cpu={\"native\": null, \"trap-and-emulate\": $(vmm_cpu_for trap-and-emulate), \"sidecore\": $(vmm_cpu_for sidecore)}" \
	--set vfapp_args="$common" --set wire="$wire" --set device_core="$device_core" --set peers="$([ $peers = 1 ] && echo true || echo false)" \
	--set testbed="$([ $testbed = 1 ] && echo true || echo false)" --set elapsed_s="$elapsed" \
	--set max_load="$max_load" --set forced="$([ $force = 1 ] && echo true || echo false)" \
	--set build_dir="$build" || { log "cannot write results.json"; exit 1; }
vfr report --results "$out/results.json" --published benchmarks/published.json
rc=$?
log "report: $out/report.md ($(ls "$out"/*.png 2>/dev/null | wc -l) plots), $(wc -l <"$records") records, $(wc -l <"$errors") failed runs, ${elapsed} s"
if [ $rc != 0 ]; then
	vfr check "$out/results.json" >&2
	log "INCOMPLETE: matrix cells missing or zero (see above)"
	exit 1
fi
log "matrix complete"
exit 0
