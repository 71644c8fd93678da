/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A "spy" backend for the lib/iova tests and fuzzers: it wraps another backend and
 * checks, independently of the strategy code, that no IOVA page is mapped again before
 * an invalidation covering its previous unmap has completed (violations), counting
 * legitimate re-maps (reuses), waits, flushes and invalidation calls.
 */
#ifndef IOVA_TEST_SPY_H
#define IOVA_TEST_SPY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "iova.h"
#include "iova_priv.h"

#ifndef SPY_SLOTS
#define SPY_SLOTS (1u << 16)
#endif

struct spy_page {
	uint64_t pfn; /* 0 = empty slot (pfn 0 is never allocated) */
	bool used;
	bool unmapped; /* unmapped, not yet mapped again */
	bool covered; /* a completed invalidation covers the last unmap */
	bool pending; /* a queued page-selective invalidation covers it */
	uint64_t unmap_seq; /* spy->unmap_seq when it was unmapped */
};

struct spy {
	struct iova_backend be;
	struct iova_backend *inner;
	uint64_t unmap_seq; /* unmaps so far */
	uint64_t dom_mark; /* unmap_seq when a domain invalidation was queued (0: none pending) */
	bool dom_pending;
	uint64_t covered_upto; /* unmaps with seq <= this are covered by a completed domain flush */
	uint64_t violations; /* map of a page whose unmap was not covered yet */
	uint64_t reuses; /* legitimate re-maps of previously unmapped pages */
	uint64_t waits, flushes, inv_calls;
	unsigned int fail_maps; /* fail the next n map calls with -EINVAL (as VFIO would) */
	struct spy_page *pages;
	size_t *pend; /* indices of pages with pending = true */
	size_t npend, cappend;
};

static inline struct spy_page *spy_page(struct spy *s, uint64_t pfn)
{
	size_t i = (size_t)((pfn * 0x9e3779b97f4a7c15ull) >> 48) & (SPY_SLOTS - 1);
	for (size_t k = 0; k < SPY_SLOTS; k++, i = (i + 1) & (SPY_SLOTS - 1)) {
		if (s->pages[i].used && s->pages[i].pfn == pfn)
			return &s->pages[i];
		if (!s->pages[i].used) {
			s->pages[i].used = true;
			s->pages[i].pfn = pfn;
			return &s->pages[i];
		}
	}
	abort(); /* spy page table full: enlarge SPY_SLOTS */
}

static inline struct spy *SPY(struct iova_backend *b)
{
	return (struct spy *)b;
}

static int spy_map(struct iova_backend *b, uint64_t iova, void *host, size_t len, int prot)
{
	struct spy *s = SPY(b);
	if (s->fail_maps) {
		s->fail_maps--;
		return -EINVAL;
	}
	for (uint64_t p = iova >> 12; p < (iova + len) >> 12; p++) {
		struct spy_page *pg = spy_page(s, p);
		if (pg->unmapped) {
			if (pg->covered || pg->unmap_seq <= s->covered_upto)
				s->reuses++;
			else
				s->violations++;
			pg->unmapped = false;
		}
	}
	return s->inner->ops->map(s->inner, iova, host, len, prot);
}

static int spy_unmap(struct iova_backend *b, uint64_t iova, size_t len)
{
	struct spy *s = SPY(b);
	int rc = s->inner->ops->unmap(s->inner, iova, len);
	if (rc == 0) {
		s->unmap_seq++;
		for (uint64_t p = iova >> 12; p < (iova + len) >> 12; p++) {
			struct spy_page *pg = spy_page(s, p);
			pg->unmapped = true;
			pg->covered = false;
			pg->pending = false;
			pg->unmap_seq = s->unmap_seq;
		}
	}
	return rc;
}

static int spy_inv_queue(struct iova_backend *b, uint64_t iova, uint64_t npages)
{
	struct spy *s = SPY(b);
	s->inv_calls++;
	if (!npages) {
		s->dom_pending = true;
		s->dom_mark = s->unmap_seq;
	} else {
		for (uint64_t p = iova >> 12; p < (iova >> 12) + npages; p++) {
			/* only look at pages we know: keeps large covers cheap */
			size_t i = (size_t)((p * 0x9e3779b97f4a7c15ull) >> 48) & (SPY_SLOTS - 1);
			for (size_t k = 0; k < SPY_SLOTS && s->pages[i].used;
			     k++, i = (i + 1) & (SPY_SLOTS - 1))
				if (s->pages[i].pfn == p) {
					if (s->pages[i].unmapped && !s->pages[i].pending) {
						if (s->npend == s->cappend) {
							s->cappend =
								s->cappend ? 2 * s->cappend : 256;
							s->pend = realloc(s->pend,
									  s->cappend *
										  sizeof(*s->pend));
							if (!s->pend)
								abort();
						}
						s->pages[i].pending = true;
						s->pend[s->npend++] = i;
					}
					break;
				}
		}
	}
	return s->inner->ops->inv_queue(s->inner, iova, npages);
}

static int spy_inv_flush(struct iova_backend *b, bool wait)
{
	struct spy *s = SPY(b);
	int rc = s->inner->ops->inv_flush(s->inner, wait);
	s->flushes++;
	if (wait && rc == 0) {
		s->waits++;
		if (s->dom_pending) {
			s->covered_upto = s->dom_mark;
			s->dom_pending = false;
		}
		for (size_t k = 0; k < s->npend; k++) {
			struct spy_page *pg = &s->pages[s->pend[k]];
			if (pg->pending) { /* still unmapped since the invalidation was queued */
				pg->pending = false;
				pg->covered = true;
			}
		}
		s->npend = 0;
	}
	return rc;
}

static int spy_dma(struct iova_backend *b, uint64_t iova, size_t len, int access, void **host)
{
	struct spy *s = SPY(b);
	return s->inner->ops->dma(s->inner, iova, len, access, host);
}

static void spy_destroy(struct iova_backend *b)
{
	struct spy *s = SPY(b);
	s->inner->ops->destroy(s->inner);
	free(s->pages);
	free(s->pend);
	free(s);
}

static const struct iova_backend_ops spy_ops = {
	.name = "spy",
	.map = spy_map,
	.unmap = spy_unmap,
	.inv_queue = spy_inv_queue,
	.inv_flush = spy_inv_flush,
	.dma = spy_dma,
	.destroy = spy_destroy,
};

static inline struct spy *spy_wrap(struct iova_backend *inner)
{
	struct spy *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->pages = calloc(SPY_SLOTS, sizeof(*s->pages));
	if (!s->pages) {
		free(s);
		return NULL;
	}
	s->be.ops = &spy_ops;
	s->be.priv = s;
	s->inner = inner;
	return s;
}

#endif
