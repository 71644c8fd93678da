/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file vtd_priv.h
 * @internal
 * Internals of the soft hardware (vtd_soft.c): the unit object, its caches and
 * its geometry constants. The driver (vtd_drv.c) and the soft backend see the
 * unit only through iova_vtd.h (registers, translate, faults). Not part of the
 * lib/iova contract.
 *
 * Memory model: the soft unit's "physical memory" is this process's address
 * space. RTADDR, context-table pointers, SLPTPTR, PTE addresses, IQA and wait
 * status addresses are process virtual addresses (x86-64 user VAs < 2^47, so
 * the PTE address field is VTD_SOFT_PHYS_BITS = 48 bits wide whatever the IOVA
 * width). The unit never dereferences address 0: a zero table pointer is a
 * fault (VTD_FR_*_INV) and a zero status address an invalid descriptor (IQE).
 */
#ifndef VTD_PRIV_H
#define VTD_PRIV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "iova_vtd.h"
#include "vtd_defs.h"

#define VTD_SOFT_NFR 8 /**< fault recording registers (CAP.NFR + 1) */
#define VTD_SOFT_FRO 0x40 /**< CAP.FRO: FRCD at 0x400 */
#define VTD_SOFT_IRO 0x50 /**< ECAP.IRO: IVA at 0x500, IOTLB at 0x508 */
#define VTD_SOFT_MAMV 9 /**< CAP.MAMV: up to 2^9 pages (2 MiB) per PSI descriptor */
#define VTD_SOFT_VER 0x10 /**< VER: 1.0 (QEMU intel-iommu legacy mode reports 1.0) */
#define VTD_SOFT_REG_SIZE 0x1000

static inline void vtd_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

struct vtd_iotlb_entry {
	uint64_t tag; /**< iova >> (12 + 9 * (level - 1)) */
	uint64_t host; /**< host address of the page (level 1: 4 KiB, level 2: 2 MiB) */
	uint64_t lru;
	uint16_t did;
	uint8_t level; /**< 1 = 4 KiB, 2 = 2 MiB, 0 = invalid */
	uint8_t prot; /**< IOVA_PROT_* effective rights */
};

struct vtd_ctx_cache_entry {
	uint64_t lo, hi, lru;
	uint16_t rid;
	bool valid;
};

#define VTD_SOFT_IEC_ENTRIES 64 /**< interrupt-entry cache size (fully associative, LRU) */

/** One cached IRTE (VT-d 6.4 interrupt entry cache). */
struct vtd_iec_entry {
	uint64_t lo, hi, lru;
	uint32_t index;
	bool valid;
};

struct vtd_iq_event {
	uint32_t tail; /**< descriptor index written to IQT */
	uint64_t due_ns; /**< when the descriptors before tail may execute */
};

struct vtd_soft {
	pthread_spinlock_t lock;
	struct vtd_soft_params p;

	/* register file (VT-d 10.4) */
	uint64_t cap, ecap;
	uint32_t ver, gsts, fsts, fectl, fedata, feaddr, feuaddr;
	uint32_t ics, iectl, iedata, ieaddr, ieuaddr;
	uint64_t rtaddr, ccmd, iqh, iqt, iqa, irta, iva, iotlb_reg;
	uint64_t frcd[VTD_SOFT_NFR][2];
	unsigned int fri;

	/* latched state */
	uint64_t root_active; /**< root table pointer latched by SRTP */
	uint64_t irta_active; /**< IRTA latched by SIRTP (address | EIME | S) */
	unsigned int mgaw_bits; /**< CAP.MGAW + 1 */

	/* caches */
	struct vtd_iotlb_entry *iotlb; /**< sets * ways */
	struct vtd_ctx_cache_entry *ctx;
	struct vtd_iec_entry iec[VTD_SOFT_IEC_ENTRIES];
	uint64_t lru_clock;

	/* queued invalidation: pending IQT writes with their modeled due time */
	struct vtd_iq_event *ev;
	unsigned int ev_cap, ev_head, ev_count;
	bool polled; /**< descriptors run only on the hardware thread */
	uint64_t hw_thread; /**< pthread_self() of the hardware thread (polled mode) */
	uint64_t last_wait_thread; /**< thread that executed the last wait descriptor */

	struct vtd_soft_stats st;
};

/** Record a primary fault (VT-d 7.2.1). fi: FRCD.FI (page address, or index << 48 for IR faults). Lock held. */
void vtd_soft_record_fault(struct vtd_soft *v, uint16_t rid, uint64_t fi, bool write,
			   uint8_t reason, bool fpd);
/** Interrupt-entry cache invalidation: global (gran 0) or 2^im entries from idx. Lock held. */
void vtd_soft_iec_invalidate(struct vtd_soft *v, unsigned int gran, uint32_t idx, unsigned int im);

#endif /* VTD_PRIV_H */
