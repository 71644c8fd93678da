#!/bin/bash
# hardening-enospc.sh [--sweep]: a full disk under the state directory (journal, owners.json,
# assigned/). Re-executes itself in a private mount namespace (unshare -m) and mounts a 64 KiB
# tmpfs on the state directory, filled with 4 KiB files.
#  default: apply and assign (vfmgr --local and through vfmgrd) on a full disk fail cleanly --
#           message names the journal file and "No space left on device", nothing changed on
#           the host, nothing owned, daemon keeps serving -- and work once space is freed.
#  --sweep: assign with 0..8 free blocks, so the disk fills up at every write of the
#           operation in turn; after each, once space is back, invariants.py must hold and
#           no temporary file may be left in the state directory.
if [ -z "${HARD_IN_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (unshare -m, mount tmpfs)"; exit 77; }
	HARD_IN_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi
. "$(dirname "$0")/hlib.sh"
fixture; conf 4 4
mkdir -p "$ST"
mount -t tmpfs -o size=64k,mode=0700 tmpfs "$ST" || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
cleanup_hooks="$cleanup_hooks umount -l $ST 2>/dev/null;"

# fill K: fill the state tmpfs, then free K 4 KiB blocks.
fill() {
	local i=0 j
	rm -f "$ST"/fill.*
	while [ $i -lt 64 ] && dd if=/dev/zero of="$ST/fill.$i" bs=4k count=1 status=none 2>/dev/null; do i=$((i + 1)); done
	rm -f "$ST/fill.$i"
	for j in $(seq 1 "$1"); do rm -f "$ST/fill.$((i - j))"; done
}
unfill() { rm -f "$ST"/fill.*; }
free_kb() { df -k --output=avail "$ST" | tail -1 | tr -d ' '; }
# stray: temporary files left in the state directory
stray() { find "$ST" -name '*.tmp*' | sed "s|$ST/||"; }

if [ "${1:-}" = --sweep ]; then
	expect_rc 0 "apply" vf apply
	for k in 0 1 2 3 4 5 6 7 8; do
		fill "$k"
		vf assign vm1 >"$T/out" 2>"$T/err"; rc=$?
		echo "-- $k free block(s): assign exit $rc: $(grep -v '^vfmgr: [^a]' "$T/err" | head -1)"
		unfill
		invariants "$k free block(s), after recovery" 4 4
		s=$(stray); check "$k free block(s): no temporary file left${s:+ (found: $s)}" test -z "$s"
		[ $rc = 0 ] && { check "$k free block(s): assign succeeded -> vm1 owns a VF" test -n "$(owners)"; vf release vm1 >/dev/null 2>&1; }
		[ $rc != 0 ] && check "$k free block(s): assign failed -> nothing owned" test -z "$(owners)"
		rm -f "$ST"/assigned/*.tmp
	done
	finish
fi

# --- apply on a full disk: refused before touching the host ------------------------------
fill 0
check "state tmpfs full ($(free_kb) KiB free)" test "$(free_kb)" -lt 4
expect_rc '!0' "apply on a full state disk fails" vf apply
expect_grep "cannot write journal $ST/journal/.*: No space left on device" "$T/err" "message names the journal file and ENOSPC"
unfill
invariants "full disk: nothing applied" 0 0
expect_rc 0 "apply once space is back" vf apply
invariants "after apply" 4 4

# --- assign on a full disk (--local) -------------------------------------------------------
fill 0
expect_rc '!0' "assign on a full state disk fails" vf assign vm1
expect_grep "cannot write journal $ST/journal/.*: No space left on device" "$T/err" "message names the journal file and ENOSPC"
unfill
invariants "full disk: assign had no effect" 4 4
check "nothing owned" test -z "$(owners)"

# --- the daemon on a full disk ----------------------------------------------------------------
start_daemon "$T/d.log" --socket-mode 0600 || finish
fill 0
expect_rc '!0' "daemon: assign on a full state disk fails" c assign vm1
expect_grep "No space left on device" "$T/err" "daemon answers with ENOSPC in the message"
expect_grep "$ST/" "$T/err" "daemon message names the state file"
expect_rc 0 "daemon: status still answered on a full disk" c --json status
unfill
kill -0 "$dpid" && ok "daemon alive after the full-disk errors" || fail "daemon died on ENOSPC"
invariants "daemon: full disk had no effect" 4 4 c
expect_rc 0 "daemon: assign once space is back" c assign vm1
expect_rc 0 "daemon: release" c release vm1
invariants "daemon: after assign+release" 4 4 c
stop_daemon
finish
