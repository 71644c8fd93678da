"""Turning tool output into results.json records, and writing results.json."""
import datetime
import json
import os
import platform
import re
import subprocess

from . import model, noise

HEADLINE = (("goodput_gbps", "Gbit/s", "%.2f"), ("transactions_per_s", "trans/s", "%.0f"),
            ("mpps", "Mpps", "%.2f"))


def last_json(path):
    """The last line of the file starting with '{', parsed as a JSON object, or None."""
    last = None
    try:
        with open(path, errors="replace") as f:
            for ln in f:
                if ln.startswith("{"):
                    last = ln
    except OSError:
        return None
    if last is None:
        return None
    try:
        r = json.loads(last)
    except ValueError:
        return None
    return r if isinstance(r, dict) else None


def headline(rec):
    """(text, value) of a record's headline figure; value None when it has none."""
    for k, unit, f in HEADLINE:
        v = model.num(rec.get(k))
        if v is not None:
            return (f % v) + " " + unit, v
    return "?", None


def record_from_log(log, kind, extra=None):
    """The log's last JSON object with kind and extra fields added, or None."""
    r = last_json(log)
    if r is None:
        return None
    r["kind"] = kind
    r.update(extra or {})
    return r


def append(path, rec):
    with open(path, "a") as f:
        f.write(json.dumps(rec) + "\n")


def error_record(what, log):
    tail = ""
    if log:
        try:
            with open(log, errors="replace") as f:
                tail = f.read()[-400:]
        except OSError:
            tail = "(log unreadable)"
    return {"what": what, "log": log or "", "tail": tail}


def testbed_records(path):
    """Records of tests/testbed/run-bench.sh's testbed.json (an object with 'records', a list,
    or JSON lines), each re-kinded 'testbed' with its own kind kept in testbed_kind."""
    with open(path) as f:
        txt = f.read()
    try:
        d = json.loads(txt)
        recs = d.get("records", [d]) if isinstance(d, dict) else d
    except ValueError:
        recs = [json.loads(ln) for ln in txt.splitlines() if ln.strip().startswith("{")]
    out = []
    for r in recs:
        if isinstance(r, dict):
            r = dict(r)
            r.setdefault("testbed_kind", r.get("kind"))
            r["kind"] = "testbed"
            out.append(r)
    return out


def microbench_records(log):
    """Records with kind 'microbench' and the last 'machine' record's tsc_hz from a log."""
    recs, tsc = [], None
    with open(log, errors="replace") as f:
        for ln in f:
            if not ln.startswith("{"):
                continue
            try:
                r = json.loads(ln)
            except ValueError:
                continue
            if isinstance(r, dict) and r.get("kind") == "microbench":
                recs.append(r)
            elif isinstance(r, dict) and r.get("kind") == "machine" and model.num(r.get("tsc_hz")):
                tsc = model.num(r.get("tsc_hz"))
    return recs, tsc


def _sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def tsc_estimate(recs, tsc_hint=None):
    """(tsc_hz, source): the microbenchmark's, a record's, the kernel's calibration, cpu MHz."""
    if model.num(tsc_hint):
        return float(tsc_hint), "iova-microbench"
    for r in recs:
        if model.num(r.get("tsc_hz")):
            return float(r["tsc_hz"]), f"{r.get('kind', '?')} record"
    m = re.search(r"tsc: Refined TSC clocksource calibration: ([\d.]+) MHz",
                  _sh("dmesg 2>/dev/null | grep -m1 'Refined TSC'"))
    if m:
        return float(m.group(1)) * 1e6, "kernel (dmesg)"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"cpu MHz\s*:\s*([\d.]+)", f.read())
        if m:
            return float(m.group(1)) * 1e6, "/proc/cpuinfo cpu MHz"
    except OSError:
        pass
    return None, None


def machine_info(tsc, tsc_src, free_hp, huge, loadavg_start):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for ln in f:
            if ln.startswith("model name"):
                cpu = ln.split(":", 1)[1].strip()
                break
    mi = {}
    with open("/proc/meminfo") as f:
        for ln in f:
            k, v = ln.split(":", 1)
            mi[k] = v.split()[0]
    return {"cpu_model": cpu, "cores": os.cpu_count(), "tsc_hz": tsc, "tsc_source": tsc_src,
            "kernel": platform.release(),
            "hugepages": {"total": int(mi.get("HugePages_Total", 0)), "free_at_start": int(free_hp or 0),
                          "size_kb": int(mi.get("Hugepagesize", 0)), "used_by_runs": bool(huge)},
            "dpdk_version": _sh("pkg-config --modversion libdpdk"),
            "loadavg_start": loadavg_start, "loadavg_end": noise.loadavg(),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


def build_results(records, errors, machine, parameters):
    """The results.json document, with the per-cell netperf summary ('cells')."""
    doc = {"schema": model.SCHEMA, "machine": machine, "parameters": parameters,
           "records": records, "errors": errors}
    res = model.Results(doc)
    doc["cells"] = [c.summary() for c in res.cells()]
    doc["not_converged"] = [f"{c['strategy']}/{c['mode']}/{c['workload']}" for c in doc["cells"]
                            if c["status"] == "ok" and not c["converged"]]
    return doc


def read_jsonl(path):
    out = []
    with open(path) as f:
        for n, ln in enumerate(f, 1):
            if ln.strip():
                try:
                    out.append(json.loads(ln))
                except ValueError as e:
                    raise ValueError(f"{path}:{n}: not JSON ({e})") from e
    return out
