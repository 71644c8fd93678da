# hlib.sh: helpers for the hardening tests (sourced). Environment from meson:
#   VFMGR, VFMGRD (binaries), FAKESYS (fakesys LD_PRELOAD shim), MKFIXTURE (fakesys/mkfixture.sh),
#   INVARIANTS (tests/vfmgr/front/invariants.py), NODE_XML (tests/hardening/node.xml).
set -u
: "${VFMGR:?}" "${VFMGRD:?}" "${FAKESYS:?}" "${MKFIXTURE:?}" "${INVARIANTS:?}" "${NODE_XML:?}"
T=${HARD_TMP:-$(mktemp -d /tmp/vfmgr-hard.XXXXXX)}
chmod 755 "$T"
cleanup_hooks=""
trap 'eval "$cleanup_hooks"; rm -rf "$T" 2>/dev/null' EXIT
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0"
URI="test://$NODE_XML"
FX=$T/root
ST=$T/state
CONF=$T/vfmgr.conf
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
finish() { [ $fails = 0 ] && { echo "all checks passed"; exit 0; }; echo "$fails check(s) failed" >&2; exit 1; }

# fixture [mkfixture options]: fresh fake host (2 nodes x 4 CPUs, as node.xml) and empty state.
fixture() {
	rm -rf "$FX" "$ST"
	env -u LD_PRELOAD sh "$MKFIXTURE" "$FX" "$@" >/dev/null || { echo "mkfixture failed" >&2; exit 1; }
	echo 0-3 >"$FX/sys/devices/system/node/node0/cpulist"
	echo 4-7 >"$FX/sys/devices/system/node/node1/cpulist"
}

# conf N3B N86 [extra global lines]: a configuration with N VFs on each i40e PF.
conf() {
	{ echo "[global]"; [ -n "${3:-}" ] && printf '%s\n' "$3"
	  printf '[pf "0000:3b:00.0"]\nnumvfs = %s\n[pf "0000:86:00.0"]\nnumvfs = %s\n' "$1" "$2"; } >"$CONF"
}

# vf [vfmgr args]: vfmgr --local on the fixture (URI overridable with VF_URI=...).
vf() {
	VFMGR_FAKE_ROOT=$FX LD_PRELOAD=$FAKESYS "$VFMGR" --local --config "$CONF" --root "$FX" \
		--state-dir "$ST" --connect "${VF_URI:-$URI}" "$@"
}

# sysw VALUE PATH: write a sysfs file of the fixture through the shim (a PF reset, a driver change).
sysw() { VFMGR_FAKE_ROOT=$FX LD_PRELOAD=$FAKESYS sh -c 'echo "$1" >"$2"' sh "$1" "$2"; }

# expect_rc RC DESC CMD...: CMD exits RC ('!0' = any non-zero); stdout in $T/out, stderr in $T/err.
expect_rc() {
	local want=$1 d=$2 rc; shift 2
	"$@" >"$T/out" 2>"$T/err"; rc=$?
	if [ "$rc" = "$want" ] || { [ "$want" = '!0' ] && [ "$rc" != 0 ]; }; then ok "$d (exit $rc)"; else
		fail "$d: exit $rc, expected $want"; sed 's/^/  stderr: /' "$T/err" | tail -20 >&2
		sed 's/^/  stdout: /' "$T/out" | tail -20 >&2
	fi
	return 0
}
# expect_grep PATTERN FILE DESC (grep -E)
expect_grep() {
	if grep -qE -- "$1" "$2"; then ok "$3"; else fail "$3: /$1/ not in $(basename "$2")"; sed 's/^/  | /' "$2" | tail -20 >&2; fi
}
expect_nogrep() {
	if ! grep -qE -- "$1" "$2"; then ok "$3"; else fail "$3: /$1/ found in $(basename "$2")"; grep -E -- "$1" "$2" | head -5 >&2; fi
}

# invariants DESC N3B N86 [STATUS_CMD...]: status --json (default: vf, which also runs journal
# recovery) must pass tests/vfmgr/front/invariants.py for the configuration's VF counts.
invariants() {
	local d=$1 a=$2 b=$3; shift 3
	if [ $# = 0 ]; then set -- vf; fi
	"$@" --json status >"$T/status.json" 2>"$T/status.err" || { fail "$d: status failed: $(cat "$T/status.err")"; return 0; }
	if python3 "$INVARIANTS" "$T/status.json" "$ST" "0000:3b:00.0=$a" "0000:86:00.0=$b" >"$T/inv.out" 2>&1; then
		ok "$d: invariants hold"
	else
		fail "$d: $(cat "$T/inv.out")"
	fi
}

# owners: "pf/index=domain" lines from $T/status.json
owners() {
	python3 -c 'import json,sys
s=json.load(open(sys.argv[1]))
for p in s["pfs"]:
    for v in p.get("vfs",[]):
        if v.get("owner"): print("%s/%d=%s" % (p["bdf"], v["index"], v["owner"]))' "$T/status.json"
}
# numvfs PF: from $T/status.json
numvfs() { python3 -c 'import json,sys
print({p["bdf"]:p["numvfs"] for p in json.load(open(sys.argv[1]))["pfs"]}[sys.argv[2]])' "$T/status.json" "$1"; }

# start_daemon LOG [extra vfmgrd args]: vfmgrd on $SOCK (mode 0666 unless given), fixture, state.
# Extra environment for the daemon: DAEMON_ENV="VAR=x ...". Sets $dpid.
SOCK=$T/vfmgrd.sock
start_daemon() {
	local log=$1; shift
	rm -f "$SOCK"
	env ${DAEMON_ENV:-} VFMGR_FAKE_ROOT="$FX" LD_PRELOAD="$FAKESYS" "$VFMGRD" --config "$CONF" --socket "$SOCK" \
		--root "$FX" --state-dir "$ST" --connect "${D_URI:-$URI}" "$@" 2>"$log" &
	dpid=$!
	cleanup_hooks="$cleanup_hooks kill -9 $dpid 2>/dev/null;"
	for _ in $(seq 150); do [ -S "$SOCK" ] && break; kill -0 $dpid 2>/dev/null || break; sleep 0.1; done
	[ -S "$SOCK" ] || { fail "vfmgrd did not come up: $(tail -5 "$log")"; return 1; }
}
stop_daemon() {
	kill -TERM "$dpid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$dpid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$dpid" 2>/dev/null
	wait "$dpid" 2>/dev/null
}
# c [vfmgr args]: the CLI through the daemon.
c() { "$VFMGR" --socket "$SOCK" "$@"; }

# proc_stats PID: "RSS_KB FDS THREADS"
proc_stats() {
	echo "$(awk '/^VmRSS:/{print $2}' /proc/$1/status) $(ls /proc/$1/fd | wc -l) $(awk '/^Threads:/{print $2}' /proc/$1/status)"
}
