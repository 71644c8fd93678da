/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file iova_alloc.h
 * @internal
 * The IOVA allocator (iova_alloc.c): size-aligned ranges, top-down below limit,
 * an rbtree of allocated ranges (iova_rbtree.c) under one lock, and per-CPU
 * magazines (Linux drivers/iommu/iova.c rcache) as the O(1) path.
 * Used by iova_ctx.c and tests/iova. Not part of the lib/iova contract (iova.h).
 */
#ifndef IOVA_ALLOC_H
#define IOVA_ALLOC_H

#include <stdint.h>

#include "iova.h"

struct iova_allocator;

/** Allocator statistics (monotonic counters since creation). */
struct iova_allocator_stats {
	uint64_t allocs; /**< successful iova_alloc() calls */
	uint64_t frees; /**< successful iova_free() calls */
	uint64_t cache_hits; /**< allocs served by a per-CPU magazine */
	uint64_t cache_misses; /**< allocs that went to the tree */
	uint64_t bad_frees; /**< double or foreign frees detected */
	uint64_t ranges_in_use; /**< currently allocated ranges (not counting cached) */
	uint64_t pages_in_use; /**< pages in those ranges */
};

/**
 * Create an allocator for pfns [base_pfn, limit_pfn] inclusive (Linux init_iova_domain()).
 * @param nb_cpus number of per-CPU magazine sets (lcores); 0 disables caching; at most 4096.
 * @return the allocator, or NULL with errno set (EINVAL, ENOMEM).
 */
struct iova_allocator *iova_allocator_create(uint64_t base_pfn, uint64_t limit_pfn,
					     unsigned int nb_cpus);
/** Free the allocator, its tree, hash and magazines. Outstanding ranges are dropped. */
void iova_allocator_destroy(struct iova_allocator *a);

/**
 * Allocate npages (rounded up to a power of two, size-aligned) of IOVA space,
 * highest free range first (Linux alloc_iova_fast()). Ranges of 1..32 pages go
 * through the CPU's magazine.
 * @param cpu  magazine index < nb_cpus; IOVA_ANY_CPU or any value >= nb_cpus bypasses the magazines.
 * @param pfn  out: first page frame number of the range.
 * @return 0, -EINVAL (npages 0 or too large), -ENOMEM (space exhausted).
 */
int iova_alloc(struct iova_allocator *a, uint64_t npages, unsigned int cpu, uint64_t *pfn);

/**
 * Free a range returned by iova_alloc() with the same npages (Linux free_iova_fast()).
 * @return 0, or -EINVAL for a double free or a range that was never allocated
 *         (counted in bad_frees; the allocator state is unchanged).
 */
int iova_free(struct iova_allocator *a, uint64_t pfn, uint64_t npages, unsigned int cpu);

/** Return every cached range to the tree (Linux free_cpu_cached_iovas()). */
void iova_allocator_flush_caches(struct iova_allocator *a);
/** Snapshot the counters into *st. */
void iova_allocator_get_stats(const struct iova_allocator *a, struct iova_allocator_stats *st);

/** Magazines currently in the depot of size class order (2^order pages) (tests). */
unsigned int iova_alloc_depot_size(struct iova_allocator *a, unsigned int order);

#endif /* IOVA_ALLOC_H */
