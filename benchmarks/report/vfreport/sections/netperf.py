"""netperf figures per cell: throughput with its confidence interval, service demand,
UDP_RR latency percentiles, TCP_STREAM stack counters."""
from ..model import (LAT_Q, METRIC, MODE_LABEL, SD_UNIT, cell_text, ci_text, fmt, table)


def render(ctx):
    res = ctx.res
    conf = res.conf
    L = ["## 1. netperf figures: throughput, confidence interval, service demand", ""]
    L.append(f"Throughput is netperf's: TCP_STREAM in 10^6 bits/s of payload accepted in order by the "
             f"receiver, UDP_RR in transactions/s (one outstanding 1-byte request). Each cell prints "
             f"the mean ±{conf['level']} % confidence half-width in % of the mean and the number of "
             f"repetitions n (netperf `-I {conf['level']},{conf['width_pct']:g} -i "
             f"{conf['iterations_max']},{conf['iterations_min']}`); **NC** = the interval did not "
             f"shrink to ±{conf['width_pct'] / 2:g} % within {conf['iterations_max']} repetitions.")
    L.append("")
    for w in [w for w in res.workloads if w in METRIC]:
        unit = METRIC[w][1]
        L.append(f"### {w}: {unit}, mean ±CI (n)")
        L.append("")
        rows = [[MODE_LABEL.get(m, m)] + [ci_text(res.cell(s, m, w)) for s in res.strategies]
                for m in res.modes]
        L.append(table(["mode \\ strategy"] + res.strategies, rows))
        L.append("")
        sdu = SD_UNIT[w]
        L.append(f"Service demand, {sdu} of the appliance lcore's busy cycles "
                 f"(`appliance_cycles_per_pkt` x `packets`, i.e. busy iterations the kernel did not "
                 f"preempt; in trap-and-emulate, where the VMM thread shares the core by design, and "
                 f"when no iteration was unpreempted, `appliance_busy_cycles`; / `tsc_hz`): shows a strategy's cost even "
                 f"when the endpoints limit the throughput. Mean ±CI:")
        L.append("")
        rows = []
        any_sd = False
        for m in res.modes:
            row = [MODE_LABEL.get(m, m)]
            for s in res.strategies:
                c = res.cell(s, m, w)
                if c.sd is None:
                    row.append(cell_text(c, "n/a"))
                    continue
                any_sd = True
                h = c.sd_ci["half_pct"]
                row.append(cell_text(c, f"{c.sd:.3f}" + (f" ±{h:.1f} %" if h is not None else "")))
            rows.append(row)
        L.append(table(["mode \\ strategy"] + res.strategies, rows))
        if not any_sd:
            L.append("")
            L.append("_No service demand: the vfapp records of this run carry no `appliance_busy_cycles`._")
        L.append("")
        if w == "UDP_RR":
            L.append("UDP_RR round-trip latency " + " / ".join(n for _, n in LAT_Q) +
                     " (µs), median of repetitions:")
            L.append("")
            rows = [[MODE_LABEL.get(m, m)] +
                    [cell_text(res.cell(s, m, w), " / ".join(fmt(res.cell(s, m, w).field(f"latency_us.{q}"), 1)
                                                             for q, _ in LAT_Q)) for s in res.strategies]
                    for m in res.modes]
            L.append(table(["mode \\ strategy"] + res.strategies, rows))
            L.append("")
        if w == "TCP_STREAM":
            stack = next((c.recs[0].get("tcp", {}).get("stack") for c in res.cells()
                          if c.workload == w and c.recs and isinstance(c.recs[0].get("tcp"), dict)
                          and c.recs[0]["tcp"].get("stack")), None)
            L.append(f"TCP_STREAM stack counters (TCP stack: {stack or 'not recorded'}): retransmits / "
                     "out-of-order segments / cwnd at the end (bytes) / payload mismatches, median of "
                     "repetitions:")
            L.append("")
            rows = [[MODE_LABEL.get(m, m)] +
                    [cell_text(res.cell(s, m, w), " / ".join(fmt(res.cell(s, m, w).field(f), 0) for f in
                                                             ("retransmits", "tcp.out_of_order", "tcp.cwnd_end",
                                                              "mismatches")))
                     for s in res.strategies] for m in res.modes]
            L.append(table(["mode \\ strategy"] + res.strategies, rows))
            L.append("")
    if "latency" in ctx.plots:
        L += [f"![UDP_RR latency]({ctx.plots['latency']})", ""]
    return L
