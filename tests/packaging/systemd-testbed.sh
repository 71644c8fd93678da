#!/bin/bash
# tests/packaging/systemd-testbed.sh SRCDIR DEBSDIR [--keep]: vfmgrd from the .deb under a real
# systemd as PID 1, on the QEMU TCG test bed (tests/testbed: Debian's 6.1 kernel, emulated
# VT-d, an SR-IOV nvme PF with 4 VFs behind a root port with ACS).
#
# The guest's root is this host's root, read-only over 9p (-virtfs ... readonly=on), under an
# overlayfs whose upper layer is a tmpfs: every write (dpkg, /etc, /var) stays in the guest's
# memory. A busybox initramfs mounts it and switch_roots into /lib/systemd/systemd with
# systemd.unit=tb.target (sysinit + the scenario only, not the host's multi-user services).
# The scenario (guest/systemd-scenario.sh, a oneshot unit on the serial console) installs the
# package with dpkg and checks start/READY=1, apply + assign under the unit's hardening, what
# the sandbox forbids, the journal fields, reload, the watchdog and stop, then powers off.
# Exit 0 when the console ends in TB-PASS, 1 otherwise.
set -uo pipefail
src=$(cd "$1" && pwd) debs=$2
here=$(cd "$(dirname "$0")" && pwd)
tb=$src/tests/testbed
work=${TB_WORKDIR:-${TMPDIR:-/tmp}/vfmgr-testbed/systemd}
timeout=${TB_TIMEOUT:-300}
mkdir -p "$work"
: >"$work/console.log"
command -v qemu-system-x86_64 >/dev/null || { echo "FAIL: qemu-system-x86_64 not installed"; exit 1; }

"$here/build-debs.sh" "$src" "$debs" || { echo "FAIL: building the packages"; exit 1; }
deb=$(ls "$debs"/vfmgr_*_amd64.deb | head -1)

exec 9>"${TB_LOCK:-/tmp/vfmgr-testbed.lock}"
flock -w $((timeout * 3)) 9 || { echo "FAIL: could not get the test-bed lock"; exit 1; }
vmlinux=$("$tb/mkinitramfs.sh" vmlinux) || exit 1
KVER=${TB_KVER:-$(ls /lib/modules | sort -V | tail -1)}

# initramfs: busybox, the 9p/virtio/overlay modules, /init, and the files the guest needs
root=$(mktemp -d "$work/initrd.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,tb,lib/modules/$KVER}
cp /bin/busybox "$root/bin/"
for a in sh mount mkdir modprobe cat cp cut switch_root poweroff echo sleep ls mknod; do ln -s busybox "$root/bin/$a"; done
for m in $(modprobe -S "$KVER" -a --show-depends virtio_pci 9pnet_virtio 9p overlay |
	awk '$1=="insmod"{print $2}' | sort -u); do
	mkdir -p "$root$(dirname "$m")"; cp "$m" "$root$m"
done
cp /lib/modules/$KVER/modules.builtin* /lib/modules/$KVER/modules.order "$root/lib/modules/$KVER/" 2>/dev/null
depmod -b "$root" "$KVER"
install -m 755 "$here/guest/systemd-init" "$root/init"
cp "$deb" "$root/tb/vfmgr.deb"
cp "$here/guest/systemd-scenario.sh" "$root/tb/scenario.sh"
cp "$tb/guest/tb-node.xml" "$root/tb/tb-node.xml"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.img"

[ -f "$work/nvme.img" ] || truncate -s 4M "$work/nvme.img"
t0=$(date +%s)
# shellcheck disable=SC2086
timeout --foreground -k 5 "$timeout" qemu-system-x86_64 -accel tcg -machine q35,kernel-irqchip=split \
	-cpu max -smp 2 -m 1G -nodefaults -display none -monitor none -serial stdio -no-reboot -nic none \
	-device intel-iommu,intremap=on,caching-mode=on \
	-virtfs local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap \
	-device pcie-root-port,id=rp1,chassis=1,slot=1 \
	-device nvme-subsys,id=subsys0 -drive file=$work/nvme.img,if=none,id=nvm,format=raw \
	-device nvme,id=nvme0,serial=tb0001,subsys=subsys0,sriov_max_vfs=4,sriov_vq_flexible=8,sriov_vi_flexible=4,max_ioqpairs=12,msix_qsize=16,bus=rp1 \
	-device nvme-ns,drive=nvm,bus=nvme0 \
	-kernel "$vmlinux" -initrd "$work/initrd.img" \
	-append "console=ttyS0 intel_iommu=on panic=-1 quiet loglevel=4 no_timer_check systemd.unit=tb.target systemd.show_status=0 systemd.log_level=warning" \
	</dev/null 2>"$work/qemu.stderr" | tr -d '\r' | tee "$work/console.log"
qrc=${PIPESTATUS[0]}
exec 9>&-
echo "TB-HOST scenario=systemd qemu_rc=$qrc seconds=$(( $(date +%s) - t0 )) workdir=$work"
[ -s "$work/qemu.stderr" ] && sed 's/^/qemu: /' "$work/qemu.stderr" | grep -v 'multidevs\|9p: Multiple' | head -10
rm -f "$work/initrd.img"
nfail=$(grep -c '^TB-CHECK fail' "$work/console.log")
nok=$(grep -c '^TB-CHECK ok' "$work/console.log")
if grep -q '^TB-PASS' "$work/console.log" && [ "$nfail" = 0 ] && [ "$nok" -gt 0 ]; then
	echo "systemd test bed: PASS ($nok checks)"; exit 0
fi
echo "systemd test bed: FAIL ($nok ok, $nfail failed$(grep -q '^TB-PASS\|^TB-FAIL' "$work/console.log" || echo ', no verdict: boot or timeout, see console.log'))"
grep '^TB-CHECK fail\|^TB-FAIL' "$work/console.log"
exit 1
