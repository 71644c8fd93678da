/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vtd_irdefs.c
 * Interrupt-remapping encodings, pure functions (no unit state): IRTE decode and
 * encode in remapped (VT-d 9.10) and posted (9.11) format, MSI address/data
 * decode in remappable (5.1.2.2) and compatibility (5.1.2.1) format, and the
 * interrupt-entry-cache invalidation descriptor (6.5.2.7). Bit layouts in
 * vtd_defs.h, checked against Linux include/linux/dmar.h (struct irte),
 * arch/x86/include/asm/msi.h and QEMU hw/i386/intel_iommu_internal.h.
 */
#include <errno.h>
#include <string.h>

#include "iova_vtd.h"
#include "vtd_defs.h"

int vtd_irte_decode(const struct vtd_irte *e, bool eime, bool pi, struct vtd_irte_info *out)
{
	uint64_t lo, hi;

	if (!e || !out)
		return -EINVAL;
	lo = e->lo;
	hi = e->hi;
	memset(out, 0, sizeof(*out));
	out->present = !!(lo & VTD_IRTE_P);
	out->fpd = !!(lo & VTD_IRTE_FPD);
	if (!out->present)
		return 0;
	out->posted = !!(lo & VTD_IRTE_IM);
	out->vector = (uint8_t)VTD_IRTE_V(lo);
	out->avail = (uint8_t)VTD_IRTE_AVL(lo);
	out->sid = (uint16_t)VTD_IRTE_SID(hi);
	out->sq = (uint8_t)VTD_IRTE_SQ(hi);
	out->svt = (uint8_t)VTD_IRTE_SVT(hi);
	if (out->svt == 3)
		return -EINVAL; /* SVT 11b is reserved */
	if (out->posted) {
		if (!pi)
			return -EINVAL; /* IM = 1 is reserved without CAP.PI */
		if ((lo & VTD_IRTE_RSVD_LO_POSTED) || (hi & VTD_IRTE_RSVD_HI_POSTED))
			return -EINVAL;
		out->urg = !!(lo & VTD_IRTE_URG);
		out->pda = (VTD_IRTE_PDA_LO(lo) << 6) | (VTD_IRTE_PDA_HI(hi) << 32);
		return 0;
	}
	if ((lo & (eime ? VTD_IRTE_RSVD_LO_X2APIC : VTD_IRTE_RSVD_LO_XAPIC)) ||
	    (hi & VTD_IRTE_RSVD_HI))
		return -EINVAL;
	out->dm = !!(lo & VTD_IRTE_DM);
	out->rh = !!(lo & VTD_IRTE_RH);
	out->tm = !!(lo & VTD_IRTE_TM);
	out->dlm = (uint8_t)VTD_IRTE_DLM(lo);
	out->dest = eime ? (uint32_t)VTD_IRTE_DST(lo) : (uint32_t)VTD_IRTE_DST_XAPIC(lo);
	return 0;
}

struct vtd_irte vtd_irte_encode(const struct vtd_irte_info *i, bool eime)
{
	struct vtd_irte e = { 0, 0 };

	if (!i)
		return e;
	e.lo = (i->present ? VTD_IRTE_P : 0) | (i->fpd ? VTD_IRTE_FPD : 0) |
	       VTD_IRTE_MAKE_AVL(i->avail) | VTD_IRTE_MAKE_V(i->vector);
	e.hi = (uint64_t)i->sid | VTD_IRTE_MAKE_SQ(i->sq) | VTD_IRTE_MAKE_SVT(i->svt);
	if (i->posted) {
		e.lo |= VTD_IRTE_IM | (i->urg ? VTD_IRTE_URG : 0) | VTD_IRTE_MAKE_PDA_LO(i->pda);
		e.hi |= VTD_IRTE_MAKE_PDA_HI(i->pda);
		return e;
	}
	e.lo |= (i->dm ? VTD_IRTE_DM : 0) | (i->rh ? VTD_IRTE_RH : 0) | (i->tm ? VTD_IRTE_TM : 0) |
		VTD_IRTE_MAKE_DLM(i->dlm) |
		(eime ? VTD_IRTE_MAKE_DST(i->dest) : VTD_IRTE_MAKE_DST_XAPIC(i->dest & 0xff));
	return e;
}

int vtd_msi_decode(uint64_t addr, uint32_t data, struct vtd_msi_info *out)
{
	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if ((addr & VTD_MSI_ADDR_HI_MASK) || (addr & VTD_MSI_ADDR_HEAD_MASK) != VTD_MSI_ADDR_BASE)
		return -EINVAL;
	out->remappable = !!(addr & VTD_MSI_IR_FORMAT);
	if (out->remappable) {
		out->handle = VTD_MSI_IR_HANDLE(addr);
		out->shv = !!(addr & VTD_MSI_IR_SHV);
		if (data & VTD_MSI_IR_DATA_RSVD)
			return -EINVAL;
		out->subhandle = out->shv ? (uint16_t)(data & 0xffff) : 0;
		out->index = (uint32_t)out->handle + out->subhandle;
		return 0;
	}
	out->dest = (uint8_t)VTD_MSI_DEST(addr);
	out->dm = !!(addr & VTD_MSI_DM);
	out->rh = !!(addr & VTD_MSI_RH);
	out->vector = (uint8_t)VTD_MSI_DATA_V(data);
	out->dlm = (uint8_t)VTD_MSI_DATA_DLM(data);
	out->tm = !!(data & VTD_MSI_DATA_TM);
	return 0;
}

void vtd_msi_remappable(uint16_t handle, bool shv, uint16_t subhandle, uint64_t *addr,
			uint32_t *data)
{
	*addr = VTD_MSI_ADDR_BASE | VTD_MSI_IR_FORMAT | (shv ? VTD_MSI_IR_SHV : 0) |
		VTD_MSI_IR_MAKE_HANDLE((uint64_t)handle);
	*data = shv ? subhandle : 0;
}

void vtd_msi_compat(uint8_t dest, uint8_t vector, uint64_t *addr, uint32_t *data)
{
	*addr = VTD_MSI_ADDR_BASE | VTD_FIELD_PREP(dest, 19, 12);
	*data = vector;
}

struct vtd_desc vtd_desc_iec_global(void)
{
	return (struct vtd_desc){ .lo = VTD_QI_TYPE_IEC, .hi = 0 };
}

struct vtd_desc vtd_desc_iec_index(uint16_t idx, unsigned int im)
{
	return (struct vtd_desc){
		.lo = VTD_QI_TYPE_IEC | VTD_QI_IEC_G | VTD_QI_IEC_MAKE_IM(im) |
		      VTD_QI_IEC_MAKE_IIDX(idx),
		.hi = 0,
	};
}
