# topo: e1000e-gen
# needs: dpdk-testpmd vfapp
# post: rows
# Scenario 6: DPDK inside the guest over vfio-pci on two QEMU e1000e NICs joined by a QEMU hub,
# with the emulated VT-d active. Kernel facts, then a dpdk-testpmd baseline, then vfapp
# (--backend vfio) under each strategy. tb.quick=1 shortens the runs.
. /etc/tb-lib.sh; . /etc/tb-sriov.sh
SECS=${TB_SECONDS:-3}
modprobe vfio-pci; modprobe vfio_iommu_type1
NICS=$(tb_find 8086:10d3)
case $(echo $NICS | wc -w) in 2|4) tb_ok e1000e-count ;; *) tb_fail e1000e-count "$NICS" ;; esac
for n in $NICS; do
	tb_true bind-vfio-$n tb_bind $n vfio-pci
	tb_eq group-alone-$n "$(tb_group_members $n)" $n
	tb_true dev-vfio-$n test -c /dev/vfio/$(tb_group $n)
done
tb_true hugepages test "$(cat /proc/sys/vm/nr_hugepages)" -gt 0
tb_info "hugepages=$(cat /proc/sys/vm/nr_hugepages) nics=$(echo $NICS)"
# testpmd baseline in io mode on the first two NICs (e1000e: on one hub, e1000e-gen: g0/a0 on hub 0)
P0=$(echo $NICS | cut -d' ' -f1); P1=$(echo $NICS | cut -d' ' -f2)
EAL="-l 0-1 -n 1 --iova-mode=va -a $P0 -a $P1 --file-prefix tb"
if tb_have dpdk-testpmd; then
	# interactive testpmd fed by a pipe: the second "show port stats" gives Rx-pps over SECS
	tb_mark 0
	# commands go in through a fifo once the prompt is there (startup time varies a lot under TCG)
	mkfifo /tmp/tp.in
	dpdk-testpmd $EAL -- -i --forward-mode=io --total-num-mbufs=4096 --rxd=256 --txd=256 </tmp/tp.in >/tmp/testpmd.log 2>&1 &
	TP=$!
	exec 3>/tmp/tp.in
	tb_wait_for 120 grep -q 'testpmd>' /tmp/testpmd.log
	echo "start tx_first" >&3; sleep 2; echo "show port stats all" >&3; sleep $SECS
	echo "show port stats all" >&3; sleep 1; echo "stop" >&3; echo "quit" >&3
	exec 3>&-
	wait $TP
	pps=$(grep -E 'Rx-pps:' /tmp/testpmd.log | tail -2 | awk '{s += $2} END {print s + 0}')
	rx=$(grep -E 'RX-packets:' /tmp/testpmd.log | tail -2 | awk '{s += $2} END {print s + 0}')
	tb_info "testpmd: $(grep -E 'Rx-pps' /tmp/testpmd.log | tail -2 | tr -s ' ' | tr '\n' ' ')"
	if [ "$pps" -gt 1000 ]; then
		tb_ok testpmd-forwards "rx_pps=$pps (both ports)"
		tb_result name=testpmd section=0 strategy=none rx_pps=$pps rx_packets=$rx seconds=$SECS kpps=$((pps / 1000))
	else
		tb_fail testpmd-forwards "rx_pps=$pps rx=$rx"; sed 's/^/TB-INFO testpmd: /' /tmp/testpmd.log | tail -30
	fi
fi
if tb_have vfapp; then
	# Topology e1000e-gen: g0 -hub0- a0 [vfapp] a1 -hub1- g1. dpdk-testpmd (txonly) sends
	# 10.0.1.2 -> 10.0.2.2 UDP from g0 to a0; vfapp routes it out of a1 to g1. vfapp's own
	# counters give the forwarding rate under each strategy with --backend vfio. The mbuf pool is
	# 8191 (tb.pool=N): with vfapp's default 16383 no buffer comes round twice in a short run,
	# so no strategy can reuse a mapping (the em PMD needs more than 2047).
	if [ "$(echo $NICS | wc -w)" != 4 ]; then
		tb_fail vfapp-topology "vfapp needs the e1000e-gen topology (4 NICs)"
	elif ! tb_have dpdk-testpmd; then
		tb_skip vfapp "no dpdk-testpmd to generate traffic for vfapp"
	else
		set -- $NICS; G0=$1 A0=$2 A1=$3 G1=$4
		dpdk-testpmd -l 0-1 -n 1 -m 128 --iova-mode=va -a $G0 -a $G1 --file-prefix gen -- \
			--forward-mode=txonly --portmask=0x1 --eth-peer=0,52:54:00:00:00:0b --tx-ip=10.0.1.2,10.0.2.2 \
			--txpkts=64 --total-num-mbufs=4096 --rxd=256 --txd=256 --stats-period 1 >/tmp/gen.log 2>&1 &
		GEN=$!
		# wait until the generator reports a non-zero Tx-pps (EAL start and link-up vary under TCG)
		gen_up() { grep 'Tx-pps:' /tmp/gen.log | tail -1 | awk '{exit !($2 > 0)}'; }
		tb_wait_for 120 gen_up
		tb_true generator-running gen_up
		sec=1
		STRATS=$(echo "${TB_STRATEGIES:-off strict deferred optimistic persistent shared ring}" | tr , " ")
		for s in $STRATS; do
			tb_mark $sec
			vfapp -l 0 -n 1 -m 256 --iova-mode=va -a $A0 -a $A1 --file-prefix app$s -- \
				--topology ports --workload fwd --routes /etc/tb-routes.conf --backend vfio \
				--strategy $s --duration $SECS --warmup 1 --pool-size ${TB_POOL:-8191} --json --quiet >/tmp/vfapp.out 2>/tmp/vfapp.err
			rc=$?
			grep '^{' /tmp/vfapp.out | tail -1 >/tmp/vfapp.json
			if [ $rc = 0 ] && tb-gron </tmp/vfapp.json >/tmp/vfapp.gron 2>/dev/null; then
				fwd=$(sed -n 's/^\.forwarded=//p' /tmp/vfapp.gron)
				kv=$(grep -E '^\.(mpps|packets|forwarded|maps|unmaps|invalidations|invalidations_per_packet|map_cycles|unmap_cycles|dma_faults|reuse_hits|duration_s)=' /tmp/vfapp.gron | sed 's/^\.//; s/^\(maps\|unmaps\|invalidations\|reuse_hits\)=/lib_&/' | tr '\n' ' ')
				if [ -n "$fwd" ] && [ "$fwd" -gt 0 ]; then tb_ok vfapp-$s "$kv"; else tb_fail vfapp-$s "forwarded nothing: $kv"; fi
				tb_result name=vfapp section=$sec strategy=$s pool_size=${TB_POOL:-8191} $kv
			else
				tb_fail vfapp-$s "rc=$rc"; grep -v "DMA remapping cleared\|^EAL: \|^TELEMETRY" /tmp/vfapp.err | tail -15 | sed "s/^/TB-INFO vfapp: /"
			fi
			sec=$((sec + 1))
		done
		tb_mark $sec
		kill -INT $GEN; wait $GEN
		tb_info "generator: $(grep -E 'Tx-pps' /tmp/gen.log | tail -3 | tr -s ' ' | tr '\n' ' ')"
	fi
else
	tb_skip vfapp "vfapp not built: the appliance over vfio in the guest not tested"
fi
tb_finish
