/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file hist.h
 * HDR-style log-linear histogram: 2^HIST_SUB_BITS linear sub-buckets per power
 * of two, so any recorded value is reported within 1/2^HIST_SUB_BITS relative
 * error (0.8 % with 7 bits). Fixed memory, O(1) record, no allocation.
 */
#ifndef VFAPP_HIST_H
#define VFAPP_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 7
#define HIST_SUB      (1u << HIST_SUB_BITS)
#define HIST_BUCKETS  ((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t min, max;
	uint64_t sum;
	uint64_t b[HIST_BUCKETS];
};

/** Zero the histogram. */
void hist_reset(struct hist *h);
/** Record one value. */
void hist_record(struct hist *h, uint64_t v);
/**
 * Value at quantile q (0..1): the midpoint of the bucket holding the
 * ceil(q*count)-th smallest value, clamped to [min, max]. 0 when empty.
 */
uint64_t hist_quantile(const struct hist *h, double q);
/** Bucket index of v (exposed for tests). */
unsigned int hist_bucket(uint64_t v);
/** Lowest value that falls into bucket i, and the bucket's width. */
void hist_bucket_range(unsigned int i, uint64_t *lo, uint64_t *width);

#endif
