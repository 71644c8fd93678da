#!/usr/bin/env python3
"""tests/testbed/rows.py WORKDIR: host-side check of the measuring scenarios (vfiomap, appliance;
boot.sh runs it for scenarios with a "# post: rows" header). Joins the console's TB-RESULT rows
(section=N) with the VT-d invalidations QEMU traced in that section (markers: parse.py);
writes WORKDIR/rows.json ({"records": [...]}).
Assertions: the raw row traps at least one page-selective IOTLB invalidation per unmap
(Linux intel-iommu in caching mode flushes on map and unmap); and strict traps at least one per unmap; for every lib/iova row, QEMU trapped at least
one page-selective invalidation per backend map the library reports."""
import json
import os
import re
import subprocess
import sys

wd = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))
parse = os.path.join(here, 'parse.py')
res = json.loads(subprocess.check_output([sys.executable, parse, 'results', os.path.join(wd, 'console.log')]))
tr = json.loads(subprocess.check_output([sys.executable, parse, 'trace', os.path.join(wd, 'trace.log')]))['sections']
rows, fails = [], []


def te_row(r, sec):
    """Trap & emulate rows (scenarios linuxte, appte): throughput / transactions of the kernel's
    DMA API (linux-*) or of vfapp (app-*), joined with the invalidations QEMU trapped in the
    same section; contain: the DMAR fault QEMU traced for the unmapped buffer."""
    name = r['name']
    iotlb = sum(v for k, v in sec.items() if k.startswith('vtd_inv_desc_iotlb'))
    row = {'kind': 'testbed', 'testbed_kind': 'trap-emulate', 'name': name,
           'stack': 'linux' if name.startswith('linux-') else 'vfapp',
           'strategy': r.get('strategy') or ('linux-' + str(r.get('mode'))),
           'mode': 'trap-and-emulate (real QEMU VT-d)',
           'workload': {'iperf3': 'iperf3 TCP', 'sockperf': 'sockperf UDP ping-pong 64 B',
                        'vfapp': 'vfapp counters', 'mode': 'kernel IOMMU mode'}.get(name.split('-', 1)[-1], name),
           'invalidations': iotlb, 'iotlb_pages': sec.get('vtd_inv_desc_iotlb_pages', 0),
           'iotlb_domain': sec.get('vtd_inv_desc_iotlb_domain', 0),
           'iotlb_global': sec.get('vtd_inv_desc_iotlb_global', 0),
           'dmar_faults': sec.get('vtd_dmar_fault', 0)}
    for k, v in r.items():
        if k not in ('name', 'section', 'strategy'):
            row['linux_mode' if k == 'mode' else k] = v
    n = r.get('packets')
    if name in ('linux-iperf3', 'linux-sockperf', 'app-iperf3', 'app-sockperf'):
        row['invalidations_per_packet'] = round(iotlb / n, 4) if n else None
        if not n:
            fails.append(f"{name} {row['strategy']}: no packets counted in section {r['section']}")
    if name == 'contain':
        lo = int(r.get('page_iova') or 0)
        hi = lo + 4096 * int(r.get('pages') or 1)
        hits = []
        for f in sec.get('faults', []):
            m = re.search(r'addr 0x([0-9a-f]+)', f)
            if m and lo <= int(m.group(1), 16) < hi:
                hits.append(f)
        row['faults_at_buffer'] = len(hits)
        if r.get('fault') == 'unmap' and not hits:
            fails.append(f"contain: QEMU traced no vtd_dmar_fault in [0x{lo:x}, 0x{hi:x}) (the unmapped buffer)")
        if r.get('fault') == 'poison' and sec.get('vtd_dmar_fault', 0):
            fails.append(f"contain positive control: QEMU traced {sec['vtd_dmar_fault']} DMAR faults with the buffer mapped")
    rows.append(row)
    print("testbed-row " + " ".join(f"{k}={v}" for k, v in row.items() if k not in ('kind', 'mode')))


for r in res:
    if 'section' not in r:
        continue
    sec = tr.get(str(r['section']), {})
    iotlb = sum(v for k, v in sec.items() if k.startswith('vtd_inv_desc_iotlb'))
    n = r.get('unmaps') or r.get('lib_unmaps') or r.get('iterations') or 0
    name = r.get('name', '')
    if name.startswith('linux-') or name.startswith('app-') or name == 'contain':
        te_row(r, sec)
        continue
    row = {'kind': 'testbed', 'strategy': r.get('strategy', 'strict' if r.get('name') == 'containment' else None), 'mode': 'trap-and-emulate (real QEMU VT-d)',
           'workload': 'map-unmap 4KiB' if r.get('name') in ('raw', 'probe') else
                       'DMA to unmapped IOVA' if r.get('name') == 'containment' else 'fwd ' + r.get('name', '') + ' e1000e',
           'tool': {'raw': 'tb-vfio-map', 'probe': 'iova-vfio-probe'}.get(r.get('name'), r.get('name')),
           'map_ns': r.get('map_ns'), 'unmap_ns': r.get('unmap_ns'), 'maps': r.get('maps'),
           'unmaps': r.get('unmaps'), 'invalidations': iotlb,
           'invalidations_per_unmap': round(iotlb / n, 3) if n else None,
           'iotlb_pages': sec.get('vtd_inv_desc_iotlb_pages', 0),
           'iotlb_domain': sec.get('vtd_inv_desc_iotlb_domain', 0),
           'iotlb_global': sec.get('vtd_inv_desc_iotlb_global', 0),
           'wait_descriptors': sec.get('vtd_inv_desc_wait_sw', 0) + sec.get('vtd_inv_desc_wait_irq', 0),
           'dmar_faults': sec.get('vtd_dmar_fault', 0)}
    for k, v in r.items():
        if k.startswith('lib_') or k in ('pages', 'rounds', 'errors', 'mpps', 'forwarded', 'packets', 'duration_s',
                                         'map_cycles', 'unmap_cycles', 'rx_pps', 'kpps', 'dma_faults', 'pool_size'):
            row[k] = v
    rows.append(row)
    print("testbed-row " + " ".join(f"{k}={v}" for k, v in row.items() if k not in ('kind', 'mode')))
    if r.get('name') == 'testpmd':
        pass
    elif r.get('name') == 'containment':
        faults = [f for f in sec.get('faults', []) if 'addr 0x4000' in f and 'write 1' in f]
        row['faulted_writes_to_unmapped_iova'] = len(faults)
        if not faults:
            fails.append("containment: QEMU traced no vtd_dmar_fault for the write to the unmapped IOVA 0x400000")
    elif r['strategy'] == 'raw-vfio' and (not n or iotlb < n):
        fails.append(f"raw VFIO: {iotlb} IOTLB invalidations for {n} unmaps (expected >= 1 per unmap)")
    elif r['strategy'] == 'strict' and r.get('name') == 'probe' and (not n or iotlb < n):
        fails.append(f"strict: {iotlb} IOTLB invalidations for {n} unmaps (expected >= 1 per unmap)")
    # cross-check lib/iova's counters with what QEMU trapped: in caching mode every
    # backend map is flushed (one page-selective invalidation), and so is every unmap
    # (vfapp reports strategy-level maps; only under strict is each one a backend map)
    bm = r.get('lib_backend_maps', r.get('lib_maps') if r.get('name') == 'vfapp' and r['strategy'] == 'strict' else None)
    if isinstance(bm, int) and row['iotlb_pages'] < bm:
        fails.append(f"{r['strategy']}: QEMU trapped {row['iotlb_pages']} page invalidations but lib/iova "
                     f"reports {bm} backend maps (each must trap at least once in caching mode)")
if not rows:
    fails.append("no measurement rows on the console")
json.dump({'records': rows}, open(os.path.join(wd, 'rows.json'), 'w'), indent=1)
for f in fails:
    print("TB-HOST-FAIL " + f)
sys.exit(1 if fails else 0)
