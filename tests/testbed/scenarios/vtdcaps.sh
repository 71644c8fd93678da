# topo: nvme-acs
# needs: irqpost-probe vfmgr
# Scenario 4: the guest's real VT-d capability registers (QEMU intel-iommu, caching-mode=on):
# CAP.CM=1, CAP.PI=0. irqpost-probe and `vfmgr check` must say posted interrupts are
# unavailable because CAP.PI=0.
. /etc/tb-lib.sh; . /etc/tb-sriov.sh
D=/sys/class/iommu/dmar0/intel-iommu
tb_true dmar0 test -r $D/cap
CAP=$(cat $D/cap); ECAP=$(cat $D/ecap)
tb_info "cap=0x$CAP ecap=0x$ECAP"
tb_result name=vtd-caps cap=0x$CAP ecap=0x$ECAP
tb_eq cap-cm "$(( (0x$CAP >> 7) & 1 ))" 1
tb_eq cap-pi "$(( (0x$CAP >> 59) & 1 ))" 0
tb_eq ecap-qi "$(( (0x$ECAP >> 1) & 1 ))" 1
tb_eq ecap-ir "$(( (0x$ECAP >> 3) & 1 ))" 1
lc() { tr 'A-Z' 'a-z' <"$1"; }
if tb_have irqpost-probe; then
	irqpost-probe --root / >/tmp/ip.txt 2>&1; rc=$?
	tb_info "irqpost-probe (rc=$rc): $(head -c 500 /tmp/ip.txt | tr '\n' ' ')"
	tb_true irqpost-unavailable grep -qi "unavailable" /tmp/ip.txt
	tb_true irqpost-reason-cap-pi grep -qiE "cap\.?pi *(=|is|:)? *0|cap\.?pi.*(clear|not set)" /tmp/ip.txt
	tb_true irqpost-names-cap grep -qi "$CAP" /tmp/ip.txt
	irqpost-probe --root / --json >/tmp/ip.json 2>/dev/null
	if tb_gron /tmp/ip.json >/tmp/ip.gron; then
		tb_ok irqpost-json
		tb_true irqpost-json-unavailable grep -qi "unavailable" /tmp/ip.gron
		tb_true irqpost-json-pi-false grep -qiE '\.pi=(false|0)$' /tmp/ip.gron
	else
		tb_fail irqpost-json "not JSON: $(head -c 200 /tmp/ip.json)"
	fi
else
	tb_skip irqpost-probe "irqpost-probe not built"
fi
if tb_have vfmgr; then
	modprobe vfio-pci
	PF=$(tb_nvme_pf); tb_setup_pf $PF pci-pf-stub
	mkdir -p /etc/vfmgr /var/lib/vfmgr
	printf '[pf "%s"]\nnumvfs = 2\ndriver = vfio-pci\n' $PF >/etc/vfmgr/vfmgr.conf
	vfmgr --local --config /etc/vfmgr/vfmgr.conf --root / check >/tmp/vc.txt 2>&1
	tb_info "vfmgr check: $(grep -i posted /tmp/vc.txt | head -3 | tr '\n' ' ')"
	tb_true vfmgr-check-pi-unavailable grep -qiE "posted.interrupts?.*unavailable|unavailable.*posted" /tmp/vc.txt
	tb_true vfmgr-check-pi-reason grep -qiE "cap\.?pi *(=|is|:)? *0" /tmp/vc.txt
else
	tb_skip vfmgr "vfmgr not built: vfmgr check's posted-interrupt verdict not tested"
fi
tb_finish
