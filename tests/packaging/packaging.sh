#!/bin/bash
# tests/packaging/packaging.sh SRCDIR OUTDIR: the Debian packages (issue #16).
#  1. dpkg-buildpackage -us -uc -b from a clean copy of the tree (build-debs.sh);
#  2. lintian on the .changes: no error;
#  3. the packages' Depends are satisfied by this (Debian 12) host's packages;
#  4. dpkg installs both into an empty root (dpkg --root, maintainer scripts run chrootless
#     with DPKG_ROOT, as Debian's DPKG_ROOT bootstrap does): files where the FHS and systemd
#     expect them, the conffile, the vfmgr system group from sysusers.d, binaries resolve;
#  5. purge removes every file, the conffile, /var/lib/vfmgr and the group.
set -uo pipefail
src=$(cd "$1" && pwd) out=$2
here=$(cd "$(dirname "$0")" && pwd)
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
check() { local d=$1; shift; if "$@"; then ok "$d"; else fail "$d"; fi; }
[ "$(id -u)" = 0 ] || { echo "SKIP: dpkg --root and the maintainer scripts need root"; exit 77; }
for t in dpkg-buildpackage lintian dh; do
	command -v $t >/dev/null || { echo "FAIL: $t is not installed (tests/setup.sh installs debhelper lintian devscripts)"; exit 1; }
done

"$here/build-debs.sh" "$src" "$out" || { echo "FAIL: dpkg-buildpackage"; exit 1; }
cd "$out"
deb=$(ls vfmgr_*_amd64.deb) bdeb=$(ls vfmgr-bench_*_amd64.deb) changes=$(ls vfmgr_*.changes)
ok "dpkg-buildpackage built $deb $bdeb"

# --- lintian: errors fail, warnings are printed
lintian --tag-display-limit 0 "$changes" >lintian.log 2>&1
echo "lintian ($(grep -c '^E:' lintian.log) errors, $(grep -c '^W:' lintian.log) warnings):"
grep -v '^N:\|root privileges' lintian.log | sed 's/^/  /'
check "lintian reports no error" test "$(grep -c '^E:' lintian.log)" = 0
check "every installed program has a manual page (lintian no-manual-page)" \
	test "$(grep -c 'no-manual-page' lintian.log)" = 0

# --- Depends satisfiable here: dpkg --no-act checks them against the installed packages
check "Depends satisfied by the host's packages" \
	dpkg --no-act --force-not-root --admindir=/var/lib/dpkg -i "$deb" "$bdeb"

# --- install into an empty root
R=$out/root
rm -rf "$R"
mkdir -p "$R"/var/lib/dpkg/{info,updates} "$R"/var/log "$R"/etc
: >"$R"/var/lib/dpkg/status
: >"$R"/var/lib/dpkg/available
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R"/etc/passwd
printf 'root:x:0:\n' >"$R"/etc/group
cp /etc/login.defs "$R"/etc/ 2>/dev/null || true
D() { dpkg --root="$R" --force-script-chrootless --force-depends "$@"; }
D -i "$deb" "$bdeb" >install.log 2>&1
rc=$?
sed 's/^/  dpkg: /' install.log | grep -v 'Reading database\|^  dpkg: (Reading' | head -30
check "dpkg --root -i both packages (exit $rc)" test $rc = 0
st() { dpkg-query --admindir="$R/var/lib/dpkg" -W -f='${Status}' "$1" 2>/dev/null; }
check "vfmgr is 'install ok installed'" test "$(st vfmgr)" = "install ok installed"
check "vfmgr-bench is 'install ok installed'" test "$(st vfmgr-bench)" = "install ok installed"

unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
for f in /usr/sbin/vfmgrd /usr/bin/vfmgr "$unitdir/vfmgrd.service" /usr/lib/sysusers.d/vfmgr.conf \
	/usr/lib/modules-load.d/vfmgr.conf /etc/vfmgr/vfmgr.conf /usr/share/man/man8/vfmgrd.8.gz \
	/usr/share/man/man8/vfmgr.8.gz /usr/share/man/man5/vfmgr.conf.5.gz \
	/usr/share/man/man8/irqpost-probe.8.gz /usr/share/man/man1/vfapp.1.gz \
	/usr/share/man/man1/vfmgr-bench.1.gz \
	/usr/share/bash-completion/completions/vfmgr /usr/share/doc/vfmgr/copyright \
	/usr/bin/vfapp /usr/bin/vfmgr-bench /usr/share/vfmgr-bench/benchmarks/run.sh \
	/usr/share/doc/vfmgr-bench/copyright; do
	check "installed $f" test -e "$R$f"
done
check "iova-microbench under /usr/libexec or /usr/lib/<triplet>" \
	test -n "$(find "$R/usr/libexec" "$R/usr/lib" -path '*/vfmgr-bench/iova-microbench' 2>/dev/null)"
# FHS: nothing in /usr/local, /opt, /var (beyond dpkg), /home; executables only in bin/sbin/libexec
bad=$(dpkg-query --admindir="$R/var/lib/dpkg" -L vfmgr vfmgr-bench |
	grep -Ev '^/(\.|usr/(bin|sbin|share|lib|libexec)(/|$)|usr$|etc(/vfmgr(/|$)|$)|lib(/systemd(/system(/|$)|$)|$))')
check "every path under /usr, /etc/vfmgr or the systemd unit dir${bad:+ (not: $bad)}" test -z "$bad"
check "no file under /usr/local" test ! -e "$R/usr/local"
check "/etc/vfmgr/vfmgr.conf is a conffile" \
	bash -c "dpkg-query --admindir='$R/var/lib/dpkg' -W -f='\${Conffiles}' vfmgr | grep -q ' /etc/vfmgr/vfmgr.conf '"
check "unit ExecStart names the installed daemon" grep -q '^ExecStart=/usr/sbin/vfmgrd ' "$R$unitdir/vfmgrd.service"
check "daemon and CLI are root-owned 0755" \
	test "$(stat -c %U:%a "$R/usr/sbin/vfmgrd" "$R/usr/bin/vfmgr" | sort -u)" = "root:755"
nf=""
for f in $(dpkg-query --admindir="$R/var/lib/dpkg" -L vfmgr vfmgr-bench); do
	[ -f "$R$f" ] && file -b "$R$f" | grep -q '^ELF.*dynamic' && ldd "$R$f" | grep -q 'not found' && nf="$nf $f"
done
check "every packaged ELF resolves its libraries on this host${nf:+ (not:$nf)}" test -z "$nf"
check "vfmgr --version runs" bash -c "'$R/usr/bin/vfmgr' --version | grep -q '[0-9]\.[0-9]'"
check "packaged harness prints its usage" bash -c "VFB_VFAPP=/bin/false '$R/usr/share/vfmgr-bench/benchmarks/run.sh' --help | grep -q -- '--quick'"
grp=$(grep '^vfmgr:' "$R/etc/group")
gid=$(echo "$grp" | cut -d: -f3)
check "sysusers created system group vfmgr ($grp)" test -n "$gid"
check "group vfmgr is a system gid (< 1000)" test "${gid:-9999}" -lt 1000
check "no unit enabled before the operator writes the config" \
	test -z "$(find "$R/etc/systemd" -name 'vfmgrd.service' -type l 2>/dev/null)"
# What vfmgrd would leave: state and an operator-enabled unit; an edited conffile.
mkdir -p "$R/var/lib/vfmgr" && echo '{}' >"$R/var/lib/vfmgr/owners.json"
echo "# edited" >>"$R/etc/vfmgr/vfmgr.conf"
check "systemctl --root enable vfmgrd" systemctl --root="$R" enable vfmgrd.service --quiet
check "enable made multi-user.target want vfmgrd" test -L "$R/etc/systemd/system/multi-user.target.wants/vfmgrd.service"

# --- purge
D --purge vfmgr-bench vfmgr >purge.log 2>&1
rc=$?
check "dpkg --root --purge (exit $rc)" test $rc = 0
sed 's/^/  dpkg: /' purge.log | grep -v 'Reading database' | head -20
check "vfmgr no longer known to dpkg" test -z "$(st vfmgr)"
left=$(cd "$R" && find . -path ./var/lib/dpkg -prune -o -path ./var/log -prune -o \
	\( -type f -o -type l \) -print | grep -v '^\./etc/\(passwd\|group\|shadow\|gshadow\|login.defs\|\.pwd\.lock\)-\?$')
check "purge left no file behind${left:+ (left: $(echo $left))}" test -z "$left"
check "purge removed /etc/vfmgr" test ! -e "$R/etc/vfmgr"
check "purge removed /var/lib/vfmgr" test ! -e "$R/var/lib/vfmgr"
check "purge removed group vfmgr" bash -c "! grep -q '^vfmgr:' '$R/etc/group'"

[ $fails = 0 ] && { echo "all checks passed"; exit 0; }
echo "$fails check(s) failed" >&2; exit 1
