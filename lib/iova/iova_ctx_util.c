/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/iova helpers for the software half: an intrusive chained hash table keyed by
 * uint64_t, a log-linear cycle histogram, and the TSC frequency estimate.
 * Plain C, no DPDK.
 */
#include <stdlib.h>
#include <string.h>

#include "iova_priv.h"

/* ---- hash ---- */

static inline size_t hash64(uint64_t k)
{
	/* splitmix64 finalizer: good avalanche for page-aligned keys */
	k ^= k >> 30;
	k *= 0xbf58476d1ce4e5b9ull;
	k ^= k >> 27;
	k *= 0x94d049bb133111ebull;
	k ^= k >> 31;
	return (size_t)k;
}

int iova_htab_init(struct iova_htab *h, size_t hint)
{
	size_t n = 16;
	while (n < hint)
		n <<= 1;
	h->b = calloc(n, sizeof(*h->b));
	if (!h->b)
		return -ENOMEM;
	h->mask = n - 1;
	h->count = 0;
	return 0;
}

void iova_htab_fini(struct iova_htab *h)
{
	free(h->b);
	h->b = NULL;
	h->mask = 0;
	h->count = 0;
}

static void htab_grow(struct iova_htab *h)
{
	size_t n = (h->mask + 1) * 2;
	struct iova_hnode **nb = calloc(n, sizeof(*nb));
	if (!nb)
		return; /* stays correct, only longer chains */
	for (size_t i = 0; i <= h->mask; i++) {
		struct iova_hnode *e = h->b[i];
		while (e) {
			struct iova_hnode *next = e->next;
			size_t j = hash64(e->key) & (n - 1);
			e->next = nb[j];
			nb[j] = e;
			e = next;
		}
	}
	free(h->b);
	h->b = nb;
	h->mask = n - 1;
}

void iova_htab_insert(struct iova_htab *h, struct iova_hnode *n, uint64_t key)
{
	if (h->count >= h->mask + 1)
		htab_grow(h);
	size_t i = hash64(key) & h->mask;
	n->key = key;
	n->next = h->b[i];
	h->b[i] = n;
	h->count++;
}

struct iova_hnode *iova_htab_lookup(const struct iova_htab *h, uint64_t key)
{
	for (struct iova_hnode *e = h->b[hash64(key) & h->mask]; e; e = e->next)
		if (e->key == key)
			return e;
	return NULL;
}

void iova_htab_remove(struct iova_htab *h, struct iova_hnode *n)
{
	struct iova_hnode **pp = &h->b[hash64(n->key) & h->mask];
	while (*pp && *pp != n)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = n->next;
		h->count--;
	}
	n->next = NULL;
}

void iova_htab_foreach(const struct iova_htab *h, void (*fn)(struct iova_hnode *n, void *arg), void *arg)
{
	for (size_t i = 0; i <= h->mask; i++)
		for (struct iova_hnode *e = h->b[i]; e; e = e->next)
			fn(e, arg);
}

/* ---- histogram ---- */

static unsigned int hist_index(uint64_t v)
{
	if (v < (1u << IOVA_HIST_SUB_BITS))
		return (unsigned int)v; /* exact below 16 */
	unsigned int msb = 63 - (unsigned int)__builtin_clzll(v);
	unsigned int sub = (unsigned int)(v >> (msb - IOVA_HIST_SUB_BITS)) & ((1u << IOVA_HIST_SUB_BITS) - 1);
	return ((msb - IOVA_HIST_SUB_BITS + 1) << IOVA_HIST_SUB_BITS) | sub;
}

/* [lo, hi) of bucket i */
static void hist_bounds(unsigned int i, uint64_t *lo, uint64_t *hi)
{
	if (i < (1u << IOVA_HIST_SUB_BITS)) {
		*lo = i;
		*hi = i + 1;
		return;
	}
	unsigned int msb = (i >> IOVA_HIST_SUB_BITS) + IOVA_HIST_SUB_BITS - 1;
	uint64_t sub = i & ((1u << IOVA_HIST_SUB_BITS) - 1);
	uint64_t step = 1ull << (msb - IOVA_HIST_SUB_BITS);
	*lo = (1ull << msb) + sub * step;
	*hi = *lo + step;
}

void iova_hist_add(struct iova_hist *h, uint64_t v)
{
	unsigned int i = hist_index(v);
	if (i >= IOVA_HIST_BUCKETS)
		i = IOVA_HIST_BUCKETS - 1;
	h->b[i]++;
	h->n++;
}

uint64_t iova_hist_quantile(const struct iova_hist *h, double q)
{
	if (!h->n)
		return 0;
	uint64_t rank = (uint64_t)(q * (double)(h->n - 1)) + 1; /* 1-based */
	uint64_t acc = 0;
	for (unsigned int i = 0; i < IOVA_HIST_BUCKETS; i++) {
		acc += h->b[i];
		if (acc >= rank) {
			uint64_t lo, hi;
			hist_bounds(i, &lo, &hi);
			return lo + (hi - lo) / 2;
		}
	}
	return 0;
}

/* ---- TSC frequency ---- */

uint64_t iova_tsc_hz(unsigned int ms)
{
	static uint64_t cached;
	if (cached)
		return cached;
	if (!ms)
		ms = 50;
	uint64_t t0 = iova_now_ns(), c0 = iova_rdtsc();
	uint64_t end = t0 + (uint64_t)ms * 1000000ull, t1;
	while ((t1 = iova_now_ns()) < end)
		iova_cpu_relax();
	uint64_t c1 = iova_rdtsc();
	double hz = (double)(c1 - c0) * 1e9 / (double)(t1 - t0);
	cached = (uint64_t)hz;
	return cached;
}
