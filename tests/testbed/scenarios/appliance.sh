# topo: e1000e
# Scenario 6: DPDK inside the guest over vfio-pci on two QEMU e1000e NICs joined by a QEMU hub,
# with the emulated VT-d active. Kernel facts, then a dpdk-testpmd baseline, then vfapp
# (--backend vfio) under each strategy. tb.quick=1 shortens the runs.
. /etc/tb-lib.sh; . /etc/tb-sriov.sh
SECS=${TB_SECONDS:-3}
modprobe vfio-pci; modprobe vfio_iommu_type1
NICS=$(tb_find 8086:10d3)
tb_eq e1000e-count "$(echo $NICS | wc -w)" 2
for n in $NICS; do
	tb_true bind-vfio-$n tb_bind $n vfio-pci
	tb_eq group-alone-$n "$(tb_group_members $n)" $n
	tb_true dev-vfio-$n test -c /dev/vfio/$(tb_group $n)
done
tb_true hugepages test "$(cat /proc/sys/vm/nr_hugepages)" -gt 0
tb_info "hugepages=$(cat /proc/sys/vm/nr_hugepages) nics=$(echo $NICS)"
P0=$(echo $NICS | cut -d' ' -f1); P1=$(echo $NICS | cut -d' ' -f2)
EAL="-l 0-1 -n 1 --iova-mode=va -a $P0 -a $P1 --file-prefix tb"
if tb_have dpdk-testpmd; then
	# interactive testpmd fed by a pipe: the second "show port stats" gives Rx-pps over SECS
	( sleep 2; echo "start tx_first"; sleep 1; echo "show port stats all"; sleep $SECS
	  echo "show port stats all"; echo "stop"; echo "quit" ) |
		dpdk-testpmd $EAL -- -i --forward-mode=io --total-num-mbufs=4096 --rxd=256 --txd=256 >/tmp/testpmd.log 2>&1
	pps=$(grep -E 'Rx-pps:' /tmp/testpmd.log | tail -2 | awk '{s += $2} END {print s + 0}')
	rx=$(grep -E 'RX-packets:' /tmp/testpmd.log | tail -2 | awk '{s += $2} END {print s + 0}')
	tb_info "testpmd: $(grep -E 'Rx-pps' /tmp/testpmd.log | tail -2 | tr -s ' ' | tr '\n' ' ')"
	if [ "$pps" -gt 1000 ]; then
		tb_ok testpmd-forwards "rx_pps=$pps (both ports)"
		tb_result name=testpmd strategy=none rx_pps=$pps rx_packets=$rx seconds=$SECS kpps=$((pps / 1000))
	else
		tb_fail testpmd-forwards "rx_pps=$pps rx=$rx"; sed 's/^/TB-INFO testpmd: /' /tmp/testpmd.log | tail -30
	fi
fi
if tb_have vfapp; then
	STRATS=${TB_STRATEGIES:-"strict deferred optimistic persistent shared ring"}
	for s in $STRATS; do
		vfapp $EAL -- --backend vfio --strategy $s --mode fwd --seconds $SECS --json >/tmp/vfapp.json 2>/tmp/vfapp.err
		rc=$?
		if [ $rc = 0 ] && tb-gron </tmp/vfapp.json >/tmp/vfapp.gron; then
			tb_ok vfapp-$s
			tb_result name=vfapp strategy=$s $(grep -E '^(\[[0-9]+\])?\.(rx|tx|pps|kpps|drops|map_ns|unmap_ns)[a-z_]*=' /tmp/vfapp.gron | sed 's/^[^.]*\.//' | tr '\n' ' ')
		else
			tb_fail vfapp-$s "rc=$rc $(tail -c 300 /tmp/vfapp.err | tr '\n' ' ')"
		fi
	done
else
	tb_skip vfapp "vfapp not built: the appliance over vfio in the guest not tested"
fi
tb_finish
