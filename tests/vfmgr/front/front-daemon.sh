#!/bin/bash
# front-daemon.sh: vfmgrd on a temporary socket, driven by the CLI (no --local): sd_notify
# READY/STATUS/WATCHDOG (also before each step of the start apply), requests, SO_PEERCRED
# refusal of an unprivileged peer (nobody via setpriv), concurrent assigns serialised
# (distinct VFs), SIGHUP reload (bad config kept out, a count change under a VF another
# domain holds refused, good config applied), SIGTERM clean exit.
. "$(dirname "$0")/lib.sh"
: "${VFMGRD:?}"
# what unprivileged users run is a copy they can reach (the checkout may be under a 0700 dir)
NB_VFMGR=$(unpriv "$VFMGR")

fixture
cat >"$CONF" <<'C'
[pf "0000:3b:00.0"]
numvfs = 2
[pf "0000:86:00.0"]
numvfs = 4
C
SOCK=$T/vfmgrd.sock
NOTIFY=$T/notify.sock

# A notify socket listener (what systemd does for Type=notify) collecting messages.
python3 - "$NOTIFY" "$T/notify.log" <<'P' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(0.2)
end = time.time() + 60
with open(sys.argv[2], "a", buffering=1) as log:
    while time.time() < end:
        try:
            log.write(s.recv(4096).decode() + "\n--\n")
        except socket.timeout:
            pass
P
npid=$!
cleanup_hooks="kill $npid 2>/dev/null;"
for i in $(seq 50); do [ -S "$NOTIFY" ] && break; sleep 0.1; done

# WATCHDOG_PID must be the daemon's pid: exec from a subshell that exports its own pid.
(export WATCHDOG_PID=$BASHPID WATCHDOG_USEC=400000 NOTIFY_SOCKET=$NOTIFY VFMGR_FAKE_ROOT=$FX LD_PRELOAD=$FAKESYS
 exec "$VFMGRD" --config "$CONF" --socket "$SOCK" --socket-mode 0666 --group nogroup --root "$FX" --state-dir "$ST" \
	--connect "$URI") 2>"$T/daemon.log" &
dpid=$!
cleanup_hooks="$cleanup_hooks kill -9 $dpid 2>/dev/null;"
for i in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.1; done
check "daemon listens on $SOCK" test -S "$SOCK"
sleep 1
expect_grep "READY=1" "$T/notify.log" "sd_notify READY=1"
expect_grep "STATUS=serving" "$T/notify.log" "sd_notify STATUS="
[ "$(grep -c WATCHDOG=1 "$T/notify.log")" -ge 3 ] && ok "WATCHDOG=1 every WATCHDOG_USEC/2" || fail "watchdog pings: $(grep -c WATCHDOG=1 "$T/notify.log")"
# the start apply holds the main loop: a ping before each of its steps, before READY=1
steps=$(sed -n 's/.*configuration .* applied (\([0-9]*\) step(s)).*/\1/p' "$T/daemon.log" | head -1)
early=$(awk '/STATUS=applying configuration \(start\)/ { on = 1 } /READY=1/ { exit } on && /WATCHDOG=1/ { n++ } END { print n + 0 }' "$T/notify.log")
[ "${steps:-0}" -gt 0 ] && [ "$early" -ge "$steps" ] && ok "WATCHDOG=1 before each of the start apply's $steps steps ($early)" ||
	fail "watchdog pings during the start apply: $early for ${steps:-no} steps"

c() { "$VFMGR" --socket "$SOCK" "$@"; }
expect_rc 0 "status through the daemon" c --json status
python3 -c '
import json,sys; s=json.load(open(sys.argv[1])); n={p["bdf"]:p["numvfs"] for p in s["pfs"]}
assert n["0000:3b:00.0"]==2 and n["0000:86:00.0"]==4, n' "$T/out" && ok "daemon applied the configuration at start" || fail "VF counts after start"

# SO_PEERCRED: the daemon admits root and members of --group (here nogroup, nobody's primary
# group); a uid without passwd entry and outside the group is refused with code 5.
expect_rc 5 "peer outside the group refused" setpriv --reuid=54321 --regid=54321 --clear-groups "$NB_VFMGR" --socket "$SOCK" status
expect_grep "permission denied" "$T/err" "refusal says permission denied"
expect_grep "uid 54321" "$T/err" "refusal names the uid"
expect_grep "refused connection" "$T/daemon.log" "daemon logs the refusal"
expect_rc 0 "group member (nobody, group nogroup) admitted" setpriv --reuid=65534 --regid=65534 --clear-groups "$NB_VFMGR" --socket "$SOCK" list

# Protocol errors come back as JSON errors with the request id.
python3 - "$SOCK" >"$T/out" <<'P'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(b'{"op":"frob","id":41}\n{"op":"list","args":{},"id":42}\n')
buf = b""
while buf.count(b"\n") < 2:
    d = s.recv(65536)
    if not d: break
    buf += d
print(buf.decode())
P
expect_grep '"id":41,"ok":false' "$T/out" "malformed request answered with an error and its id"
expect_grep '"id":42,"ok":true' "$T/out" "second request on the same connection answered"

# Concurrent assigns to the inactive domain: each gets its own VF (serialised per PF).
apids=""
for i in 1 2 3; do c --json assign appl1 >"$T/as$i.out" 2>"$T/as$i.err" & apids="$apids $!"; done
wait $apids
python3 - "$T"/as1.out "$T"/as2.out "$T"/as3.out <<'P' && ok "3 concurrent assigns got 3 distinct node-1 VFs" || fail "concurrent assigns"
import json, sys
vfs = [json.load(open(f))["vf"] for f in sys.argv[1:]]
assert len(set(vfs)) == 3, vfs
assert all(v.startswith("0000:86:") for v in vfs), vfs
P
expect_rc 8 "running domain through the daemon: hot-plug unsupported" c assign appl0
expect_grep "VIR_ERR_NO_SUPPORT" "$T/err" "daemon relays the libvirt error"
expect_rc 0 "status" c --json status
python3 -c '
import json,sys; s=json.load(open(sys.argv[1]))
o=[v["owner"] for p in s["pfs"] for v in p.get("vfs",[]) if v.get("owner")]
assert o==["appl1"]*3, o' "$T/out" && ok "three VFs owned by appl1" || fail "owners"
# The daemon keeps its libvirt connection: release goes through the persistent XML for real.
expect_rc 0 "release one VF of appl1" c --json release appl1
expect_grep '"libvirt": "redefine"' "$T/out" "release detached through the persistent definition"

# SIGHUP with a broken file: refused, old configuration kept, reason logged.
cp "$CONF" "$T/good.conf"
printf '[pf "0000:3b:00.0"]\nnumvfs = lots\n' >"$CONF"
kill -HUP $dpid; sleep 0.5
expect_grep "keeping the previous configuration" "$T/daemon.log" "bad config on SIGHUP refused and logged"
expect_grep "numvfs" "$T/daemon.log" "log names the bad key"
expect_rc 0 "daemon still serving after a bad reload" c status
# SIGHUP with a count change on PF 0000:3b:00.0, whose VF 1 libvirt domain appl2 holds
# (node.xml) without an owner record: the change would destroy it, so it is refused and named.
sed 's/numvfs = 2/numvfs = 3/' "$T/good.conf" >"$CONF"
kill -HUP $dpid; sleep 1
expect_grep "held by domain 'appl2' (not assigned by vfmgr)" "$T/daemon.log" \
	"reload: count change under a VF appl2 holds refused, domain named"
expect_rc 0 "status after the refused reload" c --json status
python3 -c '
import json,sys; s=json.load(open(sys.argv[1])); n={p["bdf"]:p["numvfs"] for p in s["pfs"]}
assert n["0000:3b:00.0"]==2, n' "$T/out" && ok "appl2's VF kept (still 2 VFs)" || fail "appl2's VF destroyed"
# SIGHUP with a good file: applied (PF 0000:86:00.0 once appl1 gave its VFs back).
expect_rc 0 "release appl1's second VF" c release appl1
expect_rc 0 "release appl1's third VF" c release appl1
sed 's/numvfs = 4/numvfs = 5/' "$T/good.conf" >"$CONF"
kill -HUP $dpid; sleep 1
expect_rc 0 "status after reload" c --json status
python3 -c '
import json,sys; s=json.load(open(sys.argv[1])); n={p["bdf"]:p["numvfs"] for p in s["pfs"]}
assert n["0000:86:00.0"]==5, n' "$T/out" && ok "reloaded configuration applied (5 VFs)" || fail "reload not applied"

kill -TERM $dpid
for i in $(seq 50); do kill -0 $dpid 2>/dev/null || break; sleep 0.1; done
wait $dpid; rc=$?
check "SIGTERM: exit status 0 (got $rc)" test "$rc" = 0
check "socket removed on exit" test ! -e "$SOCK"
expect_rc 4 "daemon gone: unreachable" c status
finish
