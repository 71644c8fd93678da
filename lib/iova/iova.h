/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file iova.h
 * lib/iova: IOVA allocation, a software Intel VT-d (second-level translation,
 * IOTLB, context cache, queued invalidation, fault log), a VFIO type1 backend,
 * per-buffer DMA-mapping strategies, guest-IOMMU emulation modes, and a DPDK
 * mempool driver that applies them to every packet buffer.
 *
 * Layering (top to bottom), one object each:
 *
 *   iova_ctx        strategy (strict, deferred, optimistic, ...) = the guest's DMA-API layer
 *     -> iova_backend  mode wrapper (native | trap-and-emulate | sidecore) = the (emulated) IOMMU
 *        -> iova_backend  physical backend (soft VT-d | VFIO container)
 *
 * Conventions used throughout:
 *  - Sizes are in bytes unless a name ends in _pages / npages (4 KiB pages) or _pfn.
 *  - "Host address" is a process virtual address. User space never sees host
 *    physical addresses; VFIO type1 maps IOVA -> process VA the same way.
 *  - Functions return 0 or a positive count on success and a negative errno on
 *    failure (-EINVAL bad argument, -ENOMEM exhaustion, -EFAULT DMA fault, ...).
 *  - Times are in nanoseconds (_ns) or TSC cycles (_cycles), as named.
 *
 * Sources: Intel VT-d specification rev. 4.x (sections cited per function),
 * Linux drivers/iommu/{iova.c,dma-iommu.c,intel/iommu.c,intel/dmar.c},
 * QEMU hw/i386/intel_iommu.c, Amit et al. "vIOMMU: Efficient IOMMU Emulation"
 * (USENIX ATC 2011).
 */
#ifndef IOVA_H
#define IOVA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IOVA_PAGE_SHIFT 12
#define IOVA_PAGE_SIZE  (1ULL << IOVA_PAGE_SHIFT)
#define IOVA_ANY_CPU    (~0u) /**< cpu argument: bypass per-CPU caches */

/** DMA access rights (match VT-d second-level PTE bits R=0, W=1). */
enum iova_prot {
	IOVA_PROT_READ  = 1 << 0, /**< device may read memory (DMA to device, TX) */
	IOVA_PROT_WRITE = 1 << 1, /**< device may write memory (DMA from device, RX) */
	IOVA_PROT_RW    = IOVA_PROT_READ | IOVA_PROT_WRITE,
};

/* ======================================================================
 * 1. IOVA allocator (iova_alloc.c)
 *    Size-aligned ranges, top-down below limit, an rbtree of allocated ranges
 *    under one lock, and per-CPU magazines (Linux iova rcache) as the O(1) path.
 * ====================================================================== */

struct iova_allocator;

/** Allocator statistics (monotonic counters since creation). */
struct iova_allocator_stats {
	uint64_t allocs;        /**< successful iova_alloc() calls */
	uint64_t frees;         /**< successful iova_free() calls */
	uint64_t cache_hits;    /**< allocs served by a per-CPU magazine */
	uint64_t cache_misses;  /**< allocs that went to the tree */
	uint64_t bad_frees;     /**< double or foreign frees detected */
	uint64_t ranges_in_use; /**< currently allocated ranges (not counting cached) */
	uint64_t pages_in_use;  /**< pages in those ranges */
};

/**
 * Create an allocator for pfns [base_pfn, limit_pfn] inclusive.
 * @param nb_cpus number of per-CPU magazine sets (lcores); 0 disables caching.
 * @return the allocator, or NULL with errno set (EINVAL, ENOMEM).
 */
struct iova_allocator *iova_allocator_create(uint64_t base_pfn, uint64_t limit_pfn,
					     unsigned int nb_cpus);
void iova_allocator_destroy(struct iova_allocator *a);

/**
 * Allocate npages (rounded up to a power of two, size-aligned) of IOVA space,
 * highest free range first. Ranges of 1..32 pages go through the CPU's magazine.
 * @param cpu  magazine index < nb_cpus; IOVA_ANY_CPU or any value >= nb_cpus bypasses the magazines.
 * @param pfn  out: first page frame number of the range.
 * @return 0, -EINVAL (npages 0 or too large), -ENOMEM (space exhausted).
 */
int iova_alloc(struct iova_allocator *a, uint64_t npages, unsigned int cpu, uint64_t *pfn);

/**
 * Free a range returned by iova_alloc() with the same npages.
 * @return 0, or -EINVAL for a double free or a range that was never allocated
 *         (counted in bad_frees; the allocator state is unchanged).
 */
int iova_free(struct iova_allocator *a, uint64_t pfn, uint64_t npages, unsigned int cpu);

/** Return every cached range to the tree (Linux free_cpu_cached_iovas()). */
void iova_allocator_flush_caches(struct iova_allocator *a);
void iova_allocator_get_stats(const struct iova_allocator *a, struct iova_allocator_stats *st);

/* ======================================================================
 * 2. Soft VT-d (vtd_*.c): the hardware side of a software IOMMU.
 *    Bit layouts are in vtd_defs.h (VT-d spec ch. 9 and 10; Linux
 *    drivers/iommu/intel/iommu.h; QEMU hw/i386/intel_iommu_internal.h).
 * ====================================================================== */

struct vtd_soft;

struct vtd_soft_params {
	unsigned int haw;            /**< IOVA width in bits (default 48): >= 48 allows 3- and 4-level tables, less 3-level only. Entry address fields are fixed at 48 bits (host addresses are process VAs). */
	unsigned int iotlb_sets;     /**< IOTLB sets (default 64) */
	unsigned int iotlb_ways;     /**< IOTLB ways per set (default 8) */
	unsigned int ctx_cache_entries; /**< context-cache entries (default 16) */
	unsigned int qi_entries;     /**< invalidation queue length in 128-bit descriptors (default 256) */
	/**
	 * Modeled hardware latency of executing queued invalidation descriptors,
	 * in ns (default VTD_DEFAULT_INV_LATENCY_NS). The soft hardware executes
	 * descriptors only once this time has passed since the IQT write; until
	 * then stale IOTLB entries still translate. The one modeled latency of
	 * the software IOMMU; the benchmark report prints it.
	 */
	uint64_t inv_latency_ns;
};
#define VTD_DEFAULT_INV_LATENCY_NS 700

/** A VT-d fault record (VT-d spec 7.1.3, 10.4.14 FRCD). */
struct vtd_fault {
	uint16_t bdf;      /**< source requester ID */
	uint64_t iova;     /**< faulting address (page aligned) */
	uint8_t  reason;   /**< VT-d fault reason code (vtd_defs.h), e.g. VTD_FR_PTE_NOT_PRESENT(write) */
	bool     write;    /**< the request was a write */
};

/** Hardware-side counters. */
struct vtd_soft_stats {
	uint64_t translations, iotlb_hits, iotlb_misses, page_walks;
	uint64_t ctx_hits, ctx_misses;
	uint64_t faults;
	uint64_t qi_descs;            /**< descriptors executed */
	uint64_t inv_iotlb_global, inv_iotlb_domain, inv_iotlb_page, inv_ctx, inv_wait;
	uint64_t stale_hits;          /**< translations served by an IOTLB entry whose PTE is no longer present */
};

void vtd_soft_default_params(struct vtd_soft_params *p);
struct vtd_soft *vtd_soft_create(const struct vtd_soft_params *p);
void vtd_soft_destroy(struct vtd_soft *v);

/** Register file (VT-d spec 10.4). 32- and 64-bit registers both read/write as uint64_t. */
uint64_t vtd_soft_reg_read(struct vtd_soft *v, unsigned int offset);
void vtd_soft_reg_write(struct vtd_soft *v, unsigned int offset, uint64_t val);

/** Execute queued invalidations whose modeled latency has passed. Returns descriptors executed. */
int vtd_soft_poll(struct vtd_soft *v);

/**
 * Device side: translate a DMA request of len bytes at iova from requester bdf.
 * Walks context cache -> context entry -> IOTLB -> 4-level page walk, checks R/W.
 * @param access IOVA_PROT_READ or IOVA_PROT_WRITE.
 * @param access IOVA_PROT_READ, IOVA_PROT_WRITE, or both (then both rights are needed).
 * @param host   out: host address of iova (valid for len bytes).
 * @return 0; -EFAULT after recording a fault (reason per VT-d 7.1.3: a not-present
 *         entry is VTD_FR_PTE_NOT_PRESENT(write), 5h for a write and 6h for a read);
 *         -ERANGE when every page translates but the pages are not contiguous in host
 *         memory (no fault recorded); -EINVAL for bad arguments.
 */
int vtd_soft_translate(struct vtd_soft *v, uint16_t bdf, uint64_t iova, size_t len,
		       int access, void **host);

/** Pop the oldest fault record. @return 1 if one was returned, 0 if the log is empty. */
int vtd_soft_fault_pop(struct vtd_soft *v, struct vtd_fault *f);
void vtd_soft_get_stats(const struct vtd_soft *v, struct vtd_soft_stats *st);

/* ---- Driver side of the soft VT-d (vtd_drv.c): what Linux's intel-iommu does. ---- */

struct vtd_domain; /**< one DID with its own second-level page table */

/** Program root table, context tables, invalidation queue and enable translation (GCMD.TE, QIE). */
int vtd_drv_init(struct vtd_soft *v);
/** Create domain did (1..65535) with a 4-level page table. */
struct vtd_domain *vtd_drv_domain_create(struct vtd_soft *v, uint16_t did);
void vtd_drv_domain_destroy(struct vtd_domain *d);
/** Point the context entry of bdf at domain d (TT=0, AW=2) and invalidate the context cache. */
int vtd_drv_attach(struct vtd_domain *d, uint16_t bdf);
/**
 * Write PTEs mapping [iova, iova+len) -> [host, host+len) with prot.
 * Uses 2 MiB superpages (PS=1) where iova, host and len allow.
 * @return 0, -EINVAL (unaligned), -EEXIST (already mapped), -ENOMEM.
 */
int vtd_drv_map(struct vtd_domain *d, uint64_t iova, void *host, size_t len, int prot);
/** Clear PTEs of [iova, iova+len). Does not invalidate. @return 0 or -ENOENT. */
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

/* ---- Descriptor and entry encoders/decoders (vtd_defs.c); the fuzz target drives decode. ---- */

struct vtd_desc { uint64_t lo, hi; }; /**< one 128-bit QI descriptor, VT-d 6.5.2 */

struct vtd_desc vtd_desc_iotlb_global(void);
struct vtd_desc vtd_desc_iotlb_domain(uint16_t did);
/** Page-selective-within-domain: addr aligned to 2^am pages (VT-d 6.5.2.3). */
struct vtd_desc vtd_desc_iotlb_page(uint16_t did, uint64_t addr, unsigned int am, bool ih);
struct vtd_desc vtd_desc_context_global(void);
struct vtd_desc vtd_desc_wait(uint32_t status_data, uint64_t status_addr, bool irq);

/** A decoded descriptor, for emulators (trap-and-emulate, sidecore) and the fuzzer. */
struct vtd_desc_info {
	unsigned int type;   /**< VTD_QI_TYPE_* (1 ctx, 2 iotlb, 3 dev-tlb, 4 iec, 5 wait) */
	unsigned int gran;   /**< granularity field (IOTLB G, context G) */
	uint16_t did;
	uint64_t addr;       /**< IOTLB page address (4 KiB aligned) */
	unsigned int am;     /**< address mask: 2^am pages */
	bool ih, dr, dw;
	bool sw, iflag, fn;  /**< wait: status write, interrupt, fence */
	uint32_t status_data;
	uint64_t status_addr;
};
/** @return 0, or -EINVAL for a reserved-bit violation or unknown type (VT-d 6.5.2: IQE). */
int vtd_desc_decode(const struct vtd_desc *d, struct vtd_desc_info *out);

/* ======================================================================
 * 3. Backends and emulation modes: one ops table for all.
 * ====================================================================== */

struct iova_backend;

/** What a backend (physical IOMMU, or an emulated one in front of it) can do. */
struct iova_backend_ops {
	const char *name;
	/** Install iova -> host for len bytes (page multiples). 0 or -errno. */
	int (*map)(struct iova_backend *b, uint64_t iova, void *host, size_t len, int prot);
	/** Remove iova mappings (PTEs). Does not by itself invalidate IOTLBs unless the backend can only do both (VFIO). */
	int (*unmap)(struct iova_backend *b, uint64_t iova, size_t len);
	/** Queue invalidation of npages from iova; npages == 0: whole domain. */
	int (*inv_queue)(struct iova_backend *b, uint64_t iova, uint64_t npages);
	/** Submit queued invalidations; wait for completion if wait. */
	int (*inv_flush)(struct iova_backend *b, bool wait);
	/** Device-side DMA of len bytes at iova with access; host address out. -EFAULT on a fault. -ENOTSUP if the backend has no software device side (VFIO). */
	int (*dma)(struct iova_backend *b, uint64_t iova, size_t len, int access, void **host);
	void (*destroy)(struct iova_backend *b);
};

struct iova_backend {
	const struct iova_backend_ops *ops;
	void *priv;
	/** Guest-visible exits/traps caused, and IOTLB invalidation descriptors that reached the physical IOMMU. */
	uint64_t exits, phys_invalidations, phys_maps, phys_unmaps;
};

/** Soft VT-d backend: own vtd_soft unit, one domain, device bdf attached. */
struct iova_backend *iova_backend_soft_create(const struct vtd_soft_params *p, uint16_t bdf,
					      uint16_t did);
/** The vtd_soft behind a soft backend (for faults and stats), or NULL. */
struct vtd_soft *iova_backend_soft_unit(struct iova_backend *b);

/**
 * VFIO type1 backend over container_fd (from rte_vfio_get_container_fd(), or -1 to
 * open /dev/vfio/vfio and attach group `group_path`, e.g. "/dev/vfio/12").
 * map/unmap are VFIO_IOMMU_MAP_DMA / VFIO_IOMMU_UNMAP_DMA (the kernel invalidates
 * synchronously inside UNMAP: inv_* are counted no-ops). Errors name the ioctl.
 */
struct iova_backend *iova_backend_vfio_create(int container_fd, const char *group_path);

/** Guest-IOMMU emulation modes (vIOMMU paper, section 3). */
enum iova_mode {
	IOVA_MODE_NATIVE = 0,        /**< the guest owns the IOMMU: ops go straight to the physical backend */
	IOVA_MODE_TRAP_EMULATE,      /**< each guest IQT write is a synchronous exit to a VMM thread that shadows (QEMU intel-iommu, caching mode) */
	IOVA_MODE_SIDECORE,          /**< a VMM thread on another core polls guest registers in shared memory */
};

struct iova_mode_params {
	int vmm_cpu;                 /**< CPU for the VMM / sidecore thread, -1 = any */
	/** Modeled cost of one VM exit + entry round trip in ns (trap-and-emulate only); default 0 = only the real thread handoff. Printed in reports. */
	uint64_t vmexit_ns;
};

/**
 * Wrap phys in an emulated guest IOMMU. In trap-and-emulate and sidecore the returned
 * backend keeps guest page tables and a guest invalidation queue in memory, and a VMM
 * thread validates guest descriptors, walks guest tables and shadows into phys.
 * In native mode returns phys itself. Takes ownership of phys.
 */
struct iova_backend *iova_mode_wrap(enum iova_mode mode, const struct iova_mode_params *p,
				    struct iova_backend *phys);

/* ======================================================================
 * 4. Strategies and the per-device context.
 * ====================================================================== */

enum iova_strategy {
	IOVA_STRAT_OFF = 0,   /**< no IOMMU: iova == host address, no cost (baseline) */
	IOVA_STRAT_STRICT,    /**< unmap: clear PTE, invalidate page, wait; then free the IOVA */
	IOVA_STRAT_DEFERRED,  /**< Linux flush queue: batch until fq_size entries or fq_timeout_ns */
	IOVA_STRAT_OPTIMISTIC,/**< vIOMMU optimistic teardown: keep stale mappings up to quota/time, reuse live ones */
	IOVA_STRAT_PERSISTENT,/**< map once, never unmap */
	IOVA_STRAT_SHARED,    /**< one refcounted mapping per host page */
	IOVA_STRAT_RING,      /**< ours: ring-contiguous IOVAs, strict per-burst batched invalidation (rIOMMU spirit) */
	IOVA_STRAT_POOL,      /**< ours: buffers in registered pools are mapped once, whole (DAMN spirit); others strict */
	IOVA_STRAT__COUNT
};

struct iova_ctx_params {
	enum iova_strategy strategy;
	enum iova_mode mode;
	struct iova_mode_params mode_params;
	unsigned int nb_cpus;        /**< allocator magazine sets */
	unsigned int fq_size;        /**< deferred: entries per flush queue (default 256) */
	uint64_t fq_timeout_ns;      /**< deferred: flush timeout (default 10 ms) */
	unsigned int opt_quota;      /**< optimistic: stale-mapping quota (default 256) */
	uint64_t opt_timeout_ns;     /**< optimistic: stale-mapping time limit (default 10 ms) */
	/** IOVA space in pfns, inclusive (default [1, 2^36 - 1]: a 48-bit domain). 0 = default.
	 *  With a VFIO backend the range is clamped to the container's aperture
	 *  (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE; QEMU's intel-iommu defaults to 39 bits). */
	uint64_t iova_base_pfn, iova_limit_pfn;
};

/** Per-context counters. Stale window = a freed buffer still device-reachable. */
struct iova_ctx_stats {
	uint64_t maps, unmaps;               /**< map/unmap requests from the user */
	uint64_t backend_maps, backend_unmaps; /**< PTE changes actually made */
	uint64_t invalidations;              /**< IOTLB invalidation descriptors issued */
	uint64_t waits;                      /**< synchronous invalidation waits */
	uint64_t reuse_hits;                 /**< maps served by an existing live mapping */
	uint64_t exits;                      /**< guest IOMMU exits (trap-and-emulate) */
	uint64_t stale_max_entries;          /**< most freed-but-reachable buffers at once */
	uint64_t stale_max_ns;               /**< longest a freed buffer stayed reachable */
	uint64_t stale_now;                  /**< currently freed-but-reachable */
	/** TSC cycles per 4 KiB page of iova_ctx_map / iova_ctx_unmap (and _bulk), from a
	 *  histogram of every call since creation or the last iova_ctx_reset_stats(). */
	uint64_t map_cycles_p50, map_cycles_p99, unmap_cycles_p50, unmap_cycles_p99;
};

struct iova_ctx;

void iova_ctx_default_params(struct iova_ctx_params *p);
/**
 * Create a context over backend (ownership passes to the ctx on success; on failure the
 * caller keeps it). backend is the physical backend: if p->mode is not native the ctx
 * wraps it with iova_mode_wrap(p->mode, &p->mode_params, backend) itself, unless backend
 * already is such a wrapper (then p->mode is ignored). backend may be NULL only for
 * IOVA_STRAT_OFF. Zero numeric fields in p take their defaults.
 * @return the context, or NULL with errno EINVAL (bad strategy/mode/params), ENOMEM,
 *         or the error of the mode wrapper (e.g. EAGAIN: VMM thread could not start).
 */
struct iova_ctx *iova_ctx_create(const struct iova_ctx_params *p, struct iova_backend *backend);
void iova_ctx_destroy(struct iova_ctx *c);

/**
 * Map one buffer [host, host+len) for DMA; host need not be page aligned; the IOVA
 * returned keeps host's page offset. @return 0 with *iova, or -errno.
 */
int iova_ctx_map(struct iova_ctx *c, void *host, size_t len, int prot, unsigned int cpu,
		 uint64_t *iova);
/** Unmap a buffer mapped by iova_ctx_map (same len). Applies the strategy's teardown. */
int iova_ctx_unmap(struct iova_ctx *c, uint64_t iova, size_t len, unsigned int cpu);
/** Batch forms: one burst, the natural unit for batching strategies (ring). */
int iova_ctx_map_bulk(struct iova_ctx *c, void *const *host, size_t len, int prot,
		      unsigned int cpu, uint64_t *iova, unsigned int n);
int iova_ctx_unmap_bulk(struct iova_ctx *c, const uint64_t *iova, size_t len,
			unsigned int cpu, unsigned int n);
/** Run timers (deferred flush timeout, optimistic time limit). Call from the datapath loop. */
void iova_ctx_poll(struct iova_ctx *c, unsigned int cpu);
/** Device-side access through the physical IOMMU (see iova_backend_ops.dma). */
int iova_ctx_dma(struct iova_ctx *c, uint64_t iova, size_t len, int access, void **host);
void iova_ctx_get_stats(const struct iova_ctx *c, struct iova_ctx_stats *st);

/**
 * Register [va, va+len) as a DMA buffer pool (DAMN, Markuze et al. ASPLOS 2018: I/O
 * buffers come from memory that holds nothing but I/O buffers and stays mapped).
 * Under IOVA_STRAT_POOL the whole range is mapped once, read/write, with an IOVA whose
 * offset matches va modulo 2 MiB so the backend can use superpages; afterwards a map of
 * a buffer inside it is an O(1) lookup and an unmap does nothing (the pages stay
 * device-reachable: counted per page in the stale statistics). Other strategies ignore
 * the call. iova_pktmbuf_pool_create() registers its memory chunks itself.
 * @return 0; -EINVAL (len 0), -EEXIST (overlaps a registered pool), -ENOSPC (64 pools
 *         already), -ENOMEM (IOVA space), or the backend's map error.
 */
int iova_ctx_register_pool(struct iova_ctx *c, void *va, size_t len);
/**
 * Unmap and forget the pool registered at va (strict teardown: PTEs cleared,
 * invalidated and waited for before returning). No-op for other strategies.
 * @return 0, -ENOENT (no pool at va), -EBUSY (buffers of it still mapped).
 */
int iova_ctx_unregister_pool(struct iova_ctx *c, void *va);
/** Zero the counters and cycle histograms (after warm-up). */
void iova_ctx_reset_stats(struct iova_ctx *c);
struct iova_backend *iova_ctx_backend(struct iova_ctx *c);

/** Names exactly as the CLI, the report and results.json use them. */
const char *iova_strategy_name(enum iova_strategy s); /**< "off","strict","deferred","optimistic","persistent","shared","ring","pool" */
int iova_strategy_parse(const char *name);            /**< enum value or -EINVAL */
const char *iova_mode_name(enum iova_mode m);         /**< "native","trap-and-emulate","sidecore" */
int iova_mode_parse(const char *name);                /**< enum value or -EINVAL */

/* ======================================================================
 * 5. DPDK mempool driver (iova_mempool.c). Ops name "iova".
 *    dequeue: map each buffer, set mbuf->buf_iova; enqueue: unmap per strategy.
 * ====================================================================== */

struct rte_mempool;

/**
 * Create a pktmbuf pool whose buffers are mapped through ctx. cache_size is passed
 * to DPDK; a per-lcore cache keeps freed buffers mapped (see iova_mempool.c for the
 * interaction with each strategy); 0 gives exact per-buffer semantics.
 */
struct rte_mempool *iova_pktmbuf_pool_create(const char *name, unsigned int n,
					     unsigned int cache_size, uint16_t data_room_size,
					     int socket_id, struct iova_ctx *ctx);

/** The ctx a pool made by iova_pktmbuf_pool_create() maps through, or NULL for any other pool. */
struct iova_ctx *iova_mempool_ctx(const struct rte_mempool *mp);

#ifdef __cplusplus
}
#endif
#endif /* IOVA_H */
