/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vtd_fault: primary fault logging of the soft VT-d unit (VT-d 7.2.1, 10.4.14 FRCD), shared by
 * DMA remapping (vtd_soft.c) and interrupt remapping (vtd_soft_ir.c). A leaf: both call it,
 * it calls neither. Called with the unit's spinlock held (vtd_soft.c).
 */
#include "vtd_priv.h"

/* ====================================================================== */
/* Fault recording (VT-d 7.2.1 primary fault logging, 10.4.14 FRCD)        */
/* ====================================================================== */

void vtd_soft_record_fault(struct vtd_soft *v, uint16_t rid, uint64_t iova, bool write,
			   uint8_t reason, bool fpd)
{
	v->st.faults++;
	if (fpd) /* context entry FPD: fault is blocked but not recorded */
		return;
	if (v->fsts & VTD_FSTS_PFO)
		return;
	if (v->frcd[v->fri][1] & VTD_FRCD_HI_F) {
		/* the next register is still in use: overflow, the fault is lost */
		v->fsts |= VTD_FSTS_PFO;
		return;
	}
	/* FI: the page address of a DMA fault, or the interrupt index in 63:48 */
	v->frcd[v->fri][0] = iova & VTD_FRCD_LO_FI_MASK;
	v->frcd[v->fri][1] =
		VTD_FRCD_HI_F | (write ? 0 : VTD_FRCD_HI_T) | VTD_FRCD_HI_MAKE_FR(reason) | rid;
	v->fri = (v->fri + 1) % VTD_SOFT_NFR;
	if (!(v->fectl & VTD_FECTL_IM))
		v->fectl |= VTD_FECTL_IP;
}
