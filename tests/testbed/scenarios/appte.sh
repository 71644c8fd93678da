# topo: e1000e-gen
# needs: vfapp iperf3 sockperf ip
# post: rows
# Scenario (trap & emulate, ours): vfapp forwards between two e1000e on vfio-pci (a0, a1)
# with its mbuf pool in external memory EAL never maps (--pool-mem extmem): the NICs reach a
# buffer only through the strategy's mapping. The other NIC on each QEMU hub (g0, g1) is
# driven by the kernel's e1000e in its own namespace: ns0 10.0.1.2 -hub0- a0 [vfapp] a1
# -hub1- ns1 10.0.2.2. Boot with "intel_iommu=on iommu=pt" (boot.sh --iommu) so the kernel's
# own NICs are identity-mapped and every trapped invalidation is the appliance's.
#  containment (tb.contain=1, default): vfapp --fault-inject unmap: the first buffer port 0
#    posts to its RX ring is poisoned and unmapped under the NIC; the first frame from ns0
#    must fault (DMAR fault in dmesg at that IOVA, vtd_dmar_fault in QEMU's trace, section 1)
#    and leave the bytes unchanged, while forwarding goes on (ping ns0 -> ns1 through it);
#    positive control (section 2): --fault-inject poison, same path, the DMA must arrive.
#  traffic (tb.strategies, "-" for none): per strategy, iperf3 TCP ns0 -> ns1 (section
#    10+2i) and sockperf UDP ping-pong 64 B (section 11+2i) through vfapp for tb.seconds each.
#    The off row maps the whole external pool once (no per-buffer work): the 100 % baseline.
. /etc/tb-lib.sh
IP=/tb/bin/ip
SECS=${TB_SECONDS:-3}
STRATS=$(echo "${TB_STRATEGIES:-off strict deferred optimistic persistent shared ring pool}" | tr , " ")
[ "$STRATS" = "-" ] && STRATS=""
# tb_t LABEL: the guest clock at a phase boundary (run-te.sh profiles from these lines)
tb_t() { echo "TB-INFO t=$(cut -d' ' -f1 /proc/uptime) $*"; }
# sockperf's client idles a fixed 2 s before its timed test (tests/testbed/tb-nosleep.c)
NOSLEEP=""
[ -x /tb/bin/tb-nosleep ] && NOSLEEP="env LD_PRELOAD=/tb/bin/tb-nosleep"
tb_t start
if ! tb_have vfapp || ! tb_have ip; then
	tb_skip vfapp "vfapp or iproute2's ip not packed (--bin vfapp PATH --bin ip /usr/sbin/ip)"
	tb_finish; exit
fi
if ! tb_have iperf3 || ! tb_have sockperf; then
	tb_skip iperf3 "iperf3/sockperf not packed: only the containment part runs"
	STRATS=""
fi
modprobe vfio-pci; modprobe vfio_iommu_type1
tb_t modules
if [ "${TB_HEARTBEAT:-0}" = 1 ]; then
	# debugging aid: every 15 s the user processes with state and kernel wait channel
	( while sleep 15; do
		l=""
		for d in /proc/[0-9]*; do
			c=$(tr '\0' ' ' <$d/cmdline 2>/dev/null | cut -c1-50); [ -n "$c" ] || continue
			case $c in *"sleep 15"*) continue ;; esac
			l="$l; ${d#/proc/} $(awk '{print $3}' $d/stat 2>/dev/null) $(cat $d/wchan 2>/dev/null) $c"
		done
		echo "TB-INFO hb $(cut -d' ' -f1-3 /proc/loadavg)$l"
	done ) &
fi
NICS=$(tb_find 8086:10d3)
tb_eq e1000e-count "$(echo $NICS | wc -w)" 4
set -- $NICS; G0=$1 A0=$2 A1=$3 G1=$4
LINUXPT=${TB_LINUXPT:-0}
tb_have iperf3 && tb_have sockperf || LINUXPT=0
# tb.linuxpt=1: a0 stays on the kernel's e1000e for Linux's own pt row first (linux_pt below)
if [ $LINUXPT = 1 ]; then VFIO_FIRST=$A1; else VFIO_FIRST="$A0 $A1"; fi
for n in $VFIO_FIRST; do tb_true bind-vfio-$n tb_bind $n vfio-pci; done
modprobe e1000e
tb_wait_for 10 sh -c "ls /sys/bus/pci/devices/$G0/net/ /sys/bus/pci/devices/$G1/net/ >/dev/null 2>&1"
E0=$(ls /sys/bus/pci/devices/$G0/net/ 2>/dev/null) E1=$(ls /sys/bus/pci/devices/$G1/net/ 2>/dev/null)
tb_true kernel-nics test -n "$E0" -a -n "$E1"
# linux_pt (run-te.sh --quick, tb.linuxpt=1): the Linux row of "intel_iommu=on iommu=pt" in this
# boot, whose kernel parameters are exactly those, instead of a boot of its own: the kernel's
# e1000e drives g0 and a0, the two NICs of hub 0, in namespaces lp0 10.0.0.1 / lp1 10.0.0.2 --
# the linuxte topology (two e1000e over one QEMU hub) and its workloads (sections 5 and 6,
# rows linux-mode / linux-iperf3 / linux-sockperf with mode=pt). Then a0 goes to vfio-pci.
linux_pt() {
	local LA DT w p0 p1 rc bps line rt rx tps SP
	tb_wait_for 10 sh -c "ls /sys/bus/pci/devices/$A0/net/ >/dev/null 2>&1"
	LA=$(ls /sys/bus/pci/devices/$A0/net/ 2>/dev/null)
	DT=$(cat /sys/bus/pci/devices/$G0/iommu_group/type 2>/dev/null || echo none)
	tb_eq linux-pt-kernel-domain "$DT" identity
	tb_result name=linux-mode section=0 mode=pt domain_type=$DT policy=none
	mkdir -p /var/run/netns
	printf 'netns add lp0\nnetns add lp1\nlink set %s netns lp0\nlink set %s netns lp1\n' $E0 $LA | $IP -batch -
	printf 'addr add 10.0.0.1/24 dev %s\nlink set lo up\nlink set %s up\n' $E0 $E0 | $IP -n lp0 -batch -
	printf 'addr add 10.0.0.2/24 dev %s\nlink set lo up\nlink set %s up\n' $LA $LA | $IP -n lp1 -batch -
	$IP netns exec lp1 iperf3 -s -1 -B 10.0.0.2 >/tmp/lp-iperf3s.log 2>&1 &
	$IP netns exec lp1 sockperf server -i 10.0.0.2 -p 11111 >/tmp/lp-sockperfs.log 2>&1 &
	SP=$!
	tb_true linux-pt-ping tb_wait_for 20 $IP netns exec lp0 ping -c 1 -W 1 10.0.0.2
	tb_true linux-pt-servers tb_wait_for 10 sh -c "$IP netns exec lp1 grep -q ':1451 00000000:0000 0A' /proc/net/tcp && $IP netns exec lp1 grep -q ':2B67 ' /proc/net/udp"
	w() { echo $(( $($IP netns exec lp0 cat /sys/class/net/$E0/statistics/rx_packets) + $($IP netns exec lp1 cat /sys/class/net/$LA/statistics/rx_packets) )); }
	tb_t "linux pt iperf3"
	p0=$(w)
	tb_mark 5
	$IP netns exec lp0 timeout $((SECS + 30)) iperf3 -c 10.0.0.2 -t $SECS -J >/tmp/lp-iperf3.json 2>/tmp/lp-iperf3.err
	rc=$?
	tb_mark 9
	p1=$(w)
	tb-gron </tmp/lp-iperf3.json >/tmp/lp-iperf3.gron 2>/dev/null
	bps=$(awk 'index($0, ".end.sum_received.bits_per_second=") == 1 { split($0, a, "="); print int(a[2]) }' /tmp/lp-iperf3.gron)
	if [ $rc = 0 ] && [ -n "$bps" ] && [ "$bps" -gt 0 ]; then
		tb_ok iperf3-pt "bps=$bps"
		tb_result name=linux-iperf3 section=5 mode=pt bps=$bps seconds=$SECS packets=$((p1 - p0)) \
			retransmits=$(awk 'index($0, ".end.sum_sent.retransmits=") == 1 { split($0, a, "="); print a[2] }' /tmp/lp-iperf3.gron)
	else
		tb_fail iperf3-pt "rc=$rc $(head -c 300 /tmp/lp-iperf3.err)"
	fi
	tb_t "linux pt sockperf"
	p0=$(w)
	tb_mark 6
	$IP netns exec lp0 $NOSLEEP timeout $((SECS + 30)) sockperf ping-pong -i 10.0.0.2 -p 11111 -t $SECS -m 64 >/tmp/lp-sockperf.log 2>&1
	rc=$?
	tb_mark 9
	p1=$(w)
	line=$(grep 'Valid Duration' /tmp/lp-sockperf.log | tail -1)
	rt=$(echo "$line" | sed -n 's/.*RunTime=\([0-9.]*\).*/\1/p')
	rx=$(echo "$line" | sed -n 's/.*ReceivedMessages=\([0-9]*\).*/\1/p')
	if [ $rc = 0 ] && [ -n "$rx" ] && [ "$rx" -gt 0 ]; then
		tps=$(awk -v n=$rx -v t=$rt 'BEGIN { printf "%.1f", n / t }')
		tb_ok sockperf-pt "tps=$tps"
		tb_result name=linux-sockperf section=6 mode=pt tps=$tps transactions=$rx run_s=$rt \
			avg_latency_us=$(sed -n 's/.*avg-latency=\([0-9.]*\).*/\1/p' /tmp/lp-sockperf.log | tail -1) seconds=$SECS packets=$((p1 - p0))
	else
		tb_fail sockperf-pt "rc=$rc $(tail -5 /tmp/lp-sockperf.log | tr '\n' ' ')"
	fi
	kill $SP 2>/dev/null
	# a0 to vfio-pci (its netdev leaves lp1), g0 back to this namespace, the namespaces gone
	tb_true bind-vfio-$A0 tb_bind $A0 vfio-pci
	$IP -n lp0 link set $E0 netns 1
	$IP netns del lp0; $IP netns del lp1
	tb_t "linux pt done"
}
[ $LINUXPT = 1 ] && linux_pt
tb_info "g0=$G0($E0) a0=$A0 a1=$A1 g1=$G1($E1) g0-domain=$(cat /sys/bus/pci/devices/$G0/iommu_group/type 2>/dev/null) hugepages=$(cat /proc/sys/vm/nr_hugepages)"
# the kernel NICs' interrupts on CPU 1: vfapp busy-polls CPU 0
for irq in $(grep -E "$E0|$E1" /proc/interrupts | cut -d: -f1); do echo 2 >/proc/irq/$irq/smp_affinity 2>/dev/null; done
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
mkdir -p /var/run/netns
# (ip -batch: each start of iproute2's ip costs ~0.3 s under TCG)
printf 'netns add ns0\nnetns add ns1\nlink set %s netns ns0\nlink set %s netns ns1\n' $E0 $E1 | $IP -batch -
printf 'addr add 10.0.1.2/24 dev %s\nlink set lo up\n' $E0 | $IP -n ns0 -batch -
# vfapp answers ARP for its port addresses and resolves the namespaces' by ARP
cat >/tmp/te-routes.conf <<EOR
port 0 mac 52:54:00:00:00:0b
port 0 ip 10.0.1.1/24
port 1 mac 52:54:00:00:00:0c
port 1 ip 10.0.2.1/24
route 10.0.1.0/24 port 0 connected
route 10.0.2.0/24 port 1 connected
EOR
printf 'addr add 10.0.2.2/24 dev %s\nlink set lo up\nlink set %s up\nroute add default via 10.0.2.1\n' $E1 $E1 | $IP -n ns1 -batch -
ns0() { $IP netns exec ns0 "$@"; }
ns1() { $IP netns exec ns1 "$@"; }
# rxpkts: frames both kernel NICs received (rx_packets, as in sysfs), read from /proc/PID/net/dev
# of a process that lives in each namespace: no ip netns exec per reading (vfapp busy-polls
# CPU 0, and every process start on CPU 1 costs under TCG)
$IP netns exec ns0 sleep 3600 &
NS0P=$!
$IP netns exec ns1 sleep 3600 &
NS1P=$!
devrx() {
	local v
	v=$(awk -v d="$2:" '{ sub(/^ +/, "") } index($0, d) == 1 { sub(/^[^:]*:/, ""); split($0, f, " "); print f[2] }' /proc/$1/net/dev 2>/dev/null)
	[ -n "$v" ] || v=$($IP netns exec $3 cat /sys/class/net/$2/statistics/rx_packets)
	echo $v
}
rxpkts() { echo $(( $(devrx $NS0P $E0 ns0) + $(devrx $NS1P $E1 ns1) )); }
# start_vfapp TAG ARGS...: vfapp in the background until SIGINT; waits for its start line
start_vfapp() {
	local tag=$1; shift
	tb_t "vfapp $tag start"
	vfapp -l 0 -n 1 -m 128 --iova-mode=va -a $A0 -a $A1 --file-prefix app$tag -- \
		--topology ports --workload fwd --routes /tmp/te-routes.conf --backend vfio \
		--pool-mem extmem --duration 0 --warmup 0 --pool-size ${TB_POOL:-8191} --json --quiet "$@" \
		>/tmp/vfapp-$tag.out 2>/tmp/vfapp-$tag.err &
	VFAPP=$!
	tb_wait_for 60 grep -q 'ports 0 and 1 started' /tmp/vfapp-$tag.err && { tb_t "vfapp $tag started"; return 0; }
	tb_info "vfapp $tag not started after 60 s: $(grep -v '^TELEMETRY' /tmp/vfapp-$tag.err | tail -6 | tr '\n' '|') $(grep HugePages_Free /proc/meminfo)"
	return 1
}
# stop_vfapp TAG: SIGINT, wait, flatten the JSON record into /tmp/vfapp-TAG.gron
stop_vfapp() {
	kill -INT $VFAPP 2>/dev/null
	# bounded: a vfapp that ignores SIGINT is killed after 20 s (and the run fails)
	( sleep 20; kill -9 $VFAPP 2>/dev/null ) &
	local wd=$!
	wait $VFAPP; VRC=$?
	kill $wd 2>/dev/null
	tb_t "vfapp $1 exited"
	grep '^{' /tmp/vfapp-$1.out | tail -1 >/tmp/vfapp-$1.json
	tb-gron </tmp/vfapp-$1.json >/tmp/vfapp-$1.gron 2>/dev/null
	tb_info "vfapp $1: drops $(grep '^\.drops\.' /tmp/vfapp-$1.gron | grep -v '=0$' | tr '\n' ' ') ports $(grep '^\.ports' /tmp/vfapp-$1.gron | tr '\n' ' ') $(grep -E '^\.port_stats\[[01]\]\.(rx_nombuf|imissed)=' /tmp/vfapp-$1.gron | tr '\n' ' ')"
	[ $VRC = 0 ] || { tb_info "vfapp $1 rc=$VRC: $(grep -v '^EAL: \|^TELEMETRY' /tmp/vfapp-$1.err | tail -8 | tr '\n' '|')"; }
}
gv() { awk -v k=".$2=" 'index($0, k) == 1 { print substr($0, length(k) + 1) }' /tmp/vfapp-$1.gron; }
# wait_ping SECONDS: ping ns0 -> ns1 through vfapp every 0.2 s until one answers (vfapp drops
# the first frames while it resolves both sides by ARP; a ping -c 1 -W 1 loop lost a second
# there per start), bounded by the clock; a ping that exits early (an error) is restarted
wait_ping() {
	local end=$(( $(cut -d. -f1 /proc/uptime) + $1 )) p
	while [ $(cut -d. -f1 /proc/uptime) -lt $end ]; do
		# empty the log first: the background job's own truncation may come after the grep
		# below, which then read the previous run's answers (the containment poison run
		# stopped vfapp before ns0's link was up: ports[0].rx 0)
		: >/tmp/ping.log
		$IP netns exec ns0 ping -i 0.2 -w 5 10.0.2.2 >>/tmp/ping.log 2>&1 &   # ip execs ping: $! is ping
		p=$!
		while kill -0 $p 2>/dev/null; do
			grep -q 'bytes from' /tmp/ping.log && { kill $p 2>/dev/null; wait $p 2>/dev/null; return 0; }
			sleep 0.1
		done
		wait $p 2>/dev/null
		grep -q 'bytes from' /tmp/ping.log && return 0
	done
	return 1
}

if [ "${TB_CONTAIN:-1}" = 1 ]; then
	for run in unmap poison; do
		sec=$([ $run = unmap ] && echo 1 || echo 2)
		$IP -n ns0 link set $E0 down
		dmesg -c >/dev/null
		tb_mark $sec
		if ! start_vfapp $run --strategy strict --fault-inject $run; then
			tb_fail vfapp-start-$run "$(grep -v '^EAL: ' /tmp/vfapp-$run.err | tail -5 | tr '\n' ' ')"; kill -9 $VFAPP; wait $VFAPP
			continue
		fi
		# ns0's first frames land in descriptor 0 of a0's RX ring: the picked buffer
		$IP -n ns0 link set $E0 up
		$IP -n ns0 route add default via 10.0.1.1 2>/dev/null
		wait_ping 30; fwd_ok=$?
		ns0 ping -c 3 -i 0.2 -W 1 10.0.2.2 >/dev/null 2>&1
		sleep 0.5
		stop_vfapp $run
		tb_mark 9
		dmesg >/tmp/dmesg-$run.txt
		tb_eq forwarding-$run $fwd_ok 0
		tb_eq fault-picked-$run "$(gv $run fault_inject.picked)" true
		tb_eq fault-returned-$run "$(gv $run fault_inject.returned)" true
		rxl=$(gv $run fault_inject.rx_len)
		tb_true nic-used-buffer-$run test "${rxl:-0}" -gt 0
		iova=$(gv $run fault_inject.iova); piova=$(gv $run fault_inject.page_iova)
		hex=$(printf '%x' "${piova:-0}")
		if [ $run = unmap ]; then
			tb_eq fault-fired "$(gv unmap fault_inject.fired)" true
			tb_eq buffer-unchanged-after-unmap "$(gv unmap fault_inject.unchanged)" true
			tb_info "dmesg: $(grep -i 'dmar' /tmp/dmesg-unmap.txt | head -3 | tr '\n' '|')"
			tb_true dmar-fault-at-buffer-iova grep -qiE "DMAR:.*fault addr 0x0*$hex" /tmp/dmesg-unmap.txt
			tb_result name=contain section=1 strategy=strict fault=unmap iova=$iova page_iova=$piova \
				pages=$(gv unmap fault_inject.pages) rx_len=$rxl bytes_changed=$(gv unmap fault_inject.bytes_changed) \
				dmesg_faults=$(grep -ciE 'dmar.*fault addr' /tmp/dmesg-unmap.txt) forwarded=$(gv unmap forwarded)
		else
			tb_eq buffer-changed-when-mapped "$(gv poison fault_inject.unchanged)" false
			tb_false no-dmar-fault-when-mapped grep -qiE "DMAR:.*fault addr" /tmp/dmesg-poison.txt
			tb_result name=contain section=2 strategy=strict fault=poison iova=$iova page_iova=$piova \
				rx_len=$rxl bytes_changed=$(gv poison fault_inject.bytes_changed) forwarded=$(gv poison forwarded)
		fi
	done
fi

tb_t traffic
$IP -n ns0 link set $E0 up
$IP -n ns0 route add default via 10.0.1.1 2>/dev/null
ns1 iperf3 -s -B 10.0.2.2 >/tmp/iperf3s.log 2>&1 &
IPS=$!
ns1 taskset 2 sockperf server -i 10.0.2.2 -p 11111 >/tmp/sockperfs.log 2>&1 &
SPS=$!
i=0
for s in $STRATS; do
	sec=$((10 + 2 * i)); i=$((i + 1))
	if ! start_vfapp $s --strategy $s; then
		tb_fail vfapp-start-$s "$(grep -v '^EAL: ' /tmp/vfapp-$s.err | tail -5 | tr '\n' ' ')"; kill -9 $VFAPP; wait $VFAPP
		continue
	fi
	wait_ping 30 || tb_info "$s: no ping through vfapp after 30 s"
	tb_t "$s pinged"
	p0=$(rxpkts)
	tb_mark $sec
	ns0 taskset 2 timeout $((SECS + 30)) iperf3 -c 10.0.2.2 -t $SECS -J >/tmp/iperf3.json 2>/tmp/iperf3.err
	rc=$?
	tb_mark 9
	tb_t "$s iperf3 exited"
	p1=$(rxpkts)
	tb-gron </tmp/iperf3.json >/tmp/iperf3.gron 2>/dev/null
	iv() { awk -v k=".$1=" 'index($0, k) == 1 { print substr($0, length(k) + 1) }' /tmp/iperf3.gron; }
	bps=$(iv end.sum_received.bits_per_second | cut -d. -f1)
	if [ $rc = 0 ] && [ -n "$bps" ] && [ "$bps" -gt 0 ]; then
		tb_ok iperf3-$s "bps=$bps"
		tb_result name=app-iperf3 section=$sec strategy=$s bps=$bps seconds=$SECS packets=$((p1 - p0)) \
			retransmits=$(iv end.sum_sent.retransmits)
	else
		tb_fail iperf3-$s "rc=$rc $(head -c 200 /tmp/iperf3.err)"
	fi
	p0=$(rxpkts)
	tb_t "$s sockperf"
	tb_mark $((sec + 1))
	ns0 $NOSLEEP taskset 2 timeout $((SECS + 30)) sockperf ping-pong -i 10.0.2.2 -p 11111 -t $SECS -m 64 >/tmp/sockperf.log 2>&1
	rc=$?
	tb_mark 9
	p1=$(rxpkts)
	line=$(grep 'Valid Duration' /tmp/sockperf.log | tail -1)
	# a short run on a slow (TCG, loaded) guest can end with every reply inside sockperf's
	# 400 ms warm-up ("No valid observations"): then count the whole run's replies
	[ -n "$line" ] || line=$(grep 'Total Run' /tmp/sockperf.log | tail -1)
	rt=$(echo "$line" | sed -n 's/.*RunTime=\([0-9.]*\).*/\1/p')
	rx=$(echo "$line" | sed -n 's/.*ReceivedMessages=\([0-9]*\).*/\1/p')
	if [ $rc = 0 ] && [ -n "$rx" ] && [ "$rx" -gt 0 ]; then
		tps=$(awk -v n=$rx -v t=$rt 'BEGIN { printf "%.1f", n / t }')
		tb_ok sockperf-$s "tps=$tps"
		tb_result name=app-sockperf section=$((sec + 1)) strategy=$s tps=$tps transactions=$rx run_s=$rt \
			seconds=$SECS packets=$((p1 - p0))
	else
		tb_fail sockperf-$s "rc=$rc $(tail -3 /tmp/sockperf.log | tr '\n' ' ')"
	fi
	tb_t "$s stop"
	stop_vfapp $s
	kv=$(grep -E '^\.(packets|forwarded|maps|unmaps|invalidations|reuse_hits|pool_mem|pool_page_size)=' /tmp/vfapp-$s.gron | sed 's/^\.//; s/^\(maps\|unmaps\|invalidations\|reuse_hits\)=/lib_&/' | tr '\n' ' ')
	tb_info "vfapp $s: $kv"
	tb_result name=app-vfapp section=9 strategy=$s $kv
done
kill $IPS $SPS $NS0P $NS1P 2>/dev/null
tb_t done
tb_finish
