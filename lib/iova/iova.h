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
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IOVA_PAGE_SHIFT 12
#define IOVA_PAGE_SIZE (1ULL << IOVA_PAGE_SHIFT)
#define IOVA_ANY_CPU (~0u) /**< cpu argument: bypass per-CPU caches */

/** DMA access rights (match VT-d second-level PTE bits R=0, W=1). */
enum iova_prot {
	IOVA_PROT_READ = 1 << 0, /**< device may read memory (DMA to device, TX) */
	IOVA_PROT_WRITE = 1 << 1, /**< device may write memory (DMA from device, RX) */
	IOVA_PROT_RW = IOVA_PROT_READ | IOVA_PROT_WRITE,
};

/* ======================================================================
 * 0. Clocks (iova_tsc.c): what the context's cycle statistics use, so that a
 *    benchmark reports in the same units without DPDK's EAL.
 * ====================================================================== */

/** TSC cycles (x86 RDTSC, the counter rte_rdtsc() reads); CLOCK_MONOTONIC ns elsewhere. */
static inline uint64_t iova_rdtsc(void)
{
#if defined(__x86_64__) || defined(__i386__)
	return __builtin_ia32_rdtsc();
#else
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

/** CLOCK_MONOTONIC in ns (vDSO, ~20 ns). Used for timeouts and stale windows. */
static inline uint64_t iova_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/**
 * Estimate the TSC frequency in Hz by comparing iova_rdtsc() with CLOCK_MONOTONIC
 * over ms milliseconds (busy wait; 0 means 50 ms). The first result is cached and
 * returned by every later call whatever ms. Never fails (an estimate, not CPUID).
 */
uint64_t iova_tsc_hz(unsigned int ms);

/* ======================================================================
 * 1. Log-linear histogram (iova_hist.c): the one latency / cycle histogram of
 *    the project (lib/iova's per-call map/unmap cycles, vfapp's UDP_RR latency).
 *    HdrHistogram bucketing with fixed precision: 2^IOVA_HIST_SUB_BITS linear
 *    sub-buckets per power of two, so a recorded value is reported within
 *    1/2^IOVA_HIST_SUB_BITS relative error (0.8 %). Fixed memory, O(1) record,
 *    no allocation, no locking (one writer).
 * ====================================================================== */

#define IOVA_HIST_SUB_BITS 7
#define IOVA_HIST_SUB (1u << IOVA_HIST_SUB_BITS)
#define IOVA_HIST_BUCKETS ((64 - IOVA_HIST_SUB_BITS + 1) * IOVA_HIST_SUB)

/** A histogram of uint64_t values in any unit (ns, TSC cycles, ...): the caller's. */
struct iova_hist {
	uint64_t count; /**< values recorded */
	uint64_t min, max; /**< smallest / largest value recorded (min = UINT64_MAX when empty) */
	uint64_t sum; /**< sum of the values (wraps after 2^64) */
	uint64_t b[IOVA_HIST_BUCKETS];
};

/** Empty h (count 0, min UINT64_MAX). A zero-filled struct is NOT empty-ready: call this. */
void iova_hist_reset(struct iova_hist *h);
/** Record one value v. */
void iova_hist_record(struct iova_hist *h, uint64_t v);
/** Record the value v n times (one bucket update; n = 0 records nothing). */
void iova_hist_record_n(struct iova_hist *h, uint64_t v, uint64_t n);
/**
 * Value at quantile q (clamped to 0..1): the midpoint of the bucket holding the
 * ceil(q * count)-th smallest value, clamped to [min, max]. 0 when empty.
 */
uint64_t iova_hist_quantile(const struct iova_hist *h, double q);

/* ======================================================================
 * 2. Soft VT-d parameters (the unit itself is internal: iova_vtd.h).
 * ====================================================================== */

/** Geometry and modeled latency of a software Intel VT-d unit (vtd_soft.c). */
struct vtd_soft_params {
	unsigned int
		haw; /**< IOVA width in bits (default 48, 39..57): >= 48 allows 3- and 4-level tables, less 3-level only. Entry address fields are fixed at 48 bits (host addresses are process VAs). */
	unsigned int iotlb_sets; /**< IOTLB sets (default 64, at most 65536) */
	unsigned int iotlb_ways; /**< IOTLB ways per set (default 8, at most 64) */
	unsigned int ctx_cache_entries; /**< context-cache entries (default 16) */
	unsigned int
		qi_entries; /**< invalidation queue length in 128-bit descriptors (default 256; a power of two in 256..32768, VT-d 10.4.24 IQA.QS) */
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

/** Fill p with the defaults above. NULL is a no-op. */
void vtd_soft_default_params(struct vtd_soft_params *p);

struct vtd_soft; /**< a soft VT-d unit (its register-level API is internal: iova_vtd.h) */

/** Hardware-side counters of a soft VT-d unit, monotonic since creation. */
struct vtd_soft_stats {
	uint64_t
		translations; /**< vtd_soft_translate() requests (one per DMA, whatever its length) */
	uint64_t iotlb_hits, iotlb_misses; /**< IOTLB lookups (VT-d 6.2.2) */
	uint64_t page_walks; /**< second-level page walks (IOTLB misses that walked) */
	uint64_t ctx_hits, ctx_misses; /**< context-cache lookups (VT-d 6.2.1) */
	uint64_t faults; /**< fault records written (VT-d 7.1.3) */
	uint64_t qi_descs; /**< queued-invalidation descriptors executed (VT-d 6.5.2) */
	uint64_t inv_iotlb_global, inv_iotlb_domain,
		inv_iotlb_page; /**< IOTLB invalidations by granularity */
	uint64_t inv_ctx, inv_wait; /**< context-cache invalidations, wait descriptors */
	uint64_t
		stale_hits; /**< translations served by an IOTLB entry whose PTE is no longer present */
	/* interrupt remapping (VT-d ch. 5) */
	uint64_t ir_requests; /**< interrupt requests (MSI writes) seen */
	uint64_t ir_remapped, ir_posted; /**< requests remapped / posted through an IRTE */
	uint64_t ir_compat; /**< requests passed through unremapped (IR off, or CFIS = 1) */
	uint64_t ir_blocked; /**< requests blocked with an interrupt-remapping fault */
	uint64_t iec_hits, iec_misses; /**< interrupt-entry cache lookups */
	uint64_t inv_iec; /**< interrupt-entry cache invalidation descriptors */
};

/** Snapshot unit v's counters into *st (consistent: taken under the unit lock). NULL v or st: no-op. */
void vtd_soft_get_stats(const struct vtd_soft *v, struct vtd_soft_stats *st);

/* ======================================================================
 * 3. Backends and emulation modes: one ops table for all.
 *    Callers hold a struct iova_backend * and destroy it with b->ops->destroy(b)
 *    unless ownership passed to a context (iova_ctx_create()).
 * ====================================================================== */

struct iova_backend;
struct iova_irq;

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
	/** Hardware side, one bounded round (see iova_backend_poll()); NULL: nothing to run. */
	int (*poll)(struct iova_backend *b);
	/** See iova_backend_set_polled(); NULL: -ENOTSUP. */
	int (*set_polled)(struct iova_backend *b, bool on);
	/** Device-side interrupt message through the IOMMU's interrupt remapping (see
	 *  iova_ctx_interrupt()). NULL if the backend has none (VFIO: the host kernel owns it). */
	int (*interrupt)(struct iova_backend *b, uint16_t rid, uint64_t addr, uint32_t data,
			 struct iova_irq *out);
};

struct iova_backend {
	const struct iova_backend_ops *ops;
	void *priv;
	/** Guest-visible exits/traps caused, and IOTLB invalidation descriptors that reached the physical IOMMU. */
	uint64_t exits, phys_invalidations, phys_maps, phys_unmaps;
};

/**
 * Soft VT-d backend: its own vtd_soft unit (params p, NULL = defaults) brought up
 * by the driver as Linux intel-iommu does, one domain did (1..65535) with requester
 * rid (PCI bus << 8 | devfn, VT-d 3.4.1 source-id) attached. map/unmap edit the
 * domain's second-level table; dma translates through the unit's IOTLB and
 * page walk and records VT-d faults (7.1.3).
 * @return the backend, or NULL with errno EINVAL (did 0, bad params; a message
 *         names the parameter), ENOMEM, ETIMEDOUT (unit bring-up).
 */
struct iova_backend *iova_backend_soft_create(const struct vtd_soft_params *p, uint16_t rid,
					      uint16_t did);
/** The vtd_soft unit behind a soft backend (for its counters), or NULL for any other backend (a mode wrapper, VFIO). */
struct vtd_soft *iova_backend_soft_unit(struct iova_backend *b);

/**
 * VFIO type1 backend over container_fd (from rte_vfio_get_container_fd(), or -1 to
 * open /dev/vfio/vfio and attach group `group_path`, e.g. "/dev/vfio/12").
 * map/unmap are VFIO_IOMMU_MAP_DMA / VFIO_IOMMU_UNMAP_DMA (the kernel invalidates
 * synchronously inside UNMAP: inv_* are counted no-ops; Linux
 * drivers/vfio/vfio_iommu_type1.c). dma is -ENOTSUP (no software device side).
 * @return the backend, or NULL with errno from open()/ioctl() (a message names the
 *         ioctl and the fix, e.g. the group path), or ENOMEM.
 */
struct iova_backend *iova_backend_vfio_create(int container_fd, const char *group_path);

/** Guest-IOMMU emulation modes (vIOMMU paper, section 3). */
enum iova_mode {
	IOVA_MODE_NATIVE =
		0, /**< the guest owns the IOMMU: ops go straight to the physical backend */
	IOVA_MODE_TRAP_EMULATE, /**< each guest IQT write is a synchronous exit to a VMM thread that shadows (QEMU intel-iommu, caching mode) */
	IOVA_MODE_SIDECORE, /**< a VMM thread on another core polls guest registers in shared memory */
};

/** iova_mode_params.vmm_cpu for the sidecore: no VMM thread; the caller runs the sidecore
 *  from its own polling loop with iova_backend_poll() (the device core). */
#define IOVA_VMM_POLLED (-2)

struct iova_mode_params {
	int vmm_cpu; /**< CPU for the VMM / sidecore thread, -1 = any; sidecore: IOVA_VMM_POLLED */
	/** Modeled cost of one VM exit + entry round trip in ns (trap-and-emulate only); default 0 = only the real thread handoff. Printed in reports. */
	uint64_t vmexit_ns;
};

/**
 * Wrap phys in an emulated guest IOMMU. In trap-and-emulate and sidecore the returned
 * backend keeps guest page tables and a guest invalidation queue in memory, and a VMM
 * thread validates guest descriptors, walks guest tables and shadows into phys
 * (QEMU hw/i386/intel_iommu.c, caching mode). In native mode returns phys itself.
 * Takes ownership of phys on success.
 * @return the backend, or NULL with errno EINVAL (phys NULL, unknown mode), ENOMEM,
 *         or pthread_create()'s error (e.g. EAGAIN).
 */
struct iova_backend *iova_mode_wrap(enum iova_mode mode, const struct iova_mode_params *p,
				    struct iova_backend *phys);

/**
 * Run the IOMMU's hardware side for one bounded round, from the core that plays the
 * hardware (the device core): the sidecore VMM of a wrapper made with vmm_cpu
 * IOVA_VMM_POLLED (one pass over the guest's invalidation queue), then the physical
 * unit's queued invalidations when they are polled (iova_backend_set_polled()).
 * The thread that calls it becomes the unit's hardware thread.
 * @return work items done (>= 0), -EINVAL for NULL.
 */
int iova_backend_poll(struct iova_backend *b);

/**
 * Soft VT-d (also through a mode wrapper): with on, queued invalidations are executed only
 * by iova_backend_poll() -- the hardware thread -- never at the IQT write nor by a driver
 * spinning on its wait descriptor (unless that driver runs on the hardware thread itself,
 * e.g. a polled sidecore). An invalidation wait then costs a real cross-core round trip
 * plus the IOTLB work. Off (the default): executed inline, as before.
 * @return 0, -ENOTSUP (no soft unit: VFIO), -EINVAL for NULL.
 */
int iova_backend_set_polled(struct iova_backend *b, bool on);

/* ======================================================================
 * 4. Strategies and the per-device context (iova_ctx.c, strat_*.c).
 * ====================================================================== */

enum iova_strategy {
	IOVA_STRAT_OFF = 0, /**< no IOMMU: iova == host address, no cost (baseline) */
	IOVA_STRAT_STRICT, /**< unmap: clear PTE, invalidate page, wait; then free the IOVA */
	IOVA_STRAT_DEFERRED, /**< Linux flush queue: batch until fq_size entries or fq_timeout_ns */
	IOVA_STRAT_OPTIMISTIC, /**< vIOMMU optimistic teardown: keep stale mappings up to quota/time, reuse live ones */
	IOVA_STRAT_PERSISTENT, /**< map once, never unmap */
	IOVA_STRAT_SHARED, /**< one refcounted mapping per host page */
	IOVA_STRAT_RING, /**< ours: ring-contiguous IOVAs, strict per-burst batched invalidation (rIOMMU spirit) */
	IOVA_STRAT_POOL, /**< ours: buffers in registered pools are mapped once, whole (DAMN spirit); others strict */
	IOVA_STRAT__COUNT
};

struct iova_ctx_params {
	enum iova_strategy strategy;
	enum iova_mode mode;
	struct iova_mode_params mode_params;
	unsigned int nb_cpus; /**< CPU slots and allocator magazine sets (1..4096; 0 = 1) */
	unsigned int fq_size; /**< deferred: entries per flush queue (default 256) */
	uint64_t fq_timeout_ns; /**< deferred: flush timeout (default 10 ms) */
	unsigned int opt_quota; /**< optimistic: stale-mapping quota (default 256) */
	uint64_t opt_timeout_ns; /**< optimistic: stale-mapping time limit (default 10 ms) */
	/** IOVA space in pfns, inclusive (default [1, 2^36 - 1]: a 48-bit domain). 0 = default.
	 *  With a VFIO backend the range is clamped to the container's aperture
	 *  (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE; QEMU's intel-iommu defaults to 39 bits). */
	uint64_t iova_base_pfn, iova_limit_pfn;
	/** Cycle histograms (map_cycles_p50 ...): record one call in every hist_period per CPU
	 *  slot, the first call of each slot included (0 = default 64; 1 = every call, as
	 *  iova-microbench wants; UINT_MAX = practically never). Unsampled calls read no TSC. */
	unsigned int hist_period;
};

/** Per-context counters. Stale window = a freed buffer still device-reachable. */
struct iova_ctx_stats {
	uint64_t maps, unmaps; /**< map/unmap requests from the user */
	uint64_t backend_maps, backend_unmaps; /**< PTE changes actually made */
	uint64_t invalidations; /**< IOTLB invalidation descriptors issued */
	uint64_t waits; /**< synchronous invalidation waits */
	uint64_t wait_cycles; /**< TSC cycles spent in those waits (submit to completion) */
	uint64_t reuse_hits; /**< maps served by an existing live mapping */
	uint64_t exits; /**< guest IOMMU exits (trap-and-emulate) */
	uint64_t stale_max_entries; /**< most freed-but-reachable buffers at once */
	uint64_t stale_max_ns; /**< longest a freed buffer stayed reachable */
	uint64_t stale_now; /**< currently freed-but-reachable */
	/** TSC cycles per 4 KiB page of iova_ctx_map / iova_ctx_unmap (and _bulk), from a
	 *  histogram of the sampled calls (one in hist_period per CPU slot) since creation or
	 *  the last iova_ctx_reset_stats(); 0 if none was sampled. */
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
/** Tear down every mapping the strategy keeps, destroy the backend it owns, free c. NULL is a no-op. */
void iova_ctx_destroy(struct iova_ctx *c);

/**
 * Map one buffer [host, host+len) bytes for DMA with prot (IOVA_PROT_*); host need
 * not be page aligned; the IOVA returned keeps host's page offset. cpu selects the
 * per-CPU slot (counters, allocator magazine; IOVA_ANY_CPU: the shared slot, no magazine),
 * folded below nb_cpus. Thread-safe: off, strict and deferred run on the caller's slot
 * without any ctx-wide lock (two lcores with different cpu values never wait for each
 * other in lib/iova, except that deferred's flush covers every CPU's queue, Linux
 * dma-iommu.c's per-CPU flush queues; the physical IOMMU's invalidation queue is still
 * one, as on hardware); the other strategies keep shared state and serialise on the ctx
 * lock (iova_ctx.c C1-C9).
 * @return 0 with *iova; -EINVAL (len 0, prot 0), -ENOMEM (IOVA space or memory),
 *         or the backend's map error (e.g. -EEXIST, -EIO from an emulated IOMMU).
 */
int iova_ctx_map(struct iova_ctx *c, void *host, size_t len, int prot, unsigned int cpu,
		 uint64_t *iova);
/**
 * Unmap a buffer mapped by iova_ctx_map() (same iova and len bytes). Applies the
 * strategy's teardown (strict: PTE cleared, invalidated and waited for before
 * returning; deferred/optimistic: later, counted in the stale window).
 * @return 0; -EINVAL (not a mapped buffer of this ctx), or the backend's error.
 */
int iova_ctx_unmap(struct iova_ctx *c, uint64_t iova, size_t len, unsigned int cpu);
/**
 * Batch forms of iova_ctx_map()/iova_ctx_unmap() for n buffers of len bytes each:
 * one burst, the natural unit for batching strategies (ring). map is all or
 * nothing; unmap processes every buffer and returns the first error.
 * @return 0 or -errno as the single-buffer forms.
 */
int iova_ctx_map_bulk(struct iova_ctx *c, void *const *host, size_t len, int prot, unsigned int cpu,
		      uint64_t *iova, unsigned int n);
int iova_ctx_unmap_bulk(struct iova_ctx *c, const uint64_t *iova, size_t len, unsigned int cpu,
			unsigned int n);
/** Run timers (deferred flush timeout fq_timeout_ns, optimistic opt_timeout_ns). Call from the datapath loop.
 *  deferred's takes no ctx-wide lock (any lcore may run the timeout, once); optimistic's takes the ctx lock. */
void iova_ctx_poll(struct iova_ctx *c, unsigned int cpu);
/**
 * Device-side access of len bytes at iova through the physical IOMMU (see
 * iova_backend_ops.dma): what the device would reach.
 * @return 0 with *host; -EFAULT (IOMMU fault, recorded by the soft VT-d), -ERANGE
 *         (pages not contiguous in host memory), -ENOTSUP (VFIO: no device side).
 */
int iova_ctx_dma(struct iova_ctx *c, uint64_t iova, size_t len, int access, void **host);
/** Snapshot the counters into *st: the per-CPU slots are summed (each read under its slot
 *  lock), the shared counters read under the ctx lock. Counters of calls still running on
 *  other threads may or may not be included. */
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
/** Zero the counters and cycle histograms (after warm-up). */
void iova_ctx_reset_stats(struct iova_ctx *c);
/** The top backend of c (the mode wrapper, or the physical backend), still owned by c. */
struct iova_backend *iova_ctx_backend(struct iova_ctx *c);

/** Names exactly as the CLI, the report and results.json use them. */
const char *iova_strategy_name(
	enum iova_strategy
		s); /**< "off","strict","deferred","optimistic","persistent","shared","ring","pool" */
int iova_strategy_parse(const char *name); /**< enum value or -EINVAL */
const char *iova_mode_name(enum iova_mode m); /**< "native","trap-and-emulate","sidecore" */
int iova_mode_parse(const char *name); /**< enum value or -EINVAL */

/* ======================================================================
 * 5. DPDK mempool driver (iova_mempool.c). Ops name "iova".
 *    dequeue: map each buffer, set mbuf->buf_iova; enqueue: unmap per strategy.
 * ====================================================================== */

struct rte_mempool;

/**
 * Create a pktmbuf pool whose buffers are mapped through ctx. cache_size is passed
 * to DPDK; a per-lcore cache keeps freed buffers mapped (see iova_mempool.c for the
 * interaction with each strategy); 0 gives exact per-buffer semantics.
 * n buffers of data_room_size bytes (DPDK rte_pktmbuf_pool_create() semantics).
 * @return the pool, or NULL with rte_errno set (EINVAL: name or ctx NULL, n 0; ENOMEM; or the
 *         mempool's error).
 */
struct rte_mempool *iova_pktmbuf_pool_create(const char *name, unsigned int n,
					     unsigned int cache_size, uint16_t data_room_size,
					     int socket_id, struct iova_ctx *ctx);

/**
 * As iova_pktmbuf_pool_create(), with the buffers laid into caller memory [va, va+len)
 * of page size pg_sz (rte_mempool_populate_virt). Register the area first with
 * rte_extmem_register(va, len, NULL, 0, pg_sz): DPDK does not map such memory for DMA
 * (rte_memory.h; DPDK prog guide "Support for Externally Allocated Memory"), so with the
 * VFIO backend the device reaches a buffer only through the strategy's mapping. The pool
 * does not free the area.
 * @return the pool, or NULL with rte_errno: EINVAL (va/len/pg_sz not page-aligned powers
 *         of two), ENOSPC (len too small: see iova_pktmbuf_pool_mem_size()), or DPDK's.
 */
struct rte_mempool *iova_pktmbuf_pool_create_mem(const char *name, unsigned int n,
						 unsigned int cache_size, uint16_t data_room_size,
						 int socket_id, struct iova_ctx *ctx, void *va,
						 size_t len, size_t pg_sz);
/** Bytes of pg_sz-page memory iova_pktmbuf_pool_create_mem() needs for n buffers (0: an object does not fit a page). */
size_t iova_pktmbuf_pool_mem_size(unsigned int n, uint16_t data_room_size, size_t pg_sz);

/** Fault injection into an iova pool (containment tests). */
enum iova_mp_fault_mode {
	IOVA_MP_FAULT_NONE = 0,
	IOVA_MP_FAULT_UNMAP, /**< poison the picked buffer and remove its mapping at fire */
	IOVA_MP_FAULT_POISON, /**< poison only: the positive control (the DMA must arrive) */
};

/** What happened to the picked buffer (iova_mempool_fault_report()). */
struct iova_mp_fault_report {
	enum iova_mp_fault_mode mode;
	bool picked; /**< a buffer was dequeued after arming */
	bool fired; /**< its backend mapping was removed (UNMAP) */
	bool returned; /**< it came back to the pool (bytes compared, mapping restored) */
	bool unchanged; /**< its data room still held only the poison byte 0xa5 */
	uint32_t bytes_changed; /**< bytes of the data room that differ from the poison */
	uint16_t
		rx_len; /**< mbuf data_len when it came back: > 0 = the NIC completed an RX descriptor with it */
	uint64_t iova; /**< mbuf buf_iova (start of the data room) */
	uint64_t page_iova; /**< first IOVA page unmapped at fire */
	uint64_t pages; /**< 4 KiB pages unmapped */
	uintptr_t va; /**< mbuf buf_addr */
	int error; /**< first backend error (-errno), 0 if none */
};

/**
 * Arm fault injection: the next buffer dequeued from mp (e.g. by the PMD filling its RX
 * ring at rte_eth_dev_start) is picked and its data room filled with 0xa5.
 * @return 0; -EINVAL (not an iova pool or bad mode), -EBUSY (already armed),
 *         -ENOTSUP (UNMAP needs IOVA_STRAT_STRICT: one backend mapping per buffer).
 */
int iova_mempool_fault_arm(struct rte_mempool *mp, enum iova_mp_fault_mode mode);
/**
 * UNMAP: remove the picked buffer's backend mapping now (ops->unmap, then an invalidation
 * with wait), bypassing the strategy, while the buffer is still posted to the device.
 * POISON: no-op. When the buffer returns to the pool its bytes are compared and the
 * mapping restored before the strategy's own unmap. Call from the thread that uses mp.
 * @return 0, -EINVAL (not armed), -ENOENT (nothing picked yet, or already returned), or
 *         the backend's error.
 */
int iova_mempool_fault_fire(struct rte_mempool *mp);
/** Copy the fault-injection state. @return 0 or -EINVAL (not an iova pool). */
int iova_mempool_fault_report(const struct rte_mempool *mp, struct iova_mp_fault_report *r);

/* ======================================================================
 * 6. Interrupt remapping (soft VT-d, VT-d ch. 5). lib/iova DECODES an
 *    interrupt message and never delivers it: the device model hands the result
 *    to whoever delivers (remapped: the host IRQ handler -> VMM; posted: the
 *    vCPU's posted-interrupt descriptor, lib/irqpost).
 * ====================================================================== */

/** How the IOMMU handled an interrupt message. */
enum iova_irq_kind {
	IOVA_IRQ_COMPAT =
		0, /**< not remapped: remapping off (GSTS.IRES = 0), or compatibility format with GSTS.CFIS = 1 */
	IOVA_IRQ_REMAPPED, /**< remapped-format IRTE: a host interrupt, vector to APIC ID dest */
	IOVA_IRQ_POSTED, /**< posted-format IRTE: post vector into the PI descriptor at pi_desc */
};

/** The decoded result of one interrupt message; the caller delivers it. */
struct iova_irq {
	enum iova_irq_kind kind;
	uint32_t index; /**< IRTE index (remapped / posted) */
	uint8_t vector; /**< remapped / compat: host vector; posted: guest vector */
	uint32_t dest; /**< remapped / compat: destination APIC ID */
	bool dm, rh, tm; /**< destination mode (logical), redirection hint, trigger mode (level) */
	uint8_t dlm; /**< delivery mode (0 fixed) */
	uint64_t
		pi_desc; /**< posted: posted-interrupt descriptor address (IRTE PDA, 64-byte aligned) */
	bool urg; /**< posted: IRTE URG */
};

/**
 * Device side: the interrupt message (an MSI write of data to addr) from requester
 * rid through the physical IOMMU's interrupt remapping (VT-d 5.1; QEMU
 * vtd_interrupt_remap_msi()). Like iova_ctx_dma() for DMA.
 * @return 0 with *out; -EFAULT when the IOMMU blocked it (a VT-d fault 20h-27h is
 *         recorded: forged source-id 26h, unprogrammed entry 22h, index beyond the
 *         table 21h, compatibility format while remapping is enforced 25h, ...);
 *         -ENOTSUP without a soft VT-d (IOVA_STRAT_OFF, VFIO); -EINVAL (NULL).
 */
int iova_ctx_interrupt(struct iova_ctx *c, uint16_t rid, uint64_t addr, uint32_t data,
		       struct iova_irq *out);

/**
 * Host side, what the host kernel does for an assigned device (Linux
 * drivers/iommu/intel/irq_remapping.c): enable interrupt remapping on the soft
 * backend's unit with a table of entries IRTEs (power of two, 2..65536; xAPIC
 * destinations); compatibility-format interrupts are blocked from then on.
 * Without this call the unit does not remap (a host without IR).
 * @return 0; -EINVAL (not a soft backend, bad entries), -EBUSY (already on), -ENOMEM.
 */
int iova_backend_soft_ir_enable(struct iova_backend *b, unsigned int entries);
/**
 * Allocate count (1..32) IRTEs, a naturally aligned power-of-two block, for one
 * device's MSI-X vectors. @return 0 with *base; -ENOSPC, -EINVAL, -ENODEV (IR off).
 */
int iova_backend_soft_ir_alloc(struct iova_backend *b, unsigned int count, uint16_t *base);
/**
 * Program IRTE index as remapped: host vector to APIC ID dest (fixed, physical, edge),
 * source validation against requester rid (SVT = 1, SQ = 0). Invalidates the
 * interrupt-entry cache for it and waits. @return 0; -EINVAL (not allocated), -ETIMEDOUT, -EIO.
 */
int iova_backend_soft_ir_set_remapped(struct iova_backend *b, uint16_t index, uint16_t rid,
				      uint8_t vector, uint32_t dest);
/**
 * Program IRTE index as posted (KVM's vmx_pi_update_irte()): guest vector into the
 * posted-interrupt descriptor at pi_desc (64-byte aligned), source-validated against
 * rid. @return as iova_backend_soft_ir_set_remapped(); -EINVAL for a misaligned pi_desc.
 */
int iova_backend_soft_ir_set_posted(struct iova_backend *b, uint16_t index, uint16_t rid,
				    uint8_t vector, uint64_t pi_desc);
/** The remappable-format MSI message for sub-vector sub of a block at base (Linux fill_msi_msg(): SHV = 1, data = sub). */
void iova_ir_msi_remappable(uint16_t base, unsigned int sub, uint64_t *addr, uint32_t *data);
/** The compatibility-format MSI message of a host without IR: vector to APIC ID dest (fixed, physical, edge). */
void iova_ir_msi_compat(uint8_t dest, uint8_t vector, uint64_t *addr, uint32_t *data);

#ifdef __cplusplus
}
#endif
#endif /* IOVA_H */
