# topo: nvme-vfns
# needs: vfmgr
# Scenario: nvme VFs the host uses (issue #14), on the real kernel. QEMU's nvme PF hands
# flexible resources to its secondary controllers (nvme-cli virt-mgmt, QEMU
# docs/system/devices/nvme.rst "Virtualization Enhancements and SR-IOV"), so its VFs bind to
# the kernel's nvme driver; each VF gets its own namespace (nsid 2, 3, 4 are created detached
# and attached to one secondary controller each). Debian's kernel has native multipath: the
# VF's path disk (nvme<S>c<C>n<N>) sits under the VF, the disk users open (nvme<S>n<N>) under
# the subsystem.
#   VF0: ext4 on its namespace, mounted        -> apply and assign --vf refuse, naming the mount
#   VF1: its namespace held open by a process  -> refused, naming the pid
#   VF2: idle namespace on nvme                -> assign takes it, the journal records nvme as
#                                                 its previous driver, release gives it back
# Then, with the mount and the holder gone, apply binds all three to vfio-pci (the refusal
# was the host use, nothing else). nvme-cli, mkfs.ext4 and the ext4 module come from the
# host's root over 9p (guest/tb-hostfs.sh).
. /etc/tb-lib.sh; . /etc/tb-sriov.sh; . /etc/tb-hostfs.sh
modprobe vfio-pci; modprobe vfio_iommu_type1
PF=$(tb_nvme_pf) || { tb_fail pf-present "no nvme PF with sriov_totalvfs"; tb_finish; exit 1; }
tb_hostfs_mount >/tmp/hostfs.log 2>&1 || { tb_fail hostfs "cannot mount the host's root: $(tail -c 300 /tmp/hostfs.log)"; tb_finish; exit 1; }
tb_have vfmgr || { tb_skip vfmgr "vfmgr binary not built: host-use refusals not tested"; tb_finish; exit 0; }
. /etc/tb-nvmevf.sh

# ---- nvme PF on the kernel's nvme driver, three VFs online, namespace 2+i attached to VF i
if ! tb_nvme_vfs $PF 3; then
	tb_fail nvme-vfs-online "$(tail -c 400 /tmp/nvmevf.log | tr '\n' ' ')"; tb_finish; exit 1
fi
tb_ok nvme-vfs-online "controller $TB_NVME_C, secondary controllers$TB_NVME_SCIDS"
VFS=$(tb_vfs $PF)
set -- $VFS
VF0=$1 VF1=$2 VF2=$3
i=0
for s in $TB_NVME_SCIDS; do
	tb_h nvme attach-ns /dev/$TB_NVME_C -n $((i + 2)) -c $s >>/tmp/nvmevf.log 2>&1
	tb_eq vf$i-attach-ns$((i + 2)) $? 0
	i=$((i + 1))
done
for vf in $VFS; do tb_true bind-nvme-$vf tb_bind $vf nvme; done
# namespace 2+i is VF i's
vf_disk() { tb_nvme_vf_disk $1 $(($(tb_vfs $PF | grep -n "^$1\$" | cut -d: -f1) + 1)); }
has_disk() { [ -n "$(vf_disk $1)" ]; }
no_disk() { [ -z "$(vf_disk $1)" ]; }
disk_is() { [ "$(vf_disk $1)" = "$2" ]; }
for vf in $VF0 $VF1 $VF2; do tb_wait_for 10 has_disk $vf; done
D0=$(vf_disk $VF0) D1=$(vf_disk $VF1) D2=$(vf_disk $VF2)
tb_info "VF disks: $VF0 $D0, $VF1 $D1, $VF2 $D2; paths: $(ls -d $PCI/$VF0/nvme/*/nvme*n* $PCI/$VF1/nvme/*/nvme*n* $PCI/$VF2/nvme/*/nvme*n* 2>/dev/null | sed 's,.*/,,' | tr '\n' ' ')"
for d in "$D0" "$D1" "$D2"; do tb_true vf-disk-$d test -b /dev/$d; done

# ---- VF0 mounted, VF1 held open, VF2 idle
tb_h modprobe ext4
tb_true mkfs-ext4-$D0 tb_h mkfs.ext4 -q -F /dev/$D0
mkdir -p /mnt/vf0
tb_true mount-$D0 mount -t ext4 /dev/$D0 /mnt/vf0
echo "written before vfmgr ran" >/mnt/vf0/probe && sync
sleep 100000 </dev/$D1 &
HOLD=$!
tb_true holder-has-$D1-open sh -c "ls -l /proc/$HOLD/fd | grep -q /dev/$D1"

mkdir -p /etc/vfmgr /var/lib/vfmgr
CONF=/etc/vfmgr/vfmgr.conf
printf '[pf "%s"]\nnumvfs = 3\ndriver = vfio-pci\n' $PF >$CONF
V="vfmgr --local --config $CONF --root / --connect test:///etc/tb-node.xml"
g() { awk -v k="$1=" 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' /tmp/status.gron; }
$V --json status >/tmp/status.json 2>/tmp/status.err
tb_gron /tmp/status.json >/tmp/status.gron
p=""; i=0
while [ -n "$(g ".pfs[$i].bdf")" ]; do [ "$(g ".pfs[$i].bdf")" = $PF ] && p=".pfs[$i]"; i=$((i + 1)); done
tb_info "status host_use: vf0 '$(g "$p.vfs[0].host_use")' vf1 '$(g "$p.vfs[1].host_use")' vf2 '$(g "$p.vfs[2].host_use")'"
has() { echo "$1" | grep -q -- "$2"; }
tb_true status-vf0-mounted has "$(g "$p.vfs[0].host_use")" "/dev/$D0 is mounted on /mnt/vf0"
tb_true status-vf1-open has "$(g "$p.vfs[1].host_use")" "/dev/$D1 is open by pid $HOLD"
tb_eq status-vf2-idle "$(g "$p.vfs[2].host_use")" null
tb_eq status-vf2-driver "$(g "$p.vfs[2].driver")" nvme

# check and plan flag them; plan exits with apply's code
$V check >/tmp/out 2>&1; rc=$?
tb_info "check (exit $rc): $(grep -i 'use' /tmp/out | head -c 500 | tr '\n' ' ')"
tb_true check-fails-on-host-use test $rc != 0
tb_true check-names-mount grep -q "/mnt/vf0" /tmp/out
$V plan >/tmp/out 2>&1; rc=$?
tb_info "plan (exit $rc): $(head -c 500 /tmp/out | tr '\n' ' ')"
tb_eq plan-refuses-exit7 $rc 7
tb_true plan-names-vf0-mount grep -q "mounted on /mnt/vf0" /tmp/out
tb_true plan-names-vf1-pid grep -q "open by pid $HOLD" /tmp/out
# apply refuses and takes nothing: the filesystem keeps working
$V apply >/tmp/out 2>&1; rc=$?
tb_info "apply (exit $rc): $(head -c 500 /tmp/out | tr '\n' ' ')"
tb_eq apply-refuses-exit7 $rc 7
tb_true apply-names-mount grep -q "mounted on /mnt/vf0" /tmp/out
tb_true apply-says-force grep -q -- "--force" /tmp/out
for vf in $VF0 $VF1 $VF2; do tb_eq apply-left-$vf-on-nvme "$(tb_driver $vf)" nvme; done
tb_true fs-still-works sh -c "echo after >>/mnt/vf0/probe && sync && grep -q 'written before' /mnt/vf0/probe"
tb_eq no-io-errors "$(dmesg | grep -c -i 'I/O error\|EXT4-fs error')" 0

# assign --vf: refused for VF0 and VF1 with the reason and the way out
$V assign --pf $PF --vf 0 vm-node0 >/tmp/out 2>&1; rc=$?
tb_info "assign --vf 0 (exit $rc): $(head -c 400 /tmp/out | tr '\n' ' ')"
tb_eq assign-vf0-refused-exit7 $rc 7
tb_true assign-vf0-names-mount grep -q "/dev/$D0 is mounted on /mnt/vf0 (umount /mnt/vf0)" /tmp/out
tb_true assign-vf0-says-force grep -q -- "--force" /tmp/out
tb_eq assign-vf0-still-nvme "$(tb_driver $VF0)" nvme
$V assign --pf $PF --vf 1 vm-node0 >/tmp/out 2>&1; rc=$?
tb_info "assign --vf 1 (exit $rc): $(head -c 400 /tmp/out | tr '\n' ' ')"
tb_eq assign-vf1-refused-exit7 $rc 7
tb_true assign-vf1-names-pid grep -q "/dev/$D1 is open by pid $HOLD" /tmp/out
tb_eq assign-vf1-still-nvme "$(tb_driver $VF1)" nvme

# VF2: assign takes it from nvme (recorded), release gives it back to nvme
$V assign --pf $PF --vf 2 vm-node0 >/tmp/out 2>&1; rc=$?
tb_eq assign-vf2-idle-ok $rc 0
tb_eq assign-vf2-on-vfio "$(tb_driver $VF2)" vfio-pci
tb_true assign-vf2-disk-gone no_disk $VF2
side=/var/lib/vfmgr/assigned/${PF}_2.json
tb_true journal-recorded-prev-nvme grep -q '"prev_driver": *"nvme"' $side
$V release $PF/2 >/tmp/out 2>&1; rc=$?
tb_info "release (exit $rc): $(head -c 300 /tmp/out | tr '\n' ' ')"
tb_eq release-vf2-ok $rc 0
tb_eq release-vf2-back-on-nvme "$(tb_driver $VF2)" nvme
tb_true release-vf2-namespace-back tb_wait_for 10 disk_is $VF2 $D2
tb_true release-side-file-gone test ! -e $side

# positive control: without the mount and the holder, apply takes all three; plan first names
# the disks that binding removes (the multipath heads, which go with the VFs' only paths)
umount /mnt/vf0
kill $HOLD; wait $HOLD 2>/dev/null
$V plan >/tmp/out 2>&1; rc=$?
tb_eq plan-after-release-ok $rc 0
removes() { grep "removes host devices" /tmp/out | grep -qw "$1"; }
for d in $D0 $D1 $D2; do tb_true plan-names-removed-$d removes $d; done
# namespace 1 is the PF's, shared by every controller: unbinding VFs removes only paths to it
S1=$(tb_nvme_vf_disk $VF0 1)
tb_false plan-keeps-shared-ns1-$S1 removes $S1
hidden() { grep "removes host devices" /tmp/out | grep -q "nvme[0-9]*c[0-9]*n"; }
tb_false plan-names-no-hidden-path hidden
tb_info "plan: $(head -c 500 /tmp/out | tr '\n' ' ')"
$V apply >/tmp/out 2>&1; rc=$?
tb_eq apply-after-release-ok $rc 0
[ $rc = 0 ] || tb_info "apply: $(head -c 400 /tmp/out | tr '\n' ' ')"
for vf in $VF0 $VF1 $VF2; do tb_eq apply-$vf-vfio "$(tb_driver $vf)" vfio-pci; done
tb_finish
