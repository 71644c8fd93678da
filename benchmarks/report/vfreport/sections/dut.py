"""vfapp beside dpdk-l3fwd (LPM) and testpmd io/mac, each the device under test on the same
two net_memif ports with the same generator (benchmarks/peers/l3fwd.sh, kind "dut")."""
from ..model import fmt, median, num, table


def render(ctx):
    recs = [r for r in ctx.res.kind("dut") if num(r.get("mpps"))]
    if not recs:
        return []
    L = ["## Forwarders on the same ports: vfapp, dpdk-l3fwd (LPM), testpmd", ""]
    L.append("Each forwarder is the device under test (DUT) on the same two net_memif ports, "
             "one forwarding lcore on its own CPU; one dpdk-testpmd `flowgen` process on the other "
             "CPU generates on both wires and counts what comes back (the DUT's forwarding rate = "
             "the generator's received packets per second, median of per-second readings). "
             "vfapp runs `--topology ports --workload fwd --strategy off`: its figure is the "
             "appliance's own work, without its built-in generator and sink. l3fwd is built from "
             "Debian's dpdk-doc example sources at benchmark time (benchmarks/peers/l3fwd.sh). "
             "Ratios are vfapp (1 lcore) / that forwarder within this run.")
    L.append("")

    def size(r):
        return int(num(r.get("pkt_size")) or 0)

    def lc(r):
        return int(num(r.get("lcores")) or 1)

    def key(r):
        return (f"{r.get('tool', '?')} {r.get('fwd_mode', '')}".strip(), lc(r))
    sizes = sorted({size(r) for r in recs})
    keys = []
    for r in recs:
        if key(r) not in keys:
            keys.append(key(r))
    app = {sz: median([r.get("mpps") for r in recs
                       if r.get("tool") == "vfapp" and lc(r) == 1 and size(r) == sz])
           for sz in sizes}
    rows = []
    for k in keys:
        row = [f"{k[0]} ({k[1]} lcore{'s' if k[1] > 1 else ''})"]
        for sz in sizes:
            v = median([r.get("mpps") for r in recs if key(r) == k and size(r) == sz])
            ratio = (app[sz] / v) if v and app.get(sz) else None
            row += [fmt(v, 3), fmt(ratio, 2)]
        rows.append(row)
    hdr = ["DUT"]
    for sz in sizes:
        hdr += [f"{sz} B Mpps", f"vfapp 1 lcore / this ({sz} B)"]
    L.append(table(hdr, rows))
    L.append("")
    return L
