"""Map/unmap cost in cycles per 4 KiB page, beside the paper's."""
from ..model import MODE_LABEL, median, num, table


def render(ctx):
    res, pub = ctx.res, ctx.pub
    L = ["## 4. Map/unmap cost (cycles per 4 KiB page)", ""]
    tsc = res.tsc_hz
    micro = res.kind("microbench")
    mp = (pub or {}).get("viommu_map_unmap_cycles") or {}
    if micro:
        tscs = [num(r.get("tsc_hz")) for r in micro if num(r.get("tsc_hz"))]
        tsc = tsc or (max(tscs) if tscs else None)
        L.append(f"From `iova-microbench --json` (TSC {tsc / 1e6:.1f} MHz)." if tsc else
                 "From `iova-microbench --json`.")
    else:
        L.append("No microbenchmark records; figures below come from the matrix runs' per-packet "
                 "`map_cycles`/`unmap_cycles` (TCP_STREAM, median of repetitions).")
    L[-1] += (f" The paper measured strict invalidation on a Xeon X5570 at "
              f"{(num(mp.get('tsc_hz')) or 2.93e9) / 1e9:.2f} GHz; cycles, not time, are compared.")
    L.append("")
    keys = ("map_cycles", "map_cycles_p99", "unmap_cycles", "unmap_cycles_p99")
    strats = list(res.strategies) + sorted({r.get("strategy") for r in micro if r.get("strategy")}
                                           - set(res.strategies))
    rows = []
    for m in res.modes:
        for s in strats:
            if micro:
                rs = [r for r in micro if r.get("strategy") == s and r.get("mode") == m]
                if not rs:
                    continue
                vals = {k: median([r.get(k) for r in rs]) for k in keys}
            else:
                c = res.cell(s, m, "TCP_STREAM")
                vals = {k: c.field(k) for k in keys}
                if all(v is None for v in vals.values()):
                    continue
            paper = mp.get(m) if s == "strict" else None
            tot = None
            if vals["map_cycles"] is not None or vals["unmap_cycles"] is not None:
                tot = (vals["map_cycles"] or 0) + (vals["unmap_cycles"] or 0)

            def cyc(v):
                return f"{v:.0f}" if v is not None else "n/a"
            rows.append([MODE_LABEL.get(m, m), s, cyc(vals["map_cycles"]), cyc(vals["map_cycles_p99"]),
                         cyc(vals["unmap_cycles"]), cyc(vals["unmap_cycles_p99"]), cyc(tot),
                         f"{tot / tsc * 1e6:.2f}" if tot is not None and tsc else "n/a",
                         f"{paper['map']} / {paper['unmap']} / {paper['total']}" if paper else ""])
    if rows:
        L.append(table(["mode", "strategy", "map p50", "map p99", "unmap p50", "unmap p99",
                        "map+unmap p50", "µs", "paper map / unmap / total"], rows))
    else:
        L.append("_No map/unmap cycle figures in this run._")
    L.append("")
    if "micro" in ctx.plots:
        L += [f"![map/unmap cycles]({ctx.plots['micro']})", ""]
    return L
