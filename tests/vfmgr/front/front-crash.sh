#!/bin/bash
# front-crash.sh: kill -9 at every journaled step (VFMGR_CRASHPOINT=N, counted with
# VFMGR_CRASHPOINT_COUNT) of apply, assign and release over several fixture configurations,
# restart (vfmgr --local, which recovers the journal and reconciles with libvirt; some points
# through vfmgrd), and check the invariants (invariants.py): journal empty, no VF owned twice,
# no VF lost, saved assignment state == owners, the host equal to the configuration (VF
# counts, vfio-pci), and libvirt's XML == the owner records, both ways.
# libvirt is a real libvirtd (crashlib.sh), so its side of an assignment outlives each process.
# MIN_POINTS (default 200) crash points must be exercised.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/crashlib.sh"
MIN_POINTS=${MIN_POINTS:-200}
points=0 violations=0
mkdir -p "$T/pts"

conf() { # conf N3B N86: configuration with these VF counts
	printf '[global]\nnuma-policy = preferred\n[pf "0000:3b:00.0"]\nnumvfs = %s\n[pf "0000:86:00.0"]\nnumvfs = %s\n' "$1" "$2" >"$CONF"
	want="0000:3b:00.0=$1 0000:86:00.0=$2"
}

# scenario NAME OWNED_AFTER RECOVERY(local|daemon|apply) -- OP...
# The base state must be in the snapshot and $CONF/$want set for the final configuration.
scenario() {
	local name=$1 owned=$2 how=$3; shift 4
	local n k rc
	snap_load
	rm -f "$T/count"
	VFMGR_CRASHPOINT_COUNT=$T/count vf "$@" >/dev/null 2>&1
	n=$(cat "$T/count" 2>/dev/null || echo 0)
	if [ "$n" -lt 1 ]; then fail "$name: no journaled step counted"; return; fi
	for k in $(seq 1 "$n"); do
		snap_load
		VFMGR_CRASHPOINT=$k vf "$@" >/dev/null 2>"$T/crash.err"; rc=$?
		if [ $rc != 137 ]; then
			fail "$name: crash point $k/$n not reached (exit $rc)"; continue
		fi
		points=$((points + 1))
		case $how in
		apply) vf apply >/dev/null 2>"$T/rec.err" || { fail "$name@$k: re-apply after crash failed: $(cat "$T/rec.err")"; continue; }
		       vf --json status >"$T/status.json" 2>>"$T/rec.err" ;;
		daemon) daemon_recover ;;
		*) vf --json status >"$T/status.json" 2>"$T/rec.err" ;;
		esac
		# Keep the evidence; one python run checks every point at the end (fast on 2 cores).
		cp -a "$ST" "$T/pts/$points.state"
		mv "$T/status.json" "$T/pts/$points.json"
		libvirt_holds "$T/pts/$points.libvirt"
		echo "${name// /_}@$k/$n $T/pts/$points.json $T/pts/$points.state $want owned=$owned libvirt=$T/pts/$points.libvirt" >>"$T/manifest"
		[ -s "$T/rec.err" ] && grep -q -i "incomplete\|error" "$T/rec.err" && fail "$name@$k: recovery: $(head -3 "$T/rec.err")"
	done
	ok "$name: $n crash points, each killed and recovered ($how)"
}

# --- apply from an empty host, three configurations ---
for cfg in "2 2" "4 3" "8 8" "6 5" "3 8" "7 1" "5 8" "8 4"; do
	fixture; rm -rf "$ST"; mkdir -p "$ST"; snap_save
	conf $cfg
	scenario "apply from scratch ($cfg)" 0 apply -- apply
done
# --- apply from scratch, restart = vfmgrd (recovers the journal, then applies at start) ---
fixture; rm -rf "$ST"; mkdir -p "$ST"; snap_save
conf 3 2
scenario "apply from scratch (3 2), recovery by vfmgrd" 0 daemon -- apply
# --- apply changing VF counts (passes through 0) ---
for pair in "2 2>5 1" "4 3>2 6" "8 8>3 0" "1 7>8 7" "5 5>0 8" "6 2>1 5"; do
	fixture; conf ${pair%%>*}; vf apply >/dev/null 2>&1 || fail "base apply ${pair%%>*}"; snap_save
	conf ${pair##*>}
	scenario "apply count change ($pair)" 0 apply -- apply
done
# --- assign / release on a host with (2,2) VFs ---
fixture; conf 2 2; vf apply >/dev/null 2>&1 || fail "base apply for assign"; snap_save
scenario "assign appl1 (inactive domain, local recovery)" "0|1" local -- assign appl1
scenario "assign appl1 --pf --vf (local recovery)" "0|1" local -- assign appl1 --pf 0000:3b:00.0 --vf 1
scenario "assign appl0 (running, attach refused)" 0 local -- assign appl0
scenario "assign appl1 (recovery by vfmgrd)" "0|1" daemon -- assign appl1
snap_load # the (2,2) base, not what the last crash point left
cp "$T/snap/appl1.xml" "$T/appl1-novf.xml" # appl1's definition (its uuid included) without VFs
vf assign appl1 >/dev/null 2>&1 || fail "base assign for release"
vf assign appl1 >/dev/null 2>&1 || fail "second base assign for release"
snap_save
second=$(vf --json list | python3 -c 'import json,sys; print([v["vf"] for v in json.load(sys.stdin) if v["owner"]][-1])')
scenario "release appl1 (local recovery)" "1|2" local -- release appl1
scenario "release $second (recovery by vfmgrd)" "1|2" daemon -- release "$second"
scenario "assign a third VF to appl1" "2|3" local -- assign appl1

# Reconciliation against libvirt itself (not a crash): appl1's definition loses its VFs by hand
# (virsh edit / detach-device --config); vfmgrd's start-up recovery releases the records.
snap_load
vf --json status >"$T/before.json" 2>/dev/null
n_before=$(python3 -c 'import json,sys; print(sum(1 for p in json.load(open(sys.argv[1]))["pfs"] for v in p["vfs"] if v["owner"]=="appl1"))' "$T/before.json")
lv "define $T/appl1-novf.xml" >/dev/null || fail "cannot redefine appl1 without its VFs"
daemon_recover
n_after=$(python3 -c 'import json,sys; print(sum(1 for p in json.load(open(sys.argv[1]))["pfs"] for v in p["vfs"] if v["owner"]))' "$T/status.json")
check "reconcile: $n_before record(s) of appl1 released once its XML lost the VFs (now $n_after owned)" \
	test "$n_before" = 2 -a "$n_after" = 0
grep -q "is no longer in domain 'appl1'" "$T/rec.err" && ok "vfmgrd logged the released records" || fail "release not logged: $(cat "$T/rec.err")"
libvirt_holds "$T/rec.libvirt"
python3 "$INV" "$T/status.json" "$ST" $want "libvirt=$T/rec.libvirt" >"$T/rec.inv" && ok "invariants after reconcile" \
	|| fail "after reconcile: $(cat "$T/rec.inv")"

if python3 "$INV" --manifest "$T/manifest" >"$T/inv.out"; then ok "$(tail -1 "$T/inv.out")"; else
	violations=$(grep -c VIOLATED "$T/inv.out"); fail "invariants: $(cat "$T/inv.out")"; fi
# Negative controls: the checker must catch a leftover journal record, a wrong owner count,
# and libvirt disagreeing with the records either way.
first=$(grep '^release' "$T/manifest" | head -1)
set -- $first
cp -a "$3" "$T/bad1.state"; mkdir -p "$T/bad1.state/journal"; echo '{}' >"$T/bad1.state/journal/left.json"
python3 "$INV" "$2" "$T/bad1.state" $4 $5 >/dev/null && fail "checker missed a leftover journal record" \
	|| ok "checker catches a leftover journal record"
python3 "$INV" "$2" "$3" $4 $5 owned=7 >/dev/null && fail "checker missed a wrong owner count" \
	|| ok "checker catches a wrong owner count"
echo '{}' >"$T/empty.libvirt"
python3 "$INV" "$2" "$3" $4 $5 "libvirt=$T/empty.libvirt" >/dev/null && fail "checker missed an owned VF libvirt does not hold" \
	|| ok "checker catches an owned VF libvirt does not hold"
echo '{"appl0": ["0000:3b:02.0"]}' >"$T/extra.libvirt"
python3 "$INV" "$2" "$3" $4 $5 "libvirt=$T/extra.libvirt" >/dev/null && fail "checker missed a VF libvirt holds without a record" \
	|| ok "checker catches a VF libvirt holds without a record"
echo "named crash points: $points kills, $violations invariant violation(s)"
[ $points -ge "$MIN_POINTS" ] && ok "$points crash points exercised (>= $MIN_POINTS), $violations violation(s)" \
	|| fail "only $points crash points exercised (< $MIN_POINTS)"
finish
