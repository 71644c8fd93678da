#!/bin/bash
# tests/testbed/mkinitramfs.sh: build (or reuse) the cached pieces of the test bed.
#   mkinitramfs.sh vmlinux             -> prints the path of the extracted, uncompressed vmlinux
#   mkinitramfs.sh helpers             -> compiles tests/testbed/tb-*.c (guest helpers; a preload
#                                         library for those defining TB_SHARED_OBJECT), prints paths
#   mkinitramfs.sh base                -> prints the path of the base initramfs (busybox + modules + init)
#   mkinitramfs.sh extra OUT [--bin NAME PATH]... [--dpdk] [--file SRC DST]...   (cached)
#                                      -> writes OUT: an uncompressed cpio with the binaries (and their
#                                         shared libraries as ldd finds them) and the given files
#                                         (TB_EXTRA_GZIP=1: gzipped; the kernel unpacks 20-30 MB of
#                                         uncompressed cpio ~1 s faster per boot under TCG)
# Cache: tests/testbed/cache/<kver>/ (override with TB_CACHE), keyed by kernel version and by a hash
# of the inputs, so repeated runs only rebuild the per-run "extra" archive.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
KVER=${TB_KVER:-$(ls /lib/modules | sort -V | tail -1)}
CACHE=${TB_CACHE:-$here/cache}/$KVER
MODULES="nvme pci-pf-stub vfio-pci vfio_iommu_type1 e1000e crc64_rocksoft_generic crct10dif_generic virtio_pci 9pnet_virtio 9p overlay"
PMDDIR=/usr/lib/x86_64-linux-gnu/dpdk/pmds-23.0
mkdir -p "$CACHE"

die() { echo "mkinitramfs: $*" >&2; exit 1; }

vmlinux() {
	local out=$CACHE/vmlinux bz=/boot/vmlinuz-$KVER off
	[ -f "$bz" ] || die "no $bz"
	if [ ! -s "$out" ] || [ "$bz" -nt "$out" ]; then
		# The xz stream starts at FD 37 7A 58 5A 00; xz stops at the end of the stream.
		off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$bz" | head -1 | cut -d: -f1)
		[ -n "$off" ] || die "no xz stream in $bz"
		tail -c +$((off + 1)) "$bz" | xz -dc 2>/dev/null >"$out.tmp" || true
		head -c 4 "$out.tmp" | grep -q 'ELF' || die "extracted vmlinux is not an ELF file"
		mv "$out.tmp" "$out"
	fi
	echo "$out"
}

# copy_with_libs ROOT FILE...: copy each ELF file and its shared libraries (ldd) into ROOT.
copy_with_libs() {
	local root=$1 f l; shift
	for f in "$@"; do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
		ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' | while read -r l; do
			[ -e "$root$l" ] && continue
			mkdir -p "$root$(dirname "$l")"
			cp -L "$l" "$root$l"
		done || true   # static binaries: ldd finds nothing
	done
}

base() {
	local key out root m
	key=$( { echo "$KVER $MODULES"; cat "$here"/guest/init "$here"/guest/tb-*.sh "$0" /bin/busybox | sha256sum; } | sha256sum | cut -c1-12)
	out=$CACHE/base-$key.cpio.gz
	if [ ! -s "$out" ]; then
		root=$(mktemp -d "$CACHE/root.XXXXXX")
		mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,run,etc,mnt,lib/modules/$KVER,usr/bin,usr/sbin}
		cp /bin/busybox "$root/bin/busybox"
		for a in $("$root/bin/busybox" --list); do
			[ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
		done
		for m in $(modprobe -S "$KVER" -a --show-depends $MODULES | awk '$1=="insmod"{print $2}' | sort -u); do
			mkdir -p "$root$(dirname "$m")"
			cp "$m" "$root$m"
		done
		cp /lib/modules/$KVER/modules.order /lib/modules/$KVER/modules.builtin* "$root/lib/modules/$KVER/" 2>/dev/null || true
		depmod -b "$root" "$KVER"
		install -m 755 "$here/guest/init" "$root/init"
		install -m 644 "$here"/guest/tb-*.sh "$root/etc/"
		(cd "$root" && find . | cpio -o -H newc --quiet | gzip -6) >"$out.tmp"
		# zero-pad to 512 bytes: the kernel reads an uncompressed cpio that follows only at a
		# 4-byte aligned offset ("invalid magic at start of compressed archive" otherwise);
		# it skips zero bytes between archives
		truncate -s $(( ($(stat -c %s "$out.tmp") + 511) / 512 * 512 )) "$out.tmp"
		mv "$out.tmp" "$out"
		rm -rf "$root"
		# drop stale base archives of this kernel
		find "$CACHE" -name 'base-*.cpio.gz' ! -name "$(basename "$out")" -delete
	fi
	echo "$out"
}

extra() {
	local out=$1 root n p key a ext=cpio; shift
	[ "${TB_EXTRA_GZIP:-0}" = 1 ] && ext=cpio.gz
	# cached by this script's content, the arguments and the size/mtime of every file named in them
	key=$({ sha256sum <"$0"; echo "gzip=${TB_EXTRA_GZIP:-0}"; for a in "$@"; do echo "$a"; if [ -e "$a" ]; then stat -L -c '%s %Y' "$a"; fi; done; } |
		sha256sum | cut -c1-16)
	if [ -s "$CACHE/extra-$key.$ext" ]; then
		touch "$CACHE/extra-$key.$ext"
		cp "$CACHE/extra-$key.$ext" "$out"
		return 0
	fi
	root=$(mktemp -d "${TMPDIR:-/tmp}/tb-extra.XXXXXX")
	trap 'rm -rf "$root"' RETURN
	mkdir -p "$root/tb/bin"
	while [ $# -gt 0 ]; do
		case $1 in
		--bin) n=$2 p=$(readlink -f "$3"); shift 3
			copy_with_libs "$root" "$p"
			# a copy, not a link to the host path: the guest mounts tmpfs on /tmp and /run,
			# which would hide a binary built under them (a clone in /tmp, as CI may use)
			cp -L "$p" "$root/tb/bin/$n" ;;
		--file) mkdir -p "$root$(dirname "$3")"; cp -L "$2" "$root$3"; shift 3 ;;
		--dpdk) shift
			local pmds=()
			for n in bus_pci bus_vdev net_e1000 mempool_ring net_ring net_null; do
				# EAL loads every *.so of the plugin directory
				for p in /lib/x86_64-linux-gnu/librte_${n}.so.23; do [ -e "$p" ] && pmds+=("$p"); done
			done
			copy_with_libs "$root" "${pmds[@]}"
			# the plugin directory entries point at the same files, so that a PMD the
			# application also links directly is not loaded twice (same inode)
			mkdir -p "$root$PMDDIR"
			for p in "${pmds[@]}"; do
				n=$(basename "$p" .23)
				ln -sf "$p" "$root$PMDDIR/$n"
			done
			# dlopen()ed, not seen by ldd of the application
			for p in /lib/x86_64-linux-gnu/libgcc_s.so.1; do copy_with_libs "$root" "$p"; done ;;
		*) die "extra: unknown argument $1" ;;
		esac
	done
	# One inode per library: the same DSO reached through two paths (ldd via an RUNPATH into
	# the PMD directory, dlopen of the plugin directory, /lib) would be loaded twice and
	# DPDK panics on the double registration. Point the other paths at /lib's copy.
	local f
	if [ -d "$root/usr/lib/x86_64-linux-gnu" ] && [ -d "$root/lib/x86_64-linux-gnu" ]; then
		find "$root/usr/lib/x86_64-linux-gnu" -type f -name '*.so*' | while read -r f; do
			n=$(basename "$f")
			if [ -f "$root/lib/x86_64-linux-gnu/$n" ]; then ln -sf "/lib/x86_64-linux-gnu/$n" "$f"; fi
		done
	fi
	(cd "$root" && find . | cpio -o -H newc --quiet | if [ "${TB_EXTRA_GZIP:-0}" = 1 ]; then gzip -1; else cat; fi) >"$out"
	cp "$out" "$CACHE/extra-$key.$ext.tmp" && mv "$CACHE/extra-$key.$ext.tmp" "$CACHE/extra-$key.$ext"
	# keep the 16 most recently used
	# (one glob for both kinds: under pipefail an unmatched "ls" pattern would fail the script)
	{ ls -t "$CACHE"/extra-*.cpio* 2>/dev/null || true; } | { grep -v '\.tmp$' || true; } | tail -n +17 | xargs -r rm -f
}

# helpers: compile the guest helper programs (tb-gron needs libjansson) into the cache
helpers() {
	local src out kind
	for src in "$here"/tb-*.c; do
		out=$CACHE/helpers/$(basename "$src" .c)
		mkdir -p "$CACHE/helpers"
		if [ ! -x "$out" ] || [ "$src" -nt "$out" ]; then
			# a source that defines TB_SHARED_OBJECT is a preload library (tb-nosleep.c)
			kind=$(pkg-config --cflags --libs jansson)
			grep -q '^#define TB_SHARED_OBJECT' "$src" && kind="-shared -fPIC"
			gcc -O2 -Wall -Wextra -o "$out.tmp.$$" "$src" $kind &&
				mv -f "$out.tmp.$$" "$out" || { rm -f "$out.tmp.$$"; die "cannot build $src"; }
		fi
		echo "$out"
	done
}

case ${1:-} in
vmlinux) vmlinux ;;
helpers) helpers ;;
base) base ;;
extra) shift; extra "$@" ;;
*) sed -n '2,9p' "$0"; exit 2 ;;
esac
