#!/bin/bash
# tests/testbed/ir-kernel.sh: #17 part 5, the real kernel as a check of lib/iova's IRTE decoder.
#
#   ir-kernel.sh TB-IRTE-CHECK [boot.sh options...]
#
# Boots scenario irkernel (nvme PF bound to the nvme driver, MSI-X through IR-PCI-MSI; the
# IO-APIC pins through IR-IO-APIC) with QEMU's interrupt-remapping trace events, then runs
# TB-IRTE-CHECK (host/tb-irte-check.c, linked with lib/iova; not in tests/testbed/tb-*.c, which are guest helpers) on the trace: every IRTE QEMU read from
# guest memory is decoded by lib/iova and compared with QEMU's own decode. Debian's kernel has no
# CONFIG_INTEL_IOMMU_DEBUGFS, so /sys/kernel/debug/iommu/intel/ir_translation_struct is absent
# and QEMU's trace is the only reader of the kernel's IRTEs. Exit 0 pass, 1 fail.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
check=${1:-}; [ -n "$check" ] && [ "${check#/}" = "$check" ] && check=$PWD/$check
[ -x "$check" ] || { echo "TB-FAIL ir-kernel: tb-irte-check '$check' not built (ninja -C build tests/testbed/tb-irte-check)"; exit 1; }
shift
workdir=${TMPDIR:-/tmp}/vfmgr-testbed/irkernel
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[i]}" = --workdir ] && workdir=${args[i+1]}; done
# names from QEMU 7.2 hw/i386/trace-events (qemu-system-x86_64 -trace help)
"$here/boot.sh" --scenario irkernel --timeout 90 --workdir "$workdir" \
	--trace vtd_ir_remap_msi_req --trace vtd_ir_irte_get --trace vtd_ir_remap "$@"
rc=$?
[ $rc = 1 ] && exit 1
[ -s "$workdir/trace.log" ] || { echo "TB-FAIL ir-kernel: no QEMU trace in $workdir/trace.log"; exit 1; }
# IRTA.EIME follows the kernel's mode: "DMAR-IR: Enabled IRQ remapping in x2apic mode" or "xapic mode"
eime=0
grep -q "Enabled IRQ remapping in x2apic mode" "$workdir/console.log" && eime=1
grep -q "Enabled IRQ remapping in" "$workdir/console.log" ||
	{ echo "TB-FAIL ir-kernel: the guest's dmesg has no 'DMAR-IR: Enabled IRQ remapping' line"; exit 1; }
# CAP.PI = 0 on QEMU 7.2's intel-iommu (scenario vtdcaps checks it): posted format not allowed
# the nvme PF's requester ID (bus << 8 | devfn) from the scenario's TB-RESULT pf=DDDD:BB:DD.F
sidpci=()
pf=$(sed -n 's/.*TB-RESULT name=ir-kernel pf=\([0-9a-f:.]*\).*/\1/p' "$workdir/console.log" | head -1)
if [[ $pf =~ ^[0-9a-f]{4}:([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$ ]]; then
	sidpci=(--sid-pci $(printf '0x%04x' $(( (16#${BASH_REMATCH[1]} << 8) | (16#${BASH_REMATCH[2]} << 3) | ${BASH_REMATCH[3]} ))))
fi
"$check" --eime $eime --pi 0 "${sidpci[@]}" "$workdir/trace.log" | tee "$workdir/irte-check.txt" || exit 1
exit $rc
