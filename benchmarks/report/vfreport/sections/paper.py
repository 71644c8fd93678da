"""The paper's table: throughput in % of off/native, beside the vIOMMU paper's figures and,
when the QEMU test bed measured them, Linux's own strict and lazy IOMMU modes."""
from ..model import (BASE, METRIC, MODE_LABEL, PAPER_COLS, cell_text, fmt, num, pct, pct_txt, table)

LINUX_MODES = ["off", "pt", "lazy", "strict"]


def _linux_mode(r):
    """Linux IOMMU mode of a test-bed record, or None: linux_iommu_mode, or `mode` of a
    record whose name starts with "linux" (tests/testbed/scenarios/linuxte.sh)."""
    lm = r.get("linux_iommu_mode")
    if lm is None and str(r.get("name", "")).startswith("linux"):
        lm = r.get("mode")
    lm = {"passthrough": "pt", "identity": "pt"}.get(lm, lm)
    return lm if lm in LINUX_MODES else None


def _linux_rows(res):
    """Test-bed TCP throughput by Linux IOMMU mode: {mode: [10^6 bits/s...]}, unit."""
    out = {}
    for r in res.kind("testbed"):
        lm = _linux_mode(r)
        if lm is None or r.get("name") not in (None, "linux-iperf3"):
            continue
        g = num(r.get("goodput_gbps"))
        v = g * 1000.0 if g is not None else None
        if v is None and num(r.get("bps")) is not None:
            v = num(r.get("bps")) / 1e6
        if v is None:
            continue
        out.setdefault(lm, []).append(v)
    return out, "10^6 bits/s"


def render(ctx):
    res, pub = ctx.res, ctx.pub
    L = ["## 2. Throughput in % of off/native (the paper's table)", ""]
    L.append("Cells are the median over repetitions **in % of `off` (no IOMMU) in `native` mode of the "
             "same run**, as the paper normalises every setting to the maximum attainable throughput "
             "(9.3 Gbit/s, bare metal without IOMMU). `off` under an emulated mode maps nothing, so it "
             "shows the emulation machinery's own cost. `MISSING` = no record, `ZERO` = a zero figure.")
    L.append("")
    for w in [w for w in res.workloads if w in METRIC]:
        unit = METRIC[w][1]
        base = res.cell(*BASE, w).median
        L.append(f"### {w} in % of off/native" + (f" ({fmt(base)} {unit})" if base else
                                                   " (**base cell off/native missing**)"))
        L.append("")
        rows = [[MODE_LABEL.get(m, m)] + [cell_text(res.cell(s, m, w), pct_txt(pct(res.cell(s, m, w).median, base)))
                                          for s in res.strategies] for m in res.modes]
        L.append(table(["mode \\ strategy"] + res.strategies, rows))
        L.append("")
        L.append(f"Absolute {w} ({unit}), median [min-max] of repetitions:")
        L.append("")
        rows = []
        for m in res.modes:
            row = [MODE_LABEL.get(m, m)]
            for s in res.strategies:
                c = res.cell(s, m, w)
                row.append(cell_text(c, f"{fmt(c.median)} [{fmt(min(c.values))}-{fmt(max(c.values))}]"
                                     if c.values else ""))
            rows.append(row)
        L.append(table(["mode \\ strategy"] + res.strategies, rows))
        L.append("")
        if f"pct_{w}" in ctx.plots:
            L += [f"![{w} in % of off/native]({ctx.plots[f'pct_{w}']})", ""]
    tp = (pub or {}).get("viommu_tcp_stream_pct")
    ap = (pub or {}).get("viommu_apache_pct")
    if tp and "TCP_STREAM" in res.workloads:
        L.append("### Beside the vIOMMU paper (Amit et al., ATC 2011)")
        L.append("")
        L.append(f"Ours = TCP_STREAM in % of off/native (this run); paper = netperf TCP stream in % of "
                 f"{tp.get('base_gbps', 9.3)} Gbit/s. Paper columns: secure = `strict`, relaxed "
                 "(Linux IOTLB batching) = `deferred`, optimistic = `optimistic`. Apache (% of 6828 "
                 "req/s) as context.")
        L.append("")
        base = res.cell(*BASE, "TCP_STREAM").median
        rows = []
        for m in res.modes:
            row = [MODE_LABEL.get(m, m)]
            for s, _ in PAPER_COLS:
                c = res.cell(s, m, "TCP_STREAM")
                paper = (tp.get(m) or {}).get(s)
                apache = ((ap or {}).get(m) or {}).get(s)
                row += [cell_text(c, pct_txt(pct(c.median, base))),
                        f"{paper} %" if paper is not None else "n/a",
                        f"{apache} %" if apache is not None else "n/a"]
            rows.append(row)
        hdr = ["mode"]
        for s, name in PAPER_COLS:
            hdr += [f"{s} ours", f"{name} paper TCP", f"{name} paper Apache"]
        L.append(table(hdr, rows))
        L.append("")
        lin, unit = _linux_rows(res)
        if lin:
            lbase = None
            for b in ("off", "pt"):
                if lin.get(b):
                    lbase = (b, sorted(lin[b])[len(lin[b]) // 2])
                    break
            L.append("Linux's own IOMMU modes on the QEMU test bed (guest kernel, intel-iommu, real "
                     "VFIO; `--testbed` records), median, "
                     + (f"in % of Linux `{lbase[0]}`:" if lbase else "absolute:"))
            L.append("")
            rows = []
            for lm in LINUX_MODES:
                if lm not in lin:
                    continue
                v = sorted(lin[lm])[len(lin[lm]) // 2]
                rows.append([f"Linux {lm}", f"{fmt(v)} {unit}", pct_txt(pct(v, lbase[1])) if lbase else "n/a",
                             {"strict": "secure (strict)", "lazy": "relaxed (deferred)"}.get(lm, ""),
                             len(lin[lm])])
            L.append(table(["test bed", "throughput", "% of base", "paper column", "runs"], rows))
            L.append("")
        else:
            L.append("_Linux strict/lazy figures from the test bed: not in this run (`--testbed`)._")
            L.append("")
    return L
