"""Peers on the same machine: testpmd forwarding, sockperf, memory."""
from ..model import fmt, get, median, num, table


def render(ctx):
    res, pub = ctx.res, ctx.pub
    L = ["## 6. Peers on the same machine", ""]
    peers = res.kind("peer")
    fwd = [r for r in peers if num(r.get("mpps"))]
    if fwd:
        L.append("Forwarding rate with one forwarding lcore on a net_memif pair inside one process "
                 "(`--no-pci`; testpmd `--vdev net_memif0,role=server,... --vdev net_memif1,...`, "
                 "see benchmarks/peers/testpmd-memif.sh; vfapp `--workload fwd --strategy off "
                 "--mode native`). Ratios are taken within this run.")
        L.append("")

        def size(r):
            return int(num(r.get("pkt_size")) or 0)
        sizes = sorted({size(r) for r in fwd})
        tools = []
        for r in fwd:
            t = (r.get("tool", "?"), r.get("fwd_mode", ""))
            if t not in tools:
                tools.append(t)
        app = {sz: median([r.get("mpps") for r in fwd if r.get("tool") == "vfapp" and size(r) == sz])
               for sz in sizes}
        rows = []
        for t, fm in tools:
            row = [f"{t} {fm}".strip()]
            for sz in sizes:
                v = median([r.get("mpps") for r in fwd if (r.get("tool"), r.get("fwd_mode", "")) == (t, fm)
                            and size(r) == sz])
                ratio = (app[sz] / v) if v and app.get(sz) else None
                row += [fmt(v, 2), fmt(ratio, 2) if t != "vfapp" else ("1.00" if v else "n/a")]
            rows.append(row)
        hdr = ["forwarder"]
        for sz in sizes:
            hdr += [f"{sz} B Mpps", f"vfapp / this ({sz} B)"]
        L.append(table(hdr, rows))
        bh = (pub or {}).get("baselines_here", {}).get("testpmd_memif_one_process_io_mpps")
        if bh:
            L.append("")
            L.append(f"Reference (baselines-here.md, other run): testpmd io on net_memif "
                     f"{bh.get('64')} Mpps at 64 B, {bh.get('1500')} Mpps at 1500 B.")
        L.append("")
    rr = [r for r in peers if num(r.get("transactions_per_s")) and r.get("tool") == "sockperf"]
    app_rr = res.cell("off", "native", "UDP_RR")
    if rr or app_rr.recs:
        L.append("UDP request/response: the appliance's built-in UDP_RR (strategy off, native, internal "
                 "memif topology) vs sockperf ping-pong over a direct veth pair between two namespaces "
                 "(`vfb` namespaces, both ends pinned to one CPU).")
        L.append("")
        rows = []
        if app_rr.recs:
            rows.append(["vfapp UDP_RR (off, native)", fmt(app_rr.median, 0),
                         " / ".join(fmt(app_rr.field(f"latency_us.{q}"), 1) for q in ("p50", "p99", "p999")),
                         "round trip"])
        for path in sorted({r.get("path", "?") for r in rr}):
            rs = [r for r in rr if r.get("path", "?") == path]
            rows.append([f"sockperf ping-pong, {path}", fmt(median([r.get("transactions_per_s") for r in rs]), 0),
                         " / ".join(fmt(median([get(r, f"latency_us.{q}") for r in rs]), 1)
                                    for q in ("p50", "p99", "p999")), "one way (sockperf)"])
        L.append(table(["what", "trans/s", "latency p50 / p99 / p99.9 µs", "latency is"], rows))
        L.append("")
    mem = [r for r in res.matrix if r.get("strategy") == "off" and r.get("mode") == "native"]
    if mem:
        L.append("Appliance memory (off/native runs, median): "
                 f"RSS {fmt(median([r.get('rss_kb') for r in mem]), 0)} kB, "
                 f"hugepages used {fmt(median([r.get('hugepages_used') for r in mem]), 0)} "
                 f"(all vfapp runs: RSS max {fmt(max([num(r.get('rss_kb')) or 0 for r in res.matrix]), 0)} kB).")
        L.append("")
    if not (fwd or rr or mem):
        L.append("_No peer records in this run (`--no-peers`, or the peers failed: see errors)._")
        L.append("")
    return L
