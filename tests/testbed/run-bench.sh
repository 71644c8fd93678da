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
trace="--trace vtd_inv_desc_iotlb* --trace vtd_inv_desc_cc* --trace pci_cfg_write --trace vtd_dmar_fault"
set -f   # the trace patterns are not globs
rc=0
echo "testbed: build=${build:-none} binaries:${bins:- none}" >&2
# shellcheck disable=SC2086
"$here/boot.sh" --scenario vfiomap --quiet --workdir "$work/vfiomap" --append "tb.iters=$iters" \
	$trace $bins >&2 || [ $? = 77 ] || rc=1
# shellcheck disable=SC2086
"$here/boot.sh" --scenario appliance --quiet --workdir "$work/appliance" --dpdk --timeout 300 \
	--append "tb.seconds=$secs" $trace ${testpmd:+--bin dpdk-testpmd $testpmd} $bins >&2 || [ $? = 77 ] || rc=1
python3 - "$work" "$out" "$quick" <<'PY'
import json, os, subprocess, sys
work, out, quick = sys.argv[1], sys.argv[2], sys.argv[3] == '1'
here = os.path.dirname(os.path.abspath(sys.argv[0])) if False else None
recs = []
for sc in ('vfiomap', 'appliance'):
    p = os.path.join(work, sc, 'rows.json')
    if os.path.exists(p):
        recs += json.load(open(p))['records']
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
            'TCG timings vary ~30 % between runs: compare rows of one run only. map/unmap in ns per call '
            '(map-unmap rows) or TSC cycles (vfapp rows); pps = forwarded packets per second.\n\n')
    m.write('| workload | strategy | map | unmap | maps | unmaps | IOTLB inv. | inv./unmap | page / domain / global | pps |\n')
    m.write('|---|---|---:|---:|---:|---:|---:|---:|---|---:|\n')
    for r in recs:
        if r.get('mpps') is not None:
            pps = f"{r['mpps'] * 1000:.1f} k"
        elif r.get('rx_pps') is not None:
            pps = f"{r['rx_pps'] / 1000:.1f} k"
        else:
            pps = '-'
        if r.get('map_ns') is None and r.get('map_cycles') is not None:
            r = dict(r, map_ns=f"{r['map_cycles']} cyc", unmap_ns=f"{r['unmap_cycles']} cyc")
        if r.get('maps') is None and r.get('lib_maps') is not None:
            r = dict(r, maps=r['lib_maps'], unmaps=r['lib_unmaps'])
        inv3 = '-' if r.get('iotlb_pages') is None else f"{r['iotlb_pages']} / {r['iotlb_domain']} / {r['iotlb_global']}"
        m.write(f"| {r['workload']} | {r['strategy']} | {f(r.get('map_ns'))} | {f(r.get('unmap_ns'))} | {f(r.get('maps'))} | "
                f"{f(r.get('unmaps'))} | {f(r.get('invalidations'))} | {f(r.get('invalidations_per_unmap'), 2)} | {inv3} | {pps} |\n")
    if not recs:
        m.write('| (no rows: the test bed runs failed) | | | | | | | | | |\n')
    # computed from this run: trapped invalidations of each strategy relative to strict
    for wl in sorted({r['workload'] for r in recs}):
        rows = {r['strategy']: r for r in recs if r['workload'] == wl and r.get('invalidations') is not None}
        st = rows.get('strict')
        if not st or not st['invalidations']:
            continue
        base = st['invalidations'] / max(1, st.get('unmaps') or st.get('lib_unmaps') or 1)
        parts = []
        for k, r in rows.items():
            if k == 'strict' or k in (None, 'none'):
                continue
            n = r.get('unmaps') or r.get('lib_unmaps') or 0
            if n:
                parts.append(f"{k} {r['invalidations'] / n / base:.2f}")
        if parts:
            m.write(f"\n{wl}: trapped IOTLB invalidations per operation relative to strict (= 1): " + ", ".join(parts) + ".\n")
print(f"testbed: {len(recs)} records -> {out}/testbed.json, testbed.md", file=sys.stderr)
PY
exit $rc
