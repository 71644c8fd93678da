# topo: nvme-acs
# needs: -
# Scenario ir-kernel (#17 part 5): the guest kernel programs interrupt-remapping entries for a
# device bound to a driver (the nvme PF, MSI-X) and for the IO-APIC pins. The guest only checks
# that remapping is on and that the driver's vectors go through IR-PCI-MSI; the IRTE bytes the
# kernel wrote are taken on the host from QEMU's trace (vtd_ir_irte_get) and decoded there with
# lib/iova's decoder (tb-irte-check, run by ir-kernel.sh).
. /etc/tb-lib.sh; . /etc/tb-sriov.sh
dmesg >/tmp/dmesg.txt
grep -E "DMAR-IR|x2apic|IRQ remapping" /tmp/dmesg.txt | head -8 | sed 's/^/TB-INFO dmesg: /'
tb_true dmesg-ir-enabled grep -q "DMAR-IR: Enabled IRQ remapping in" /tmp/dmesg.txt
mount -t debugfs none /sys/kernel/debug 2>/dev/null
if [ -r /sys/kernel/debug/iommu/intel/ir_translation_struct ]; then
	tb_info "ir_translation_struct present"
	head -20 /sys/kernel/debug/iommu/intel/ir_translation_struct | sed 's/^/TB-INFO irdbg: /'
else
	tb_info "ir_translation_struct absent (Debian's kernel has no CONFIG_INTEL_IOMMU_DEBUGFS): IRTE bytes come from QEMU's vtd_ir_irte_get trace"
fi
PF=$(tb_nvme_pf)
tb_true nvme-bound tb_setup_pf $PF nvme
tb_wait_for 10 test -b /dev/nvme0n1
# the driver's queues complete I/O: each completion is an MSI-X write QEMU remaps
dd if=/dev/nvme0n1 of=/dev/null bs=4k count=64 iflag=direct 2>/dev/null
grep -E "IR-PCI-MSI|IR-IO-APIC" /proc/interrupts | head -12 | sed 's/^/TB-INFO irq: /'
tb_true nvme-ir-msix sh -c "grep -E 'IR-PCI-MSIX?' /proc/interrupts | grep -q nvme"
tb_result name=ir-kernel pf=$PF irqs=$(grep -c IR- /proc/interrupts)
tb_finish
