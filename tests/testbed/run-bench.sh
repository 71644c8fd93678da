#!/bin/bash
# tests/testbed/run-bench.sh --out DIR [--quick] [--build BUILDDIR]
# The real trap-and-emulate rows of the benchmark report: boots the test bed twice
#  1. vfiomap: VFIO map/unmap of 4 KiB pages through an nvme VF's group, raw and per lib/iova
#     strategy (iova-vfio-probe), counting QEMU's VT-d invalidation trace events per strategy;
#  2. appliance: dpdk-testpmd and vfapp --backend vfio on two e1000e joined by a QEMU hub.
# Writes DIR/testbed.json ({"records":[{"kind":"testbed",...}]}) and DIR/testbed.md.
# Binaries are taken from BUILDDIR (default: build, then build-testbed). Exit 1 if a run failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out="" quick=0 build=""
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift ;;
	--quick) quick=1 ;;
	--build) build=$2; shift ;;
	-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
	*) echo "run-bench.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$out" ] || { echo "run-bench.sh: --out DIR is required" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -z "$build" ]; then
	for b in "$top/build" "$top/build-testbed"; do [ -f "$b/build.ninja" ] && { build=$b; break; }; done
fi
findbin() { # findbin NAME RELPATH: --bin arguments when the binary exists
	local p=""
	[ -n "$build" ] && [ -x "$build/$2" ] && p=$build/$2
	[ -n "$p" ] && echo "--bin $1 $p"
}
bins="$(findbin iova-vfio-probe benchmarks/microbench/iova-vfio-probe) $(findbin vfapp app/appliance/vfapp)"
testpmd=$(command -v dpdk-testpmd || true)
if [ $quick = 1 ]; then iters=200 secs=1; else iters=2000 secs=3; fi
work=$out/testbed-work
rc=0
echo "testbed: build=${build:-none} binaries:${bins:- none}" >&2
# shellcheck disable=SC2086
"$here/boot.sh" --scenario vfiomap --quiet --workdir "$work/vfiomap" --append "tb.iters=$iters" \
	--trace 'vtd_inv_desc*' --trace pci_cfg_write --trace vtd_dmar_fault $bins >&2 || [ $? = 77 ] || rc=1
# shellcheck disable=SC2086
"$here/boot.sh" --scenario appliance --quiet --workdir "$work/appliance" --dpdk --timeout 300 \
	--append "tb.seconds=$secs" ${testpmd:+--bin dpdk-testpmd $testpmd} $bins >&2 || [ $? = 77 ] || rc=1
python3 - "$work" "$out" "$quick" <<'PY'
import json, os, subprocess, sys
work, out, quick = sys.argv[1], sys.argv[2], sys.argv[3] == '1'
here = os.path.dirname(os.path.abspath(sys.argv[0])) if False else None
recs = []
vj = os.path.join(work, 'vfiomap', 'vfiomap.json')
if os.path.exists(vj):
    for r in json.load(open(vj))['records']:
        r['workload'] = 'map-unmap 4KiB'
        recs.append(r)
cons = os.path.join(work, 'appliance', 'console.log')
if os.path.exists(cons):
    for ln in open(cons, errors='replace'):
        if 'TB-RESULT ' not in ln:
            continue
        kv = dict(w.split('=', 1) for w in ln.split('TB-RESULT ', 1)[1].split() if '=' in w)
        if kv.get('name') not in ('testpmd', 'vfapp'):
            continue
        r = {'kind': 'testbed', 'strategy': kv.get('strategy'), 'mode': 'trap-and-emulate (real QEMU VT-d)',
             'workload': 'fwd ' + kv['name'] + ' 2x e1000e', 'map_ns': None, 'unmap_ns': None, 'invalidations': None}
        for k, v in kv.items():
            if k in ('name', 'strategy'):
                continue
            try:
                r[k] = int(v)
            except ValueError:
                try: r[k] = float(v)
                except ValueError: r[k] = v
        recs.append(r)
for r in recs:
    r['quick'] = quick
    r['env'] = 'QEMU 7.2 TCG, q35, intel-iommu caching-mode=on, Linux 6.1 guest'
json.dump({'records': recs}, open(os.path.join(out, 'testbed.json'), 'w'), indent=1)
def f(v, d=0):
    return '-' if v is None else (f'{v:.{d}f}' if isinstance(v, float) else str(v))
with open(os.path.join(out, 'testbed.md'), 'w') as m:
    m.write('## Real trap-and-emulate (QEMU VT-d, caching mode, TCG)\n\n')
    m.write('Linux 6.1 guest under QEMU 7.2 TCG; VFIO type1 through the emulated intel-iommu; '
            'invalidations = IOTLB invalidation descriptors QEMU trapped (trace vtd_inv_desc_iotlb_*). '
            'TCG timings vary ~30 % between runs: compare rows of one run only.\n\n')
    m.write('| workload | strategy | map ns | unmap ns | maps | unmaps | IOTLB inv. | inv./unmap | page / domain / global | pps |\n')
    m.write('|---|---|---:|---:|---:|---:|---:|---:|---|---:|\n')
    for r in recs:
        pps = r.get('kpps')
        pps = f'{pps} k' if pps is not None else (f(r.get('pps')) if r.get('pps') is not None else '-')
        inv3 = '-' if r.get('iotlb_pages') is None else f"{r['iotlb_pages']} / {r['iotlb_domain']} / {r['iotlb_global']}"
        m.write(f"| {r['workload']} | {r['strategy']} | {f(r.get('map_ns'))} | {f(r.get('unmap_ns'))} | {f(r.get('maps'))} | "
                f"{f(r.get('unmaps'))} | {f(r.get('invalidations'))} | {f(r.get('invalidations_per_unmap'), 2)} | {inv3} | {pps} |\n")
    if not recs:
        m.write('| (no rows: the test bed runs failed) | | | | | | | | | |\n')
print(f"testbed: {len(recs)} records -> {out}/testbed.json, testbed.md", file=sys.stderr)
PY
exit $rc
