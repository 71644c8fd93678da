# topo: nvme-acs
# needs: iova-vfio-probe
# post: rows
# Scenario 5: real VFIO map/unmap through a VF's IOMMU group under QEMU's emulated VT-d
# (caching mode: every guest invalidation traps to QEMU). Section 0 of the trace is the raw
# VFIO baseline (tb-vfio-map); sections 1.. are iova-vfio-probe, one per strategy.
# The host side (rows.py) counts vtd_inv_desc_* trace events per section.
. /etc/tb-lib.sh; . /etc/tb-sriov.sh
ITERS=${TB_ITERS:-1000}
modprobe vfio-pci; modprobe vfio_iommu_type1
PF=$(tb_nvme_pf) || { tb_fail pf-present "no nvme PF"; tb_finish; exit 1; }
tb_true pf-bind-stub tb_setup_pf $PF pci-pf-stub
tb_true numvfs-1 tb_write $PCI/$PF/sriov_numvfs 1
tb_wait_for 5 test -e $PCI/$PF/virtfn0
VF=$(tb_vfs $PF)
tb_true vf-bind-vfio tb_bind $VF vfio-pci
G=$(tb_group $VF)
tb_true dev-vfio-group test -c /dev/vfio/$G
tb_info "VF=$VF group=$G"
tb_result name=setup vf=$VF group=$G iterations=$ITERS
# the raw baseline
tb_mark 0
if tb-vfio-map $G $ITERS 64 >/tmp/raw.json 2>/tmp/raw.err; then
	tb_ok raw-vfio-map "$(cat /tmp/raw.json)"
	tb-gron </tmp/raw.json | sed 's/^\.//' | tr '\n' ' ' >/tmp/raw.kv
	tb_result name=raw section=0 strategy=raw-vfio $(cat /tmp/raw.kv)
else
	tb_fail raw-vfio-map "$(cat /tmp/raw.err /tmp/raw.json | head -c 300)"
fi
tb_mark 1
sec=1
if tb_have iova-vfio-probe; then
	STRATS=$(echo "${TB_STRATEGIES:-off strict deferred optimistic persistent shared ring}" | tr , " ")
	PAGES=100; ROUNDS=$(( (ITERS + PAGES - 1) / PAGES ))
	for s in $STRATS; do
		tb_mark $sec
		if iova-vfio-probe /dev/vfio/$G --pages $PAGES --rounds $ROUNDS --strategy $s >/tmp/p.json 2>/tmp/p.err; then
			if tb-gron </tmp/p.json >/tmp/p.gron 2>/dev/null; then
				# lib/iova's own counters keep a lib_ prefix next to QEMU's trapped counts
				kv=$(sed -n 's/^\(\[[0-9]*\]\)\{0,1\}\.\([a-z_]*\)=\([^ ]*\)$/\2=\3/p' /tmp/p.gron |
					grep -E '^(map_ns|unmap_ns|maps|unmaps|errors|pages|rounds|backend_maps|backend_unmaps|invalidations|waits|reuse_hits)=' |
					sed 's/^\(backend_maps\|backend_unmaps\|invalidations\|waits\|reuse_hits\)=/lib_&/' | tr '\n' ' ')
				if [ "$(sed -n 's/^\.errors=//p' /tmp/p.gron)" = 0 ]; then tb_ok probe-$s "$kv"; else tb_fail probe-$s "errors: $kv"; fi
				tb_result name=probe section=$sec strategy=$s $kv
			else
				tb_fail probe-$s "output is not JSON: $(head -c 200 /tmp/p.json)"
			fi
		else
			tb_fail probe-$s "rc!=0: $(cat /tmp/p.err /tmp/p.json | head -c 300)"
		fi
		sec=$((sec + 1))
	done
	tb_mark $sec
else
	tb_skip iova-vfio-probe "iova-vfio-probe not built: per-strategy rows missing (raw VFIO row only)"
fi
tb_bind $VF ""
tb_write $PCI/$PF/sriov_numvfs 0
tb_finish
