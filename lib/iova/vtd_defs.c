/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vtd_defs.c
 * Encoders and the decoder of VT-d queued-invalidation descriptors (VT-d 6.5.2),
 * encoders of root/context/second-level entries (VT-d 9.1, 9.3, 9.8), and the
 * fault-reason strings (VT-d 7.1.3). Bit layouts: vtd_defs.h.
 */
#include <errno.h>
#include <string.h>

#include "iova_vtd.h"
#include "vtd_defs.h"

static const char *const vtd_fault_reasons[] = {
	/* Linux drivers/iommu/intel/dmar.c dma_remap_fault_reasons[] */
	[0x0] = "Software",
	[0x1] = "Present bit in root entry is clear",
	[0x2] = "Present bit in context entry is clear",
	[0x3] = "Invalid context entry",
	[0x4] = "Access beyond MGAW",
	[0x5] = "PTE Write access is not set",
	[0x6] = "PTE Read access is not set",
	[0x7] = "Next page table ptr is invalid",
	[0x8] = "Root table address invalid",
	[0x9] = "Context table ptr is invalid",
	[0xa] = "non-zero reserved fields in RTP",
	[0xb] = "non-zero reserved fields in CTP",
	[0xc] = "non-zero reserved fields in PTE",
	[0xd] = "PCE for translation request specifies blocking",
	/* Linux drivers/iommu/intel/dmar.c irq_remap_fault_reasons[] (0x20-0x26) */
	[0x20] = "Detected reserved fields in the decoded interrupt-remapped request",
	[0x21] = "Interrupt index exceeded the interrupt-remapping table size",
	[0x22] = "Present field in the IRTE entry is clear",
	[0x23] = "Error accessing interrupt-remapping table pointed by IRTA_REG",
	[0x24] = "Detected reserved fields in the IRTE entry",
	[0x25] = "Blocked a compatibility format interrupt request",
	[0x26] = "Blocked an interrupt request due to source-id verification failure",
	[0x27] = "Error accessing the posted-interrupt descriptor of the IRTE",
};

const char *vtd_fault_reason_str(unsigned int reason)
{
	if (reason < sizeof(vtd_fault_reasons) / sizeof(vtd_fault_reasons[0]) &&
	    vtd_fault_reasons[reason])
		return vtd_fault_reasons[reason];
	return "Unknown";
}

uint64_t vtd_root_entry_lo(uint64_t ctp)
{
	return (ctp & VTD_RE_CTP_MASK) | VTD_RE_P;
}

uint64_t vtd_context_lo(uint64_t slptptr, unsigned int tt, int fpd)
{
	return (slptptr & VTD_CE_LO_SLPTPTR_MASK) | VTD_CE_LO_MAKE_TT(tt) |
	       (fpd ? VTD_CE_LO_FPD : 0) | VTD_CE_LO_P;
}

uint64_t vtd_context_hi(unsigned int aw, uint16_t did)
{
	return VTD_CE_HI_MAKE_AW(aw) | VTD_CE_HI_MAKE_DID(did);
}

uint64_t vtd_pte_leaf(uint64_t addr, int prot, int superpage, int snp)
{
	uint64_t pte = addr & VTD_PAGE_MASK & ~VTD_PTE_IGN & ~VTD_PTE_TM;

	if (prot & IOVA_PROT_READ)
		pte |= VTD_PTE_R;
	if (prot & IOVA_PROT_WRITE)
		pte |= VTD_PTE_W;
	if (superpage)
		pte |= VTD_PTE_PS;
	if (snp)
		pte |= VTD_PTE_SNP;
	return pte;
}

uint64_t vtd_pte_table(uint64_t table)
{
	/* Linux pfn_to_dma_pte()/dma_set_pte_pfn(): non-leaf entries carry R|W. */
	return (table & VTD_PAGE_MASK & ~VTD_PTE_IGN & ~VTD_PTE_TM) | VTD_PTE_R | VTD_PTE_W;
}

/* ---- descriptors (VT-d 6.5.2; Linux QI_IOTLB_*, QI_CC_*, QI_IWD_*) ---- */

struct vtd_desc vtd_desc_iotlb_global(void)
{
	/* Linux qi_flush_iotlb(): DR and DW set when the unit supports drain; ours does not. */
	struct vtd_desc d = {
		.lo = VTD_QI_TYPE_IOTLB | VTD_QI_IOTLB_MAKE_G(VTD_QI_IOTLB_G_GLOBAL),
		.hi = 0,
	};
	return d;
}

struct vtd_desc vtd_desc_iotlb_domain(uint16_t did)
{
	struct vtd_desc d = {
		.lo = VTD_QI_TYPE_IOTLB | VTD_QI_IOTLB_MAKE_G(VTD_QI_IOTLB_G_DOMAIN) |
		      VTD_QI_IOTLB_MAKE_DID(did),
		.hi = 0,
	};
	return d;
}

/**
 * Page-selective-within-domain IOTLB invalidation (VT-d 6.5.2.3, G=3): addr is
 * the first byte of a 2^am-page naturally aligned region (bits 12+am-1:12 ignored
 * by hardware), am is truncated to 6 bits, ih = invalidation hint (leaf only).
 */
struct vtd_desc vtd_desc_iotlb_page(uint16_t did, uint64_t addr, unsigned int am, bool ih)
{
	struct vtd_desc d = {
		.lo = VTD_QI_TYPE_IOTLB | VTD_QI_IOTLB_MAKE_G(VTD_QI_IOTLB_G_PAGE) |
		      VTD_QI_IOTLB_MAKE_DID(did),
		.hi = (addr & VTD_QI_IOTLB_ADDR_MASK) | VTD_QI_IOTLB_MAKE_AM(am) |
		      (ih ? VTD_QI_IOTLB_IH : 0),
	};
	return d;
}

struct vtd_desc vtd_desc_context(unsigned int g, uint16_t did, uint16_t sid, unsigned int fm)
{
	struct vtd_desc d = {
		.lo = VTD_QI_TYPE_CC | VTD_QI_CC_MAKE_G(g) | VTD_QI_CC_MAKE_DID(did) |
		      VTD_QI_CC_MAKE_SID(sid) | VTD_QI_CC_MAKE_FM(fm),
		.hi = 0,
	};
	return d;
}

struct vtd_desc vtd_desc_context_global(void)
{
	return vtd_desc_context(VTD_QI_CC_G_GLOBAL, 0, 0, 0);
}

/**
 * Invalidation wait descriptor (VT-d 6.5.2.8) with SW=1 (write status_data to the
 * dword at status_addr, 4-byte aligned) and FN=1 (fence), IF=irq.
 */
struct vtd_desc vtd_desc_wait(uint32_t status_data, uint64_t status_addr, bool irq)
{
	/* Linux qi_submit_sync(): QI_IWD_STATUS_DATA(QI_DONE) | QI_IWD_STATUS_WRITE | QI_IWD_FENCE */
	struct vtd_desc d = {
		.lo = VTD_QI_TYPE_WAIT | VTD_QI_WAIT_SW | VTD_QI_WAIT_FN |
		      (irq ? VTD_QI_WAIT_IF : 0) | VTD_QI_WAIT_MAKE_SDATA(status_data),
		.hi = status_addr & VTD_QI_WAIT_SADDR_MASK,
	};
	return d;
}

/**
 * Decode a legacy-mode 128-bit QI descriptor (VT-d 6.5.2) into *out, rejecting
 * what hardware reports as an invalid descriptor (FSTS.IQE, 6.5.2.10): an unknown
 * type (0, 6..15, or type[6:4] in bits 11:9 set), a reserved bit set (masks from
 * QEMU hw/i386/intel_iommu_internal.h VTD_INV_DESC_*_RSVD), granularity 0 for
 * context-cache and IOTLB descriptors. Semantic limits of a given unit (AM > MAMV,
 * unsupported device-TLB/IEC) are checked by the unit, not here.
 * @return 0, or -EINVAL (also for NULL arguments).
 */
int vtd_desc_decode(const struct vtd_desc *d, struct vtd_desc_info *out)
{
	if (!d || !out)
		return -EINVAL;
	uint64_t lo = d->lo, hi = d->hi;
	/* Type[6:4] in lo 11:9 selects the scalable-mode descriptors (6.5.2): this
	 * unit is legacy-only (ECAP.SMTS = 0), so those are unknown types. */
	unsigned int type = (unsigned int)(VTD_QI_TYPE_LO(lo) | (VTD_QI_TYPE_HI(lo) << 4));

	memset(out, 0, sizeof(*out));
	out->type = type;
	switch (type) {
	case VTD_QI_TYPE_CC:
		if ((lo & VTD_QI_CC_RSVD_LO) || (hi & VTD_QI_CC_RSVD_HI))
			return -EINVAL;
		out->gran = (unsigned int)VTD_QI_CC_G(lo);
		if (out->gran == 0) /* G = 00b is reserved */
			return -EINVAL;
		out->did = (uint16_t)VTD_QI_CC_DID(lo);
		/* SID and FM have no field of their own in vtd_desc_info: see
		 * VTD_DESC_INFO_SID() / VTD_DESC_INFO_FM() in vtd_defs.h. */
		out->status_data = (uint32_t)(VTD_QI_CC_SID(lo) | (VTD_QI_CC_FM(lo) << 16));
		return 0;
	case VTD_QI_TYPE_IOTLB:
		if ((lo & VTD_QI_IOTLB_RSVD_LO) || (hi & VTD_QI_IOTLB_RSVD_HI))
			return -EINVAL;
		out->gran = (unsigned int)VTD_QI_IOTLB_G(lo);
		if (out->gran == 0)
			return -EINVAL;
		out->did = (uint16_t)VTD_QI_IOTLB_DID(lo);
		out->dw = !!(lo & VTD_QI_IOTLB_DW);
		out->dr = !!(lo & VTD_QI_IOTLB_DR);
		if (out->gran == VTD_QI_IOTLB_G_PAGE) {
			out->am = (unsigned int)VTD_QI_IOTLB_AM(hi);
			out->ih = !!(hi & VTD_QI_IOTLB_IH);
			out->addr = hi & VTD_QI_IOTLB_ADDR_MASK;
		}
		return 0;
	case VTD_QI_TYPE_DEV_IOTLB:
		if ((lo & VTD_QI_DEV_RSVD_LO) || (hi & VTD_QI_DEV_RSVD_HI))
			return -EINVAL;
		out->addr = hi & VTD_PAGE_MASK;
		out->am = 0;
		out->status_data = (uint32_t)VTD_QI_DEV_SID(lo);
		out->ih = !!(hi & VTD_QI_DEV_S); /* S (size) bit */
		return 0;
	case VTD_QI_TYPE_IEC:
		if ((lo & VTD_QI_IEC_RSVD_LO) || (hi & VTD_QI_IEC_RSVD_HI))
			return -EINVAL;
		out->gran = (lo & VTD_QI_IEC_G) ? 1 : 0;
		out->am = (unsigned int)VTD_QI_IEC_IM(lo);
		out->addr = VTD_QI_IEC_IIDX(lo);
		return 0;
	case VTD_QI_TYPE_WAIT:
		if ((lo & VTD_QI_WAIT_RSVD_LO) || (hi & VTD_QI_WAIT_RSVD_HI))
			return -EINVAL;
		out->iflag = !!(lo & VTD_QI_WAIT_IF);
		out->sw = !!(lo & VTD_QI_WAIT_SW);
		out->fn = !!(lo & VTD_QI_WAIT_FN);
		out->status_data = (uint32_t)VTD_QI_WAIT_SDATA(lo);
		out->status_addr = hi & VTD_QI_WAIT_SADDR_MASK;
		return 0;
	default:
		return -EINVAL;
	}
}
