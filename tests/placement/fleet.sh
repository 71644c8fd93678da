#!/bin/bash
# fleet.sh: three vfmgrd hosts publish to Debian's OpenStack Placement on loopback, and
# `vfmgr fleet place` claims and assigns VFs across them (issue #18).
#
#   hv1: PF 0000:3b:00.0 node 0 (4 VFs) + PF 0000:86:00.0 node 1 (4 VFs, VF 3 held by the host
#        on iavf -> reserved 1)                       free: node0 4, node1 3
#   hv2: PF 0000:3b:00.0 node 0 (3 VFs)                free: node0 3
#   hv3: PFs 0000:3b:00.0 (2 VFs) and 0000:86:00.0 (3 VFs), both on node 1 (one-node host)
#                                                     free: node1 5
#   Each host: its own fake sysfs (LD_PRELOAD), its own libvirt test driver (same 23 shut-off
#   domains, same UUIDs: d01..d20 alternate node 1 / node 0, x1..x3 for later), numa-policy
#   required on every PF, [placement] interval 2 s, claim-grace 8 s.
#
# 1. 20 `fleet place dNN --numa (NN%2)` from two concurrent clients (d01..d10, d11..d20):
#    exactly 7 land on node 0 and 8 on node 1 (the free NUMA-matching VFs), the other 5 get
#    "no candidate" (exit 7); every placed VF is on the asked node; after convergence the
#    allocations in Placement equal the VFs assigned on the hosts, consumer by consumer.
# 2. hv1's vfmgrd stopped; two of its domains released and x1 assigned with --local; restarted
#    with VFMGR_PL_CRASHPOINT=2:/allocations/ it is killed between its allocation writes
#    (mid-sync); restarted again it converges: x1 counted once, the released ones gone at once
#    (hv1's claim-grace is 300 s: what it published survives restarts in placement.json).
# 3. Placement stopped: a fleet place fails cleanly (exit 1, nothing assigned); through the
#    daemons one VF released on hv2 and hv3 and x3 assigned on hv3; `vfmgr status` shows the
#    failed sync; Placement started again: converges (time printed).
#    --host restricts the candidates to one host's tree.
# A rival writer (rival.py) rewrites every consumer's allocations with their generation during
# 1-3, so the clients' and daemons' read-modify-writes meet real 409s (the daemons run with
# VFMGR_PL_RMW_DELAY_MS=500: 500 ms between the GET and the PUT of a consumer, a wider window).
# Prints: placements, conflicts retried (claims + daemon syncs), convergence times.
set -u
: "${VFMGR:?}" "${VFMGRD:?}" "${FAKESYS:?}" "${MKFIXTURE:?}"
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
command -v placement-api >/dev/null || { echo "SKIP: placement-api missing (apt-get install python3-placement)"; exit 77; }
T=$(mktemp -d /dev/shm/vfmgr-fleet.XXXXXX 2>/dev/null || mktemp -d /tmp/vfmgr-fleet.XXXXXX)
chmod 755 "$T"
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
declare -A DPID
ALLPIDS=""
cleanup() {
	for p in $ALLPIDS; do kill -9 "$p" 2>/dev/null; done
	pl_stop
	[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
t_start=$(date +%s.%N)

PORT=$(pl_free_port)
URL=http://127.0.0.1:$PORT
pl_init "$T/placement" || exit 1
pl_start "$T/placement" "$PORT" || exit 1
ok "Placement 8.0.0 on $URL"

# ---------------------------------------------------------------- hosts
# One libvirt test-driver file per host: 2 cells x 4 CPUs, 23 shut-off domains.
mkxml() {
	python3 - "$1" <<'P'
import sys
d = []
names = ["d%02d" % i for i in range(1, 21)] + ["x1", "x2", "x3"]
node = {n: (int(n[1:]) % 2 if n.startswith("d") else {"x1": 0, "x2": 1, "x3": 1}[n]) for n in names}
for i, n in enumerate(names):
    cpus = "0-3" if node[n] == 0 else "4-7"
    uuid = "6695eb01-0000-4000-8000-%012d" % (i + 1)
    d.append(f"""  <domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>
    <name>{n}</name><uuid>{uuid}</uuid><memory unit='KiB'>262144</memory>
    <vcpu placement='static' cpuset='{cpus}'>1</vcpu>
    <numatune><memory mode='strict' nodeset='{node[n]}'/></numatune>
    <os><type arch='x86_64'>hvm</type></os><devices></devices><test:runstate>5</test:runstate>
  </domain>""")
open(sys.argv[1], "w").write("""<?xml version="1.0"?>
<node>
  <cpu><mhz>2400</mhz><model>x86_64</model><nodes>2</nodes><sockets>1</sockets><cores>4</cores>
  <threads>1</threads><active>8</active></cpu>
  <memory>8388608</memory>
""" + "\n".join(d) + "\n</node>\n")
P
}

# host NAME: fixture, configuration, libvirt file for host NAME (layouts above).
host() {
	local h=$1 r=$T/$h/root
	mkdir -p "$T/$h"
	env -u LD_PRELOAD sh "$MKFIXTURE" "$r" >/dev/null || { echo "mkfixture failed" >&2; exit 1; }
	echo 0-3 >"$r/sys/devices/system/node/node0/cpulist"
	echo 4-7 >"$r/sys/devices/system/node/node1/cpulist"
	mkxml "$T/$h/node.xml"
	{
		printf '[global]\nnuma-policy = required\n\n'
		# hv1: a long claim-grace, so that releases made while its daemon is down leave Placement
		# only through what it saved in placement.json (step 2), not by the grace running out.
		printf '[placement]\nurl = %s\nhost = %s\ninterval = 2\nclaim-grace = %s\ntimeout-ms = 3000\n' \
			"$URL" "$h" "$([ $h = hv1 ] && echo 300 || echo 8)"
		printf 'fleet-socket = %s/%%h.sock\n\n' "$T"
		case $h in
		hv1) printf '[pf "0000:3b:00.0"]\nnumvfs = 4\nphysnet = net1\n[pf "0000:86:00.0"]\nnumvfs = 4\nphysnet = net1\n' ;;
		hv2) printf '[pf "0000:3b:00.0"]\nnumvfs = 3\nphysnet = net1\n' ;;
		hv3) printf '[pf "0000:3b:00.0"]\nnumvfs = 2\nphysnet = net1\n[pf "0000:86:00.0"]\nnumvfs = 3\nphysnet = net2\n'
		     # a one-node host: both PFs on node 1
		     echo 1 >"$r/sys/devices/pci0000:00/0000:3b:00.0/numa_node" ;;
		esac
	} >"$T/$h/vfmgr.conf"
}

# vfl HOST ARGS...: vfmgr --local on HOST's fixture.
vfl() {
	local h=$1; shift
	VFMGR_FAKE_ROOT=$T/$h/root LD_PRELOAD=$FAKESYS "$VFMGR" --local --config "$T/$h/vfmgr.conf" \
		--root "$T/$h/root" --state-dir "$T/$h/state" --connect "test://$T/$h/node.xml" "$@"
}
# vfd HOST ARGS...: vfmgr through HOST's vfmgrd.
vfd() { local h=$1; shift; "$VFMGR" --socket "$T/$h.sock" "$@"; }

# start_daemon HOST [ENV=VALUE...]: vfmgrd for HOST in the background (pid in DPID[HOST]).
start_daemon() {
	local h=$1 i; shift
	rm -f "$T/$h.sock"
	env VFMGR_PL_RMW_DELAY_MS=500 "$@" VFMGR_FAKE_ROOT="$T/$h/root" LD_PRELOAD="$FAKESYS" "$VFMGRD" --config "$T/$h/vfmgr.conf" \
		--socket "$T/$h.sock" --socket-mode 0666 --group nogroup --root "$T/$h/root" \
		--state-dir "$T/$h/state" --connect "test://$T/$h/node.xml" --no-apply >>"$T/$h/daemon.log" 2>&1 &
	DPID[$h]=$!
	ALLPIDS="$ALLPIDS $!"
	for i in $(seq 100); do [ -S "$T/$h.sock" ] && return 0; kill -0 "${DPID[$h]}" 2>/dev/null || return 1; sleep 0.1; done
	return 1
}
stop_daemon() { kill "${DPID[$1]}" 2>/dev/null; wait "${DPID[$1]}" 2>/dev/null; unset "DPID[$1]"; }

HOSTS="--host hv1=$T/hv1.sock --host hv2=$T/hv2.sock --host hv3=$T/hv3.sock"
check() { python3 "$HERE/check.py" --url "$URL" --xml "$T/hv1/node.xml" $HOSTS "$@"; }

for h in hv1 hv2 hv3; do
	host $h
	vfl $h apply >"$T/$h/apply.log" 2>&1 || { cat "$T/$h/apply.log" >&2; fail "$h: apply"; }
done
# hv1: VF 3 of PF 86 goes back to the host (iavf): reserved for Placement.
(export VFMGR_FAKE_ROOT=$T/hv1/root LD_PRELOAD=$FAKESYS
 S=$T/hv1/root/sys/bus/pci
 echo 0000:86:02.3 | tee "$S/drivers/vfio-pci/unbind" >/dev/null
 echo iavf | tee "$S/devices/0000:86:02.3/driver_override" >/dev/null
 echo 0000:86:02.3 | tee "$S/drivers/iavf/bind" >/dev/null) || fail "hv1: VF 86/3 to iavf"
for h in hv1 hv2 hv3; do start_daemon $h || fail "$h: vfmgrd did not start"; done

# First sync of every host: trees, inventories, traits.
out=$(check --wait 30) && ok "three hosts published ($out)" || fail "initial publish: $out"
"$VFMGR" --config "$T/hv1/vfmgr.conf" --json fleet list >"$T/list.json" 2>"$T/list.err" || fail "fleet list: $(cat "$T/list.err")"
python3 - "$T/list.json" <<'P' && ok "fleet list: hosts, PFs, NUMA, totals, reserved, traits as configured" || fail "fleet list content"
import json, sys
f = json.load(open(sys.argv[1]))
h = {x["name"]: {p["pf"]: p for p in x["pfs"]} for x in f["hosts"]}
assert sorted(h) == ["hv1", "hv2", "hv3"], h.keys()
want = {("hv1", "0000:3b:00.0"): (4, 0, 0), ("hv1", "0000:86:00.0"): (4, 1, 1),
        ("hv2", "0000:3b:00.0"): (3, 0, 0), ("hv3", "0000:3b:00.0"): (2, 0, 1), ("hv3", "0000:86:00.0"): (3, 0, 1)}
got = {(n, pf): (p["total"], p["reserved"], p["numa"]) for n, pfs in h.items() for pf, p in pfs.items()}
assert got == want, got
t = h["hv3"]["0000:86:00.0"]["traits"]
for tr in ("HW_NIC_SRIOV", "CUSTOM_PF_ENS2F0", "CUSTOM_NUMA_NODE_1", "CUSTOM_PHYSNET_NET2"):
    assert tr in t, (tr, t)
assert f["allocations"] == 0
P
"$VFMGR" --config "$T/hv1/vfmgr.conf" fleet list | sed 's/^/  /'
vfd hv1 status >"$T/st.out" 2>&1
grep -q "placement: $URL as host hv1, last sync .*: ok" "$T/st.out" && ok "vfmgr status shows the last sync" ||
	{ fail "vfmgr status placement line"; cat "$T/st.out" >&2; }

# ---------------------------------------------------------------- 1. twenty placements, two clients
place() { # place DOMAIN: one fleet place, JSON in $T/place/DOMAIN.json, exit code in .rc
	local d=$1 n=$((10#${1#d} % 2))
	"$VFMGR" --config "$T/hv1/vfmgr.conf" --connect "test://$T/hv1/node.xml" --json \
		fleet place "$d" --resources SRIOV_NET_VF:1 --numa $n >"$T/place/$d.json" 2>"$T/place/$d.err"
	echo $? >"$T/place/$d.rc"
}
mkdir -p "$T/place"
# A rival writer rewrites every consumer's allocations (same content, consumer generation)
# while the daemons and clients work: their read-modify-writes must survive 409s.
rival() { python3 "$HERE/rival.py" "$URL" "$1" >"$T/rival$2.json" 2>"$T/rival$2.err" & RIVAL=$!; ALLPIDS="$ALLPIDS $!"; }
rival 6 1
t0=$(date +%s.%N)
(for i in $(seq -w 1 10); do place d$i; done) &
c1=$!
(for i in $(seq 11 20); do place d$i; done) &
c2=$!
wait $c1 $c2
t1=$(date +%s.%N)
wait $RIVAL
python3 - "$T/place" <<'P' >"$T/place.sum" && ok "placements: $(cat "$T/place.sum")" || { fail "placements"; cat "$T/place.sum" >&2; }
import json, os, sys
d = sys.argv[1]
ok = {0: 0, 1: 0}; busy = 0; conflicts = 0; bad = []
for i in range(1, 21):
    n = "d%02d" % i
    rc = int(open(os.path.join(d, n + ".rc")).read())
    txt = open(os.path.join(d, n + ".json")).read()
    j = json.loads(txt) if txt.strip() else {}
    conflicts += j.get("conflicts", 0)
    if rc == 0:
        node = i % 2
        if j["assigned"]["vf_numa_node"] != node or j["numa"] != node:
            bad.append((n, "on node %s, asked %d" % (j["assigned"]["vf_numa_node"], node)))
        ok[node] += 1
    elif rc == 7:
        busy += 1
    else:
        bad.append((n, rc, open(os.path.join(d, n + ".err")).read()))
print("%d placed (node0 %d, node1 %d), %d without candidate, %d claim conflicts retried" %
      (ok[0] + ok[1], ok[0], ok[1], busy, conflicts))
open(os.path.join(d, "conflicts"), "w").write(str(conflicts))
assert not bad, bad
assert ok == {0: 7, 1: 8} and busy == 5, (ok, busy)
P
out=$(check --wait 30) && ok "placements converged: allocations == assigned VFs ($out)" || fail "after placements: $out"
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["allocations"]==15==j["assigned"], j' "$out" &&
	ok "15 VFs allocated in Placement == 15 assigned on the hosts (no over-allocation)" || fail "totals after placements: $out"
"$VFMGR" --config "$T/hv1/vfmgr.conf" fleet list | sed 's/^/  /'
# Nothing left to claim on node 0: one more ask gets "no candidate", and a bad trait too.
"$VFMGR" --config "$T/hv1/vfmgr.conf" fleet place x1 --consumer 6695eb01-0000-4000-8000-000000000021 --numa 0 \
	>/dev/null 2>"$T/err"; rc=$?
[ $rc = 7 ] && grep -q "no host has SRIOV_NET_VF:1 free" "$T/err" && ok "full node: no candidate (exit 7)" ||
	{ fail "full node: exit $rc"; cat "$T/err" >&2; }
"$VFMGR" --config "$T/hv1/vfmgr.conf" fleet place x1 --resources SRIOV_NET_VF:one >/dev/null 2>"$T/err"; rc=$?
[ $rc = 2 ] && grep -q "count" "$T/err" && ok "bad --resources refused (exit 2)" || fail "bad --resources: exit $rc"

# ---------------------------------------------------------------- 2. vfmgrd killed mid-sync
hv1_doms=$(vfd hv1 --json status | python3 -c '
import json,sys; s=json.load(sys.stdin)
print(" ".join(sorted({v["owner"] for p in s["pfs"] for v in p.get("vfs",[]) if v.get("owner")})))')
set -- $hv1_doms
rel0=""; rel1=""
for d in "$@"; do n=$((10#${d#d} % 2)); [ $n = 0 ] && [ -z "$rel0" ] && rel0=$d; [ $n = 1 ] && [ -z "$rel1" ] && rel1=$d; done
hv1_conflicts=$(vfd hv1 --json status | python3 -c 'import json,sys; print(json.load(sys.stdin)["placement"]["conflicts_total"])')
stop_daemon hv1
vfl hv1 release "$rel0" >"$T/r.log" 2>&1 && vfl hv1 release "$rel1" >>"$T/r.log" 2>&1 &&
	vfl hv1 assign x1 >>"$T/r.log" 2>&1 &&
	ok "hv1 down: released $rel0 (node 0) and $rel1 (node 1), assigned x1 (node 0) locally" ||
	{ fail "hv1 local changes"; cat "$T/r.log" >&2; }
start_daemon hv1 VFMGR_PL_CRASHPOINT=2:/allocations/
for i in $(seq 100); do kill -0 "${DPID[hv1]}" 2>/dev/null || break; sleep 0.1; done
if kill -0 "${DPID[hv1]}" 2>/dev/null; then fail "hv1 vfmgrd was not killed at its 2nd allocation write"; stop_daemon hv1; else
	wait "${DPID[hv1]}"; ok "hv1 vfmgrd killed mid-sync (before its 2nd allocation write, exit $?)"; fi
grep -q "VFMGR_PL_CRASHPOINT" "$T/hv1/daemon.log" || fail "crash point message missing"
out=$(check) && fail "published state already equal after the crash? ($out)" || ok "after the crash Placement lags the host (as expected)"
rival 6 2
start_daemon hv1 || fail "hv1 restart"
out=$(check --wait 40) && ok "hv1 restarted: converged, no double counting, $rel1 gone although its PF has a free VF (placement.json) ($out)" || fail "after restart: $out"
conv_kill=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seconds"])' "$out" 2>/dev/null || echo "?")
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["allocations"]==14==j["assigned"], j' "$out" &&
	ok "14 allocated == 14 assigned after 2 releases + 1 assign on hv1" || fail "totals after restart: $out"
wait $RIVAL

# ---------------------------------------------------------------- 3. Placement outage during assigns
pl_stop
"$VFMGR" --config "$T/hv1/vfmgr.conf" --connect "test://$T/hv1/node.xml" fleet place x3 --numa 1 >/dev/null 2>"$T/err"; rc=$?
[ $rc = 1 ] && grep -q "did not answer" "$T/err" && ok "Placement down: fleet place fails (exit 1) naming the URL" ||
	{ fail "fleet place with Placement down: exit $rc"; cat "$T/err" >&2; }
hv3_doms=$(vfd hv3 --json status | python3 -c '
import json,sys; s=json.load(sys.stdin)
print(" ".join(sorted({v["owner"] for p in s["pfs"] for v in p.get("vfs",[]) if v.get("owner")})))')
hv2_doms=$(vfd hv2 --json status | python3 -c '
import json,sys; s=json.load(sys.stdin)
print(" ".join(sorted({v["owner"] for p in s["pfs"] for v in p.get("vfs",[]) if v.get("owner")})))')
r3=${hv3_doms%% *}; r2=${hv2_doms%% *}
vfd hv3 release "$r3" >"$T/o.log" 2>&1 && vfd hv2 release "$r2" >>"$T/o.log" 2>&1 &&
	vfd hv3 assign x3 >>"$T/o.log" 2>&1 && ok "Placement down: released $r3 (hv3), $r2 (hv2), assigned x3 on hv3" ||
	{ fail "changes during the outage"; cat "$T/o.log" >&2; }
sleep 1
vfd hv3 status >"$T/st.out" 2>&1
grep -q "placement: .*last sync .*did not answer" "$T/st.out" && ok "vfmgr status shows the failed sync" ||
	{ fail "status during the outage"; cat "$T/st.out" >&2; }
rival 6 3
pl_start "$T/placement" "$PORT" || fail "Placement restart"
out=$(check --wait 40) && ok "Placement back: converged ($out)" || fail "after the outage: $out"
conv_outage=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seconds"])' "$out" 2>/dev/null || echo "?")
python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["allocations"]==13==j["assigned"], j' "$out" &&
	ok "13 allocated == 13 assigned after the outage" || fail "totals after the outage: $out"
# --host: one host's tree only (in_tree1). hv3 has no node-0 PF; hv2 has the VF $r2 gave back.
"$VFMGR" --config "$T/hv1/vfmgr.conf" --connect "test://$T/hv1/node.xml" fleet place "$r2" --numa 0 --host hv3 \
	>/dev/null 2>"$T/err"; rc=$?
[ $rc = 7 ] && grep -q "no host hv3 has" "$T/err" && ok "--host hv3 --numa 0: no candidate in hv3's tree (exit 7)" ||
	{ fail "--host hv3: exit $rc"; cat "$T/err" >&2; }
"$VFMGR" --config "$T/hv1/vfmgr.conf" --connect "test://$T/hv1/node.xml" --json fleet place "$r2" --numa 0 --host hv2 \
	>"$T/out" 2>"$T/err"; rc=$?
[ $rc = 0 ] && python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["host"]=="hv2" and j["assigned"]["vf_numa_node"]==0, j' "$T/out" &&
	ok "--host hv2 --numa 0: placed on hv2" || { fail "--host hv2: exit $rc"; cat "$T/err" "$T/out" >&2; }
out=$(check --wait 20) && python3 -c 'import json,sys; j=json.loads(sys.argv[1]); assert j["allocations"]==14==j["assigned"], j' "$out" &&
	ok "14 allocated == 14 assigned at the end ($out)" || fail "final totals: $out"
# SIGHUP: the configuration is reloaded and the host synced again.
kill -HUP "${DPID[hv2]}"
for i in $(seq 50); do
	vfd hv2 --json status 2>/dev/null | python3 -c 'import json,sys; p=json.load(sys.stdin)["placement"]; assert p["result"]=="ok" and p["syncs"]>=2' 2>/dev/null && break
	sleep 0.1
done
grep -q "reloaded" "$T/hv2/daemon.log" && vfd hv2 status 2>/dev/null | grep -q "last sync .*: ok" &&
	ok "SIGHUP: reloaded, host synced" || fail "SIGHUP with [placement]"
# Conflicts the daemons retried: hv1 before its stop + every running daemon since its start.
sync_conflicts_all=$(( ${hv1_conflicts:-0} + $(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["sync_conflicts"])' "$out" 2>/dev/null || echo 0) ))
wait $RIVAL
rival_w=0 rival_c=0
for i in 1 2 3; do
	rival_w=$((rival_w + $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["writes"])' "$T/rival$i.json" 2>/dev/null || echo 0)))
	rival_c=$((rival_c + $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["conflicts"])' "$T/rival$i.json" 2>/dev/null || echo 0)))
done
[ "$rival_w" -gt 0 ] && ok "rival writer: $rival_w rewrites, $rival_c of its writes lost a race" || fail "rival writer wrote nothing"

t_end=$(date +%s.%N)
printf 'RESULT placements=15/20 (two concurrent clients, %.1f s) claim_conflicts_retried=%s sync_conflicts_retried=%s rival_writes=%s convergence_after_vfmgrd_crash=%ss convergence_after_placement_outage=%ss total=%.0fs\n' \
	"$(awk "BEGIN{print $t1 - $t0}")" "$(cat "$T/place/conflicts" 2>/dev/null || echo ?)" \
	"$sync_conflicts_all" "$rival_w" "$conv_kill" "$conv_outage" \
	"$(awk "BEGIN{print $t_end - $t_start}")"
[ $fails = 0 ] && { echo "all checks passed"; exit 0; }
echo "$fails check(s) failed" >&2
exit 1
