#!/bin/bash
# front-crash-random.sh: SIGKILL at random times, not only at the journal's named steps.
# Each round restores one of four base states (fixture, state dir, libvirt definitions: a
# real libvirtd, crashlib.sh), starts an operation (apply from scratch, a VF count change,
# assign, release; some through vfmgrd), kills it (vfmgr, or vfmgrd in the middle of a
# request) after a random delay within that operation's measured run time, recovers
# (vfmgr --local, or vfmgrd's start-up recovery) and checks invariants.py, libvirt's XML
# included. KILLS (default 200) kills are made; rounds whose operation finished before the
# signal do not count. Prints "random-time kill loop: N kills, M invariant violation(s)".
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/crashlib.sh"
KILLS=${KILLS:-200}
SEED=${SEED:-$$}
RANDOM=$SEED
echo "seed $SEED (SEED=$SEED reproduces the delays)"
mkdir -p "$T/pts" "$T/base"
conf() {
	printf '[global]\nnuma-policy = preferred\n[pf "0000:3b:00.0"]\nnumvfs = %s\n[pf "0000:86:00.0"]\nnumvfs = %s\n' "$1" "$2" >"$CONF"
	want="0000:3b:00.0=$1 0000:86:00.0=$2"
}
# bases: empty host | (2,2) applied | (2,2) with appl1 owning two VFs
fixture; rm -rf "$ST"; mkdir -p "$ST"; snap_save; mv "$T/snap" "$T/base/empty"
conf 2 2; vf apply >/dev/null 2>&1 || fail "base apply"; snap_save; cp -a "$T/snap" "$T/base/applied"
vf assign appl1 >/dev/null 2>&1 && vf assign appl1 >/dev/null 2>&1 || fail "base assigns"
snap_save; mv "$T/snap" "$T/base/assigned"
use_base() { rm -rf "$T/snap"; cp -a "$T/base/$1" "$T/snap"; snap_load; }

# Each kind: base, final configuration, owned counts allowed afterwards, operation.
kinds=4
kind() {
	case $1 in
	0) base=empty;    conf 4 3; owned=0;     op=(apply) ;;
	1) base=applied;  conf 3 1; owned=0;     op=(apply) ;;
	2) base=applied;  conf 2 2; owned="0|1"; op=(assign appl1) ;;
	3) base=assigned; conf 2 2; owned="1|2"; op=(release appl1) ;;
	esac
}
# run time of each kind, in ms (the random delay is drawn within it)
declare -a dur
for k in $(seq 0 $((kinds - 1))); do
	kind $k; use_base $base
	t0=$(date +%s%N); vf "${op[@]}" >/dev/null 2>&1; dur[$k]=$(( ($(date +%s%N) - t0) / 1000000 + 1 ))
	echo "kind $k (${op[*]} from $base): ${dur[$k]} ms"
done

kills=0 rounds=0 finished=0
while [ $kills -lt "$KILLS" ] && [ $rounds -lt $((KILLS * 3)) ]; do
	rounds=$((rounds + 1))
	k=$((rounds % kinds)); kind $k; use_base $base
	delay=$((RANDOM % dur[k]))
	daemon=$((RANDOM % 4 == 0))   # one round in four kills vfmgrd mid-request instead
	if [ $daemon = 1 ]; then
		rm -f "$T/r.sock"
		VFMGR_FAKE_ROOT=$FX LD_PRELOAD=$FAKESYS "$VFMGRD" --config "$CONF" --socket "$T/r.sock" --no-apply \
			--socket-mode 0600 --root "$FX" --state-dir "$ST" --connect "$URI" 2>/dev/null &
		victim=$!
		for _ in $(seq 100); do [ -S "$T/r.sock" ] && break; sleep 0.02; done
		"$VFMGR" --socket "$T/r.sock" "${op[@]}" >/dev/null 2>&1 &
		client=$!
	else
		# exec: the pid killed is vfmgr itself (a backgrounded shell function would be a
		# subshell whose vfmgr child outlives the kill and races with the recovery)
		( exec env VFMGR_FAKE_ROOT="$FX" LD_PRELOAD="$FAKESYS" "$VFMGR" --local --config "$CONF" --root "$FX" \
			--state-dir "$ST" --connect "$URI" "${op[@]}" >/dev/null 2>&1 ) &
		victim=$! client=
	fi
	sleep "$(printf '0.%03d' "$delay")"
	kill -9 $victim 2>/dev/null
	wait $victim 2>/dev/null; rc=$?
	[ -n "$client" ] && wait $client 2>/dev/null
	if [ $rc != 137 ]; then finished=$((finished + 1)); continue; fi
	kills=$((kills + 1))
	# recovery: vfmgr --local (journal + reconcile when a journal is pending), vfmgrd at start,
	# then apply converges the configuration
	if [ $((kills % 2)) = 0 ]; then daemon_recover; else vf --json status >"$T/status.json" 2>"$T/rec.err"; fi
	vf apply >/dev/null 2>>"$T/rec.err" || fail "round $rounds: apply after recovery failed: $(tail -2 "$T/rec.err")"
	vf --json status >"$T/status.json" 2>>"$T/rec.err"
	cp -a "$ST" "$T/pts/$kills.state"; mv "$T/status.json" "$T/pts/$kills.json"
	libvirt_holds "$T/pts/$kills.libvirt"
	echo "random@$rounds:kind$k:${delay}ms:$([ $daemon = 1 ] && echo vfmgrd || echo vfmgr) $T/pts/$kills.json $T/pts/$kills.state $want owned=$owned libvirt=$T/pts/$kills.libvirt" >>"$T/manifest"
done
violations=0
if python3 "$INV" --manifest "$T/manifest" >"$T/inv.out"; then ok "$(tail -1 "$T/inv.out")"; else
	violations=$(grep -c VIOLATED "$T/inv.out"); fail "invariants: $(head -5 "$T/inv.out")"; fi
echo "random-time kill loop: $kills kills ($finished rounds finished before the signal), $violations invariant violation(s)"
[ $kills -ge "$KILLS" ] && ok "$kills random-time kills (>= $KILLS)" || fail "only $kills kills in $rounds rounds (< $KILLS)"
finish
