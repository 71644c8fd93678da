"""What is real and what is modeled, with the modeled parts' parameters; the interrupt
delivery figures are listed here, under Modeled."""
from ..model import fmt, get, median, table


def _irq(ctx):
    res = ctx.res
    irq = res.kind("irq")
    L = ["### Modeled: interrupt delivery for low-load UDP_RR", ""]
    if not irq:
        return L + ["_Not measured in this run (vfapp without `--rx-mode`, or the section was skipped)._", ""]
    rate = next((r.get("udp_rr", {}).get("rate_limit") for r in irq if isinstance(r.get("udp_rr"), dict)), None)
    wires = sorted({r.get("wire") for r in irq if r.get("wire")})
    chain = ("Executed: the VF's MSI-X write goes through the soft VT-d's interrupt remapping "
             "(lib/iova decodes the IRTE) to the vCPU's Posted Interrupt Descriptor (lib/irqpost). "
             if "vfdev" in wires else
             "The endpoints raise the interrupt directly (no device MSI-X on this wire). ")
    L.append("**Partly a model:** the appliance's vCPU is a thread that halts on a futex (standing "
             "in for HLT); `posted` = the interrupt is posted into the vCPU's Posted Interrupt "
             "Descriptor and wakes it, `remapped` = every interrupt goes through the VMM thread, "
             "which injects it, `poll` = no interrupts. " + chain +
             f"Parameters: wire {', '.join(wires) or '?'}, `--rx-mode poll|posted|remapped`, request "
             f"rate limit {rate if rate is not None else '?'}/s (`--rate`), `vmexit_ns` = "
             f"{res.params.get('vmexit_ns', '?')} ns per modeled exit, VMM thread placement as in "
             "the matrix. Real: the threads, the futex wake-ups and the cross-core handoffs.")
    L.append("")
    rows = []
    modes = [m for m in ("poll", "posted", "remapped") if any(r.get("rx_mode") == m for r in irq)]
    modes += sorted({r.get("rx_mode") for r in irq} - {"poll", "posted", "remapped", None})
    for mode in modes:
        rs = [r for r in irq if r.get("rx_mode") == mode]
        rows.append([mode, fmt(median([r.get("transactions_per_s") for r in rs]), 0),
                     fmt(median([get(r, "latency_us.p50") for r in rs]), 1),
                     fmt(median([get(r, "latency_us.p99") for r in rs]), 1),
                     fmt(median([r.get("vmm_wakeups_per_transaction") for r in rs]), 3),
                     fmt(median([r.get("vmm_injections_per_transaction") for r in rs]), 3), len(rs)])
    L.append(table(["rx mode", "trans/s", "p50 µs", "p99 µs", "VMM wake-ups / transaction",
                    "VMM injections / transaction", "runs"], rows))
    L.append("")
    att = {}
    for r in irq:
        for k, v in (r.get("irq_attacks") or {}).items():
            if isinstance(v, dict):
                a = att.setdefault(k, [0, 0, 0])
                a[0] += v.get("attempts") or 0
                a[1] += v.get("blocked") or 0
                a[2] += v.get("delivered") or 0
    if att:
        L.append("Interrupt attacks by the device (`irq_attacks`, all rx modes): attempts / blocked by "
                 "interrupt remapping / delivered:")
        L.append("")
        L.append(table(["attack", "attempts", "blocked", "delivered"],
                       [[k, v[0], v[1], v[2]] for k, v in sorted(att.items())]))
        L.append("")
    if "irq" in ctx.plots:
        L += [f"![latency by rx mode]({ctx.plots['irq']})", ""]
    return L


def render(ctx):
    p = ctx.res.params
    L = ["## 8. What is real and what is modeled", ""]
    L.append("**Real (executed here):** the DPDK ports and packet processing (net_memif shared-memory "
             "wires inside one process, net_af_xdp/net_af_packet on veths for the real-peer part); memif "
             "copies; the TCP_STREAM endpoints' TCP (lwIP when the records say `tcp.stack` lwip) and "
             "the UDP_RR endpoints' real Ethernet/IPv4/UDP frames; the software VT-d: root/context "
             "tables, 4-level page walks, IOTLB and context cache, queued invalidation with wait "
             "descriptors, fault records; IOVA allocation with per-CPU magazines; real threads for the "
             "trap-and-emulate VMM and for the sidecore, with real cross-core handoff; the kernel "
             "TCP/UDP stacks of iperf3 and sockperf; real VFIO under QEMU's intel-iommu on the test "
             "bed (with `--testbed`).")
    L.append("")
    L.append("**Modeled (with their parameters):**")
    L.append("")
    L.append(table(["what", "parameter", "value"], [
        ["IOTLB invalidation latency of the hardware (queued descriptors take effect only after it; "
         "stale entries still translate meanwhile)", "`inv_latency_ns`", f"{p.get('inv_latency_ns', '?')} ns"],
        ["VM exit + entry, added to each trap on top of the real thread handoff", "`vmexit_ns`",
         f"{p.get('vmexit_ns', '?')} ns"],
        ["the device's DMA: a software translate through the soft VT-d on every buffer", "-", ""],
        ["interrupt delivery (vCPU threads on futexes for HLT; posted / remapped delivery)",
         "`--rx-mode`, `--rate`", "see below"],
    ]))
    L.append("")
    L += _irq(ctx)
    L.append("**Cannot run here:** a physical IOMMU and an SR-IOV NIC (no IOMMU, no SR-IOV on this "
             "2-core VM), so no real VF DMA, no hardware posted interrupts, no 10 Gbit/s wire. "
             "Absolute figures are therefore not comparable with the paper's; the ratios between "
             "strategies and modes within one run are the result.")
    L.append("")
    return L
