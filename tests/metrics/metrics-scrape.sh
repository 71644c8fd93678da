#!/bin/bash
# metrics-scrape.sh: vfmgrd's Prometheus textfile, scraped through Debian's real
# prometheus-node-exporter (textfile collector only, on a loopback port), on the fake sysfs
# with libvirt's test driver (tests/vfmgr/front/lib.sh). Asserts the series and their values
# after start (apply, journal recovery), assign, a refused assign, release and a reload.
. "$(dirname "$0")/../vfmgr/front/lib.sh"
: "${VFMGRD:?}"
NE=${NODE_EXPORTER:-$(command -v prometheus-node-exporter || true)}
[ -x "$NE" ] || { echo "FAIL: prometheus-node-exporter not installed (tests/setup.sh installs it)"; exit 1; }
command -v curl >/dev/null || { echo "FAIL: curl not installed"; exit 1; }

fixture
cat >"$CONF" <<'C'
[pf "0000:3b:00.0"]
numvfs = 2
[pf "0000:86:00.0"]
numvfs = 4
C
# A journal entry left by a crashed `vfmgr --local assign` (kill -9 at its first journaled
# step): the daemon must recover it at start and count it.
expect_rc 0 "local apply (VFs exist before the crash)" vf apply
VFMGR_CRASHPOINT=1 vf assign appl1 >/dev/null 2>&1
check "a crashed assign left a journal entry" test -n "$(ls "$ST/journal" 2>/dev/null)"

PROM=$T/textfile
mkdir -p "$PROM"
SOCK=$T/vfmgrd.sock
(export VFMGR_FAKE_ROOT=$FX LD_PRELOAD=$FAKESYS
 exec "$VFMGRD" --config "$CONF" --socket "$SOCK" --socket-mode 0600 --root "$FX" --state-dir "$ST" \
	--connect "$URI" --metrics "$PROM/vfmgrd.prom" --metrics-interval 1) 2>"$T/daemon.log" &
dpid=$!
cleanup_hooks="$cleanup_hooks kill -9 $dpid 2>/dev/null;"
for i in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
check "daemon listens" test -S "$SOCK"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$NE" --web.listen-address=127.0.0.1:$port --collector.disable-defaults --collector.textfile \
	--collector.textfile.directory="$PROM" >"$T/ne.log" 2>&1 &
nepid=$!
cleanup_hooks="$cleanup_hooks kill $nepid 2>/dev/null;"
for i in $(seq 100); do curl -sf "http://127.0.0.1:$port/metrics" >/dev/null && break; sleep 0.1; done

# scrape: the node_exporter's answer in $T/scrape
scrape() { curl -sf "http://127.0.0.1:$port/metrics" >"$T/scrape" || fail "curl: node_exporter on 127.0.0.1:$port"; }
# val SERIES: the value of an exact series line ("" when absent)
val() { awk -v s="$1" 'index($0, s " ") == 1 { print $NF }' "$T/scrape"; }
# expect SERIES VALUE DESC
expect() {
	local v; v=$(val "$1")
	if [ "$v" = "$2" ]; then ok "$3: $1 = $v"; else
		fail "$3: $1 = '${v}', expected $2"; grep "^${1%%\{*}" "$T/scrape" | head -20 >&2; fi
}
c() { "$VFMGR" --socket "$SOCK" "$@"; }
# vf_info BDF STATE OWNER: the VF's vfmgr_vf_info series has these labels (any label order)
vf_info() {
	python3 - "$T/scrape" "$@" <<'P'
import re, sys
f, bdf, state, owner = sys.argv[1:]
for line in open(f):
    if line.startswith("vfmgr_vf_info{"):
        l = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', line[line.index("{"):line.rindex("}")]))
        if l["bdf"] == bdf:
            sys.exit(0 if (l["state"], l["owner"], line.split()[-1]) == (state, owner, "1") else 1)
sys.exit(1)
P
}
A='0000:3b:00.0' B='0000:86:00.0'

scrape
expect 'node_textfile_scrape_error' 0 "node_exporter read the textfile"
expect "vfmgr_pf_vfs{pf=\"$A\"}" 2 "start"
expect "vfmgr_pf_vfs{pf=\"$B\"}" 4 "start"
# node.xml's appl2 holds 0000:3b:02.1 (VF 1) with no vfmgr owner record: vfmgrd asks libvirt
# from its start (issue #14), so it is held from the first scrape, not free
expect "vfmgr_vfs{pf=\"$A\",state=\"free\"}" 1 "start: the VF of $A appl2 does not hold is free"
expect "vfmgr_vfs{pf=\"$A\",state=\"held\"}" 1 "start: the VF appl2 holds in libvirt"
expect "vfmgr_vfs{pf=\"$B\",state=\"free\"}" 4 "start: every VF of $B free"
expect "vfmgr_vfs{pf=\"$B\",state=\"assigned\"}" 0 "start"
expect 'vfmgr_applies_total{result="ok"}' 1 "apply at start counted"
expect 'vfmgr_last_apply_success' 1 "last apply"
ts=$(val vfmgr_last_apply_timestamp_seconds | awk '{ printf "%.0f", $1 }')
now=$(date +%s)
check "last apply time is now ($ts vs $now)" test -n "$ts" -a "$ts" -le "$now" -a "$ts" -ge $((now - 60))
expect 'vfmgr_journal_recoveries_total' 1 "the crashed assign was recovered and counted"
expect 'vfmgr_journal_pending' 0 "journal empty after recovery"
# per-VF info: labels as the CLI reports them
expect_rc 0 "status through the daemon" c --json status
cp "$T/out" "$T/status.json"
python3 - "$T/status.json" "$T/scrape" <<'P' && ok "every VF of vfmgr status has one vfmgr_vf_info series with its bdf, pf, vf index, IOMMU group, NUMA node" || fail "vfmgr_vf_info labels differ from vfmgr status"
import json, re, sys
st = json.load(open(sys.argv[1]))
info = {}
for line in open(sys.argv[2]):
    if line.startswith("vfmgr_vf_info{"):
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', line[line.index("{"):line.rindex("}")]))
        assert line.rstrip().endswith("} 1"), line
        info[labels["bdf"]] = labels
n = 0
for pf in st["pfs"]:
    for vf in pf["vfs"]:
        l = info[vf["bdf"]]
        assert l["pf"] == pf["bdf"], (l, pf["bdf"])
        assert int(l["vf"]) == vf["index"], (l, vf)
        assert int(l["iommu_group"]) == vf["iommu_group"], (l, vf)
        assert int(l["numa_node"]) == vf["numa_node"], (l, vf)
        n += 1
assert n == len(info) == 6, (n, len(info))
P
python3 - "$T/status.json" "$T/scrape" <<'P' && ok "posted-interrupt series = the verdict vfmgr status reports" || fail "posted-interrupt series"
import json, re, sys
st = json.load(open(sys.argv[1]))
pi = st.get("posted_interrupts") or st.get("check", {}).get("posted_interrupts")
lines = [l for l in open(sys.argv[2]) if l.startswith("vfmgr_posted_interrupts_available{")]
assert len(lines) == 1, lines
reason = re.search(r'reason="((?:[^"\\]|\\.)*)"', lines[0]).group(1)
value = int(lines[0].split()[-1])
assert reason.startswith("available" if value else "unavailable"), (reason, value)
if pi:
    assert bool(value) == bool(pi["available"]) and reason == pi["reason"], (pi, reason, value)
print("  posted interrupts:", value, reason)
P

# assign: one VF of the domain's node moves from free to assigned, with the owner label
expect_rc 0 "assign appl1 through the daemon" c --json assign appl1
vfbdf=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r.get("vf_bdf") or r.get("vf") or r.get("bdf"))' "$T/out")
vfpf=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r.get("pf_bdf") or r.get("pf"))' "$T/out")
scrape
expect "vfmgr_vfs{pf=\"$vfpf\",state=\"assigned\"}" 1 "after assign ($vfbdf on $vfpf)"
expect "vfmgr_vfs{pf=\"$vfpf\",state=\"free\"}" "$( [ "$vfpf" = "$A" ] && echo 1 || echo 3)" "after assign: one VF fewer free"
check "vfmgr_vf_info of $vfbdf has owner=\"appl1\" and state=\"assigned\"" vf_info "$vfbdf" assigned appl1
expect 'vfmgr_operations_total{op="assign",result="ok"}' 1 "assign counted"
expect 'vfmgr_operations_total{op="status",result="ok"}' 1 "status counted"

# a refused request is counted by its result
expect_rc 6 "assign to a domain libvirt does not know" c assign no-such-domain
expect_rc 6 "release of a domain owning nothing" c release appl0
scrape
expect 'vfmgr_operations_total{op="assign",result="notfound"}' 1 "refused assign counted as notfound"
expect 'vfmgr_operations_total{op="release",result="notfound"}' 1 "refused release counted as notfound"
expect 'vfmgr_operations_total{op="assign",result="ok"}' 1 "ok count unchanged"

# release: back to free, no owner
expect_rc 0 "release appl1" c release appl1
scrape
expect "vfmgr_vfs{pf=\"$vfpf\",state=\"assigned\"}" 0 "after release"
expect "vfmgr_vfs{pf=\"$vfpf\",state=\"free\"}" "$( [ "$vfpf" = "$A" ] && echo 2 || echo 4)" "after release"
check "vfmgr_vf_info of $vfbdf is free with no owner" vf_info "$vfbdf" free ""
expect 'vfmgr_operations_total{op="release",result="ok"}' 1 "release counted"

# reload with a changed configuration: a second apply, new VF count (on $B: a count change on
# $A would destroy the VF appl2 holds, which vfmgrd refuses)
sed -i 's/numvfs = 4/numvfs = 5/' "$CONF"
kill -HUP $dpid
for i in $(seq 50); do scrape; [ "$(val 'vfmgr_applies_total{result="ok"}')" = 2 ] && break; sleep 0.2; done
expect 'vfmgr_applies_total{result="ok"}' 2 "reload applied"
expect "vfmgr_pf_vfs{pf=\"$B\"}" 5 "after reload"
expect "vfmgr_vfs{pf=\"$B\",state=\"free\"}" 5 "after reload: all of $B free"
expect "vfmgr_vfs{pf=\"$A\",state=\"held\"}" 1 "after reload: the VF appl2 holds in libvirt"
expect "vfmgr_vfs{pf=\"$A\",state=\"free\"}" 1 "after reload: the other one free"
check "vfmgr_vf_info of 0000:3b:02.1 is held, no owner record" vf_info 0000:3b:02.1 held ""
# the periodic rewrite (every --metrics-interval) keeps the file fresh
m1=$(stat -c %Y.%N "$PROM/vfmgrd.prom" 2>/dev/null | cut -d. -f1)
sleep 2.5
m2=$(stat -c %Y "$PROM/vfmgrd.prom")
check "rewritten every --metrics-interval (mtime $m1 -> $m2)" test "$m2" -gt "$m1"
check "no temporary file left in the textfile directory" test -z "$(ls "$PROM" | grep -v '^vfmgrd.prom$')"
check "file is 0644 for node_exporter" test "$(stat -c %a "$PROM/vfmgrd.prom")" = 644
expect_rc 2 "--metrics FILE not ending in .prom refused" "$VFMGRD" --metrics /tmp/x.txt --config "$CONF"
expect_grep "must be an absolute path ending in" "$T/err" "the refusal names the rule"
kill -TERM $dpid; wait $dpid 2>/dev/null
finish
