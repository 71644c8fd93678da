# lib.sh: helpers for the vfmgr-front shell tests (sourced).
# Environment from meson: VFMGR, VFMGRD, FAKESYS (LD_PRELOAD shim), MKFIXTURE, NODE_XML.
set -u
: "${VFMGR:?}" "${FAKESYS:?}" "${MKFIXTURE:?}" "${NODE_XML:?}"
# tmpfs when there is one: the crash test copies fixtures hundreds of times. A sourcing suite
# may choose its own directory with VFMGR_TEST_TMP (tests/hardening does).
T=${VFMGR_TEST_TMP:-$(mktemp -d /dev/shm/vfmgr-front.XXXXXX 2>/dev/null || mktemp -d /tmp/vfmgr-front.XXXXXX)}
chmod 755 "$T"
cleanup_hooks=""
trap 'eval "$cleanup_hooks"; rm -rf "$T" 2>/dev/null' EXIT
# The shim and ASan: the shim is preloaded before the ASan runtime.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
URI="test://$NODE_XML"
FX=$T/root
ST=$T/state
CONF=$T/vfmgr.conf
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
# check DESC CMD...: CMD must succeed
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
finish() { [ $fails = 0 ] && { echo "all checks passed"; exit 0; }; echo "$fails check(s) failed" >&2; exit 1; }

# fixture [mkfixture options]: fresh fake host; host topology 2 nodes x 4 CPUs (node.xml pins).
fixture() {
	rm -rf "$FX" "$ST"
	env -u LD_PRELOAD sh "$MKFIXTURE" "$FX" "$@" >/dev/null || { echo "mkfixture failed" >&2; exit 1; }
	echo 0-3 >"$FX/sys/devices/system/node/node0/cpulist"
	echo 4-7 >"$FX/sys/devices/system/node/node1/cpulist"
}

# vf [vfmgr args...]: run vfmgr --local on the fixture (libvirt URI overridable with VF_URI=...).
vf() {
	VFMGR_FAKE_ROOT=$FX LD_PRELOAD=$FAKESYS "$VFMGR" --local --config "$CONF" --root "$FX" \
		--state-dir "$ST" --connect "${VF_URI:-$URI}" "$@"
}

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
# expect_grep PATTERN FILE DESC
expect_grep() {
	if grep -q -- "$1" "$2"; then ok "$3"; else fail "$3: '$1' not in $(basename "$2")"; sed 's/^/  /' "$2" >&2; fi
}
