/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strategy "pool" (ours, in the spirit of DAMN, Markuze, Smolyar, Morrison, Tsafrir,
 * ASPLOS 2018, "DAMN: Overhead-Free IOMMU Protection for Networking"): the buffers a
 * device may touch come from dedicated pools that hold nothing but I/O buffers, and those
 * pools stay mapped. The IOMMU then protects everything *outside* the pools at zero
 * per-packet cost.
 *
 *   iova_ctx_register_pool(va, len): allocate an IOVA range whose offset equals va modulo
 *       2 MiB (so the backend can use 2 MiB superpages: fewer IOTLB misses, Farshin et al.
 *       2023), map the whole range read/write once (one caching-mode invalidation under
 *       an emulated IOMMU).
 *   map:   a buffer inside a registered pool -> IOVA = pool IOVA + offset (O(1), no IOMMU
 *          work, counted as reuse_hits); any other buffer -> strict map.
 *   unmap: pool buffers -> nothing; others -> strict teardown.
 *
 * Protection: memory outside the pools is never reachable (strict for everything
 * else). Inside a pool, freed buffers stay device-reachable, like persistent; DAMN's
 * argument is that such memory only ever holds packet data the device owns anyway.
 * The stale statistics count this per 4 KiB pool page: a page whose last in-flight
 * buffer was unmapped is "freed but reachable" until a buffer on it is mapped again.
 * Cost: one translation lookup per buffer. Pools are unmapped by
 * iova_ctx_unregister_pool() or at context destruction.
 */
#include <stdlib.h>
#include <string.h>

#include "iova_priv.h"

#define POOL_MAX 64
#define SP_PAGES 512 /* 2 MiB */

struct region {
	uintptr_t va_page; /* first host page */
	uint64_t npages;
	uint64_t pfn; /* IOVA pfn of va_page */
	uint64_t alloc_pfn, alloc_npages;
	uint32_t *refs; /* buffers in flight per page */
	uint64_t *t_free; /* per page: when it became freed-but-reachable, 0 if not */
};

struct pool {
	struct region r[POOL_MAX];
	unsigned int n;
};

static inline struct pool *P(const struct iova_ctx *c)
{
	return c->sp;
}

static int pool_init(struct iova_ctx *c)
{
	c->sp = calloc(1, sizeof(struct pool));
	return c->sp ? 0 : -ENOMEM;
}

static struct region *by_host(struct pool *p, uintptr_t host_page, uint64_t npages)
{
	for (unsigned int i = 0; i < p->n; i++) {
		struct region *g = &p->r[i];
		if (host_page >= g->va_page && host_page + (npages << IOVA_PAGE_SHIFT) <=
						       g->va_page + (g->npages << IOVA_PAGE_SHIFT))
			return g;
	}
	return NULL;
}

static struct region *by_pfn(struct pool *p, uint64_t pfn, uint64_t npages)
{
	for (unsigned int i = 0; i < p->n; i++) {
		struct region *g = &p->r[i];
		if (pfn >= g->pfn && pfn + npages <= g->pfn + g->npages)
			return g;
	}
	return NULL;
}

static void region_teardown(struct iova_ctx *c, struct region *g)
{
	iova_be_unmap(c, g->pfn, g->npages);
	iova_be_inv(c, g->pfn, g->npages);
	iova_be_flush_wait(c);
	uint64_t now = iova_now_ns();
	for (uint64_t i = 0; i < g->npages; i++)
		if (g->t_free[i])
			iova_stale_close(c, g->t_free[i], now);
	iova_free(c->alloc, g->alloc_pfn, g->alloc_npages, IOVA_ANY_CPU);
	free(g->refs);
	free(g->t_free);
}

static int pool_register(struct iova_ctx *c, uintptr_t va, size_t len)
{
	struct pool *p = P(c);
	uintptr_t va_page = va & ~(uintptr_t)(IOVA_PAGE_SIZE - 1);
	uint64_t npages = ((va - va_page) + len + IOVA_PAGE_SIZE - 1) >> IOVA_PAGE_SHIFT;
	for (unsigned int i = 0; i < p->n; i++) {
		struct region *g = &p->r[i];
		if (va_page < g->va_page + (g->npages << IOVA_PAGE_SHIFT) &&
		    g->va_page < va_page + (npages << IOVA_PAGE_SHIFT))
			return -EEXIST;
	}
	if (p->n == POOL_MAX)
		return -ENOSPC;
	struct region g = { .va_page = va_page, .npages = npages };
	/* superpage-compatible: the allocator aligns a range to its (power-of-two) size, so
	 * asking for npages + 511 leaves room to shift the start to va's 2 MiB offset */
	g.alloc_npages = npages >= SP_PAGES ? npages + SP_PAGES - 1 : npages;
	int rc = iova_alloc(c->alloc, g.alloc_npages, IOVA_ANY_CPU, &g.alloc_pfn);
	if (rc < 0)
		return rc;
	g.pfn = g.alloc_pfn;
	if (npages >= SP_PAGES)
		g.pfn += ((va_page >> IOVA_PAGE_SHIFT) - g.alloc_pfn) & (SP_PAGES - 1);
	g.refs = calloc(npages, sizeof(*g.refs));
	g.t_free = calloc(npages, sizeof(*g.t_free));
	if (!g.refs || !g.t_free) {
		rc = -ENOMEM;
		goto fail;
	}
	rc = iova_be_map(c, g.pfn, va_page, npages, IOVA_PROT_RW);
	if (rc < 0)
		goto fail;
	rc = iova_be_sync_map(c, g.pfn, npages);
	if (rc < 0) {
		iova_be_unmap(c, g.pfn, npages);
		iova_be_inv(c, g.pfn, npages);
		iova_be_flush_wait(c);
		goto fail;
	}
	p->r[p->n++] = g;
	return 0;
fail:
	free(g.refs);
	free(g.t_free);
	iova_free(c->alloc, g.alloc_pfn, g.alloc_npages, IOVA_ANY_CPU);
	return rc;
}

static int pool_unregister(struct iova_ctx *c, uintptr_t va)
{
	struct pool *p = P(c);
	uintptr_t va_page = va & ~(uintptr_t)(IOVA_PAGE_SIZE - 1);
	for (unsigned int i = 0; i < p->n; i++) {
		struct region *g = &p->r[i];
		if (g->va_page != va_page)
			continue;
		for (uint64_t k = 0; k < g->npages; k++)
			if (g->refs[k])
				return -EBUSY;
		region_teardown(c, g);
		p->r[i] = p->r[--p->n];
		return 0;
	}
	return -ENOENT;
}

static void pool_fini(struct iova_ctx *c)
{
	struct pool *p = P(c);
	if (!p)
		return;
	for (unsigned int i = 0; i < p->n; i++)
		region_teardown(c, &p->r[i]);
	free(p);
	c->sp = NULL;
}

static int pool_unmap(struct iova_ctx *c, const struct iova_req *r, unsigned int n,
		      unsigned int cpu);

static int pool_map(struct iova_ctx *c, struct iova_req *r, unsigned int n, unsigned int cpu)
{
	struct pool *p = P(c);
	uint64_t now = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct region *g = by_host(p, r[i].host_page, r[i].npages);
		if (!g) {
			int rc = iova_strict_map_one(c, &r[i], cpu);
			if (rc < 0) {
				if (i)
					pool_unmap(c, r, i, cpu);
				return rc;
			}
			continue;
		}
		uint64_t off = (r[i].host_page - g->va_page) >> IOVA_PAGE_SHIFT;
		r[i].pfn = g->pfn + off;
		for (uint64_t k = off; k < off + r[i].npages; k++) {
			if (g->refs[k]++ == 0 && g->t_free[k]) {
				if (!now)
					now = iova_now_ns();
				iova_stale_close(c, g->t_free[k], now);
				g->t_free[k] = 0;
			}
		}
		c->st.reuse_hits++;
	}
	return 0;
}

static int pool_unmap(struct iova_ctx *c, const struct iova_req *r, unsigned int n,
		      unsigned int cpu)
{
	struct pool *p = P(c);
	int first = 0;
	uint64_t now = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct region *g = by_pfn(p, r[i].pfn, r[i].npages);
		if (!g) {
			int rc = iova_strict_unmap_one(c, &r[i], cpu);
			if (rc < 0 && !first)
				first = rc;
			continue;
		}
		uint64_t off = r[i].pfn - g->pfn;
		bool ok = true;
		for (uint64_t k = off; k < off + r[i].npages; k++)
			ok = ok && g->refs[k];
		if (!ok) { /* unmapped more often than mapped */
			if (!first)
				first = -EINVAL;
			continue;
		}
		for (uint64_t k = off; k < off + r[i].npages; k++) {
			if (--g->refs[k] == 0) {
				if (!now)
					now = iova_now_ns();
				g->t_free[k] = now;
				iova_stale_open(c, 1);
			}
		}
	}
	return first;
}

static uint64_t pool_oldest(const struct iova_ctx *c)
{
	const struct pool *p = P(c);
	uint64_t oldest = 0;
	for (unsigned int i = 0; i < p->n; i++)
		for (uint64_t k = 0; k < p->r[i].npages; k++) {
			uint64_t t = p->r[i].t_free[k];
			if (t && (!oldest || t < oldest))
				oldest = t;
		}
	return oldest;
}

const struct iova_strat_ops iova_strat_pool_ops = {
	.name = "pool",
	.init = pool_init,
	.fini = pool_fini,
	.map = pool_map,
	.unmap = pool_unmap,
	.oldest_stale_ns = pool_oldest,
	.register_pool = pool_register,
	.unregister_pool = pool_unregister,
};
