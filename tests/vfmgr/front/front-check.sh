#!/bin/bash
# front-check.sh: `vfmgr check` explains every failing pre-flight: a non-viable IOMMU group
# (PF 0000:5e:00.0 and its VFs share group 30, no ACS) and a host without IOMMU; assign is
# refused with exit 3 in both cases.
. "$(dirname "$0")/lib.sh"

fixture
cat >"$CONF" <<'C'
[pf "0000:5e:00.0"]
numvfs = 2
driver = vfio-pci
C
# Regression: one cause, one exit code: a shared group is 3 from apply too (was 7).
expect_rc 3 "apply refuses to bind VFs of a shared IOMMU group" vf apply
expect_grep "shares IOMMU group" "$T/err" "apply refusal explains the group"
# Create the VFs without binding them (driver = none) so check can judge their groups.
cat >"$CONF" <<'C'
[pf "0000:5e:00.0"]
numvfs = 2
driver = none
C
expect_rc 0 "apply on the no-ACS PF with driver = none" vf apply
# Now the configuration wants them for VMs (vfio-pci): check must explain why that cannot work.
sed -i 's/driver = none/driver = vfio-pci/' "$CONF"
expect_rc 3 "check fails on the non-viable group" vf check
expect_grep "FAIL" "$T/out" "a check is marked FAIL"
expect_grep "0000:5e:00.1" "$T/out" "message names the VF"
expect_grep "0000:5e:00.0" "$T/out" "message names the other group member (the PF)"
expect_grep "ACS" "$T/out" "message names the fix (ACS / own group)"
expect_grep "posted interrupts" "$T/out" "posted-interrupt verdict shown"
expect_rc 3 "check --json exits 3 too" vf --json check
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["failed"]>=1; assert "available" in r["posted_interrupts"]' "$T/out" \
	&& ok "check --json: failed count and posted_interrupts verdict" || fail "check --json"
expect_rc 3 "assign on the non-viable group is refused" vf assign appl0 --pf 0000:5e:00.0 --vf 0
expect_grep "IOMMU group" "$T/err" "refusal explains the IOMMU group"

fixture --no-iommu
cat >"$CONF" <<'C'
[pf "0000:3b:00.0"]
numvfs = 1
C
expect_rc 3 "check fails without an IOMMU" vf check
expect_grep "intel_iommu=on" "$T/out" "no-IOMMU message gives the kernel parameter"
expect_grep "unavailable" "$T/out" "posted interrupts unavailable without IOMMU"
expect_rc 3 "assign refused without IOMMU" vf assign appl1
expect_grep "no IOMMU" "$T/err" "assign refusal says no IOMMU"
finish
