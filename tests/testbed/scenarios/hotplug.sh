# topo: nvme-hostfs
# needs: vfmgr vfmgrd
# Scenario libvirt-hotplug (issue #14 part 7): a live VF hot-plug into a real hypervisor.
# Inside the test-bed guest (emulated VT-d, nvme SR-IOV PF, one IOMMU group per VF) the host's
# root is mounted over 9p (guest/tb-hostfs.sh) and its libvirtd 9.0 runs the QEMU driver; a
# domain (q35, TCG, 64 MiB, no disk: its firmware waits for a boot device) is started, and
# vfmgrd (the build's, packed in /tb/bin) is connected to qemu:///system.
#   1. vfmgr assign hp1 --pf PF --vf 0 --plain: VF0 (on the kernel's nvme driver) goes to
#      vfio-pci and into the running domain, live and persistent: libvirt's live and
#      persistent XML list it, QEMU's `info pci` / `info qtree` show a vfio-pci device with
#      host = VF0, QEMU holds /dev/vfio/<VF0's group> open.
#   2. vfmgr release hp1: libvirt detaches it (live and persistent, QEMU's device gone), VF0
#      goes back to nvme, the driver it had (recorded in the journal's intent).
#   2b. VF1 attached by hand (virsh attach-device, managed='no'): status/list show it as
#      "hp1 (not assigned by vfmgr)", assign --vf --force to hp2 exits 7 naming hp1, release
#      exits 6 saying `vfmgr adopt hp1`; adopt records it, release detaches it.
#   3. vfmgrd SIGKILLed between libvirt's attach and the owner record (VFMGR_CRASHPOINT at the
#      journal's "owner" step) while assigning VF1; restarted, it finishes the assignment
#      because libvirt holds the VF (libvirt is the source of truth): journal empty, VF1 owned
#      by hp1 once, in hp1 only, refused to a second domain; released cleanly.
. /etc/tb-lib.sh; . /etc/tb-sriov.sh; . /etc/tb-hostfs.sh
modprobe vfio-pci; modprobe vfio_iommu_type1
PF=$(tb_nvme_pf) || { tb_fail pf-present "no nvme PF with sriov_totalvfs"; tb_finish; exit 1; }
tb_hostfs_mount >/tmp/hostfs.log 2>&1 || { tb_fail hostfs "cannot mount the host's root: $(tail -c 300 /tmp/hostfs.log)"; tb_finish; exit 1; }
for b in vfmgr vfmgrd; do
	tb_have $b || { tb_skip $b "$b binary not built: the hot-plug was not tested"; tb_finish; exit 0; }
done
for p in /usr/sbin/libvirtd /usr/bin/virsh /usr/bin/qemu-system-x86_64; do
	[ -x $H$p ] || { tb_skip libvirt "$p not installed on the host: the hot-plug was not tested"; tb_finish; exit 0; }
done
. /etc/tb-nvmevf.sh
up() { cut -d' ' -f1 /proc/uptime; }
T0=$(up)

# ---- two nvme VFs: VF0 on the kernel's nvme driver, VF1 on vfio-pci
if ! tb_nvme_vfs $PF 2; then
	tb_fail nvme-vfs-online "$(tail -c 400 /tmp/nvmevf.log | tr '\n' ' ')"; tb_finish; exit 1
fi
set -- $(tb_vfs $PF)
VF0=$1 VF1=$2
tb_true vf0-bind-nvme tb_bind $VF0 nvme
tb_true vf0-nvme-controller tb_wait_for 10 sh -c "ls $PCI/$VF0/nvme/ | grep -q nvme"
tb_true vf1-bind-vfio tb_bind $VF1 vfio-pci
for vf in $VF0 $VF1; do tb_eq group-alone-$vf "$(tb_group_members $vf)" $vf; done
G0=$(tb_group $VF0) G1=$(tb_group $VF1)
tb_info "VF0 $VF0 (group $G0, $(tb_driver $VF0)), VF1 $VF1 (group $G1, $(tb_driver $VF1)); setup $(up) s"

# ---- libvirtd with the QEMU driver, in the host's root
mkdir -p $H/var/log/libvirt $H/var/lib/libvirt/qemu $H/var/cache/libvirt/qemu $H/etc/libvirt $H/var/lib/vfmgr $H/etc/vfmgr
cat >$H/etc/libvirt/qemu.conf <<'EOF'
# test bed: root, no sandbox (no cgroup controllers, no mount namespace, no security driver)
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
# QEMU output straight to /var/log/libvirt/qemu/<domain>.log (no virtlogd)
stdio_handler = "file"
EOF
# libvirt's QEMU driver resolves its built-in default user before reading qemu.conf: the
# package's postinst creates it, a host without it gets one in the overlay
grep -q '^libvirt-qemu:' $H/etc/passwd || echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin' >>$H/etc/passwd
grep -q '^libvirt-qemu:' $H/etc/group || echo 'libvirt-qemu:x:64055:' >>$H/etc/group
grep -q '^libvirt:' $H/etc/group || echo 'libvirt:x:64056:' >>$H/etc/group
cat >$H/etc/libvirt/libvirtd.conf <<'EOF'
log_outputs = "2:file:/var/log/libvirt/libvirtd.log"
auth_unix_ro = "none"
auth_unix_rw = "none"
EOF
t=$(up)
chroot $H /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root /usr/sbin/libvirtd >/tmp/libvirtd.out 2>&1 &
LPID=$!
# every libvirt call bounded: a hang must fail the check, not the whole boot
lv() { tb_h timeout 150 virsh -q -c qemu:///system "$@"; }
# libvirtd probes QEMU's capabilities at start (a QMP session with qemu-system-x86_64, under
# TCG inside TCG): wait up to 150 s, saying what it does
n=0
while ! tb_h timeout 10 virsh -q -c qemu:///system version >/dev/null 2>&1; do
	n=$((n + 1))
	[ $n -le 15 ] || break
	tb_info "waiting for libvirtd ($(up) s): $(ps -o pid,args 2>/dev/null | grep -E 'qemu|libvirtd' | grep -v grep | cut -c1-120 | tr '\n' '|')"
done
tb_true libvirtd-up lv version
tb_info "libvirtd (pid $LPID) answered after $(echo "$(up) $t" | awk '{printf "%.1f", $1 - $2}') s: $(lv version 2>&1 | tr '\n' ' ')"
[ $TB_NFAIL = 0 ] || { head -c 600 /tmp/libvirtd.out | sed 's/^/TB-INFO libvirtd: /'; tail -20 $H/var/log/libvirt/libvirtd.log | sed 's/^/TB-INFO libvirtd.log: /'; tb_finish; exit 1; }
# dom NAME: a q35 TCG domain with no disk and two spare PCIe root ports. Its firmware runs no
# OS, so nothing would answer an unplug request: with q35's default ACPI PCI hotplug the
# unplug waits for the guest's _EJ0 forever. With native PCIe hotplug on the root ports
# (ICH9-LPC acpi-pci-hotplug-with-bridge-support=off), a slot the guest never powered on is
# unplugged at once (QEMU hw/pci/pcie.c pcie_cap_slot_unplug_request_cb: "slot is powered
# off -> unplug without round-trip to the guest"): device_del and libvirt's DEVICE_DELETED
# event are real, only the guest's side of the handshake is absent.
dom() {
	cat <<EOF
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  <features><acpi/></features>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <controller type='pci' index='2' model='pcie-root-port'/>
    <controller type='usb' model='none'/>
    <video><model type='none'/></video>
    <memballoon model='none'/>
  </devices>
  <qemu:commandline>
    <qemu:arg value='-global'/>
    <qemu:arg value='ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off'/>
  </qemu:commandline>
</domain>
EOF
}
dom hp1 >$H/tmp/hp1.xml; dom hp2 >$H/tmp/hp2.xml
tb_true define-hp1-hp2 lv "define /tmp/hp1.xml; define /tmp/hp2.xml"
tb_info "defined hp1, hp2 at $(up) s"
t=$(up)
lv start hp1 >/tmp/start.out 2>&1
tb_eq start-hp1 "$(lv domstate hp1)" running
tb_info "libvirtd up and hp1 started in $(echo "$(up) $t" | awk '{printf "%.1f", $1 - $2}') s (QEMU capabilities probed under TCG)"
[ "$(lv domstate hp1)" = running ] || { sed 's/^/TB-INFO start: /' /tmp/start.out | head; tail -20 $H/var/log/libvirt/libvirtd.log | sed 's/^/TB-INFO libvirtd: /'; tail -20 $H/var/log/libvirt/qemu/hp1.log 2>/dev/null | sed 's/^/TB-INFO qemu: /'; tb_finish; exit 1; }
QPID=$(cat $H/run/libvirt/qemu/hp1.pid 2>/dev/null)
tb_info "hp1: qemu pid $QPID: $(tr '\0' ' ' </proc/$QPID/cmdline 2>/dev/null | head -c 300)"

# hostdevs DOMAIN [--inactive]: VF addresses (0000:01:00.1) in the domain's XML
hostdevs() {
	lv dumpxml "$@" | tb_h python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.read())
for path in ("devices/hostdev[@type=\"pci\"]/source/address", "devices/interface[@type=\"hostdev\"]/source/address"):
    for a in root.findall(path):
        print("%04x:%02x:%02x.%x" % tuple(int(a.get(k, "0"), 0) for k in ("domain", "bus", "slot", "function")))'
}
# qemu_vfio DOMAIN: "id host" of every vfio-pci device QEMU has (HMP info qtree)
qemu_vfio() {
	lv qemu-monitor-command --hmp $1 'info qtree' | awk '
		/dev: vfio-pci/ { id = $0; sub(/.*id "/, "", id); sub(/".*/, "", id); v = 1; next }
		/dev: / { v = 0 }
		v && $1 == "host" { h = $3; gsub(/"/, "", h); print id, h; v = 0 }'
}
# qemu_pci_has DOMAIN ID: HMP info pci lists a device with that id
qemu_pci_has() { lv qemu-monitor-command --hmp $1 'info pci' | grep -q "id \"$2\""; }
# qemu_holds_group GROUP: the domain's QEMU has /dev/vfio/GROUP open
qemu_holds_group() { ls -l /proc/$QPID/fd 2>/dev/null | grep -q "/dev/vfio/$1\$"; }

CONF=/etc/vfmgr/vfmgr.conf
printf '[pf "%s"]\nnumvfs = 2\ndriver = vfio-pci\n' $PF >$H$CONF
V="vfmgr --connect qemu:///system"
# vfmgrd in the host's root, in the background; --no-apply: the VFs stay as set up above
start_vfmgrd() { # [ENV=VALUE...]
	mkdir -p $H/run/vfmgr   # systemd's RuntimeDirectory= in the packaged unit
	rm -f $H/run/vfmgr/vfmgrd.sock
	# chroot and env exec: $! is vfmgrd's pid
	chroot $H /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root "$@" \
		/tb/bin/vfmgrd --config $CONF --connect qemu:///system --no-apply --metrics none >>$H/tmp/vfmgrd.log 2>&1 &
	DPID=$!
	tb_wait_for 20 test -S $H/run/vfmgr/vfmgrd.sock
}
tb_true vfmgrd-start start_vfmgrd
tb_true vfmgr-status-via-daemon tb_h $V status
[ $TB_NFAIL = 0 ] || { tail -5 $H/tmp/vfmgrd.log | sed "s/^/TB-INFO vfmgrd: /"; tb_finish; exit 1; }

# ---- 1. live hot-plug
t=$(up)
tb_h $V --json assign hp1 --pf $PF --vf 0 --plain >/tmp/assign.json 2>/tmp/assign.err; rc=$?
tb_eq assign-vf0-live $rc 0
tb_info "assign ($(echo "$(up) $t" | awk '{printf "%.1f", $1 - $2}') s): $(head -c 400 /tmp/assign.json) $(head -c 300 /tmp/assign.err)"
tb_eq assign-vf0-driver-vfio "$(tb_driver $VF0)" vfio-pci
tb_eq live-xml-has-vf0 "$(hostdevs hp1)" $VF0
tb_eq persistent-xml-has-vf0 "$(hostdevs hp1 --inactive)" $VF0
QV=$(qemu_vfio hp1)
tb_info "QEMU vfio-pci devices (id host): $QV"
ID0=$(echo "$QV" | awk -v h=$VF0 '$2 == h { print $1 }')
tb_true qemu-qtree-vfio-host-vf0 test -n "$ID0"
tb_true qemu-info-pci-lists-$ID0 qemu_pci_has hp1 "$ID0"
lv qemu-monitor-command --hmp hp1 'info pci' | grep -B1 -A1 "id \"$ID0\"" | sed 's/^/TB-INFO info pci: /'
tb_true qemu-holds-dev-vfio-$G0 qemu_holds_group $G0
tb_true owner-recorded-hp1 sh -c "chroot $H /tb/bin/vfmgr list | grep '$VF0' | grep -q hp1"

# ---- 2. release: detached, back to nvme
t=$(up)
tb_h $V release hp1 >/tmp/release.out 2>&1; rc=$?
tb_eq release-vf0 $rc 0
tb_info "release ($(echo "$(up) $t" | awk '{printf "%.1f", $1 - $2}') s): $(head -c 300 /tmp/release.out | tr '\n' ' ')"
tb_eq release-live-xml-empty "$(hostdevs hp1)" ""
tb_eq release-persistent-xml-empty "$(hostdevs hp1 --inactive)" ""
tb_eq release-qemu-no-vfio "$(qemu_vfio hp1)" ""
tb_false release-qemu-info-pci-no-$ID0 qemu_pci_has hp1 "$ID0"
tb_false release-qemu-closed-group-$G0 qemu_holds_group $G0
tb_eq release-vf0-back-on-nvme "$(tb_driver $VF0)" nvme
tb_true release-vf0-nvme-controller tb_wait_for 10 sh -c "ls $PCI/$VF0/nvme/ | grep -q nvme"
tb_eq release-no-owner "$(chroot $H /tb/bin/vfmgr list | grep -c hp1)" 0

# ---- 2b. a VF given to a running domain by hand (virsh attach-device): libvirt is the truth
bdf_xml() { # BDF -> <address domain=... bus=... slot=... function=.../>
	echo "$1" | awk -F'[:.]' '{ printf "<address domain=\x270x%s\x27 bus=\x270x%s\x27 slot=\x270x%s\x27 function=\x270x%s\x27/>", $1, $2, $3, $4 }'
}
echo "<hostdev mode='subsystem' type='pci' managed='no'><driver name='vfio'/><source>$(bdf_xml $VF1)</source></hostdev>" >$H/tmp/vf1.xml
tb_true byhand-attach-vf1 lv attach-device hp1 /tmp/vf1.xml --live --config
tb_eq byhand-live-xml "$(hostdevs hp1)" $VF1
tb_h $V --json status >/tmp/status.json 2>/dev/null
tb_gron /tmp/status.json >/tmp/status.gron
g() { awk -v k="$1=" 'index($0, k) == 1 { print substr($0, length(k) + 1); exit }' /tmp/status.gron; }
p=""; i=0
while [ -n "$(g ".pfs[$i].bdf")" ]; do [ "$(g ".pfs[$i].bdf")" = $PF ] && p=".pfs[$i]"; i=$((i + 1)); done
tb_eq byhand-status-held-by "$(g "$p.vfs[1].held_by") $(g "$p.vfs[1].external") owner='$(g "$p.vfs[1].owner")'" "hp1 true owner=''"
tb_true byhand-list-not-assigned sh -c "chroot $H /tb/bin/vfmgr list | grep '$VF1' | grep -q 'hp1 (not assigned by vfmgr)'"
tb_h $V assign hp2 --pf $PF --vf 1 --plain --force >/tmp/out 2>&1; rc=$?
tb_eq byhand-assign-hp2-refused-exit7 $rc 7
tb_true byhand-assign-names-domain grep -q "held by libvirt domain 'hp1'" /tmp/out
tb_eq byhand-hp2-holds-nothing "$(hostdevs hp2 --inactive)" ""
tb_h $V release $VF1 >/tmp/out 2>&1; rc=$?
tb_eq byhand-release-unowned-exit6 $rc 6
tb_true byhand-release-says-adopt grep -q "vfmgr adopt hp1" /tmp/out
tb_info "release of a VF held by hand: $(head -c 300 /tmp/out | tr '\n' ' ')"
tb_true byhand-adopt tb_h $V adopt hp1
tb_info "adopt: $(cat /tmp/tb.out | tr '\n' ' ')"
tb_true byhand-adopted-owner sh -c "chroot $H /tb/bin/vfmgr list | grep '$VF1' | grep -v 'not assigned' | grep -q hp1"
tb_h $V release $VF1 >/tmp/out 2>&1; rc=$?
tb_eq byhand-release-adopted $rc 0
tb_eq byhand-released-live "$(hostdevs hp1)" ""
tb_eq byhand-released-persistent "$(hostdevs hp1 --inactive)" ""
tb_eq byhand-released-qemu "$(qemu_vfio hp1)" ""
tb_eq byhand-vf1-stays-vfio "$(tb_driver $VF1)" vfio-pci

# ---- 3. SIGKILL between libvirt's attach and the owner record, then restart
kill -TERM $DPID; wait $DPID
# crash points count journal steps per process; VF1 is on vfio-pci already, so the assign's
# steps are "attach" (1) and "owner" (2): the kill comes after libvirt attached, before the
# owner record
tb_true vfmgrd-start-crashpoint start_vfmgrd VFMGR_CRASHPOINT=2 VFMGR_CRASHPOINT_COUNT=/tmp/crash.count
tb_h $V --json assign hp1 --pf $PF --vf 1 --plain >/tmp/assign.json 2>/tmp/assign.err; rc=$?
wait $DPID; drc=$?
tb_info "assign during the crash: exit $rc: $(head -c 300 /tmp/assign.err | tr '\n' ' ')"
tb_eq crash-vfmgrd-killed $drc 137
tb_eq crash-at-step-2 "$(cat $H/tmp/crash.count)" 2
tb_true crash-assign-failed test $rc != 0
tb_eq crash-libvirt-live-has-vf1 "$(hostdevs hp1)" $VF1
tb_eq crash-libvirt-persistent-has-vf1 "$(hostdevs hp1 --inactive)" $VF1
tb_true crash-qemu-has-vf1 sh -c "echo '$(qemu_vfio hp1)' | grep -q ' $VF1\$'"
J=$(ls $H/var/lib/vfmgr/journal/*.json 2>/dev/null)
tb_eq crash-one-journal-entry "$(echo $J | wc -w)" 1
tb_true crash-journal-stopped-after-attach tb_h python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
steps = [s.get("name") if isinstance(s, dict) else s for s in d["steps"]]
print(d["type"], d["state"], steps)
sys.exit(0 if d["type"] == "assign" and d["state"] == "running" and steps and steps[-1] == "attach" else 1)' "${J#$H}"
tb_info "journal: $(cat /tmp/tb.out)"
tb_false crash-no-owner-record grep -qs hp1 $H/var/lib/vfmgr/owners.json
# restart: recovery asks libvirt, which holds VF1 in hp1: the assignment is finished
tb_true vfmgrd-restart start_vfmgrd
tb_h $V --json status >/tmp/status.json 2>/dev/null
tb_gron /tmp/status.json >/tmp/status.gron
p=""; i=0
while [ -n "$(g ".pfs[$i].bdf")" ]; do [ "$(g ".pfs[$i].bdf")" = $PF ] && p=".pfs[$i]"; i=$((i + 1)); done
tb_eq recover-journal-empty "$(ls $H/var/lib/vfmgr/journal/ 2>/dev/null | wc -l)" 0
tb_eq recover-vf1-owner-hp1 "$(g "$p.vfs[1].owner")" hp1
tb_eq recover-vf1-held-by-hp1 "$(g "$p.vfs[1].held_by")" hp1
tb_eq recover-vf1-not-external "$(g "$p.vfs[1].external")" false
tb_eq recover-vf0-free "$(g "$p.vfs[0].owner") $(g "$p.vfs[0].held_by")" " null"
tb_eq recover-vf1-listed-once "$(chroot $H /tb/bin/vfmgr list | grep -c "$VF1.*hp1")" 1
tb_eq recover-hp1-live-vf1-once "$(hostdevs hp1)" $VF1
tb_eq recover-hp2-holds-nothing "$(hostdevs hp2 --inactive)" ""
tb_h $V assign hp2 --pf $PF --vf 1 --plain >/tmp/out 2>&1; rc=$?
tb_eq recover-vf1-refused-to-hp2-exit7 $rc 7
tb_info "assign hp2 --vf 1: $(head -c 300 /tmp/out | tr '\n' ' ')"
tb_eq recover-hp2-still-nothing "$(hostdevs hp2 --inactive)" ""
tb_h $V release $VF1 >/tmp/out 2>&1; rc=$?
tb_eq recover-release-vf1 $rc 0
tb_eq final-hp1-live-empty "$(hostdevs hp1)" ""
tb_eq final-hp1-persistent-empty "$(hostdevs hp1 --inactive)" ""
tb_eq final-qemu-no-vfio "$(qemu_vfio hp1)" ""
tb_eq final-vf1-vfio "$(tb_driver $VF1)" vfio-pci
tb_eq final-no-owner "$(chroot $H /tb/bin/vfmgr list | grep -c hp1)" 0

kill -TERM $DPID; wait $DPID
sed 's/^/TB-INFO vfmgrd: /' $H/tmp/vfmgrd.log | tail -25
lv destroy hp1 >/dev/null 2>&1
tb_info "scenario took $(echo "$(up) $T0" | awk '{printf "%.1f", $1 - $2}') s"
[ $TB_NFAIL = 0 ] || tail -30 $H/var/log/libvirt/libvirtd.log | sed 's/^/TB-INFO libvirtd: /'
tb_finish
