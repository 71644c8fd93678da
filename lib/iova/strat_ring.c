/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strategy "ring" (ours): strict safety at near-zero cost, in the spirit of rIOMMU
 * (Malka, Amit, Tsafrir, ASPLOS 2015): NIC buffers are mapped and unmapped in ring
 * order, so give them ring-ordered IOVAs and invalidate a whole burst at once.
 *
 *   At init one aligned window of ring_pages IOVA pages is taken from the allocator.
 *   map_bulk: each buffer gets the next free slots after the ring head (a bitmap of
 *             busy pages; the head wraps), so a burst occupies one contiguous run.
 *             Under caching mode the burst's new PTEs are covered by the fewest
 *             page-selective invalidations and ONE wait.
 *   unmap_bulk: clear all PTEs of the burst, queue the fewest aligned page-selective
 *             invalidations (AM) that cover the burst's pages (iova_be_inv_cover()),
 *             ring the doorbell once and wait once; only then mark the slots free.
 *
 * Guarantee (stale window 0, same as strict): when iova_ctx_unmap_bulk() returns, the
 * PTEs of every buffer in the burst are clear and a completed invalidation covers each
 * of their IOVAs, so neither a page walk nor an IOTLB entry can reach them; the slots are
 * reused only after that. Over-invalidation (a covering block that includes live
 * neighbours) only costs a later IOTLB miss: VT-d 6.5.2.3 allows invalidating more than
 * was changed. The cost per buffer falls from one wait (strict) to 1/burst waits. See
 * lib/iova/README.md.
 */
#include <stdlib.h>
#include <string.h>

#include "iova_priv.h"

#define RING_PAGES_DEFAULT (1u << 16) /* 256 MiB of IOVA space, an 8 KiB bitmap */

struct ring {
	uint64_t base; /* first pfn of the window */
	uint64_t npages; /* window size (power of two) */
	uint64_t head; /* next slot to try */
	uint64_t busy; /* pages in use */
	uint64_t *bitmap;
	uint64_t *start; /* first page of each busy buffer */
};

static inline struct ring *R(const struct iova_ctx *c)
{
	return c->sp;
}

static inline bool bit_test(const struct ring *g, uint64_t i)
{
	return g->bitmap[i >> 6] & (1ull << (i & 63));
}

static inline bool start_test(const struct ring *g, uint64_t i)
{
	return g->start[i >> 6] & (1ull << (i & 63));
}

static inline void bits_set(struct ring *g, uint64_t i, uint64_t n, bool v)
{
	for (uint64_t k = i; k < i + n; k++) {
		if (v)
			g->bitmap[k >> 6] |= 1ull << (k & 63);
		else
			g->bitmap[k >> 6] &= ~(1ull << (k & 63));
	}
}

static int ring_init(struct iova_ctx *c)
{
	struct ring *g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	int rc = -ENOMEM;
	for (uint64_t n = RING_PAGES_DEFAULT; n >= 64; n >>= 1) {
		rc = iova_alloc(c->alloc, n, IOVA_ANY_CPU, &g->base);
		if (rc == 0) {
			g->npages = n;
			break;
		}
	}
	if (rc < 0) {
		free(g);
		return rc;
	}
	g->bitmap = calloc(g->npages / 64, sizeof(uint64_t));
	g->start = calloc(g->npages / 64, sizeof(uint64_t));
	if (!g->bitmap || !g->start) {
		free(g->bitmap);
		free(g->start);
		iova_free(c->alloc, g->base, g->npages, IOVA_ANY_CPU);
		free(g);
		return -ENOMEM;
	}
	c->sp = g;
	return 0;
}

static void ring_fini(struct iova_ctx *c)
{
	struct ring *g = R(c);
	if (!g)
		return;
	/* tear down what the user left mapped, buffer by buffer (VFIO cannot unmap part
	 * of a mapping), then one invalidation per busy run and one wait */
	bool any = false;
	for (uint64_t i = 0; i < g->npages;) {
		if (!bit_test(g, i)) {
			i++;
			continue;
		}
		uint64_t j = i + 1;
		while (j < g->npages && bit_test(g, j))
			j++;
		for (uint64_t k = i; k < j;) {
			uint64_t m = k + 1;
			while (m < j && !start_test(g, m))
				m++;
			iova_be_unmap(c, g->base + k, m - k);
			k = m;
		}
		iova_be_inv(c, g->base + i, j - i);
		any = true;
		i = j;
	}
	if (any)
		iova_be_flush_wait(c);
	iova_free(c->alloc, g->base, g->npages, IOVA_ANY_CPU);
	free(g->bitmap);
	free(g->start);
	free(g);
	c->sp = NULL;
}

/* first-fit from head: n free slots that do not cross the window end */
static int slot_alloc(struct ring *g, uint64_t n, uint64_t *slot)
{
	if (n > g->npages || g->busy + n > g->npages)
		return -ENOMEM;
	uint64_t tried = 0, i = g->head;
	while (tried < g->npages + n) {
		if (i + n > g->npages) { /* wrap */
			tried += g->npages - i;
			i = 0;
			continue;
		}
		uint64_t k = 0;
		while (k < n && !bit_test(g, i + k))
			k++;
		if (k == n) {
			bits_set(g, i, n, true);
			g->start[i >> 6] |= 1ull << (i & 63);
			g->busy += n;
			*slot = i;
			g->head = (i + n) & (g->npages - 1);
			return 0;
		}
		tried += k + 1;
		i += k + 1;
	}
	return -ENOMEM;
}

static void slot_free(struct ring *g, uint64_t slot, uint64_t n)
{
	bits_set(g, slot, n, false);
	g->start[slot >> 6] &= ~(1ull << (slot & 63));
	g->busy -= n;
}

static bool slot_valid(const struct ring *g, uint64_t pfn, uint64_t n)
{
	if (pfn < g->base || pfn + n > g->base + g->npages || !start_test(g, pfn - g->base))
		return false;
	for (uint64_t k = pfn - g->base; k < pfn - g->base + n; k++)
		if (!bit_test(g, k))
			return false;
	return true;
}

static int ring_unmap(struct iova_ctx *c, const struct iova_req *r, unsigned int n,
		      unsigned int cpu);

static int ring_map(struct iova_ctx *c, struct iova_req *r, unsigned int n, unsigned int cpu)
{
	struct ring *g = R(c);
	int rc = 0;
	unsigned int i;
	for (i = 0; i < n; i++) {
		uint64_t slot;
		rc = slot_alloc(g, r[i].npages, &slot);
		if (rc < 0)
			break;
		r[i].pfn = g->base + slot;
		rc = iova_be_map(c, r[i].pfn, r[i].host_page, r[i].npages, r[i].prot);
		if (rc < 0) {
			slot_free(g, slot, r[i].npages);
			break;
		}
	}
	if (rc == 0 && iova_be_caching_mode(c->be)) {
		struct iova_req tmp[64];
		unsigned int m = n < 64 ? n : 64; /* iova_ctx chunks bursts to 64 */
		memcpy(tmp, r, m * sizeof(*r));
		rc = iova_be_inv_cover(c, tmp, m);
		if (rc >= 0)
			rc = iova_be_flush_wait(c);
		if (rc > 0)
			rc = 0;
	}
	if (rc < 0 && i)
		ring_unmap(c, r, i, cpu);
	return rc < 0 ? rc : 0;
}

static int ring_unmap(struct iova_ctx *c, const struct iova_req *r, unsigned int n,
		      unsigned int cpu)
{
	struct ring *g = R(c);
	struct iova_req ok[64];
	unsigned int m = 0;
	int first = 0;
	for (unsigned int i = 0; i < n && m < 64; i++) {
		if (!slot_valid(g, r[i].pfn, r[i].npages)) {
			if (!first)
				first = -EINVAL;
			continue;
		}
		int rc = iova_be_unmap(c, r[i].pfn, r[i].npages);
		if (rc < 0) {
			if (!first)
				first = rc;
			continue;
		}
		ok[m++] = r[i];
	}
	if (!m)
		return first;
	int rc = iova_be_inv_cover(c, ok, m);
	int rc2 = iova_be_flush_wait(c);
	if (rc < 0 || rc2 < 0)
		return rc < 0 ?
			       rc :
			       rc2; /* not covered: keep the slots busy (leak, never reuse early) */
	for (unsigned int i = 0; i < m; i++)
		slot_free(g, ok[i].pfn - g->base, ok[i].npages);
	return first;
}

const struct iova_strat_ops iova_strat_ring_ops = {
	.name = "ring",
	.init = ring_init,
	.fini = ring_fini,
	.map = ring_map,
	.unmap = ring_unmap,
};
