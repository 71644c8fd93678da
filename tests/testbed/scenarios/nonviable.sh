# topo: nvme-noacs
# needs: vfmgr
# Scenario 2: a non-viable IOMMU group. Behind ioh3420 (no ACS) or pcie-root-port,disable-acs=on
# the PF and its VFs share one group; vfmgr check/apply/assign must refuse, naming the members.
. /etc/tb-lib.sh; . /etc/tb-sriov.sh
modprobe vfio-pci; modprobe vfio_iommu_type1
PF=$(tb_nvme_pf) || { tb_fail pf-present "no nvme PF"; tb_finish; exit 1; }
tb_true pf-bind-stub tb_setup_pf $PF pci-pf-stub
tb_true numvfs-4 tb_write $PCI/$PF/sriov_numvfs 4
tb_true vfs-appear tb_wait_for 5 test -e $PCI/$PF/virtfn3
VFS=$(tb_vfs $PF)
MEMBERS=$(tb_group_members $PF)
tb_info "group $(tb_group $PF): $MEMBERS"
for vf in $VFS; do
	tb_eq shared-group-$vf "$(tb_group $vf)" "$(tb_group $PF)"
	case " $MEMBERS " in *" $vf "*) tb_ok member-$vf ;; *) tb_fail member-$vf "not in $MEMBERS" ;; esac
done
# kernel fact: binding one VF to vfio-pci works, but the group is not viable while the PF has
# a host driver: opening /dev/vfio/<group> and VFIO_GROUP_GET_STATUS would show !VIABLE.
tb_true bind-vf0-vfio tb_bind $(echo $VFS | cut -d' ' -f1) vfio-pci
tb_bind $(echo $VFS | cut -d' ' -f1) ""
tb_true numvfs-0 tb_write $PCI/$PF/sriov_numvfs 0

# names the members: output must contain every BDF of the group
# (bridges in the group, like the root port, are allowed for VFIO and need not be named)
names_all() { local b miss=""; for b in $MEMBERS; do [ "$(cat $PCI/$b/class)" = 0x060400 ] && continue; grep -q "$b" /tmp/out || miss="$miss $b"; done; [ -z "$miss" ] || { echo "missing:$miss"; return 1; }; }
if tb_have vfmgr; then
	mkdir -p /etc/vfmgr /var/lib/vfmgr
	CONF=/etc/vfmgr/vfmgr.conf
	V="vfmgr --local --config $CONF --root / --connect test:///etc/tb-node.xml"
	printf '[pf "%s"]\nnumvfs = 4\ndriver = vfio-pci\n' $PF >$CONF
	# Regression (issue #14): with no VF yet, check and plan predict the shared group from the
	# PF's own group (it already holds the port without ACS) and exit 3, the code apply gives
	tb_eq vfmgr-no-vfs-yet "$(cat $PCI/$PF/sriov_numvfs)" 0
	$V check >/tmp/out 2>&1; tb_eq vfmgr-check-predicts-exit3 $? 3
	tb_true vfmgr-check-predicts-names-group grep -q "already shares IOMMU group $(tb_group $PF)" /tmp/out
	tb_info "check said: $(grep -i 'group' /tmp/out | head -c 400 | tr '\n' ' ')"
	$V plan >/tmp/out 2>&1; tb_eq vfmgr-plan-predicts-exit3 $? 3
	tb_true vfmgr-plan-predicts-names-group grep -q "already shares IOMMU group" /tmp/out
	tb_eq vfmgr-plan-created-nothing "$(cat $PCI/$PF/sriov_numvfs)" 0
	# apply must refuse: VFs cannot be handed to vfio while sharing the PF's group
	$V apply >/tmp/out 2>&1; rc=$?
	if [ $rc = 0 ]; then tb_fail vfmgr-apply-refuses "apply succeeded: $(head -c 300 /tmp/out)"; else tb_eq vfmgr-apply-refuses-exit3 $rc 3; fi
	tb_info "apply said: $(head -c 400 /tmp/out | tr '\n' ' ')"
	MEMBERS=$(tb_group_members $PF)
	if [ "$(echo $MEMBERS | wc -w)" -gt 1 ]; then
		tb_true vfmgr-apply-names-members names_all
	fi
	for vf in $(tb_vfs $PF); do
		d=$(tb_driver $vf)
		[ "$d" = vfio-pci ] && tb_fail vfmgr-apply-no-vfio-$vf "VF bound to vfio-pci in a non-viable group"
	done
	# check must refuse (non-zero) and name the members; create the VFs by hand for it
	[ "$(cat $PCI/$PF/sriov_numvfs)" = 4 ] || { tb_write $PCI/$PF/sriov_numvfs 0; tb_write $PCI/$PF/sriov_numvfs 4; }
	MEMBERS=$(tb_group_members $PF)
	if $V check >/tmp/out 2>&1; then tb_fail vfmgr-check-refuses "check passed: $(head -c 300 /tmp/out)"; else tb_ok vfmgr-check-refuses; fi
	tb_info "check said: $(head -c 400 /tmp/out | tr '\n' ' ')"
	tb_true vfmgr-check-names-members names_all
	if $V assign --pf $PF --vf 0 vm-node0 >/tmp/out 2>&1; then tb_fail vfmgr-assign-refuses "assign succeeded"; else tb_ok vfmgr-assign-refuses; fi
	tb_info "assign said: $(head -c 400 /tmp/out | tr '\n' ' ')"
	tb_true vfmgr-assign-names-members names_all
else
	tb_skip vfmgr "vfmgr binary not built: check/apply/assign refusal not tested"
fi
tb_finish
