"""python3 -m vfreport SUBCOMMAND ... : everything benchmarks/run.sh needs computed.

  record    --log F --kind K --records F [--extra JSON] [--extra-file KEY=F]... [--nonzero]
            append the log's last JSON line as a record; print its headline figure.
            Exit 1: no JSON record in the log; 3: --nonzero and the figure is missing or 0.
  error     --what TEXT --errors F [--log F]           remember a failed run
  figure    JSON                                        the headline figure of a record
  microbench --log F --records F                        append microbench records; print tsc_hz
  testbed   --json F --records F                        append the test bed's records
  pending   --records F --level L --width W --max N --min N CELL...
            print the CELLs (kind:strategy:mode:workload[:inv_latency_ns]) netperf would run
            again (fewer than --min results, or CI wider than W % and fewer than --max)
  names     --vfapp PATH [--source] strategies|modes    names from vfapp, space-separated
  busy      --max-load L                                exit 1 with a message when busy
  loadavg                                               [1, 5, 15] as JSON
  placement --pid P                                     threads of P and descendants, JSON
  results   --out DIR --records F --errors F [--tsc-hz X] [--free-hp N] [--huge 0|1]
            [--loadavg-start "a b c"] [--set KEY=VALUE]... [--list KEY="a b"]...
            write DIR/results.json (VALUE parsed as JSON when it is JSON, else a string)
  report    --results F [--published F] [--out DIR] [--no-plots] [--testbed-md F]
            write report.md and the plots; exit 3 when matrix cells are missing or zero
  check     RESULTS                                     completeness check only (exit 3)
  compare   A/results.json B/results.json [--cells s:m:w,...] [--tolerance PCT]
            per-cell medians of two runs and their difference in % of A's; exit 4 when a
            listed cell differs by more than PCT (default 10) or is missing in one run
"""
import argparse
import json
import os
import sys

# Modules are imported by the subcommand that needs them: run.sh calls this several times
# per benchmark run, and Python start-up competes with the measurement for the cores.

HERE = os.path.dirname(os.path.abspath(__file__))


def _jsonish(v):
    try:
        return json.loads(v)
    except ValueError:
        return v


def cmd_record(a):
    from . import records
    extra = json.loads(a.extra) if a.extra else {}
    for kv in a.extra_file or []:
        k, _, path = kv.partition("=")
        try:
            with open(path) as f:
                extra[k] = json.load(f)
        except (OSError, ValueError):
            pass
    rec = records.record_from_log(a.log, a.kind, extra)
    if rec is None:
        return 1
    text, v = records.headline(rec)
    if a.nonzero and (v is None or v <= 0):
        return 3
    records.append(a.records, rec)
    print(text)
    return 0


def cmd_error(a):
    from . import records
    records.append(a.errors, records.error_record(a.what, a.log))
    return 0


def cmd_figure(a):
    from . import records
    print(records.headline(json.loads(a.json))[0])
    return 0


def cmd_microbench(a):
    from . import records
    recs, tsc = records.microbench_records(a.log)
    for r in recs:
        records.append(a.records, r)
    print(f"{tsc:.0f}" if tsc else "")
    sys.stderr.write(f"{len(recs)} microbench records\n")
    return 0 if recs else 1


def cmd_testbed(a):
    from . import records
    for r in records.testbed_records(a.json):
        records.append(a.records, r)
    return 0


def parse_cell(tok):
    parts = tok.split(":")
    if len(parts) not in (4, 5):
        raise ValueError(f"cell {tok!r}: expected kind:strategy:mode:workload[:inv_latency_ns]")
    return parts[0], parts[1], parts[2], parts[3], (float(parts[4]) if len(parts) == 5 else None)


def cmd_pending(a):
    from . import model, records, stats
    recs = records.read_jsonl(a.records) if os.path.exists(a.records) else []
    imax, imin = a.max, a.min
    for tok in a.cells:
        kind, s, m, w, inv = parse_cell(tok)
        vals = [model.throughput(r) for r in recs if r.get("kind") == kind and r.get("strategy") == s
                and r.get("mode") == m and r.get("workload") == w
                and (inv is None or model.num(r.get("inv_latency_ns")) == inv)]
        vals = [v for v in vals if v is not None]
        if stats.need_more(vals, imax, imin, a.level, a.width):
            print(tok)
    return 0


def cmd_names(a):
    from . import names
    try:
        got, src = names.listed(a.vfapp, a.what)
    except RuntimeError as e:
        sys.stderr.write(f"vfreport names: {e}\n")
        return 1
    print(src if a.source else " ".join(got))
    return 0


def cmd_busy(a):
    from . import noise
    is_busy, msg = noise.busy(a.max_load)
    if is_busy:
        sys.stderr.write(msg + "\n")
        return 1
    print(msg)
    return 0


def cmd_loadavg(a):
    from . import noise
    print(json.dumps(noise.loadavg()))
    return 0


def cmd_placement(a):
    from . import noise
    print(json.dumps(noise.placement(a.pid)))
    return 0


def cmd_results(a):
    from . import records
    recs = records.read_jsonl(a.records)
    errs = records.read_jsonl(a.errors) if a.errors and os.path.exists(a.errors) else []
    tsc, src = records.tsc_estimate(recs, a.tsc_hz)
    la = [float(x) for x in a.loadavg_start.split()] if a.loadavg_start else None
    params = {}
    for kv in a.set or []:
        k, _, v = kv.partition("=")
        params[k] = _jsonish(v)
    for kv in a.list or []:
        k, _, v = kv.partition("=")
        params[k] = [_jsonish(x) for x in v.split()]
    doc = records.build_results(recs, errs, records.machine_info(tsc, src, a.free_hp, a.huge, la), params)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(doc, f, indent=1)
    return 0


def _load(path):
    from . import model
    with open(path) as f:
        return model.Results(json.load(f))


def cmd_check(a):
    try:
        res = _load(a.results)
    except (OSError, ValueError) as e:
        sys.stderr.write(f"vfreport: {a.results}: {e}\n")
        return 2
    probs = res.problems()
    for s, m, w, why in probs:
        print(f"cell {s} {m} {w}: {why}")
    print(f"{len(probs)} incomplete cell(s)" if probs else "matrix complete")
    return 3 if probs else 0


def cmd_report(a):
    from . import sections
    try:
        res = _load(a.results)
    except (OSError, ValueError) as e:
        sys.stderr.write(f"vfreport: {a.results}: {e}\n")
        return 2
    pub = None
    try:
        with open(a.published) as f:
            pub = json.load(f)
    except (OSError, ValueError) as e:
        sys.stderr.write(f"vfreport: published figures unavailable: {e}\n")
    outdir = a.out or os.path.dirname(os.path.abspath(a.results))
    os.makedirs(outdir, exist_ok=True)
    plots = {}
    if not a.no_plots:
        try:
            from . import plots as plotmod
            plots = plotmod.make_plots(res, outdir, pub)
        except ImportError as e:
            sys.stderr.write(f"vfreport: no plots: {e} (apt-get install python3-matplotlib)\n")
    tb = a.testbed_md
    if tb is None and os.path.exists(os.path.join(outdir, "testbed.md")):
        tb = os.path.join(outdir, "testbed.md")
    with open(os.path.join(outdir, "report.md"), "w") as f:
        f.write(sections.render(sections.Ctx(res, pub, plots, tb)))
    probs = res.problems()
    for s, m, w, why in probs:
        sys.stderr.write(f"vfreport: cell {s} {m} {w}: {why}\n")
    return 3 if probs else 0


def cmd_compare(a):
    from . import model
    try:
        ra, rb = _load(a.a), _load(a.b)
    except (OSError, ValueError) as e:
        sys.stderr.write(f"vfreport compare: {e}\n")
        return 2
    if a.cells:
        cells = [tuple(c.split(":")) for c in a.cells.split(",")]
    else:
        cells = [(c.strategy, c.mode, c.workload) for c in ra.cells()]
    bad = 0
    print(f"{'cell':42} {'A median':>12} {'B median':>12} {'B-A %':>8}  n A/B")
    for s, m, w in cells:
        ca, cb = ra.cell(s, m, w), rb.cell(s, m, w)
        d = (100.0 * (cb.median - ca.median) / ca.median) if ca.median and cb.median is not None else None
        out = d is None or abs(d) > a.tolerance
        bad += out
        print(f"{s + '/' + m + '/' + w:42} {model.fmt(ca.median):>12} {model.fmt(cb.median):>12} "
              f"{(f'{d:+.1f}' if d is not None else 'n/a'):>8}  {len(ca.values)}/{len(cb.values)}"
              + ("  OUTSIDE" if out else ""))
    print(f"{len(cells) - bad} of {len(cells)} cells within ±{a.tolerance:g} %")
    return 4 if bad else 0


def parser():
    ap = argparse.ArgumentParser(prog="python3 -m vfreport", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = ap.add_subparsers(dest="cmd", required=True)
    p = sp.add_parser("record")
    p.add_argument("--log", required=True)
    p.add_argument("--kind", required=True)
    p.add_argument("--records", required=True)
    p.add_argument("--extra")
    p.add_argument("--extra-file", action="append")
    p.add_argument("--nonzero", action="store_true")
    p.set_defaults(fn=cmd_record)
    p = sp.add_parser("error")
    p.add_argument("--what", required=True)
    p.add_argument("--log", default="")
    p.add_argument("--errors", required=True)
    p.set_defaults(fn=cmd_error)
    p = sp.add_parser("figure")
    p.add_argument("json")
    p.set_defaults(fn=cmd_figure)
    p = sp.add_parser("microbench")
    p.add_argument("--log", required=True)
    p.add_argument("--records", required=True)
    p.set_defaults(fn=cmd_microbench)
    p = sp.add_parser("testbed")
    p.add_argument("--json", required=True)
    p.add_argument("--records", required=True)
    p.set_defaults(fn=cmd_testbed)
    p = sp.add_parser("pending")
    p.add_argument("--records", required=True)
    p.add_argument("--level", type=int, default=99)
    p.add_argument("--width", type=float, default=5.0)
    p.add_argument("--max", type=int, default=10)
    p.add_argument("--min", type=int, default=3)
    p.add_argument("cells", nargs="*")
    p.set_defaults(fn=cmd_pending)
    p = sp.add_parser("names")
    p.add_argument("--vfapp", required=True)
    p.add_argument("--source", action="store_true", help="print where the names came from")
    p.add_argument("what", choices=["strategies", "modes"])
    p.set_defaults(fn=cmd_names)
    p = sp.add_parser("busy")
    p.add_argument("--max-load", type=float, required=True)
    p.set_defaults(fn=cmd_busy)
    p = sp.add_parser("loadavg")
    p.set_defaults(fn=cmd_loadavg)
    p = sp.add_parser("placement")
    p.add_argument("--pid", type=int, required=True)
    p.set_defaults(fn=cmd_placement)
    p = sp.add_parser("results")
    p.add_argument("--out", required=True)
    p.add_argument("--records", required=True)
    p.add_argument("--errors")
    p.add_argument("--tsc-hz")
    p.add_argument("--free-hp", type=int, default=0)
    p.add_argument("--huge", type=int, default=0)
    p.add_argument("--loadavg-start")
    p.add_argument("--set", action="append")
    p.add_argument("--list", action="append")
    p.set_defaults(fn=cmd_results)
    p = sp.add_parser("report")
    p.add_argument("--results", required=True)
    p.add_argument("--published", default=os.path.join(HERE, "..", "..", "published.json"))
    p.add_argument("--out")
    p.add_argument("--no-plots", action="store_true")
    p.add_argument("--testbed-md")
    p.set_defaults(fn=cmd_report)
    p = sp.add_parser("compare")
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--cells", help="strategy:mode:workload,... (default: every matrix cell of A)")
    p.add_argument("--tolerance", type=float, default=10.0)
    p.set_defaults(fn=cmd_compare)
    p = sp.add_parser("check")
    p.add_argument("results")
    p.set_defaults(fn=cmd_check)
    return ap


def main(argv=None):
    a = parser().parse_args(argv)
    try:
        return a.fn(a)
    except ValueError as e:
        sys.stderr.write(f"vfreport {a.cmd}: {e}\n")
        return 2
