#!/bin/bash
# benchmarks/peers/fwd-callgrind.sh: where the cycles go, as instructions per forwarded packet,
# for vfapp fwd and DPDK's l3fwd (LPM) on the same two net_memif ports as l3fwd.sh, under
# valgrind --tool=callgrind. Instruction counts do not depend on the load of a shared machine,
# so two DUTs can be compared on a busy host where Mpps cannot.
#
#   fwd-callgrind.sh --vfapp PATH [--duts "l3fwd-lpm vfapp"] [--pkt-size 64] [--seconds S]
#                    [--build-dir DIR] [--out DIR] [--vfapp-args "..."] [--dut-cpu N] [--gen-cpu N]
#
# Same generator, routes and DUT command lines as l3fwd.sh (read its header; vfapp: strategy
# off, --pool-cache 256 like l3fwd's MEMPOOL_CACHE_SIZE), the DUT under
#   valgrind --tool=callgrind --collect-atstart=no --toggle-collect=LOOP
# with LOOP = vfapp_appliance_step (vfapp: one poll of both ports) or lpm_main_loop (l3fwd), so
# only the forwarding loop and what it calls are counted, never start-up. The generator (not
# under valgrind) outruns the DUT by far, so every RX burst is full (32) for both DUTs. After
# --seconds of traffic the DUT is stopped (SIGINT); packets forwarded = what the generator
# received back (testpmd's accumulated RX-packets), the same measure for both.
# l3fwd must have been built by l3fwd.sh (DIR/l3fwd/build/l3fwd, DIR = /tmp/vfb-l3fwd-$UID).
# Prints one JSON record per DUT: {"kind":"callgrind","tool","pkt_size","packets","ir_total",
# "ir_per_pkt","groups":{group: Ir per packet},"top":[[function, Ir per packet], ...]} and
# keeps the callgrind files in --out (default a temporary directory that is removed).
set -u
vfapp="" duts="l3fwd-lpm vfapp" size=64 secs=20 bdir=/tmp/vfb-l3fwd-$(id -u) out="" vargs=""
dcpu=1 gcpu=0
while [ $# -gt 0 ]; do
	case $1 in
	--vfapp) vfapp=$2; shift ;; --duts) duts=$2; shift ;; --pkt-size) size=$2; shift ;;
	--seconds) secs=$2; shift ;; --build-dir) bdir=$2; shift ;; --out) out=$2; shift ;;
	--vfapp-args) vargs=$2; shift ;; --dut-cpu) dcpu=$2; shift ;; --gen-cpu) gcpu=$2; shift ;;
	*) sed -n '2,25p' "$0" >&2; exit 2 ;;
	esac; shift
done
command -v valgrind >/dev/null || { echo "fwd-callgrind.sh: valgrind not installed" >&2; exit 1; }
command -v dpdk-testpmd >/dev/null || { echo "fwd-callgrind.sh: dpdk-testpmd not installed (package dpdk)" >&2; exit 1; }
tag=vfbcg$$
work=$(mktemp -d /tmp/vfb-cg-run.XXXXXX)
keep=1
[ -z "$out" ] && { out=$work/out; keep=0; }
mkdir -p "$out"
gpid="" dpid=""
cleanup() {
	for p in $dpid $gpid; do kill -INT "$p" 2>/dev/null; done
	sleep 1
	for p in $dpid $gpid; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$work"
	rm -rf /var/run/dpdk/${tag}* /dev/hugepages/${tag}* 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM
dmac=00:01:02:03:04:01 gmac0=02:00:00:00:9e:00 gmac1=02:00:00:00:9e:01
s0=$work/w0.sock s1=$work/w1.sock

run_one() {
	local dut=$1 glog=$work/gen-$1.log dlog=$work/dut-$1.log cg=$out/callgrind.$1.$size loop cmd
	local dvdev="--vdev=net_memif0,role=client,socket=$s0,mac=$dmac --vdev=net_memif1,role=client,socket=$s1,mac=$dmac"
	rm -f "$s0" "$s1"
	timeout -k 3 $((secs + 400)) dpdk-testpmd --lcores "0@$gcpu,1@$gcpu" --no-pci --file-prefix ${tag}g${dut//-/} --in-memory \
		--vdev=net_memif0,role=server,socket=$s0,mac=$gmac0 --vdev=net_memif1,role=server,socket=$s1,mac=$gmac1 \
		--log-level=pmd.net.memif:error -- --forward-mode=flowgen --txpkts="$size" --total-num-mbufs=16384 \
		--eth-peer=0,$dmac --eth-peer=1,$dmac --auto-start --stats-period=1 >"$glog" 2>&1 &
	gpid=$!
	for _ in $(seq 60); do grep -q "Start automatic packet forwarding" "$glog" 2>/dev/null && break; sleep 0.5; done
	case $dut in
	l3fwd-lpm)
		[ -x "$bdir/l3fwd/build/l3fwd" ] || { echo "fwd-callgrind.sh: no $bdir/l3fwd/build/l3fwd: run l3fwd.sh once (it builds it)" >&2; return 1; }
		printf 'R10.253.0.0/23 0\nR10.253.2.0/23 1\nR0.0.0.0/1 1\nR128.0.0.0/1 1\n' >"$work/rules4"
		printf 'R0:0:0:0:0:0:0:0/1 1\nR8000:0:0:0:0:0:0:0/1 1\n' >"$work/rules6"
		loop=lpm_main_loop
		cmd=("$bdir/l3fwd/build/l3fwd" -l "$dcpu" --no-pci --file-prefix ${tag}d${dut//-/} --in-memory $dvdev
			--log-level=pmd.net.memif:error -- -p 0x3 --config="(0,0,$dcpu),(1,0,$dcpu)" --lookup=lpm --parse-ptype
			--rule_ipv4="$work/rules4" --rule_ipv6="$work/rules6" --eth-dest=0,$gmac0 --eth-dest=1,$gmac1)
		;;
	vfapp)
		printf 'route 10.253.0.0/23 port 0 nexthop-mac %s\nroute 10.253.2.0/23 port 1 nexthop-mac %s\nroute 0.0.0.0/0 port 1 nexthop-mac %s\n' \
			$gmac0 $gmac1 $gmac1 >"$work/routes"
		loop=vfapp_appliance_step
		# shellcheck disable=SC2206
		cmd=("$vfapp" -l "$dcpu" --no-pci --file-prefix ${tag}d${dut//-/} --in-memory $dvdev
			--log-level=pmd.net.memif:error -- --topology ports --workload fwd --strategy off
			--pool-cache 256 --routes "$work/routes" --duration 0 --json $vargs)
		;;
	*) echo "fwd-callgrind.sh: unknown DUT $dut" >&2; return 1 ;;
	esac
	timeout -k 3 $((secs + 300)) valgrind --tool=callgrind --callgrind-out-file="$cg" \
		--collect-atstart=no --toggle-collect="$loop" "${cmd[@]}" >"$dlog" 2>&1 &
	dpid=$!
	local t=0
	while [ $t -lt 240 ] && ! grep -qE "Rx-pps: +[1-9]" "$glog" 2>/dev/null; do sleep 0.5; t=$((t + 1)); done
	sleep "$secs"
	kill -INT $dpid 2>/dev/null
	# valgrind writes the profile on exit (bounded)
	for _ in $(seq 120); do kill -0 $dpid 2>/dev/null || break; sleep 0.5; done
	kill -KILL $dpid 2>/dev/null; wait $dpid 2>/dev/null
	sleep 1
	kill -INT $gpid 2>/dev/null
	for _ in $(seq 20); do kill -0 $gpid 2>/dev/null || break; sleep 0.5; done
	kill -KILL $gpid 2>/dev/null; wait $gpid 2>/dev/null
	dpid="" gpid=""
	[ -s "$cg" ] || { echo "fwd-callgrind.sh: $dut: no callgrind output" >&2; tail -20 "$dlog" >&2; return 1; }
	callgrind_annotate --inclusive=no --threshold=100 "$cg" >"$cg.txt" 2>/dev/null
	python3 - "$glog" "$cg.txt" "$dut" "$size" <<'PY'
import json, re, sys
glog, ann, dut, size = sys.argv[1:]
txt = open(glog, errors="replace").read()
acc = txt.split("Accumulated forward statistics for all ports")
m = re.search(r"RX-packets:\s*(\d+)", acc[-1]) if len(acc) > 1 else None
if not m:
    sys.stderr.write("fwd-callgrind.sh: %s: no accumulated RX-packets in the generator log\n" % dut)
    sys.exit(1)
pkts = int(m.group(1))
# function groups, first match wins (object names from callgrind_annotate's [obj] or file)
groups = [
    ("memif PMD (copies, rings)", r"memif"),
    ("libc memcpy/memset", r"mem(cpy|move|set)"),
    ("lib/iova mempool + ctx", r"iova_|stack_|rte_stack"),
    ("mempool/mbuf", r"mempool|mbuf|common_ring|rte_ring|bucket"),
    ("LPM", r"lpm"),
    ("ethdev", r"rte_eth_|ethdev"),
    ("appliance (fwd.c, pkt.c)", r"vfapp_|pkt_|lookup_burst|tx_flush|fwd\.c|pkt\.c"),
    ("l3fwd", r"l3fwd|send_packets|send_burst|processx4|main_loop"),
]
per = {}
top = []
total = 0
for line in open(ann, errors="replace"):
    m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?(\S.*)$", line)
    if not m or "PROGRAM TOTALS" in line or ":" not in m.group(2):
        continue
    ir = int(m.group(1).replace(",", ""))
    fn = m.group(2).strip()
    total += ir
    g = next((name for name, rx in groups if re.search(rx, fn)), "other")
    per[g] = per.get(g, 0) + ir
    top.append((fn, ir))
top.sort(key=lambda x: -x[1])
rec = {"kind": "callgrind", "tool": dut, "pkt_size": int(size), "packets": pkts,
       "ir_total": total, "ir_per_pkt": round(total / pkts, 1) if pkts else None,
       "groups": {k: round(v / pkts, 1) for k, v in sorted(per.items(), key=lambda x: -x[1])} if pkts else {},
       "top": [[f[:120], round(ir / pkts, 1)] for f, ir in top[:15]] if pkts else []}
print(json.dumps(rec))
PY
}
n=0
for dut in $duts; do
	if run_one "$dut"; then n=$((n + 1)); fi
done
[ $keep = 1 ] && echo "fwd-callgrind.sh: callgrind files in $out" >&2
[ $n -gt 0 ]
