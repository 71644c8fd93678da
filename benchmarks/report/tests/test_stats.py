#!/usr/bin/env python3
"""The confidence-interval arithmetic against known values (netperf's t tables, hand sums)."""
import math
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from vfreport import model, stats  # noqa: E402

# Two-sided Student-t quantiles as printed in netperf src/netlib.c confid() (3 decimals).
T99 = {1: 63.657, 2: 9.925, 3: 5.841, 4: 4.604, 5: 4.032, 6: 3.707, 7: 3.499, 8: 3.355, 9: 3.250,
       10: 3.169, 15: 2.947, 20: 2.845, 29: 2.756, 30: 2.750}
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 9: 2.262, 10: 2.228, 30: 2.042}


class TQuantile(unittest.TestCase):
    def test_netperf_table_99(self):
        for df, t in T99.items():
            self.assertAlmostEqual(stats.t_quantile_two_sided(0.99, df), t, delta=0.0006, msg=f"df {df}")

    def test_netperf_table_95(self):
        for df, t in T95.items():
            self.assertAlmostEqual(stats.t_quantile_two_sided(0.95, df), t, delta=0.0006, msg=f"df {df}")

    def test_large_df_tends_to_normal(self):
        self.assertAlmostEqual(stats.t_quantile_two_sided(0.99, 100000), 2.5758, delta=0.001)

    def test_bad_level(self):
        with self.assertRaises(ValueError):
            stats.t_quantile_two_sided(99, 3)
        with self.assertRaises(ValueError):
            stats.t_quantile_two_sided(0.99, 0)


class Confidence(unittest.TestCase):
    def test_three_values(self):
        # mean 10, sample sd 0.2, half = t99(2) * 0.2 / sqrt(3)
        c = stats.confidence([10.0, 10.2, 9.8], 99)
        self.assertEqual(c["n"], 3)
        self.assertAlmostEqual(c["mean"], 10.0)
        self.assertAlmostEqual(c["sd"], 0.2, places=9)
        self.assertAlmostEqual(c["half"], 9.925 * 0.2 / math.sqrt(3), delta=1e-3)
        self.assertAlmostEqual(c["half_pct"], 11.46, delta=0.01)
        self.assertAlmostEqual(c["width_pct"], 2 * c["half_pct"])

    def test_netperf_formula(self):
        # netperf: var = sum(x^2)/n - mean^2 ; width = 2 t sqrt(var/(n-1)) / mean
        vals = [1000.0, 1010.0, 990.0, 1005.0, 995.0]
        n = len(vals)
        mean = sum(vals) / n
        var = sum(v * v for v in vals) / n - mean * mean
        width = 2 * T99[n - 1] * math.sqrt(var / (n - 1)) / mean
        c = stats.confidence(vals, 99)
        self.assertAlmostEqual(c["width_pct"] / 100.0, width, delta=1e-5)
        # 99 % width 2.9 % of the mean: converged for -I 99,5 but not for -I 99,2
        self.assertTrue(stats.converged(vals, 99, 5.0))
        self.assertFalse(stats.converged(vals, 99, 2.0))

    def test_single_and_empty(self):
        self.assertIsNone(stats.confidence([5.0])["half"])
        self.assertEqual(stats.confidence([5.0])["mean"], 5.0)
        self.assertIsNone(stats.confidence([])["mean"])
        self.assertFalse(stats.converged([5.0]))

    def test_identical_values_converge(self):
        c = stats.confidence([7.0, 7.0, 7.0])
        self.assertEqual(c["half"], 0.0)
        self.assertTrue(stats.converged([7.0, 7.0, 7.0]))


class Iterations(unittest.TestCase):
    """netperf -I 99,5 -i 10,3."""

    def test_min_always_run(self):
        self.assertTrue(stats.need_more([], 10, 3))
        self.assertTrue(stats.need_more([5.0, 5.0], 10, 3))   # converged but fewer than MIN

    def test_stop_when_converged(self):
        # width 2 * 9.925 * 0.2 / sqrt(3) = 2.3 % of the mean <= 5 %; 0.5 instead of 0.2 gives 5.7 %
        self.assertFalse(stats.need_more([100.0, 100.2, 99.8], 10, 3))
        self.assertTrue(stats.need_more([100.0, 100.5, 99.5], 10, 3))

    def test_continue_until_max(self):
        wide = [100.0, 150.0, 60.0]
        self.assertTrue(stats.need_more(wide, 10, 3))
        self.assertFalse(stats.need_more(wide * 3 + [100.0], 10, 3))   # 10 values = MAX

    def test_clamp_like_netperf(self):
        self.assertEqual(stats.clamp_iterations(1, 1), (3, 3))
        self.assertEqual(stats.clamp_iterations(50, 2), (30, 3))
        self.assertEqual(stats.clamp_iterations(2, 5), (5, 5))


class ServiceDemand(unittest.TestCase):
    def test_stream_us_per_kb(self):
        # 1 s of busy cycles at 2.6 GHz over 10^6 KB = 1 µs/KB
        r = {"workload": "TCP_STREAM", "appliance_busy_cycles": 2.6e9, "tsc_hz": 2.6e9,
             "duration_s": 2.0, "goodput_gbps": 1.0, "tcp": {"bytes_measured": 1024 * 10 ** 6}}
        self.assertAlmostEqual(model.service_demand(r), 1.0)

    def test_stream_from_goodput(self):
        # no tcp.bytes_measured: bytes = goodput * duration / 8; 8.192 Gbit/s * 1 s = 10^6 KB
        r = {"workload": "TCP_STREAM", "appliance_busy_cycles": 1.3e9, "duration_s": 1.0,
             "goodput_gbps": 8.192}
        self.assertAlmostEqual(model.service_demand(r, tsc_hz=2.6e9), 0.5)

    def test_rr_us_per_transaction(self):
        r = {"workload": "UDP_RR", "appliance_busy_cycles": 2.6e8, "tsc_hz": 2.6e9,
             "duration_s": 1.0, "transactions_per_s": 50000.0, "udp_rr": {"transactions": 100000}}
        self.assertAlmostEqual(model.service_demand(r), 1.0)

    def test_unpreempted_cycles_preferred(self):
        # cycles/packet of the iterations the kernel did not preempt x packets, not the raw sum
        r = {"workload": "UDP_RR", "appliance_busy_cycles": 9e9, "appliance_cycles_per_pkt": 1300.0,
             "appliance_cycles_per_pkt_raw": 45000.0, "packets": 200000, "tsc_hz": 2.6e9,
             "udp_rr": {"transactions": 100000}}
        self.assertAlmostEqual(model.appliance_cycles(r), 2.6e8)
        self.assertAlmostEqual(model.service_demand(r), 1.0)
        # every iteration preempted (cycles/packet 0): the raw busy cycles, never 0 µs
        r0 = dict(r, appliance_cycles_per_pkt=0.0)
        self.assertAlmostEqual(model.appliance_cycles(r0), 9e9)
        # trap-and-emulate: the same-core VMM's switches are the cost: raw busy cycles
        rt = dict(r, mode="trap-and-emulate")
        self.assertAlmostEqual(model.service_demand(rt), 9e9 / 2.6e9 * 1e6 / 100000)

    def test_absent(self):
        self.assertIsNone(model.service_demand({"workload": "UDP_RR", "transactions_per_s": 5.0}))

    def test_throughput_units(self):
        self.assertAlmostEqual(model.throughput({"workload": "TCP_STREAM", "goodput_gbps": 1.5}), 1500.0)
        self.assertEqual(model.throughput({"workload": "UDP_RR", "transactions_per_s": 42.0}), 42.0)


if __name__ == "__main__":
    unittest.main()
