"""vfapp beside dpdk-l3fwd (LPM) and testpmd io/mac, each the device under test on the same
two net_memif ports with the same generator (benchmarks/peers/l3fwd.sh, kind "dut"), and,
when a run has them, where the instructions go per forwarded packet
(benchmarks/peers/fwd-callgrind.sh, kind "callgrind")."""
from ..model import fmt, median, num, table


def size(r):
    return int(num(r.get("pkt_size")) or 0)


def lcores(r):
    return int(num(r.get("lcores")) or 1)


def is_vfapp_fwd(r):
    """vfapp's own figure: the fwd workload on lib/iova's pool (not --pool plain)."""
    return r.get("tool") == "vfapp" and r.get("fwd_mode") == "fwd"


def nonneg(v):
    """A group's cost after the idle-poll subtraction can come out a hair below 0: show 0."""
    return max(v, 0.0) if v is not None else None


def render_callgrind(ctx):
    recs = [r for r in ctx.res.kind("callgrind") if num(r.get("ir_per_pkt"))]
    if not recs:
        return []
    L = ["### Where the instructions go (callgrind)", ""]
    L.append("Instructions per forwarded packet of each DUT under `valgrind --tool=callgrind` on the "
             "same ports and traffic (benchmarks/peers/fwd-callgrind.sh): counted, not timed, so a "
             "loaded host does not move them. Empty polls are subtracted (an idle window with the "
             "generator stopped gives their cost per poll); *raw* keeps them; *burst* = packets per "
             "RX poll in the window. Groups are functions by object (memif PMD, the DUT's own code, "
             "lib/iova, libc).")
    L.append("")
    groups = []
    for r in recs:
        for g in (r.get("groups") or {}):
            if g not in groups:
                groups.append(g)
    ref = {sz: median([r.get("ir_per_pkt") for r in recs if r.get("tool") == "l3fwd-lpm" and size(r) == sz])
           for sz in {size(r) for r in recs}}
    rows = []
    for r in recs:
        v = num(r.get("ir_per_pkt"))
        ratio = v / ref[size(r)] if ref.get(size(r)) else None
        rows.append([r.get("tool", "?"), str(size(r)), fmt(v, 0), fmt(ratio, 2),
                     fmt(num(r.get("ir_raw_per_pkt")), 0), fmt(num(r.get("burst")), 2)] +
                    [fmt(nonneg(num((r.get("groups") or {}).get(g))), 0) for g in groups])
    L.append(table(["DUT", "size B", "Ir/packet", "/ l3fwd-lpm", "raw Ir/packet", "burst"] + groups, rows))
    L.append("")
    return L


def render(ctx):
    recs = [r for r in ctx.res.kind("dut") if num(r.get("mpps"))]
    if not recs:
        return render_callgrind(ctx)
    L = ["## Forwarders on the same ports: vfapp, dpdk-l3fwd (LPM), testpmd", ""]
    L.append("Each forwarder is the device under test (DUT) on the same two net_memif ports, "
             "one forwarding lcore on its own CPU; one dpdk-testpmd `flowgen` process on the other "
             "CPU generates on both wires and counts what comes back (the DUT's forwarding rate = "
             "the generator's received packets per second, median of per-second readings). "
             "vfapp runs `--topology ports --workload fwd --strategy off`: its figure is the "
             "appliance's own work, without its built-in generator and sink. l3fwd is built from "
             "Debian's dpdk-doc example sources at benchmark time (benchmarks/peers/l3fwd.sh). "
             "Mpps are medians over the repetitions of a forwarder (l3fwd.sh --repetitions); "
             "ratios are vfapp fwd (1 lcore) / that forwarder within this run; *x lcores* is a "
             "forwarder's N-lcore rate / its own 1-lcore rate (the second lcore shares the "
             "generator's CPU on a 2-CPU host).")
    L.append("")

    def key(r):
        return (f"{r.get('tool', '?')} {r.get('fwd_mode', '')}".strip(), lcores(r))
    sizes = sorted({size(r) for r in recs})
    keys = []
    for r in recs:
        if key(r) not in keys:
            keys.append(key(r))
    app = {sz: median([r.get("mpps") for r in recs
                       if is_vfapp_fwd(r) and lcores(r) == 1 and size(r) == sz])
           for sz in sizes}
    rows = []
    for k in keys:
        row = [f"{k[0]} ({k[1]} lcore{'s' if k[1] > 1 else ''})"]
        for sz in sizes:
            v = median([r.get("mpps") for r in recs if key(r) == k and size(r) == sz])
            ratio = (app[sz] / v) if v and app.get(sz) else None
            one = median([r.get("mpps") for r in recs if key(r) == (k[0], 1) and size(r) == sz])
            scale = (v / one) if k[1] > 1 and v and one else None
            row += [fmt(v, 3), fmt(ratio, 2), fmt(scale, 2)]
        rows.append(row)
    hdr = ["DUT"]
    for sz in sizes:
        hdr += [f"{sz} B Mpps", f"vfapp 1 lcore / this ({sz} B)", f"x lcores ({sz} B)"]
    L.append(table(hdr, rows))
    L.append("")
    L += render_pairs(recs, sizes)
    return L + render_callgrind(ctx)


def render_pairs(recs, sizes):
    """vfapp fwd / l3fwd-lpm (one lcore each) per repetition: the two ran one after the
    other (l3fwd.sh --repetitions alternates their order), so each ratio is side by side."""
    out = []
    for sz in sizes:
        by_rep = {}
        for r in recs:
            if lcores(r) != 1 or size(r) != sz:
                continue
            who = "vfapp" if is_vfapp_fwd(r) else "l3fwd" if r.get("tool") == "l3fwd-lpm" else None
            if who:
                by_rep.setdefault(r.get("repetition", 1), {})[who] = num(r.get("mpps"))
        ratios = sorted(p["vfapp"] / p["l3fwd"] for p in by_rep.values()
                        if p.get("vfapp") and p.get("l3fwd"))
        if ratios:
            out.append(f"- {sz} B: vfapp fwd / l3fwd-lpm, one lcore, paired by repetition: median "
                       f"**{fmt(median(ratios), 2)}** (min {fmt(ratios[0], 2)}, max "
                       f"{fmt(ratios[-1], 2)}, {len(ratios)} pair{'s' if len(ratios) > 1 else ''})")
    if out:
        out = ["Paired ratios (each repetition runs the two back to back, the order alternating):",
               ""] + out + [""]
    return out
