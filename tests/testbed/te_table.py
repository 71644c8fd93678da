#!/usr/bin/env python3
"""tests/testbed/te_table.py --work DIR --out DIR [--quick 0|1] [--seconds S] [--elapsed S]
[--published benchmarks/published.json]: joins the rows of run-te.sh's boots
(WORK/linux-<config>/rows.json, WORK/appte/rows.json; rows.py wrote them) into
OUT/testbed-te.json and OUT/testbed-te.md, the "Trap & emulate, measured" table.

Percentages are of the no-IOMMU figure of the same topology and the same run of run-te.sh:
Linux rows of Linux booted intel_iommu=off (two namespaces over one hub), vfapp rows of
vfapp's strategy off (the whole external pool mapped once, no per-buffer IOMMU work; two
namespaces, two hubs, vfapp between). Trapped invalidations per packet = IOTLB invalidation
descriptors QEMU trapped in the section / frames the two kernel NICs received in it."""
import argparse
import json
import os
import sys

ENV = 'QEMU 7.2 TCG, q35, intel-iommu (intremap=on), Linux 6.1 guest, 2 vCPUs, e1000e over QEMU hubs'
LINUX_ORDER = ['strict', 'lazy', 'pt', 'off', 'strict-cmoff', 'lazy-cmoff']
PAPER_MAP = {('linux', 'strict'): 'strict', ('linux', 'lazy'): 'deferred', ('linux', 'lazy-cmoff'): 'deferred',
             ('linux', 'strict-cmoff'): 'strict',
             ('vfapp', 'strict'): 'strict', ('vfapp', 'deferred'): 'deferred', ('vfapp', 'optimistic'): 'optimistic'}


def load(path):
    try:
        return json.load(open(path))['records']
    except (OSError, ValueError, KeyError):
        return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--work', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--quick', default='0')
    ap.add_argument('--seconds', type=float, default=0)
    ap.add_argument('--elapsed', type=float, default=0)
    ap.add_argument('--published', default='')
    a = ap.parse_args()
    quick = a.quick == '1'
    recs = []
    # Linux: one boot per configuration
    for d in sorted(os.listdir(a.work)) if os.path.isdir(a.work) else []:
        if not d.startswith('linux-'):
            continue
        cfg = d[len('linux-'):]
        rows = load(os.path.join(a.work, d, 'rows.json'))
        info = next((r for r in rows if r.get('name') == 'linux-mode'), {})
        for r in rows:
            if r.get('name') not in ('linux-iperf3', 'linux-sockperf'):
                continue
            recs.append(rec('linux', cfg, r, 'off' if cfg.endswith('-cmoff') else 'on', info, boot=d))
    app_rows = load(os.path.join(a.work, 'appte', 'rows.json'))
    # run-te.sh --quick measures Linux's pt row in the vfapp boot (booted intel_iommu=on iommu=pt,
    # g0 and a0 of hub 0 on the kernel's e1000e: appte.sh linux_pt), not in a boot of its own
    info = next((r for r in app_rows if r.get('name') == 'linux-mode'), {})
    for r in app_rows:
        if r.get('name') in ('linux-iperf3', 'linux-sockperf'):
            cfg = str(r.get('linux_mode') or r.get('mode'))
            if any(x['stack'] == 'linux' and x['config'] == cfg and x['workload'] == r['name'][6:] for x in recs):
                continue  # a boot of its own measured it: that one counts
            recs.append(rec('linux', cfg, r, 'on', info, boot='appte'))
    for r in app_rows:
        if r.get('name') in ('app-iperf3', 'app-sockperf'):
            recs.append(rec('vfapp', r.get('strategy'), r, 'on', {}, boot='appte'))
    for r in recs:
        r['quick'] = quick
        r['seconds'] = a.seconds
        r['env'] = ENV
    # summary: one row per (stack, config)
    base = {}
    for st, cfg in (('linux', 'off'), ('vfapp', 'off')):
        b = {w: next((r for r in recs if r['stack'] == st and r['config'] == cfg and r['workload'] == w), None)
             for w in ('iperf3', 'sockperf')}
        base[st] = b
    paper = {}
    if a.published and os.path.exists(a.published):
        try:
            paper = json.load(open(a.published))['viommu_tcp_stream_pct']['trap-and-emulate']
        except (ValueError, KeyError):
            paper = {}
    summary = []
    cfgs = [('linux', c) for c in LINUX_ORDER if any(r['stack'] == 'linux' and r['config'] == c for r in recs)]
    seen = []
    for r in recs:
        if r['stack'] == 'vfapp' and r['config'] not in seen:
            seen.append(r['config'])
    cfgs += [('vfapp', c) for c in seen]
    for st, cfg in cfgs:
        tcp = next((r for r in recs if r['stack'] == st and r['config'] == cfg and r['workload'] == 'iperf3'), None)
        rr = next((r for r in recs if r['stack'] == st and r['config'] == cfg and r['workload'] == 'sockperf'), None)
        bt, br = base[st]['iperf3'], base[st]['sockperf']
        s = {'kind': 'trap-emulate-summary', 'stack': st, 'config': cfg,
             'caching_mode': (tcp or rr or {}).get('caching_mode'),
             'kernel_policy': (tcp or rr or {}).get('kernel_policy'),
             'boot': (tcp or rr or {}).get('boot'),
             'baseline': 'linux intel_iommu=off' if st == 'linux' else 'vfapp strategy off (pool mapped once)',
             'tcp_bps': tcp and tcp.get('bps'), 'rr_tps': rr and rr.get('tps'),
             'tcp_pct': pct(tcp and tcp.get('bps'), bt and bt.get('bps')),
             'rr_pct': pct(rr and rr.get('tps'), br and br.get('tps')),
             'tcp_inv_per_packet': tcp and tcp.get('invalidations_per_packet'),
             'rr_inv_per_packet': rr and rr.get('invalidations_per_packet'),
             'paper_te_tcp_pct': paper.get(PAPER_MAP.get((st, cfg), ''), None)}
        summary.append(s)
    doc = {'schema': 'vfmgr-testbed-te/1', 'env': ENV, 'quick': quick, 'seconds': a.seconds,
           'elapsed_s': a.elapsed, 'records': recs + summary,
           'paper': {'source': 'vIOMMU (ATC 2011) netperf TCP_STREAM, trap-and-emulate, % of 9.3 Gbit/s',
                     'strict': paper.get('strict'), 'deferred': paper.get('deferred'),
                     'optimistic': paper.get('optimistic')}}
    json.dump(doc, open(os.path.join(a.out, 'testbed-te.json'), 'w'), indent=1)
    with open(os.path.join(a.out, 'testbed-te.md'), 'w') as f:
        f.write(markdown(doc))
    sys.stdout.write(markdown(doc))
    need = {('linux', c) for c in ('strict', 'lazy', 'pt', 'off')}
    have = {(s['stack'], s['config']) for s in summary if s['tcp_bps'] and s['rr_tps']}
    missing = sorted(need - have)
    if missing:
        print(f"te_table: missing rows: {missing}", file=sys.stderr)
        return 1
    return 0


def rec(stack, cfg, r, cm, info, boot=None):
    w = 'iperf3' if r['name'].endswith('iperf3') else 'sockperf'
    out = {'kind': 'trap-emulate', 'stack': stack, 'config': cfg, 'workload': w, 'caching_mode': cm, 'boot': boot,
           'bps': r.get('bps'), 'tps': r.get('tps'), 'packets': r.get('packets'),
           'invalidations': r.get('invalidations'), 'iotlb_pages': r.get('iotlb_pages'),
           'iotlb_domain': r.get('iotlb_domain'), 'iotlb_global': r.get('iotlb_global'),
           'invalidations_per_packet': r.get('invalidations_per_packet'),
           'dmar_faults': r.get('dmar_faults')}
    if stack == 'linux':
        # the paper section (vfreport sections/paper.py) reads linux-iperf3 + linux_iommu_mode
        out['name'] = r['name'] + ('' if cm == 'on' else '-cmoff')
        if cm == 'on':
            out['linux_iommu_mode'] = cfg
        out['kernel_policy'] = info.get('policy')
        out['domain_type'] = info.get('domain_type')
    for k in ('transactions', 'run_s', 'avg_latency_us', 'retransmits'):
        if k in r:
            out[k] = r[k]
    return out


def pct(v, b):
    if not isinstance(v, (int, float)) or not isinstance(b, (int, float)) or b <= 0:
        return None
    return round(100.0 * v / b, 1)


def markdown(doc):
    def f(v, d=1, suf=''):
        return '-' if v is None else (f'{v:.{d}f}{suf}' if isinstance(v, float) else f'{v}{suf}')
    rows = [r for r in doc['records'] if r['kind'] == 'trap-emulate-summary']
    o = ['## Trap & emulate, measured (QEMU intel-iommu, TCG)', '',
         f"{doc['env']}; {doc['seconds']:g} s per run{' (--quick)' if doc['quick'] else ''}. "
         'Throughput (iperf3 TCP) and transactions/s (sockperf UDP ping-pong, 64 B) in % of the '
         'no-IOMMU figure of the same topology in the same run (Linux: intel_iommu=off; vfapp: strategy off '
         'with the external pool mapped once). Trapped inv./packet: IOTLB invalidation descriptors QEMU '
         'trapped (trace vtd_inv_desc_iotlb_*) per frame received by the two kernel NICs. TCG makes '
         'absolute figures meaningless: the ratios within one run are the result. Paper: vIOMMU (ATC 2011) '
         'trap & emulate netperf TCP_STREAM in % of 9.3 Gbit/s (strict / relaxed / optimistic).', '',
         '| stack | configuration | VT-d CM | TCP Mbit/s | TCP % | trans/s | trans/s % | trapped inv./pkt TCP | trapped inv./pkt RR | paper T&E % |',
         '|---|---|---|---:|---:|---:|---:|---:|---:|---:|']
    for r in rows:
        cfg = r['config']
        if r['stack'] == 'linux':
            cfg = {'strict': 'intel_iommu=on iommu.strict=1', 'lazy': 'intel_iommu=on iommu.strict=0',
                   'pt': 'intel_iommu=on iommu=pt', 'off': 'intel_iommu=off',
                   'strict-cmoff': 'iommu.strict=1', 'lazy-cmoff': 'iommu.strict=0'}.get(cfg, cfg)
            pol = r.get('kernel_policy') or ''
            if 'forced' in pol and 'lazy' in r['config']:
                cfg += ' (kernel forced strict: caching mode)'
            if r.get('boot') == 'appte':
                cfg += ' (measured in the vfapp boot: same kernel parameters, g0 and a0 of hub 0)'
            stack = 'Linux 6.1 DMA API'
        else:
            stack = 'vfapp (lib/iova, extmem pool)'
        mb = r['tcp_bps'] / 1e6 if isinstance(r['tcp_bps'], (int, float)) else None
        o.append(f"| {stack} | {cfg} | {r.get('caching_mode') or '-'} | {f(mb)} | {f(r['tcp_pct'], 1, ' %')} | "
                 f"{f(r['rr_tps'])} | {f(r['rr_pct'], 1, ' %')} | {f(r['tcp_inv_per_packet'], 2)} | "
                 f"{f(r['rr_inv_per_packet'], 2)} | {f(r['paper_te_tcp_pct'], 0, ' %')} |")
    if not rows:
        o.append('| (no rows: the test-bed boots failed) | | | | | | | | | |')
    p = doc['paper']
    o += ['', f"Paper's trap & emulate row: strict {p['strict']} %, relaxed {p['deferred']} %, "
          f"optimistic {p['optimistic']} % ({p['source']}).", '']
    return '\n'.join(o) + '\n'


if __name__ == '__main__':
    sys.exit(main())
