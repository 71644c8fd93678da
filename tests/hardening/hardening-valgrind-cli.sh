#!/bin/bash
# hardening-valgrind-cli.sh: every vfmgr subcommand, --local on the fake sysfs with libvirt's
# test driver, under valgrind memcheck: no invalid read/write, no use of uninitialised memory,
# no definite leak (exit 99 from valgrind fails the check). The daemon path is covered by the
# ASan+UBSan pass of tests/run.sh.
. "$(dirname "$0")/hlib.sh"
command -v valgrind >/dev/null || { echo "valgrind not installed"; exit 77; }
VG=(valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
    --trace-children=no)
# vg DESC RC vfmgr-args...: the CLI under memcheck must exit RC (and never 99).
vg() {
	local d=$1 want=$2; shift 2
	expect_rc "$want" "valgrind: $d" env VFMGR_FAKE_ROOT="$FX" LD_PRELOAD="$FAKESYS" "${VG[@]}" \
		"$VFMGR" --local --config "$CONF" --root "$FX" --state-dir "$ST" --connect "$URI" "$@"
	grep -q '^==[0-9]*== ' "$T/err" && { fail "$d: valgrind reported errors"; sed -n '1,30p' "$T/err" >&2; }
	return 0
}
fixture; conf 2 2
vg "check" 0 check
vg "plan --json" 0 --json plan
vg "apply" 0 apply
vg "status --json" 0 --json status
vg "list" 0 list
vg "assign vm1 (inactive domain: persistent XML)" 0 assign vm1 --pf 0000:86:00.0 --vf 0
vg "show" 0 --json show 0000:86:00.0/0
vg "release vm1" 0 release vm1
vg "assign to a missing domain (error path)" 6 assign no-such-domain
vg "bad subcommand (usage error)" 2 frobnicate
invariants "after the valgrind run" 2 2
finish
