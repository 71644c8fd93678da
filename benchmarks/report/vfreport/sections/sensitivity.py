"""Sensitivity to the modeled invalidation latency (--inv-latency-ns)."""
from ..model import fmt, table


def render(ctx):
    res = ctx.res
    pts = res.sensitivity_points()
    L = ["## 3. Sensitivity to the invalidation latency", ""]
    if not pts:
        L += ["_Not measured in this run._", ""]
        return L
    L.append("TCP_STREAM in native mode for each strategy against the modeled IOTLB invalidation "
             "latency `--inv-latency-ns` (a parameter of the model, not a measurement of hardware): "
             "read off your own hardware's point. Throughput 10^6 bits/s (median) / service demand "
             "µs/KB of the appliance lcore (mean).")
    L.append("")
    strategies = [s for s in res.strategies if any(r.get("strategy") == s for r in res.kind("sensitivity"))]
    rows = []
    for s in strategies:
        row = [s]
        for p in pts:
            c = res.cell(s, "native", "TCP_STREAM", kind="sensitivity", inv_latency_ns=p)
            row.append(f"{fmt(c.median)} / {fmt(c.sd, 3)}" if c.values else "n/a")
        rows.append(row)
    L.append(table(["strategy \\ inv_latency_ns"] + [f"{p:g} ns" for p in pts], rows))
    L.append("")
    if "sensitivity" in ctx.plots:
        L += [f"![sensitivity to the invalidation latency]({ctx.plots['sensitivity']})", ""]
    return L
