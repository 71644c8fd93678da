/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file iova_priv.h
 * @internal
 * lib/iova internals of the "software half": the strategy interface that
 * iova_ctx.c drives, the context object the strategies share, the stale-window
 * bookkeeping, spin helpers, a small intrusive hash table (iova_htab.c), the
 * allocator (iova_alloc.h), and hooks the tests use to reach into the emulation
 * modes, the pool strategy and the mempool driver.
 *
 * Nothing here is part of the public contract (iova.h). It is plain C11 + POSIX:
 * the VFIO backend, the context, the strategies and the modes build without DPDK
 * so that iova-vfio-probe can be linked statically.
 */
#ifndef IOVA_PRIV_H
#define IOVA_PRIV_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "iova.h"
#include "iova_alloc.h"
#include "iova_vtd.h"

/* ---------------------------------------------------------------------- */
/* Time                                                                    */
/* ---------------------------------------------------------------------- */

/** Spin-wait hint (x86 PAUSE). */
static inline void iova_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	_mm_pause();
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/** Busy-wait ns nanoseconds (the modeled VM-exit cost; never a sleep). */
static inline void iova_spin_ns(uint64_t ns)
{
	if (!ns)
		return;
	uint64_t end = iova_now_ns() + ns;
	while (iova_now_ns() < end)
		iova_cpu_relax();
}

/* ---------------------------------------------------------------------- */
/* Histogram internals (iova_hist.c; the histogram itself is public, iova.h) */
/* ---------------------------------------------------------------------- */

/** Bucket index of v (< IOVA_HIST_BUCKETS). Values below 2 * IOVA_HIST_SUB have their own bucket. */
unsigned int iova_hist_bucket(uint64_t v);
/** Lowest value of bucket i (< IOVA_HIST_BUCKETS) in *lo and the bucket's width in *width. */
void iova_hist_bucket_range(unsigned int i, uint64_t *lo, uint64_t *width);

/* ---------------------------------------------------------------------- */
/* Intrusive chained hash of uint64_t keys (iova_htab.c)                   */
/* ---------------------------------------------------------------------- */

struct iova_hnode {
	struct iova_hnode *next;
	uint64_t key;
};

struct iova_htab {
	struct iova_hnode **b;
	size_t mask; /**< bucket count - 1 (power of two) */
	size_t count;
};

int iova_htab_init(struct iova_htab *h, size_t hint);
void iova_htab_fini(struct iova_htab *h);
/** Insert n with key (duplicates allowed; lookup returns the newest). Grows the table when
 *  the load passes 1; if growing fails the table stays valid, only slower. */
void iova_htab_insert(struct iova_htab *h, struct iova_hnode *n, uint64_t key);
struct iova_hnode *iova_htab_lookup(const struct iova_htab *h, uint64_t key);
/** Unlink n (must be in h). */
void iova_htab_remove(struct iova_htab *h, struct iova_hnode *n);
/** Visit every node; fn may not modify h. */
void iova_htab_foreach(const struct iova_htab *h, void (*fn)(struct iova_hnode *n, void *arg),
		       void *arg);

#define iova_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - __builtin_offsetof(type, member)))

/* ---------------------------------------------------------------------- */
/* Requests and the strategy interface                                     */
/* ---------------------------------------------------------------------- */

/** One buffer in page units, as the strategies see it. */
struct iova_req {
	uintptr_t host_page; /**< host address of the first page (4 KiB aligned) */
	uint64_t npages; /**< pages the buffer spans */
	uint64_t pfn; /**< IOVA page frame: out of map, in to unmap */
	int prot; /**< IOVA_PROT_* */
};

struct iova_ctx;

/**
 * One DMA-mapping strategy. Called with the context lock held, unless percpu or
 * own_locks says otherwise (iova_ctx.c C1, C2, C9).
 * map:   map n buffers, fill r[i].pfn; all or nothing (on failure nothing stays mapped
 *        and nothing leaks); 0 or -errno.
 * unmap: tear down n buffers per the strategy; 0 or the first -errno (the rest are still
 *        processed). r[i].host_page is 0 (unknown) on unmap.
 * poll:  run timers at now_ns (deferred timeout, optimistic time limit). May be NULL.
 * oldest_stale_ns: unmap time of the oldest still-reachable freed buffer, 0 if none.
 *        May be NULL (strategies that never leave one: strict, shared, ring).
 */
struct iova_strat_ops {
	const char *name;
	/** map/unmap keep no state of their own (only the thread-safe allocator and backend):
	 *  iova_ctx calls them without c->lock, concurrently from different CPU slots
	 *  (iova_ctx.c C2). false: every call runs under c->lock. */
	bool percpu;
	/** map/unmap/poll keep state of their own behind the strategy's own locks, one per CPU
	 *  slot (deferred: a flush queue per CPU, each with a spinlock, and atomic flush
	 *  counters): iova_ctx calls them without c->lock (iova_ctx.c C9). Its locks sit
	 *  below slot->lock and c->lock, above the backend and the allocator; it never holds
	 *  two of them at once. false (and !percpu): every call runs under c->lock. */
	bool own_locks;
	int (*init)(struct iova_ctx *c);
	void (*fini)(struct iova_ctx *c);
	int (*map)(struct iova_ctx *c, struct iova_req *r, unsigned int n, unsigned int cpu);
	int (*unmap)(struct iova_ctx *c, const struct iova_req *r, unsigned int n,
		     unsigned int cpu);
	void (*poll)(struct iova_ctx *c, unsigned int cpu, uint64_t now_ns);
	uint64_t (*oldest_stale_ns)(const struct iova_ctx *c);
	/** pool only (NULL elsewhere): see iova_ctx_register_pool() / _unregister_pool(). */
	int (*register_pool)(struct iova_ctx *c, uintptr_t va, size_t len);
	int (*unregister_pool)(struct iova_ctx *c, uintptr_t va);
};

extern const struct iova_strat_ops iova_strat_off_ops;
extern const struct iova_strat_ops iova_strat_strict_ops;
extern const struct iova_strat_ops iova_strat_deferred_ops;
extern const struct iova_strat_ops iova_strat_optimistic_ops;
extern const struct iova_strat_ops iova_strat_persistent_ops;
extern const struct iova_strat_ops iova_strat_shared_ops;
extern const struct iova_strat_ops iova_strat_ring_ops;
extern const struct iova_strat_ops iova_strat_pool_ops;

/** strict building blocks, reused by shared (teardown on 1->0): one buffer, synchronous. */
int iova_strict_map_one(struct iova_ctx *c, struct iova_req *r, unsigned int cpu);
int iova_strict_unmap_one(struct iova_ctx *c, const struct iova_req *r, unsigned int cpu);

/**
 * Mapping-reuse engine (strat_cache.c) behind optimistic, persistent and shared:
 * one mapping per (host page run, prot), refcounted by in-flight maps; at refcount 0
 * it either stays live on an LRU (optimistic: up to quota / timeout_ns; persistent:
 * forever) or is torn down strictly (shared: quota 0).
 */
struct iova_cache_cfg {
	uint64_t quota; /**< max stale (refcount-0, still mapped) entries; 0 = tear down at once */
	uint64_t timeout_ns; /**< max time an entry may stay stale; 0 = no limit */
	uint64_t batch; /**< entries evicted together when over quota (one wait) */
};
int iova_cache_init(struct iova_ctx *c, const struct iova_cache_cfg *cfg);
void iova_cache_fini(struct iova_ctx *c);
int iova_cache_map(struct iova_ctx *c, struct iova_req *r, unsigned int n, unsigned int cpu);
int iova_cache_unmap(struct iova_ctx *c, const struct iova_req *r, unsigned int n,
		     unsigned int cpu);
void iova_cache_poll(struct iova_ctx *c, unsigned int cpu, uint64_t now_ns);
uint64_t iova_cache_oldest_stale(const struct iova_ctx *c);

/**
 * One CPU slot of a context (iova_ctx.c C2-C4): the counters of the calls made with that
 * cpu value, on its own cache line. lock serialises the threads that share the slot (the
 * same cpu value, cpu values equal modulo nb_cpus, or IOVA_ANY_CPU); with one lcore per
 * slot it is never contended.
 */
struct iova_ctx_slot {
	pthread_spinlock_t lock;
	/** map / unmap calls until the next sampled one (0: sample this one); two counters so
	 *  that alternating maps and unmaps cannot alias with the period */
	unsigned int hist_left[2];
	uint64_t maps, unmaps; /**< user requests of this slot */
} __attribute__((aligned(64)));

/** The context (one per device / DMA domain). */
struct iova_ctx {
	struct iova_ctx_params p;
	const struct iova_strat_ops *ops;
	void *sp; /**< strategy private state */
	struct iova_backend *be; /**< top backend: mode wrapper or physical */
	struct iova_allocator *alloc;
	unsigned int nb_cpus; /**< >= 1 */
	pthread_mutex_t lock; /**< the shared slow path: strategy state (C1) */
	struct iova_ctx_slot *slot; /**< nb_cpus + 1 slots; [nb_cpus] is IOVA_ANY_CPU's */

	/** counters: backend_maps/unmaps, invalidations, waits, wait_cycles and stale_* are
	 *  atomics (relaxed, written by iova_be_* / iova_stale_* from any slot, C5);
	 *  reuse_hits is written under c->lock; maps/unmaps live in the slots (cycle
	 *  percentiles filled on read) */
	struct iova_ctx_stats st;
	uint64_t exits_base; /**< be->exits at the last reset */
	pthread_spinlock_t hist_lock; /**< map_hist, unmap_hist (sampled calls only, C4) */
	struct iova_hist map_hist, unmap_hist; /**< cycles per page of the sampled calls */
};

/** Map a user cpu argument onto an allocator magazine index. */
static inline unsigned int iova_ctx_cpu(const struct iova_ctx *c, unsigned int cpu)
{
	if (cpu == IOVA_ANY_CPU || c->p.nb_cpus == 0)
		return IOVA_ANY_CPU;
	return cpu % c->p.nb_cpus;
}

/* ---- Counted backend operations (every strategy goes through these) ---- */

int iova_be_map(struct iova_ctx *c, uint64_t pfn, uintptr_t host_page, uint64_t npages, int prot);
int iova_be_unmap(struct iova_ctx *c, uint64_t pfn, uint64_t npages);
/** Queue an invalidation of npages from pfn (0 = whole domain); counts descriptors. */
int iova_be_inv(struct iova_ctx *c, uint64_t pfn, uint64_t npages);
/** Submit queued invalidations and wait (counts one wait). */
int iova_be_flush_wait(struct iova_ctx *c);

/**
 * Queue page-selective invalidations covering the page ranges of r[0..n) with as
 * few aligned power-of-two blocks (VT-d AM) as possible; over-invalidation of at
 * most 2x the covered pages is accepted to merge neighbours (invalidating a live
 * or absent translation is harmless, VT-d 6.5.2.3). Does not flush. Sorts r by pfn.
 * @return descriptors queued (as counted), or -errno.
 */
int iova_be_inv_cover(struct iova_ctx *c, struct iova_req *r, unsigned int n);

/** True if the backend is an emulated guest IOMMU with CAP.CM=1: new mappings must be invalidated too. */
bool iova_be_caching_mode(const struct iova_backend *b);

/**
 * After new PTEs: the caching-mode invalidation (Linux iommu_flush_iotlb_psi on map when
 * cap_caching_mode). No-op unless iova_be_caching_mode(). 0 or -errno.
 */
int iova_be_sync_map(struct iova_ctx *c, uint64_t pfn, uint64_t npages);

/* ---- Stale window bookkeeping ---- */

/** n freed buffers became device-reachable-but-freed (user unmap returned before invalidation). */
void iova_stale_open(struct iova_ctx *c, uint64_t n);
/** One stale buffer, freed at t_unmap_ns, stopped being reachable at now_ns. */
void iova_stale_close(struct iova_ctx *c, uint64_t t_unmap_ns, uint64_t now_ns);

/* ---- IOVA allocation helpers (counted in the allocator's own stats) ---- */

int iova_ctx_alloc_pfn(struct iova_ctx *c, uint64_t npages, unsigned int cpu, uint64_t *pfn);
void iova_ctx_free_pfn(struct iova_ctx *c, uint64_t pfn, uint64_t npages, unsigned int cpu);

/* ---------------------------------------------------------------------- */
/* Emulation-mode internals (mode_emul.c), for tests and the ctx            */
/* ---------------------------------------------------------------------- */

/** True if b was made by iova_mode_wrap() in trap-and-emulate or sidecore mode. */
bool iova_mode_is_wrapper(const struct iova_backend *b);

/** The physical backend under a mode wrapper; b itself if b is not a wrapper. */
struct iova_backend *iova_mode_phys(struct iova_backend *b);

/** Stop the VMM thread, free the wrapper and return the physical backend it owned (not destroyed). */
struct iova_backend *iova_mode_unwrap(struct iova_backend *b);

/** Counters of an emulated guest IOMMU. */
struct iova_mode_stats {
	uint64_t exits; /**< synchronous guest->VMM handoffs (trap-and-emulate) */
	uint64_t doorbells; /**< guest IQT writes */
	uint64_t descs; /**< guest descriptors the VMM processed */
	uint64_t
		descs_rejected; /**< descriptors the VMM refused (reserved bits, unknown type): IQE */
	uint64_t shadow_maps, shadow_unmaps; /**< pages mirrored into the physical backend */
	uint64_t waits_completed; /**< guest wait descriptors whose status the VMM wrote */
	uint64_t shadow_pages; /**< pages currently shadowed */
	uint64_t shadow_errors; /**< physical map/unmap calls that failed while shadowing (the
				  *   guest's next wait returns -EIO) */
};

/** @return 0, or -EINVAL if b is not a mode wrapper. */
int iova_mode_get_stats(struct iova_backend *b, struct iova_mode_stats *st);

/**
 * Test hook: put n raw 128-bit descriptors in the guest invalidation queue, append a
 * wait descriptor and ring the doorbell, as a (possibly buggy or hostile) guest driver
 * would. @return 0 when the VMM completed the wait; -EIO when it rejected a descriptor
 * (FSTS.IQE set, the queue head stops at the bad descriptor, as VT-d 6.5.2.10 says);
 * -EINVAL if b is not a wrapper.
 */
int iova_mode_guest_submit_raw(struct iova_backend *b, const struct vtd_desc *d, unsigned int n);

/**
 * Unmap and forget the pool registered at va (strict teardown: PTEs cleared,
 * invalidated and waited for before returning). No-op for other strategies.
 * @return 0, -ENOENT (no pool at va), -EBUSY (buffers of it still mapped).
 */
int iova_ctx_unregister_pool(struct iova_ctx *c, void *va);

struct rte_mempool;
/** The ctx a pool made by iova_pktmbuf_pool_create() maps through, or NULL for any other pool. */
struct iova_ctx *iova_mempool_ctx(const struct rte_mempool *mp);

/** VFIO backend: the container's usable IOVA aperture in pfns (from VFIO_IOMMU_GET_INFO). */
bool iova_backend_is_vfio(const struct iova_backend *b);
int iova_backend_vfio_aperture(struct iova_backend *b, uint64_t *lo_pfn, uint64_t *hi_pfn);

#endif /* IOVA_PRIV_H */
