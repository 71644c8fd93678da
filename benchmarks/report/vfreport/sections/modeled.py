"""What is real and what is modeled, with the modeled parts' parameters; the interrupt
delivery section (interrupts.py) follows it."""
from ..model import table
from . import interrupts


def render(ctx):
    p = ctx.res.params
    L = ["## 8. What is real and what is modeled", ""]
    L.append("**Real (executed here):** the DPDK ports and packet processing (net_memif shared-memory "
             "wires inside one process, net_af_xdp/net_af_packet on veths for the real-peer part); memif "
             "copies; the TCP_STREAM endpoints' TCP (lwIP when the records say `tcp.stack` lwip) and "
             "the UDP_RR endpoints' real Ethernet/IPv4/UDP frames; the software VT-d: root/context "
             "tables, 4-level page walks, IOTLB and context cache, queued invalidation with wait "
             "descriptors, executed by the IOMMU hardware side on the device core (an invalidation "
             "wait is a real cross-core round trip), fault records; the software SR-IOV VF "
             "(lib/vfdev): descriptor rings, bulk refill/free, a DMA engine that translates and copies "
             "every buffer, MSI-X through interrupt remapping; IOVA allocation with per-CPU magazines; real threads for the "
             "trap-and-emulate VMM and for the sidecore, with real cross-core handoff; the kernel "
             "TCP/UDP stacks of iperf3 and sockperf; real VFIO under QEMU's intel-iommu on the test "
             "bed (with `--testbed`).")
    L.append("")
    L.append("**Modeled (with their parameters):**")
    L.append("")
    L.append(table(["what", "parameter", "value"], [
        ["extra IOTLB invalidation latency of slower hardware, on top of the executed invalidation "
         "queue (queued descriptors take effect only after it; stale entries still translate "
         "meanwhile); the sensitivity sweep varies it", "`inv_latency_ns`",
         f"{p.get('inv_latency_ns', '?')} ns"],
        ["VM exit + entry, added to each trap on top of the real thread handoff", "`vmexit_ns`",
         f"{p.get('vmexit_ns', '?')} ns"],
        ["the device: a software SR-IOV VF (lib/vfdev) whose DMA engine translates every descriptor "
         "and buffer through the soft VT-d and copies the bytes (executed; it stands in for a NIC)",
         "`wire`", str(p.get("wire", "?"))],
    ]))
    L.append("")
    L += interrupts.render(ctx)
    L.append("**Cannot run here:** a physical IOMMU and an SR-IOV NIC (no IOMMU, no SR-IOV on this "
             "2-core VM), so no real VF DMA, no hardware posted interrupts, no 10 Gbit/s wire. "
             "Absolute figures are therefore not comparable with the paper's; the ratios between "
             "strategies and modes within one run are the result.")
    L.append("")
    return L
