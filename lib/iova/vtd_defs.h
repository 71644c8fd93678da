/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vtd_defs.h
 * Intel VT-d (DMA remapping) register offsets, register fields, in-memory
 * structure layouts (root entry, legacy context entry, second-level paging
 * entry), queued-invalidation descriptor fields and fault reason codes.
 *
 * Every value below was checked against three sources, cited per block:
 *  - Intel VT-d specification (rev. 3.x/4.x): chapter 9 (translation
 *    structures), 6.5.2 (queued invalidation), 7.1.3 (fault reasons), 10.4
 *    (register descriptions);
 *  - Linux include/linux/intel-iommu.h (now drivers/iommu/intel/iommu.h):
 *    DMAR_*_REG, cap_*(), ecap_*(), DMA_GCMD_*, QI_*;
 *  - QEMU hw/i386/intel_iommu_internal.h: VTD_*_REG, VTD_FR_*, VTD_INV_DESC_*
 *    reserved-bit masks.
 *
 * "Legacy mode" only (RTADDR.TTM = 00b, ECAP.SMTS = 0): 128-bit root and context
 * entries, 128-bit invalidation descriptors (IQA.DW = 0).
 */
#ifndef VTD_DEFS_H
#define VTD_DEFS_H

#include <stdint.h>

#define VTD_BIT(n) (1ULL << (n))
/** Bits h..l (inclusive) set. */
#define VTD_GENMASK(h, l) (((~0ULL) >> (63 - (h))) & ~((1ULL << (l)) - 1))
/** Extract field h..l of v. */
#define VTD_FIELD_GET(v, h, l) (((uint64_t)(v)&VTD_GENMASK(h, l)) >> (l))
/** Place val into field h..l (val masked to the field width). */
#define VTD_FIELD_PREP(val, h, l) (((uint64_t)(val) << (l)) & VTD_GENMASK(h, l))

#define VTD_PAGE_SHIFT 12
#define VTD_PAGE_SIZE (1ULL << VTD_PAGE_SHIFT)
#define VTD_PAGE_MASK (~(VTD_PAGE_SIZE - 1))
#define VTD_LEVEL_STRIDE 9 /**< bits of IOVA per paging level */
#define VTD_PT_ENTRIES 512 /**< entries per 4 KiB paging structure */
#define VTD_SUPERPAGE_SHIFT 21 /**< 2 MiB */
#define VTD_SUPERPAGE_SIZE (1ULL << VTD_SUPERPAGE_SHIFT)
#define VTD_ROOT_ENTRIES 256 /**< one per bus */
#define VTD_CTX_ENTRIES 256 /**< one per devfn */

/* ---------------------------------------------------------------------- */
/* Register offsets: VT-d 10.4 table "Address mapping for remapping        */
/* hardware registers"; Linux DMAR_*_REG; QEMU DMAR_*_REG.                  */
/* ---------------------------------------------------------------------- */
#define VTD_REG_VER 0x000 /**< 32: version */
#define VTD_REG_CAP 0x008 /**< 64: capability */
#define VTD_REG_ECAP 0x010 /**< 64: extended capability */
#define VTD_REG_GCMD 0x018 /**< 32: global command (write only) */
#define VTD_REG_GSTS 0x01c /**< 32: global status (read only) */
#define VTD_REG_RTADDR 0x020 /**< 64: root table address */
#define VTD_REG_CCMD 0x028 /**< 64: context command */
#define VTD_REG_FSTS 0x034 /**< 32: fault status */
#define VTD_REG_FECTL 0x038 /**< 32: fault event control */
#define VTD_REG_FEDATA 0x03c /**< 32: fault event data */
#define VTD_REG_FEADDR 0x040 /**< 32: fault event address */
#define VTD_REG_FEUADDR 0x044 /**< 32: fault event upper address */
#define VTD_REG_AFLOG 0x058 /**< 64: advanced fault log */
#define VTD_REG_PMEN 0x064 /**< 32: protected memory enable */
#define VTD_REG_PLMBASE 0x068
#define VTD_REG_PLMLIMIT 0x06c
#define VTD_REG_PHMBASE 0x070
#define VTD_REG_PHMLIMIT 0x078
#define VTD_REG_IQH 0x080 /**< 64: invalidation queue head */
#define VTD_REG_IQT 0x088 /**< 64: invalidation queue tail */
#define VTD_REG_IQA 0x090 /**< 64: invalidation queue address */
#define VTD_REG_ICS 0x09c /**< 32: invalidation completion status */
#define VTD_REG_IECTL 0x0a0 /**< 32: invalidation event control */
#define VTD_REG_IEDATA 0x0a4
#define VTD_REG_IEADDR 0x0a8
#define VTD_REG_IEUADDR 0x0ac
#define VTD_REG_IRTA 0x0b8 /**< 64: interrupt remapping table address */
/** IOTLB registers live at ECAP.IRO * 16: IVA at +0, IOTLB at +8 (VT-d 10.4.8). */
#define VTD_REG_IVA(iro) ((iro)*16 + 0)
#define VTD_REG_IOTLB(iro) ((iro)*16 + 8)
/** Fault recording register i (128 bits) at CAP.FRO * 16 + i * 16 (VT-d 10.4.14). */
#define VTD_REG_FRCD_LO(fro, i) ((fro)*16 + (i)*16)
#define VTD_REG_FRCD_HI(fro, i) ((fro)*16 + (i)*16 + 8)

/* VER (10.4.1): MAX 7:4, MIN 3:0 */
#define VTD_VER_MAX(v) VTD_FIELD_GET(v, 7, 4)
#define VTD_VER_MIN(v) VTD_FIELD_GET(v, 3, 0)

/* ---------------------------------------------------------------------- */
/* CAP (VT-d 10.4.2; Linux cap_*() macros)                                  */
/* ---------------------------------------------------------------------- */
#define VTD_CAP_ND(c) VTD_FIELD_GET(c, 2, 0) /**< domains = 2^(4 + 2*ND) */
#define VTD_CAP_AFL VTD_BIT(3)
#define VTD_CAP_RWBF VTD_BIT(4)
#define VTD_CAP_PLMR VTD_BIT(5)
#define VTD_CAP_PHMR VTD_BIT(6)
#define VTD_CAP_CM VTD_BIT(7) /**< caching mode */
#define VTD_CAP_SAGAW(c)     \
	VTD_FIELD_GET(c, 12, \
		      8) /**< bit1 39-bit/3-level, bit2 48-bit/4-level, bit3 57-bit/5-level */
#define VTD_CAP_MGAW(c) VTD_FIELD_GET(c, 21, 16) /**< max guest address width - 1 */
#define VTD_CAP_ZLR VTD_BIT(22)
#define VTD_CAP_FRO(c) VTD_FIELD_GET(c, 33, 24) /**< fault recording offset / 16 */
#define VTD_CAP_SLLPS(c) VTD_FIELD_GET(c, 37, 34) /**< bit0 2 MiB, bit1 1 GiB */
#define VTD_CAP_PSI VTD_BIT(39) /**< page-selective invalidation */
#define VTD_CAP_NFR(c) VTD_FIELD_GET(c, 47, 40) /**< number of fault records - 1 */
#define VTD_CAP_MAMV(c) VTD_FIELD_GET(c, 53, 48) /**< max address mask value */
#define VTD_CAP_DWD VTD_BIT(54)
#define VTD_CAP_DRD VTD_BIT(55)
#define VTD_CAP_FL1GP VTD_BIT(56)
#define VTD_CAP_PI VTD_BIT(59) /**< posted interrupts */
#define VTD_CAP_MAKE_ND(x) VTD_FIELD_PREP(x, 2, 0)
#define VTD_CAP_MAKE_SAGAW(x) VTD_FIELD_PREP(x, 12, 8)
#define VTD_CAP_MAKE_MGAW(x) VTD_FIELD_PREP(x, 21, 16)
#define VTD_CAP_MAKE_FRO(x) VTD_FIELD_PREP(x, 33, 24)
#define VTD_CAP_MAKE_SLLPS(x) VTD_FIELD_PREP(x, 37, 34)
#define VTD_CAP_MAKE_NFR(x) VTD_FIELD_PREP(x, 47, 40)
#define VTD_CAP_MAKE_MAMV(x) VTD_FIELD_PREP(x, 53, 48)
#define VTD_SAGAW_39 VTD_BIT(1) /**< 3-level table */
#define VTD_SAGAW_48 VTD_BIT(2) /**< 4-level table */
#define VTD_SAGAW_57 VTD_BIT(3) /**< 5-level table */
#define VTD_SLLPS_2M VTD_BIT(0)
#define VTD_SLLPS_1G VTD_BIT(1)

/* ---------------------------------------------------------------------- */
/* ECAP (VT-d 10.4.3; Linux ecap_*())                                       */
/* ---------------------------------------------------------------------- */
#define VTD_ECAP_C VTD_BIT(0) /**< page-walk coherency */
#define VTD_ECAP_QI VTD_BIT(1) /**< queued invalidation */
#define VTD_ECAP_DT VTD_BIT(2) /**< device-TLB */
#define VTD_ECAP_IR VTD_BIT(3) /**< interrupt remapping */
#define VTD_ECAP_EIM VTD_BIT(4) /**< extended interrupt mode (x2APIC) */
#define VTD_ECAP_PT VTD_BIT(6) /**< pass through */
#define VTD_ECAP_SC VTD_BIT(7) /**< snoop control (PTE.SNP honoured) */
#define VTD_ECAP_IRO(e) VTD_FIELD_GET(e, 17, 8) /**< IOTLB register offset / 16 */
#define VTD_ECAP_MAKE_IRO(x) VTD_FIELD_PREP(x, 17, 8)
#define VTD_ECAP_MHMV(e) VTD_FIELD_GET(e, 23, 20)
#define VTD_ECAP_NEST VTD_BIT(26)
#define VTD_ECAP_SMTS VTD_BIT(43) /**< scalable mode */

/* ---------------------------------------------------------------------- */
/* GCMD / GSTS (VT-d 10.4.4, 10.4.5; Linux DMA_GCMD_*, DMA_GSTS_*)          */
/* ---------------------------------------------------------------------- */
#define VTD_GCMD_TE VTD_BIT(31) /**< translation enable */
#define VTD_GCMD_SRTP VTD_BIT(30) /**< set root table pointer (one-shot) */
#define VTD_GCMD_SFL VTD_BIT(29)
#define VTD_GCMD_EAFL VTD_BIT(28)
#define VTD_GCMD_WBF VTD_BIT(27)
#define VTD_GCMD_QIE VTD_BIT(26) /**< queued invalidation enable */
#define VTD_GCMD_IRE VTD_BIT(25)
#define VTD_GCMD_SIRTP VTD_BIT(24)
#define VTD_GCMD_CFI VTD_BIT(23)
#define VTD_GSTS_TES VTD_BIT(31)
#define VTD_GSTS_RTPS VTD_BIT(30)
#define VTD_GSTS_FLS VTD_BIT(29)
#define VTD_GSTS_AFLS VTD_BIT(28)
#define VTD_GSTS_WBFS VTD_BIT(27)
#define VTD_GSTS_QIES VTD_BIT(26)
#define VTD_GSTS_IRES VTD_BIT(25)
#define VTD_GSTS_IRTPS VTD_BIT(24)
#define VTD_GSTS_CFIS VTD_BIT(23)
/** Status bits that reflect a persistent (level) command; Linux keeps these in iommu->gcmd. */
#define VTD_GSTS_PERSIST (VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_IRES | VTD_GSTS_CFIS)

/* RTADDR (10.4.6): RTA 63:12, TTM 11:10 (00b legacy, 01b scalable) */
#define VTD_RTADDR_RTA_MASK VTD_GENMASK(63, 12)
#define VTD_RTADDR_TTM(r) VTD_FIELD_GET(r, 11, 10)

/* CCMD (10.4.7; Linux DMA_CCMD_*): ICC 63, CIRG 62:61, CAIG 60:59, FM 33:32, SID 31:16, DID 15:0 */
#define VTD_CCMD_ICC VTD_BIT(63)
#define VTD_CCMD_CIRG(r) VTD_FIELD_GET(r, 62, 61)
#define VTD_CCMD_MAKE_CIRG(x) VTD_FIELD_PREP(x, 62, 61)
#define VTD_CCMD_MAKE_CAIG(x) VTD_FIELD_PREP(x, 60, 59)
#define VTD_CCMD_FM(r) VTD_FIELD_GET(r, 33, 32)
#define VTD_CCMD_SID(r) VTD_FIELD_GET(r, 31, 16)
#define VTD_CCMD_DID(r) VTD_FIELD_GET(r, 15, 0)

/* IOTLB register (10.4.8.1; Linux DMA_TLB_*): IVT 63, IIRG 61:60, IAIG 58:57, DR 49, DW 48, DID 47:32 */
#define VTD_IOTLB_IVT VTD_BIT(63)
#define VTD_IOTLB_IIRG(r) VTD_FIELD_GET(r, 61, 60)
#define VTD_IOTLB_MAKE_IIRG(x) VTD_FIELD_PREP(x, 61, 60)
#define VTD_IOTLB_MAKE_IAIG(x) VTD_FIELD_PREP(x, 58, 57)
#define VTD_IOTLB_DID(r) VTD_FIELD_GET(r, 47, 32)
/* IVA register (10.4.8.2): ADDR 63:12, IH 6, AM 5:0 */
#define VTD_IVA_AM(r) VTD_FIELD_GET(r, 5, 0)
#define VTD_IVA_IH VTD_BIT(6)
#define VTD_IVA_ADDR(r) ((r)&VTD_PAGE_MASK)

/* FSTS (10.4.9; QEMU VTD_FSTS_*): PFO 0, PPF 1, AFO 2, APF 3, IQE 4, ICE 5, ITE 6, FRI 15:8 */
#define VTD_FSTS_PFO VTD_BIT(0) /**< primary fault overflow (RW1C) */
#define VTD_FSTS_PPF VTD_BIT(1) /**< primary pending fault (RO: OR of FRCD.F) */
#define VTD_FSTS_AFO VTD_BIT(2)
#define VTD_FSTS_APF VTD_BIT(3)
#define VTD_FSTS_IQE VTD_BIT(4) /**< invalidation queue error (RW1C) */
#define VTD_FSTS_ICE VTD_BIT(5) /**< invalidation completion error */
#define VTD_FSTS_ITE VTD_BIT(6) /**< invalidation time-out error */
#define VTD_FSTS_FRI(r) VTD_FIELD_GET(r, 15, 8)
#define VTD_FSTS_MAKE_FRI(x) VTD_FIELD_PREP(x, 15, 8)
#define VTD_FSTS_RW1C \
	(VTD_FSTS_PFO | VTD_FSTS_AFO | VTD_FSTS_APF | VTD_FSTS_IQE | VTD_FSTS_ICE | VTD_FSTS_ITE)

/* FECTL (10.4.10): IM 31, IP 30 */
#define VTD_FECTL_IM VTD_BIT(31)
#define VTD_FECTL_IP VTD_BIT(30)

/* IQH / IQT (10.4.22, 10.4.23): index of the 128-bit descriptor in 18:4 */
#define VTD_IQ_IDX_SHIFT 4
#define VTD_IQ_IDX_MASK VTD_GENMASK(18, 4)
/* IQA (10.4.24): IQA 63:12, DW 11 (0 = 128-bit), QS 2:0 (2^QS 4 KiB pages = 2^(QS+8) descriptors) */
#define VTD_IQA_ADDR_MASK VTD_GENMASK(63, 12)
#define VTD_IQA_DW VTD_BIT(11)
#define VTD_IQA_QS(r) VTD_FIELD_GET(r, 2, 0)
#define VTD_IQA_ENTRIES(qs) (256u << (qs))
/* ICS (10.4.25): IWC 0 */
#define VTD_ICS_IWC VTD_BIT(0)
/* IECTL (10.4.26): IM 31, IP 30 */
#define VTD_IECTL_IM VTD_BIT(31)
#define VTD_IECTL_IP VTD_BIT(30)

/* FRCD (10.4.14; QEMU VTD_FRCD_*): lo: FI 63:12; hi: F 127, T 126 (0 write, 1 read), FR 103:96, SID 79:64 */
#define VTD_FRCD_LO_FI_MASK VTD_GENMASK(63, 12)
#define VTD_FRCD_HI_F VTD_BIT(63)
#define VTD_FRCD_HI_T VTD_BIT(62) /**< 1: read request, 0: write request */
#define VTD_FRCD_HI_FR(h) VTD_FIELD_GET(h, 39, 32)
#define VTD_FRCD_HI_MAKE_FR(x) VTD_FIELD_PREP(x, 39, 32)
#define VTD_FRCD_HI_SID(h) VTD_FIELD_GET(h, 15, 0)

/* ---------------------------------------------------------------------- */
/* Root entry (VT-d 9.1; QEMU VTD_ROOT_ENTRY_*): lo P 0, CTP 63:12;          */
/* hi reserved in legacy mode.                                              */
/* ---------------------------------------------------------------------- */
#define VTD_RE_P VTD_BIT(0)
#define VTD_RE_CTP_MASK VTD_GENMASK(63, 12)
/** Reserved bits of a present root entry (lo), for host address width haw. */
#define VTD_RE_LO_RSVD(haw) (VTD_GENMASK(11, 1) | ~VTD_GENMASK((haw)-1, 0))

/* ---------------------------------------------------------------------- */
/* Context entry (VT-d 9.3; Linux context_set_*(); QEMU VTD_CONTEXT_ENTRY_*) */
/*   lo: P 0, FPD 1, TT 3:2, SLPTPTR 63:12 (11:4 reserved)                  */
/*   hi: AW 2:0, AVAIL 6:3 (ignored), 7 reserved, DID 23:8, 63:24 reserved   */
/* ---------------------------------------------------------------------- */
#define VTD_CE_LO_P VTD_BIT(0)
#define VTD_CE_LO_FPD VTD_BIT(1)
#define VTD_CE_LO_TT(lo) VTD_FIELD_GET(lo, 3, 2)
#define VTD_CE_LO_MAKE_TT(x) VTD_FIELD_PREP(x, 3, 2)
#define VTD_CE_LO_SLPTPTR_MASK VTD_GENMASK(63, 12)
#define VTD_CE_LO_RSVD(haw) (VTD_GENMASK(11, 4) | ~VTD_GENMASK((haw)-1, 0))
#define VTD_CE_HI_AW(hi) VTD_FIELD_GET(hi, 2, 0)
#define VTD_CE_HI_MAKE_AW(x) VTD_FIELD_PREP(x, 2, 0)
#define VTD_CE_HI_DID(hi) VTD_FIELD_GET(hi, 23, 8)
#define VTD_CE_HI_MAKE_DID(x) VTD_FIELD_PREP(x, 23, 8)
#define VTD_CE_HI_RSVD (VTD_BIT(7) | VTD_GENMASK(63, 24))
#define VTD_TT_MULTI_LEVEL 0 /**< untranslated requests walk the second-level table */
#define VTD_TT_DEV_IOTLB 1 /**< as 0, plus translation requests (needs ECAP.DT) */
#define VTD_TT_PASS_THROUGH 2 /**< needs ECAP.PT */
#define VTD_AW_39 1 /**< 3-level */
#define VTD_AW_48 2 /**< 4-level */
#define VTD_AW_57 3 /**< 5-level */
/** Paging levels for an AW encoding: AW=1 -> 3, AW=2 -> 4, AW=3 -> 5 (VT-d 9.3). */
#define VTD_AW_LEVELS(aw) ((aw) + 2)
/** Address width in bits for an AW encoding: 30 + 9 * AW. */
#define VTD_AW_BITS(aw) (30 + 9 * (aw))

/* ---------------------------------------------------------------------- */
/* Second-level paging entry (VT-d 9.8; Linux DMA_PTE_*; QEMU VTD_SL_*)     */
/*   R 0, W 1, X 2, EMT 5:3, IPAT 6, PS 7, A 8, D 9, SNP 11,                 */
/*   ADDR 12..HAW-1, ignored 52..61 and 63, TM 62                           */
/* ---------------------------------------------------------------------- */
#define VTD_PTE_R VTD_BIT(0)
#define VTD_PTE_W VTD_BIT(1)
#define VTD_PTE_X VTD_BIT(2)
#define VTD_PTE_PS VTD_BIT(7) /**< leaf at level 2 (2 MiB) or 3 (1 GiB) */
#define VTD_PTE_SNP VTD_BIT(11) /**< snoop (leaf only, needs ECAP.SC) */
#define VTD_PTE_TM VTD_BIT(62) /**< transient mapping (needs ECAP.DT) */
#define VTD_PTE_IGN 0xbff0000000000000ULL /**< bits 63, 61:52 ignored (QEMU VTD_SL_IGN_COM) */
#define VTD_PTE_ADDR_MASK(haw) (VTD_GENMASK((haw)-1, 12))
/** Reserved bits of a non-leaf entry: above HAW, TM, SNP, and PS at level 4 (QEMU VTD_SPTE_PAGE_L4_RSVD_MASK). */
#define VTD_PTE_RSVD_TABLE(haw, level) \
	((VTD_GENMASK(51, (haw)) | VTD_PTE_TM | VTD_PTE_SNP) | ((level) >= 4 ? VTD_PTE_PS : 0))
/** Reserved bits of a 4 KiB leaf (SNP allowed because ECAP.SC = 1). */
#define VTD_PTE_RSVD_4K(haw) (VTD_GENMASK(51, (haw)) | VTD_PTE_TM)
/** Reserved bits of a 2 MiB leaf: address bits 20:12 must be 0. */
#define VTD_PTE_RSVD_2M(haw) (VTD_GENMASK(51, (haw)) | VTD_PTE_TM | VTD_GENMASK(20, 12))
/** Reserved bits of a 1 GiB leaf (used only when SLLPS bit 1 is set). */
#define VTD_PTE_RSVD_1G(haw) (VTD_GENMASK(51, (haw)) | VTD_PTE_TM | VTD_GENMASK(29, 12))

/* ---------------------------------------------------------------------- */
/* Queued invalidation descriptors (VT-d 6.5.2; Linux QI_*; QEMU VTD_INV_DESC_*) */
/* Type is lo bits 3:0 plus lo bits 11:9 as type[6:4] (0 for legacy types).  */
/* ---------------------------------------------------------------------- */
#define VTD_QI_TYPE_LO(lo) VTD_FIELD_GET(lo, 3, 0)
#define VTD_QI_TYPE_HI(lo) VTD_FIELD_GET(lo, 11, 9)
#define VTD_QI_TYPE_CC 1 /**< context-cache invalidate */
#define VTD_QI_TYPE_IOTLB 2 /**< IOTLB invalidate */
#define VTD_QI_TYPE_DEV_IOTLB 3 /**< device-TLB invalidate */
#define VTD_QI_TYPE_IEC 4 /**< interrupt entry cache invalidate */
#define VTD_QI_TYPE_WAIT 5 /**< invalidation wait */

/* Context-cache (6.5.2.2): lo G 5:4, DID 31:16, SID 47:32, FM 49:48; hi reserved */
#define VTD_QI_CC_G(lo) VTD_FIELD_GET(lo, 5, 4)
#define VTD_QI_CC_MAKE_G(x) VTD_FIELD_PREP(x, 5, 4)
#define VTD_QI_CC_DID(lo) VTD_FIELD_GET(lo, 31, 16)
#define VTD_QI_CC_MAKE_DID(x) VTD_FIELD_PREP(x, 31, 16)
#define VTD_QI_CC_SID(lo) VTD_FIELD_GET(lo, 47, 32)
#define VTD_QI_CC_MAKE_SID(x) VTD_FIELD_PREP(x, 47, 32)
#define VTD_QI_CC_FM(lo) VTD_FIELD_GET(lo, 49, 48)
#define VTD_QI_CC_MAKE_FM(x) VTD_FIELD_PREP(x, 49, 48)
#define VTD_QI_CC_RSVD_LO 0xfffc00000000ffc0ULL /* bits 15:6, 63:50 (QEMU VTD_INV_DESC_CC_RSVD) */
#define VTD_QI_CC_RSVD_HI (~0ULL)
#define VTD_QI_CC_G_GLOBAL 1
#define VTD_QI_CC_G_DOMAIN 2
#define VTD_QI_CC_G_DEVICE 3

/* IOTLB (6.5.2.3): lo G 5:4, DW 6, DR 7, DID 31:16; hi AM 5:0, IH 6, ADDR 63:12 */
#define VTD_QI_IOTLB_G(lo) VTD_FIELD_GET(lo, 5, 4)
#define VTD_QI_IOTLB_MAKE_G(x) VTD_FIELD_PREP(x, 5, 4)
#define VTD_QI_IOTLB_DW VTD_BIT(6)
#define VTD_QI_IOTLB_DR VTD_BIT(7)
#define VTD_QI_IOTLB_DID(lo) VTD_FIELD_GET(lo, 31, 16)
#define VTD_QI_IOTLB_MAKE_DID(x) VTD_FIELD_PREP(x, 31, 16)
#define VTD_QI_IOTLB_AM(hi) VTD_FIELD_GET(hi, 5, 0)
#define VTD_QI_IOTLB_MAKE_AM(x) VTD_FIELD_PREP(x, 5, 0)
#define VTD_QI_IOTLB_IH VTD_BIT(6)
#define VTD_QI_IOTLB_ADDR_MASK VTD_GENMASK(63, 12)
#define VTD_QI_IOTLB_RSVD_LO \
	0xffffffff0000ff00ULL /* bits 15:8, 63:32 (QEMU VTD_INV_DESC_IOTLB_RSVD_LO) */
#define VTD_QI_IOTLB_RSVD_HI 0x0000000000000f80ULL /* bits 11:7 */
#define VTD_QI_IOTLB_G_GLOBAL 1
#define VTD_QI_IOTLB_G_DOMAIN 2
#define VTD_QI_IOTLB_G_PAGE 3

/* Device-TLB (6.5.2.5): lo MIP 20:16, SID 47:32, PFSID 15:12 + 63:52; hi S 0, ADDR 63:12 */
#define VTD_QI_DEV_MIP(lo) VTD_FIELD_GET(lo, 20, 16)
#define VTD_QI_DEV_SID(lo) VTD_FIELD_GET(lo, 47, 32)
#define VTD_QI_DEV_S VTD_BIT(0)
#define VTD_QI_DEV_RSVD_LO 0x000f0000ffe00ff0ULL /* bits 11:4, 31:21, 51:48 (PFSID allowed) */
#define VTD_QI_DEV_RSVD_HI 0x0000000000000ffeULL /* bits 11:1 (QEMU) */

/* Interrupt entry cache (6.5.2.7): lo G 4 (0 global, 1 index), IM 31:27, IIDX 47:32; hi reserved */
#define VTD_QI_IEC_G VTD_BIT(4)
#define VTD_QI_IEC_IM(lo) VTD_FIELD_GET(lo, 31, 27)
#define VTD_QI_IEC_IIDX(lo) VTD_FIELD_GET(lo, 47, 32)
#define VTD_QI_IEC_RSVD_LO 0xffff000007ffffe0ULL /* bits 26:5, 63:48 */
#define VTD_QI_IEC_RSVD_HI (~0ULL)

/* Invalidation wait (6.5.2.8): lo IF 4, SW 5, FN 6, PD 7, STATUS DATA 63:32; hi STATUS ADDR 63:2 */
#define VTD_QI_WAIT_IF VTD_BIT(4)
#define VTD_QI_WAIT_SW VTD_BIT(5)
#define VTD_QI_WAIT_FN VTD_BIT(6)
#define VTD_QI_WAIT_PD VTD_BIT(7)
#define VTD_QI_WAIT_SDATA(lo) VTD_FIELD_GET(lo, 63, 32)
#define VTD_QI_WAIT_MAKE_SDATA(x) VTD_FIELD_PREP(x, 63, 32)
#define VTD_QI_WAIT_SADDR_MASK VTD_GENMASK(63, 2)
#define VTD_QI_WAIT_RSVD_LO \
	0x00000000ffffff80ULL /* bits 31:7 (QEMU VTD_INV_DESC_WAIT_RSVD_LO; PD needs ECAP.PDS) */
#define VTD_QI_WAIT_RSVD_HI 0x0000000000000003ULL /* bits 1:0 */

/* ---------------------------------------------------------------------- */
/* Interrupt remapping (VT-d ch. 5; 9.10 remapped IRTE, 9.11 posted IRTE;    */
/* 10.4.29 IRTA; Linux drivers/iommu/intel/irq_remapping.c + include/linux/  */
/* dmar.h struct irte; QEMU hw/i386/intel_iommu_internal.h VTD_IR_*).        */
/* ---------------------------------------------------------------------- */
/* IRTA (10.4.29): IRTA 63:12, EIME 11, S 3:0 (2^(S+1) entries) */
#define VTD_IRTA_ADDR_MASK VTD_GENMASK(63, 12)
#define VTD_IRTA_EIME VTD_BIT(11)
#define VTD_IRTA_S(v) VTD_FIELD_GET(v, 3, 0)
#define VTD_IRTA_ENTRIES(v) (2u << VTD_IRTA_S(v))
#define VTD_IRTA_RSVD VTD_GENMASK(10, 4)
#define VTD_IRTE_SIZE 16

/* IRTE lo, both formats: P 0, FPD 1, AVL 11:8, IM 15 (1 = posted), V 23:16 */
#define VTD_IRTE_P VTD_BIT(0)
#define VTD_IRTE_FPD VTD_BIT(1)
#define VTD_IRTE_AVL(lo) VTD_FIELD_GET(lo, 11, 8)
#define VTD_IRTE_MAKE_AVL(x) VTD_FIELD_PREP(x, 11, 8)
#define VTD_IRTE_IM VTD_BIT(15)
#define VTD_IRTE_V(lo) VTD_FIELD_GET(lo, 23, 16)
#define VTD_IRTE_MAKE_V(x) VTD_FIELD_PREP(x, 23, 16)
/* remapped (IM = 0): DM 2, RH 3, TM 4, DLM 7:5, DST 63:32 (xAPIC: APIC ID in 47:40) */
#define VTD_IRTE_DM VTD_BIT(2)
#define VTD_IRTE_RH VTD_BIT(3)
#define VTD_IRTE_TM VTD_BIT(4)
#define VTD_IRTE_DLM(lo) VTD_FIELD_GET(lo, 7, 5)
#define VTD_IRTE_MAKE_DLM(x) VTD_FIELD_PREP(x, 7, 5)
#define VTD_IRTE_DST(lo) VTD_FIELD_GET(lo, 63, 32)
#define VTD_IRTE_MAKE_DST(x) VTD_FIELD_PREP(x, 63, 32)
#define VTD_IRTE_DST_XAPIC(lo) VTD_FIELD_GET(lo, 47, 40)
#define VTD_IRTE_MAKE_DST_XAPIC(x) VTD_FIELD_PREP(x, 47, 40)
#define VTD_IRTE_RSVD_LO_X2APIC (VTD_GENMASK(31, 24) | VTD_GENMASK(14, 12))
#define VTD_IRTE_RSVD_LO_XAPIC \
	(VTD_GENMASK(31, 24) | VTD_GENMASK(14, 12) | VTD_GENMASK(39, 32) | VTD_GENMASK(63, 48))
/* posted (IM = 1): URG 14, PDA[31:6] in lo 63:38, PDA[63:32] in hi 63:32 */
#define VTD_IRTE_URG VTD_BIT(14)
#define VTD_IRTE_PDA_LO(lo) VTD_FIELD_GET(lo, 63, 38)
#define VTD_IRTE_MAKE_PDA_LO(pda) VTD_FIELD_PREP((pda) >> 6, 63, 38)
#define VTD_IRTE_PDA_HI(hi) VTD_FIELD_GET(hi, 63, 32)
#define VTD_IRTE_MAKE_PDA_HI(pda) VTD_FIELD_PREP((pda) >> 32, 63, 32)
#define VTD_IRTE_RSVD_LO_POSTED (VTD_GENMASK(7, 2) | VTD_GENMASK(13, 12) | VTD_GENMASK(37, 24))
/* hi, both formats: SID 15:0, SQ 17:16, SVT 19:18; remapped: 63:20 reserved; posted: 31:20 */
#define VTD_IRTE_SID(hi) VTD_FIELD_GET(hi, 15, 0)
#define VTD_IRTE_SQ(hi) VTD_FIELD_GET(hi, 17, 16)
#define VTD_IRTE_MAKE_SQ(x) VTD_FIELD_PREP(x, 17, 16)
#define VTD_IRTE_SVT(hi) VTD_FIELD_GET(hi, 19, 18)
#define VTD_IRTE_MAKE_SVT(x) VTD_FIELD_PREP(x, 19, 18)
#define VTD_IRTE_RSVD_HI VTD_GENMASK(63, 20)
#define VTD_IRTE_RSVD_HI_POSTED VTD_GENMASK(31, 20)
#define VTD_SVT_NONE 0 /**< no source validation */
#define VTD_SVT_SID 1 /**< requester-id must match SID under the SQ mask */
#define VTD_SVT_BUS 2 /**< requester bus in [SID 15:8, SID 7:0] */
#define VTD_SQ_ALL 0 /**< compare all 16 bits (Linux SQ_ALL_16) */

/* MSI address/data (5.1.2, 5.1.4; Intel SDM 10.11; Linux arch_msi_msg_addr_lo) */
#define VTD_MSI_ADDR_BASE 0xfee00000ULL
#define VTD_MSI_ADDR_HEAD_MASK VTD_GENMASK(31, 20)
#define VTD_MSI_ADDR_HI_MASK VTD_GENMASK(63, 32)
/* remappable format: IF 4 = 1, SHV 3, HANDLE[15] 2, HANDLE[14:0] 19:5; data: SUBHANDLE 15:0 */
#define VTD_MSI_IR_FORMAT VTD_BIT(4)
#define VTD_MSI_IR_SHV VTD_BIT(3)
#define VTD_MSI_IR_HANDLE(a) ((uint16_t)(VTD_FIELD_GET(a, 19, 5) | (VTD_FIELD_GET(a, 2, 2) << 15)))
#define VTD_MSI_IR_MAKE_HANDLE(h) \
	(VTD_FIELD_PREP((h)&0x7fff, 19, 5) | VTD_FIELD_PREP((h) >> 15, 2, 2))
#define VTD_MSI_IR_DATA_RSVD 0xffff0000u
/* compatibility format: DEST 19:12, RH 3, DM 2; data: V 7:0, DLM 10:8, level 14, TM 15 */
#define VTD_MSI_DEST(a) VTD_FIELD_GET(a, 19, 12)
#define VTD_MSI_RH VTD_BIT(3)
#define VTD_MSI_DM VTD_BIT(2)
#define VTD_MSI_DATA_V(d) ((d)&0xffu)
#define VTD_MSI_DATA_DLM(d) (((d) >> 8) & 7u)
#define VTD_MSI_DATA_LEVEL (1u << 14)
#define VTD_MSI_DATA_TM (1u << 15)

/* Interrupt-entry-cache invalidation descriptor (6.5.2.7): G 4 = index-selective */
#define VTD_QI_IEC_MAKE_IM(x) VTD_FIELD_PREP(x, 31, 27)
#define VTD_QI_IEC_MAKE_IIDX(x) VTD_FIELD_PREP(x, 47, 32)

/* ---------------------------------------------------------------------- */
/* Fault reasons (VT-d 7.1.3 table "Non-recoverable fault reason codes";    */
/* QEMU enum VTDFaultReason; Linux dma_remap_fault_reasons[]).              */
/* A not-present PTE is a PTE with R=W=0: VT-d reports it as 5h (write) or  */
/* 6h (read); QEMU vtd_iova_to_slpte() does the same.                       */
/* ---------------------------------------------------------------------- */
#define VTD_FR_ROOT_ENTRY_P 0x1 /**< present bit in root entry is clear */
#define VTD_FR_CONTEXT_ENTRY_P 0x2 /**< present bit in context entry is clear */
#define VTD_FR_CONTEXT_ENTRY_INV 0x3 /**< invalid programming of a context entry (AW, TT) */
#define VTD_FR_ADDR_BEYOND_MGAW 0x4 /**< input address above 2^x - 1 (x = min(MGAW+1, AGAW)) */
#define VTD_FR_WRITE 0x5 /**< write to a page without W (incl. not present) */
#define VTD_FR_READ 0x6 /**< read of a page without R (incl. not present) */
#define VTD_FR_PAGING_ENTRY_INV 0x7 /**< next-level table pointer could not be accessed */
#define VTD_FR_ROOT_TABLE_INV 0x8 /**< root table address could not be accessed */
#define VTD_FR_CONTEXT_TABLE_INV 0x9 /**< context table pointer could not be accessed */
#define VTD_FR_ROOT_ENTRY_RSVD 0xa /**< non-zero reserved field in a present root entry */
#define VTD_FR_CONTEXT_ENTRY_RSVD 0xb /**< non-zero reserved field in a present context entry */
#define VTD_FR_PAGING_ENTRY_RSVD 0xc /**< non-zero reserved field in a present paging entry */
#define VTD_FR_CONTEXT_ENTRY_TT 0xd /**< request blocked by the context entry's TT */
/* Interrupt-remapping faults (7.1.3; QEMU VTD_FR_IR_*; Linux irq_remap_fault_reasons[]).
 * FRCD.FI 63:48 holds the interrupt index of the faulted request. */
#define VTD_FR_IR_REQ_RSVD 0x20 /**< reserved field set in the interrupt request (address/data) */
#define VTD_FR_IR_INDEX_OVER 0x21 /**< interrupt index beyond the IRT size (IRTA.S) */
#define VTD_FR_IR_ENTRY_P 0x22 /**< present bit in the IRTE is clear */
#define VTD_FR_IR_ROOT_INVAL 0x23 /**< IRT at IRTA could not be accessed */
#define VTD_FR_IR_IRTE_RSVD \
	0x24 /**< reserved field set in a present IRTE (incl. IM=1 without CAP.PI, SVT=3) */
#define VTD_FR_IR_REQ_COMPAT 0x25 /**< compatibility-format request blocked (IRES=1, CFIS=0) */
#define VTD_FR_IR_SID_ERR 0x26 /**< source-id validation (SVT/SQ/SID) failed */
#define VTD_FR_IR_PDA_INVAL 0x27 /**< posted-interrupt descriptor (PDA) could not be accessed */
/** An interrupt-remapping fault reason (FRCD.FI carries the index, not an address). */
#define VTD_FR_IS_IR(r) ((r) >= 0x20 && (r) <= 0x27)

/** Reason recorded for a not-present (R=W=0) second-level entry: 5h for writes, 6h for reads. */
#define VTD_FR_PTE_NOT_PRESENT(write) ((write) ? VTD_FR_WRITE : VTD_FR_READ)

/*
 * vtd_desc_decode() fields that struct vtd_desc_info has no member for:
 *  - context-cache (type 1): status_data = SID | FM << 16;
 *  - device-TLB (type 3): status_data = SID, ih = S (size) bit, addr = ADDR;
 *  - interrupt entry cache (type 4): gran = G (0 global, 1 index), am = IM, addr = IIDX.
 */
#define VTD_DESC_INFO_SID(i) ((uint16_t)((i)->status_data & 0xffff))
#define VTD_DESC_INFO_FM(i) ((unsigned int)(((i)->status_data >> 16) & 3))

/** Human-readable text for a fault reason (Linux dma_remap_fault_reasons[]). */
const char *vtd_fault_reason_str(unsigned int reason);

/* ---------------------------------------------------------------------- */
/* Entry encoders (vtd_defs.c). Addresses are host (process virtual)         */
/* addresses, 4 KiB aligned.                                                */
/* ---------------------------------------------------------------------- */

/** Root entry lo for a context table at ctp (VT-d 9.1). hi is 0 in legacy mode. */
uint64_t vtd_root_entry_lo(uint64_t ctp);
/** Context entry lo: P=1, FPD, TT, SLPTPTR (VT-d 9.3). */
uint64_t vtd_context_lo(uint64_t slptptr, unsigned int tt, int fpd);
/** Context entry hi: AW, DID (VT-d 9.3). */
uint64_t vtd_context_hi(unsigned int aw, uint16_t did);
/** Second-level leaf PTE: addr | R/W from prot (IOVA_PROT_*) | PS if superpage (VT-d 9.8). */
uint64_t vtd_pte_leaf(uint64_t addr, int prot, int superpage, int snp);
/** Second-level non-leaf entry pointing to a table (R=W=1, as Linux does). */
uint64_t vtd_pte_table(uint64_t table);
/** Context-cache invalidation descriptor, any granularity (VT-d 6.5.2.2). */
struct vtd_desc;
struct vtd_desc vtd_desc_context(unsigned int g, uint16_t did, uint16_t sid, unsigned int fm);

#endif /* VTD_DEFS_H */
