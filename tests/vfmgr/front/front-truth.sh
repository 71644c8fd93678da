#!/bin/bash
# front-truth.sh: libvirt and the host as the source of truth (issue #14), on the fake i40e
# host and the libvirt test driver (node.xml: appl2's persistent definition holds VF
# 0000:3b:02.1 as <interface type='hostdev'>, with no owner record in vfmgr's state).
# Every block is a regression test of a defect of the issue: it fails on the code before it.
. "$(dirname "$0")/lib.sh"

# pfconf N3B N86 [DRIVER] [extra lines]
pfconf() {
	{ printf '[global]\nnuma-policy = preferred\n[pf "0000:3b:00.0"]\nnumvfs = %s\n' "$1"
	  [ -n "${3:-}" ] && printf 'driver = %s\n' "$3"
	  printf '[pf "0000:86:00.0"]\nnumvfs = %s\n' "$2"
	  [ -n "${4:-}" ] && printf '%s\n' "$4"; } >"$CONF"
}
json_vf() { # json_vf FILE BDF KEY: a VF member from status --json
	python3 -c 'import json,sys
s=json.load(open(sys.argv[1]))
for p in s["pfs"]:
    for v in p.get("vfs",[]):
        if v["bdf"]==sys.argv[2]: print(v.get(sys.argv[3]))' "$@"
}
drv() { basename "$(readlink "$FX/sys/bus/pci/devices/$1/driver" 2>/dev/null)" 2>/dev/null; }

# ---------------------------------------------------------------- 1. ownership from libvirt
fixture; pfconf 2 2
expect_rc 0 "apply: 2 VFs on each i40e PF" vf apply
expect_rc 0 "status" vf status
expect_grep "appl2 (not assigned by vfmgr)" "$T/out" "status shows the VF appl2 holds as externally held"
expect_rc 0 "status --json" vf --json status
check "--json: held_by appl2, external, no owner record" test \
	"$(json_vf "$T/out" 0000:3b:02.1 held_by)/$(json_vf "$T/out" 0000:3b:02.1 external)/$(json_vf "$T/out" 0000:3b:02.1 owner)" = "appl2/True/"
expect_rc 0 "list" vf list
expect_grep "0000:3b:02.1.*appl2 (not assigned by vfmgr)" "$T/out" "list shows it too"
# assign skips it: PF 0000:3b:00.0 has two VFs, one of them appl2's
expect_rc 0 "assign appl1 --pf 0000:3b:00.0: the free VF" vf --json assign appl1 --pf 0000:3b:00.0
expect_grep '"vf": "0000:3b:02.0"' "$T/out" "the free VF 0000:3b:02.0 was taken, not appl2's"
expect_rc 7 "assign again on that PF: no free VF (appl2's is not free)" vf assign appl1 --pf 0000:3b:00.0
expect_grep "0000:3b:02.1 held by domain 'appl2' (not assigned by vfmgr)" "$T/err" "no-free-VF error gives each VF's reason"
expect_rc 7 "explicit --vf on appl2's VF refused" vf assign appl1 --pf 0000:3b:00.0 --vf 1
expect_grep "held by libvirt domain 'appl2'" "$T/err" "refusal names the domain"
expect_grep "vfmgr adopt appl2" "$T/err" "refusal says how to adopt it"
# a count change would destroy appl2's VF: refused by plan and apply, named
pfconf 3 2
expect_rc 7 "plan refuses a count change under appl2's VF" vf plan
expect_grep "vf 1 is held by domain 'appl2' (not assigned by vfmgr)" "$T/err" "plan names appl2"
expect_rc 7 "apply refuses it too" vf apply
check "appl2's VF still there (numvfs 2)" test "$(cat "$FX/sys/bus/pci/devices/0000:3b:00.0/sriov_numvfs")" = 2
# adopt records it; release then detaches it through libvirt
pfconf 2 2
expect_rc 6 "adopt a domain that does not exist" vf adopt nosuchdomain
expect_rc 6 "adopt a domain holding no VF" vf adopt appl0
expect_rc 0 "adopt appl2" vf adopt appl2
expect_grep "adopted VF 0000:3b:02.1" "$T/out" "adopt names the VF"
expect_rc 0 "status --json after adopt" vf --json status
check "appl2 owns 0000:3b:02.1 now" test "$(json_vf "$T/out" 0000:3b:02.1 owner)/$(json_vf "$T/out" 0000:3b:02.1 external)" = "appl2/False"
expect_rc 0 "release appl2 (adopted)" vf --json release appl2
expect_grep '"vf": "0000:3b:02.1"' "$T/out" "the adopted VF is released"

# ------------------------------------------------ 1b. recovery reconciles owners both ways
fixture; pfconf 2 2
expect_rc 0 "apply" vf apply
mkdir -p "$ST"
# a record libvirt does not back (its domain was undefined; the test driver with a node file
# forgets between processes, so only a domain that is gone says so here; the crash tests check
# the "domain no longer holds it" case against a real libvirtd), a VF appl2 holds whose record
# was lost (vfmgr's saved assignment names appl2), and leftovers of interrupted writes
printf '{"0000:86:00.0/0": "gone-vm"}\n' >"$ST/owners.json"
mkdir -p "$ST/assigned" "$ST/journal"
printf '{"domain":"appl2","pf":"0000:3b:00.0","index":1,"vf_bdf":"0000:3b:02.1","intent":{"domain":"appl2","pf":"0000:3b:00.0","index":1,"vf_bdf":"0000:3b:02.1","prev_driver":"vfio-pci","pf_netdev":"ens1f0"},"irq_affinity":{}}\n' \
	>"$ST/assigned/0000:3b:00.0_1.json"
: >"$ST/owners.json.tmp.999999"; : >"$ST/assigned/0000:86:00.0_1.json.tmp.999998"; : >"$ST/owners.json.tmp.$$"
# recovery runs when a journal is pending: an interrupted release appl2 never detached
cat >"$ST/journal/crafted-release.json" <<'J'
{"id":"crafted-release","type":"release","key":"0000:3b:00.0/1","state":"running",
 "intent":{"domain":"appl2","pf":"0000:3b:00.0","index":1,"vf_bdf":"0000:3b:02.1"},
 "steps":[{"name":"detach","data":null}]}
J
expect_rc 0 "status recovers and reconciles" vf --json status
check "record libvirt does not back dropped (0000:86:02.0 free)" test "$(json_vf "$T/out" 0000:86:02.0 owner)" = ""
check "lost record of appl2's VF restored" test "$(json_vf "$T/out" 0000:3b:02.1 owner)" = appl2
expect_grep "no longer in domain 'gone-vm'" "$T/err" "the dropped record is logged"
expect_grep "owner record restored" "$T/err" "the restored record is logged"
check "tmp files of dead writers removed" test ! -e "$ST/owners.json.tmp.999999" -a ! -e "$ST/assigned/0000:86:00.0_1.json.tmp.999998"
check "tmp file of a live writer kept" test -e "$ST/owners.json.tmp.$$"
rm -f "$ST/owners.json.tmp.$$"

# ------------------------------------------------------------- 2. host use, any device class
fixture; pfconf 4 2 none
expect_rc 0 "apply: 4 VFs on 0000:3b:00.0 left to the host (iavf)" vf apply
check "VFs on iavf" test "$(drv 0000:3b:02.0)" = iavf
D=$FX/sys/bus/pci/devices
mkdir -p "$D/0000:3b:02.0/net/eth3"; echo 0x1003 >"$D/0000:3b:02.0/net/eth3/flags"            # up
mkdir -p "$D/0000:3b:02.1/net/eth4" "$FX/br0"; echo 0x1002 >"$D/0000:3b:02.1/net/eth4/flags"
ln -s "$FX/br0" "$D/0000:3b:02.1/net/eth4/master"                                               # enslaved
mkdir -p "$D/0000:3b:02.2/net"                                                                  # other netns
mkdir -p "$D/0000:3b:02.3/net/eth6"; echo 0x1002 >"$D/0000:3b:02.3/net/eth6/flags"             # idle
expect_rc 0 "status" vf status
expect_grep "in use by the host: netdev eth3 is up" "$T/out" "status: netdev up"
expect_grep "netdev eth4 is enslaved to br0" "$T/out" "status: netdev enslaved"
expect_grep "another one" "$T/out" "status: netdev in another namespace"
pfconf 4 2 vfio-pci
expect_rc 7 "check flags the VFs the host uses" vf check
expect_grep "host use 0000:3b:02.0.*ip link set eth3 down" "$T/out" "check names the netdev and how to release it"
expect_rc 7 "plan refuses what apply would refuse" vf plan
expect_grep "in use by the host" "$T/err" "plan says why"
expect_rc 7 "apply refuses to take VFs the host uses" vf apply
check "nothing taken: 0000:3b:02.0 still on iavf" test "$(drv 0000:3b:02.0)" = iavf
expect_rc 7 "assign --vf 0 refused (eth3 up)" vf assign appl1 --pf 0000:3b:00.0 --vf 0
expect_grep "ip link set eth3 down" "$T/err" "assign says how to release it"
expect_rc 0 "plan --force lists what apply --force would do" vf plan --force
expect_grep "vf 0 0000:3b:02.0: bind to vfio-pci (was iavf); removes host devices eth3" "$T/out" \
	"plan names eth3 among the devices apply removes"
expect_grep "vf 3 0000:3b:02.3: bind to vfio-pci (was iavf); removes host devices eth6" "$T/out" \
	"plan names the idle eth6 too (it disappears as well)"
expect_rc 0 "apply --force" vf apply --force
check "--force took it: 0000:3b:02.0 on vfio-pci" test "$(drv 0000:3b:02.0)" = vfio-pci
# block devices: an nvme-like VF whose namespace is mounted, one open by a process, one held by dm
fixture; pfconf 3 2 none
expect_rc 0 "apply: VFs left to the host" vf apply
for i in 0 1 2; do
	n=$D/0000:3b:02.$i/nvme/nvme$i/nvme${i}n1; mkdir -p "$n/holders" "$n/nvme${i}n1p1/holders"
	echo "259:$i" >"$n/dev"; echo "259:$((i + 10))" >"$n/nvme${i}n1p1/dev"
done
mkdir -p "$FX/proc/self" "$FX/proc/4242/fd"
echo "36 25 259:10 / /srv/data rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw" >"$FX/proc/self/mountinfo"
ln -s /dev/nvme1n1 "$FX/proc/4242/fd/3"
mkdir -p "$D/0000:3b:02.2/nvme/nvme2/nvme2n1/holders/dm-0"
pfconf 3 2 vfio-pci
expect_rc 7 "check flags mounted / open / held block devices" vf check
expect_grep "/dev/nvme0n1p1 is mounted on /srv/data (umount /srv/data)" "$T/out" "mounted partition named"
expect_grep "/dev/nvme1n1 is open by pid 4242" "$T/out" "open by a process named"
expect_grep "/dev/nvme2n1 is held by dm-0" "$T/out" "dm holder named"
expect_rc 7 "apply refuses" vf apply
check "mounted VF still on iavf" test "$(drv 0000:3b:02.0)" = iavf
pfconf 4 2 vfio-pci
expect_rc 7 "a count change would destroy them: refused" vf plan
expect_grep "changing numvfs destroys every VF" "$T/err" "plan says the count change destroys them"

# ------------------------------------------- 3. shared groups predicted, the real reason
fixture
# PF 0000:5e:00.0 behind a port without ACS: the bridge sits in the PF's own group 30
G=$FX/sys/kernel/iommu_groups
rm "$G/3/devices/0000:00:03.0" "$FX/sys/devices/pci0000:00/0000:00:03.0/iommu_group"
ln -s "$FX/sys/devices/pci0000:00/0000:00:03.0" "$G/30/devices/0000:00:03.0"
ln -s "$G/30" "$FX/sys/devices/pci0000:00/0000:00:03.0/iommu_group"
printf '[pf "0000:5e:00.0"]\nnumvfs = 2\n' >"$CONF"
expect_rc 3 "check predicts the shared group before any VF exists" vf check
expect_grep "PF 0000:5e:00.0 already shares IOMMU group 30 with 0000:00:03.0" "$T/out" "check names the group members"
expect_rc 3 "plan exits non-zero on what apply will refuse" vf plan
expect_grep "shares IOMMU group 30" "$T/err" "plan names the group"
check "plan changed nothing" test "$(cat "$FX/sys/bus/pci/devices/0000:5e:00.0/sriov_numvfs")" = 0
printf '[pf "0000:5e:00.0"]\nnumvfs = 2\ndriver = none\n' >"$CONF"
expect_rc 0 "VFs created for the host" vf apply
for i in 1 2; do echo | VFMGR_FAKE_ROOT=$FX LD_PRELOAD=$FAKESYS dd of="$D/0000:5e:00.$i/driver_override" 2>/dev/null; done
printf '[pf "0000:5e:00.0"]\nnumvfs = 2\ndriver = vfio-pci\n' >"$CONF"
expect_rc 3 "assign without --vf: the real reason (group), exit 3" vf assign appl0 --pf 0000:5e:00.0
expect_grep "shares IOMMU group 30 with" "$T/err" "assign names the group and its members"
if grep -q "raise numvfs" "$T/err"; then fail "assign advises raising numvfs for a group problem"; else ok "no wrong advice"; fi

# ------------------------------------------------- 4. --vf and numa-policy = required
fixture
printf '[global]\nnuma-policy = required\n[pf "0000:3b:00.0"]\nnumvfs = 2\n[pf "0000:86:00.0"]\nnumvfs = 2\n' >"$CONF"
expect_rc 0 "apply" vf apply
expect_rc 7 "--vf on node 0 for node-1 appl1 refused (required)" vf assign appl1 --pf 0000:3b:00.0 --vf 0
expect_grep "is on NUMA node 0 but domain 'appl1' runs on node(s) 1" "$T/err" "refusal names both nodes"
expect_rc 0 "--force takes it anyway" vf assign appl1 --pf 0000:3b:00.0 --vf 0 --force

# ---------------------------------------------- 5. release restores the previous driver
fixture; pfconf 2 2 none
expect_rc 0 "apply: VFs on iavf" vf apply
expect_rc 0 "assign --vf 0 (iavf VF, idle)" vf assign appl1 --pf 0000:3b:00.0 --vf 0
check "assigned VF on vfio-pci" test "$(drv 0000:3b:02.0)" = vfio-pci
pfconf 2 2
expect_rc 0 "release" vf release 0000:3b:02.0
check "release gave it back to iavf, its recorded previous driver" test "$(drv 0000:3b:02.0)" = iavf

# ------------------------------------------ 6. one cause, one exit code (a test per code)
fixture
printf '[pf "0000:99:00.0"]\nnumvfs = 1\n' >"$CONF"
for c in plan apply check; do expect_rc 6 "absent PF: $c exits 6" vf $c; done
printf '[pf "0000:3b:00.0"]\nnumvfs = 9\n' >"$CONF"
for c in plan apply check; do expect_rc 2 "numvfs over totalvfs: $c exits 2" vf $c; done
printf '[pf "0000:5e:00.0"]\nnumvfs = 2\ndriver = none\n' >"$CONF"
expect_rc 0 "shared-group VFs for the host" vf apply
printf '[pf "0000:5e:00.0"]\nnumvfs = 2\ndriver = vfio-pci\n' >"$CONF"
expect_rc 3 "shared group: check exits 3" vf check
expect_rc 3 "shared group: plan exits 3" vf plan
expect_rc 3 "shared group: apply exits 3" vf apply
expect_rc 3 "shared group: assign --vf exits 3" vf assign appl0 --pf 0000:5e:00.0 --vf 0
expect_rc 3 "shared group: assign exits 3" vf assign appl0 --pf 0000:5e:00.0
pfconf 2 2
expect_rc 1 "kernel I/O error: exit 1" \
	env VFMGR_FAKE_FAULT="0000:3b:00.0/sriov_numvfs:EIO" VFMGR_FAKE_ROOT="$FX" LD_PRELOAD="$FAKESYS" "$VFMGR" \
	--local --config "$CONF" --root "$FX" --state-dir "$ST" --connect "$URI" apply
expect_rc 2 "usage: exit 2" vf assign
expect_rc 4 "daemon unreachable: exit 4" "$VFMGR" --socket "$T/none.sock" status
expect_rc 6 "no such domain: exit 6" vf assign nosuchdomain
expect_rc 0 "apply" vf apply
expect_rc 8 "no hot-plug into a running domain (test driver): exit 8" vf assign appl0
# exit 5 (permission denied) is front-daemon.sh's "peer outside the group refused"

# ------------------------------------- 7. validate everything before changing anything
fixture
echo 10000 >"$D/0000:86:00.0/net/ens2f0/speed"
pfconf 2 2 "" '[vf "0000:86:00.0" 0]
max-rate = 25000'
expect_rc 2 "plan: max-rate above the link speed" vf plan
expect_grep "max-rate 25000 Mbit/s exceeds the link speed of PF 0000:86:00.0 (ens2f0: 10000 Mbit/s)" "$T/err" \
	"plan names the rate, the PF and its speed"
expect_rc 2 "apply refuses before changing anything" vf apply
check "PF 0000:3b:00.0 untouched (0 VFs)" test "$(cat "$D/0000:3b:00.0/sriov_numvfs")" = 0
# a late failure (the second PF's kernel refuses) rolls back the first PF too
pfconf 2 2
expect_rc 1 "apply: the second PF fails late" env VFMGR_FAKE_FAULT="0000:86:00.0/sriov_numvfs:EIO" \
	VFMGR_FAKE_ROOT="$FX" LD_PRELOAD="$FAKESYS" "$VFMGR" --local --config "$CONF" --root "$FX" --state-dir "$ST" \
	--connect "$URI" apply
expect_grep "0000:3b:00.0 rolled back too" "$T/err" "the error says the first PF was rolled back"
check "first PF rolled back (0 VFs, autoprobe 1)" test \
	"$(cat "$D/0000:3b:00.0/sriov_numvfs")/$(cat "$D/0000:3b:00.0/sriov_drivers_autoprobe")" = 0/1

# --------------------------------------------------------------------- 8. small defects
# VLAN qos / 802.1ad cannot survive libvirt's interface form: refused, --plain suggested
fixture
pfconf 2 2 "" '[vf "0000:86:00.0" 0]
vlan = 100
qos = 3
vlan-proto = 802.1ad'
pfconf 2 2
expect_rc 0 "apply" vf apply
pfconf 2 2 "" '[vf "0000:86:00.0" 0]
vlan = 100
qos = 3
vlan-proto = 802.1ad'
expect_rc 2 "interface form with qos 3 / 802.1ad refused" vf assign appl1 --pf 0000:86:00.0 --vf 0
expect_grep "qos and vlan-proto 802.1ad" "$T/err" "refusal names what would be lost"
expect_grep "assign with --plain" "$T/err" "refusal names the form that keeps them"
# --plain on a PF without netdev: the note must not claim libvirt's <interface> carries them
rm -r "$D/0000:86:00.0/net/ens2f0"
pfconf 2 2 "" '[vf "0000:86:00.0" 1]
mac = 52:54:00:00:86:01
vlan = 7'
expect_rc 0 "assign --plain on a netdev-less PF" vf assign appl1 --pf 0000:86:00.0 --vf 1 --plain
expect_grep "note: .*--plain gives libvirt no <mac>/<vlan>" "$T/out" "--plain note says the MAC/VLAN are not applied"
if grep -q "carried by libvirt's <interface>" "$T/out"; then fail "--plain note claims <interface>"; else ok "no wrong <interface> claim"; fi
# UTF-8 domain names as libvirt takes them (not found here, but not refused as unprintable)
expect_rc 6 "UTF-8 domain name accepted (then not found)" vf assign "wéb-ü1"
expect_grep "wéb-ü1" "$T/err" "the UTF-8 name is named back"
expect_rc 2 "a control character is still refused" vf assign "$(printf 'a\tb')"
finish
