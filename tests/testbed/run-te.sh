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
#     --quick: Linux's pt row is measured in this boot (same kernel parameters; g0 and a0 of
#     hub 0 on the kernel's e1000e before a0 goes to vfio-pci), not in a boot of its own.
# QEMU's trapped IOTLB invalidations are counted per section (rows.py). Writes
# DIR/testbed-te.json ({"records": [...], "summary": {...}}, fields: benchmarks/README.md) and
# DIR/testbed-te.md (the table). Exit 1 if a boot failed (the rows that exist are still written).
# The test-bed lock is held for the whole sequence; stderr gets one "run-te: profile" line per
# boot (host/QEMU seconds, guest boot and phase times, load). --quick: ~2 minutes (README there).
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
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
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
# One boot sequence, one measurement: hold the test bed's lock (boot.sh's, shared with the meson
# test-bed suite and other checkouts) across every boot, so that no other QEMU boot runs between
# the no-IOMMU baseline and the rows compared with it; boot.sh then locks a private file.
lock=${TB_LOCK:-/tmp/vfmgr-testbed.lock}
w0=$(date +%s)
exec 9>"$lock"
flock -w 1800 9 || { echo "run-te.sh: could not get $lock in 30 minutes" >&2; exit 1; }
export TB_LOCK=$work/boot.lock
lock_wait=$(( $(date +%s) - w0 ))
[ $lock_wait -lt 2 ] || echo "run-te: waited ${lock_wait} s for $lock (another test-bed boot)" >&2
t0=$(date +%s)
# prof NAME T0: one line per boot: host wall time (boot.sh: initramfs, QEMU, rows.py), QEMU's
# own seconds and the guest's phase clock (TB-INFO t=... lines), with the load average
prof() {
	local d=$work/${1} w
	w=$(awk -v a="$2" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	echo "run-te: profile $1: host ${w} s, qemu $(sed -n 's/^TB-HOST.* seconds=\([0-9.]*\).*/\1/p' "$d/console.log" 2>/dev/null) s," \
		"boot $(sed -n 's/^TB-BOOT.* uptime=\([0-9.]*\).*/\1/p' "$d/console.log" 2>/dev/null) s," \
		"phases: $(sed -n 's/^TB-INFO t=\([0-9.]*\) \(.*\)/\1 \2/p' "$d/console.log" 2>/dev/null | awk '{ t = $1; $1 = ""; if (p != "") printf "%s %.1f;", lbl, t - p; p = t; lbl = $0 } END { }')" \
		"load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
}
# name:caching-mode:kernel IOMMU parameters
# --quick: Linux's pt row comes from the vfapp boot, which is booted with the same parameters
# (appte.sh tb.linuxpt=1: g0 and a0 of hub 0 on the kernel's e1000e first): one boot less
linux_modes="strict:on:intel_iommu=on,iommu.strict=1 lazy:on:intel_iommu=on,iommu.strict=0 pt:on:intel_iommu=on,iommu=pt off:on:intel_iommu=off"
linuxpt=0
if [ $quick = 1 ]; then
	linux_modes=${linux_modes/ pt:on:intel_iommu=on,iommu=pt/}
	linuxpt=1
else
	linux_modes="$linux_modes strict-cmoff:off:intel_iommu=on,iommu.strict=1 lazy-cmoff:off:intel_iommu=on,iommu.strict=0"
fi
for m in $linux_modes; do
	IFS=: read -r name cm args <<<"$m"
	echo "run-te: linux $name (caching-mode=$cm, ${args//,/ })" >&2
	b0=$(date +%s.%N)
	"$here/boot.sh" --scenario linuxte --quiet --workdir "$work/linux-$name" --timeout 300 --cm "$cm" \
		--iommu "${args//,/ }" --append "tb.mode=${name%-cmoff} tb.seconds=$secs" "${trace[@]}" "${tools[@]}" >&2 || rc=1
	prof linux-$name $b0
done
if [ -n "$vfapp" ]; then
	echo "run-te: vfapp strategies $strategies" >&2
	b0=$(date +%s.%N)
	"$here/boot.sh" --scenario appte --quiet --workdir "$work/appte" --dpdk --timeout 900 \
		--iommu "intel_iommu=on iommu=pt" --append "tb.seconds=$secs tb.contain=0 tb.strategies=$strategies tb.linuxpt=$linuxpt" \
		"${trace[@]}" --bin vfapp "$vfapp" "${tools[@]}" >&2 || rc=1
	prof appte $b0
else
	echo "run-te: no vfapp under ${build:-(no build directory)}: the lib/iova rows are missing" >&2
	rc=1
fi
exec 9>&-
elapsed=$(( $(date +%s) - t0 ))
python3 "$here/te_table.py" --work "$work" --out "$out" --quick "$quick" --seconds "$secs" \
	--elapsed "$elapsed" --published "$top/benchmarks/published.json" || rc=1
exit $rc
