"""First screen: per mode, which strategy is safe (0 attack successes) and fastest, by how much."""
from ..model import MODE_LABEL, METRIC, fmt, table


def _pick(res, m, w):
    """(best safe cell, runner-up safe cell, basis) for mode m, workload w."""
    cells = [res.cell(s, m, w) for s in res.strategies]
    cells = [c for c in cells if c.status == "ok"]
    measured = any(res.attack(c.strategy, m) is not None for c in cells)
    if measured:
        cand = [c for c in cells if res.safe(c.strategy, m)]
        basis = "0 attack successes"
    else:
        cand = [c for c in cells if c.strategy != "off"]
        basis = "attack figures absent: every strategy but `off` counted as a candidate"
    cand.sort(key=lambda c: c.median, reverse=True)
    return (cand[0] if cand else None, cand[1] if len(cand) > 1 else None, basis)


def render(ctx):
    res = ctx.res
    L = ["# vfmgr benchmark report", ""]
    m = res.machine
    L.append(f"Run of {m.get('date', '?')} on {m.get('cpu_model', '?')} ({m.get('cores', '?')} cores); "
             f"figures are medians over the repetitions of each cell; details in the sections below.")
    L.append("")
    L.append("## Summary: the fastest safe strategy in each mode")
    L.append("")
    rows, bases = [], set()
    for w in [w for w in res.workloads if w in METRIC]:
        unit = METRIC[w][1]
        for mode in res.modes:
            best, second, basis = _pick(res, mode, w)
            bases.add(basis)
            off = res.cell("off", mode, w)
            if best is None:
                rows.append([w, MODE_LABEL.get(mode, mode), "none", "", "", ""])
                continue
            by = (f"+{100.0 * (best.median / second.median - 1):.0f} % over `{second.strategy}`"
                  if second and second.median else "only candidate")
            vs_off = (f"{100.0 * best.median / off.median:.0f} % of `off`" if off.median else "n/a")
            nc = "" if best.converged else " (CI not converged)"
            rows.append([w, MODE_LABEL.get(mode, mode), f"**{best.strategy}**",
                         f"{fmt(best.median)} {unit}{nc}", by, vs_off])
    L.append(table(["workload", "mode", "fastest safe", "median", "by how much", "cost of protection"],
                   rows))
    L.append("")
    L.append("Safe = " + "; ".join(sorted(bases)) + ". `off` has no IOMMU: every buffer is reachable, "
             "so it is never safe; it is the unprotected reference.")
    probs = res.problems()
    nc = [c for c in res.cells() if c.status == "ok" and not c.converged]
    L.append("")
    L.append(f"Cells: {len(res.cells())} expected, {len(probs)} missing or zero, {len(nc)} whose "
             f"{res.conf['level']} % confidence interval is wider than ±{res.conf['width_pct'] / 2:g} % "
             "(marked **NC**).")
    la = m.get("loadavg_start")
    if res.params.get("forced"):
        L.append("")
        L.append(f"**Started with --force on a busy machine** (load average at start {la}): other "
                 "processes competed for the cores; expect run-to-run spread.")
    L.append("")
    return L
