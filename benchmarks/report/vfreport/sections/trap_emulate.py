"""Trap & emulate, measured (QEMU intel-iommu, TCG): tests/testbed/run-te.sh's summary records
(testbed-te.json, appended by run.sh as kind `testbed` with testbed_kind
`trap-emulate-summary`; fields in benchmarks/README.md). Linux 6.1's own DMA API in four IOMMU
modes and every lib/iova strategy in vfapp (pool in external memory, so the NIC reaches a buffer
only through the strategy), each in % of the no-IOMMU figure of its own topology, with the
invalidations QEMU trapped per packet, beside the vIOMMU paper's trap & emulate row."""
from ..model import fmt, num, pct_txt, table

LINUX_CFG = {"strict": "intel_iommu=on iommu.strict=1", "lazy": "intel_iommu=on iommu.strict=0",
             "pt": "intel_iommu=on iommu=pt", "off": "intel_iommu=off",
             "strict-cmoff": "iommu.strict=1, VT-d caching mode off",
             "lazy-cmoff": "iommu.strict=0, VT-d caching mode off"}


def rows_of(res):
    return [r for r in res.kind("testbed") if r.get("testbed_kind") == "trap-emulate-summary"]


def render(ctx):
    rows = rows_of(ctx.res)
    if not rows:
        return []
    tp = ((ctx.pub or {}).get("viommu_tcp_stream_pct") or {}).get("trap-and-emulate") or {}
    L = ["## 10. Trap & emulate, measured (QEMU intel-iommu, TCG)", ""]
    L.append("Linux 6.1 guest under QEMU 7.2 TCG with an emulated VT-d; e1000e NICs over QEMU hubs. "
             "TCP = iperf3 throughput, RR = sockperf UDP ping-pong (64 B) transactions/s, each **in % "
             "of the no-IOMMU figure of the same topology in the same run**: Linux rows of "
             "`intel_iommu=off` (two namespaces over one hub), vfapp rows of strategy `off` (its external "
             "pool mapped once; namespaces on both sides of vfapp). Trapped inv./pkt = IOTLB invalidation "
             "descriptors QEMU trapped (trace `vtd_inv_desc_iotlb_*`) per frame the kernel NICs received. "
             "TCG makes absolute figures meaningless; the ratios within one run are the result. Paper = "
             "vIOMMU (ATC 2011) trap & emulate netperf TCP_STREAM in % of 9.3 Gbit/s.")
    L.append("")
    out = []
    for r in rows:
        if r.get("stack") == "linux":
            who, cfg = "Linux DMA API", LINUX_CFG.get(r.get("config"), r.get("config"))
            if "forced" in str(r.get("kernel_policy") or "") and "lazy" in str(r.get("config")):
                cfg += " (kernel forced strict: caching mode)"
            if r.get("boot") == "appte":
                # run-te.sh --quick: the pt row from the vfapp boot (same kernel parameters)
                cfg += " (measured in the vfapp boot)"
        else:
            who, cfg = "vfapp (lib/iova)", r.get("config")
        bps = num(r.get("tcp_bps"))
        paper = r.get("paper_te_tcp_pct")
        out.append([who, cfg, fmt(bps / 1e6 if bps is not None else None), pct_txt(num(r.get("tcp_pct"))),
                    fmt(num(r.get("rr_tps"))), pct_txt(num(r.get("rr_pct"))),
                    fmt(num(r.get("tcp_inv_per_packet"))), fmt(num(r.get("rr_inv_per_packet"))),
                    f"{paper} %" if paper is not None else ""])
    L.append(table(["stack", "configuration", "TCP Mbit/s", "TCP %", "RR trans/s", "RR %",
                    "trapped inv./pkt TCP", "trapped inv./pkt RR", "paper T&E"], out))
    L.append("")
    if tp:
        L.append(f"Paper's trap & emulate row: strict {tp.get('strict')} %, relaxed {tp.get('deferred')} %, "
                 f"optimistic {tp.get('optimistic')} %.")
        L.append("")
    return L
