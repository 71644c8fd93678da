# topo: base
# needs: -
# Smoke test: the kernel boots with the emulated VT-d and the modules load.
. /etc/tb-lib.sh
tb_true modprobe-vfio-pci modprobe vfio-pci
tb_true modprobe-pf-stub modprobe pci-pf-stub
tb_true dmar-present test -d /sys/class/iommu/dmar0
tb_true vfio-dev test -c /dev/vfio/vfio
tb_finish
