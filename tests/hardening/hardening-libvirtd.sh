#!/bin/bash
# hardening-libvirtd.sh: vfmgrd talking to a real libvirtd (a private session daemon run as
# nobody, serving the test driver over test+unix://) that goes away and comes back:
#  - libvirtd killed (SIGKILL) under vfmgrd: release fails with a message naming the URI,
#    the VF stays owned, journal empty, vfmgrd keeps serving;
#  - libvirtd restarted: vfmgrd re-opens its connection by itself (no SIGHUP, no restart)
#    and the release / a new assign succeed; invariants hold.
# Skips (77) without /usr/sbin/libvirtd or when it does not come up.
# KNOWN BUG (lib/vfmgr/libvirt.c, see README.md bug 5): a lookup failing because the
# connection died is reported as -ENOENT ("domain not found"), which release takes as "domain
# gone, nothing holds the VF": the VF is released without libvirt's confirmation.
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (setpriv)"; exit 77; }
[ -x /usr/sbin/libvirtd ] || { echo "SKIP: no /usr/sbin/libvirtd"; exit 77; }
. "$(dirname "$0")/hlib.sh"
LV=$T/lv
# libvirtd runs as nobody: it reads the node file from a copy, not from the checkout (which
# may sit under a 0700 directory)
LNODE=$(unpriv "$NODE_XML")
start_libvirtd() { start_libvirtd_as_nobody "$LV"; }
start_libvirtd || { echo "SKIP: libvirtd did not come up: $(tail -3 "$LV.log")"; exit 77; }
LURI="test+unix://$LNODE?socket=$LSOCK"
cleanup_hooks="$cleanup_hooks kill -9 \$lpid 2>/dev/null;"
ok "libvirtd (pid $lpid) serving the test driver on $LSOCK"

fixture; conf 2 2
D_URI=$LURI start_daemon "$T/d.log" --socket-mode 0600 || finish
expect_rc 0 "assign vm1 through vfmgrd -> libvirtd" c --json assign vm1
expect_grep '"libvirt": "redefine"' "$T/out" "assign went through libvirtd (persistent XML)"
vfb=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["vf"])' "$T/out")

kill -9 "$lpid"; rm -f "$LSOCK"
for _ in $(seq 50); do kill -0 "$lpid" 2>/dev/null || break; sleep 0.1; done
ok "libvirtd killed"
expect_rc '!0' "release vm1 with libvirtd gone" c release vm1
expect_grep "test\+unix://" "$T/err" "error names the libvirt URI"
kill -0 "$dpid" && ok "vfmgrd survived the dropped connection" || fail "vfmgrd died"
invariants "libvirtd gone: VF still owned, journal empty" 2 2 c
check "vm1 still owns $vfb" test "$(owners | grep -c "=vm1$")" = 1
expect_rc 0 "status still served" c status

start_libvirtd || { fail "libvirtd did not come back"; finish; }
ok "libvirtd restarted (pid $lpid)"
# A fresh test-driver connection does not hold vm1's device: release confirms and frees it.
expect_rc 0 "release vm1 after libvirtd came back (vfmgrd re-opened its connection)" c --json release vm1
expect_grep "\"vf\": \"$vfb\"" "$T/out" "the same VF was released"
expect_rc 0 "assign vm2 on the new connection" c --json assign vm2
expect_grep '"libvirt": "redefine"' "$T/out" "assign vm2 went through libvirtd"
expect_rc 0 "release vm2" c release vm2
invariants "after reconnection" 2 2 c
check "nothing owned" test -z "$(owners)"
stop_daemon
kill "$lpid" 2>/dev/null
finish
