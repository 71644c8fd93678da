/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mapping-reuse engine shared by the optimistic, persistent and shared strategies
 * (vIOMMU paper, "Mappings reuse": shared [Willmann'08], persistent/on-demand
 * [Yassour'10], optimistic teardown [Amit'11]).
 *
 * An entry is one live IOVA mapping of a host page run with a given prot. It is found
 * by key (host page, npages, prot) on map and by IOVA pfn on unmap. refs counts
 * buffers currently mapped through it. When refs drops to 0:
 *   quota == 0           -> strict teardown at once (shared);
 *   otherwise            -> the entry stays mapped ("stale": freed but device-reachable)
 *                           at the tail of an LRU list; a later map of the same host run
 *                           revives it (reuse_hits) without touching the IOMMU.
 * Over quota (more than quota stale entries) the `batch` oldest are torn down together:
 * clear each PTE run, queue their page-selective invalidations, ONE wait, then free the
 * IOVAs. Entries older than timeout_ns are torn down the same way (on map, unmap and
 * iova_ctx_poll). Persistent = no quota, no timeout: never unmapped until destroy.
 */
#include <stdlib.h>

#include "iova_priv.h"

struct centry {
	struct iova_hnode by_key, by_pfn;
	struct centry *prev, *next; /* LRU (stale entries only) */
	uintptr_t host_page;
	uint64_t npages, pfn;
	int prot;
	uint64_t refs;
	uint64_t t_stale;
};

struct cache {
	struct iova_cache_cfg cfg;
	struct iova_htab by_key, by_pfn;
	struct centry *lru_head, *lru_tail; /* oldest at head */
	uint64_t nstale;
};

static inline struct cache *C(const struct iova_ctx *c)
{
	return c->sp;
}

/* host pages are 4 KiB aligned: prot fits in the low bits, npages in the top 16 */
static inline uint64_t ckey(uintptr_t host_page, uint64_t npages, int prot)
{
	return (uint64_t)host_page ^ ((uint64_t)prot & 3) ^ (npages << 48) ^ (npages >> 16 << 2);
}

static void lru_del(struct cache *k, struct centry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		k->lru_head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		k->lru_tail = e->prev;
	e->prev = e->next = NULL;
	k->nstale--;
}

static void lru_add_tail(struct cache *k, struct centry *e)
{
	e->next = NULL;
	e->prev = k->lru_tail;
	if (k->lru_tail)
		k->lru_tail->next = e;
	else
		k->lru_head = e;
	k->lru_tail = e;
	k->nstale++;
}

int iova_cache_init(struct iova_ctx *c, const struct iova_cache_cfg *cfg)
{
	struct cache *k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->cfg = *cfg;
	if (!k->cfg.batch)
		k->cfg.batch = 1;
	if (iova_htab_init(&k->by_key, 1024) < 0 || iova_htab_init(&k->by_pfn, 1024) < 0) {
		iova_htab_fini(&k->by_key);
		free(k);
		return -ENOMEM;
	}
	c->sp = k;
	return 0;
}

/* tear down v[0..n): clear PTEs, one invalidation per entry, one wait, free */
static int teardown(struct iova_ctx *c, struct centry **v, unsigned int n, unsigned int cpu,
		    bool was_stale)
{
	struct cache *k = C(c);
	int first = 0;
	for (unsigned int i = 0; i < n; i++) {
		int rc = iova_be_unmap(c, v[i]->pfn, v[i]->npages);
		if (rc == 0)
			rc = iova_be_inv(c, v[i]->pfn, v[i]->npages);
		if (rc < 0 && !first)
			first = rc;
	}
	int rc = iova_be_flush_wait(c);
	if (rc < 0 && !first)
		first = rc;
	uint64_t now = iova_now_ns();
	for (unsigned int i = 0; i < n; i++) {
		struct centry *e = v[i];
		if (was_stale)
			iova_stale_close(c, e->t_stale, now);
		iova_htab_remove(&k->by_key, &e->by_key);
		iova_htab_remove(&k->by_pfn, &e->by_pfn);
		if (!first) /* an IOVA whose invalidation failed is leaked, never reused */
			iova_ctx_free_pfn(c, e->pfn, e->npages, cpu);
		free(e);
	}
	return first;
}

#define EVICT_MAX 64

/* evict the oldest stale entries: while more than quota would be stale with `incoming`
 * more (batch at a time), and every entry older than the time limit */
static int evict(struct iova_ctx *c, unsigned int cpu, uint64_t now, uint64_t incoming)
{
	struct cache *k = C(c);
	int first = 0;
	for (;;) {
		struct centry *v[EVICT_MAX];
		unsigned int n = 0;
		uint64_t want = 0;
		if (k->nstale + incoming > k->cfg.quota) {
			want = k->nstale + incoming - k->cfg.quota;
			if (want < k->cfg.batch)
				want = k->cfg.batch;
		}
		while (k->lru_head && n < EVICT_MAX) {
			struct centry *e = k->lru_head;
			bool expired = k->cfg.timeout_ns && now - e->t_stale >= k->cfg.timeout_ns;
			if (n >= want && !expired)
				break;
			lru_del(k, e);
			v[n++] = e;
		}
		if (!n)
			return first;
		incoming = 0;
		int rc = teardown(c, v, n, cpu, true);
		if (rc < 0 && !first)
			first = rc;
	}
}

int iova_cache_map(struct iova_ctx *c, struct iova_req *r, unsigned int n, unsigned int cpu)
{
	struct cache *k = C(c);
	for (unsigned int i = 0; i < n; i++) {
		uint64_t key = ckey(r[i].host_page, r[i].npages, r[i].prot);
		struct iova_hnode *h = iova_htab_lookup(&k->by_key, key);
		struct centry *e = h ? iova_container_of(h, struct centry, by_key) : NULL;
		if (e && (e->host_page != r[i].host_page || e->npages != r[i].npages ||
			  e->prot != r[i].prot))
			e = NULL; /* key collision (practically impossible); map a fresh one */
		if (e) {
			if (e->refs == 0) { /* revive a stale mapping */
				lru_del(k, e);
				iova_stale_close(c, e->t_stale, iova_now_ns());
			}
			e->refs++;
			c->st.reuse_hits++;
			r[i].pfn = e->pfn;
			continue;
		}
		e = calloc(1, sizeof(*e));
		int rc = e ? iova_strict_map_one(c, &r[i], cpu) : -ENOMEM;
		if (rc < 0) {
			free(e);
			if (i)
				iova_cache_unmap(c, r, i, cpu);
			return rc;
		}
		e->host_page = r[i].host_page;
		e->npages = r[i].npages;
		e->prot = r[i].prot;
		e->pfn = r[i].pfn;
		e->refs = 1;
		iova_htab_insert(&k->by_key, &e->by_key, key);
		iova_htab_insert(&k->by_pfn, &e->by_pfn, e->pfn);
	}
	if (k->cfg.timeout_ns && k->lru_head)
		evict(c, cpu, iova_now_ns(), 0);
	return 0;
}

int iova_cache_unmap(struct iova_ctx *c, const struct iova_req *r, unsigned int n, unsigned int cpu)
{
	struct cache *k = C(c);
	int first = 0;
	for (unsigned int i = 0; i < n; i++) {
		struct iova_hnode *h = iova_htab_lookup(&k->by_pfn, r[i].pfn);
		struct centry *e = h ? iova_container_of(h, struct centry, by_pfn) : NULL;
		if (!e || e->npages != r[i].npages || e->refs == 0) {
			if (!first)
				first = -EINVAL; /* not mapped through this ctx, or unmapped twice */
			continue;
		}
		if (--e->refs)
			continue;
		if (k->cfg.quota == 0) {
			int rc = teardown(c, &e, 1, cpu, false);
			if (rc < 0 && !first)
				first = rc;
			continue;
		}
		if (k->nstale >= k->cfg.quota) { /* make room first: never more than quota stale */
			int rc = evict(c, cpu, iova_now_ns(), 1);
			if (rc < 0 && !first)
				first = rc;
		}
		e->t_stale = iova_now_ns();
		lru_add_tail(k, e);
		iova_stale_open(c, 1);
	}
	if (k->cfg.timeout_ns && k->lru_head) {
		int rc = evict(c, cpu, iova_now_ns(), 0);
		if (rc < 0 && !first)
			first = rc;
	}
	return first;
}

void iova_cache_poll(struct iova_ctx *c, unsigned int cpu, uint64_t now_ns)
{
	if (C(c)->lru_head)
		evict(c, cpu, now_ns, 0);
}

uint64_t iova_cache_oldest_stale(const struct iova_ctx *c)
{
	const struct cache *k = C(c);
	return k->lru_head ? k->lru_head->t_stale : 0;
}

struct collect {
	struct centry **v;
	size_t n;
};

static void collect_fn(struct iova_hnode *h, void *arg)
{
	struct collect *a = arg;
	a->v[a->n++] = iova_container_of(h, struct centry, by_pfn);
}

void iova_cache_fini(struct iova_ctx *c)
{
	struct cache *k = C(c);
	if (!k)
		return;
	size_t total = k->by_pfn.count;
	struct centry **v = total ? calloc(total, sizeof(*v)) : NULL;
	if (v) {
		struct collect a = { v, 0 };
		iova_htab_foreach(&k->by_pfn, collect_fn, &a);
		/* unlink first: teardown() removes from the tables one by one */
		k->lru_head = k->lru_tail = NULL;
		for (size_t i = 0; i < a.n; i += EVICT_MAX) {
			size_t m = a.n - i < EVICT_MAX ? a.n - i : EVICT_MAX;
			for (size_t j = 0; j < m; j++)
				if (v[i + j]->refs == 0)
					k->nstale--;
			/* stale ones close their window here; in-use ones were never stale */
			struct centry *batch[EVICT_MAX];
			unsigned int ns = 0, nu = 0;
			struct centry *used[EVICT_MAX];
			for (size_t j = 0; j < m; j++) {
				if (v[i + j]->refs == 0)
					batch[ns++] = v[i + j];
				else
					used[nu++] = v[i + j];
			}
			if (ns)
				teardown(c, batch, ns, IOVA_ANY_CPU, true);
			if (nu)
				teardown(c, used, nu, IOVA_ANY_CPU, false);
		}
		free(v);
	}
	iova_htab_fini(&k->by_key);
	iova_htab_fini(&k->by_pfn);
	free(k);
	c->sp = NULL;
}
