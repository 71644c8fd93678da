# Sourced by tests/run.sh and benchmarks/run.sh: install what a fresh Debian 12 needs,
# reserve hugepages, configure and build with Meson. Functions only; no side effects on source.

VFMGR_PACKAGES="meson ninja-build pkg-config gcc clang lld libclang-rt-14-dev python3
 libdpdk-dev dpdk dpdk-dev libvirt-dev libvirt-clients libvirt-daemon libnuma-dev
 libjansson-dev libmnl-dev libcmocka-dev libsystemd-dev libinih-dev systemd man-db
 python3-matplotlib liblwip-dev iperf3 sockperf iproute2 ethtool tcpdump procps
 qemu-system-x86 linux-image-amd64 busybox-static cpio xz-utils kmod valgrind
 libvirt-daemon-driver-qemu nvme-cli e2fsprogs
 libxml2-dev libxml2-utils util-linux
 debhelper lintian devscripts file curl prometheus-node-exporter
 libcurl4-openssl-dev python3-placement"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ensure_packages: apt-get install whatever of VFMGR_PACKAGES is missing (root only).
ensure_packages() {
	local missing="" p
	for p in $VFMGR_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		log "missing packages:$missing -- run as root or install them"; return 1
	fi
	log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null
	apt-get install -y -q $missing >/tmp/vfmgr-apt.log 2>&1 || { tail -20 /tmp/vfmgr-apt.log; return 1; }
}

# reserve_hugepages N: make at least N 2 MiB hugepages available (best effort; DPDK users
# fall back to --no-huge when there are none).
reserve_hugepages() {
	local want=${1:-512} cur
	[ "$(id -u)" = 0 ] || return 0
	cur=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
	[ "$cur" -ge "$want" ] || echo "$want" >/proc/sys/vm/nr_hugepages 2>/dev/null || true
	mountpoint -q /dev/hugepages 2>/dev/null || { mkdir -p /dev/hugepages; mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true; }
	log "hugepages: $(cat /proc/sys/vm/nr_hugepages) x 2 MiB"
}

# build_tree DIR [meson options...]: configure (once) and build.
build_tree() {
	local dir=$1; shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" >"$dir.build.log" 2>&1 || { tail -60 "$dir.build.log"; return 1; }
	log "built $dir"
}
