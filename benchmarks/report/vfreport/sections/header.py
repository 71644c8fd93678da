"""Machine, parameters, noise control, completeness."""
import json

from ..model import METRIC, num, table


def _la(v):
    if isinstance(v, list):
        return " ".join(str(x) for x in v)
    return str(v) if v is not None else "?"


def render(ctx):
    res = ctx.res
    m, p = res.machine, res.params
    L = ["## Machine and parameters", ""]
    hp = m.get("hugepages")
    tsc = num(m.get("tsc_hz"))
    L.append(table(["machine", ""], [
        ["CPU", f"{m.get('cpu_model', '?')} ({m.get('cores', '?')} cores)"],
        ["TSC", (f"{tsc / 1e6:.1f} MHz ({m.get('tsc_source', '?')})" if tsc else "n/a")],
        ["kernel", m.get("kernel", "?")],
        ["hugepages", json.dumps(hp) if isinstance(hp, (dict, list)) else str(hp)],
        ["DPDK", m.get("dpdk_version", "?")],
        ["load average (1/5/15 min) at start / end", f"{_la(m.get('loadavg_start'))} / {_la(m.get('loadavg_end'))}"],
    ]))
    L.append("")
    conf = res.conf
    L.append(table(["parameter", "value"], [
        ["modeled invalidation latency (inv_latency_ns)", f"{p.get('inv_latency_ns', '?')} ns"],
        ["modeled VM exit + entry (vmexit_ns)", f"{p.get('vmexit_ns', '?')} ns"],
        ["run duration / warm-up", f"{p.get('duration', '?')} s / {p.get('warmup', '?')} s"],
        ["repetitions (netperf -I, -i)",
         f"-I {conf['level']},{conf['width_pct']:g} -i {conf['iterations_max']},{conf['iterations_min']}: "
         f"each cell repeated until its {conf['level']} % confidence interval is within "
         f"±{conf['width_pct'] / 2:g} % of the mean, at least {conf['iterations_min']}, at most "
         f"{conf['iterations_max']} times"],
        ["quick run", p.get("quick", False)],
        ["busy-machine check", f"max 1-min load {p.get('max_load', '?')}; "
         + ("**--force: started although busy**" if p.get("forced") else "passed")],
        ["vfapp arguments (all runs)", f"`{p['vfapp_args']}`" if p.get("vfapp_args") else "n/a"],
        ["VMM / sidecore thread CPU", ", ".join(f"{k}: {v}" for k, v in p["vmm_cpu"].items() if v is not None)
         if isinstance(p.get("vmm_cpu"), dict) else "n/a"],
        ["EAL", f"`{p['eal']}`" if p.get("eal") else "n/a"],
        ["names from", p.get("names_source", "n/a")],
        ["wall time of the whole run", f"{p['elapsed_s']:.0f} s" if num(p.get("elapsed_s")) else "n/a"],
    ]))
    L.append("")
    probs = res.problems()
    if probs:
        L.append(f"**Incomplete matrix: {len(probs)} cell(s) missing or zero:** " +
                 ", ".join(f"{s}/{mo}/{w} ({why})" for s, mo, w, why in probs))
    else:
        n = len(res.strategies) * len(res.modes) * len([w for w in res.workloads if w in METRIC])
        L.append(f"Matrix complete: all {n} strategy x mode x workload cells have non-zero figures.")
    errs = res.doc.get("errors") or []
    if errs:
        L.append("")
        L.append(f"{len(errs)} run(s) failed during the run (see `errors` in results.json); "
                 "first: `" + str(errs[0])[:200].replace("`", "'") + "`")
    # Noise: load average per run and the CPU placement of the threads
    las = [num((r.get("loadavg") or [None])[0]) for r in res.matrix if isinstance(r.get("loadavg"), list)]
    las = [x for x in las if x is not None]
    if las:
        L.append("")
        L.append(f"Noise: 1-minute load average when each matrix run started: min {min(las):.2f}, "
                 f"max {max(las):.2f} ({len(las)} runs; `loadavg` in each record).")
    pl = next((r.get("placement") for r in res.matrix if r.get("placement")), None)
    if pl:
        L.append("")
        L.append("CPU placement of every thread, sampled during the warm-up (first matrix run; every record has "
                 "its own `placement`):")
        L.append("")
        L.append(table(["process", "thread", "allowed CPUs", "last ran on"],
                       [[t.get("pid"), t.get("comm"), t.get("cpus_allowed"), t.get("last_cpu")] for t in pl]))
    L.append("")
    return L
