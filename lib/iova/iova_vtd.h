/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file iova_vtd.h
 * @internal
 * The soft Intel VT-d of lib/iova: the hardware model (vtd_soft.c), its driver
 * (vtd_drv.c), the queued-invalidation descriptor encoders/decoder (vtd_defs.c)
 * and the one second-level page-table walker (vtd_pgtable.c).
 *
 * Not part of the lib/iova contract (iova.h): the library's own files and
 * tests/iova use it. Bit layouts are in vtd_defs.h (VT-d spec ch. 9 and 10;
 * Linux drivers/iommu/intel/iommu.h; QEMU hw/i386/intel_iommu_internal.h).
 *
 * Dependency direction: the driver programs the hardware model through its
 * register file and in-memory structures only; the hardware model never calls
 * the driver. Teardown order is driver first (vtd_drv_fini()), then the unit
 * (vtd_soft_destroy()), as a host OS quiesces its driver before the device goes.
 *
 * Error convention (see lib/iova/README.md): negative errno for int returns,
 * NULL with errno for constructors.
 */
#ifndef IOVA_VTD_H
#define IOVA_VTD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iova.h"

#define VTD_SOFT_PHYS_BITS 48 /**< width of PTE/table address fields (host VAs) */

/** Default driver-side wait timeout for qi_submit_sync()-style waits (ns). */
#define VTD_DRV_DEFAULT_TIMEOUT_NS (1000ULL * 1000 * 1000)

/* ======================================================================
 * Hardware model (vtd_soft.c)
 * ====================================================================== */

struct vtd_soft;

/** A VT-d fault record (VT-d spec 7.1.3, 10.4.14 FRCD). */
struct vtd_fault {
	uint16_t rid; /**< source requester ID (bus << 8 | devfn) */
	uint64_t iova; /**< faulting address (page aligned) */
	uint8_t reason; /**< VT-d fault reason code (vtd_defs.h), e.g. VTD_FR_PTE_NOT_PRESENT(write) */
	bool write; /**< the request was a write (DMA faults) */
	uint16_t
		index; /**< interrupt index (interrupt-remapping faults, VTD_FR_IS_IR(reason)): FRCD.FI 63:48 */
};

/**
 * Create a unit with params p (NULL: defaults). Zero fields take their defaults.
 * @return the unit, or NULL with errno EINVAL (haw outside 39..57, qi_entries not a
 *         power of two in 256..32768, IOTLB > 65536 sets or > 64 ways) or ENOMEM.
 */
struct vtd_soft *vtd_soft_create(const struct vtd_soft_params *p);
/** Free the unit. Its driver must have been torn down first (vtd_drv_fini()). NULL is a no-op. */
void vtd_soft_destroy(struct vtd_soft *v);

/** Register file (VT-d spec 10.4). 32- and 64-bit registers both read/write as uint64_t. */
uint64_t vtd_soft_reg_read(struct vtd_soft *v, unsigned int offset);
void vtd_soft_reg_write(struct vtd_soft *v, unsigned int offset, uint64_t val);

/** Execute queued invalidations whose modeled latency has passed. @return descriptors executed. */
int vtd_soft_poll(struct vtd_soft *v);
/**
 * Polled mode (iova_backend_set_polled()): IQT writes only ring the doorbell; descriptors
 * run in vtd_soft_hw_poll() on the hardware thread.
 */
void vtd_soft_set_polled(struct vtd_soft *v, bool on);
/** The hardware thread's poll: marks the caller as the hardware thread, then vtd_soft_poll(). */
int vtd_soft_hw_poll(struct vtd_soft *v);
/**
 * Called by a driver spinning on a wait descriptor: executes due descriptors unless the
 * unit is polled by another thread (then the hardware thread must do it). @return executed.
 */
int vtd_soft_wait_progress(struct vtd_soft *v);
/** pthread_self() of the thread that executed the last wait descriptor (tests), 0 if none. */
uint64_t vtd_soft_last_wait_thread(struct vtd_soft *v);

/**
 * Device side: translate a DMA request of len bytes at iova from requester rid.
 * Walks context cache -> context entry -> IOTLB -> 3/4-level page walk, checks R/W.
 * @param access IOVA_PROT_READ, IOVA_PROT_WRITE, or both (then both rights are needed).
 * @param host   out: host address of iova (valid for len bytes).
 * @return 0; -EFAULT after recording a fault (reason per VT-d 7.1.3: a not-present
 *         entry is VTD_FR_PTE_NOT_PRESENT(write), 5h for a write and 6h for a read);
 *         -ERANGE when every page translates but the pages are not contiguous in host
 *         memory (no fault recorded); -EINVAL for bad arguments.
 */
int vtd_soft_translate(struct vtd_soft *v, uint16_t rid, uint64_t iova, size_t len, int access,
		       void **host);

/** Pop the oldest fault record. @return 1 if one was returned, 0 if the log is empty. */
int vtd_soft_fault_pop(struct vtd_soft *v, struct vtd_fault *f);

/**
 * Is (did, iova) cached in the IOTLB? Does not touch LRU or counters (tests).
 * @return 1 if an entry covers it, 0 otherwise.
 */
int vtd_soft_iotlb_probe(struct vtd_soft *v, uint16_t did, uint64_t iova);

/* ======================================================================
 * Driver (vtd_drv.c): what Linux's intel-iommu does.
 * ====================================================================== */

struct vtd_drv; /**< the driver's state for one unit */
struct vtd_domain; /**< one DID with its own second-level page table */

/**
 * Bring unit v up (root table, invalidation queue, GCMD.SRTP/QIE/TE handshakes,
 * global context and IOTLB invalidation; Linux intel_iommu_init_qi(),
 * iommu_set_root_entry(), iommu_enable_translation()).
 * @return the driver, or NULL with errno EINVAL (NULL), EBUSY (GSTS shows the
 *         unit already has translation or queued invalidation enabled), ENODEV (no
 *         ECAP.QI or no 3/4-level SAGAW), ENOMEM, ETIMEDOUT.
 */
struct vtd_drv *vtd_drv_init(struct vtd_soft *v);
/** Destroy every domain and free the driver's tables and queue. The unit stays. NULL is a no-op. */
void vtd_drv_fini(struct vtd_drv *drv);
/** Driver-side wait timeout in ns (tests shorten it to provoke -ETIMEDOUT). */
void vtd_drv_set_timeout(struct vtd_drv *drv, uint64_t ns);

/**
 * Create domain did (1..65535) with an empty 3- or 4-level table.
 * @return the domain, or NULL with errno EINVAL (no driver, did 0), EEXIST, ENOMEM.
 */
struct vtd_domain *vtd_drv_domain_create(struct vtd_drv *drv, uint16_t did);
void vtd_drv_domain_destroy(struct vtd_domain *d);
/**
 * Point the context entry of requester rid at domain d (TT=0, AW of the driver) and
 * invalidate the context cache (Linux domain_context_mapping_one()).
 * @return 0, -EINVAL, -ENOMEM, -ETIMEDOUT, -EIO (invalidation queue error).
 */
int vtd_drv_attach(struct vtd_domain *d, uint16_t rid);
/**
 * Write PTEs mapping [iova, iova+len) -> [host, host+len) with prot.
 * Uses 2 MiB superpages (PS=1) where iova, host and len allow.
 * @return 0, -EINVAL (unaligned), -EEXIST (already mapped), -ENOMEM.
 */
int vtd_drv_map(struct vtd_domain *d, uint64_t iova, void *host, size_t len, int prot);
/** Clear PTEs of [iova, iova+len). Does not invalidate. @return 0, -ENOENT or -EINVAL. */
int vtd_drv_unmap(struct vtd_domain *d, uint64_t iova, size_t len);
/** Software walk of the domain's page table. @return 0 with *host and *prot, or -ENOENT. */
int vtd_drv_lookup(struct vtd_domain *d, uint64_t iova, void **host, int *prot);
/**
 * Queue IOTLB invalidations: page-selective (G=3, AM chosen to cover [iova, iova+npages)),
 * possibly several descriptors; npages == 0 means domain-selective (G=2).
 * Does not ring the doorbell until vtd_drv_flush(). @return descriptors queued or -errno.
 */
int vtd_drv_inv_queue(struct vtd_domain *d, uint64_t iova, uint64_t npages);
/**
 * Ring the doorbell (one IQT write) for everything queued, append a wait descriptor
 * (SW=1, status write) and, if wait, spin until its status is written
 * (Linux qi_submit_sync()). @return 0, -ETIMEDOUT, -EIO on an invalidation queue error.
 */
int vtd_drv_flush(struct vtd_domain *d, bool wait);

/* ======================================================================
 * Queued-invalidation descriptors (vtd_defs.c); the fuzz target drives decode.
 * ====================================================================== */

struct vtd_desc {
	uint64_t lo, hi;
}; /**< one 128-bit QI descriptor, VT-d 6.5.2 */

struct vtd_desc vtd_desc_iotlb_global(void);
struct vtd_desc vtd_desc_iotlb_domain(uint16_t did);
/** Page-selective-within-domain: addr aligned to 2^am pages (VT-d 6.5.2.3). */
struct vtd_desc vtd_desc_iotlb_page(uint16_t did, uint64_t addr, unsigned int am, bool ih);
struct vtd_desc vtd_desc_context_global(void);
struct vtd_desc vtd_desc_wait(uint32_t status_data, uint64_t status_addr, bool irq);

/** A decoded descriptor, for emulators (trap-and-emulate, sidecore) and the fuzzer. */
struct vtd_desc_info {
	unsigned int type; /**< VTD_QI_TYPE_* (1 ctx, 2 iotlb, 3 dev-tlb, 4 iec, 5 wait) */
	unsigned int gran; /**< granularity field (IOTLB G, context G) */
	uint16_t did;
	uint64_t addr; /**< IOTLB page address (4 KiB aligned) */
	unsigned int am; /**< address mask: 2^am pages */
	bool ih, dr, dw;
	bool sw, iflag, fn; /**< wait: status write, interrupt, fence */
	uint32_t status_data;
	uint64_t status_addr;
};
/** @return 0, or -EINVAL for a reserved-bit violation or unknown type (VT-d 6.5.2: IQE). */
int vtd_desc_decode(const struct vtd_desc *d, struct vtd_desc_info *out);

/* ======================================================================
 * Interrupt remapping (VT-d ch. 5, 9.10, 9.11): encoders/decoders
 * (vtd_irdefs.c, pure, the fuzz target drives them), the hardware's request
 * path (vtd_soft_interrupt(), vtd_soft_ir.c) and the driver (vtd_drv_ir_*,
 * vtd_drv.c). lib/iova DECODES and never delivers: the caller (the device
 * model) hands a remapped interrupt to its VMM and a posted one to the vCPU's
 * posted-interrupt descriptor.
 * ====================================================================== */

struct vtd_irte {
	uint64_t lo, hi;
}; /**< one 128-bit IRTE */

/** A decoded IRTE (VT-d 9.10 remapped, 9.11 posted). */
struct vtd_irte_info {
	bool present; /**< P */
	bool fpd; /**< fault processing disable */
	bool posted; /**< IM = 1 */
	uint8_t vector; /**< V: host vector (remapped) or guest vector (posted) */
	uint8_t avail; /**< AVL 11:8, software-available */
	/* remapped */
	bool dm; /**< destination mode: 0 physical, 1 logical */
	bool rh; /**< redirection hint */
	bool tm; /**< trigger mode: 0 edge, 1 level */
	uint8_t dlm; /**< delivery mode (0 fixed, 1 lowest priority, 2 SMI, 4 NMI, 5 INIT, 7 ExtINT) */
	uint32_t dest; /**< destination APIC ID (xAPIC: 8 bits from DST 15:8; x2APIC: 32 bits) */
	/* posted */
	bool urg; /**< urgent */
	uint64_t pda; /**< posted-interrupt descriptor address (64-byte aligned) */
	/* source validation */
	uint16_t sid; /**< source-id */
	uint8_t sq; /**< source-id qualifier (SVT = 1): 0 all 16 bits, 1..3 ignore bits 2, 2:1, 2:0 */
	uint8_t svt; /**< source validation type: VTD_SVT_NONE / _SID / _BUS */
};

/**
 * Decode IRTE e. eime: IRTA.EIME (x2APIC destinations); pi: CAP.PI (posted format allowed).
 * A not-present entry decodes (present = false) without checking the rest.
 * @return 0; -EINVAL for a reserved field set in a present entry (VT-d fault 24h:
 *         reserved bits, SVT = 3, IM = 1 without pi).
 */
int vtd_irte_decode(const struct vtd_irte *e, bool eime, bool pi, struct vtd_irte_info *out);
/** Encode i (its present, posted and eime decide the format). Fields wider than the format are truncated. */
struct vtd_irte vtd_irte_encode(const struct vtd_irte_info *i, bool eime);

/** A decoded MSI write (address, data) as the remapping hardware sees it (VT-d 5.1.2, 5.1.4). */
struct vtd_msi_info {
	bool remappable; /**< address bit 4 (interrupt format) */
	/* remappable format */
	uint16_t handle; /**< HANDLE[15] (bit 2) : HANDLE[14:0] (bits 19:5) */
	bool shv; /**< subhandle valid (bit 3) */
	uint16_t subhandle; /**< data 15:0 when shv */
	uint32_t index; /**< interrupt index = handle (+ subhandle when shv), up to 2^17 - 2 */
	/* compatibility format */
	uint8_t dest; /**< destination ID, address 19:12 */
	bool dm, rh; /**< destination mode, redirection hint (address 2, 3) */
	uint8_t vector; /**< data 7:0 */
	uint8_t dlm; /**< delivery mode, data 10:8 */
	bool tm; /**< trigger mode, data 15 */
};

/**
 * Decode an MSI write of data to addr.
 * @return 0; -EINVAL if it is no interrupt request or has a reserved field set
 *         (VT-d fault 20h): addr 63:32 non-zero, addr 31:20 != FEEh, or (remappable)
 *         data 31:16 non-zero.
 */
int vtd_msi_decode(uint64_t addr, uint32_t data, struct vtd_msi_info *out);
/** The remappable-format message for (handle, shv, subhandle), as Linux fill_msi_msg() writes it. */
void vtd_msi_remappable(uint16_t handle, bool shv, uint16_t subhandle, uint64_t *addr,
			uint32_t *data);
/** The compatibility-format message for a fixed, edge, physical interrupt of vector to APIC ID dest. */
void vtd_msi_compat(uint8_t dest, uint8_t vector, uint64_t *addr, uint32_t *data);

/** Interrupt-entry-cache invalidation (VT-d 6.5.2.7): all entries. */
struct vtd_desc vtd_desc_iec_global(void);
/** Index-selective IEC invalidation of the 2^im entries from idx (idx aligned to 2^im). */
struct vtd_desc vtd_desc_iec_index(uint16_t idx, unsigned int im);

/**
 * The remapping hardware's handling of one interrupt request: an MSI write of data
 * to addr from requester rid (VT-d 5.1: IRES, CFIS, IRTA size, interrupt-entry cache,
 * IRTE checks, source validation). Never delivers anything.
 * @return 0 with *out; -EFAULT when the request is blocked, after recording a fault
 *         (reason 20h-27h, FRCD.FI = index; not recorded when the IRTE has FPD = 1
 *         for the qualified reasons 22h, 24h, 26h, 27h); -EINVAL for bad arguments.
 */
int vtd_soft_interrupt(struct vtd_soft *v, uint16_t rid, uint64_t addr, uint32_t data,
		       struct iova_irq *out);

/**
 * Driver: set up interrupt remapping (Linux intel_setup_irq_remapping(),
 * iommu_set_irq_remapping(), intel_enable_irq_remapping()): an IRT of entries
 * (power of two, 2..65536) at IRTA with EIME = x2apic, GCMD.SIRTP, global IEC
 * invalidation, GCMD.IRE, and compatibility format blocked (CFI = 0).
 * @return 0; -EINVAL (entries, NULL), -ENODEV (no ECAP.IR, or x2apic without ECAP.EIM),
 *         -EBUSY (already enabled), -ENOMEM, -ETIMEDOUT.
 */
int vtd_drv_ir_enable(struct vtd_drv *drv, unsigned int entries, bool x2apic);
/**
 * Allocate count IRTEs (rounded up to a power of two, naturally aligned: Linux
 * alloc_irte() / bitmap_find_free_region()) for one device's vectors.
 * @return 0 with *base; -EINVAL (count 0 or > 32), -ENOSPC (table full), -ENODEV (IR off).
 */
int vtd_drv_ir_alloc(struct vtd_drv *drv, unsigned int count, uint16_t *base);
/** Clear and free the block of count entries at base, flushing the IEC (Linux free_irte()). */
void vtd_drv_ir_free(struct vtd_drv *drv, uint16_t base, unsigned int count);
/**
 * Program IRTE index (remapped format, fixed delivery, physical destination, edge):
 * vector to APIC ID dest, source validation SVT = 1, SQ = 0, SID = rid (Linux
 * set_msi_sid()); written with a 128-bit compare-and-exchange, then an
 * index-selective IEC invalidation waited for (Linux modify_irte()).
 * @return 0; -EINVAL (index not allocated), -ETIMEDOUT, -EIO.
 */
int vtd_drv_ir_set_remapped(struct vtd_drv *drv, uint16_t index, uint16_t rid, uint8_t vector,
			    uint32_t dest);
/**
 * Program IRTE index in posted format: guest vector, posted-interrupt descriptor
 * pi_desc (64-byte aligned), URG; source validation as above (Linux
 * intel_ir_set_vcpu_affinity()). @return as vtd_drv_ir_set_remapped(), -EINVAL for
 * a misaligned or NULL pi_desc.
 */
int vtd_drv_ir_set_posted(struct vtd_drv *drv, uint16_t index, uint16_t rid, uint8_t vector,
			  uint64_t pi_desc, bool urg);
/**
 * The MSI message for sub-vector sub of a block at base: remappable format,
 * handle = base, SHV = 1, data = sub (Linux fill_msi_msg()).
 */
void vtd_drv_ir_msi(uint16_t base, unsigned int sub, uint64_t *addr, uint32_t *data);

/* ======================================================================
 * Second-level page tables (vtd_pgtable.c): the one software walker, used by
 * the driver (vtd_drv.c) and the guest side of the emulation modes (mode_emul.c).
 * ====================================================================== */

/** Entry load (acquire) / store (release): lock-free readers see a table once they see its pointer. */
static inline uint64_t vtd_pte_load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void vtd_pte_store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/** Present = R or W set (VT-d 9.8: an entry with R=W=0 is not present). */
static inline bool vtd_pte_present(uint64_t v)
{
	return v & 3; /* VTD_PTE_R | VTD_PTE_W */
}

/** A zeroed 4 KiB table (512 entries), or NULL. */
uint64_t *vtd_pt_alloc(void);
/** Free table (at level) and every table below it; superpage leaves are not followed. */
void vtd_pt_free(uint64_t *table, unsigned int level);
/**
 * The present leaf entry mapping iova in a levels-deep table (level 1, or a PS=1
 * entry above), with *level set; NULL if not mapped.
 */
uint64_t *vtd_pt_leaf(uint64_t *root, unsigned int levels, uint64_t iova, unsigned int *level);
/**
 * The entry slot at target_level for iova. With create, missing tables are allocated.
 * @return the slot, or NULL with *err = -ENOENT (a table is missing and !create),
 *         -EEXIST (a superpage sits above target_level), -ENOMEM.
 */
uint64_t *vtd_pt_slot(uint64_t *root, unsigned int levels, uint64_t iova, unsigned int target_level,
		      bool create, int *err);
/** Called for each present leaf: first pfn it maps, the entry, its level (1 = 4 KiB). */
typedef void (*vtd_pt_visit_fn)(uint64_t pfn, uint64_t pte, unsigned int level, void *arg);
/** Visit the present leaves overlapping pfns [s_pfn, e_pfn), skipping absent subtrees. */
void vtd_pt_walk(uint64_t *root, unsigned int levels, uint64_t s_pfn, uint64_t e_pfn,
		 vtd_pt_visit_fn fn, void *arg);

#endif /* IOVA_VTD_H */
