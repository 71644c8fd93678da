"""What each strategy leaves open: invalidations, exits, stale window, attack figures."""
from ..model import MODE_LABEL, fmt, table

OFF_TEXT = "no IOMMU: every buffer reachable"


def render(ctx):
    res = ctx.res
    L = ["## 5. Protection: what each strategy leaves open", ""]
    att_src = ("the attack pass: `vfapp --workload fwd --wire vfdev --attack on`, one run per strategy "
               "and mode" if res.kind("attack") else "the matrix runs")
    L.append("Medians over TCP_STREAM repetitions. Stale window = a freed buffer the device can still "
             "reach (mapping or IOTLB entry not yet gone). Attack = the device issue's malicious-device "
             "mode: the software VF keeps DMA-writing to buffers the appliance freed "
             f"(`attack_attempts`, `attack_successes` summed over {att_src}); a success is a write "
             "the IOMMU let through.")
    L.append("")
    rows = []
    any_attack = False
    for m in res.modes:
        for s in res.strategies:
            c = res.cell(s, m, "TCP_STREAM")
            a = res.attack(s, m)
            any_attack |= a is not None
            att = f"{a[1]:.0f} / {a[0]:.0f}" if a is not None else "n/a"
            if s == "off":
                rows.append([MODE_LABEL.get(m, m), s, OFF_TEXT, "", "", "", "", "", att])
                continue
            if not c.recs:
                rows.append([MODE_LABEL.get(m, m), s, "**MISSING**", "", "", "", "", "", att])
                continue
            sns = c.field("stale_max_ns")
            rows.append([MODE_LABEL.get(m, m), s, fmt(c.field("invalidations_per_packet"), 3),
                         fmt(c.field("exits_per_packet"), 3), fmt(c.field("stale_max_entries"), 0),
                         fmt(sns / 1000.0 if sns is not None else None, 1),
                         fmt(c.field("reuse_hits"), 0), fmt(c.field("dma_faults"), 0), att])
    L.append(table(["mode", "strategy", "invalidations/packet", "exits/packet", "stale max entries",
                    "stale max µs", "reuse hits", "DMA faults", "attack successes / attempts"], rows))
    if not any_attack:
        L.append("")
        L.append("_No attack figures in this run (the vfapp records carry no `attack_attempts`)._")
    L.append("")
    return L
