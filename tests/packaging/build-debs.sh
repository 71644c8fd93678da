#!/bin/bash
# tests/packaging/build-debs.sh SRCDIR OUTDIR: build the Debian packages once from a clean copy
# of SRCDIR's files (git ls-files: tracked + untracked, not ignored; so never build/ trees) and
# leave the .debs, .changes and the logs in OUTDIR. Reused while the source files are the same
# (stamp = hash of every copied file), so the packaging test and the systemd test-bed scenario
# share one build. DEB_BUILD_OPTIONS defaults to "nocheck parallel=2" (the unit suite runs on
# its own in tests/run.sh; set VFMGR_DEB_CHECK=1 to run it inside dh_auto_test too).
set -euo pipefail
src=$(cd "$1" && pwd) out=$2
mkdir -p "$out"
out=$(cd "$out" && pwd)
exec 8>"$out/.lock"
flock -w 1200 8

files() {
	if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$src" ls-files -co --exclude-standard -z
	else # a release tarball: everything but build trees and results
		(cd "$src" && find . -path ./build\* -prune -o -path ./benchmarks/results -prune -o \
			-type f -print0 | sed -z 's#^\./##')
	fi
}
stamp=$(cd "$src" && files | sort -z | xargs -0 sha256sum 2>/dev/null | sha256sum | cut -c1-16)
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] && ls "$out"/vfmgr_*.deb >/dev/null 2>&1; then
	echo "build-debs: reusing $(ls "$out"/*.deb | wc -l) packages in $out (stamp $stamp)"
	exit 0
fi
rm -rf "$out/src" "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo "$out/stamp"
mkdir -p "$out/src"
(cd "$src" && files | xargs -0 cp --parents -t "$out/src")
echo "build-debs: dpkg-buildpackage -us -uc -b in $out/src"
opts="nocheck parallel=2"
[ "${VFMGR_DEB_CHECK:-0}" = 1 ] && opts="parallel=2"
t0=$(date +%s)
if ! (cd "$out/src" && DEB_BUILD_OPTIONS="$opts" dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1; then
	tail -40 "$out/build.log"
	echo "build-debs: dpkg-buildpackage failed (log: $out/build.log)" >&2
	exit 1
fi
echo "build-debs: built in $(( $(date +%s) - t0 )) s: $(cd "$out" && ls *.deb | tr '\n' ' ')"
echo "$stamp" >"$out/stamp"
