#!/bin/bash
# front-conf.sh CONFDIR VFMGRD VFMGR: man pages render without warnings, the unit (with the built
# daemon substituted into ExecStart) passes `systemd-analyze verify`, the example configuration
# parses, the bash completion completes subcommands and options.
set -u
confdir=$1 vfmgrd=$2 vfmgr=$3
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }

mkdir -p "$T/man/man1" "$T/man/man5" "$T/man/man8"
for m in vfmgr.8 vfmgrd.8 vfmgr.conf.5 irqpost-probe.8 vfapp.1 vfmgr-bench.1; do
	w=$(MANWIDTH=80 man --warnings -l "$confdir/$m" 2>&1 >/dev/null)
	[ -z "$w" ] && ok "$m renders without warnings" || fail "$m: $w"
	n=$(MANWIDTH=80 man -l "$confdir/$m" 2>/dev/null | wc -l)
	[ "$n" -gt 20 ] && ok "$m renders ($n lines)" || fail "$m renders only $n lines"
	cp "$confdir/$m" "$T/man/man${m##*.}/"
done
# A deliberately broken page must produce warnings (the check is not a rubber stamp).
printf '.TH X 8\n.SH NAME\nx \\- y\n.BOGUS\n.fi\n.RS\n' >"$T/bad.8"
[ -n "$(MANWIDTH=80 man --warnings -l "$T/bad.8" 2>&1 >/dev/null)" ] && ok "man --warnings catches a broken page" \
	|| fail "man --warnings silent on a broken page"

sed "s|@BINDIR@/vfmgrd|$vfmgrd|" "$confdir/vfmgrd.service.in" >"$T/vfmgrd.service"
grep -q "^ExecStart=$vfmgrd " "$T/vfmgrd.service" && ok "ExecStart points at the built daemon" || fail "ExecStart substitution"
out=$(cd "$T" && MANPATH="$T/man" SYSTEMD_LOG_LEVEL=notice systemd-analyze verify ./vfmgrd.service 2>&1)
[ -z "$out" ] && ok "systemd-analyze verify is clean" || fail "systemd-analyze verify: $out"
for k in Type=notify WatchdogSec= ProtectSystem=strict NoNewPrivileges=yes "RestrictAddressFamilies=AF_UNIX AF_NETLINK" \
	CapabilityBoundingSet= "SystemCallFilter=@system-service" RuntimeDirectory=vfmgr StateDirectory=vfmgr \
	"Before=NetworkManager.service systemd-networkd.service"; do
	grep -q "^$k" "$T/vfmgrd.service" && ok "unit has $k" || fail "unit lacks $k"
done
# Every capability kept is justified in a comment.
for cap in $(sed -n 's/^CapabilityBoundingSet=//p' "$T/vfmgrd.service"); do
	grep -q "^# $cap:" "$T/vfmgrd.service" && ok "$cap justified" || fail "$cap without justification"
done
# A broken unit must fail verification.
sed 's/^Type=notify/Type=sometimes/' "$T/vfmgrd.service" >"$T/bad.service"
(cd "$T" && MANPATH="$T/man" systemd-analyze verify ./bad.service >/dev/null 2>&1 && [ -z "$(MANPATH="$T/man" systemd-analyze verify ./bad.service 2>&1)" ]) \
	&& fail "systemd-analyze verify accepted Type=sometimes" || ok "systemd-analyze rejects a broken unit"

# The example configuration parses: exit 2 means a configuration error; anything else is about
# the (empty) host. A broken copy must give exit 2 and name file:line.
mkdir -p "$T/root/sys/bus/pci/devices"
"$vfmgr" --local --config "$confdir/vfmgr.conf" --root "$T/root" --state-dir "$T/st" plan >"$T/out" 2>&1
rc=$?
[ $rc != 2 ] && ok "example vfmgr.conf parses (plan exit $rc on an empty host)" || fail "example config: $(cat "$T/out")"
sed 's/^numvfs = 4/numvfs = four/' "$confdir/vfmgr.conf" >"$T/bad.conf"
"$vfmgr" --local --config "$T/bad.conf" --root "$T/root" --state-dir "$T/st" plan >"$T/out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "bad.conf:[0-9]*:" "$T/out" && ok "broken config: exit 2 naming file:line" || fail "broken config: exit $rc: $(cat "$T/out")"

# Bash completion.
comp() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _vfmgr; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$confdir/vfmgr.bash-completion" "$@"
}
comp vfmgr as | grep -qx assign && ok "completion: as -> assign" || fail "completion of subcommands"
comp vfmgr --js | grep -qx -- --json && ok "completion: --js -> --json" || fail "completion of global options"
comp vfmgr apply --f | grep -qx -- --force && ok "completion: apply --f -> --force" || fail "completion of apply options"
comp vfmgr assign appl0 --p | grep -qx -- --pf && ok "completion: assign --p -> --pf" || fail "completion of assign options"

[ $fails = 0 ] && { echo "all checks passed"; exit 0; }
echo "$fails check(s) failed" >&2; exit 1
