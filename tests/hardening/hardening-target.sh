#!/bin/bash
# hardening-target.sh: the VF names vfmgr(8) documents for `release` and `show` -- a VF
# address, "pf/index" (vfmgr(8) RELEASE) and "pf:index" (vfmgr.h) -- through vfmgrd and --local.
# (Found refusing "pf/index" -- proto.c name_ok() -- and fixed by vfmgr-front in 81bc31c.)
. "$(dirname "$0")/hlib.sh"
fixture; conf 2 2
start_daemon "$T/d.log" --socket-mode 0600 || finish
for form in "0000:86:00.0:0" "0000:86:02.0" "0000:86:00.0/0"; do
	expect_rc 0 "assign vm1 --pf 0000:86:00.0 --vf 0" c assign vm1 --pf 0000:86:00.0 --vf 0
	expect_rc 0 "show $form (vfmgrd)" c --json show "$form"
	expect_grep '"owner": "vm1"' "$T/out" "show $form names the owner"
	expect_rc 0 "release $form (vfmgrd)" c release "$form"
	expect_rc 0 "show $form (--local)" vf show "$form"
	invariants "after release $form" 2 2 c
done
stop_daemon
finish
