# topo: e1000e
# needs: -
# post: rows
# Scenario 7 (DMA containment): a buffer unmapped (synchronously, as under "strict") and then
# targeted by the device's DMA: the IOMMU faults the write, the guest logs a DMAR fault and the
# memory is unchanged. tb-dma (tests/testbed/tb-dma.c) drives two e1000e through VFIO; a first
# frame into the still-mapped buffer is the positive control. Host side: vtd_dmar_fault trace.
. /etc/tb-lib.sh; . /etc/tb-sriov.sh
modprobe vfio-pci; modprobe vfio_iommu_type1
NICS=$(tb_find 8086:10d3)
tb_eq e1000e-count "$(echo $NICS | wc -w)" 2
for n in $NICS; do tb_true bind-vfio-$n tb_bind $n vfio-pci; done
set -- $NICS
dmesg -c >/dev/null
tb_mark 0
tb-dma $1 $2 >/tmp/dma.json 2>/tmp/dma.err; rc=$?
tb_info "tb-dma rc=$rc: $(cat /tmp/dma.json /tmp/dma.err | tr '\n' ' ')"
tb-gron </tmp/dma.json >/tmp/dma.gron 2>/dev/null
v() { awk -v k=".$1=" 'index($0, k) == 1 { print substr($0, length(k) + 1) }' /tmp/dma.gron; }
tb_eq positive-control-received "$(v positive_received)" true
tb_eq positive-control-bytes "$(v positive_match)" true
tb_eq second-frame-sent "$(v second_tx_done)" true
tb_eq memory-unchanged-after-unmap "$(v memory_unchanged_after_unmap)" true
dmesg >/tmp/dmesg.txt
tb_info "dmesg: $(grep -i dmar /tmp/dmesg.txt | head -3 | tr '\n' ' ')"
tb_true dmar-fault-logged grep -qiE "DMAR:.*fault addr 0x400000|DMAR:.*\[fault reason" /tmp/dmesg.txt
tb_result name=containment section=0 fault_lines=$(grep -ciE 'dmar.*fault' /tmp/dmesg.txt)
tb_mark 1
# the detector itself: with the IOVA left mapped, the same DMA must change the memory
tb-dma --skip-unmap $1 $2 >/tmp/dma2.json 2>&1
tb-gron </tmp/dma2.json >/tmp/dma.gron 2>/dev/null
tb_eq detector-sees-dma-when-mapped "$(v memory_unchanged_after_unmap)" false
tb_finish
