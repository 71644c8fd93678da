/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iova_be: what the strategies (strat_*.c) call, under c->lock or, for the strategies
 * that run without it (off, strict, deferred), concurrently from several CPU slots
 * (iova_ctx.c C1-C9): the counted backend operations, the fewest aligned page-selective
 * invalidations covering a set of requests, the stale-window bookkeeping (atomics), and
 * IOVA page allocation.
 *
 * A leaf below the strategies: iova_ctx.c runs a strategy through its ops table, the
 * strategy calls these helpers, and nothing here calls back into iova_ctx.c or a strategy
 * (no file cycle). Plain C11 + POSIX (no DPDK), like iova_ctx.c.
 */
#include <stdlib.h>
#include <string.h>

#include "iova_priv.h"

#define COVER_MAX_AM 9 /* largest AM we merge into: 2 MiB */

/* The backend counters are shared by every CPU slot (iova_ctx.c C5): relaxed atomic adds.
 * Each backend operation already takes the physical IOMMU's own lock, so one more shared
 * cache line adds nothing that scales worse. */
static inline void stat_add(uint64_t *x, uint64_t v)
{
	__atomic_fetch_add(x, v, __ATOMIC_RELAXED);
}

/* ---------------------------------------------------------------------- */
/* Counted backend operations                                              */
/* ---------------------------------------------------------------------- */

int iova_be_map(struct iova_ctx *c, uint64_t pfn, uintptr_t host_page, uint64_t npages, int prot)
{
	int rc = c->be->ops->map(c->be, pfn << IOVA_PAGE_SHIFT, (void *)host_page,
				 npages << IOVA_PAGE_SHIFT, prot);
	if (rc == 0)
		stat_add(&c->st.backend_maps, npages);
	return rc;
}

int iova_be_unmap(struct iova_ctx *c, uint64_t pfn, uint64_t npages)
{
	int rc = c->be->ops->unmap(c->be, pfn << IOVA_PAGE_SHIFT, npages << IOVA_PAGE_SHIFT);
	if (rc == 0)
		stat_add(&c->st.backend_unmaps, npages);
	return rc;
}

int iova_be_inv(struct iova_ctx *c, uint64_t pfn, uint64_t npages)
{
	int rc = c->be->ops->inv_queue(c->be, pfn << IOVA_PAGE_SHIFT, npages);
	if (rc >= 0)
		stat_add(&c->st.invalidations, rc > 0 ? (uint64_t)rc : 1);
	return rc;
}

int iova_be_flush_wait(struct iova_ctx *c)
{
	uint64_t t0 = iova_rdtsc();
	int rc = c->be->ops->inv_flush(c->be, true);
	stat_add(&c->st.wait_cycles, iova_rdtsc() - t0);
	stat_add(&c->st.waits, 1);
	return rc;
}

bool iova_be_caching_mode(const struct iova_backend *b)
{
	return iova_mode_is_wrapper(b);
}

int iova_be_sync_map(struct iova_ctx *c, uint64_t pfn, uint64_t npages)
{
	if (!iova_be_caching_mode(c->be))
		return 0;
	int rc = iova_be_inv(c, pfn, npages);
	if (rc < 0)
		return rc;
	return iova_be_flush_wait(c);
}

static int req_cmp(const void *a, const void *b)
{
	const struct iova_req *x = a, *y = b;
	return x->pfn < y->pfn ? -1 : x->pfn > y->pfn;
}

/* smallest aligned power-of-two block holding [s, e): returns am, *start */
static unsigned int cover_block(uint64_t s, uint64_t e, uint64_t *start)
{
	unsigned int am = 0;
	while ((s >> am) != ((e - 1) >> am))
		am++;
	*start = s & ~((1ull << am) - 1);
	return am;
}

/* queue the invalidation of one group: descriptors counted (as iova_be_inv counts) or -errno */
static int emit(struct iova_ctx *c, uint64_t s, uint64_t e, uint64_t need)
{
	uint64_t bs;
	unsigned int am = cover_block(s, e, &bs);
	int rc;

	if (am <= COVER_MAX_AM && (1ull << am) <= 2 * need)
		rc = iova_be_inv(c, bs, 1ull << am); /* one descriptor */
	else
		rc = iova_be_inv(c, s, e - s); /* backend splits into aligned blocks */
	return rc < 0 ? rc : rc > 0 ? rc : 1;
}

int iova_be_inv_cover(struct iova_ctx *c, struct iova_req *r, unsigned int n)
{
	if (!n)
		return 0;
	if (n > 1)
		qsort(r, n, sizeof(*r), req_cmp);
	int total = 0;
	/* group: [gs, ge) spans runs whose pages total `need` */
	uint64_t gs = r[0].pfn, ge = r[0].pfn + r[0].npages, need = r[0].npages;
	for (unsigned int i = 1; i < n; i++) {
		uint64_t s = r[i].pfn, e = r[i].pfn + r[i].npages;
		uint64_t ne = e > ge ? e : ge;
		uint64_t add = s >= ge ? e - s : (e > ge ? e - ge : 0);
		uint64_t bs;
		unsigned int am = cover_block(gs, ne, &bs);
		if (s <= ge || (am <= COVER_MAX_AM && (1ull << am) <= 2 * (need + add))) {
			ge = ne;
			need += add;
			continue;
		}
		int rc = emit(c, gs, ge, need);
		if (rc < 0)
			return rc;
		total += rc;
		gs = s;
		ge = e;
		need = e - s;
	}
	int rc = emit(c, gs, ge, need);
	if (rc < 0)
		return rc;
	return total + rc;
}

/* ---------------------------------------------------------------------- */
/* Stale window: atomics, opened and closed under c->lock by the strategies that run  */
/* under it and without it by deferred's per-CPU queues (iova_ctx.c C5, C9)          */
/* ---------------------------------------------------------------------- */

static inline void stat_max(uint64_t *x, uint64_t v)
{
	uint64_t old = __atomic_load_n(x, __ATOMIC_RELAXED);

	while (old < v &&
	       !__atomic_compare_exchange_n(x, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

void iova_stale_open(struct iova_ctx *c, uint64_t n)
{
	stat_max(&c->st.stale_max_entries,
		 __atomic_add_fetch(&c->st.stale_now, n, __ATOMIC_RELAXED));
}

void iova_stale_close(struct iova_ctx *c, uint64_t t_unmap_ns, uint64_t now_ns)
{
	uint64_t old = __atomic_load_n(&c->st.stale_now, __ATOMIC_RELAXED);

	while (old && !__atomic_compare_exchange_n(&c->st.stale_now, &old, old - 1, true,
						   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
	if (now_ns > t_unmap_ns)
		stat_max(&c->st.stale_max_ns, now_ns - t_unmap_ns);
}

/* ---------------------------------------------------------------------- */

int iova_ctx_alloc_pfn(struct iova_ctx *c, uint64_t npages, unsigned int cpu, uint64_t *pfn)
{
	return iova_alloc(c->alloc, npages, iova_ctx_cpu(c, cpu), pfn);
}

void iova_ctx_free_pfn(struct iova_ctx *c, uint64_t pfn, uint64_t npages, unsigned int cpu)
{
	(void)iova_free(c->alloc, pfn, npages, iova_ctx_cpu(c, cpu));
}
