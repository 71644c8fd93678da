#!/bin/bash
# tests/testbed/run-te.sh --out DIR [--quick] [--build BUILDDIR] [--strategies LIST]
# tests/testbed/run-te.sh --can-boot    exit 0 if the test bed can boot here, else print why
# "Trap & emulate, measured (QEMU intel-iommu, TCG)": boots the test bed
#  1. linuxte four times (guest kernel intel_iommu=on iommu.strict=1 | intel_iommu=on
#     iommu.strict=0 | intel_iommu=on iommu=pt | intel_iommu=off): iperf3 TCP and sockperf UDP
#     ping-pong between two namespaces, each owning one e1000e, over one QEMU hub;
#     without --quick also strict and lazy with the VT-d's caching mode off (Linux 6.1 forces
#     strict when CAP.CM=1: "IOMMU batching disallowed due to virtualization");
#  2. appte once (intel_iommu=on iommu=pt: the kernel's own NICs identity-mapped): vfapp
#     forwards between two e1000e on vfio-pci with its pool in external memory
#     (--pool-mem extmem), iperf3 and sockperf through it for every lib/iova strategy.
# QEMU's trapped IOTLB invalidations are counted per section (rows.py). Writes
# DIR/testbed-te.json ({"records": [...], "summary": {...}}, fields: benchmarks/README.md) and
# DIR/testbed-te.md (the table). Exit 1 if a boot failed (the rows that exist are still written).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
out="" quick=0 build="" strategies="" canboot=0
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift ;;
	--quick) quick=1 ;;
	--build) build=$2; shift ;;
	--strategies) strategies=$2; shift ;;
	--can-boot) canboot=1 ;;
	-h|--help) sed -n '2,18p' "$0"; exit 0 ;;
	*) echo "run-te.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
can_boot() {
	command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"; return 1; }
	ls /boot/vmlinuz-* >/dev/null 2>&1 || { echo "no /boot/vmlinuz-* (apt-get install linux-image-amd64)"; return 1; }
	[ -x /bin/busybox ] || { echo "no static /bin/busybox (apt-get install busybox-static)"; return 1; }
	local t
	for t in iperf3 sockperf; do command -v $t >/dev/null || { echo "$t not installed (apt-get install $t)"; return 1; }; done
	return 0
}
if [ $canboot = 1 ]; then can_boot; exit; fi
[ -n "$out" ] || { echo "run-te.sh: --out DIR is required" >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
if [ -z "$build" ]; then
	for b in "$top/build" "$top/build-testbed"; do [ -f "$b/build.ninja" ] && { build=$b; break; }; done
fi
vfapp=""
[ -n "$build" ] && [ -x "$build/app/appliance/vfapp" ] && vfapp=$build/app/appliance/vfapp
[ -n "$strategies" ] || strategies=$("${vfapp:-false}" --list-strategies 2>/dev/null | tr '\n' ',' | sed 's/,$//')
[ -n "$strategies" ] || strategies=off,strict,deferred,optimistic,persistent,shared,ring,pool
if [ $quick = 1 ]; then secs=1; else secs=3; fi
tools=()
for t in iperf3:/usr/bin/iperf3 sockperf:/usr/bin/sockperf ip:/usr/sbin/ip; do
	p=$(command -v "${t%%:*}" || echo "${t#*:}")
	[ -x "$p" ] || { echo "run-te.sh: ${t%%:*} not installed (apt-get install iperf3 sockperf iproute2)" >&2; exit 1; }
	tools+=(--bin "${t%%:*}" "$p")
done
work=$out/testbed-te-work
rm -rf "$work"; mkdir -p "$work"
trace=(--trace 'vtd_inv_desc_iotlb*' --trace pci_cfg_write --trace vtd_dmar_fault)
rc=0
t0=$(date +%s)
# name:caching-mode:kernel IOMMU parameters
linux_modes="strict:on:intel_iommu=on,iommu.strict=1 lazy:on:intel_iommu=on,iommu.strict=0 pt:on:intel_iommu=on,iommu=pt off:on:intel_iommu=off"
[ $quick = 1 ] || linux_modes="$linux_modes strict-cmoff:off:intel_iommu=on,iommu.strict=1 lazy-cmoff:off:intel_iommu=on,iommu.strict=0"
for m in $linux_modes; do
	IFS=: read -r name cm args <<<"$m"
	echo "run-te: linux $name (caching-mode=$cm, ${args//,/ })" >&2
	"$here/boot.sh" --scenario linuxte --quiet --workdir "$work/linux-$name" --timeout 300 --cm "$cm" \
		--iommu "${args//,/ }" --append "tb.mode=${name%-cmoff} tb.seconds=$secs" "${trace[@]}" "${tools[@]}" >&2 || rc=1
done
if [ -n "$vfapp" ]; then
	echo "run-te: vfapp strategies $strategies" >&2
	"$here/boot.sh" --scenario appte --quiet --workdir "$work/appte" --dpdk --timeout 900 \
		--iommu "intel_iommu=on iommu=pt" --append "tb.seconds=$secs tb.contain=0 tb.strategies=$strategies" \
		"${trace[@]}" --bin vfapp "$vfapp" "${tools[@]}" >&2 || rc=1
else
	echo "run-te: no vfapp under ${build:-(no build directory)}: the lib/iova rows are missing" >&2
	rc=1
fi
elapsed=$(( $(date +%s) - t0 ))
python3 "$here/te_table.py" --work "$work" --out "$out" --quick "$quick" --seconds "$secs" \
	--elapsed "$elapsed" --published "$top/benchmarks/published.json" || rc=1
exit $rc
