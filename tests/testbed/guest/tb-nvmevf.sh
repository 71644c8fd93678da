# /etc/tb-nvmevf.sh: nvme VFs a host driver can use (sourced after tb-sriov.sh and tb-hostfs.sh).
# QEMU's nvme PF keeps its flexible queue/interrupt resources until told otherwise; a VF
# (secondary controller) binds to the nvme driver only once it has resources and is online.
# Steps from QEMU's docs/system/devices/nvme.rst ("Virtualization Enhancements and SR-IOV"),
# with nvme-cli from the host's root (tb_h): the primary gives up its flexible resources
# (virt-mgmt -a 1 -n 0, freed at its reset), then per secondary controller: 2 VQ (admin + one
# I/O queue, -r 0 -a 8 -n 2), 1 VI (-r 1 -a 8 -n 1), online (-a 9).

# tb_nvme_ctrl PF: the PF's nvme controller (nvme0)
tb_nvme_ctrl() { ls $PCI/$1/nvme 2>/dev/null | head -1; }
# tb_nvme_scid FILE VFN: the secondary controller id of VF number VFN (1-based) in the output
# of `nvme list-secondary` (nvme-cli prints SCID and VFN in hex)
tb_nvme_scid() {
	local s v
	awk '/SCID/ { s = $NF } /VFN/ { print s, $NF }' "$1" | while read -r s v; do
		[ $((v)) = $2 ] && { echo $((s)); break; }
	done
}
# tb_nvme_vfs PF N: PF on nvme, N VFs with resources and online, not bound (autoprobe 0).
# Sets TB_NVME_C (controller), TB_NVME_SCIDS (secondary ids in VF order). Log: /tmp/nvmevf.log
tb_nvme_vfs() {
	local pf=$1 n=$2 pc i s
	: >/tmp/nvmevf.log
	tb_setup_pf $pf nvme || { echo "PF $pf not on nvme" >>/tmp/nvmevf.log; return 1; }
	TB_NVME_C=$(tb_nvme_ctrl $pf)
	tb_wait_for 10 test -c /dev/$TB_NVME_C || return 1
	pc=$(tb_h nvme id-ctrl /dev/$TB_NVME_C 2>>/tmp/nvmevf.log | awk '$1 == "cntlid" { print $3; exit }')
	[ -n "$pc" ] || { echo "no cntlid for $TB_NVME_C" >>/tmp/nvmevf.log; return 1; }
	tb_h nvme virt-mgmt /dev/$TB_NVME_C -c $((pc)) -r 0 -a 1 -n 0 >>/tmp/nvmevf.log 2>&1 || return 1
	tb_h nvme virt-mgmt /dev/$TB_NVME_C -c $((pc)) -r 1 -a 1 -n 0 >>/tmp/nvmevf.log 2>&1 || return 1
	echo 1 >$PCI/$pf/reset || return 1
	tb_wait_for 20 tb_h nvme id-ctrl /dev/$TB_NVME_C >/dev/null 2>&1 || return 1
	echo 0 >$PCI/$pf/sriov_drivers_autoprobe
	echo $n >$PCI/$pf/sriov_numvfs || return 1
	tb_wait_for 5 test -e $PCI/$pf/virtfn$((n - 1)) || return 1
	tb_h nvme list-secondary /dev/$TB_NVME_C >/tmp/nvme-secondary.txt 2>>/tmp/nvmevf.log
	TB_NVME_SCIDS=""
	i=1
	while [ $i -le $n ]; do
		s=$(tb_nvme_scid /tmp/nvme-secondary.txt $i)
		[ -n "$s" ] || { echo "no secondary controller for VF $i" >>/tmp/nvmevf.log; return 1; }
		tb_h nvme virt-mgmt /dev/$TB_NVME_C -c $s -r 0 -a 8 -n 2 >>/tmp/nvmevf.log 2>&1 &&
			tb_h nvme virt-mgmt /dev/$TB_NVME_C -c $s -r 1 -a 8 -n 1 >>/tmp/nvmevf.log 2>&1 &&
			tb_h nvme virt-mgmt /dev/$TB_NVME_C -c $s -r 0 -a 9 -n 0 >>/tmp/nvmevf.log 2>&1 || return 1
		TB_NVME_SCIDS="$TB_NVME_SCIDS $s"
		i=$((i + 1))
	done
}
# tb_nvme_vf_disk VF NSID: the block device users open for namespace NSID of the VF: the
# multipath head nvme<S>n<H> (under the subsystem, drivers/nvme/host/multipath.c) of the VF's
# hidden path nvme<S>c<C>n<H>, else the VF's own disk. (The PF's namespace 1 is shared: every
# secondary controller has a path to it too.)
tb_nvme_vf_disk() {
	local p n
	for p in $PCI/$1/nvme/nvme*/nvme*n*; do
		[ "$(cat $p/nsid 2>/dev/null)" = "$2" ] || continue
		[ -e "$p" ] || continue
		n=$(basename $p)
		case $n in
		nvme*c*n*) n=$(echo $n | sed 's/c[0-9]*n/n/'); [ -e /sys/block/$n ] && echo $n ;;
		*) echo $n ;;
		esac
	done | head -1
}
