#!/usr/bin/env python3
"""Generate DIR/report.md (and DIR/*.png with gnuplot) from DIR/results.json.

Python 3 standard library only. The results.json schema is documented in
benchmarks/README.md ("vfmgr-bench/1").

  gen_report.py --results DIR/results.json [--published benchmarks/published.json]
                [--out DIR] [--no-plots] [--testbed-md DIR/testbed.md]
  gen_report.py --check DIR/results.json     # completeness check only

Exit status: 0 when every expected strategy x mode x workload cell of the matrix
has records with a non-zero figure; 3 when cells are missing or zero (the report
is still written and lists them); 2 on bad input.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

SCHEMA = "vfmgr-bench/1"
STRATEGIES = ["off", "strict", "deferred", "optimistic", "persistent", "shared", "ring"]
MODES = ["native", "trap-and-emulate", "sidecore"]
WORKLOADS = ["TCP_STREAM", "UDP_RR"]
MODE_LABEL = {"native": "Bare metal (native)", "trap-and-emulate": "Trap & emulate",
              "sidecore": "Sidecore"}
# The figure each workload is judged by, and its unit.
METRIC = {"TCP_STREAM": ("goodput_gbps", "Gbit/s"),
          "UDP_RR": ("transactions_per_s", "trans/s")}
# Paper columns -> our strategy names.
PAPER_COLS = [("strict", "secure"), ("deferred", "relaxed"), ("optimistic", "optimistic")]
BASE = ("off", "native")   # normalisation cell: no IOMMU on bare metal


# ---------------------------------------------------------------- helpers
def num(x):
    """A finite number from a JSON value, or None."""
    if isinstance(x, bool) or x is None:
        return None
    if isinstance(x, (int, float)):
        return float(x) if x == x and abs(x) != float("inf") else None
    try:
        v = float(x)
        return v if v == v else None
    except (TypeError, ValueError):
        return None


def median(vals):
    vals = [v for v in (num(x) for x in vals) if v is not None]
    return statistics.median(vals) if vals else None


def get(rec, path):
    """rec['a']['b'] for path 'a.b', or None."""
    cur = rec
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def fmt(v, digits=2, unit=""):
    if v is None:
        return "n/a"
    if abs(v) >= 1000 and digits <= 2:
        s = f"{v:,.0f}"
    elif abs(v) >= 100:
        s = f"{v:.0f}" if digits <= 1 else f"{v:.1f}"
    else:
        s = f"{v:.{digits}f}"
    return s + (f" {unit}" if unit else "")


def pct(v, base):
    if v is None or base is None or base <= 0:
        return None
    return 100.0 * v / base


def pct_txt(p):
    """A percentage as printed in the tables: one decimal below 10 %, none above."""
    if p is None:
        return "n/a"
    return f"{p:.1f} %" if p < 9.95 else f"{p:.0f} %"


def table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def ordered(found, default):
    """default order first, then any further names found in the records."""
    return [s for s in default if s in found or not found] + sorted(s for s in found if s not in default)


# ---------------------------------------------------------------- model
class Results:
    def __init__(self, doc):
        if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
            raise ValueError("results.json: no 'records' list")
        self.doc = doc
        self.machine = doc.get("machine") or {}
        self.params = doc.get("parameters") or {}
        self.records = [r for r in doc["records"] if isinstance(r, dict)]
        self.matrix = [r for r in self.records if r.get("kind") == "matrix"]
        p = self.params
        found_s = {r.get("strategy") for r in self.matrix if r.get("strategy")}
        self.strategies = list(p.get("strategies") or ordered(found_s, STRATEGIES))
        self.modes = list(p.get("modes") or MODES)
        self.workloads = list(p.get("workloads") or WORKLOADS)
        # Extra strategies that showed up although not asked for: report them too.
        for s in sorted(found_s - set(self.strategies)):
            self.strategies.append(s)

    def kind(self, k):
        return [r for r in self.records if r.get("kind") == k]

    def cell_records(self, strategy, mode, workload):
        return [r for r in self.matrix if r.get("strategy") == strategy and
                r.get("mode") == mode and r.get("workload") == workload]

    def cell_values(self, strategy, mode, workload, field=None):
        field = field or METRIC[workload][0]
        return [v for v in (num(get(r, field)) for r in self.cell_records(strategy, mode, workload))
                if v is not None]

    def cell_median(self, strategy, mode, workload, field=None):
        return median(self.cell_values(strategy, mode, workload, field))

    def problems(self):
        """List of (strategy, mode, workload, 'missing'|'zero') for incomplete cells."""
        out = []
        for w in self.workloads:
            if w not in METRIC:
                continue
            for m in self.modes:
                for s in self.strategies:
                    recs = self.cell_records(s, m, w)
                    if not recs:
                        out.append((s, m, w, "missing"))
                        continue
                    vals = self.cell_values(s, m, w)
                    if not vals or min(vals) <= 0:
                        out.append((s, m, w, "zero"))
        return out


def cell_text(res, s, m, w, value):
    recs = res.cell_records(s, m, w)
    if not recs:
        return "**MISSING**"
    vals = res.cell_values(s, m, w)
    if not vals or min(vals) <= 0:
        return "**ZERO**"
    return value


# ---------------------------------------------------------------- sections
def _load_high(m):
    """True when the 1-minute load average at the end exceeded the core count."""
    le = m.get("loadavg_end")
    try:
        v = float(le[0] if isinstance(le, list) else str(le).split()[0])
        return v > float(m.get("cores") or 2)
    except (TypeError, ValueError, IndexError):
        return False


def section_header(res):
    m, p = res.machine, res.params
    lines = ["# vfmgr benchmark report", ""]
    lines.append(f"Generated from `results.json` (schema `{res.doc.get('schema', '?')}`), "
                 f"run of {m.get('date', '?')}.")
    lines.append("")
    hp = m.get("hugepages")
    hp_s = json.dumps(hp) if isinstance(hp, (dict, list)) else str(hp)
    tsc = num(m.get("tsc_hz"))
    lines.append(table(["machine", ""], [
        ["CPU", f"{m.get('cpu_model', '?')} ({m.get('cores', '?')} cores)"],
        ["TSC", f"{tsc / 1e6:.1f} MHz" if tsc else "n/a"],
        ["kernel", m.get("kernel", "?")],
        ["hugepages", hp_s],
        ["DPDK", m.get("dpdk_version", "?")],
        ["load average (1/5/15 min) at start / end",
         f"{m.get('loadavg_start', '?')} / {' '.join(m['loadavg_end']) if isinstance(m.get('loadavg_end'), list) else m.get('loadavg_end', '?')}"
         + (" (**other processes competed for the cores: compare ratios within this run, "
            "expect run-to-run spread**)" if _load_high(m) else "")],
    ]))
    lines.append("")
    lines.append(table(["parameter", "value"], [
        ["modeled invalidation latency (inv_latency_ns)", f"{p.get('inv_latency_ns', '?')} ns"],
        ["modeled VM exit + entry (vmexit_ns)", f"{p.get('vmexit_ns', '?')} ns"],
        ["run duration / warm-up", f"{p.get('duration', '?')} s / {p.get('warmup', '?')} s"],
        ["repetitions per cell", p.get("reps", "?")],
        ["quick run", p.get("quick", False)],
        ["vfapp arguments (all runs)", f"`{p['vfapp_args']}`" if p.get("vfapp_args") else "n/a"],
        ["VMM / sidecore thread CPU", ", ".join(f"{k}: {v}" for k, v in p["vmm_cpu"].items() if v is not None)
         if isinstance(p.get("vmm_cpu"), dict) else "n/a"],
        ["EAL", f"`{p['eal']}`" if p.get("eal") else "n/a"],
        ["wall time of the whole run", f"{p['elapsed_s']:.0f} s" if num(p.get('elapsed_s')) else "n/a"],
    ]))
    lines.append("")
    probs = res.problems()
    if probs:
        lines.append(f"**Incomplete matrix: {len(probs)} cell(s) missing or zero:** " +
                     ", ".join(f"{s}/{m}/{w} ({why})" for s, m, w, why in probs))
    else:
        n = len(res.strategies) * len(res.modes) * len([w for w in res.workloads if w in METRIC])
        lines.append(f"Matrix complete: all {n} strategy x mode x workload cells have non-zero figures.")
    errs = res.doc.get("errors") or []
    if errs:
        lines.append("")
        lines.append(f"{len(errs)} run(s) failed during the run (see `errors` in results.json); "
                     "first: `" + str(errs[0])[:200].replace("`", "'") + "`")
    lines.append("")
    return lines


def section_main(res, pub, plots):
    L = ["## 1. Throughput by strategy and emulation mode (the paper's table)", ""]
    L.append("Cells are the median over repetitions, **in % of `off` (no IOMMU) in `native` mode "
             "of the same run**: like the paper, which normalises every setting to the maximum "
             "attainable throughput (9.3 Gbit/s, bare metal without IOMMU), we normalise to the "
             "best configuration we have. `off` under an emulated mode maps nothing, so it shows the "
             "cost of the emulation machinery alone. Absolute figures follow each table. "
             "`MISSING` = no record for the cell, `ZERO` = a zero figure.")
    L.append("")
    for w in res.workloads:
        if w not in METRIC:
            continue
        field, unit = METRIC[w]
        base = res.cell_median(*BASE, w)
        L.append(f"### {w}: {field} in % of off/native"
                 + (f" ({fmt(base, 2, unit)})" if base else " (**base cell off/native missing**)"))
        L.append("")
        rows = []
        for m in res.modes:
            row = [MODE_LABEL.get(m, m)]
            for s in res.strategies:
                v = res.cell_median(s, m, w)
                p = pct(v, base)
                row.append(cell_text(res, s, m, w, pct_txt(p)))
            rows.append(row)
        L.append(table(["mode \\ strategy"] + res.strategies, rows))
        L.append("")
        L.append(f"Absolute {w} {field} ({unit}), median [min-max] of repetitions:")
        L.append("")
        rows = []
        for m in res.modes:
            row = [MODE_LABEL.get(m, m)]
            for s in res.strategies:
                vals = res.cell_values(s, m, w)
                txt = (f"{fmt(median(vals), 2)} [{fmt(min(vals), 2)}-{fmt(max(vals), 2)}]"
                       if vals else "")
                row.append(cell_text(res, s, m, w, txt))
            rows.append(row)
        L.append(table(["mode \\ strategy"] + res.strategies, rows))
        L.append("")
        if w == "UDP_RR":
            L.append("UDP_RR round-trip latency p50 / p99 / p99.9 (µs), median of repetitions:")
            L.append("")
            rows = []
            for m in res.modes:
                row = [MODE_LABEL.get(m, m)]
                for s in res.strategies:
                    ps = [res.cell_median(s, m, w, f"latency_us.{q}") for q in ("p50", "p99", "p999")]
                    row.append(cell_text(res, s, m, w, " / ".join(fmt(x, 1) for x in ps)))
                rows.append(row)
            L.append(table(["mode \\ strategy"] + res.strategies, rows))
            L.append("")
        if f"pct_{w}" in plots:
            L.append(f"![{w} in % of off/native]({plots[f'pct_{w}']})")
            L.append("")
    # Beside the paper.
    tp = (pub or {}).get("viommu_tcp_stream_pct")
    ap = (pub or {}).get("viommu_apache_pct")
    if tp and "TCP_STREAM" in res.workloads:
        L.append("### Beside the vIOMMU paper (Amit et al., ATC 2011)")
        L.append("")
        L.append(f"Ours = TCP_STREAM in % of off/native (this run); paper = netperf TCP stream in % of "
                 f"{tp.get('base_gbps', 9.3)} Gbit/s. Paper columns: secure = `strict`, relaxed "
                 "(Linux IOTLB batching) = `deferred`, optimistic = `optimistic`. "
                 "Apache (% of 6828 req/s) as context.")
        L.append("")
        base = res.cell_median(*BASE, "TCP_STREAM")
        rows = []
        for m in res.modes:
            row = [MODE_LABEL.get(m, m)]
            for s, name in PAPER_COLS:
                p = pct(res.cell_median(s, m, "TCP_STREAM"), base)
                ours = cell_text(res, s, m, "TCP_STREAM", pct_txt(p))
                paper = (tp.get(m) or {}).get(s)
                apache = ((ap or {}).get(m) or {}).get(s)
                row += [ours, f"{paper} %" if paper is not None else "n/a",
                        f"{apache} %" if apache is not None else "n/a"]
            rows.append(row)
        hdr = ["mode"]
        for s, name in PAPER_COLS:
            hdr += [f"{s} ours", f"{name} paper TCP", f"{name} paper Apache"]
        L.append(table(hdr, rows))
        L.append("")
    return L


def section_micro(res, pub, plots):
    L = ["## 2. Map/unmap cost (cycles per 4 KiB page)", ""]
    tsc = num(res.machine.get("tsc_hz"))
    micro = res.kind("microbench")
    mp = (pub or {}).get("viommu_map_unmap_cycles") or {}
    if micro:
        tscs = {num(r.get("tsc_hz")) for r in micro if num(r.get("tsc_hz"))}
        if tscs and not tsc:
            tsc = max(tscs)
        L.append(f"From `iova-microbench --json` (TSC {tsc / 1e6:.1f} MHz)." if tsc else
                 "From `iova-microbench --json`.")
    else:
        L.append("No microbenchmark records; figures below come from the matrix runs' "
                 "per-packet `map_cycles`/`unmap_cycles` (TCP_STREAM, median of repetitions).")
    L.append(f" The paper measured strict invalidation on a Xeon X5570 at "
             f"{num(mp.get('tsc_hz') or 2.93e9) / 1e9:.2f} GHz; cycles, not time, are compared.")
    L.append("")
    rows = []
    mstrats = list(res.strategies) + sorted({r.get("strategy") for r in micro if r.get("strategy")}
                                            - set(res.strategies))
    for m in res.modes:
        for s in mstrats:
            if micro:
                rs = [r for r in micro if r.get("strategy") == s and r.get("mode") == m]
                vals = {k: median([r.get(k) for r in rs]) for k in
                        ("map_cycles", "map_cycles_p99", "unmap_cycles", "unmap_cycles_p99")}
                if not rs:
                    continue
            else:
                vals = {k: res.cell_median(s, m, "TCP_STREAM", k) for k in
                        ("map_cycles", "map_cycles_p99", "unmap_cycles", "unmap_cycles_p99")}
                if all(v is None for v in vals.values()):
                    continue
            paper = mp.get(m) if s == "strict" else None
            tot = (vals["map_cycles"] or 0) + (vals["unmap_cycles"] or 0) \
                if vals["map_cycles"] is not None or vals["unmap_cycles"] is not None else None
            us = f"{tot / tsc * 1e6:.2f}" if tot is not None and tsc else "n/a"
            cyc = lambda v: f"{v:.0f}" if v is not None else "n/a"
            rows.append([MODE_LABEL.get(m, m), s, cyc(vals["map_cycles"]), cyc(vals["map_cycles_p99"]),
                         cyc(vals["unmap_cycles"]), cyc(vals["unmap_cycles_p99"]), cyc(tot), us,
                         f"{paper['map']} / {paper['unmap']} / {paper['total']}" if paper else ""])
    if rows:
        L.append(table(["mode", "strategy", "map p50", "map p99", "unmap p50", "unmap p99",
                        "map+unmap p50", "µs", "paper map / unmap / total"], rows))
    else:
        L.append("_No map/unmap cycle figures in this run._")
    L.append("")
    if "micro" in plots:
        L.append(f"![map/unmap cycles]({plots['micro']})")
        L.append("")
    return L


def section_protection(res):
    L = ["## 3. Protection: what each strategy leaves open", ""]
    L.append("Medians over TCP_STREAM repetitions. Stale window = a freed buffer the device "
             "can still reach (mapping or IOTLB entry not yet gone).")
    L.append("")
    rows = []
    for m in res.modes:
        for s in res.strategies:
            if not res.cell_records(s, m, "TCP_STREAM"):
                rows.append([MODE_LABEL.get(m, m), s] + ["**MISSING**"] + [""] * 5)
                continue
            g = lambda f: res.cell_median(s, m, "TCP_STREAM", f)
            sns = g("stale_max_ns")
            rows.append([MODE_LABEL.get(m, m), s, fmt(g("invalidations_per_packet"), 3),
                         fmt(g("exits_per_packet"), 3), fmt(g("stale_max_entries"), 0),
                         fmt(sns / 1000.0 if sns is not None else None, 1),
                         fmt(g("reuse_hits"), 0), fmt(g("dma_faults"), 0)])
    L.append(table(["mode", "strategy", "invalidations/packet", "exits/packet", "stale max entries",
                    "stale max µs", "reuse hits", "DMA faults"], rows))
    L.append("")
    return L


def section_peers(res, pub):
    L = ["## 4. Peers on the same machine", ""]
    peers = res.kind("peer")
    fwd = [r for r in peers if num(r.get("mpps"))]
    if fwd:
        L.append("Forwarding rate with one forwarding lcore on a net_memif pair inside one process "
                 "(`--no-pci`; testpmd `--vdev net_memif0,role=server,... --vdev net_memif1,...`, "
                 "see benchmarks/peers/testpmd-memif.sh; vfapp `--workload fwd --strategy off "
                 "--mode native`). Ratios are taken within this run.")
        L.append("")
        sizes = sorted({int(num(r.get("pkt_size")) or 0) for r in fwd})
        tools = []
        for r in fwd:
            t = (r.get("tool", "?"), r.get("fwd_mode", ""))
            if t not in tools:
                tools.append(t)
        app = {sz: median([r.get("mpps") for r in fwd if r.get("tool") == "vfapp" and
                           int(num(r.get("pkt_size")) or 0) == sz]) for sz in sizes}
        rows = []
        for t, fm in tools:
            row = [f"{t} {fm}".strip()]
            for sz in sizes:
                v = median([r.get("mpps") for r in fwd if (r.get("tool"), r.get("fwd_mode", "")) == (t, fm)
                            and int(num(r.get("pkt_size")) or 0) == sz])
                ratio = (app[sz] / v) if v and app.get(sz) else None
                row += [fmt(v, 2), fmt(ratio, 2) if t != "vfapp" else "1.00" if v else "n/a"]
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
    app_rr = res.cell_records("off", "native", "UDP_RR")
    if rr or app_rr:
        L.append("UDP request/response: the appliance's built-in UDP_RR (strategy off, native, "
                 "internal memif topology) vs sockperf ping-pong over a direct veth pair between "
                 "two namespaces (`vfb` namespaces, both ends pinned to one CPU).")
        L.append("")
        rows = []
        if app_rr:
            rows.append(["vfapp UDP_RR (off, native)",
                         fmt(res.cell_median("off", "native", "UDP_RR"), 0),
                         " / ".join(fmt(res.cell_median("off", "native", "UDP_RR", f"latency_us.{q}"), 1)
                                    for q in ("p50", "p99", "p999")), "round trip"])
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


def section_realpeers(res, pub):
    L = ["## 5. Real TCP/UDP stacks through the appliance", ""]
    rp = res.kind("realpeer")
    if not rp:
        L.append("_No real-peer records in this run._")
        L.append("")
        return L
    L.append("Two network namespaces; each has a veth whose other end is in the root namespace. "
             "`direct` joins the namespaces by one veth pair; `vfapp-*` runs the appliance "
             "(`--topology ports`, strategy/mode as listed) on the two root-side ends "
             "(offloads off on all four ends, promiscuous). iperf3 TCP and sockperf UDP ping-pong, "
             "bounded by `timeout`. Latency is sockperf's one-way estimate (RTT/2).")
    L.append("")
    rows = []
    keys = []
    for r in rp:
        k = (r.get("path", "?"), r.get("strategy", ""), r.get("mode", ""))
        if k not in keys:
            keys.append(k)
    for k in keys:
        rs = [r for r in rp if (r.get("path", "?"), r.get("strategy", ""), r.get("mode", "")) == k]
        tcp = [r for r in rs if r.get("tool") == "iperf3"]
        udp = [r for r in rs if r.get("tool") == "sockperf"]
        rows.append([k[0], "/".join(x for x in k[1:] if x) or "-",
                     fmt(median([r.get("goodput_gbps") for r in tcp]), 2) if tcp else "n/a",
                     fmt(median([r.get("retransmits") for r in tcp]), 0) if tcp else "",
                     fmt(median([r.get("transactions_per_s") for r in udp]), 0) if udp else "n/a",
                     " / ".join(fmt(median([get(r, f"latency_us.{q}") for r in udp]), 1)
                                for q in ("p50", "p99", "p999")) if udp else ""])
    L.append(table(["path", "strategy/mode", "iperf3 TCP Gbit/s", "retransmits", "sockperf trans/s",
                    "p50 / p99 / p99.9 µs"], rows))
    bh = (pub or {}).get("baselines_here", {})
    if bh:
        L.append("")
        x = bh.get("testpmd_middle_af_xdp_io", {})
        v = bh.get("veth_one_cpu_offloads_off", {})
        L.append(f"Reference (baselines-here.md): testpmd io in the middle on net_af_xdp {x.get('tcp_gbps')} "
                 f"Gbit/s TCP, {x.get('udp_rr_tps')} trans/s; veth one CPU, offloads off "
                 f"{v.get('tcp_gbps')} Gbit/s.")
    L.append("")
    return L


def section_irq(res, plots):
    L = ["## 6. Interrupt delivery for low-load UDP_RR", ""]
    irq = res.kind("irq")
    if not irq:
        L.append("_Not measured in this run (vfapp without `--rx-mode`, or the section was skipped)._")
        L.append("")
        return L
    L.append("vfapp UDP_RR at low load with `--rx-mode poll|posted|remapped` "
             "(posted: the device posts into the vCPU's Posted Interrupt Descriptor via lib/irqpost; "
             "remapped: every interrupt goes through the VMM thread, which injects it). "
             "At low load the appliance's vCPU is Halted whenever a packet arrives, so both modes need "
             "one host wake-up per interrupt (posted: the wakeup vector, as KVM's pi_wakeup_handler); "
             "what posting removes is the VMM injection, hence the lower latency. "
             "A Running vCPU takes posted interrupts with no VMM involvement at all.")
    L.append("")
    rows = []
    for mode in [m for m in ("poll", "posted", "remapped") if any(r.get("rx_mode") == m for r in irq)] + \
            sorted({r.get("rx_mode") for r in irq} - {"poll", "posted", "remapped", None}):
        rs = [r for r in irq if r.get("rx_mode") == mode]
        rows.append([mode, fmt(median([r.get("transactions_per_s") for r in rs]), 0),
                     fmt(median([get(r, "latency_us.p50") for r in rs]), 1),
                     fmt(median([get(r, "latency_us.p99") for r in rs]), 1),
                     fmt(median([r.get("vmm_wakeups_per_transaction") for r in rs]), 3),
                     fmt(median([r.get("vmm_injections_per_transaction") for r in rs]), 3), len(rs)])
    L.append(table(["rx mode", "trans/s", "p50 µs", "p99 µs", "VMM wake-ups / transaction",
                    "VMM injections / transaction", "runs"], rows))
    L.append("")
    if "irq" in plots:
        L.append(f"![latency by rx mode]({plots['irq']})")
        L.append("")
    return L


def section_testbed(res, testbed_md):
    tb = res.kind("testbed")
    if not tb and not testbed_md:
        return []
    L = ["## 8. QEMU test bed (real VT-d emulation, real VFIO)", ""]
    if testbed_md and os.path.exists(testbed_md):
        with open(testbed_md, encoding="utf-8", errors="replace") as f:
            body = f.read().strip()
        # Demote its headings below ours.
        L += ["###" + ln.lstrip("#") if ln.startswith("#") else ln for ln in body.splitlines()]
    else:
        L.append(f"{len(tb)} test-bed record(s) in results.json (kind `testbed`).")
    L.append("")
    return L


def section_real_vs_modeled(res):
    p = res.params
    L = ["## 7. What is real and what is modeled", ""]
    L.append("**Real (executed here):** the DPDK ports and packet processing (net_memif shared-memory "
             "wires inside one process, net_af_xdp/net_af_packet on veths for the real-peer part); memif "
             "copies; real Ethernet/IPv4/TCP/UDP frames built and checked by the endpoints; the software "
             "VT-d: root/context tables, 4-level page walks, IOTLB and context cache, queued "
             "invalidation with wait descriptors, fault records; IOVA allocation with per-CPU "
             "magazines; real threads for the trap-and-emulate VMM and for the sidecore, with real "
             "cross-core handoff; the kernel TCP/UDP stacks of iperf3 and sockperf; real VFIO under "
             "QEMU's intel-iommu on the test bed (when run with `--testbed`).")
    L.append("")
    L.append(f"**Modeled:** the IOTLB invalidation latency of the hardware, "
             f"`inv_latency_ns` = {p.get('inv_latency_ns', '?')} ns (queued descriptors take effect only "
             f"after it; stale entries still translate meanwhile); the cost of a VM exit + entry, "
             f"`vmexit_ns` = {p.get('vmexit_ns', '?')} ns, added to each trap on top of the real thread "
             "handoff; the device's DMA is a software translate through the soft VT-d on every "
             "buffer (no bus-master device touches memory).")
    L.append("")
    L.append("**Cannot run here:** a physical IOMMU and an SR-IOV NIC (no IOMMU, no SR-IOV on this "
             "2-core VM), so no real VF DMA, no hardware posted interrupts, no 10 Gbit/s wire. "
             "Absolute figures are therefore not comparable with the paper's; the ratios between "
             "strategies and modes within one run are the result.")
    L.append("")
    return L


# ---------------------------------------------------------------- plots
def make_plots(res, outdir, pub=None):
    """Write data + gnuplot scripts and run gnuplot. Returns {key: png file name}."""
    gp = shutil.which("gnuplot")
    if not gp:
        return {}
    plots, jobs = {}, []
    common = ("set terminal pngcairo size 1000,520 noenhanced font 'sans,10'\n"
              if _has_pngcairo(gp) else "set terminal png size 1000,520 noenhanced\n")
    common += ("set style data histograms\nset style histogram clustered gap 1\n"
               "set style fill solid 0.85 border -1\nset boxwidth 0.9\nset grid ytics\n"
               "set key outside top center horizontal\nset xtics nomirror\n")
    for w in res.workloads:
        if w not in METRIC:
            continue
        base = res.cell_median(*BASE, w)
        if not base:
            continue
        dat = os.path.join(outdir, f"pct_{w}.dat")
        with open(dat, "w") as f:
            f.write("strategy " + " ".join(f'"{MODE_LABEL.get(m, m)}"' for m in res.modes) + "\n")
            for s in res.strategies:
                vals = [pct(res.cell_median(s, m, w), base) for m in res.modes]
                f.write(s + " " + " ".join(f"{v:.2f}" if v is not None else "0" for v in vals) + "\n")
        png = f"pct_{w}.png"
        cols = " , ".join(f"'{os.path.basename(dat)}' using {i + 2}:xtic(1) title columnheader"
                          for i in range(len(res.modes)))
        jobs.append(common + f"set output '{png}'\nset title '{w}: {METRIC[w][0]} in % of off/native "
                    f"(median of reps)'\nset ylabel '% of off/native'\nset yrange [0:*]\nplot {cols}\n")
        plots[f"pct_{w}"] = png
    # microbench map/unmap p50 per mode/strategy
    micro = res.kind("microbench")
    src = micro
    rows = []
    for m in res.modes:
        for s in res.strategies:
            if src:
                rs = [r for r in src if r.get("strategy") == s and r.get("mode") == m]
                mc, uc = median([r.get("map_cycles") for r in rs]), median([r.get("unmap_cycles") for r in rs])
            else:
                mc = res.cell_median(s, m, "TCP_STREAM", "map_cycles")
                uc = res.cell_median(s, m, "TCP_STREAM", "unmap_cycles")
            if mc is None and uc is None:
                continue
            short = {"native": "nat", "trap-and-emulate": "t&e", "sidecore": "side"}.get(m, m)
            paper = ((pub or {}).get("viommu_map_unmap_cycles") or {}).get(m) if s == "strict" else None
            rows.append((f"{s}/{short}", max(mc or 0, 1), max(uc or 0, 1),
                         paper["map"] if paper else "NaN", paper["unmap"] if paper else "NaN"))
    if rows:
        dat = os.path.join(outdir, "micro.dat")
        with open(dat, "w") as f:
            f.write('cell "map p50" "unmap p50" "paper map (strict)" "paper unmap (strict)"\n')
            for r in rows:
                f.write(f"{r[0]} {r[1]:.0f} {r[2]:.0f} {r[3]} {r[4]}\n")
        jobs.append(common.replace("size 1000,520", "size 1200,560") +
                    "set output 'micro.png'\nset title 'cycles per 4 KiB map / unmap (p50), "
                    "strategy/mode'\nset logscale y\nset ylabel 'TSC cycles (log)'\n"
                    "set xtics rotate by 45 right\nset yrange [1:*]\n"
                    "plot 'micro.dat' using 2:xtic(1) title columnheader, '' using 3 title columnheader, "
                    "'' using 4 title columnheader, '' using 5 title columnheader\n")
        plots["micro"] = "micro.png"
    # latency percentiles of UDP_RR per strategy (native) and by rx mode
    lat_rows = []
    for m in res.modes:
        for s in res.strategies:
            ps = [res.cell_median(s, m, "UDP_RR", f"latency_us.{q}") for q in ("p50", "p99", "p999")]
            if all(p is None for p in ps):
                continue
            short = {"native": "nat", "trap-and-emulate": "t&e", "sidecore": "side"}.get(m, m)
            lat_rows.append((f"{s}/{short}", *[p or 0 for p in ps]))
    if lat_rows:
        with open(os.path.join(outdir, "latency.dat"), "w") as f:
            f.write('cell p50 p99 p99.9\n')
            for r in lat_rows:
                f.write(f"{r[0]} {r[1]:.3f} {r[2]:.3f} {r[3]:.3f}\n")
        jobs.append(common.replace("size 1000,520", "size 1200,560") +
                    "set output 'latency.png'\nset title 'UDP_RR round-trip latency percentiles (µs), "
                    "strategy/mode'\nset logscale y\nset ylabel 'µs (log)'\nset xtics rotate by 45 right\n"
                    "plot 'latency.dat' using 2:xtic(1) title columnheader, '' using 3 title columnheader, "
                    "'' using 4 title columnheader\n")
        plots["latency"] = "latency.png"
    irq = res.kind("irq")
    if irq:
        modes = [m for m in ("poll", "posted", "remapped") if any(r.get("rx_mode") == m for r in irq)]
        with open(os.path.join(outdir, "irq.dat"), "w") as f:
            f.write("rx p50 p99\n")
            for m in modes:
                rs = [r for r in irq if r.get("rx_mode") == m]
                f.write(f"{m} {median([get(r, 'latency_us.p50') for r in rs]) or 0:.3f} "
                        f"{median([get(r, 'latency_us.p99') for r in rs]) or 0:.3f}\n")
        jobs.append(common + "set output 'irq.png'\nset title 'UDP_RR latency by interrupt delivery (µs)'\n"
                    "set ylabel 'µs (log)'\nset logscale y\n"
                    "plot 'irq.dat' using 2:xtic(1) title columnheader, '' using 3 title columnheader\n")
        plots["irq"] = "irq.png"
    for i, script in enumerate(jobs):
        try:
            r = subprocess.run([gp], input=script, text=True, cwd=outdir, capture_output=True, timeout=60)
            if r.returncode != 0:
                sys.stderr.write(f"gen_report: gnuplot failed: {r.stderr[-500:]}\n")
        except (OSError, subprocess.TimeoutExpired) as e:
            sys.stderr.write(f"gen_report: gnuplot: {e}\n")
    if "latency" in plots:
        pass
    return {k: v for k, v in plots.items() if os.path.exists(os.path.join(outdir, v))}


def _has_pngcairo(gp):
    try:
        r = subprocess.run([gp, "-e", "set terminal"], capture_output=True, text=True, timeout=20)
        return "pngcairo" in (r.stdout + r.stderr)
    except (OSError, subprocess.TimeoutExpired):
        return False


# ---------------------------------------------------------------- main
def render(res, pub, plots, testbed_md=None):
    L = section_header(res)
    L += section_main(res, pub, plots)
    L += section_micro(res, pub, plots)
    L += section_protection(res)
    L += section_peers(res, pub)
    L += section_realpeers(res, pub)
    L += section_irq(res, plots)
    if "latency" in plots:
        L += ["### Latency percentiles, all cells", "", f"![UDP_RR latency]({plots['latency']})", ""]
    L += section_real_vs_modeled(res)
    L += section_testbed(res, testbed_md)
    return "\n".join(L) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results")
    ap.add_argument("--published", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                        "..", "published.json"))
    ap.add_argument("--out", help="output directory (default: the results file's directory)")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--testbed-md")
    ap.add_argument("--check", metavar="RESULTS", help="only check completeness")
    a = ap.parse_args(argv)
    path = a.check or a.results
    if not path:
        ap.error("--results or --check is required")
    try:
        with open(path) as f:
            doc = json.load(f)
        res = Results(doc)
    except (OSError, ValueError) as e:
        sys.stderr.write(f"gen_report: {path}: {e}\n")
        return 2
    probs = res.problems()
    if a.check:
        for s, m, w, why in probs:
            print(f"cell {s} {m} {w}: {why}")
        print(f"{len(probs)} incomplete cell(s)" if probs else "matrix complete")
        return 3 if probs else 0
    pub = None
    try:
        with open(a.published) as f:
            pub = json.load(f)
    except (OSError, ValueError) as e:
        sys.stderr.write(f"gen_report: published figures unavailable: {e}\n")
    outdir = a.out or os.path.dirname(os.path.abspath(path))
    os.makedirs(outdir, exist_ok=True)
    plots = {} if a.no_plots else make_plots(res, outdir, pub)
    tb = a.testbed_md
    if tb is None and os.path.exists(os.path.join(outdir, "testbed.md")):
        tb = os.path.join(outdir, "testbed.md")
    with open(os.path.join(outdir, "report.md"), "w") as f:
        f.write(render(res, pub, plots, tb))
    for s, m, w, why in probs:
        sys.stderr.write(f"gen_report: cell {s} {m} {w}: {why}\n")
    return 3 if probs else 0


if __name__ == "__main__":
    sys.exit(main())
