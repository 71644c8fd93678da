#!/bin/bash
# systemd-scenario.sh: runs in the guest as tb-scenario.service (systemd is PID 1), output on
# the serial console. Installs /tb/vfmgr.deb and drives vfmgrd through systemctl.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
nok=0 nfail=0
ok() { echo "TB-CHECK ok $*"; nok=$((nok + 1)); }
fail() { echo "TB-CHECK fail $*"; nfail=$((nfail + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
info() { echo "TB-INFO $*"; }
# wait_for SECONDS CMD...: poll CMD every 0.5 s
wait_for() { local n=$(($1 * 2)); shift; while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.5; n=$((n - 1)); done; return 1; }
finish() {
	info "journal of vfmgrd (last 25 lines):"
	journalctl -u vfmgrd --no-pager -n 70 -o short-monotonic | sed 's/^/TB-INFO   /'
	if [ $nfail = 0 ]; then echo "TB-PASS ok=$nok"; else echo "TB-FAIL $nfail check(s) failed, $nok ok"; fi
	echo "TB-END uptime=$(cut -d' ' -f1 /proc/uptime)"
	sync
	systemctl poweroff --force --force
}
info "systemd $(systemctl --version | head -1 | cut -d' ' -f2) is PID 1: $(cat /proc/1/comm); uptime $(cut -d' ' -f1 /proc/uptime) s; kernel $(uname -r)"
check "PID 1 is systemd" test "$(cat /proc/1/comm)" = systemd
info "system state: $(systemctl is-system-running 2>&1)"

# ---- install
t0=$(cut -d' ' -f1 /proc/uptime)
dpkg -i /tb/vfmgr.deb >/tmp/dpkg.log 2>&1; rc=$?
info "dpkg -i took $(awk -v a=$t0 '{printf "%.1f", $1 - a}' /proc/uptime) s (its database is read over 9p)"
sed 's/^/TB-INFO dpkg: /' /tmp/dpkg.log | tail -6
check "dpkg -i vfmgr.deb (exit $rc)" test $rc = 0
check "sysusers created group vfmgr ($(getent group vfmgr))" getent group vfmgr
check "unit installed and known to systemd" bash -c 'systemctl cat vfmgrd >/dev/null'
check "not enabled by the package (is-enabled: $(systemctl is-enabled vfmgrd 2>&1))" \
	test "$(systemctl is-enabled vfmgrd 2>&1)" = disabled
check "not started by the package" test "$(systemctl is-active vfmgrd)" = inactive
systemctl restart systemd-modules-load.service
check "vfio-pci loaded by modules-load.d/vfmgr.conf" test -d /sys/module/vfio_pci

PF=""
for d in /sys/bus/pci/devices/*; do [ -f "$d/sriov_totalvfs" ] && PF=$(basename "$d") && break; done
check "SR-IOV PF found ($PF, driver $(basename "$(readlink /sys/bus/pci/devices/$PF/driver 2>/dev/null)"))" test -n "$PF"
S=/sys/bus/pci/devices/$PF
cat >/etc/vfmgr/vfmgr.conf <<C
# test bed: the nvme PF, two VFs on vfio-pci
[pf "$PF"]
numvfs = 2
driver = vfio-pci
C
cp /tb/tb-node.xml /etc/vfmgr/tb-node.xml
# libvirt's test driver (no libvirtd in the guest); a short watchdog so the test waits 6 s, not 30
mkdir -p /etc/systemd/system/vfmgrd.service.d
cat >/etc/systemd/system/vfmgrd.service.d/testbed.conf <<'C'
[Service]
ExecStart=
ExecStart=/usr/sbin/vfmgrd --config /etc/vfmgr/vfmgr.conf --connect test:///etc/vfmgr/tb-node.xml
WatchdogSec=10s
C
systemctl daemon-reload

# ---- start: Type=notify reaches active only after READY=1
t0=$(date +%s.%N)
systemctl start vfmgrd; rc=$?
t1=$(date +%s.%N)
check "systemctl start vfmgrd (exit $rc, $(echo "$t1 $t0" | awk '{printf "%.1f", $1-$2}') s)" test $rc = 0
check "active (running) after READY=1: $(systemctl show -p ActiveState,SubState,Type --value vfmgrd | tr '\n' ' ')" \
	test "$(systemctl show -p ActiveState --value vfmgrd)/$(systemctl show -p SubState --value vfmgrd)" = active/running
st=$(systemctl show -p StatusText --value vfmgrd)
check "STATUS= from sd_notify: '$st'" bash -c "echo '$st' | grep -q '^serving'"
PID=$(systemctl show -p MainPID --value vfmgrd)
# ---- apply under the hardening
check "apply at start: sriov_numvfs = 2 ($(cat $S/sriov_numvfs))" test "$(cat $S/sriov_numvfs)" = 2
nv=0
for v in $S/virtfn*; do
	drv=$(basename "$(readlink "$v/driver" 2>/dev/null)")
	g=$(basename "$(readlink "$v/iommu_group")")
	[ "$drv" = vfio-pci ] && [ -e /dev/vfio/$g ] && nv=$((nv + 1))
done
check "both VFs bound to vfio-pci, /dev/vfio/<group> present ($nv)" test $nv = 2
if [ $nv != 2 ]; then
	info "diag: host /dev: $(findmnt -n -o FSTYPE,OPTIONS /dev) vfio: $(ls /dev/vfio | tr '\n' ' ')"
	info "diag: vfmgrd /dev: $(nsenter -t $PID -m -- findmnt -n -o FSTYPE,OPTIONS /dev) vfio: $(nsenter -t $PID -m -- ls /dev/vfio | tr '\n' ' ')"
	nsenter -t $PID -m -- cat /proc/self/mountinfo | grep -E ' /dev(/| )' | head -8 | sed 's/^/TB-INFO diag mnt: /'
	systemd-run --wait --pipe -q -p DevicePolicy=closed -p ProtectKernelLogs=yes -p ProtectClock=yes -p ProtectSystem=strict \
		sh -c 'echo "probe vfio: $(ls /dev/vfio | tr "\n" " "); $(findmnt -n -o FSTYPE /dev)"' 2>&1 | sed 's/^/TB-INFO diag run: /'
fi
check "control socket /run/vfmgr/vfmgrd.sock, group vfmgr" \
	test "$(stat -c %G:%a /run/vfmgr/vfmgrd.sock 2>/dev/null)" = vfmgr:660
vfmgr --json status >/tmp/status.json 2>/tmp/status.err
check "vfmgr status through the socket" test $? = 0
# ---- assign + release (libvirt test driver) under the hardening
vfmgr --json assign vm-node0 >/tmp/assign.json 2>/tmp/assign.err; rc=$?
check "vfmgr assign vm-node0 (exit $rc: $(head -c 300 /tmp/assign.err))" test $rc = 0
VF=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r.get("vf_bdf") or r.get("bdf") or "")' /tmp/assign.json 2>/dev/null)
info "assigned: $(head -c 400 /tmp/assign.json)"
check "owner recorded (vfmgr list)" bash -c 'vfmgr list 2>&1 | grep -q vm-node0'
vfmgr release vm-node0 >/tmp/release.out 2>&1; rc=$?
check "vfmgr release vm-node0 (exit $rc)" test $rc = 0
# ---- journal: structured fields through sd_journal
sleep 1
journalctl -u vfmgrd -o json --no-pager >/tmp/journal.json
python3 - /tmp/journal.json "$PF" >/tmp/jfields 2>&1 <<'P'
import json, sys
pf = sys.argv[2]
seen = {"apply_pf": False, "assign_domain": False, "release_domain": False, "ident": False}
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e.get("SYSLOG_IDENTIFIER") == "vfmgrd":
        seen["ident"] = True
    if e.get("VFMGR_OP") == "assign" and e.get("VFMGR_DOMAIN") == "vm-node0" \
            and e.get("VFMGR_PF") == pf and e.get("VFMGR_VF", "").startswith(pf[:-1]):
        seen["assign_domain"] = True
    if e.get("VFMGR_OP") == "release" and "vm-node0" in (e.get("VFMGR_DOMAIN") or ""):
        seen["release_domain"] = True
    if e.get("VFMGR_OP") == "apply":
        seen["apply_pf"] = True
    for k in ("VFMGR_PF", "VFMGR_VF", "VF", "PF", "DOMAIN"):
        if e.get(k):
            seen.setdefault("fields", set()).add(k)
print(" ".join("%s=%s" % (k, v) for k, v in sorted(seen.items(), key=str)))
sys.exit(0 if seen["assign_domain"] and seen["release_domain"] and seen["ident"] and seen["apply_pf"] else 1)
P
check "journalctl -u vfmgrd -o json: assign with VFMGR_PF=$PF VFMGR_VF=<its VF> VFMGR_DOMAIN=vm-node0, release, apply ($(cat /tmp/jfields))" test $? = 0
journalctl -u vfmgrd -o verbose --no-pager | grep -E '^\s+(VFMGR_[A-Z]+|SYSLOG_IDENTIFIER)=' | sort | uniq -c | sed 's/^/TB-INFO   field /' | head -12

# ---- the sandbox: what vfmgrd holds, and what it may not touch
caps=$(awk '/^CapEff/ {print $2}' /proc/$PID/status)
check "effective capabilities = CAP_CHOWN + CAP_NET_ADMIN only (CapEff $caps)" test "$caps" = 0000000000001001
check "NoNewPrivs=1, seccomp filter on" bash -c "grep -q '^NoNewPrivs:[[:space:]]*1' /proc/$PID/status && grep -q '^Seccomp:[[:space:]]*2' /proc/$PID/status"
ns() { nsenter -t "$PID" -m -- "$@"; }
check "in vfmgrd's namespace /usr is read-only" bash -c "! nsenter -t $PID -m -- touch /usr/lib/tb-probe 2>/dev/null"
check "in vfmgrd's namespace /etc is read-only" bash -c "! nsenter -t $PID -m -- touch /etc/tb-probe 2>/dev/null"
check "in vfmgrd's namespace /home and /root are empty (ProtectHome)" \
	bash -c "[ -z \"\$(nsenter -t $PID -m -- ls -A /root 2>/dev/null)\" ]"
for f in /proc/sys/vm/swappiness /sys/module/vfio_pci/parameters/disable_idle_d3 \
	/sys/kernel/mm/transparent_hugepage/enabled /sys/power/state; do
	[ -e "$f" ] || continue
	check "in vfmgrd's namespace $f is read-only" bash -c "! nsenter -t $PID -m -- test -w $f"
done
check "in vfmgrd's namespace the PF's sriov_numvfs is writable" ns test -w $S/sriov_numvfs
check "in vfmgrd's namespace /proc/irq is writable" bash -c "nsenter -t $PID -m -- sh -c 'test -w /proc/irq/default_smp_affinity'"
check "in vfmgrd's namespace /var/lib/vfmgr is writable" ns test -w /var/lib/vfmgr
check "/tmp is private" bash -c "touch /tmp/tb-host-tmp; ! nsenter -t $PID -m -- test -e /tmp/tb-host-tmp"
sec=$(systemd-analyze security vfmgrd --no-pager 2>&1 | grep -i 'overall exposure')
info "systemd-analyze security vfmgrd: $sec"
check "systemd-analyze security scores the unit" bash -c "echo '$sec' | grep -q 'exposure level'"

# ---- reload: a changed configuration is applied
sed -i 's/^numvfs = 2/numvfs = 3/' /etc/vfmgr/vfmgr.conf
systemctl reload vfmgrd; rc=$?
[ $rc = 0 ] || systemctl status vfmgrd --no-pager -n 12 2>&1 | sed 's/^/TB-INFO reload: /' 
check "systemctl reload vfmgrd (exit $rc)" test $rc = 0
check "reload applied numvfs = 3 ($(cat $S/sriov_numvfs))" wait_for 30 test "$(cat $S/sriov_numvfs)" = 3
check "still active after reload, same PID" test "$(systemctl show -p ActiveState --value vfmgrd):$(systemctl show -p MainPID --value vfmgrd)" = "active:$PID"

# ---- watchdog: a stopped vfmgrd is killed and restarted
r0=$(systemctl show -p NRestarts --value vfmgrd)
kill -STOP "$PID"
info "SIGSTOP to vfmgrd pid $PID (WatchdogSec=10s in the test drop-in; the unit ships 30s)"
newpid() { p=$(systemctl show -p MainPID --value vfmgrd); [ "$p" != 0 ] && [ "$p" != "$PID" ] && [ "$(systemctl show -p ActiveState --value vfmgrd)" = active ]; }
check "watchdog restarted vfmgrd (new pid $(systemctl show -p MainPID --value vfmgrd))" wait_for 60 newpid
check "NRestarts grew ($r0 -> $(systemctl show -p NRestarts --value vfmgrd))" test "$(systemctl show -p NRestarts --value vfmgrd)" -gt "$r0"
check "journal: the watchdog killed it" bash -c "journalctl -u vfmgrd --no-pager | grep -qi 'watchdog timeout'"
check "after the restart the configuration still holds (numvfs 3)" test "$(cat $S/sriov_numvfs)" = 3
vfmgr status >/dev/null 2>&1
check "restarted daemon answers on the socket" test $? = 0

# ---- stop
systemctl stop vfmgrd; rc=$?
check "systemctl stop vfmgrd (exit $rc) -> inactive" test "$rc:$(systemctl is-active vfmgrd)" = 0:inactive
check "socket removed at stop" test ! -e /run/vfmgr/vfmgrd.sock
finish
