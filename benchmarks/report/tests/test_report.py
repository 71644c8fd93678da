#!/usr/bin/env python3
"""Every report section rendered from a small recorded results.json (fixtures/results-small.json:
a real `benchmarks/run.sh --quick` run cut down to three strategies and two modes), plus the
same document with fields other parts of the project add (attack figures, busy cycles,
Linux IOMMU modes from the test bed) and without the optional ones.

The expected figures are recomputed here from the fixture's records, not copied from a
previous output.
"""
import copy
import json
import os
import statistics
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from vfreport import model, records, sections, stats  # noqa: E402
from vfreport.sections import (header, summary, netperf, paper, sensitivity, micro,  # noqa: E402
                               protection, peers, realpeers, modeled, testbed, dut)

FIXTURE = os.path.join(HERE, "fixtures", "results-small.json")
PUB = os.path.join(HERE, "..", "..", "published.json")


def load():
    with open(FIXTURE) as f:
        return json.load(f)


def pub():
    with open(PUB) as f:
        return json.load(f)


def render(mod, doc, plots=None, testbed_md=None):
    return "\n".join(mod.render(sections.Ctx(model.Results(doc), pub(), plots or {}, testbed_md)))


def tables(text, heading):
    """Markdown tables (lists of rows of cells) after the line starting with heading, until the
    next heading of the same or a higher level."""
    lines = text.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.startswith(heading))
    level = len(heading) - len(heading.lstrip("#"))
    out, cur = [], None
    for ln in lines[i + 1:]:
        if ln.startswith("#") and len(ln) - len(ln.lstrip("#")) <= level:
            break
        if ln.startswith("|"):
            cells = [c.strip() for c in ln.strip().strip("|").split("|")]
            if not all(set(c) <= set("-") for c in cells):
                cur = (cur or []) + [cells]
        elif cur is not None:
            out.append(cur)
            cur = None
    if cur is not None:
        out.append(cur)
    return out


def grid(tbl):
    return {row[0]: dict(zip(tbl[0][1:], row[1:])) for row in tbl[1:]}


def values(doc, s, m, w, kind="matrix", inv=None):
    out = []
    for r in doc["records"]:
        if r.get("kind") == kind and r.get("strategy") == s and r.get("mode") == m and r.get("workload") == w \
                and (inv is None or r.get("inv_latency_ns") == inv):
            out.append(r["goodput_gbps"] * 1000.0 if w == "TCP_STREAM" else r["transactions_per_s"])
    return out


def with_new_fields(doc):
    """The fixture plus what vfdev (attack, busy cycles) and tbed (Linux modes) add."""
    d = copy.deepcopy(doc)
    for r in d["records"]:
        if r.get("kind") in ("matrix", "sensitivity"):
            s = r["strategy"]
            r["attack_attempts"] = 100
            r["attack_successes"] = {"off": 100, "optimistic": 3}.get(s, 0)
            r["appliance_busy_cycles"] = 1.3e9 * (2 if s == "strict" else 1)
            r["tsc_hz"] = 2.6e9
    d["records"] += [
        {"kind": "testbed", "testbed_kind": "linux", "linux_iommu_mode": "off", "goodput_gbps": 4.0},
        # as tests/testbed/scenarios/linuxte.sh reports them (tb_result name=linux-iperf3 mode= bps=)
        {"kind": "testbed", "name": "linux-iperf3", "mode": "strict", "bps": 1e9},
        {"kind": "testbed", "name": "linux-iperf3", "mode": "lazy", "bps": 3e9},
        {"kind": "testbed", "name": "linux-sockperf", "mode": "lazy", "tps": 5000.0},
        {"kind": "testbed", "name": "probe", "mode": "trap-and-emulate (real QEMU VT-d)", "bps": 1e9},
    ]
    return d


def minimal(doc):
    """Only what every vfapp record always had: no optional field at all."""
    keep = ("kind", "strategy", "mode", "workload", "repetition", "goodput_gbps", "transactions_per_s")
    d = {"schema": doc["schema"], "records": []}
    for r in doc["records"]:
        if r.get("kind") == "matrix":
            d["records"].append({k: v for k, v in r.items() if k in keep})
    return d


class Fixture(unittest.TestCase):
    def test_fixture_is_a_recorded_run(self):
        doc = load()
        self.assertEqual(doc["schema"], model.SCHEMA)
        kinds = {r.get("kind") for r in doc["records"]}
        for k in ("matrix", "sensitivity", "microbench", "peer", "realpeer", "irq"):
            self.assertIn(k, kinds)


class Sections(unittest.TestCase):
    def setUp(self):
        self.doc = load()
        self.res = model.Results(self.doc)

    def test_netperf_ci_cells(self):
        text = render(netperf, self.doc)
        for w in ("TCP_STREAM", "UDP_RR"):
            g = grid(tables(text, f"### {w}")[0])
            for s in self.res.strategies:
                for m in self.res.modes:
                    vals = values(self.doc, s, m, w)
                    c = stats.confidence(vals, 99)
                    cell = g[model.MODE_LABEL[m]][s]
                    self.assertIn(model.fmt(c["mean"]), cell, f"{s}/{m}/{w} mean")
                    self.assertIn(f"±{c['half_pct']:.1f} %", cell, f"{s}/{m}/{w} CI")
                    self.assertIn(f"n={len(vals)}", cell)
                    self.assertEqual("**NC**" in cell, c["width_pct"] > 5.0, f"{s}/{m}/{w} NC mark")
        self.assertIn("p50 / p90 / p99 / p99.9", text)
        self.assertIn("No service demand", text)     # the recorded run predates busy cycles

    def test_service_demand_when_present(self):
        d = with_new_fields(self.doc)
        text = render(netperf, d)
        g = grid(tables(text, "### TCP_STREAM")[1])
        r = next(r for r in d["records"] if r.get("kind") == "matrix" and r["strategy"] == "strict"
                 and r["mode"] == "native" and r["workload"] == "TCP_STREAM")
        sds = [model.service_demand(x) for x in d["records"] if x.get("kind") == "matrix" and
               x["strategy"] == "strict" and x["mode"] == "native" and x["workload"] == "TCP_STREAM"]
        self.assertTrue(g["Bare metal (native)"]["strict"].startswith(f"{statistics.mean(sds):.3f}"))
        # 0.5 s busy over bytes_measured
        self.assertAlmostEqual(model.service_demand(r),
                               1e6 / (r["tcp"]["bytes_measured"] / 1024.0), places=6)

    def test_paper_percentages(self):
        text = render(paper, self.doc)
        base = statistics.median(values(self.doc, "off", "native", "TCP_STREAM"))
        g = grid(tables(text, "### TCP_STREAM in % of off/native")[0])
        for s in self.res.strategies:
            for m in self.res.modes:
                p = 100.0 * statistics.median(values(self.doc, s, m, "TCP_STREAM")) / base
                self.assertEqual(g[model.MODE_LABEL[m]][s], model.pct_txt(p), f"{s}/{m}")
        self.assertIn("secure paper TCP", text)
        self.assertIn("not in this run", text)        # no Linux rows without the test bed

    def test_linux_rows_beside_paper(self):
        text = render(paper, with_new_fields(self.doc))
        t = tables(text, "### Beside the vIOMMU paper")[1]
        g = grid(t)
        self.assertEqual(g["Linux strict"]["% of base"], "25 %")
        self.assertEqual(g["Linux lazy"]["% of base"], "75 %")

    def test_summary_without_attack_figures(self):
        text = render(summary, self.doc)
        self.assertTrue(text.startswith("# vfmgr benchmark report"))
        g = {(r[0], r[1]): r for r in tables(text, "## Summary")[0][1:]}
        for m in self.res.modes:
            best = max((s for s in self.res.strategies if s != "off"),
                       key=lambda s: statistics.median(values(self.doc, s, m, "TCP_STREAM")))
            self.assertEqual(g[("TCP_STREAM", model.MODE_LABEL[m])][2], f"**{best}**")
        self.assertIn("attack figures absent", text)

    def test_summary_with_attack_figures(self):
        d = with_new_fields(self.doc)
        text = render(summary, d)
        g = {(r[0], r[1]): r for r in tables(text, "## Summary")[0][1:]}
        # optimistic had attack successes: only strict is safe
        for m in self.res.modes:
            self.assertEqual(g[("TCP_STREAM", model.MODE_LABEL[m])][2], "**strict**")
            self.assertEqual(g[("TCP_STREAM", model.MODE_LABEL[m])][4], "only candidate")
        self.assertIn("0 attack successes", text)

    def test_protection(self):
        text = render(protection, self.doc)
        rows = tables(text, "## 5.")[0]
        off = [r for r in rows if r[1] == "off"]
        self.assertTrue(off and all(r[2] == protection.OFF_TEXT for r in off))
        self.assertIn("No attack figures", text)
        text = render(protection, with_new_fields(self.doc))
        rows = tables(text, "## 5.")[0]
        n_nat = len([r for r in self.doc["records"] if r.get("kind") == "matrix" and r["strategy"] == "optimistic"
                     and r["mode"] == "native"])
        opt = next(r for r in rows if r[0] == "Bare metal (native)" and r[1] == "optimistic")
        self.assertEqual(opt[-1], f"{3 * n_nat} / {100 * n_nat}")

    def test_sensitivity(self):
        text = render(sensitivity, self.doc, plots={"sensitivity": "sensitivity.png"})
        t = tables(text, "## 3.")[0]
        pts = sorted({r["inv_latency_ns"] for r in self.doc["records"] if r.get("kind") == "sensitivity"})
        self.assertEqual(t[0][1:], [f"{p:g} ns" for p in pts])
        g = grid(t)
        for s in self.res.strategies:
            for p in pts:
                v = statistics.median(values(self.doc, s, "native", "TCP_STREAM", "sensitivity", p))
                self.assertTrue(g[s][f"{p:g} ns"].startswith(model.fmt(v)), f"{s} {p}")
        self.assertIn("![sensitivity", text)

    def test_micro(self):
        text = render(micro, self.doc)
        rows = tables(text, "## 4.")[0]
        strict_nat = next(r for r in rows if r[0] == "Bare metal (native)" and r[1] == "strict")
        mc = statistics.median([r["map_cycles"] for r in self.doc["records"] if r.get("kind") == "microbench"
                                and r["strategy"] == "strict" and r["mode"] == "native"])
        self.assertEqual(strict_nat[2], f"{mc:.0f}")
        self.assertEqual(strict_nat[-1], "2316 / 4593 / 6909")

    def test_peers_and_realpeers(self):
        text = render(peers, self.doc)
        self.assertIn("testpmd io", text)
        self.assertIn("sockperf ping-pong", text)
        text = render(realpeers, self.doc)
        self.assertIn("iperf3 TCP Gbit/s", text)
        self.assertTrue(any(r[0].startswith("vfapp-") for r in tables(text, "## 7.")[0][1:]))

    def test_dut_ratios_scaling_and_callgrind(self):
        # as benchmarks/peers/l3fwd.sh and fwd-callgrind.sh print them
        d = copy.deepcopy(self.doc)
        mp = {("l3fwd-lpm", "lpm", 1, 64): 0.8, ("l3fwd-lpm", "lpm", 2, 64): 1.2,
              ("vfapp", "fwd", 1, 64): 0.72, ("vfapp", "fwd", 2, 64): 0.9,
              ("vfapp", "fwd-plain-pool", 1, 64): 0.76,
              ("l3fwd-lpm", "lpm", 1, 1500): 0.5, ("vfapp", "fwd", 1, 1500): 0.55}
        for (tool, mode, lc, sz), v in mp.items():
            d["records"].append({"kind": "dut", "tool": tool, "fwd_mode": mode, "lcores": lc,
                                 "pkt_size": sz, "mpps": v})
        d["records"] += [
            {"kind": "callgrind", "tool": "l3fwd-lpm", "pkt_size": 64, "ir_per_pkt": 400.0,
             "ir_raw_per_pkt": 800.0, "burst": 0.5, "groups": {"memif PMD": 310.0, "l3fwd": 90.0}},
            {"kind": "callgrind", "tool": "vfapp", "pkt_size": 64, "ir_per_pkt": 500.0,
             "ir_raw_per_pkt": 600.0, "burst": 2.0, "groups": {"memif PMD": 300.0, "vfapp": 200.0}}]
        text = render(dut, d)
        t = tables(text, "## Forwarders on the same ports")
        g = grid(t[0])
        # the reference is vfapp fwd on 1 lcore, never the plain-pool variant
        self.assertEqual(g["l3fwd-lpm lpm (1 lcore)"]["vfapp 1 lcore / this (64 B)"], "%.2f" % (0.72 / 0.8))
        self.assertEqual(g["l3fwd-lpm lpm (1 lcore)"]["vfapp 1 lcore / this (1500 B)"], "%.2f" % (0.55 / 0.5))
        self.assertEqual(g["vfapp fwd-plain-pool (1 lcore)"]["vfapp 1 lcore / this (64 B)"], "%.2f" % (0.72 / 0.76))
        # scaling: N-lcore rate / the same forwarder's 1-lcore rate
        self.assertEqual(g["vfapp fwd (2 lcores)"]["x lcores (64 B)"], "%.2f" % (0.9 / 0.72))
        self.assertEqual(g["l3fwd-lpm lpm (2 lcores)"]["x lcores (64 B)"], "%.2f" % (1.2 / 0.8))
        self.assertEqual(g["vfapp fwd (1 lcore)"]["x lcores (64 B)"], "n/a")
        self.assertEqual(g["l3fwd-lpm lpm (2 lcores)"]["64 B Mpps"], "1.200")
        c = tables(text, "### Where the instructions go")[0]
        self.assertEqual(c[0][:6], ["DUT", "size B", "Ir/packet", "/ l3fwd-lpm", "raw Ir/packet", "burst"])
        vf = next(r for r in c[1:] if r[0] == "vfapp")
        self.assertEqual(vf[2:6], ["500", "1.25", "600", "2.00"])
        self.assertEqual(dict(zip(c[0], vf))["memif PMD"], "300")
        self.assertEqual(dict(zip(c[0], vf))["l3fwd"], "n/a")
        # without any dut or callgrind record the section is empty
        self.assertEqual(render(dut, self.doc).strip(), "")

    def test_dut_paired_repetitions(self):
        # l3fwd.sh --repetitions 3: the table shows medians, the pairs line per-repetition ratios
        d = copy.deepcopy(self.doc)
        runs = [(1, 10.0, 12.0), (2, 11.0, 11.0), (3, 9.0, 13.5)]
        for rep, l3, vf in runs:
            for tool, mode, v in (("l3fwd-lpm", "lpm", l3), ("vfapp", "fwd", vf)):
                d["records"].append({"kind": "dut", "tool": tool, "fwd_mode": mode, "lcores": 1,
                                     "pkt_size": 64, "mpps": v, "repetition": rep})
        # a 2-lcore run of repetition 1 and a plain-pool run are not pair members
        d["records"].append({"kind": "dut", "tool": "vfapp", "fwd_mode": "fwd", "lcores": 2,
                             "pkt_size": 64, "mpps": 30.0, "repetition": 1})
        d["records"].append({"kind": "dut", "tool": "vfapp", "fwd_mode": "fwd-plain-pool",
                             "lcores": 1, "pkt_size": 64, "mpps": 1.0, "repetition": 2})
        text = render(dut, d)
        g = grid(tables(text, "## Forwarders on the same ports")[0])
        self.assertEqual(g["vfapp fwd (1 lcore)"]["64 B Mpps"], "12.000")
        self.assertEqual(g["l3fwd-lpm lpm (1 lcore)"]["64 B Mpps"], "10.000")
        self.assertIn("64 B: vfapp fwd / l3fwd-lpm, one lcore, paired by repetition: median "
                      "**1.20** (min 1.00, max 1.50, 3 pairs)", text)

    def test_attack_pass_records_win(self):
        d = with_new_fields(self.doc)
        # the attack pass (kind attack) says optimistic is safe in native mode: it is used, not
        # the matrix records' figures
        d["records"].append({"kind": "attack", "strategy": "optimistic", "mode": "native",
                             "workload": "fwd", "attack_attempts": 50, "attack_successes": 0})
        res = model.Results(d)
        self.assertEqual(res.attack("optimistic", "native"), (50, 0))
        self.assertTrue(res.safe("optimistic", "native"))
        self.assertFalse(res.safe("optimistic", "sidecore"))   # matrix figures: 3 successes
        self.assertFalse(res.safe("off", "native"))
        text = render(protection, d)
        self.assertIn("the attack pass", text)

    def test_modeled_lists_interrupt_delivery(self):
        text = render(modeled, self.doc)
        i_mod = text.index("**Modeled (with their parameters):**")
        i_irq = text.index("### Interrupt delivery")
        self.assertLess(i_mod, i_irq)
        self.assertIn("`inv_latency_ns`", text)
        rows = tables(text, "### Interrupt delivery")[0][1:]
        self.assertEqual({r[0] for r in rows}, {"poll", "posted", "remapped"})
        self.assertIn("did not run in this run", text)   # the fixture predates the MSI-X chain
        # on the vfdev wire: the executed chain, the one modeled parameter, and the device's
        # interrupt attacks per remapping setting
        d = copy.deepcopy(self.doc)
        irq = [r for r in d["records"] if r.get("kind") == "irq"]
        for r in irq:
            r["wire"] = "vfdev"
            if r.get("rx_mode") != "poll":
                r["irq_chain"] = "vfdev-msix"
                r["intremap"] = True
                r["irq_attacks"] = {"forged_sid": {"attempts": 6, "blocked": 6, "delivered": 0}}
        off = copy.deepcopy(next(r for r in irq if r.get("rx_mode") == "posted"))
        off["intremap"] = False
        off["irq_attacks"] = {"forged_sid": {"attempts": 5, "blocked": 0, "delivered": 5}}
        d["records"].append(off)
        text = render(modeled, d)
        self.assertIn("interrupt remapping (lib/iova)", text)
        self.assertIn("**Modeled:** the cost of a VM exit", text)
        n_on = len([r for r in irq if r.get("rx_mode") != "poll"])
        rows = tables(text, "### Interrupt delivery")[0][1:]
        self.assertIn(("posted", "off"), {(r[0], r[1]) for r in rows})
        self.assertIn(("poll", "-"), {(r[0], r[1]) for r in rows})
        att = tables(text, "### Interrupt delivery")[1]
        self.assertEqual(att[1:], [["off", "forged_sid", "5", "0", "5"],
                                   ["on", "forged_sid", str(6 * n_on), str(6 * n_on), "0"]])

    def test_header_and_testbed(self):
        text = render(header, self.doc)
        self.assertIn("-I 99,5 -i 3,3", text)
        self.assertIn("CPU placement of every thread", text)
        self.assertEqual(render(testbed, self.doc), "")
        with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False) as f:
            f.write("# Test bed\n\nhello from the test bed\n")
        try:
            text = render(testbed, self.doc, testbed_md=f.name)
            self.assertIn("### Test bed", text)
            self.assertIn("hello from the test bed", text)
        finally:
            os.unlink(f.name)

    def test_every_section_without_optional_fields(self):
        d = minimal(self.doc)
        text = sections.render(sections.Ctx(model.Results(d), None, {}, None))
        for h in ("## Summary", "## 1.", "## 2.", "## 3.", "## 4.", "## 5.", "## 8."):
            self.assertIn(h, text)
        self.assertIn("_Not measured in this run._", text)

    def test_missing_and_zero_cells(self):
        d = copy.deepcopy(self.doc)
        d["records"] = [r for r in d["records"] if not (r.get("kind") == "matrix" and r["strategy"] == "strict"
                                                        and r["mode"] == "sidecore" and r["workload"] == "UDP_RR")]
        for r in d["records"]:
            if r.get("kind") == "matrix" and r["strategy"] == "optimistic" and r["workload"] == "TCP_STREAM" \
                    and r["mode"] == "native":
                r["goodput_gbps"] = 0.0
        res = model.Results(d)
        self.assertEqual(sorted(res.problems()), [("optimistic", "native", "TCP_STREAM", "zero"),
                                                  ("strict", "sidecore", "UDP_RR", "missing")])
        text = render(netperf, d)
        self.assertIn("**MISSING**", text)
        self.assertIn("**ZERO**", text)


class Cli(unittest.TestCase):
    def run_cli(self, *args):
        env = dict(os.environ, PYTHONPATH=os.path.join(HERE, ".."))
        return subprocess.run([sys.executable, "-m", "vfreport"] + list(args), capture_output=True,
                              text=True, env=env, timeout=300)

    def test_report_and_plots(self):
        with tempfile.TemporaryDirectory() as tmp:
            p = os.path.join(tmp, "results.json")
            with open(p, "w") as f:
                json.dump(with_new_fields(load()), f)
            r = self.run_cli("report", "--results", p, "--published", PUB)
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(tmp, "report.md")) as f:
                text = f.read()
            for png in ("pct_TCP_STREAM.png", "pct_UDP_RR.png", "micro.png", "latency.png", "irq.png",
                        "sensitivity.png"):
                with open(os.path.join(tmp, png), "rb") as f:
                    self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n", png)
                self.assertIn(f"]({png})", text)
            self.assertEqual(self.run_cli("check", p).returncode, 0)

    def test_check_flags_missing(self):
        d = load()
        d["records"] = [r for r in d["records"] if not (r.get("kind") == "matrix" and r["strategy"] == "off")]
        with tempfile.TemporaryDirectory() as tmp:
            p = os.path.join(tmp, "results.json")
            with open(p, "w") as f:
                json.dump(d, f)
            r = self.run_cli("check", p)
            self.assertEqual(r.returncode, 3)
            self.assertIn("cell off native TCP_STREAM: missing", r.stdout)
            r = self.run_cli("report", "--results", p, "--no-plots")
            self.assertEqual(r.returncode, 3)

    def test_pending_is_netperf_iteration(self):
        with tempfile.TemporaryDirectory() as tmp:
            recf = os.path.join(tmp, "records.jsonl")
            rs = [{"kind": "matrix", "strategy": "a", "mode": "native", "workload": "UDP_RR",
                   "transactions_per_s": v} for v in (100.0, 100.2, 99.8)]          # converged
            rs += [{"kind": "matrix", "strategy": "b", "mode": "native", "workload": "UDP_RR",
                    "transactions_per_s": v} for v in (100.0, 150.0, 60.0)]         # wide
            rs += [{"kind": "matrix", "strategy": "c", "mode": "native", "workload": "UDP_RR",
                    "transactions_per_s": 100.0}]                                    # below MIN
            with open(recf, "w") as f:
                f.write("".join(json.dumps(r) + "\n" for r in rs))
            cells = [f"matrix:{s}:native:UDP_RR" for s in "abcd"]
            r = self.run_cli("pending", "--records", recf, "--max", "10", "--min", "3", *cells)
            self.assertEqual(r.stdout.split(), ["matrix:b:native:UDP_RR", "matrix:c:native:UDP_RR",
                                                "matrix:d:native:UDP_RR"])
            r = self.run_cli("pending", "--records", recf, "--max", "3", "--min", "3", *cells)
            self.assertEqual(r.stdout.split(), ["matrix:c:native:UDP_RR", "matrix:d:native:UDP_RR"])

    def test_record_and_results(self):
        with tempfile.TemporaryDirectory() as tmp:
            log = os.path.join(tmp, "run.log")
            with open(log, "w") as f:
                f.write("vfapp: noise\n{\"workload\": \"UDP_RR\", \"strategy\": \"off\", \"mode\": \"native\", "
                        "\"transactions_per_s\": 0}\n")
            recf, errf = os.path.join(tmp, "r.jsonl"), os.path.join(tmp, "e.jsonl")
            open(errf, "w").close()
            self.assertEqual(self.run_cli("record", "--log", log, "--kind", "matrix", "--records", recf,
                                          "--nonzero").returncode, 3)
            self.assertFalse(os.path.exists(recf))
            with open(log, "a") as f:
                f.write("{\"workload\": \"UDP_RR\", \"strategy\": \"off\", \"mode\": \"native\", "
                        "\"transactions_per_s\": 1234.0}\n")
            for _ in range(3):
                r = self.run_cli("record", "--log", log, "--kind", "matrix", "--records", recf, "--nonzero",
                                 "--extra", "{\"loadavg\": [0.5, 0.4, 0.3]}")
                self.assertEqual((r.returncode, r.stdout.strip()), (0, "1234 trans/s"))
            r = self.run_cli("results", "--out", tmp, "--records", recf, "--errors", errf,
                             "--set", "inv_latency_ns=700", "--list", "strategies=off", "--list", "modes=native",
                             "--list", "workloads=UDP_RR", "--set", "vfapp_args=--pool-size 4095")
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(os.path.join(tmp, "results.json")) as f:
                doc = json.load(f)
            self.assertEqual(doc["parameters"]["inv_latency_ns"], 700)
            self.assertEqual(doc["parameters"]["vfapp_args"], "--pool-size 4095")
            c = doc["cells"][0]
            self.assertEqual((c["n"], c["mean"], c["ci_half"], c["converged"]), (3, 1234.0, 0.0, True))
            self.assertEqual(doc["not_converged"], [])

    def test_busy_refuses_with_message(self):
        r = self.run_cli("busy", "--max-load", "-1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("--force", r.stderr)
        self.assertEqual(self.run_cli("busy", "--max-load", "100000").returncode, 0)

    def test_placement_of_this_process(self):
        r = self.run_cli("placement", "--pid", str(os.getpid()))
        th = json.loads(r.stdout)
        self.assertTrue(any(t["pid"] == os.getpid() for t in th))
        self.assertTrue(all("cpus_allowed" in t and "last_cpu" in t for t in th))

    def test_compare_two_runs(self):
        a = load()
        b = copy.deepcopy(a)
        for r in b["records"]:
            if r.get("kind") == "matrix" and r["strategy"] == "strict" and r["workload"] == "TCP_STREAM":
                r["goodput_gbps"] *= 1.25
        with tempfile.TemporaryDirectory() as tmp:
            pa, pb = os.path.join(tmp, "a.json"), os.path.join(tmp, "b.json")
            for p, d in ((pa, a), (pb, b)):
                with open(p, "w") as f:
                    json.dump(d, f)
            r = self.run_cli("compare", pa, pb, "--cells", "off:native:TCP_STREAM,optimistic:native:TCP_STREAM")
            self.assertEqual(r.returncode, 0, r.stdout)
            self.assertIn("2 of 2 cells within ±10 %", r.stdout)
            r = self.run_cli("compare", pa, pb, "--cells", "off:native:TCP_STREAM,strict:native:TCP_STREAM")
            self.assertEqual(r.returncode, 4)
            line = next(ln for ln in r.stdout.splitlines() if ln.startswith("strict/native/TCP_STREAM"))
            self.assertIn("+25.0", line)
            self.assertIn("OUTSIDE", line)

    def test_names_come_from_vfapp(self):
        from vfreport import names
        with tempfile.TemporaryDirectory() as tmp:
            fake = os.path.join(tmp, "vfapp")
            with open(fake, "w") as f:
                f.write('#!/bin/sh\ncase $1 in --list-strategies) printf "off\\nstrict\\nnewone\\n" ;;'
                        ' --list-modes) echo native ;; *) exit 2 ;; esac\n')
            os.chmod(fake, 0o755)
            self.assertEqual(names.from_vfapp(fake, "strategies"), ["off", "strict", "newone"])
            self.assertEqual(names.listed(fake, "modes"), (["native"], "--list-modes"))
            with self.assertRaises(RuntimeError):
                names.from_vfapp("/bin/false", "modes")
            r = self.run_cli("names", "--vfapp", fake, "strategies")
            self.assertEqual(r.stdout.split(), ["off", "strict", "newone"])

    def test_testbed_and_microbench_import(self):
        with tempfile.TemporaryDirectory() as tmp:
            tb = os.path.join(tmp, "testbed.json")
            with open(tb, "w") as f:
                json.dump({"records": [{"kind": "linux", "linux_iommu_mode": "strict", "goodput_gbps": 1.0}]}, f)
            recs = records.testbed_records(tb)
            self.assertEqual(recs, [{"kind": "testbed", "testbed_kind": "linux", "linux_iommu_mode": "strict",
                                     "goodput_gbps": 1.0}])
            ml = os.path.join(tmp, "m.log")
            with open(ml, "w") as f:
                f.write('{"kind": "machine", "tsc_hz": 2.5e9}\n{"kind": "microbench", "strategy": "off"}\nx\n')
            recs, tsc = records.microbench_records(ml)
            self.assertEqual((len(recs), tsc), (1, 2.5e9))


if __name__ == "__main__":
    unittest.main()
