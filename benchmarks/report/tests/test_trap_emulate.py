#!/usr/bin/env python3
"""The trap & emulate section end to end from rows.py-shaped rows: tests/testbed/te_table.py
joins them (percent of the no-IOMMU row of the same stack, per-packet invalidations as rows.py
computed them, the paper's figure per strategy), vfreport re-kinds testbed-te.json like
run.sh does and sections/trap_emulate.py renders the table. Expected figures are recomputed
here from the input rows."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.join(HERE, "..", "..", "..")
sys.path.insert(0, os.path.join(HERE, ".."))
from vfreport import model, records, sections  # noqa: E402
from vfreport.sections import trap_emulate  # noqa: E402

PUB = os.path.join(TOP, "benchmarks", "published.json")
TE = os.path.join(TOP, "tests", "testbed", "te_table.py")


def row(name, bps=None, tps=None, packets=100, inv=50, **kw):
    r = {"kind": "testbed", "testbed_kind": "trap-emulate", "name": name, "packets": packets,
         "invalidations": inv, "invalidations_per_packet": round(inv / packets, 4)}
    if bps is not None:
        r["bps"] = bps
    if tps is not None:
        r["tps"] = tps
    r.update(kw)
    return r


class TrapEmulate(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.work = os.path.join(self.tmp.name, "work")
        self.lin = {"strict": (10e6, 100.0, 30), "lazy": (12e6, 110.0, 20), "pt": (35e6, 300.0, 0),
                    "off": (40e6, 400.0, 0)}
        for cfg, (bps, tps, inv) in self.lin.items():
            d = os.path.join(self.work, "linux-" + cfg)
            os.makedirs(d)
            recs = [{"name": "linux-mode", "policy": "strict" if cfg != "lazy" else "lazy"},
                    row("linux-iperf3", bps=bps, inv=inv, mode=cfg), row("linux-sockperf", tps=tps, inv=inv, mode=cfg)]
            json.dump({"records": recs}, open(os.path.join(d, "rows.json"), "w"))
        self.app = {"off": (20e6, 200.0, 1), "strict": (5e6, 50.0, 300), "optimistic": (15e6, 150.0, 10)}
        d = os.path.join(self.work, "appte")
        os.makedirs(d)
        recs = []
        for s, (bps, tps, inv) in self.app.items():
            recs += [row("app-iperf3", bps=bps, inv=inv, strategy=s), row("app-sockperf", tps=tps, inv=inv, strategy=s)]
        json.dump({"records": recs}, open(os.path.join(d, "rows.json"), "w"))
        subprocess.run([sys.executable, TE, "--work", self.work, "--out", self.tmp.name, "--quick", "1",
                        "--seconds", "1", "--published", PUB], check=True, capture_output=True)
        self.doc = json.load(open(os.path.join(self.tmp.name, "testbed-te.json")))

    def tearDown(self):
        self.tmp.cleanup()

    def summary(self, stack, cfg):
        return next(r for r in self.doc["records"] if r["kind"] == "trap-emulate-summary"
                    and r["stack"] == stack and r["config"] == cfg)

    def test_percent_of_own_no_iommu_row(self):
        for cfg, (bps, tps, _) in self.lin.items():
            s = self.summary("linux", cfg)
            self.assertAlmostEqual(s["tcp_pct"], round(100 * bps / self.lin["off"][0], 1))
            self.assertAlmostEqual(s["rr_pct"], round(100 * tps / self.lin["off"][1], 1))
        for st, (bps, tps, inv) in self.app.items():
            s = self.summary("vfapp", st)
            self.assertAlmostEqual(s["tcp_pct"], round(100 * bps / self.app["off"][0], 1))
            self.assertAlmostEqual(s["tcp_inv_per_packet"], round(inv / 100, 4))

    def test_paper_figures_per_strategy(self):
        te = json.load(open(PUB))["viommu_tcp_stream_pct"]["trap-and-emulate"]
        self.assertEqual(self.summary("linux", "strict")["paper_te_tcp_pct"], te["strict"])
        self.assertEqual(self.summary("linux", "lazy")["paper_te_tcp_pct"], te["deferred"])
        self.assertEqual(self.summary("vfapp", "optimistic")["paper_te_tcp_pct"], te["optimistic"])
        self.assertIsNone(self.summary("linux", "pt")["paper_te_tcp_pct"])

    def test_section_renders_every_row(self):
        tbj = os.path.join(self.tmp.name, "testbed-te.json")
        recs = records.testbed_records(tbj)
        res = model.Results({"records": recs})
        text = "\n".join(trap_emulate.render(sections.Ctx(res, json.load(open(PUB)))))
        self.assertIn("Trap & emulate, measured", text)
        lines = [ln for ln in text.splitlines() if ln.startswith("| Linux") or ln.startswith("| vfapp")]
        self.assertEqual(len(lines), len(self.lin) + len(self.app))
        strict = next(ln for ln in lines if "iommu.strict=1" in ln)
        self.assertIn(model.pct_txt(100 * self.lin["strict"][0] / self.lin["off"][0]), strict)
        # the Linux rows also reach the paper section's "Linux's own IOMMU modes" table
        self.assertTrue(any(r.get("name") == "linux-iperf3" and r.get("linux_iommu_mode") == "lazy" for r in recs))

    def test_quick_pt_row_from_the_vfapp_boot(self):
        """run-te.sh --quick: no linux-pt boot; appte.sh's linux_pt rows (rows.py keeps the
        guest's mode as linux_mode) stand for it, marked as measured in the vfapp boot."""
        os.rename(os.path.join(self.work, "linux-pt"), os.path.join(self.tmp.name, "gone"))
        path = os.path.join(self.work, "appte", "rows.json")
        recs = json.load(open(path))["records"]
        bps, tps, inv = 33e6, 330.0, 0
        recs += [{"name": "linux-mode", "linux_mode": "pt", "domain_type": "identity", "policy": "none"},
                 row("linux-iperf3", bps=bps, inv=inv, linux_mode="pt"),
                 row("linux-sockperf", tps=tps, inv=inv, linux_mode="pt")]
        json.dump({"records": recs}, open(path, "w"))
        out = os.path.join(self.tmp.name, "q")
        os.makedirs(out)
        r = subprocess.run([sys.executable, TE, "--work", self.work, "--out", out, "--quick", "1",
                            "--published", PUB], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.load(open(os.path.join(out, "testbed-te.json")))
        pt = next(x for x in doc["records"] if x["kind"] == "trap-emulate-summary"
                  and x["stack"] == "linux" and x["config"] == "pt")
        self.assertEqual(pt["boot"], "appte")
        tcp = next(x for x in doc["records"] if x["kind"] == "trap-emulate" and x["stack"] == "linux"
                   and x["config"] == "pt" and x["workload"] == "iperf3")
        self.assertEqual(tcp["domain_type"], "identity")  # the appte boot's linux-mode row
        self.assertAlmostEqual(pt["tcp_pct"], round(100 * bps / self.lin["off"][0], 1))
        self.assertAlmostEqual(pt["rr_pct"], round(100 * tps / self.lin["off"][1], 1))
        # the vfapp rows of the same boot are unchanged
        self.assertEqual(sorted(x["config"] for x in doc["records"] if x["kind"] == "trap-emulate-summary"
                                and x["stack"] == "vfapp"), sorted(self.app))
        res = model.Results({"records": records.testbed_records(os.path.join(out, "testbed-te.json"))})
        text = "\n".join(trap_emulate.render(sections.Ctx(res, json.load(open(PUB)))))
        ptline = next(ln for ln in text.splitlines() if "iommu=pt" in ln)
        self.assertIn("measured in the vfapp boot", ptline)
        self.assertNotIn("vfapp boot", next(ln for ln in text.splitlines() if "iommu.strict=1" in ln))

    def test_own_boot_wins_over_the_vfapp_boot(self):
        path = os.path.join(self.work, "appte", "rows.json")
        recs = json.load(open(path))["records"]
        recs += [row("linux-iperf3", bps=1e6, inv=0, linux_mode="pt")]
        json.dump({"records": recs}, open(path, "w"))
        subprocess.run([sys.executable, TE, "--work", self.work, "--out", self.tmp.name],
                       check=True, capture_output=True)
        doc = json.load(open(os.path.join(self.tmp.name, "testbed-te.json")))
        pt = [x for x in doc["records"] if x["kind"] == "trap-emulate" and x["stack"] == "linux"
              and x["config"] == "pt" and x["workload"] == "iperf3"]
        self.assertEqual(len(pt), 1)
        self.assertEqual(pt[0]["boot"], "linux-pt")
        self.assertEqual(pt[0]["bps"], self.lin["pt"][0])

    def test_missing_linux_row_fails(self):
        os.rename(os.path.join(self.work, "linux-pt"), os.path.join(self.tmp.name, "gone"))
        r = subprocess.run([sys.executable, TE, "--work", self.work, "--out", self.tmp.name],
                           capture_output=True, text=True)
        self.assertEqual(r.returncode, 1)
        self.assertIn("pt", r.stderr)


if __name__ == "__main__":
    unittest.main()
