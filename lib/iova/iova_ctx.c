/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iova_ctx: the guest DMA-API layer. Turns buffers into page requests, runs the chosen
 * strategy under one lock, counts every backend operation, keeps the stale-window and
 * per-page cycle statistics (iova.h section 4).
 *
 * Plain C11 + POSIX (no DPDK), so that the VFIO probe links statically.
 *
 * THREADS, INVARIANTS AND LOCK ORDER
 *  Any number of threads (lcores) may call the iova_ctx_* functions on one ctx.
 *  C1. c->lock (a mutex) serialises every strategy call (map, unmap, poll,
 *      register/unregister pool): strategy state (c->sp), the counters c->st, the
 *      stale-window bookkeeping and the two histograms are touched only under it.
 *      A strategy never drops it mid-operation, so a strategy sees its state
 *      consistent at entry and leaves it consistent at exit (map is all or nothing).
 *  C2. Every backend operation of a strategy goes through iova_be_*() (iova_be.c) under c->lock,
 *      so backend counters (be->phys_*, c->st.invalidations, waits) match the
 *      operations the strategy issued.
 *  C3. iova_ctx_dma() and iova_ctx_interrupt() (the device side) take no ctx lock: it goes straight to the
 *      physical IOMMU, which has its own synchronisation (soft VT-d unit spinlock,
 *      lock-free page walk over release-published tables). A DMA racing an unmap
 *      sees either the old translation (until the invalidation executed: the stale
 *      window the strategies account for) or a fault, never a torn one.
 *  C4. The allocator is called under c->lock (iova_ctx_alloc_pfn()) but is itself
 *      thread-safe (iova_alloc.c I6); the per-CPU magazine index is iova_ctx_cpu(cpu).
 *  C5. Bulk calls split into chunks of BULK_CHUNK; the lock is dropped between
 *      chunks, so a bulk map is all-or-nothing for its caller (undone on failure)
 *      but other threads may interleave between chunks.
 *  Lock order: c->lock -> mode wrapper glock (mode_emul.c) -> physical backend locks
 *  (vtd_drv domain mutex or driver mutex, never nested -> vtd_soft spinlock);
 *  c->lock -> allocator locks
 *  (rcache -> depot -> tree -> shard). Nothing below c->lock ever takes it.
 */
#include <stdlib.h>
#include <string.h>

#include "iova_priv.h"

#define DEF_NB_CPUS 8
#define DEF_FQ_SIZE 256 /* Linux IOVA_FQ_SIZE */
#define DEF_FQ_TIMEOUT (10ull * 1000000) /* Linux IOVA_FQ_TIMEOUT, 10 ms */
#define DEF_OPT_QUOTA 256
#define DEF_OPT_TIMEOUT (10ull * 1000000)
#define DEF_BASE_PFN 1ull
#define DEF_LIMIT_PFN ((1ull << 36) - 1) /* 48-bit domain */
#define BULK_CHUNK 64

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

struct iova_ctx *iova_ctx_create(const struct iova_ctx_params *p, struct iova_backend *backend)
{
	if (!p || (unsigned int)p->strategy >= IOVA_STRAT__COUNT ||
	    (unsigned int)p->mode > IOVA_MODE_SIDECORE ||
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
	c->nb_cpus = c->p.nb_cpus;
	c->ops = strat_table[p->strategy];
	pthread_mutex_init(&c->lock, NULL);

	struct iova_backend *be = backend;
	bool wrapped = false;
	if (be && p->mode != IOVA_MODE_NATIVE && !iova_mode_is_wrapper(be)) {
		be = iova_mode_wrap(p->mode, &p->mode_params, backend);
		if (!be) {
			int e = errno ? errno : EINVAL;
			pthread_mutex_destroy(&c->lock);
			free(c);
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
	pthread_mutex_destroy(&c->lock);
	free(c);
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
	pthread_mutex_destroy(&c->lock);
	free(c);
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

int iova_ctx_map(struct iova_ctx *c, void *host, size_t len, int prot, unsigned int cpu,
		 uint64_t *iova)
{
	return iova_ctx_map_bulk(c, &host, len, prot, cpu, iova, 1);
}

int iova_ctx_unmap(struct iova_ctx *c, uint64_t iova, size_t len, unsigned int cpu)
{
	return iova_ctx_unmap_bulk(c, &iova, len, cpu, 1);
}

static int unmap_chunk(struct iova_ctx *c, const uint64_t *iova, size_t len, unsigned int cpu,
		       unsigned int n)
{
	struct iova_req r[BULK_CHUNK];
	uint64_t pages = 0;
	for (unsigned int i = 0; i < n; i++) {
		iova_to_req(&r[i], iova[i], len);
		pages += r[i].npages;
	}
	uint64_t t0 = iova_rdtsc();
	pthread_mutex_lock(&c->lock);
	int rc = c->ops->unmap(c, r, n, cpu);
	c->st.unmaps += n;
	uint64_t t1 = iova_rdtsc();
	record(&c->unmap_hist, t1 - t0, pages);
	pthread_mutex_unlock(&c->lock);
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
	for (unsigned int done = 0; done < n;) {
		unsigned int k = n - done < BULK_CHUNK ? n - done : BULK_CHUNK;
		struct iova_req r[BULK_CHUNK];
		uint64_t pages = 0;
		for (unsigned int i = 0; i < k; i++) {
			to_req(&r[i], host[done + i], len, prot);
			pages += r[i].npages;
		}
		uint64_t t0 = iova_rdtsc();
		pthread_mutex_lock(&c->lock);
		int rc = c->ops->map(c, r, k, cpu);
		if (rc == 0)
			c->st.maps += k;
		uint64_t t1 = iova_rdtsc();
		if (rc == 0)
			record(&c->map_hist, t1 - t0, pages);
		pthread_mutex_unlock(&c->lock);
		if (rc < 0) {
			/* all or nothing: undo the chunks already mapped */
			for (unsigned int u = 0; u < done; u += BULK_CHUNK) {
				unsigned int m = done - u < BULK_CHUNK ? done - u : BULK_CHUNK;
				unmap_chunk(c, iova + u, len, cpu, m);
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
	int first = 0;
	for (unsigned int done = 0; done < n;) {
		unsigned int k = n - done < BULK_CHUNK ? n - done : BULK_CHUNK;
		int rc = unmap_chunk(c, iova + done, len, cpu, k);
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

void iova_ctx_get_stats(const struct iova_ctx *c, struct iova_ctx_stats *st)
{
	struct iova_ctx *m = (struct iova_ctx *)c; /* lock is logically mutable */
	pthread_mutex_lock(&m->lock);
	*st = c->st;
	st->exits = c->be ? c->be->exits - c->exits_base : 0;
	st->map_cycles_p50 = iova_hist_quantile(&c->map_hist, 0.50);
	st->map_cycles_p99 = iova_hist_quantile(&c->map_hist, 0.99);
	st->unmap_cycles_p50 = iova_hist_quantile(&c->unmap_hist, 0.50);
	st->unmap_cycles_p99 = iova_hist_quantile(&c->unmap_hist, 0.99);
	if (c->ops->oldest_stale_ns) {
		uint64_t t = c->ops->oldest_stale_ns(c);
		uint64_t now = iova_now_ns();
		if (t && now > t && now - t > st->stale_max_ns)
			st->stale_max_ns = now - t; /* still open: at least this long */
	}
	pthread_mutex_unlock(&m->lock);
}

void iova_ctx_reset_stats(struct iova_ctx *c)
{
	pthread_mutex_lock(&c->lock);
	uint64_t now_stale = c->st.stale_now;
	memset(&c->st, 0, sizeof(c->st));
	c->st.stale_now = now_stale;
	c->st.stale_max_entries = now_stale;
	iova_hist_reset(&c->map_hist);
	iova_hist_reset(&c->unmap_hist);
	c->exits_base = c->be ? c->be->exits : 0;
	pthread_mutex_unlock(&c->lock);
}
