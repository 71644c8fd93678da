"""The results.json data model ("vfmgr-bench/1", benchmarks/README.md) and netperf figures.

Everything a section needs is computed here, once: cell values, the netperf confidence
interval of each cell, service demand, latency percentiles. A field a run did not
produce (other parts of the project add theirs over time) reads as None, and sections
print "n/a" for it.
"""
import statistics

from . import stats

SCHEMA = "vfmgr-bench/1"
WORKLOADS = ["TCP_STREAM", "UDP_RR"]
MODE_LABEL = {"native": "Bare metal (native)", "trap-and-emulate": "Trap & emulate",
              "sidecore": "Sidecore"}
MODE_SHORT = {"native": "nat", "trap-and-emulate": "t&e", "sidecore": "side"}
# netperf's headline figure per workload: (field computed by throughput(), unit)
METRIC = {"TCP_STREAM": ("throughput", "10^6 bits/s"),
          "UDP_RR": ("throughput", "trans/s")}
# service demand unit per workload (netperf: us/KB for streams, us/Tran for RR)
SD_UNIT = {"TCP_STREAM": "µs/KB", "UDP_RR": "µs/tran"}
BASE = ("off", "native")      # normalisation cell: no IOMMU on bare metal
PAPER_COLS = [("strict", "secure"), ("deferred", "relaxed"), ("optimistic", "optimistic")]
LAT_Q = [("p50", "p50"), ("p90", "p90"), ("p99", "p99"), ("p999", "p99.9")]
# netperf -I 99,5 -i 10,3 unless results.json says otherwise
DEFAULT_CONF = {"level": 99, "width_pct": 5.0, "iterations_max": 10, "iterations_min": 3}


def num(x):
    """A finite float from a JSON value, or None."""
    if isinstance(x, bool) or x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if v == v and abs(v) != float("inf") else None


def get(rec, path):
    """rec['a']['b'] for path 'a.b', or None."""
    cur = rec
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def median(vals):
    vals = [v for v in (num(x) for x in vals) if v is not None]
    return statistics.median(vals) if vals else None


def throughput(rec):
    """netperf's figure of one vfapp record: 10^6 bits/s for TCP_STREAM, trans/s for UDP_RR."""
    w = rec.get("workload")
    if w == "TCP_STREAM":
        g = num(rec.get("goodput_gbps"))
        return g * 1000.0 if g is not None else None
    if w == "UDP_RR":
        return num(rec.get("transactions_per_s"))
    return num(rec.get("mpps"))


def appliance_cycles(rec):
    """Appliance-lcore cycles of the measured interval.

    appliance_cycles_per_pkt x packets (busy iterations the kernel did not preempt, so time
    slices of other tasks on a shared host do not count) when the record has it, except in
    trap-and-emulate mode, where the VMM thread shares the vCPU's core by design (run.sh
    --vmm-lcore 0): its context switches are the exits being measured, and vfapp marks every
    such iteration preempted. There, and when no iteration was left unpreempted, the raw
    appliance_busy_cycles. None without busy-cycle accounting."""
    busy = num(rec.get("appliance_busy_cycles"))
    cpp, pk = num(rec.get("appliance_cycles_per_pkt")), num(rec.get("packets"))
    if (rec.get("mode") != "trap-and-emulate" and cpp and cpp > 0 and pk is not None
            and rec.get("appliance_cycles_per_pkt_raw") is not None):
        return cpp * pk
    return busy


def service_demand(rec, tsc_hz=None):
    """µs of appliance-lcore CPU per KB (1024 B, as netperf) for TCP_STREAM, per transaction
    for UDP_RR, from appliance_cycles() / tsc_hz over the measured interval. None when the
    record has no busy-cycle accounting."""
    busy = appliance_cycles(rec)
    hz = num(rec.get("tsc_hz")) or num(tsc_hz)
    if busy is None or not hz:
        return None
    busy_us = busy / hz * 1e6
    secs = num(rec.get("duration_s"))
    w = rec.get("workload")
    if w == "TCP_STREAM":
        nbytes = num(get(rec, "tcp.bytes_measured"))
        if nbytes is None and secs:
            g = num(rec.get("goodput_gbps"))
            nbytes = g * 1e9 / 8.0 * secs if g is not None else None
        return busy_us / (nbytes / 1024.0) if nbytes else None
    if w == "UDP_RR":
        tr = num(get(rec, "udp_rr.transactions"))
        if tr is None and secs:
            t = num(rec.get("transactions_per_s"))
            tr = t * secs if t is not None else None
        return busy_us / tr if tr else None
    return None


def table(header, rows):
    out = ["| " + " | ".join(str(h) for h in header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


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


def ordered(found, default):
    """default order first (those found), then any further names found."""
    return [s for s in default if s in found] + sorted(s for s in found if s not in default)


class Cell:
    """One strategy x mode x workload cell (records of one kind, one inv_latency_ns)."""

    def __init__(self, strategy, mode, workload, recs, conf, tsc_hz=None):
        self.strategy, self.mode, self.workload = strategy, mode, workload
        self.recs = recs
        self.values = [v for v in (throughput(r) for r in recs) if v is not None]
        self.ci = stats.confidence(self.values, conf["level"])
        self.median = statistics.median(self.values) if self.values else None
        self.mean = self.ci["mean"]
        self.sd_values = [v for v in (service_demand(r, tsc_hz) for r in recs) if v is not None]
        self.sd_ci = stats.confidence(self.sd_values, conf["level"])
        self.sd = self.sd_ci["mean"]
        w = conf["width_pct"]
        self.converged = self.ci["width_pct"] is not None and self.ci["width_pct"] <= w
        self.status = ("missing" if not recs else
                       "zero" if not self.values or min(self.values) <= 0 else "ok")

    def field(self, path):
        """Median over the cell's records of a (dotted) field, or None."""
        return median([get(r, path) for r in self.recs])

    def has(self, path):
        return any(get(r, path) is not None for r in self.recs)

    def summary(self):
        """The cell as stored in results.json 'cells'."""
        c = self.ci
        return {"strategy": self.strategy, "mode": self.mode, "workload": self.workload,
                "n": len(self.values), "unit": METRIC.get(self.workload, ("", ""))[1],
                "mean": c["mean"], "median": self.median,
                "ci_level": c["level"], "ci_half": c["half"], "ci_half_pct": c["half_pct"],
                "converged": self.converged, "status": self.status,
                "service_demand": self.sd, "service_demand_unit": SD_UNIT.get(self.workload),
                "service_demand_ci_half_pct": self.sd_ci["half_pct"]}


class Results:
    def __init__(self, doc):
        if not isinstance(doc, dict) or not isinstance(doc.get("records"), list):
            raise ValueError("results.json: no 'records' list (is this a benchmarks/run.sh results.json?)")
        self.doc = doc
        self.machine = doc.get("machine") or {}
        self.params = doc.get("parameters") or {}
        conf = dict(DEFAULT_CONF)
        conf.update({k: v for k, v in (self.params.get("confidence") or {}).items() if v is not None})
        self.conf = conf
        self.records = [r for r in doc["records"] if isinstance(r, dict)]
        self.matrix = [r for r in self.records if r.get("kind") == "matrix"]
        p = self.params
        found_s = {r.get("strategy") for r in self.matrix if r.get("strategy")}
        found_m = {r.get("mode") for r in self.matrix if r.get("mode")}
        self.strategies = list(p.get("strategies") or ordered(found_s, sorted(found_s)))
        self.strategies += sorted(found_s - set(self.strategies))
        self.modes = list(p.get("modes") or ordered(found_m, list(MODE_LABEL)))
        self.modes += sorted(found_m - set(self.modes))
        self.workloads = [w for w in (p.get("workloads") or WORKLOADS)]
        self.tsc_hz = num(self.machine.get("tsc_hz"))
        self._cells = {}

    def kind(self, k):
        return [r for r in self.records if r.get("kind") == k]

    def cell(self, strategy, mode, workload, kind="matrix", inv_latency_ns=None):
        key = (strategy, mode, workload, kind, inv_latency_ns)
        if key not in self._cells:
            recs = [r for r in self.records if r.get("kind") == kind and r.get("strategy") == strategy
                    and r.get("mode") == mode and r.get("workload") == workload and
                    (inv_latency_ns is None or num(r.get("inv_latency_ns")) == num(inv_latency_ns))]
            self._cells[key] = Cell(strategy, mode, workload, recs, self.conf, self.tsc_hz)
        return self._cells[key]

    def cells(self):
        """Every expected matrix cell, in table order."""
        return [self.cell(s, m, w) for w in self.workloads if w in METRIC
                for m in self.modes for s in self.strategies]

    def problems(self):
        """[(strategy, mode, workload, 'missing'|'zero')] for incomplete matrix cells."""
        return [(c.strategy, c.mode, c.workload, c.status) for c in self.cells() if c.status != "ok"]

    def sensitivity_points(self):
        return sorted({num(r.get("inv_latency_ns")) for r in self.kind("sensitivity")
                       if num(r.get("inv_latency_ns")) is not None})

    def attack(self, strategy, mode):
        """(attempts, successes) summed over the strategy/mode's attack-pass records (kind
        "attack": vfapp --wire vfdev --attack on), else over its matrix records; None when no
        record carries the attack fields."""
        recs = []
        for kind in ("attack", "matrix"):
            recs = [r for r in self.kind(kind) if r.get("strategy") == strategy and r.get("mode") == mode
                    and num(r.get("attack_attempts")) is not None]
            if recs:
                break
        if not recs:
            return None
        return (sum(num(r.get("attack_attempts")) or 0 for r in recs),
                sum(num(r.get("attack_successes")) or 0 for r in recs))

    def safe(self, strategy, mode):
        """True (0 attack successes measured), False (successes, or no IOMMU at all), None (not
        measured in this run)."""
        if strategy == "off":
            return False
        a = self.attack(strategy, mode)
        if a is None:
            return None
        return a[1] == 0


def cell_text(cell, value):
    if cell.status == "missing":
        return "**MISSING**"
    if cell.status == "zero":
        return "**ZERO**"
    return value


def ci_text(cell):
    """'mean ±h %' with a '(not converged)' mark, as every cell prints its interval."""
    c = cell.ci
    if cell.status != "ok":
        return cell_text(cell, "")
    if c["half_pct"] is None:
        return f"{fmt(c['mean'])} (n={c['n']}, no interval)"
    mark = "" if cell.converged else " **NC**"
    return f"{fmt(c['mean'])} ±{c['half_pct']:.1f} % (n={c['n']}){mark}"
