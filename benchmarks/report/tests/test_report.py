#!/usr/bin/env python3
"""Unit test of benchmarks/report/gen_report.py against synthetic results.json files.

Checks the generator's output, not just that it runs:
  - the main tables hold every strategy x mode cell, with the % of off/native
    recomputed here from the synthetic input (median of repetitions);
  - absolute tables hold the medians; the paper's figures sit beside ours;
  - a missing cell and a zero cell are flagged (MISSING / ZERO, exit status 3,
    --check lists them); a complete matrix gives status 0;
  - microbench, protection, peer, real-peer and irq sections carry the input figures;
  - with gnuplot installed, the PNGs exist and are PNGs.
"""
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "gen_report.py")
PUB = os.path.join(HERE, "..", "..", "published.json")
STRATS = ["off", "strict", "deferred", "optimistic", "persistent", "shared", "ring"]
MODES = ["native", "trap-and-emulate", "sidecore"]
LABEL = {"native": "Bare metal (native)", "trap-and-emulate": "Trap & emulate", "sidecore": "Sidecore"}
failures = []


def pct_txt(p):
    return f"{p:.1f} %" if p < 9.95 else f"{p:.0f} %"


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def synth(seed=1, reps=3, extra_strategy=None):
    rnd = random.Random(seed)
    recs = []
    strats = STRATS + ([extra_strategy] if extra_strategy else [])
    for w in ("TCP_STREAM", "UDP_RR"):
        for mi, m in enumerate(MODES):
            for si, s in enumerate(strats):
                for rep in range(1, reps + 1):
                    base = 10.0 if w == "TCP_STREAM" else 50000.0
                    v = base * (1.0 - 0.08 * si) * (1.0 - 0.2 * mi) * rnd.uniform(0.9, 1.1)
                    if s == "strict" and m == "trap-and-emulate":
                        v *= 0.01   # a cell below 1 %: printed with a decimal, never as 0 %
                    r = {"kind": "matrix", "strategy": s, "mode": m, "workload": w, "repetition": rep,
                         "backend": "soft", "packets": 100000 + rep,
                         "map_cycles": 1000 + 100 * si + 5000 * mi + rep,
                         "unmap_cycles": 2000 + 100 * si + 3000 * mi + rep,
                         "map_cycles_p99": 9000 + si, "unmap_cycles_p99": 8000 + si,
                         "invalidations_per_packet": 0.5 * si + 0.001 * rep,
                         "exits_per_packet": 0.25 * mi + 0.01 * si,
                         "stale_max_entries": 10 * si, "stale_max_ns": 1500.0 * si,
                         "reuse_hits": 7 * si, "dma_faults": 0, "drops": {"rx": 0},
                         "retransmits": 0, "mismatches": 0, "rx_mode": "poll",
                         "inv_latency_ns": 700, "vmexit_ns": 1200,
                         "rss_kb": 51234, "hugepages_used": 64}
                    if w == "TCP_STREAM":
                        r["goodput_gbps"] = round(v, 4)
                    else:
                        r["transactions_per_s"] = round(v, 1)
                        r["latency_us"] = {"p50": 11.0 + si, "p99": 33.0 + si, "p999": 77.0 + si}
                    recs.append(r)
    for m in MODES:
        for si, s in enumerate(STRATS):
            recs.append({"kind": "microbench", "strategy": s, "mode": m, "backend": "soft",
                         "map_cycles": 4321 + si, "unmap_cycles": 8765 + si, "map_cycles_p99": 11111,
                         "unmap_cycles_p99": 22222, "iterations": 10000, "tsc_hz": 2600000000,
                         "inv_latency_ns": 700, "vmexit_ns": 1200})
    for sz, mpps in ((64, 4.25), (1500, 2.5)):
        recs.append({"kind": "peer", "tool": "vfapp", "fwd_mode": "fwd", "pkt_size": sz, "mpps": mpps})
        recs.append({"kind": "peer", "tool": "testpmd", "fwd_mode": "io", "pkt_size": sz, "mpps": mpps * 2})
        recs.append({"kind": "peer", "tool": "testpmd", "fwd_mode": "mac", "pkt_size": sz, "mpps": mpps * 4})
    recs.append({"kind": "peer", "tool": "sockperf", "path": "veth-direct", "transactions_per_s": 61234,
                 "latency_us": {"p50": 6.5, "p99": 9.5, "p999": 20.5}})
    recs.append({"kind": "realpeer", "tool": "iperf3", "path": "vfapp-af_xdp", "strategy": "off",
                 "mode": "native", "goodput_gbps": 1.87, "retransmits": 3})
    recs.append({"kind": "realpeer", "tool": "sockperf", "path": "vfapp-af_xdp", "strategy": "off",
                 "mode": "native", "transactions_per_s": 23456, "latency_us": {"p50": 20.5, "p99": 38.5, "p999": 66.5}})
    for rx, p50 in (("poll", 5.0), ("posted", 7.5), ("remapped", 12.5)):
        recs.append({"kind": "irq", "rx_mode": rx, "workload": "UDP_RR", "transactions_per_s": 1000,
                     "latency_us": {"p50": p50, "p99": p50 * 2, "p999": p50 * 3},
                     "vmm_wakeups_per_transaction": {"poll": 0, "posted": 0.0, "remapped": 2.0}[rx],
                     "vmm_injections_per_transaction": {"poll": 0, "posted": 0.0, "remapped": 2.0}[rx]})
    return {"schema": "vfmgr-bench/1",
            "machine": {"cpu_model": "Synthetic CPU", "cores": 2, "tsc_hz": 2600000000, "kernel": "6.1",
                        "hugepages": {"total": 512, "free": 500, "size_kb": 2048},
                        "dpdk_version": "22.11", "date": "2026-01-01T00:00:00Z"},
            "parameters": {"inv_latency_ns": 700, "vmexit_ns": 1200, "duration": 3, "warmup": 1,
                           "reps": reps, "quick": False},
            "records": recs}


def run(doc, tmp, name, plots=False, extra=()):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    p = os.path.join(d, "results.json")
    with open(p, "w") as f:
        json.dump(doc, f)
    args = [sys.executable, GEN, "--results", p, "--published", PUB] + ([] if plots else ["--no-plots"]) + list(extra)
    r = subprocess.run(args, capture_output=True, text=True, timeout=120)
    rep = os.path.join(d, "report.md")
    text = open(rep).read() if os.path.exists(rep) else ""
    return r, text, d


def tables_after(text, heading_start):
    """Markdown tables (list of rows of cells) in the section that starts with heading_start."""
    lines = text.splitlines()
    try:
        i = next(k for k, ln in enumerate(lines) if ln.startswith(heading_start))
    except StopIteration:
        return []
    out, cur = [], None
    for ln in lines[i + 1:]:
        if ln.startswith("#") and not ln.startswith(heading_start):
            if ln.startswith("## ") or ln.startswith("### "):
                break
        if ln.startswith("|"):
            cells = [c.strip() for c in ln.strip().strip("|").split("|")]
            if cur is None:
                cur = []
            if not all(set(c) <= set("-") for c in cells):
                cur.append(cells)
        elif cur is not None:
            out.append(cur)
            cur = None
    if cur is not None:
        out.append(cur)
    return out


def med(doc, s, m, w, field):
    vals = [r[field] for r in doc["records"] if r.get("kind") == "matrix" and r["strategy"] == s
            and r["mode"] == m and r["workload"] == w and field in r]
    return statistics.median(vals) if vals else None


def grid(tbl):
    hdr = tbl[0]
    return {row[0]: dict(zip(hdr[1:], row[1:])) for row in tbl[1:]}


def test_complete(tmp):
    doc = synth()
    r, text, d = run(doc, tmp, "complete", plots=True)
    check(r.returncode == 0, f"complete matrix: exit 0 (got {r.returncode}: {r.stderr[-300:]})")
    check("Matrix complete" in text, "complete matrix says so")
    for w, field in (("TCP_STREAM", "goodput_gbps"), ("UDP_RR", "transactions_per_s")):
        tabs = tables_after(text, f"### {w}: {field} in % of off/native")
        check(len(tabs) >= 2, f"{w}: % table and absolute table present")
        if len(tabs) < 2:
            continue
        g = grid(tabs[0])
        base = med(doc, "off", "native", w, field)
        for m in MODES:
            check(LABEL[m] in g, f"{w}: row {LABEL[m]}")
            for s in STRATS:
                want = pct_txt(100.0 * med(doc, s, m, w, field) / base)
                got = g.get(LABEL[m], {}).get(s)
                check(got == want, f"{w} {s}/{m}: % cell {got!r} == {want!r}")
        ga = grid(tabs[1])
        for m in MODES:
            for s in STRATS:
                v = med(doc, s, m, w, field)
                got = ga.get(LABEL[m], {}).get(s, "")
                want = f"{v:,.0f}" if v >= 1000 else f"{v:.1f}" if v >= 100 else f"{v:.2f}"
                check(got.startswith(want + " ["), f"{w} {s}/{m}: absolute {got!r} starts with {want!r}")
    tabs = tables_after(text, "### TCP_STREAM")
    small = grid(tabs[0])[LABEL["trap-and-emulate"]]["strict"] if tabs else ""
    check(small.startswith("0.") and small != "0.0 %", f"a cell below 1 % keeps a decimal: {small!r}")
    # off/native is 100 % by construction
    tabs = tables_after(text, "### TCP_STREAM")
    check(tabs and grid(tabs[0])[LABEL["native"]]["off"] == "100 %", "off/native = 100 %")
    # beside the paper: published figures next to ours
    tabs = tables_after(text, "### Beside the vIOMMU paper")
    check(bool(tabs), "paper comparison table present")
    if tabs:
        g = grid(tabs[0])
        check(g[LABEL["native"]]["secure paper TCP"] == "43 %", "paper bare metal secure 43 %")
        check(g[LABEL["trap-and-emulate"]]["optimistic paper TCP"] == "82 %", "paper t&e optimistic 82 %")
        check(g[LABEL["sidecore"]]["relaxed paper TCP"] == "49 %", "paper sidecore relaxed 49 %")
        check(g[LABEL["sidecore"]]["relaxed paper Apache"] == "63 %", "paper sidecore relaxed Apache 63 %")
        base = med(doc, "off", "native", "TCP_STREAM", "goodput_gbps")
        want = pct_txt(100.0 * med(doc, 'optimistic', 'sidecore', 'TCP_STREAM', 'goodput_gbps') / base)
        check(g[LABEL["sidecore"]]["optimistic ours"] == want, "ours beside the paper")
    # microbench
    tabs = tables_after(text, "## 2.")
    check(bool(tabs) and len(tabs[0]) == 1 + 21, "microbench: 21 rows (mode x strategy)")
    if tabs:
        rows = {(r[0], r[1]): r for r in tabs[0][1:]}
        rr = rows.get((LABEL["trap-and-emulate"], "strict"))
        check(rr is not None and rr[2] == "4322" and rr[4] == "8766" and rr[6] == "13088",
              f"microbench strict t&e map/unmap/total: {rr}")
        check(rr is not None and rr[8] == "30645 / 4324 / 34969", "paper t&e cycles beside strict")
        rr = rows.get((LABEL["native"], "strict"))
        check(rr is not None and rr[8] == "2316 / 4593 / 6909", "paper bare-metal cycles beside strict")
        check(rr is not None and rr[7] == f"{13088 / 2.6e9 * 1e6:.2f}", "cycles -> µs with the TSC")
    check("2600.0 MHz" in text, "TSC frequency printed")
    # protection
    tabs = tables_after(text, "## 3.")
    if tabs:
        rows = {(r[0], r[1]): r for r in tabs[0][1:]}
        rr = rows.get((LABEL["sidecore"], "deferred"))
        want_inv = f"{med(doc, 'deferred', 'sidecore', 'TCP_STREAM', 'invalidations_per_packet'):.3f}"
        check(rr is not None and rr[2] == want_inv, f"protection inv/packet {rr and rr[2]} == {want_inv}")
        check(rr is not None and rr[4] == "20" and rr[5] == "3.0" and rr[6] == "14",
              f"protection stale entries / µs / reuse: {rr}")
        check(len(tabs[0]) == 22, "protection: 21 rows")
    else:
        check(False, "protection table present")
    # peers
    tabs = tables_after(text, "## 4.")
    check(bool(tabs), "peer tables present")
    if tabs:
        rows = {r[0]: r for r in tabs[0][1:]}
        check(rows.get("testpmd io", [None] * 5)[1:3] == ["8.50", "0.50"], f"testpmd io 64 B + ratio: {rows.get('testpmd io')}")
        check(rows.get("testpmd mac", [None] * 5)[3:5] == ["10.00", "0.25"], f"testpmd mac 1500 B + ratio: {rows.get('testpmd mac')}")
        check(len(tabs) >= 2 and any("61,234" in c for row in tabs[1] for c in row), "sockperf veth row")
    check("RSS 51,234 kB" in text and "hugepages used 64" in text, "appliance memory")
    tabs = tables_after(text, "## 5.")
    check(bool(tabs) and tabs[0][1][2] == "1.87" and tabs[0][1][4] == "23,456", "real peers row")
    tabs = tables_after(text, "## 6.")
    if tabs:
        rows = {r[0]: r for r in tabs[0][1:]}
        check(rows.get("remapped", [None] * 5)[2] == "12.5" and rows["remapped"][4] == "2.000"
              and rows["remapped"][5] == "2.000", f"irq remapped row {rows.get('remapped')}")
        check(rows.get("posted", [None] * 6)[5] == "0.000", f"irq posted row: no injections {rows.get('posted')}")
    else:
        check(False, "irq table present")
    check("`inv_latency_ns` = 700 ns" in text and "`vmexit_ns` = 1200 ns" in text, "modeled values printed")
    if shutil.which("gnuplot"):
        for png in ("pct_TCP_STREAM.png", "pct_UDP_RR.png", "micro.png", "latency.png", "irq.png"):
            p = os.path.join(d, png)
            ok = os.path.exists(p) and open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
            check(ok, f"plot {png} written")
            check(f"]({png})" in text, f"plot {png} referenced")


def test_missing_and_zero(tmp):
    doc = synth(seed=2)
    doc["records"] = [r for r in doc["records"] if not (r.get("kind") == "matrix" and r["strategy"] == "shared"
                                                          and r["mode"] == "sidecore" and r["workload"] == "UDP_RR")]
    for r in doc["records"]:
        if r.get("kind") == "matrix" and r["strategy"] == "ring" and r["mode"] == "native" \
                and r["workload"] == "TCP_STREAM":
            r["goodput_gbps"] = 0
    r, text, d = run(doc, tmp, "missing")
    check(r.returncode == 3, f"incomplete: exit 3 (got {r.returncode})")
    check("Incomplete matrix: 2 cell(s)" in text, "incomplete matrix headline")
    tabs = tables_after(text, "### UDP_RR")
    check(bool(tabs) and grid(tabs[0])[LABEL["sidecore"]]["shared"] == "**MISSING**", "missing cell flagged")
    tabs = tables_after(text, "### TCP_STREAM")
    check(bool(tabs) and grid(tabs[0])[LABEL["native"]]["ring"] == "**ZERO**", "zero cell flagged")
    c = subprocess.run([sys.executable, GEN, "--check", os.path.join(d, "results.json")],
                       capture_output=True, text=True, timeout=60)
    check(c.returncode == 3, "--check: exit 3")
    check("cell shared sidecore UDP_RR: missing" in c.stdout and "cell ring native TCP_STREAM: zero" in c.stdout,
          f"--check lists both cells: {c.stdout!r}")
    # a missing base cell must not crash and must say so
    doc = synth(seed=3)
    doc["records"] = [r for r in doc["records"] if not (r.get("kind") == "matrix" and r["strategy"] == "off"
                                                          and r["mode"] == "native")]
    r, text, d = run(doc, tmp, "nobase")
    check(r.returncode == 3 and "base cell off/native missing" in text, "missing base cell reported")
    # filters: parameters restrict the expected cells
    doc = synth(seed=4)
    doc["parameters"].update({"strategies": ["off", "strict"], "modes": ["native"], "workloads": ["UDP_RR"]})
    doc["records"] = [r for r in doc["records"] if r.get("kind") != "matrix" or
                      (r["strategy"] in ("off", "strict") and r["mode"] == "native" and r["workload"] == "UDP_RR")]
    r, text, d = run(doc, tmp, "filtered")
    check(r.returncode == 0, f"filtered run complete (exit {r.returncode}, {r.stderr[-200:]})")
    # an extra strategy the binaries list shows up as a column
    doc = synth(seed=5, extra_strategy="shadow")
    r, text, d = run(doc, tmp, "extra")
    tabs = tables_after(text, "### TCP_STREAM")
    check(bool(tabs) and "shadow" in tabs[0][0], "extra strategy reported as a column")
    # garbage input
    d = os.path.join(tmp, "bad")
    os.makedirs(d)
    with open(os.path.join(d, "results.json"), "w") as f:
        f.write("{not json")
    c = subprocess.run([sys.executable, GEN, "--results", os.path.join(d, "results.json"), "--no-plots"],
                       capture_output=True, text=True, timeout=60)
    check(c.returncode == 2, "bad json: exit 2")


def main():
    tmp = tempfile.mkdtemp(prefix="vfb-report-test-")
    try:
        test_complete(tmp)
        test_missing_and_zero(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("all report checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
