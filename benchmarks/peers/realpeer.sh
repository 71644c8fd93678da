#!/bin/bash
# benchmarks/peers/realpeer.sh: kernel TCP/UDP peers in two namespaces, with a DPDK
# forwarder in the middle on the root-side veth ends (netns.sh "middle" topology).
#
#   realpeer.sh [--forwarder vfapp|testpmd] [--vfapp PATH] [--strategy S] [--mode M]
#               [--pmd af_xdp|af_packet] [--duration S] [--logdir DIR] [--prefix P]
#               [--eal-mem "--in-memory ..."] [--extra-args "vfapp args"] [--no-sockperf] [--no-iperf3]
#
# vfapp: `vfapp -l 0-1 --main-lcore 1 --no-pci --vdev net_af_xdp0,iface=$RA,start_queue=0,queue_count=1
#   --vdev net_af_xdp1,iface=$RB,... -- --topology ports --routes FILE --workload fwd
#   --strategy S --mode M --duration T --json` with the routes file from netns.sh middle-routes
#   (vfapp routes between 10.199.1.0/24 and 10.199.2.0/24, rewriting MACs).
# testpmd: mac forwarding with --eth-peer set to the namespace ends (the same routing effect).
# The forwarder runs on CPU 1 (vfapp: main lcore 1, where the appliance loop runs; testpmd:
# its forwarding lcore 1), the peers (iperf3, sockperf --cpu 0) are pinned to CPU 0.
# Prints JSON records {"kind":"realpeer","tool":"iperf3"|"sockperf","path":"<forwarder>-<pmd>",
# "strategy","mode",...} and the forwarder's own record {"kind":"realpeer","tool":"<forwarder>"}.
# af_xdp is tried first; if the forwarder does not come up, af_packet. Exit 1 if nothing ran.
set -u
here=$(cd "$(dirname "$0")" && pwd)
eval "$("$here/netns.sh" names)"   # MA MB RA RB MA0 MB0 ... (with $VFB_TAG)
fwder=vfapp vfapp="" strategy=off mode=native pmds="af_xdp af_packet" dur=3 logdir=/tmp prefix=vfbrp$$
mem="--in-memory" extra="" do_sp=1 do_ip=1
while [ $# -gt 0 ]; do
	case $1 in
	--forwarder) fwder=$2; shift ;; --vfapp) vfapp=$2; shift ;; --strategy) strategy=$2; shift ;;
	--mode) mode=$2; shift ;; --pmd) pmds=$2; shift ;; --duration) dur=$2; shift ;;
	--logdir) logdir=$2; shift ;; --prefix) prefix=$2; shift ;; --eal-mem) mem=$2; shift ;;
	--extra-args) extra=$2; shift ;; --no-sockperf) do_sp=0 ;; --no-iperf3) do_ip=0 ;;
	*) sed -n '2,20p' "$0" >&2; exit 2 ;;
	esac; shift
done
[ "$fwder" = testpmd ] || [ -x "$vfapp" ] || { echo "realpeer.sh: --vfapp PATH needed" >&2; exit 2; }
mkdir -p "$logdir"
# The VMM thread relative to the appliance on CPU 1 (overrides a --vmm-lcore in --extra-args,
# which run.sh computes for the appliance on CPU 0): trap-and-emulate exits on the vCPU's own
# CPU, the sidecore polls on the other one.
vmm=""
case $mode in trap-and-emulate) vmm="--vmm-lcore 1" ;; sidecore) vmm="--vmm-lcore 0" ;; esac
fpid=""
routes=$(mktemp /tmp/vfb-routes.XXXXXX)
finish() {
	[ -n "$fpid" ] && kill -INT "$fpid" 2>/dev/null && sleep 1 && kill -KILL "$fpid" 2>/dev/null
	"$here/netns.sh" middle down
	rm -f "$routes"; rm -rf /var/run/dpdk/"$prefix"* /dev/hugepages/"$prefix"* 2>/dev/null
}
trap finish EXIT
trap 'exit 130' INT TERM

# probe: a TCP connection from ns A to ns B through the forwarder (bounded).
probe() {
	ip netns exec "$MB" timeout 4 python3 -c '
import socket; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.199.2.2", 15999)); s.listen(1); s.settimeout(3.5)
try: c,_=s.accept(); c.close()
except OSError: pass' &
	local sp=$! ok=1
	sleep 0.3
	ip netns exec "$MA" timeout 3 python3 -c '
import socket, sys
s=socket.socket(); s.settimeout(2.5)
try: s.connect(("10.199.2.2", 15999)); sys.exit(0)
except OSError: sys.exit(1)' && ok=0
	wait $sp 2>/dev/null
	return $ok
}

# total forwarder lifetime: ready wait + iperf3 + sockperf + slack
life=$(( 12 + (dur + 6) * 2 ))
ran=0
for pmd in $pmds; do
	"$here/netns.sh" middle up || { echo "realpeer.sh: netns setup failed" >&2; exit 1; }
	"$here/netns.sh" middle-routes "$routes"
	if [ $pmd = af_xdp ]; then
		vdevs="--vdev net_af_xdp0,iface=$RA,start_queue=0,queue_count=1 --vdev net_af_xdp1,iface=$RB,start_queue=0,queue_count=1"
	else
		vdevs="--vdev net_af_packet0,iface=$RA --vdev net_af_packet1,iface=$RB"
	fi
	flog=$logdir/realpeer-$fwder-$strategy-$mode-$pmd.log
	# shellcheck disable=SC2086
	if [ "$fwder" = testpmd ]; then
		ma=$(ip -n "$MA" -o link show "$MA0" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
		mb=$(ip -n "$MB" -o link show "$MB0" | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
		timeout -k 3 "$life" dpdk-testpmd -l 0-1 --no-pci --file-prefix "${prefix}_$pmd" $mem $vdevs -- \
			--forward-mode=mac --eth-peer=0,"$ma" --eth-peer=1,"$mb" --total-num-mbufs=16384 \
			--stats-period 30 -a </dev/null >"$flog" 2>&1 &
	else
		# --main-lcore 1: the appliance runs on vfapp's main lcore, which must not be CPU 0
		# where the peers are pinned (lcore 0 stays a worker for --endpoint-lcore/VMM use)
		timeout -k 3 "$life" "$vfapp" -l 0-1 --main-lcore 1 --no-pci --file-prefix "${prefix}_$pmd" $mem $vdevs -- \
			--topology ports --routes "$routes" --workload fwd --strategy "$strategy" --mode "$mode" \
			--duration 0 --warmup 0 --json $extra $vmm </dev/null >"$flog" 2>&1 &
	fi
	fpid=$!
	up=0
	for _ in 1 2 3 4; do
		kill -0 $fpid 2>/dev/null || break
		probe && { up=1; break; }
	done
	if [ $up = 0 ]; then
		echo "realpeer.sh: $fwder on $pmd: no TCP connection through it (log $flog)" >&2
		tail -5 "$flog" >&2
		kill -INT $fpid 2>/dev/null; sleep 1; kill -KILL $fpid 2>/dev/null; fpid=""
		"$here/netns.sh" middle down
		continue
	fi
	path=$fwder-$pmd
	x="{\"strategy\":\"$strategy\",\"mode\":\"$mode\",\"pmd\":\"$pmd\",\"forwarder\":\"$fwder\"}"
	[ "$fwder" = testpmd ] && x="{\"pmd\":\"$pmd\",\"forwarder\":\"testpmd\",\"fwd_mode\":\"mac\"}"
	if [ $do_ip = 1 ]; then
		"$here/iperf3.sh" --server-ns "$MB" --client-ns "$MA" --ip 10.199.2.2 --duration "$dur" --cpu 0 \
			--kind realpeer --path "$path" --extra "$x" && ran=1
	fi
	if [ $do_sp = 1 ]; then
		"$here/sockperf.sh" --server-ns "$MB" --client-ns "$MA" --ip 10.199.2.2 --duration "$dur" --cpu 0 \
			--kind realpeer --path "$path" --extra "$x" && ran=1
	fi
	# Stop the forwarder and take its own record (drops, map/unmap counters).
	kill -INT $fpid 2>/dev/null
	for _ in $(seq 1 20); do kill -0 $fpid 2>/dev/null || break; sleep 0.25; done
	kill -KILL $fpid 2>/dev/null; wait $fpid 2>/dev/null; fpid=""
	if [ "$fwder" = vfapp ]; then
		python3 - "$flog" "$path" <<'PY'
import json, sys
last = None
for ln in open(sys.argv[1], errors="replace"):
    if ln.startswith("{"):
        last = ln
if last:
    try:
        r = json.loads(last); r["kind"] = "realpeer"; r["tool"] = "vfapp"; r["path"] = sys.argv[2]
        r["workload"] = "fwd-counters"
        print(json.dumps(r))
    except ValueError:
        pass
PY
	fi
	"$here/netns.sh" middle down
	break
done
[ $ran = 1 ]
