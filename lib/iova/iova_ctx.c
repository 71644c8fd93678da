/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iova_ctx: the guest DMA-API layer. Turns buffers into page requests, runs the chosen
 * strategy, counts every backend operation, keeps the stale-window and sampled per-page
 * cycle statistics (iova.h section 4).
 *
 * Plain C11 + POSIX (no DPDK), so that the VFIO probe links statically.
 *
 * FAST PATH WITHOUT A GLOBAL LOCK (Linux drivers/iommu/iova.c per-CPU rcache; Peleg,
 * Morrison, Serebrin, Tsafrir, "Utilizing the IOMMU Scalably", USENIX ATC 2015): a call
 * runs on the CPU slot of its cpu argument. Strategies that keep no state of their own
 * (ops->percpu: off, strict) run entirely on that slot: the allocator's per-CPU magazine
 * and the backend, which has its own locks like real hardware's invalidation queue.
 * Strategies whose state is per CPU behind their own locks (ops->own_locks: deferred's
 * per-CPU flush queues, Linux dma-iommu.c's iova_fq) run on that slot too, taking only
 * their slot's lock of their own. Only strategies with shared state and no locks of
 * their own (the reuse engine's table, the ring window, the pool pages' refcounts) take
 * c->lock: the shared slow path.
 *
 * THREADS, INVARIANTS AND LOCK ORDER
 *  Any number of threads (lcores) may call the iova_ctx_* functions on one ctx.
 *  C1. c->lock (a mutex) serialises every call of a strategy with neither ops->percpu
 *      nor ops->own_locks (map, unmap, poll, register/unregister pool), every
 *      register/fini of any strategy and the poll of any strategy without own_locks:
 *      such a strategy's state (c->sp) and st.reuse_hits are touched only under it.
 *      The stale-window counters (st.stale_*) are atomics (iova_be.c), opened and
 *      closed under c->lock or, by an own_locks strategy, under its own locks (C9).
 *      A strategy never drops c->lock mid-operation, so it sees its state consistent at
 *      entry and leaves it consistent at exit (map is all or nothing).
 *  C2. A strategy with ops->percpu keeps no state of its own: its map/unmap run without
 *      c->lock, concurrently on different slots. What they share is thread-safe by
 *      itself: the allocator (iova_alloc.c I3, I6: each range has one owner, a double
 *      free is refused), the backend (vtd_drv domain and driver mutexes, the mode
 *      wrapper's glock, VFIO ioctls). strict keeps its guarantee under concurrency: its
 *      wait descriptor is queued after its own invalidation on the one queue, and a wait
 *      completes only after every earlier descriptor (VT-d 6.5.2.8), so the IOVA is
 *      freed, and can be handed out again, only after its invalidation completed.
 *  C3. Slot s = cpu % nb_cpus (IOVA_ANY_CPU: slot nb_cpus). slot->lock (a spinlock)
 *      serialises the threads that share a slot; slot->maps/unmaps and hist_left are
 *      written only under it. One lcore per cpu value never contends for it.
 *  C4. Cycle histograms: a slot samples one call in p.hist_period (the first one
 *      included); only a sampled call reads the TSC and records, under c->hist_lock.
 *  C5. Backend counters (st.backend_*, invalidations, waits, wait_cycles) and the
 *      stale-window counters (st.stale_now, stale_max_entries, stale_max_ns) are relaxed
 *      atomics added by iova_be_*() / iova_stale_*() from any slot (iova_be.c).
 *      iova_ctx_get_stats() sums the slots (each under its lock, one at a time) and reads
 *      the rest under c->lock; it never holds two of these locks at once (an own_locks
 *      strategy's oldest_stale_ns takes its locks under c->lock, one at a time, C9).
 *  C6. iova_ctx_dma() and iova_ctx_interrupt() (the device side) take no ctx lock: they
 *      go straight to the physical IOMMU, which has its own synchronisation (soft VT-d
 *      unit spinlock, lock-free page walk over release-published tables). A DMA racing an
 *      unmap sees either the old translation (until the invalidation executed: the stale
 *      window the strategies account for) or a fault, never a torn one.
 *  C7. The allocator is thread-safe (iova_alloc.c I6); its per-CPU magazine index is the
 *      slot index (iova_ctx_cpu()).
 *  C8. Bulk calls split into chunks of BULK_CHUNK; locks are dropped between chunks, so
 *      a bulk map is all-or-nothing for its caller (undone on failure) but other threads
 *      may interleave between chunks.
 *  C9. A strategy with ops->own_locks keeps per-CPU state behind locks of its own and
 *      shared state in atomics; iova_ctx calls its map, unmap and poll without c->lock,
 *      concurrently on different slots (init and fini still run alone, fini under
 *      c->lock; oldest_stale_ns runs under c->lock from iova_ctx_get_stats()). Its locks
 *      ("strategy slot locks": deferred's fq->lock, one per flush queue) sit below
 *      slot->lock and below c->lock (get_stats takes c->lock, then each one in turn) and
 *      above the backend and the allocator; it never holds two of them at once and
 *      never takes c->lock or a ctx slot lock. Its invariants are its own to keep under
 *      concurrency: deferred documents its flush-counter ordering (strat_deferred.c),
 *      the reason an IOVA is freed only after an invalidation covering it completed.
 *  Lock order: slot->lock -> c->lock -> strategy slot locks (C9) -> mode wrapper glock
 *  (mode_emul.c) -> physical backend locks (vtd_drv domain mutex or driver mutex, never
 *  nested -> vtd_soft spinlock); slot->lock -> strategy slot locks (C9, without
 *  c->lock); c->lock, slot->lock or a strategy slot lock -> allocator locks (rcache ->
 *  depot -> tree -> shard); c->hist_lock is a leaf. Nothing below c->lock ever takes it
 *  or a slot lock.
 */
#include <stdlib.h>
#include <string.h>

#include "iova_priv.h"

#define DEF_NB_CPUS 8
#define IOVA_CTX_MAX_CPUS 4096 /* the allocator's limit too */
#define DEF_FQ_SIZE 256 /* Linux IOVA_FQ_SIZE */
#define DEF_FQ_TIMEOUT (10ull * 1000000) /* Linux IOVA_FQ_TIMEOUT, 10 ms */
#define DEF_OPT_QUOTA 256
#define DEF_OPT_TIMEOUT (10ull * 1000000)
#define DEF_BASE_PFN 1ull
#define DEF_LIMIT_PFN ((1ull << 36) - 1) /* 48-bit domain */
#define BULK_CHUNK 64
#define DEF_HIST_PERIOD 64

static const struct iova_strat_ops *const strat_table[IOVA_STRAT__COUNT] = {
	[IOVA_STRAT_OFF] = &iova_strat_off_ops,
	[IOVA_STRAT_STRICT] = &iova_strat_strict_ops,
	[IOVA_STRAT_DEFERRED] = &iova_strat_deferred_ops,
	[IOVA_STRAT_OPTIMISTIC] = &iova_strat_optimistic_ops,
	[IOVA_STRAT_PERSISTENT] = &iova_strat_persistent_ops,
	[IOVA_STRAT_SHARED] = &iova_strat_shared_ops,
	[IOVA_STRAT_RING] = &iova_strat_ring_ops,
	[IOVA_STRAT_POOL] = &iova_strat_pool_ops,
};

void iova_ctx_default_params(struct iova_ctx_params *p)
{
	memset(p, 0, sizeof(*p));
	p->strategy = IOVA_STRAT_STRICT;
	p->mode = IOVA_MODE_NATIVE;
	p->mode_params.vmm_cpu = -1;
	p->mode_params.vmexit_ns = 0;
	p->nb_cpus = DEF_NB_CPUS;
	p->fq_size = DEF_FQ_SIZE;
	p->fq_timeout_ns = DEF_FQ_TIMEOUT;
	p->opt_quota = DEF_OPT_QUOTA;
	p->opt_timeout_ns = DEF_OPT_TIMEOUT;
	p->iova_base_pfn = DEF_BASE_PFN;
	p->iova_limit_pfn = DEF_LIMIT_PFN;
}

static void ctx_free(struct iova_ctx *c)
{
	for (unsigned int i = 0; i <= c->nb_cpus; i++)
		pthread_spin_destroy(&c->slot[i].lock);
	pthread_spin_destroy(&c->hist_lock);
	pthread_mutex_destroy(&c->lock);
	free(c->slot);
	free(c);
}

struct iova_ctx *iova_ctx_create(const struct iova_ctx_params *p, struct iova_backend *backend)
{
	if (!p || (unsigned int)p->strategy >= IOVA_STRAT__COUNT ||
	    (unsigned int)p->mode > IOVA_MODE_SIDECORE || p->nb_cpus > IOVA_CTX_MAX_CPUS ||
	    (!backend && p->strategy != IOVA_STRAT_OFF)) {
		errno = EINVAL;
		return NULL;
	}
	struct iova_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		errno = ENOMEM;
		return NULL;
	}
	c->p = *p;
	iova_hist_reset(&c->map_hist);
	iova_hist_reset(&c->unmap_hist);
	if (!c->p.nb_cpus)
		c->p.nb_cpus = 1;
	if (!c->p.fq_size)
		c->p.fq_size = DEF_FQ_SIZE;
	if (!c->p.fq_timeout_ns)
		c->p.fq_timeout_ns = DEF_FQ_TIMEOUT;
	if (!c->p.opt_quota)
		c->p.opt_quota = DEF_OPT_QUOTA;
	if (!c->p.opt_timeout_ns)
		c->p.opt_timeout_ns = DEF_OPT_TIMEOUT;
	if (!c->p.iova_base_pfn)
		c->p.iova_base_pfn = DEF_BASE_PFN;
	if (!c->p.iova_limit_pfn)
		c->p.iova_limit_pfn = DEF_LIMIT_PFN;
	if (!c->p.hist_period)
		c->p.hist_period = DEF_HIST_PERIOD;
	c->nb_cpus = c->p.nb_cpus;
	c->ops = strat_table[p->strategy];
	c->slot = aligned_alloc(64, (c->nb_cpus + 1) * sizeof(*c->slot));
	if (!c->slot) {
		free(c);
		errno = ENOMEM;
		return NULL;
	}
	memset(c->slot, 0, (c->nb_cpus + 1) * sizeof(*c->slot));
	for (unsigned int i = 0; i <= c->nb_cpus; i++)
		pthread_spin_init(&c->slot[i].lock, PTHREAD_PROCESS_PRIVATE);
	pthread_spin_init(&c->hist_lock, PTHREAD_PROCESS_PRIVATE);
	pthread_mutex_init(&c->lock, NULL);

	struct iova_backend *be = backend;
	bool wrapped = false;
	if (be && p->mode != IOVA_MODE_NATIVE && !iova_mode_is_wrapper(be)) {
		be = iova_mode_wrap(p->mode, &p->mode_params, backend);
		if (!be) {
			int e = errno ? errno : EINVAL;
			ctx_free(c);
			errno = e;
			return NULL;
		}
		wrapped = true;
	}
	c->be = be;

	struct iova_backend *phys = be ? iova_mode_phys(be) : NULL;
	if (phys && iova_backend_is_vfio(phys)) {
		uint64_t lo, hi;
		if (iova_backend_vfio_aperture(phys, &lo, &hi) == 0) {
			if (c->p.iova_base_pfn < lo)
				c->p.iova_base_pfn = lo;
			if (c->p.iova_limit_pfn > hi)
				c->p.iova_limit_pfn = hi;
		}
	}

	int rc = -EINVAL;
	if (c->p.iova_base_pfn > c->p.iova_limit_pfn)
		goto fail;
	if (p->strategy != IOVA_STRAT_OFF) {
		c->alloc = iova_allocator_create(c->p.iova_base_pfn, c->p.iova_limit_pfn,
						 c->p.nb_cpus);
		if (!c->alloc) {
			rc = errno ? -errno : -ENOMEM;
			goto fail;
		}
	}
	if (c->ops->init && (rc = c->ops->init(c)) < 0)
		goto fail;
	c->exits_base = be ? be->exits : 0;
	return c;
fail:
	if (c->alloc)
		iova_allocator_destroy(c->alloc);
	if (wrapped)
		(void)iova_mode_unwrap(be); /* the caller keeps its physical backend */
	ctx_free(c);
	errno = -rc;
	return NULL;
}

void iova_ctx_destroy(struct iova_ctx *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->ops->fini)
		c->ops->fini(c);
	pthread_mutex_unlock(&c->lock);
	if (c->alloc)
		iova_allocator_destroy(c->alloc);
	if (c->be && c->be->ops->destroy)
		c->be->ops->destroy(c->be);
	ctx_free(c);
}

struct iova_backend *iova_ctx_backend(struct iova_ctx *c)
{
	return c ? c->be : NULL;
}

/* ---------------------------------------------------------------------- */

static inline bool prot_ok(int prot)
{
	return prot && !(prot & ~IOVA_PROT_RW);
}

static inline void to_req(struct iova_req *r, const void *host, size_t len, int prot)
{
	uintptr_t h = (uintptr_t)host;
	r->host_page = h & ~(uintptr_t)(IOVA_PAGE_SIZE - 1);
	r->npages = ((h & (IOVA_PAGE_SIZE - 1)) + len + IOVA_PAGE_SIZE - 1) >> IOVA_PAGE_SHIFT;
	r->pfn = 0;
	r->prot = prot;
}

static inline void iova_to_req(struct iova_req *r, uint64_t iova, size_t len)
{
	r->host_page = 0;
	r->pfn = iova >> IOVA_PAGE_SHIFT;
	r->npages = ((iova & (IOVA_PAGE_SIZE - 1)) + len + IOVA_PAGE_SIZE - 1) >> IOVA_PAGE_SHIFT;
	r->prot = 0;
}

static inline void record(struct iova_hist *h, uint64_t cycles, uint64_t pages)
{
	iova_hist_record(h, pages ? cycles / pages : cycles);
}

static inline struct iova_ctx_slot *slot_of(struct iova_ctx *c, unsigned int cpu)
{
	unsigned int s = iova_ctx_cpu(c, cpu);

	return &c->slot[s == IOVA_ANY_CPU ? c->nb_cpus : s];
}

/* slot->lock held: is this map (0) or unmap (1) call one of the sampled ones (C4)? */
static inline bool sample(struct iova_ctx *c, struct iova_ctx_slot *sl, unsigned int unmap)
{
	if (sl->hist_left[unmap]) {
		sl->hist_left[unmap]--;
		return false;
	}
	sl->hist_left[unmap] = c->p.hist_period - 1;
	return true;
}

static inline void sample_end(struct iova_ctx *c, struct iova_hist *h, uint64_t t0, uint64_t pages)
{
	uint64_t t1 = iova_rdtsc();

	pthread_spin_lock(&c->hist_lock);
	record(h, t1 - t0, pages);
	pthread_spin_unlock(&c->hist_lock);
}

/* The strategy runs without c->lock: no state (C2) or its own per-slot locks (C9). */
static inline bool lockless(const struct iova_ctx *c)
{
	return c->ops->percpu || c->ops->own_locks;
}

/* Run the strategy's map or unmap: on the slot alone (C2, C9) or under c->lock too (C1). */
static inline int run_map(struct iova_ctx *c, struct iova_req *r, unsigned int n, unsigned int cpu)
{
	if (lockless(c))
		return c->ops->map(c, r, n, cpu);
	pthread_mutex_lock(&c->lock);
	int rc = c->ops->map(c, r, n, cpu);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

static inline int run_unmap(struct iova_ctx *c, const struct iova_req *r, unsigned int n,
			    unsigned int cpu)
{
	if (lockless(c))
		return c->ops->unmap(c, r, n, cpu);
	pthread_mutex_lock(&c->lock);
	int rc = c->ops->unmap(c, r, n, cpu);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int iova_ctx_map(struct iova_ctx *c, void *host, size_t len, int prot, unsigned int cpu,
		 uint64_t *iova)
{
	return iova_ctx_map_bulk(c, &host, len, prot, cpu, iova, 1);
}

int iova_ctx_unmap(struct iova_ctx *c, uint64_t iova, size_t len, unsigned int cpu)
{
	return iova_ctx_unmap_bulk(c, &iova, len, cpu, 1);
}

static int unmap_chunk(struct iova_ctx *c, struct iova_ctx_slot *sl, const uint64_t *iova,
		       size_t len, unsigned int cpu, unsigned int n)
{
	struct iova_req r[BULK_CHUNK];
	uint64_t pages = 0, t0 = 0;

	for (unsigned int i = 0; i < n; i++) {
		iova_to_req(&r[i], iova[i], len);
		pages += r[i].npages;
	}
	pthread_spin_lock(&sl->lock);
	bool s = sample(c, sl, 1);
	if (s)
		t0 = iova_rdtsc();
	int rc = run_unmap(c, r, n, cpu);
	sl->unmaps += n;
	if (s)
		sample_end(c, &c->unmap_hist, t0, pages);
	pthread_spin_unlock(&sl->lock);
	return rc;
}

int iova_ctx_map_bulk(struct iova_ctx *c, void *const *host, size_t len, int prot, unsigned int cpu,
		      uint64_t *iova, unsigned int n)
{
	if (!c || !host || !iova || !len || !prot_ok(prot))
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		if (!host[i])
			return -EINVAL;
	struct iova_ctx_slot *sl = slot_of(c, cpu);
	for (unsigned int done = 0; done < n;) {
		unsigned int k = n - done < BULK_CHUNK ? n - done : BULK_CHUNK;
		struct iova_req r[BULK_CHUNK];
		uint64_t pages = 0, t0 = 0;
		for (unsigned int i = 0; i < k; i++) {
			to_req(&r[i], host[done + i], len, prot);
			pages += r[i].npages;
		}
		pthread_spin_lock(&sl->lock);
		bool s = sample(c, sl, 0);
		if (s)
			t0 = iova_rdtsc();
		int rc = run_map(c, r, k, cpu);
		if (rc == 0) {
			sl->maps += k;
			if (s)
				sample_end(c, &c->map_hist, t0, pages);
		}
		pthread_spin_unlock(&sl->lock);
		if (rc < 0) {
			/* all or nothing: undo the chunks already mapped */
			for (unsigned int u = 0; u < done; u += BULK_CHUNK) {
				unsigned int m = done - u < BULK_CHUNK ? done - u : BULK_CHUNK;
				unmap_chunk(c, sl, iova + u, len, cpu, m);
			}
			return rc;
		}
		for (unsigned int i = 0; i < k; i++)
			iova[done + i] =
				c->p.strategy == IOVA_STRAT_OFF ?
					(uint64_t)(uintptr_t)host[done + i] :
					(r[i].pfn << IOVA_PAGE_SHIFT) |
						((uintptr_t)host[done + i] & (IOVA_PAGE_SIZE - 1));
		done += k;
	}
	return 0;
}

int iova_ctx_unmap_bulk(struct iova_ctx *c, const uint64_t *iova, size_t len, unsigned int cpu,
			unsigned int n)
{
	if (!c || !iova || !len)
		return -EINVAL;
	struct iova_ctx_slot *sl = slot_of(c, cpu);
	int first = 0;
	for (unsigned int done = 0; done < n;) {
		unsigned int k = n - done < BULK_CHUNK ? n - done : BULK_CHUNK;
		int rc = unmap_chunk(c, sl, iova + done, len, cpu, k);
		if (rc < 0 && !first)
			first = rc;
		done += k;
	}
	return first;
}

int iova_ctx_register_pool(struct iova_ctx *c, void *va, size_t len)
{
	if (!c || !va || !len)
		return -EINVAL;
	if (!c->ops->register_pool)
		return 0;
	pthread_mutex_lock(&c->lock);
	int rc = c->ops->register_pool(c, (uintptr_t)va, len);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

int iova_ctx_unregister_pool(struct iova_ctx *c, void *va)
{
	if (!c || !va)
		return -EINVAL;
	if (!c->ops->unregister_pool)
		return 0;
	pthread_mutex_lock(&c->lock);
	int rc = c->ops->unregister_pool(c, (uintptr_t)va);
	pthread_mutex_unlock(&c->lock);
	return rc;
}

void iova_ctx_poll(struct iova_ctx *c, unsigned int cpu)
{
	if (!c || !c->ops->poll)
		return;
	if (c->ops->own_locks) { /* C9: the datapath loop's poll takes no ctx lock either */
		c->ops->poll(c, cpu, iova_now_ns());
		return;
	}
	pthread_mutex_lock(&c->lock);
	c->ops->poll(c, cpu, iova_now_ns());
	pthread_mutex_unlock(&c->lock);
}

int iova_backend_poll(struct iova_backend *b)
{
	if (!b)
		return -EINVAL;
	return b->ops->poll ? b->ops->poll(b) : 0;
}

int iova_backend_set_polled(struct iova_backend *b, bool on)
{
	if (!b)
		return -EINVAL;
	return b->ops->set_polled ? b->ops->set_polled(b, on) : -ENOTSUP;
}

int iova_ctx_dma(struct iova_ctx *c, uint64_t iova, size_t len, int access, void **host)
{
	if (!c || !host || !len || (access != IOVA_PROT_READ && access != IOVA_PROT_WRITE))
		return -EINVAL;
	if (c->p.strategy == IOVA_STRAT_OFF || !c->be) {
		*host = (void *)(uintptr_t)iova; /* no IOMMU: the bus address is the address */
		return 0;
	}
	if (!c->be->ops->dma)
		return -ENOTSUP;
	return c->be->ops->dma(c->be, iova, len, access, host);
}

int iova_ctx_interrupt(struct iova_ctx *c, uint16_t rid, uint64_t addr, uint32_t data,
		       struct iova_irq *out)
{
	struct iova_backend *phys;

	if (!c || !out)
		return -EINVAL;
	/* like a DMA: straight to the physical IOMMU, no ctx lock (C3) */
	phys = c->be ? iova_mode_phys(c->be) : NULL;
	if (!phys || !phys->ops->interrupt)
		return -ENOTSUP;
	return phys->ops->interrupt(phys, rid, addr, data, out);
}

static inline uint64_t ld(const uint64_t *x)
{
	return __atomic_load_n(x, __ATOMIC_RELAXED);
}

void iova_ctx_get_stats(const struct iova_ctx *c, struct iova_ctx_stats *st)
{
	struct iova_ctx *m = (struct iova_ctx *)c; /* locks are logically mutable */
	uint64_t maps = 0, unmaps = 0;

	for (unsigned int i = 0; i <= c->nb_cpus; i++) { /* one slot lock at a time (C5) */
		struct iova_ctx_slot *sl = &m->slot[i];

		pthread_spin_lock(&sl->lock);
		maps += sl->maps;
		unmaps += sl->unmaps;
		pthread_spin_unlock(&sl->lock);
	}
	pthread_mutex_lock(&m->lock);
	*st = c->st;
	st->maps = maps;
	st->unmaps = unmaps;
	st->backend_maps = ld(&c->st.backend_maps);
	st->backend_unmaps = ld(&c->st.backend_unmaps);
	st->invalidations = ld(&c->st.invalidations);
	st->waits = ld(&c->st.waits);
	st->wait_cycles = ld(&c->st.wait_cycles);
	st->stale_now = ld(&c->st.stale_now);
	st->stale_max_entries = ld(&c->st.stale_max_entries);
	st->stale_max_ns = ld(&c->st.stale_max_ns);
	st->exits = c->be ? c->be->exits - c->exits_base : 0;
	if (c->ops->oldest_stale_ns) {
		uint64_t t = c->ops->oldest_stale_ns(c);
		uint64_t now = iova_now_ns();
		if (t && now > t && now - t > st->stale_max_ns)
			st->stale_max_ns = now - t; /* still open: at least this long */
	}
	pthread_mutex_unlock(&m->lock);
	pthread_spin_lock(&m->hist_lock);
	st->map_cycles_p50 = iova_hist_quantile(&c->map_hist, 0.50);
	st->map_cycles_p99 = iova_hist_quantile(&c->map_hist, 0.99);
	st->unmap_cycles_p50 = iova_hist_quantile(&c->unmap_hist, 0.50);
	st->unmap_cycles_p99 = iova_hist_quantile(&c->unmap_hist, 0.99);
	pthread_spin_unlock(&m->hist_lock);
}

void iova_ctx_reset_stats(struct iova_ctx *c)
{
	for (unsigned int i = 0; i <= c->nb_cpus; i++) {
		struct iova_ctx_slot *sl = &c->slot[i];

		pthread_spin_lock(&sl->lock);
		sl->maps = sl->unmaps = 0;
		sl->hist_left[0] = sl->hist_left[1] = 0;
		pthread_spin_unlock(&sl->lock);
	}
	pthread_mutex_lock(&c->lock);
	c->st.reuse_hits = 0;
	__atomic_store_n(&c->st.stale_max_ns, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->st.stale_max_entries, ld(&c->st.stale_now), __ATOMIC_RELAXED);
	__atomic_store_n(&c->st.backend_maps, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->st.backend_unmaps, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->st.invalidations, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->st.waits, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&c->st.wait_cycles, 0, __ATOMIC_RELAXED);
	c->exits_base = c->be ? c->be->exits : 0;
	pthread_mutex_unlock(&c->lock);
	pthread_spin_lock(&c->hist_lock);
	iova_hist_reset(&c->map_hist);
	iova_hist_reset(&c->unmap_hist);
	pthread_spin_unlock(&c->hist_lock);
}
