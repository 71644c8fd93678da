/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file hist.c
 * Log-linear histogram (the HdrHistogram bucketing idea, fixed precision).
 */
#include <math.h>
#include <string.h>

#include "hist.h"

void
hist_reset(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned int
hist_bucket(uint64_t v)
{
	unsigned int msb, shift;

	if (v < 2 * HIST_SUB)
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	shift = msb - HIST_SUB_BITS;
	return (shift + 1) * HIST_SUB + (unsigned int)((v >> shift) - HIST_SUB);
}

void
hist_bucket_range(unsigned int i, uint64_t *lo, uint64_t *width)
{
	unsigned int shift;

	if (i < 2 * HIST_SUB) {
		*lo = i;
		*width = 1;
		return;
	}
	shift = i / HIST_SUB - 1;
	*lo = ((uint64_t)(i % HIST_SUB) + HIST_SUB) << shift;
	*width = 1ull << shift;
}

void
hist_record(struct hist *h, uint64_t v)
{
	h->b[hist_bucket(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

uint64_t
hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, lo, width, v;
	unsigned int i;

	if (h->count == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank == 0)
		rank = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			break;
	}
	if (i == HIST_BUCKETS)
		return h->max;
	hist_bucket_range(i, &lo, &width);
	v = lo + width / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}
