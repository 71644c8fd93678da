# hlib.sh: helpers for the hardening tests (sourced). Environment from meson:
#   VFMGR, VFMGRD (binaries), FAKESYS (fakesys LD_PRELOAD shim), MKFIXTURE (fakesys/mkfixture.sh),
#   INVARIANTS (tests/vfmgr/front/invariants.py), NODE_XML (tests/hardening/node.xml).
set -u
: "${VFMGRD:?}" "${INVARIANTS:?}"
# The shared helpers (fixture, vf, expect_rc, check/ok/fail/finish, cleanup trap) are
# tests/vfmgr/front/lib.sh's; the hardening tests keep their scratch tree on /tmp (disk,
# for the ENOSPC and fsync cases) unless HARD_TMP names one.
VFMGR_TEST_TMP=${HARD_TMP:-$(mktemp -d /tmp/vfmgr-hard.XXXXXX)}
. "$(dirname "${BASH_SOURCE[0]}")/../vfmgr/front/lib.sh"
export ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0"

# conf N3B N86 [extra global lines]: a configuration with N VFs on each i40e PF.
conf() {
	{ echo "[global]"; [ -n "${3:-}" ] && printf '%s\n' "$3"
	  printf '[pf "0000:3b:00.0"]\nnumvfs = %s\n[pf "0000:86:00.0"]\nnumvfs = %s\n' "$1" "$2"; } >"$CONF"
}

# sysw VALUE PATH: write a sysfs file of the fixture through the shim (a PF reset, a driver change).
sysw() { VFMGR_FAKE_ROOT=$FX LD_PRELOAD=$FAKESYS sh -c 'echo "$1" >"$2"' sh "$1" "$2"; }

# expect_grep PATTERN FILE DESC: grep -E (lib.sh's is a basic grep)
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
