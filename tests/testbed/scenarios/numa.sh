# topo: nvme-numa
# needs: vfmgr
# Scenario 3: two guest NUMA nodes, the PF behind a pxb-pcie on node 1.
# vfmgr must report node 1 for the PF and its VFs; a `required` policy for a domain on node 1
# is honoured, one for a domain on node 0 refused.
. /etc/tb-lib.sh; . /etc/tb-sriov.sh
modprobe vfio-pci; modprobe vfio_iommu_type1
tb_eq numa-nodes "$(ls -d /sys/devices/system/node/node* | wc -l)" 2
PF=$(tb_nvme_pf) || { tb_fail pf-present "no nvme PF"; tb_finish; exit 1; }
tb_info "PF=$PF"
tb_eq pf-numa-sysfs "$(cat $PCI/$PF/numa_node)" 1
tb_true pf-bind-stub tb_setup_pf $PF pci-pf-stub
tb_true numvfs-4 tb_write $PCI/$PF/sriov_numvfs 4
tb_true vfs-appear tb_wait_for 5 test -e $PCI/$PF/virtfn3
for vf in $(tb_vfs $PF); do tb_eq vf-numa-sysfs-$vf "$(cat $PCI/$vf/numa_node)" 1; done
tb_true numvfs-0 tb_write $PCI/$PF/sriov_numvfs 0

if tb_have vfmgr; then
	mkdir -p /etc/vfmgr /var/lib/vfmgr
	CONF=/etc/vfmgr/vfmgr.conf
	V="vfmgr --local --config $CONF --root / --connect test:///etc/tb-node.xml"
	printf '[global]\nnuma-policy = required\n\n[pf "%s"]\nnumvfs = 4\ndriver = vfio-pci\nnuma-policy = required\n' $PF >$CONF
	tb_true vfmgr-apply $V apply
	$V --json status >/tmp/status.json 2>&1
	tb_gron /tmp/status.json >/tmp/status.gron || tb_fail status-json "not JSON: $(head -c 200 /tmp/status.json)"
	tb_eq status-pf-numa "$(grep -E '^\.pfs\[0\]\.numa_node=' /tmp/status.gron | cut -d= -f2)" 1
	n=$(grep -cE '^\.pfs\[0\]\.vfs\[[0-9]+\]\.numa_node=1$' /tmp/status.gron)
	tb_eq status-vfs-on-node1 "$n" 4
	# choose a VF for a domain confined to node 1 (honoured) and to node 0 (refused)
	# the domains' nodes come from their libvirt XML (test driver file /etc/tb-node.xml)
	tb_true numa-required-node1 $V assign --pf $PF vm-node1
	$V --json status >/tmp/status.json 2>/dev/null; tb_gron /tmp/status.json >/tmp/status.gron
	tb_eq numa-node1-owned "$(grep -cE '^\.pfs\[0\]\.vfs\[[0-9]+\]\.owner=vm-node1$' /tmp/status.gron)" 1
	$V assign --pf $PF vm-node0 >/tmp/out 2>&1; rc=$?
	if [ $rc = 0 ]; then tb_fail numa-required-node0-refused "assign succeeded"; else tb_ok numa-required-node0-refused "rc=$rc $(head -c 200 /tmp/out | tr '\n' ' ')"; fi
	$V --json status >/tmp/status.json 2>/dev/null; tb_gron /tmp/status.json >/tmp/status.gron
	tb_eq numa-node0-owns-nothing "$(grep -cE '\.owner=vm-node0$' /tmp/status.gron)" 0
	$V release vm-node1 >/dev/null 2>&1
	printf '[pf "%s"]\nnumvfs = 0\n' $PF >$CONF
	$V apply >/dev/null 2>&1
else
	tb_skip vfmgr "vfmgr binary not built: NUMA report and required policy not tested"
fi
tb_finish
