#!/bin/bash
# front-cli.sh: vfmgr --local on the fake sysfs (LD_PRELOAD shim) and the libvirt test driver:
# apply, assign (inactive domain: persistent XML edited; running domain: VIR_ERR_NO_SUPPORT
# reported, nothing faked), status --json ownership, NUMA choice, release, exit codes.
. "$(dirname "$0")/lib.sh"

fixture
cat >"$CONF" <<'C'
[global]
numa-policy = preferred
[pf "0000:3b:00.0"]
numvfs = 2
[pf "0000:86:00.0"]
numvfs = 2
C

expect_rc 0 "plan lists the work" vf plan
expect_grep "sriov_numvfs 0 -> 2" "$T/out" "plan names the VF count change"
expect_rc 0 "apply creates and binds VFs" vf apply
expect_grep "sriov_numvfs" "$T/err" "apply prints progress lines on stderr"
expect_rc 0 "plan after apply" vf plan
expect_grep "nothing to do" "$T/out" "host matches the configuration after apply"

# MSI-X vectors of the node-1 VFs (as vfio-pci exposes them once the guest enables MSI-X) and
# their /proc/irq affinity: assign must steer them to appl1's pinned CPUs (4-5), release restore.
irq=200
for d in "$FX"/sys/bus/pci/devices/0000:86:02.*; do
	mkdir -p "$d/msi_irqs"
	for i in 0 1; do
		: >"$d/msi_irqs/$irq"; mkdir -p "$FX/proc/irq/$irq"; echo 0-7 >"$FX/proc/irq/$irq/smp_affinity_list"
		irq=$((irq + 1))
	done
done

# appl1: shut off, vCPUs pinned to node 1 -> a VF of PF 0000:86:00.0 (node 1), persistent XML edited.
expect_rc 0 "assign appl1 (inactive domain)" vf assign appl1
expect_grep "0000:86:02" "$T/out" "appl1 (node 1) got a VF of the node-1 PF"
expect_grep "persistent definition" "$T/out" "inactive domain: device added to the persistent XML"
# appl0: running; the 9.0 test driver has no attach-device: clear error, exit 8, nothing owned.
expect_rc 8 "assign appl0 (running domain, test driver)" vf assign appl0
expect_grep "VIR_ERR_NO_SUPPORT" "$T/err" "error names VIR_ERR_NO_SUPPORT"
expect_grep "running domain 'appl0'" "$T/err" "error names the domain"
expect_grep "Shut the domain down" "$T/err" "error says what to do"

expect_rc 0 "status --json" vf --json status
python3 - "$T/out" <<'P' && ok "status --json: exactly one VF, on node 1, owned by appl1" || fail "status --json ownership"
import json, sys
s = json.load(open(sys.argv[1]))
owned = [(p["bdf"], v["bdf"], v["owner"], v["numa_node"]) for p in s["pfs"] for v in p.get("vfs", []) if v.get("owner")]
assert len(owned) == 1, owned
assert owned[0][2] == "appl1" and owned[0][0] == "0000:86:00.0" and owned[0][3] == 1, owned
assert s["journal_pending"] == 0
P
vfbdf=$(python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print([v["bdf"] for p in s["pfs"] for v in p.get("vfs",[]) if v.get("owner")][0])' "$T/out")
irqs=$(ls "$FX/sys/bus/pci/devices/$vfbdf/msi_irqs")
for i in $irqs; do
	check "IRQ $i of $vfbdf steered to appl1's pinned CPUs 4-5" grep -qx 4-5 "$FX/proc/irq/$i/smp_affinity_list"
done
expect_grep "posted interrupts: unavailable" <(vf status 2>&1) "status gives the posted-interrupt verdict"
expect_rc 0 "show the assigned VF" vf show "$vfbdf"
expect_grep "appl1" "$T/out" "show names the owner"
expect_rc 7 "assign the owned VF again by index" vf assign appl0 --pf 0000:86:00.0 --vf "${vfbdf##*.}"
expect_grep "owned by domain 'appl1'" "$T/err" "busy error names the owner"

# Exit codes and messages.
expect_rc 6 "assign to a missing domain" vf assign nosuchdomain
expect_grep "nosuchdomain" "$T/err" "not-found error names the domain"
expect_rc 6 "release a VF nobody owns" vf release 0000:3b:02.1
expect_rc 6 "--json error" vf --json assign nosuchdomain
python3 -c 'import json,sys; e=json.load(open(sys.argv[1])); assert e["ok"] is False and e["error"]["code"]==6 and "nosuchdomain" in e["error"]["message"]' "$T/out" \
	&& ok "--json prints the error as JSON on stdout" || fail "--json error output"
expect_rc 2 "unknown command" vf frobnicate
expect_rc 2 "--vf without --pf" vf assign appl1 --vf 1
expect_rc 0 "assign --help" vf assign --help
expect_grep "Usage: vfmgr" "$T/out" "per-command help"
expect_rc 0 "--version" "$VFMGR" --version
expect_rc 2 "missing --config file" "$VFMGR" --local --config "$T/nope.conf" --root "$FX" --state-dir "$ST" plan
expect_grep "nope.conf" "$T/err" "config error names the file"
# Regression: status shows the host whatever the configuration says (it refused to run).
printf '[pf "0000:3b:00.0"]\nnumvfs = lots\n' >"$T/broken.conf"
expect_rc 0 "status with a broken configuration" env VFMGR_FAKE_ROOT="$FX" LD_PRELOAD="$FAKESYS" "$VFMGR" --local \
	--config "$T/broken.conf" --root "$FX" --state-dir "$ST" --connect "$URI" status
expect_grep "warning: configuration not loaded: .*broken.conf:2: numvfs" "$T/err" "status warns, naming the config error"
expect_grep "PF 0000:86:00.0" "$T/out" "status still shows the host"
expect_rc 4 "daemon unreachable" "$VFMGR" --socket "$T/no.sock" status
expect_grep "use --local" "$T/err" "unreachable error says what to do"

expect_rc 0 "show by PF/index" vf show "0000:86:00.0/${vfbdf##*.}"
expect_grep "appl1" "$T/out" "show PF/index names the owner"
# Changing the VF count of a PF with an assigned VF destroys it: refused without --force.
sed 's/^numvfs = 2$/numvfs = 3/' "$CONF" >"$T/more.conf"
expect_rc 7 "apply refuses a count change under an assigned VF" env VFMGR_FAKE_ROOT="$FX" LD_PRELOAD="$FAKESYS" \
	"$VFMGR" --local --config "$T/more.conf" --root "$FX" --state-dir "$ST" --connect "$URI" apply
expect_grep "use --force" "$T/err" "refusal names the owner's VF and --force"

# release by domain name: detach confirmed (test driver: not in a fresh connection's XML), owner dropped.
expect_rc 0 "release appl1" vf release appl1
expect_rc 0 "list" vf --json list
python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); assert all(not v["owner"] for v in l), l; assert len(l)==4' "$T/out" \
	&& ok "no VF owned after release" || fail "owners after release"
[ -z "$(ls "$ST/assigned" 2>/dev/null)" ] && ok "saved assignment state removed" || fail "assigned/ not empty"
for i in $irqs; do
	check "IRQ $i affinity restored to 0-7 on release" grep -qx 0-7 "$FX/proc/irq/$i/smp_affinity_list"
done

# Journal recovery asks libvirt: appl2's definition already holds 0000:3b:02.1, so an assign
# interrupted after "attach" is finished (owner recorded), and an interrupted release whose
# detach never happened is rolled back (still owned).
mkdir -p "$ST/journal"
cat >"$ST/journal/crafted-assign.json" <<'J'
{"id":"crafted-assign","type":"assign","key":"0000:3b:00.0/1","state":"running",
 "intent":{"domain":"appl2","pf":"0000:3b:00.0","index":1,"vf_bdf":"0000:3b:02.1","form":"interface",
           "prev_driver":"vfio-pci","pf_netdev":"ens1f0","domain_active":false},
 "steps":[{"name":"attach","data":null}]}
J
expect_rc 0 "status recovers an assign interrupted after attach" vf --json status
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); o={v["bdf"]:v["owner"] for p in s["pfs"] for v in p.get("vfs",[]) if v.get("owner")}
assert o=={"0000:3b:02.1":"appl2"}, o; assert s["journal_pending"]==0' "$T/out" \
	&& ok "libvirt holds the VF: assign finished, VF owned by appl2" || fail "assign recovery (present)"
expect_grep "recovered 1 interrupted" "$T/err" "recovery reported on stderr"
cat >"$ST/journal/crafted-release.json" <<'J'
{"id":"crafted-release","type":"release","key":"0000:3b:00.0/1","state":"running",
 "intent":{"domain":"appl2","pf":"0000:3b:00.0","index":1,"vf_bdf":"0000:3b:02.1"},
 "steps":[{"name":"detach","data":null}]}
J
expect_rc 0 "list recovers a release interrupted before the detach" vf --json list
python3 -c 'import json,sys; l=json.load(open(sys.argv[1])); assert [v["owner"] for v in l if v["vf"]=="0000:3b:02.1"]==["appl2"]' "$T/out" \
	&& ok "libvirt still holds the VF: release rolled back, still owned by appl2" || fail "release recovery (present)"
expect_rc 0 "release appl2 (detach through its persistent definition)" vf --json release appl2
expect_grep '"libvirt": "redefine"' "$T/out" "VF removed from appl2's persistent XML"
[ -z "$(ls "$ST/journal")" ] && ok "journal empty" || fail "journal not empty: $(ls "$ST/journal")"

# NUMA policy required: only a node-0 PF configured, appl1 lives on node 1 -> refused, named.
cat >"$CONF" <<'C'
[global]
numa-policy = required
[pf "0000:3b:00.0"]
numvfs = 2
[pf "0000:86:00.0"]
numvfs = 0
C
expect_rc 0 "apply: PF 0000:86:00.0 down to 0 VFs" vf apply
expect_rc 7 "assign appl1 with numa-policy=required and no node-1 VF" vf assign appl1
expect_grep "required" "$T/err" "refusal names the policy"
finish
