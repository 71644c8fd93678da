#!/bin/bash
# benchmarks/peers/l3fwd.sh: vfapp fwd beside DPDK's own l3fwd (LPM) and dpdk-testpmd io/mac,
# each the device under test (DUT) on the SAME two net_memif ports, with the SAME traffic.
#
#   l3fwd.sh --vfapp PATH [--pkt-sizes "64 1500"] [--duration S] [--warmup S]
#            [--build-dir DIR] [--repetition N] [--dut-cpu N] [--gen-cpu N] [--no-huge]
#            [--duts "l3fwd-lpm vfapp vfapp-plain testpmd-io testpmd-mac"] [--vfapp-args "..."]
#            [--scale-lcores N] [--repetitions N] [--rep-duts "l3fwd-lpm vfapp"]
#
# l3fwd is built at benchmark time from Debian's dpdk-doc sources: /usr/share/dpdk/examples/l3fwd
# with /usr/share/dpdk/examples/common copied beside it into DIR (default /tmp/vfb-l3fwd-$UID),
# `make` (pkg-config libdpdk), ~20 s; reused while DIR/l3fwd/build/l3fwd is newer than the sources.
# Two lines are patched in the copy: RX offloads (port and queue) are masked by the port's
# capabilities (22.11's l3fwd asks for RX checksum offload unconditionally and exits on memif).
#
# Topology (one generator process, one DUT process, two memif wires):
#   generator: dpdk-testpmd --forward-mode=flowgen, memif servers g0/g1, both lcores on CPU
#              --gen-cpu (0); sends --pkt-size UDP frames to the DUT's port MACs on both
#              wires and receives (and frees) what comes back, counting Rx-pps per port.
#   DUT on CPU --dut-cpu (1), one forwarding lcore, memif clients d0/d1:
#     l3fwd-lpm   build/l3fwd -- -p 0x3 --config "(0,0,L),(1,0,L)" --parse-ptype (memif has no
#                 ptypes) --rule_ipv4 R
#     vfapp       vfapp -- --topology ports --workload fwd --strategy off --pool-cache 256 --routes R
#                 (lib/iova's mempool driver; off keeps the EAL's IOVA and calls no lib/iova code per
#                 buffer, so a per-lcore cache as large as l3fwd's MEMPOOL_CACHE_SIZE changes only speed)
#     R (both): flowgen's destinations 10.253.0.0 + flow (1024 flows) split in two /23, one per
#     port, so both output rings carry half the traffic; everything else to port 1
#     vfapp-plain the same with --pool plain (rte_pktmbuf_pool_create, no lib/iova mempool
#                 driver): the appliance's own cost without the IOMMU layer
#     testpmd-io / testpmd-mac   dpdk-testpmd --forward-mode=io|mac (ports swapped, as in testpmd)
# --scale-lcores 2 (default) also runs vfapp (--fwd-lcores 2) and l3fwd with two forwarding
# lcores (CPUs --dut-cpu and --gen-cpu: on a 2-CPU machine the second shares the generator's
# CPU), two memif queue pairs per port, the generator sending on both.
# --repetitions N (default 1): repetition 1 runs every DUT (and the --scale-lcores runs);
# repetitions 2..N run the --rep-duts (one lcore) again, in reverse order on even repetitions,
# so a ratio between two of them can be taken per repetition, side by side, and a drift of
# the host's speed during the run does not favour the one that runs first.
# Every DUT sends every packet it forwards back to the generator, so the DUT's forwarding
# rate = the generator's received packets per second (sum over both ports), measured the
# same way for all: the median of testpmd's per-second Rx-pps readings after --warmup.
# Prints one JSON record per (DUT, size): {"kind":"dut","tool":"l3fwd-lpm"|"vfapp"|"testpmd",
# "fwd_mode":"lpm"|"fwd"|"fwd-plain-pool"|"io"|"mac","ports":"net_memif-2proc","pkt_size","mpps","dut_cpu",
# "gen_cpu","repetition","samples"}; vfapp's record also holds its own JSON record under "vfapp".
# Exit 1 if no record was printed.
set -u
vfapp="" sizes="64 1500" dur=4 warm=2 bdir=/tmp/vfb-l3fwd-$(id -u) rep=1 dcpu=1 gcpu=0 nohuge=0
duts="l3fwd-lpm vfapp vfapp-plain testpmd-io testpmd-mac" vargs="" scale=2 reps=1
repduts="l3fwd-lpm vfapp"
while [ $# -gt 0 ]; do
	case $1 in
	--vfapp) vfapp=$2; shift ;; --pkt-sizes) sizes=$2; shift ;; --duration) dur=$2; shift ;;
	--warmup) warm=$2; shift ;; --build-dir) bdir=$2; shift ;; --repetition) rep=$2; shift ;;
	--dut-cpu) dcpu=$2; shift ;; --gen-cpu) gcpu=$2; shift ;; --no-huge) nohuge=1 ;;
	--duts) duts=$2; shift ;; --vfapp-args) vargs=$2; shift ;; --scale-lcores) scale=$2; shift ;;
	--repetitions) reps=$2; shift ;; --rep-duts) repduts=$2; shift ;;
	*) sed -n '2,36p' "$0" >&2; exit 2 ;;
	esac; shift
done
command -v dpdk-testpmd >/dev/null || { echo "l3fwd.sh: dpdk-testpmd not installed (package dpdk)" >&2; exit 1; }
tag=vfbl3$$
work=$(mktemp -d /tmp/vfb-l3fwd-run.XXXXXX)
mem="--in-memory"
[ $nohuge = 1 ] && mem="--no-huge -m 1024"
gpid="" dpid=""
cleanup() {
	for p in $dpid $gpid; do kill -INT "$p" 2>/dev/null; done
	sleep 1
	for p in $dpid $gpid; do kill -KILL "$p" 2>/dev/null; done
	rm -rf "$work" /var/run/dpdk/${tag}* /dev/hugepages/${tag}* 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build l3fwd from the dpdk-doc example sources
build_l3fwd() {
	local src=/usr/share/dpdk/examples
	[ -f $src/l3fwd/main.c ] || { echo "l3fwd.sh: $src/l3fwd missing (package dpdk-doc)" >&2; return 1; }
	if [ -x "$bdir/l3fwd/build/l3fwd" ] && [ "$bdir/l3fwd/build/l3fwd" -nt $src/l3fwd/main.c ]; then
		return 0
	fi
	rm -rf "$bdir"; mkdir -p "$bdir"
	cp -r $src/l3fwd $src/common "$bdir/"
	# Two-line patch: l3fwd 22.11 requests RX checksum offload unconditionally and exits on
	# PMDs without it (memif, af_packet); keep only the offloads the port has (port and queue).
	sed -i -e 's|^\(\t*\)local_port_conf.rx_adv_conf.rss_conf.rss_hf &=|\1local_port_conf.rxmode.offloads \&= dev_info.rx_offload_capa; /* vfmgr patch */\n&|' \
		-e 's|rxq_conf.offloads = port_conf.rxmode.offloads;|rxq_conf.offloads = port_conf.rxmode.offloads \& dev_info.rx_offload_capa; /* vfmgr patch */|' \
		"$bdir/l3fwd/main.c"
	[ "$(grep -c "vfmgr patch" "$bdir/l3fwd/main.c")" = 2 ] || { echo "l3fwd.sh: patching l3fwd/main.c failed" >&2; return 1; }
	local t0=$SECONDS
	if ! make -C "$bdir/l3fwd" -j2 >"$bdir/build.log" 2>&1; then
		echo "l3fwd.sh: building l3fwd failed, see $bdir/build.log:" >&2; tail -5 "$bdir/build.log" >&2
		return 1
	fi
	echo "l3fwd.sh: built $bdir/l3fwd/build/l3fwd in $((SECONDS - t0)) s" >&2
}

# DUT port MACs (memif devargs) and the generator's. testpmd 22.11's flowgen writes its
# built-in destination 00:01:02:03:04:01 (flowgen.c cfg_ether_dst) whatever --eth-peer says,
# so both DUT ports carry that MAC (vfapp drops frames not addressed to its port: not_our_mac).
dmac0=00:01:02:03:04:01 dmac1=00:01:02:03:04:01 gmac0=02:00:00:00:9e:00 gmac1=02:00:00:00:9e:01
s0=$work/w0.sock s1=$work/w1.sock

# run_one DUT SIZE [LCORES]: print the record or return 1
run_one() {
	local dut=$1 size=$2 nl=${3:-1} glog=$work/gen-$1-$2-${3:-1}.log dlog=$work/dut-$1-$2-${3:-1}.log
	local life=$((warm + dur + 2)) q="" dl="$dcpu" cfg="(0,0,$dcpu),(1,0,$dcpu)" fe="" fa=""
	if [ "$nl" -gt 1 ]; then   # a second forwarding lcore on the generator's CPU
		q="--rxq=$nl --txq=$nl" dl="$dcpu,$gcpu" fe="--main-lcore $dcpu" fa="--fwd-lcores $nl"
		cfg="(0,0,$dcpu),(0,1,$gcpu),(1,0,$dcpu),(1,1,$gcpu)"
	fi
	local dvdev="--vdev=net_memif0,role=client,socket=$s0,mac=$dmac0 --vdev=net_memif1,role=client,socket=$s1,mac=$dmac1"
	rm -f "$s0" "$s1"
	# shellcheck disable=SC2086
	timeout -k 3 $((life + 75)) dpdk-testpmd --lcores "0@$gcpu,1@$gcpu" --no-pci --file-prefix ${tag}g$size${dut//-/}$nl $mem \
		--vdev=net_memif0,role=server,socket=$s0,mac=$gmac0 --vdev=net_memif1,role=server,socket=$s1,mac=$gmac1 \
		--log-level=pmd.net.memif:error -- --forward-mode=flowgen --txpkts="$size" --total-num-mbufs=16384 $q \
		--eth-peer=0,$dmac0 --eth-peer=1,$dmac1 --auto-start --stats-period=1 >"$glog" 2>&1 &
	gpid=$!
	# the memif servers listen once the generator forwards: testpmd --auto-start prints
	# "<mode> packet forwarding - ports=N" (not "Start automatic ...", interactive only) (bounded: the
	# machine may be loaded)
	for _ in $(seq 60); do grep -q "packet forwarding - ports=" "$glog" 2>/dev/null && break; sleep 0.5; done
	case $dut in
	l3fwd-lpm)
		# the same routes as vfapp's (rte_lpm takes depths >= 1: the default as two /1)
		printf 'R10.253.0.0/23 0\nR10.253.2.0/23 1\nR0.0.0.0/1 1\nR128.0.0.0/1 1\n' >"$work/rules4"
		printf 'R0:0:0:0:0:0:0:0/1 1\nR8000:0:0:0:0:0:0:0/1 1\n' >"$work/rules6"
		# shellcheck disable=SC2086
		timeout -k 3 $((life + 40)) "$bdir/l3fwd/build/l3fwd" -l "$dl" --no-pci --file-prefix ${tag}d$size${dut//-/}$nl $mem $dvdev \
			--log-level=pmd.net.memif:error -- -p 0x3 --config="$cfg" --lookup=lpm --parse-ptype \
			--rule_ipv4="$work/rules4" --rule_ipv6="$work/rules6" \
			--eth-dest=0,$gmac0 --eth-dest=1,$gmac1 >"$dlog" 2>&1 &
		;;
	vfapp | vfapp-plain)
		printf 'route 10.253.0.0/23 port 0 nexthop-mac %s\nroute 10.253.2.0/23 port 1 nexthop-mac %s\nroute 0.0.0.0/0 port 1 nexthop-mac %s\n' \
			$gmac0 $gmac1 $gmac1 >"$work/routes"
		fa="$fa --pool-cache 256"
		[ $dut = vfapp-plain ] && fa="$fa --pool plain"
		# shellcheck disable=SC2086
		timeout -k 3 $((life + 40)) "$vfapp" -l "$dl" $fe --no-pci --file-prefix ${tag}d$size${dut//-/}$nl $mem $dvdev \
			--log-level=pmd.net.memif:error -- --topology ports --workload fwd --strategy off \
			--routes "$work/routes" --duration 0 --json $fa $vargs >"$dlog" 2>&1 &
		;;
	testpmd-io | testpmd-mac)
		# shellcheck disable=SC2086
		timeout -k 3 $((life + 40)) dpdk-testpmd --lcores "0@$dcpu,1@$dcpu" --no-pci --file-prefix ${tag}d$size${dut//-/}$nl $mem \
			$dvdev --log-level=pmd.net.memif:error -- --forward-mode=${dut#testpmd-} --total-num-mbufs=16384 \
			--eth-peer=0,$gmac0 --eth-peer=1,$gmac1 --auto-start --stats-period=1 >"$dlog" 2>&1 &
		;;
	esac
	dpid=$!
	# the window starts when traffic comes back (DUT up, memif connected; bounded to 30 s)
	local t=0 start
	while [ $t -lt 60 ] && ! grep -qE "Rx-pps: +[1-9]" "$glog" 2>/dev/null; do sleep 0.5; t=$((t + 1)); done
	start=$(grep -c "Rx-pps:" "$glog" 2>/dev/null)
	sleep $((warm + dur))
	# the generator stops first: testpmd's flowgen, a memif server, could crash on SIGINT
	# when its client had gone (seen 2 in 8 runs); its per-second readings are in its log
	kill -INT $gpid 2>/dev/null; sleep 1; kill -KILL $gpid 2>/dev/null; wait $gpid 2>/dev/null
	kill -INT $dpid 2>/dev/null; sleep 1.5; kill -KILL $dpid 2>/dev/null; wait $dpid 2>/dev/null
	dpid="" gpid=""
	python3 - "$glog" "$dlog" "$dut" "$size" "$warm" "$rep" "$dcpu" "$gcpu" "${start:-0}" "$nl" <<'PY'
import json, re, statistics, sys
glog, dlog, dut, size, warm, rep, dcpu, gcpu, start, nl = sys.argv[1:]
txt = open(glog, errors="replace").read()
# testpmd --stats-period: one "Port statistics" block per second, ports 0 and 1 in order;
# the window starts at the first block with traffic coming back, plus --warmup seconds
rx = [int(v) for v in re.findall(r"Rx-pps:\s*(\d+)", txt)][int(start) // 2 * 2:]
per_s = [rx[i] + rx[i + 1] for i in range(0, len(rx) - 1, 2)]
per_s = per_s[int(float(warm)):-1]        # drop the warm-up and the last (shutdown) second
per_s = [v for v in per_s if v > 0]
if len(per_s) < 2:
    sys.stderr.write("l3fwd.sh: %s %s B: no rate from the generator\n--- generator\n%s\n--- DUT\n%s\n"
                     % (dut, size, txt[-1500:], open(dlog, errors="replace").read()[-1500:]))
    sys.exit(1)
tool, mode = {"l3fwd-lpm": ("l3fwd-lpm", "lpm"), "vfapp": ("vfapp", "fwd"),
              "vfapp-plain": ("vfapp", "fwd-plain-pool"),
              "testpmd-io": ("testpmd", "io"), "testpmd-mac": ("testpmd", "mac")}[dut]
rec = {"kind": "dut", "tool": tool, "fwd_mode": mode, "ports": "net_memif-2proc",
       "pkt_size": int(size), "mpps": round(statistics.median(per_s) / 1e6, 3),
       "samples": len(per_s), "dut_cpu": int(dcpu), "gen_cpu": int(gcpu), "repetition": int(rep),
       "lcores": int(nl)}
if dut.startswith("vfapp"):
    lines = [l for l in open(dlog, errors="replace").read().splitlines() if l.startswith("{")]
    if lines:
        try:
            rec["vfapp"] = json.loads(lines[-1])
        except ValueError:
            pass
print(json.dumps(rec))
PY
}

build_l3fwd || duts=${duts//l3fwd-lpm/}
[ -n "$vfapp" ] && [ -x "$vfapp" ] || duts=$(echo "$duts" | tr ' ' '\n' | grep -v '^vfapp' | tr '\n' ' ')
n=0
for size in $sizes; do
	for dut in $duts; do
		if run_one "$dut" "$size"; then n=$((n + 1)); fi
		case $dut in l3fwd-lpm | vfapp)
			if [ "$scale" -gt 1 ] && run_one "$dut" "$size" "$scale"; then n=$((n + 1)); fi ;;
		esac
	done
done
rd="" rep0=$rep
for dut in $repduts; do case " $duts " in *" $dut "*) rd="$rd $dut" ;; esac; done
for k in $(seq 2 "$reps"); do
	order=$rd rep=$((rep0 + k - 1))   # the records' "repetition": --repetition, then on
	[ $((k % 2)) = 0 ] && order=$(echo $rd | tr ' ' '\n' | tac | tr '\n' ' ')
	echo "l3fwd.sh: repetition $k of $reps:$order" >&2
	for size in $sizes; do
		for dut in $order; do
			if run_one "$dut" "$size"; then n=$((n + 1)); fi
		done
	done
done
[ $n -gt 0 ]
