/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file iova_htab.c
 * Intrusive chained hash table keyed by uint64_t (splitmix64 finalizer), grown by
 * doubling when the load passes 1. No locking: callers serialise (the ctx lock,
 * or the VMM thread alone for mode_emul.c's shadow). Plain C, no DPDK.
 */
#include <stdlib.h>
#include <string.h>

#include "iova_priv.h"

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

void iova_htab_foreach(const struct iova_htab *h, void (*fn)(struct iova_hnode *n, void *arg),
		       void *arg)
{
	for (size_t i = 0; i <= h->mask; i++)
		for (struct iova_hnode *e = h->b[i]; e; e = e->next)
			fn(e, arg);
}
