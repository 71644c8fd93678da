#!/bin/bash
# tests/testbed/boot.sh: boot the Debian kernel under QEMU TCG with a scenario and judge it.
#
#   boot.sh --scenario NAME [--topo TOPO] [--append "tb.key=val ..."] [--bin NAME PATH]...
#           [--dpdk] [--trace EVENT-PATTERN]... [--workdir DIR] [--timeout SEC] [--quiet]
#           [--iommu "KERNEL-ARGS"] [--cm on|off]
#
# NAME selects tests/testbed/scenarios/NAME.sh, run inside the guest as /tb/scenario.sh. Its header
# lines: "# topo: T" (QEMU devices), "# needs: NAME..." (which --bin binaries to copy in),
# "# post: rows" (join TB-RESULT rows with the QEMU trace, rows.py).
# TOPO (default: the scenario's "# topo:" header line) selects the QEMU devices, see topo_args.
# Binaries given with --bin are copied in with their shared libraries and appear as
# /tb/bin/NAME in the guest. --trace enables QEMU trace events (log written to
# WORKDIR/trace.log). The console goes to WORKDIR/console.log (and stdout unless --quiet).
# --iommu replaces the kernel's IOMMU parameters (default "intel_iommu=on"), e.g.
# "intel_iommu=on iommu.strict=0", "intel_iommu=on iommu=pt", "intel_iommu=off"; --cm sets the
# emulated VT-d's caching mode (default on; off: the guest does not flush on map, as on hardware).
# Exit status: 0 TB-PASS with nothing skipped, 77 TB-PASS with checks skipped (a binary not
# built on the host), 1 TB-FAIL / timeout / no verdict / a --bin binary missing in the guest.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
scen="" topo="" append="" timeout=180 quiet=0 dpdk=0 workdir="" iommu="intel_iommu=on" cm=on
bins=() traces=()
while [ $# -gt 0 ]; do
	case $1 in
	--scenario) scen=$2; shift ;;
	--topo) topo=$2; shift ;;
	--append) append="$append $2"; shift ;;
	--bin) [ -n "$3" ] && bins+=(--bin "$2" "$3"); shift 2 ;;
	--dpdk) dpdk=1 ;;
	--trace) traces+=("$2"); shift ;;
	--workdir) workdir=$2; shift ;;
	--timeout) timeout=$2; shift ;;
	--quiet) quiet=1 ;;
	--iommu) iommu=$2; shift ;;
	--cm) cm=$2; shift ;;
	-h|--help) sed -n '2,18p' "$0"; exit 0 ;;
	*) echo "boot.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done
script=$here/scenarios/$scen.sh
[ -f "$script" ] || { echo "boot.sh: no scenario $script" >&2; exit 2; }
case $cm in on|off) ;; *) echo "boot.sh: --cm $cm: expected on or off" >&2; exit 2 ;; esac
[ -n "$topo" ] || topo=$(sed -n 's/^# topo: *//p' "$script" | head -1)
[ -n "$topo" ] || topo=base
[ -n "$workdir" ] || workdir=${TMPDIR:-/tmp}/vfmgr-testbed/$scen
mkdir -p "$workdir"
rm -f "$workdir"/trace.log; : >"$workdir"/console.log

command -v qemu-system-x86_64 >/dev/null || { echo "TB-FAIL qemu-system-x86_64 not installed"; exit 1; }

# One boot at a time on this machine (TCG is CPU-heavy), and the shared cache (vmlinux,
# base initramfs, guest helpers, binary archives) is built under the same lock: parallel
# meson tests must never pack a helper another boot is still compiling.
lock=${TB_LOCK:-/tmp/vfmgr-testbed.lock}
exec 9>"$lock"
flock -w $((timeout * 3)) 9 || { echo "TB-FAIL could not get $lock"; exit 1; }
vmlinux=$("$here/mkinitramfs.sh" vmlinux) || exit 1
base=$("$here/mkinitramfs.sh" base) || exit 1
# guest helper programs (tests/testbed/*.c), compiled once into the cache
helpers=$("$here/mkinitramfs.sh" helpers) || exit 1
# only the binaries the scenario names in its "# needs:" header (all when it has none)
needs=$(sed -n 's/^# needs: *//p' "$script" | head -1)
if [ -n "$needs" ] && [ ${#bins[@]} -gt 0 ]; then
	kept=()
	for ((i = 0; i < ${#bins[@]}; i += 3)); do
		case " $needs " in *" ${bins[i+1]} "*) kept+=("${bins[@]:i:3}") ;; esac
	done
	bins=("${kept[@]}")
fi
bin_args=()
for h in $helpers; do bin_args+=(--bin "$(basename "$h")" "$h"); done
[ $dpdk = 1 ] && bin_args+=(--dpdk)
"$here/mkinitramfs.sh" extra "$workdir/bins.cpio.gz" "${bin_args[@]}" "${bins[@]}" || exit 1
"$here/mkinitramfs.sh" extra "$workdir/scenario.cpio.gz" --file "$script" /tb/scenario.sh \
	--file "$here/guest/tb-node.xml" /etc/tb-node.xml --file "$here/guest/tb-routes.conf" /etc/tb-routes.conf || exit 1
cat "$base" "$workdir/bins.cpio.gz" "$workdir/scenario.cpio.gz" >"$workdir/initrd.img"

# QEMU devices per topology. Facts behind them: tests/testbed/README.md.
mem=1G
# no_timer_check: on a loaded host the IO-APIC timer check through interrupt remapping can time
# out under TCG and panic ("timer doesn't work through Interrupt-remapped IO-APIC")
cmdline="console=ttyS0 $iommu panic=-1 quiet loglevel=4 no_timer_check tb.scenario=$scen"
nvme_img() { [ -f "$workdir/nvme.img" ] || truncate -s 4M "$workdir/nvme.img"; }
nvme_pf() { # nvme_pf BUS: nvme PF with 4 VFs on BUS
	nvme_img
	echo -device nvme-subsys,id=subsys0 \
		-drive file=$workdir/nvme.img,if=none,id=nvm,format=raw \
		-device nvme,id=nvme0,serial=tb0001,subsys=subsys0,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=4,max_ioqpairs=12,msix_qsize=16,bus=$1 \
		-device nvme-ns,drive=nvm,bus=nvme0
}
# the host's root, read-only over 9p (guest/tb-hostfs.sh mounts it under an overlay)
hostfs="-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap"
nvme_vf_ns() { # nvme_vf_ns NSID...: namespaces on the PF's subsystem attached to no controller
	local n
	for n in "$@"; do
		[ -f "$workdir/ns$n.img" ] || truncate -s 8M "$workdir/ns$n.img"
		echo -drive file=$workdir/ns$n.img,if=none,id=nvm$n,format=raw \
			-device nvme-ns,drive=nvm$n,bus=nvme0,nsid=$n,detached=on
	done
}
case $topo in
base) dev="" ;;
nvme-acs) dev="-device pcie-root-port,id=rp1,chassis=1,slot=1 $(nvme_pf rp1)" ;;
nvme-hostfs) dev="-device pcie-root-port,id=rp1,chassis=1,slot=1 $(nvme_pf rp1) $hostfs"; mem=1536M ;;
nvme-vfns) dev="-device pcie-root-port,id=rp1,chassis=1,slot=1 $(nvme_pf rp1) $(nvme_vf_ns 2 3 4) $hostfs" ;;
nvme-noacs) dev="-device ioh3420,id=rp1,chassis=1,slot=1 $(nvme_pf rp1)" ;;
nvme-noacs-rp) dev="-device pcie-root-port,id=rp1,chassis=1,slot=1,disable-acs=on $(nvme_pf rp1)" ;;
nvme-numa)
	dev="-object memory-backend-ram,id=m0,size=512M -object memory-backend-ram,id=m1,size=512M
	     -numa node,nodeid=0,cpus=0,memdev=m0 -numa node,nodeid=1,cpus=1,memdev=m1
	     -device pxb-pcie,id=pxb1,bus_nr=128,numa_node=1,bus=pcie.0
	     -device pcie-root-port,id=rp1,chassis=1,slot=1,bus=pxb1 $(nvme_pf rp1)" ;;
e1000e) dev="-device pcie-root-port,id=rp1,chassis=1,slot=1 -device pcie-root-port,id=rp2,chassis=2,slot=2
	     -netdev hubport,id=h0,hubid=0 -device e1000e,netdev=h0,bus=rp1,mac=52:54:00:00:00:01
	     -netdev hubport,id=h1,hubid=0 -device e1000e,netdev=h1,bus=rp2,mac=52:54:00:00:00:02"
	mem=1536M; cmdline="$cmdline hugepages=192" ;;
e1000e-gen) # generator g0 and appliance port a0 on hub 0; appliance port a1 and sink g1 on hub 1
	dev=""
	i=1
	for n in g0:0:0a a0:0:0b a1:1:0c g1:1:0d; do
		IFS=: read -r nm hub mac <<<"$n"
		dev="$dev -device pcie-root-port,id=rp$i,chassis=$i,slot=$i
		     -netdev hubport,id=$nm,hubid=$hub -device e1000e,netdev=$nm,bus=rp$i,mac=52:54:00:00:00:$mac"
		i=$((i + 1))
	done
	mem=1536M; cmdline="$cmdline hugepages=256" ;;
*) echo "boot.sh: unknown topology $topo" >&2; exit 2 ;;
esac
trace_args=()
for t in "${traces[@]}"; do trace_args+=(-trace "enable=$t"); done
[ ${#traces[@]} -gt 0 ] && trace_args+=(-D "$workdir/trace.log")

t0=$(date +%s.%N)
# shellcheck disable=SC2086
timeout --foreground -k 5 "$timeout" qemu-system-x86_64 -accel tcg -machine q35,kernel-irqchip=split \
	-cpu max -smp 2 -m $mem -nodefaults -display none -monitor none -serial stdio -no-reboot -nic none \
	-device intel-iommu,intremap=on,caching-mode=$cm \
	-kernel "$vmlinux" -initrd "$workdir/initrd.img" -append "$cmdline $append" \
	$dev "${trace_args[@]}" </dev/null 2>"$workdir/qemu.stderr" | tr -d '\r' >"$workdir/console.log" &
qpid=$!
if [ $quiet = 0 ]; then tail -n +1 -f --pid=$qpid "$workdir/console.log" 2>/dev/null & fi
wait $qpid
qrc=$?
exec 9>&-
# the initramfs pieces are cached; keep only the logs unless TB_KEEP is set
[ -n "${TB_KEEP:-}" ] || rm -f "$workdir"/initrd.img "$workdir"/bins.cpio.gz "$workdir"/scenario.cpio.gz "$workdir"/extra.cpio.gz
t1=$(date +%s.%N)
sleep 0.2
secs=$(echo "$t1 $t0" | awk '{printf "%.1f", $1 - $2}')
echo "TB-HOST scenario=$scen topo=$topo qemu_rc=$qrc seconds=$secs workdir=$workdir" | tee -a "$workdir/console.log"
[ -s "$workdir/qemu.stderr" ] && sed 's/^/qemu: /' "$workdir/qemu.stderr" | head -20
python3 "$here/parse.py" verdict "$workdir/console.log"
rc=$?
# A skip is legitimate only for a binary the host did not build. One that was handed in with
# --bin and still reported missing in the guest means the initramfs is broken: fail.
if [ $rc = 77 ]; then
	for ((i = 0; i < ${#bins[@]}; i += 3)); do
		if grep -q "TB-CHECK skip ${bins[i+1]} " "$workdir/console.log"; then
			echo "TB-FAIL ${bins[i+1]} was packed (--bin ${bins[i+2]}) but the guest reports it missing"
			rc=1
		fi
	done
fi
# measuring scenarios: join the rows with QEMU's trace (needs --trace, see rows.py)
if [ $rc != 1 ] && grep -q '^# post: rows' "$script" && [ -f "$workdir/trace.log" ]; then
	python3 "$here/rows.py" "$workdir" || rc=1
fi
exit $rc
