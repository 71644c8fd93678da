# topo: e1000e
# needs: iperf3 sockperf ip
# post: rows
# Scenario (trap & emulate, Linux anchor): the guest kernel's own DMA API on the same emulated
# hardware as the appliance. Two QEMU e1000e on one hub, each driven by the kernel's e1000e in
# its own network namespace (ns0 10.0.0.1, ns1 10.0.0.2). The IOMMU mode comes from the kernel
# command line (boot.sh --iommu: intel_iommu=on iommu.strict=1 | iommu.strict=0 | iommu=pt |
# intel_iommu=off); the guest reports what the kernel actually chose (dmesg, sysfs).
# Section 1: iperf3 TCP ns0 -> ns1 for tb.seconds; section 2: sockperf UDP ping-pong (64 B).
# Rows carry the wire packets of the section (tx_packets of both NICs): rows.py joins them with
# QEMU's trapped IOTLB invalidations of the same section.
. /etc/tb-lib.sh
# iproute2's ip (netns): busybox sh prefers its own applets, so name the copied binary by path
IP=/tb/bin/ip
SECS=${TB_SECONDS:-3}
MODE=${TB_MODE:-unknown}
# tb_t LABEL: the guest clock at a phase boundary (run-te.sh profiles from these lines)
tb_t() { echo "TB-INFO t=$(cut -d' ' -f1 /proc/uptime) $*"; }
# sockperf's client idles a fixed 2 s before its timed test (tests/testbed/tb-nosleep.c)
NOSLEEP=""
[ -x /tb/bin/tb-nosleep ] && NOSLEEP="env LD_PRELOAD=/tb/bin/tb-nosleep"
tb_t start
tb_info "initramfs: $(dmesg | grep -E 'Trying to unpack|Freeing initrd|Run /init' | tr '\n' '|')"
modprobe e1000e
tb_wait_for 10 sh -c '[ $(ls /sys/class/net | grep -c "^eth") -ge 2 ]'
NETS=$(ls /sys/class/net | grep '^eth' | sort)
tb_eq e1000e-netdevs "$(echo $NETS | wc -w)" 2
set -- $NETS; E0=$1 E1=$2
tb_t netdevs
GDEV=$(readlink -f /sys/class/net/$E0/device)   # E0's PCI function, read before E0 leaves this namespace
# the namespaces and links first: the e1000e link comes up (autonegotiation, the driver's
# watchdog) while the checks below run
# (three ip processes with -batch: each start of iproute2's ip costs ~0.3 s under TCG)
mkdir -p /var/run/netns
printf 'netns add ns0\nnetns add ns1\nlink set %s netns ns0\nlink set %s netns ns1\n' $E0 $E1 | $IP -batch -
printf 'addr add 10.0.0.1/24 dev %s\nlink set lo up\nlink set %s up\n' $E0 $E0 | $IP -n ns0 -batch -
printf 'addr add 10.0.0.2/24 dev %s\nlink set lo up\nlink set %s up\n' $E1 $E1 | $IP -n ns1 -batch -
$IP netns exec ns1 iperf3 -s -1 -B 10.0.0.2 >/tmp/iperf3s.log 2>&1 &
$IP netns exec ns1 sockperf server -i 10.0.0.2 -p 11111 >/tmp/sockperfs.log 2>&1 &
SP=$!
# what the kernel chose: translated DMA domain (strict or lazy), identity (pt) or no IOMMU
G=$(readlink $GDEV/iommu_group 2>/dev/null)
DT=$( [ -n "$G" ] && cat $GDEV/iommu_group/type 2>/dev/null || echo none)
POL=$(dmesg | grep -o 'DMA domain TLB invalidation policy: [a-z]* mode' | head -1 | awk '{print $6}')
# intel-iommu forces strict when the VT-d has caching mode ("batching disallowed due to virtualization")
dmesg | grep -q 'batching disallowed' && POL="strict(forced:caching-mode)"
tb_info "mode=$MODE domain_type=$DT policy=${POL:-none} cmdline: $(cat /proc/cmdline)"
tb_info "dmesg: $(dmesg | grep -iE 'batching|iommu.*(strict|lazy|passthrough|translated)|DMAR: (IOMMU|Intel)' | head -6 | tr '\n' '|')"
case $MODE in
strict) tb_eq kernel-domain "$DT:${POL%%(*}" "DMA:strict" ;;
lazy) tb_true kernel-domain-translated sh -c "case '$DT' in DMA|DMA-FQ) true ;; *) false ;; esac" ;;
pt) tb_eq kernel-domain "$DT" identity ;;
off) tb_eq kernel-domain "$DT" none ;;
esac
tb_result name=linux-mode section=0 mode=$MODE domain_type=$DT policy=${POL:-none}
tb_wait_for 20 sh -c "$IP netns exec ns0 cat /sys/class/net/$E0/carrier 2>/dev/null | grep -q 1 && $IP netns exec ns1 cat /sys/class/net/$E1/carrier 2>/dev/null | grep -q 1"
tb_t carrier
tb_true ping-ns0-ns1 tb_wait_for 20 $IP netns exec ns0 ping -c 1 -W 1 10.0.0.2
tb_t pinged
# the servers listen (iperf3 TCP 5201 = 0x1451, sockperf UDP 11111 = 0x2B67; state 0A = LISTEN)
tb_true servers-listening tb_wait_for 10 sh -c "$IP netns exec ns1 grep -q ':1451 00000000:0000 0A' /proc/net/tcp && $IP netns exec ns1 grep -q ':2B67 ' /proc/net/udp"
# wire packets: frames both NICs received (hardware counters; tx_packets counts TSO sends, not frames)
wirepkts() { echo $(( $($IP netns exec ns0 cat /sys/class/net/$E0/statistics/rx_packets) + $($IP netns exec ns1 cat /sys/class/net/$E1/statistics/rx_packets) )); }
p0=$(wirepkts)
tb_t iperf3
tb_mark 1
$IP netns exec ns0 timeout $((SECS + 30)) iperf3 -c 10.0.0.2 -t $SECS -J >/tmp/iperf3.json 2>/tmp/iperf3.err
rc=$?
tb_mark 9
p1=$(wirepkts)
tb-gron </tmp/iperf3.json >/tmp/iperf3.gron 2>/dev/null
v() { awk -v k=".$1=" 'index($0, k) == 1 { print substr($0, length(k) + 1) }' /tmp/iperf3.gron; }
bps=$(v end.sum_received.bits_per_second | cut -d. -f1)
if [ $rc = 0 ] && [ -n "$bps" ] && [ "$bps" -gt 0 ]; then
	tb_ok iperf3-$MODE "bps=$bps"
	tb_result name=linux-iperf3 section=1 mode=$MODE bps=$bps seconds=$SECS packets=$((p1 - p0)) \
		retransmits=$(v end.sum_sent.retransmits)
else
	tb_fail iperf3-$MODE "rc=$rc $(head -c 300 /tmp/iperf3.err)"
fi
p0=$(wirepkts)
tb_t sockperf
tb_mark 2
$IP netns exec ns0 $NOSLEEP timeout $((SECS + 30)) sockperf ping-pong -i 10.0.0.2 -p 11111 -t $SECS -m 64 >/tmp/sockperf.log 2>&1
rc=$?
tb_mark 9
p1=$(wirepkts)
line=$(grep 'Valid Duration' /tmp/sockperf.log | tail -1)
rt=$(echo "$line" | sed -n 's/.*RunTime=\([0-9.]*\).*/\1/p')
rx=$(echo "$line" | sed -n 's/.*ReceivedMessages=\([0-9]*\).*/\1/p')
lat=$(sed -n 's/.*avg-latency=\([0-9.]*\).*/\1/p' /tmp/sockperf.log | tail -1)
if [ $rc = 0 ] && [ -n "$rx" ] && [ "$rx" -gt 0 ]; then
	tps=$(awk -v n=$rx -v t=$rt 'BEGIN { printf "%.1f", n / t }')
	tb_ok sockperf-$MODE "tps=$tps avg_latency_us=$lat"
	tb_result name=linux-sockperf section=2 mode=$MODE tps=$tps transactions=$rx run_s=$rt \
		avg_latency_us=$lat seconds=$SECS packets=$((p1 - p0))
else
	tb_fail sockperf-$MODE "rc=$rc $(tail -5 /tmp/sockperf.log | tr '\n' ' ')"
fi
kill $SP 2>/dev/null
tb_t done
tb_finish
