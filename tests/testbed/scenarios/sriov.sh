# topo: nvme-acs
# needs: vfmgr
# Scenario 1: SR-IOV on a real (QEMU nvme) PF behind a pcie-root-port with ACS.
# tb.pfdrv=pci-pf-stub|nvme. Kernel facts with busybox, then vfmgr apply/status/release.
. /etc/tb-lib.sh; . /etc/tb-sriov.sh
DRV=${TB_PFDRV:-pci-pf-stub}
modprobe vfio-pci; modprobe vfio_iommu_type1
PF=$(tb_nvme_pf) || { tb_fail pf-present "no nvme PF with sriov_totalvfs"; tb_finish; exit 1; }
tb_info "PF=$PF driver-wanted=$DRV"
tb_eq totalvfs "$(cat $PCI/$PF/sriov_totalvfs)" 4
tb_true pf-bind-$DRV tb_setup_pf $PF $DRV
tb_eq pf-driver "$(tb_driver $PF)" $DRV
[ $DRV = nvme ] && tb_true autoprobe-off tb_write $PCI/$PF/sriov_drivers_autoprobe 0

# --- kernel facts (busybox only) ---
err=$(tb_write $PCI/$PF/sriov_numvfs 5)
case $err in *"result"*|*range*) tb_ok numvfs-above-total-erange "$err" ;; *) tb_fail numvfs-above-total-erange "got '$err'" ;; esac
tb_true numvfs-4 tb_write $PCI/$PF/sriov_numvfs 4
tb_true vfs-appear tb_wait_for 5 test -e $PCI/$PF/virtfn3
VFS=$(tb_vfs $PF)
tb_eq vf-count "$(echo $VFS | wc -w)" 4
err=$(tb_write $PCI/$PF/sriov_numvfs 2)
case $err in *busy*) tb_ok numvfs-change-ebusy ;; *) tb_fail numvfs-change-ebusy "got '$err'" ;; esac
for vf in $VFS; do
	tb_eq physfn-$vf "$(basename "$(readlink $PCI/$vf/physfn)")" $PF
	tb_eq vf-id-$vf "$(cat $PCI/$vf/vendor):$(cat $PCI/$vf/device)" 0x1b36:0x0010
	[ $DRV = nvme ] && tb_eq vf-unbound-autoprobe0-$vf "$(tb_driver $vf)" none
	tb_eq group-alone-$vf "$(tb_group_members $vf)" $vf
	tb_true bind-vfio-$vf tb_bind $vf vfio-pci
	tb_true dev-vfio-$vf test -c /dev/vfio/$(tb_group $vf)
done
for vf in $VFS; do tb_bind $vf ""; done
tb_true numvfs-0 tb_write $PCI/$PF/sriov_numvfs 0
tb_eq vfs-gone "$(tb_vfs $PF | wc -w)" 0

# --- vfmgr ---
if tb_have vfmgr; then
	mkdir -p /etc/vfmgr /var/lib/vfmgr
	# vfmgr must keep host drivers off the VFs itself
	[ $DRV = nvme ] && tb_write $PCI/$PF/sriov_drivers_autoprobe 1
	CONF=/etc/vfmgr/vfmgr.conf
	printf '[pf "%s"]\nnumvfs = 4\ndriver = vfio-pci\n' $PF >$CONF
	V="vfmgr --local --config $CONF --root / --connect test:///etc/tb-node.xml"
	tb_true vfmgr-check $V check
	tb_true vfmgr-apply $V apply
	[ $DRV = nvme ] && tb_eq vfmgr-set-autoprobe-0 "$(cat $PCI/$PF/sriov_drivers_autoprobe)" 0
	VFS=$(tb_vfs $PF)
	tb_eq vfmgr-vf-count "$(echo $VFS | wc -w)" 4
	$V --json status >/tmp/status.json 2>/tmp/status.err
	tb_gron /tmp/status.json >/tmp/status.gron || tb_fail vfmgr-status-json "not JSON: $(head -c 200 /tmp/status.json)"
	g() { awk -v k="$1=" 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' /tmp/status.gron; }
	# locate the PF entry
	p=""; i=0
	while [ -n "$(g ".pfs[$i].bdf")" ]; do [ "$(g ".pfs[$i].bdf")" = $PF ] && p=".pfs[$i]"; i=$((i + 1)); done
	if [ -z "$p" ]; then tb_fail vfmgr-status-pf "PF $PF not in status"; else
		tb_eq status-numvfs "$(g $p.numvfs)" "$(cat $PCI/$PF/sriov_numvfs)"
		tb_eq status-totalvfs "$(g $p.totalvfs)" "$(cat $PCI/$PF/sriov_totalvfs)"
		tb_eq status-pf-driver "$(g $p.driver)" "$(tb_driver $PF)"
		tb_eq status-pf-numa "$(g $p.numa_node)" "$(cat $PCI/$PF/numa_node)"
		tb_eq status-vf-count "$(g $p.vfs.length)" 4
		i=0
		for vf in $VFS; do
			q="$p.vfs[$i]"
			tb_eq status-vf$i-bdf "$(g $q.bdf)" $vf
			tb_eq status-vf$i-index "$(g $q.index)" $i
			tb_eq status-vf$i-driver "$(g $q.driver)" "$(tb_driver $vf)"
			tb_eq sysfs-vf$i-driver "$(tb_driver $vf)" vfio-pci
			tb_eq status-vf$i-group "$(g $q.iommu_group)" "$(tb_group $vf)"
			tb_eq status-vf$i-group-members "$(g $q.group_members.length) $(g "$q.group_members[0]")" "1 $vf"
			tb_eq sysfs-vf$i-alone "$(tb_group_members $vf)" $vf
			# sysfs -1 on a one-node host is node 0 for vfmgr, and said so (issue #14)
			want=$(cat $PCI/$vf/numa_node)
			if [ "$want" = -1 ] && [ "$(ls -d /sys/devices/system/node/node[0-9]* | wc -l)" = 1 ]; then
				want=0
				tb_true status-vf$i-numa-note test -n "$(g $q.numa_note)"
			fi
			tb_eq status-vf$i-numa "$(g $q.numa_node)" "$want"
			tb_true dev-vfio-vf$i test -c /dev/vfio/$(tb_group $vf)
			i=$((i + 1))
		done
	fi
	# assign VFs to a (shut-off, test-driver) domain and release them: by "pf/index" and by address
	vf1=$(echo $VFS | cut -d' ' -f2)
	for t in "0 $PF/0" "1 $vf1"; do
		set -- $t
		tb_true vfmgr-assign-vf$1 $V assign --pf $PF --vf $1 vm-node0
		$V --json status >/tmp/status.json 2>/dev/null; tb_gron /tmp/status.json >/tmp/status.gron
		tb_eq vfmgr-assign-owner-vf$1 "$(g "$p.vfs[$1].owner")" vm-node0
		tb_eq vfmgr-assign-driver-vf$1 "$(g "$p.vfs[$1].driver")" vfio-pci
		tb_true vfmgr-release-$(echo $2 | tr '/:' '__') $V release $2
		$V --json status >/tmp/status.json 2>/dev/null; tb_gron /tmp/status.json >/tmp/status.gron
		tb_eq vfmgr-release-owner-vf$1 "$(g "$p.vfs[$1].owner")" ""
	done
	# back to zero VFs
	printf '[pf "%s"]\nnumvfs = 0\n' $PF >$CONF
	tb_true vfmgr-apply-0 $V apply
	tb_eq vfmgr-vfs-gone "$(tb_vfs $PF | wc -w)" 0
	tb_eq vfmgr-numvfs-0 "$(cat $PCI/$PF/sriov_numvfs)" 0
	tb_eq vfmgr-no-stale-vfio "$(ls /dev/vfio | grep -v '^vfio$' | wc -l)" 0
else
	tb_skip vfmgr "vfmgr binary not built: apply/status/release not tested"
fi
tb_finish
