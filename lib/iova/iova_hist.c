/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file iova_hist.c
 * The project's one log-linear histogram (the HdrHistogram bucketing idea, fixed
 * precision): values below 2 * IOVA_HIST_SUB have a bucket each; above, every power
 * of two [2^m, 2^(m+1)) is cut into IOVA_HIST_SUB equal buckets. Used by iova_ctx.c
 * (cycles per page of each map/unmap) and by vfapp's UDP_RR (round-trip ns).
 * No libm, no allocation, no locking.
 */
#include <string.h>

#include "iova_priv.h"

void iova_hist_reset(struct iova_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

unsigned int iova_hist_bucket(uint64_t v)
{
	unsigned int msb, shift;

	if (v < 2 * IOVA_HIST_SUB)
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	shift = msb - IOVA_HIST_SUB_BITS;
	return (shift + 1) * IOVA_HIST_SUB + (unsigned int)((v >> shift) - IOVA_HIST_SUB);
}

void iova_hist_bucket_range(unsigned int i, uint64_t *lo, uint64_t *width)
{
	unsigned int shift;

	if (i < 2 * IOVA_HIST_SUB) {
		*lo = i;
		*width = 1;
		return;
	}
	shift = i / IOVA_HIST_SUB - 1;
	*lo = ((uint64_t)(i % IOVA_HIST_SUB) + IOVA_HIST_SUB) << shift;
	*width = 1ull << shift;
}

void iova_hist_record(struct iova_hist *h, uint64_t v)
{
	h->b[iova_hist_bucket(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void iova_hist_record_n(struct iova_hist *h, uint64_t v, uint64_t n)
{
	if (!n)
		return;
	h->b[iova_hist_bucket(v)] += n;
	h->count += n;
	h->sum += v * n;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

uint64_t iova_hist_quantile(const struct iova_hist *h, double q)
{
	uint64_t rank, seen = 0, lo, width, v;
	double r;
	unsigned int i;

	if (h->count == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	r = q * (double)h->count;
	rank = (uint64_t)r; /* ceil without libm */
	if ((double)rank < r)
		rank++;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < IOVA_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank)
			break;
	}
	if (i == IOVA_HIST_BUCKETS)
		return h->max;
	iova_hist_bucket_range(i, &lo, &width);
	v = lo + width / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}
