# /etc/tb-hostfs.sh: the host's root inside the guest (sourced after tb-lib.sh), for scenarios
# whose topology exports it (boot.sh: "-virtfs local,path=/,mount_tag=host,readonly=on").
# The host's root is mounted read-only over 9p under an overlay whose upper layer is a tmpfs
# (the technique of tests/packaging/systemd-testbed.sh), at $H: every write stays in the
# guest's memory. Programs the initramfs does not carry (libvirtd, virsh, QEMU, nvme-cli,
# mkfs.ext4, python3) run from it with tb_h, a chroot sharing the guest's /proc, /sys, /dev,
# and the initramfs's /tb (the project binaries boot.sh packed).
H=/h
# tb_hostfs_mount: @return 0 when $H holds the host's root
tb_hostfs_mount() {
	local m
	for m in virtio_pci 9pnet_virtio 9p overlay; do modprobe $m || { echo "modprobe $m failed"; return 1; }; done
	mkdir -p /hostro /rw $H
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose host /hostro || return 1
	mount -t tmpfs -o size=400M,mode=0755 tmpfs /rw
	mkdir -p /rw/upper /rw/work
	mount -t overlay overlay -o lowerdir=/hostro,upperdir=/rw/upper,workdir=/rw/work $H || return 1
	mount --bind /proc $H/proc
	mount --bind /sys $H/sys
	mount --bind /dev $H/dev
	mkdir -p $H/dev/pts $H/dev/shm
	mount -t devpts devpts $H/dev/pts 2>/dev/null
	mount -t tmpfs tmpfs $H/dev/shm
	mount -t tmpfs -o mode=0755 tmpfs $H/run
	mount -t tmpfs -o mode=1777 tmpfs $H/tmp
	mkdir -p $H/tb $H/run/lock
	mount --bind /tb $H/tb
	# the host's disks and services mean nothing here
	: >$H/etc/fstab
	# modules of the running kernel come from the host's /lib/modules (same Debian kernel)
	[ -d $H/lib/modules/$(uname -r) ]
}
# tb_h CMD...: run CMD in the host's root (clean environment, root's HOME)
tb_h() { chroot $H /usr/bin/env -i PATH=/tb/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
