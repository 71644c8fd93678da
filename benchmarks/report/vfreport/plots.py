"""matplotlib figures (Debian python3-matplotlib, Agg backend: no display needed).

make_plots(res, outdir, pub) -> {key: png file name}; keys: pct_<workload>, micro,
latency, irq, sensitivity. A plot whose data are absent is not drawn.
"""
import os

from . import model


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _bars(plt, path, title, ylabel, groups, series, log=False):
    """Clustered bars: groups on x, one bar per series (name, [value per group])."""
    fig, ax = plt.subplots(figsize=(10, 5.2))
    n = max(len(series), 1)
    width = 0.8 / n
    for i, (name, vals) in enumerate(series):
        xs = [g + (i - (n - 1) / 2.0) * width for g in range(len(groups))]
        ax.bar(xs, [v if v is not None else 0 for v in vals], width, label=name)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups, rotation=30 if len(groups) > 8 else 0, ha="right" if len(groups) > 8 else "center")
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.grid(axis="y", alpha=0.4)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12 if len(groups) <= 8 else -0.25),
              ncol=min(n, 4))
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_pct(plt, res, outdir, w):
    base = res.cell(*model.BASE, w).median
    if not base:
        return None
    series = [(model.MODE_LABEL.get(m, m), [model.pct(res.cell(s, m, w).median, base) for s in res.strategies])
              for m in res.modes]
    png = f"pct_{w}.png"
    _bars(plt, os.path.join(outdir, png), f"{w}: {model.METRIC[w][1]} in % of off/native (median)",
          "% of off/native", res.strategies, series)
    return png


def plot_micro(plt, res, outdir, pub):
    micro = res.kind("microbench")
    rows = []   # (label, mode, strategy, map p50, unmap p50)
    for m in res.modes:
        for s in res.strategies:
            if micro:
                rs = [r for r in micro if r.get("strategy") == s and r.get("mode") == m]
                mc = model.median([r.get("map_cycles") for r in rs])
                uc = model.median([r.get("unmap_cycles") for r in rs])
            else:
                c = res.cell(s, m, "TCP_STREAM")
                mc, uc = c.field("map_cycles"), c.field("unmap_cycles")
            if mc is None and uc is None:
                continue
            rows.append((f"{s}/{model.MODE_SHORT.get(m, m)}", m, s, max(mc or 0, 1), max(uc or 0, 1)))
    if not rows:
        return None
    series = [("map p50", [r[3] for r in rows]), ("unmap p50", [r[4] for r in rows])]
    paper = (pub or {}).get("viommu_map_unmap_cycles") or {}
    if paper:
        for k in ("map", "unmap"):
            series.append((f"paper {k} (strict)", [(paper.get(r[1]) or {}).get(k) if r[2] == "strict" else None
                                                   for r in rows]))
    _bars(plt, os.path.join(outdir, "micro.png"), "cycles per 4 KiB map / unmap (p50), strategy/mode",
          "TSC cycles (log)", [r[0] for r in rows], series, log=True)
    return "micro.png"


def plot_latency(plt, res, outdir):
    labels, qs = [], {q: [] for q, _ in model.LAT_Q}
    for m in res.modes:
        for s in res.strategies:
            c = res.cell(s, m, "UDP_RR")
            vals = {q: c.field(f"latency_us.{q}") for q, _ in model.LAT_Q}
            if all(v is None for v in vals.values()):
                continue
            labels.append(f"{s}/{model.MODE_SHORT.get(m, m)}")
            for q, _ in model.LAT_Q:
                qs[q].append(vals[q])
    if not labels:
        return None
    series = [(name, qs[q]) for q, name in model.LAT_Q if any(v is not None for v in qs[q])]
    _bars(plt, os.path.join(outdir, "latency.png"), "UDP_RR round-trip latency percentiles (µs)",
          "µs (log)", labels, series, log=True)
    return "latency.png"


def plot_irq(plt, res, outdir):
    irq = res.kind("irq")
    modes = [m for m in ("poll", "posted", "remapped") if any(r.get("rx_mode") == m for r in irq)]
    if not modes:
        return None
    series = [(q, [model.median([model.get(r, f"latency_us.{q}") for r in irq if r.get("rx_mode") == m])
                   for m in modes]) for q in ("p50", "p99")]
    _bars(plt, os.path.join(outdir, "irq.png"), "UDP_RR latency by interrupt delivery (µs)",
          "µs (log)", modes, series, log=True)
    return "irq.png"


def plot_sensitivity(plt, res, outdir):
    pts = res.sensitivity_points()
    if not pts:
        return None
    strategies = [s for s in res.strategies if any(r.get("strategy") == s for r in res.kind("sensitivity"))]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 5))
    for s in strategies:
        cells = [res.cell(s, "native", "TCP_STREAM", kind="sensitivity", inv_latency_ns=p) for p in pts]
        a1.plot(pts, [c.median for c in cells], marker="o", label=s)
        a2.plot(pts, [c.sd for c in cells], marker="o", label=s)
    a1.set_title("TCP_STREAM throughput, native")
    a1.set_ylabel("10^6 bits/s")
    a2.set_title("service demand (appliance lcore)")
    a2.set_ylabel("µs/KB")
    for a in (a1, a2):
        a.set_xlabel("modeled invalidation latency --inv-latency-ns (ns)")
        a.set_xticks(pts)
        a.grid(alpha=0.4)
    a1.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(outdir, "sensitivity.png"), dpi=90)
    plt.close(fig)
    return "sensitivity.png"


def make_plots(res, outdir, pub=None):
    plt = _plt()
    plots = {}
    for w in res.workloads:
        if w in model.METRIC:
            p = plot_pct(plt, res, outdir, w)
            if p:
                plots[f"pct_{w}"] = p
    for key, fn in (("micro", lambda: plot_micro(plt, res, outdir, pub)),
                    ("latency", lambda: plot_latency(plt, res, outdir)),
                    ("irq", lambda: plot_irq(plt, res, outdir)),
                    ("sensitivity", lambda: plot_sensitivity(plt, res, outdir))):
        p = fn()
        if p:
            plots[key] = p
    return plots
