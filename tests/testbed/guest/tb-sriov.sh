# /etc/tb-sriov.sh: SR-IOV helpers shared by the nvme PF scenarios (sourced after tb-lib.sh).
PCI=/sys/bus/pci/devices
# tb_nvme_pf: BDF of the QEMU nvme PF (1b36:0010 with sriov_totalvfs)
tb_nvme_pf() {
	local b
	for b in $(tb_find 1b36:0010); do [ -f $PCI/$b/sriov_totalvfs ] && { echo $b; return 0; }; done
	return 1
}
# tb_vfs PF: VF BDFs in virtfn order
tb_vfs() { local i=0; while [ -e $PCI/$1/virtfn$i ]; do basename "$(readlink $PCI/$1/virtfn$i)"; i=$((i + 1)); done; }
# tb_group_members BDF: BDFs in the device's IOMMU group, space separated, sorted
tb_group_members() { ls /sys/kernel/iommu_groups/$(tb_group $1)/devices | sort | tr '\n' ' ' | sed 's/ $//'; }
# tb_write FILE VALUE: write and print the errno text on failure (busybox sh reports it)
tb_write() { ( echo "$2" >"$1" ) 2>&1; }
# tb_setup_pf PF DRIVER: bind the PF to pci-pf-stub (driver_override) or nvme (autoprobe off)
tb_setup_pf() {
	case $2 in
	pci-pf-stub) modprobe pci-pf-stub && tb_bind $1 pci-pf-stub ;;
	nvme) modprobe nvme && tb_wait_for 10 test -e $PCI/$1/driver && [ "$(tb_driver $1)" = nvme ] ;;
	*) return 1 ;;
	esac
}
