#!/bin/sh
# mkfixture.sh ROOT [--no-iommu | --noiommu-mode]
# Build the initial fake host under ROOT for the fakesys LD_PRELOAD shim:
#   PF 0000:3b:00.0  8086:1572 i40e, netdev ens1f0, NUMA node 0, totalvfs 8, VFs 0000:3b:02.0-7, own group each
#   PF 0000:86:00.0  8086:1572 i40e, netdev ens2f0, NUMA node 1, totalvfs 8, VFs 0000:86:02.0-7, own group each
#   PF 0000:5e:00.0  1b36:0010 pci-pf-stub, no netdev, node 0, totalvfs 4, VFs 0000:5e:00.1-4 share the PF's
#                    IOMMU group 30 with it (no ACS: non-viable)
#   bridge 0000:00:03.0 (class 060400) in group 3
#   drivers i40e, iavf, vfio-pci, pci-pf-stub; /sys/module/vfio_pci; Intel IOMMU dmar0 (cap/ecap of QEMU's
#   intel-iommu, see shared/reference/qemu-testbed.md); NUMA nodes 0,1 (distance 10/21); 512 hugepages.
# --no-iommu:      no /sys/class/iommu entries, no IOMMU groups, no iommu_group links.
# --noiommu-mode:  as --no-iommu plus /sys/module/vfio/parameters/enable_unsafe_noiommu_mode = Y.
set -eu
root=$1; mode=${2:-}
[ -n "$root" ] || { echo "usage: mkfixture.sh ROOT [--no-iommu|--noiommu-mode]" >&2; exit 2; }
iommu=1
case $mode in --no-iommu|--noiommu-mode) iommu=0 ;; "") ;; *) echo "mkfixture.sh: unknown option $mode" >&2; exit 2 ;; esac

rm -rf "$root"; mkdir -p "$root"; root=$(cd "$root" && pwd)
S=$root/sys; D=$S/devices/pci0000:00
mkdir -p "$D" "$S/bus/pci/devices" "$S/bus/pci/drivers" "$S/kernel/iommu_groups" "$S/class/iommu" \
	"$S/module/vfio_pci" "$S/module/vfio/parameters" "$root/dev/vfio" "$root/proc" "$root/.fakesys" \
	"$S/devices/system/node/node0" "$S/devices/system/node/node1" "$S/kernel/mm/hugepages/hugepages-2048kB"
: >"$S/bus/pci/drivers_probe"
: >"$root/dev/vfio/vfio"
for d in i40e iavf vfio-pci pci-pf-stub; do
	mkdir -p "$S/bus/pci/drivers/$d"
	for f in bind unbind new_id remove_id; do : >"$S/bus/pci/drivers/$d/$f"; done
done
echo N >"$S/module/vfio/parameters/enable_unsafe_noiommu_mode"
[ "$mode" = --noiommu-mode ] && echo Y >"$S/module/vfio/parameters/enable_unsafe_noiommu_mode"
if [ $iommu = 1 ]; then
	mkdir -p "$S/class/iommu/dmar0/intel-iommu"
	echo d2008c22260286 >"$S/class/iommu/dmar0/intel-iommu/cap"
	echo f00f4a >"$S/class/iommu/dmar0/intel-iommu/ecap"
fi
printf '10 21\n' >"$S/devices/system/node/node0/distance"; echo 0 >"$S/devices/system/node/node0/cpulist"
printf '21 10\n' >"$S/devices/system/node/node1/distance"; echo 1 >"$S/devices/system/node/node1/cpulist"
echo 512 >"$S/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
cat >"$root/proc/meminfo" <<'M'
MemTotal:        8000000 kB
MemFree:         4000000 kB
HugePages_Total:     512
HugePages_Free:      512
HugePages_Rsvd:        0
HugePages_Surp:        0
Hugepagesize:       2048 kB
M

# dev BDF VENDOR DEVICE CLASS NODE GROUP DRIVER
dev() {
	bdf=$1; d=$D/$bdf
	mkdir -p "$d"
	echo "0x$2" >"$d/vendor"; echo "0x$3" >"$d/device"; echo "0x$4" >"$d/class"
	echo "$5" >"$d/numa_node"; echo "$5" >"$d/local_cpulist"
	echo "(null)" >"$d/driver_override"
	ln -s "$d" "$S/bus/pci/devices/$bdf"
	if [ $iommu = 1 ]; then
		g=$S/kernel/iommu_groups/$6; mkdir -p "$g/devices"; echo DMA-FQ >"$g/type"
		ln -s "$d" "$g/devices/$bdf"; ln -s "$g" "$d/iommu_group"
	fi
	if [ -n "$7" ]; then
		ln -s "$S/bus/pci/drivers/$7" "$d/driver"; ln -s "$d" "$S/bus/pci/drivers/$7/$bdf"
		echo "$7" >"$root/.fakesys/$bdf.driver"
	fi
}
# pf BDF TOTAL OFFSET STRIDE VFDEVICE VFDRIVER
pf() {
	d=$D/$1
	echo "$2" >"$d/sriov_totalvfs"; echo 0 >"$d/sriov_numvfs"; echo 1 >"$d/sriov_drivers_autoprobe"
	echo "$3" >"$d/sriov_offset"; echo "$4" >"$d/sriov_stride"; echo "$5" >"$d/sriov_vf_device"
	[ -n "$6" ] && echo "$6" >"$root/.fakesys/$1.vfdriver"
	return 0
}
# netdev BDF IFNAME MAC
netdev() {
	n=$D/$1/net/$2; mkdir -p "$n"; echo "$3" >"$n/address"; echo 0 >"$n/addr_assign_type"
}

dev 0000:00:03.0 8086 2f08 060400 0 3 ""
dev 0000:3b:00.0 8086 1572 020000 0 10 i40e
pf  0000:3b:00.0 8 16 1 154c iavf
netdev 0000:3b:00.0 ens1f0 3c:fd:fe:00:00:a0
dev 0000:86:00.0 8086 1572 020000 1 20 i40e
pf  0000:86:00.0 8 16 1 154c iavf
netdev 0000:86:00.0 ens2f0 3c:fd:fe:00:00:b0
dev 0000:5e:00.0 1b36 0010 010802 0 30 pci-pf-stub
pf  0000:5e:00.0 4 1 1 0010 ""
echo shared >"$root/.fakesys/0000:5e:00.0.vfgroup"
echo "$root"
