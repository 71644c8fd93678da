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
# with LOOP = run (vfapp's main loop: polls, stats, clock) or lpm_main_loop (l3fwd's), so only
# the forwarding loop and what it calls are counted, never start-up. The DUT runs with
# --no-huge -m 1024 (valgrind cannot map DPDK's hugepage VA reservation), the generator on
# hugepages. Two windows per DUT, each between callgrind_control --zero and --dump:
#   traffic  --seconds long, from just after one of the generator's per-second statistics
#            blocks to just after another: packets = the difference of its cumulative
#            RX-packets (both ports), i.e. what the DUT forwarded in the window;
#   idle     5 s with the generator stopped (SIGSTOP: memif stays connected, rings empty):
#            the cost of an empty poll, per function.
# On a loaded 2-CPU host the generator does not always outrun even a DUT under valgrind, so
# RX bursts are not full and a share of the traffic window is empty polling, more for the
# faster DUT. Hence two figures: "raw" = Ir / packets, and "per packet" = (Ir - polls x the
# idle window's Ir per poll) / packets, per function, where polls = calls of the memif RX
# function (the only memif function an idle DUT calls). "burst" = packets / polls.
# l3fwd must have been built by l3fwd.sh (DIR/l3fwd/build/l3fwd, DIR = /tmp/vfb-l3fwd-$UID).
# Prints one JSON record per DUT: {"kind":"callgrind","tool","pkt_size","packets","polls",
# "burst","ir_raw_per_pkt","ir_per_pkt","groups":{group: Ir per packet},"top":[[function,
# Ir per packet], ...]} and keeps the callgrind files in --out (default: a temporary
# directory that is removed).
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
# DPDK under valgrind cannot reserve its hugepage VA space: the DUT runs on 4 KiB pages
dmem="--no-huge -m 1024"

# next_rx LOG: wait for the generator's next statistics block, print its RX-packets of both ports
next_rx() {
	local n0 n
	n0=$(grep -c "RX-packets:" "$1")
	for _ in $(seq 100); do
		n=$(grep -c "RX-packets:" "$1")
		[ $((n - n0)) -ge 2 ] && [ $((n % 2)) = 0 ] && break
		sleep 0.02
	done
	grep "RX-packets:" "$1" | tail -2 | awk '{ s += $2 } END { print s }'
}

# wait_dump FILE N: wait for callgrind's dump number N (FILE.N), bounded
wait_dump() {
	for _ in $(seq 120); do [ -s "$1.$2" ] && { sleep 1; return 0; }; sleep 0.5; done
	echo "fwd-callgrind.sh: no callgrind dump $1.$2" >&2
	return 1
}

run_one() {
	local dut=$1 glog=$work/gen-$1.log dlog=$work/dut-$1.log cg=$out/callgrind.$1.$size loop cmd
	local dvdev="--vdev=net_memif0,role=client,socket=$s0,mac=$dmac --vdev=net_memif1,role=client,socket=$s1,mac=$dmac"
	rm -f "$s0" "$s1"
	timeout -k 3 $((secs + 400)) dpdk-testpmd --lcores "0@$gcpu,1@$gcpu" --no-pci --file-prefix ${tag}g${dut//-/} --in-memory \
		--vdev=net_memif0,role=server,socket=$s0,mac=$gmac0 --vdev=net_memif1,role=server,socket=$s1,mac=$gmac1 \
		--log-level=pmd.net.memif:error -- --forward-mode=flowgen --txpkts="$size" --total-num-mbufs=16384 \
		--eth-peer=0,$dmac --eth-peer=1,$dmac --auto-start --stats-period=1 >"$glog" 2>&1 &
	gpid=$!
	for _ in $(seq 60); do grep -q "packet forwarding - ports=" "$glog" 2>/dev/null && break; sleep 0.5; done
	case $dut in
	l3fwd-lpm)
		[ -x "$bdir/l3fwd/build/l3fwd" ] || { echo "fwd-callgrind.sh: no $bdir/l3fwd/build/l3fwd: run l3fwd.sh once (it builds it)" >&2; return 1; }
		printf 'R10.253.0.0/23 0\nR10.253.2.0/23 1\nR0.0.0.0/1 1\nR128.0.0.0/1 1\n' >"$work/rules4"
		printf 'R0:0:0:0:0:0:0:0/1 1\nR8000:0:0:0:0:0:0:0/1 1\n' >"$work/rules6"
		loop=lpm_main_loop
		# word splitting of $dmem/$dvdev is meant; the commas are l3fwd's own syntax
		# shellcheck disable=SC2054,SC2206
		cmd=("$bdir/l3fwd/build/l3fwd" -l "$dcpu" --no-pci --file-prefix ${tag}d${dut//-/} $dmem $dvdev
			--log-level=pmd.net.memif:error -- -p 0x3 --config="(0,0,$dcpu),(1,0,$dcpu)" --lookup=lpm --parse-ptype
			--rule_ipv4="$work/rules4" --rule_ipv6="$work/rules6" --eth-dest=0,$gmac0 --eth-dest=1,$gmac1)
		;;
	vfapp)
		printf 'route 10.253.0.0/23 port 0 nexthop-mac %s\nroute 10.253.2.0/23 port 1 nexthop-mac %s\nroute 0.0.0.0/0 port 1 nexthop-mac %s\n' \
			$gmac0 $gmac1 $gmac1 >"$work/routes"
		loop=run
		# shellcheck disable=SC2206
		cmd=("$vfapp" -l "$dcpu" --no-pci --file-prefix ${tag}d${dut//-/} $dmem $dvdev
			--log-level=pmd.net.memif:error -- --topology ports --workload fwd --strategy off
			--pool-cache 256 --routes "$work/routes" --duration 0 --json $vargs)
		;;
	*) echo "fwd-callgrind.sh: unknown DUT $dut" >&2; return 1 ;;
	esac
	timeout -k 3 $((secs + 600)) valgrind --tool=callgrind --callgrind-out-file="$cg" \
		--collect-atstart=no --toggle-collect="$loop" "${cmd[@]}" >"$dlog" 2>&1 &
	dpid=$!
	local t=0 vg r0 r1
	while [ $t -lt 480 ] && ! grep -qE "Rx-pps: +[1-9]" "$glog" 2>/dev/null; do sleep 0.5; t=$((t + 1)); done
	vg=$(pgrep -P $dpid | head -1)
	[ -n "$vg" ] && [ $t -lt 480 ] || { echo "fwd-callgrind.sh: $dut: no traffic came back" >&2; tail -5 "$dlog" >&2; return 1; }
	sleep 5 # past the first bursts
	r0=$(next_rx "$glog") && callgrind_control -z "$vg" >/dev/null
	sleep "$secs"
	r1=$(next_rx "$glog") && callgrind_control -d "$vg" >/dev/null
	wait_dump "$cg" 1 || return 1
	# idle: the generator stopped, the DUT polls empty rings
	local tp
	tp=$(pgrep -P $gpid | head -1)
	kill -STOP "$tp"
	sleep 2
	callgrind_control -z "$vg" >/dev/null
	sleep 5
	callgrind_control -d "$vg" >/dev/null
	wait_dump "$cg" 2 || return 1
	kill -CONT "$tp"
	kill -KILL "$vg" 2>/dev/null; kill -KILL $dpid 2>/dev/null; wait $dpid 2>/dev/null
	kill -INT $gpid 2>/dev/null
	for _ in $(seq 20); do kill -0 $gpid 2>/dev/null || break; sleep 0.5; done
	kill -KILL $gpid 2>/dev/null; wait $gpid 2>/dev/null
	dpid="" gpid=""
	echo $((r1 - r0)) >"$cg.packets"
	python3 - "$cg.packets" "$cg.1" "$cg.2" "$dut" "$size" <<'PY'
import json, re, sys
pkts_file, traffic, idle, dut, size = sys.argv[1:]
pkts = int(open(pkts_file).read())
# function groups, first match wins, on "function [object]"
groups = [
    ("memif PMD (RX/TX copies, rings)", r"memif"),
    ("libc (memcpy...)", r"libc|mem(cpy|move|set)"),
    ("lib/iova mempool driver + ctx", r"iova_|rte_stack|stack_"),
    ("mempool/mbuf", r"mempool|mbuf|ring"),
    ("l3fwd (its loop, lookups inlined)", r"l3fwd"),
    ("LPM", r"lpm"),
    ("ethdev", r"rte_eth|ethdev"),
    ("vfapp appliance (fwd.c, pkt.c, main loop)", r"appliance/|vfapp"),
]

def load(path):
    """Self Ir and calls received per "function [object]" (callgrind format spec: cost lines
    under fn=, except the inclusive cost line after each calls= line)."""
    names = {"ob": {}, "fn": {}, "fl": {}}
    def name(kind, v):
        m = re.match(r"\((\d+)\)(?: (.*))?$", v)
        if not m:
            return v
        if m.group(2) is not None:
            names[kind][m.group(1)] = m.group(2)
        return names[kind].get(m.group(1), v)
    self_ir, calls = {}, {}
    ob = fn = cob = cfn = "?"
    skip = False
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        if skip:
            skip = False
            continue
        if line.startswith("ob="):
            ob = cob = name("ob", line[3:])
        elif line.startswith("fn="):
            fn = name("fn", line[3:])
            cob = ob
        elif line.startswith(("fl=", "fi=", "fe=")):
            name("fl", line[3:])
        elif line.startswith("cob="):
            cob = name("ob", line[4:])
        elif line.startswith("cfn="):
            cfn = name("fn", line[4:])
        elif line.startswith(("cfi=", "cfl=")):
            name("fl", line[4:])
        elif line.startswith("calls="):
            key = "%s [%s]" % (cfn, cob.rsplit("/", 1)[-1])
            calls[key] = calls.get(key, 0) + int(line[6:].split()[0])
            cob = ob
            skip = True
        elif line[:1].isdigit() or line[:1] in "+-*":
            parts = line.split()
            if len(parts) >= 2:
                key = "%s [%s]" % (fn, ob.rsplit("/", 1)[-1])
                self_ir[key] = self_ir.get(key, 0) + int(parts[1])
    return self_ir, calls

t_ir, t_calls = load(traffic)
i_ir, i_calls = load(idle)
# the RX function: the memif function an idle DUT calls most
memif = {k: v for k, v in i_calls.items() if "memif" in k}
if not pkts or not memif:
    sys.stderr.write("fwd-callgrind.sh: %s: no packets (%d) or no memif calls while idle\n" % (dut, pkts))
    sys.exit(1)
rx = max(memif, key=memif.get)
polls, ipolls = t_calls.get(rx, 0), i_calls[rx]
per, raw_total, total, top = {}, 0, 0, []
for f in set(t_ir) | set(i_ir):
    raw = t_ir.get(f, 0)
    net = raw - i_ir.get(f, 0) * polls / ipolls
    raw_total += raw
    total += net
    g = next((gname for gname, rgx in groups if re.search(rgx, f)), "other")
    per[g] = per.get(g, 0) + net
    top.append((f, net))
top.sort(key=lambda x: -x[1])
rec = {"kind": "callgrind", "tool": dut, "pkt_size": int(size), "packets": pkts, "polls": polls,
       "burst": round(pkts / polls, 2) if polls else None,
       "ir_raw_per_pkt": round(raw_total / pkts, 1), "ir_idle_per_poll": round(sum(i_ir.values()) / ipolls, 1),
       "ir_per_pkt": round(total / pkts, 1),
       "groups": {k: round(v / pkts, 1) for k, v in sorted(per.items(), key=lambda x: -x[1])},
       "top": [[f[:100], round(v / pkts, 1)] for f, v in top[:15]]}
print(json.dumps(rec))
PY
}
n=0
for dut in $duts; do
	if run_one "$dut"; then n=$((n + 1)); fi
done
[ $keep = 1 ] && echo "fwd-callgrind.sh: callgrind files in $out" >&2
[ $n -gt 0 ]
