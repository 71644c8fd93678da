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

# unpriv FILE: a copy of FILE that an unprivileged process (nobody, via setpriv) can read and
# run. The checkout may sit under a private (0700) directory (root's home, mktemp -d), where
# nobody can reach nothing of it; $T is 0755.
unpriv() {
	mkdir -p "$T/unpriv"; chmod 755 "$T/unpriv"
	cp "$1" "$T/unpriv/" && chmod a+rX "$T/unpriv/$(basename "$1")" && echo "$T/unpriv/$(basename "$1")"
}

# start_libvirtd_as_nobody DIR: a private session libvirtd run as nobody (setpriv; needs root) with its
# XDG directories under DIR, at most LIBVIRTD_TTL (150) s. Sets $lpid and $LSOCK (its socket).
# Returns 1 when it does not come up within 10 s.
start_libvirtd_as_nobody() {
	local lv=$1
	mkdir -p "$lv"; chown 65534:65534 "$lv"
	LSOCK=$lv/run/libvirt/libvirt-sock
	setpriv --reuid=65534 --regid=65534 --clear-groups env -i PATH=/usr/sbin:/usr/bin HOME="$lv/home" \
		XDG_RUNTIME_DIR="$lv/run" XDG_CONFIG_HOME="$lv/cfg" XDG_CACHE_HOME="$lv/cache" XDG_DATA_HOME="$lv/data" \
		sh -c 'mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_DATA_HOME";
		       chmod 700 "$XDG_RUNTIME_DIR"; exec timeout '"${LIBVIRTD_TTL:-150}"' /usr/sbin/libvirtd --timeout 120' \
		>>"$lv.log" 2>&1 &
	disown
	for _ in $(seq 100); do
		[ -S "$LSOCK" ] && [ -s "$lv/run/libvirt/libvirtd.pid" ] && break; sleep 0.1
	done
	lpid=$(cat "$lv/run/libvirt/libvirtd.pid" 2>/dev/null)
	[ -n "$lpid" ] && kill -0 "$lpid" 2>/dev/null
}
