/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file iova_alloc.c
 * IOVA allocator: size-aligned ranges, allocated top-down below a limit from a
 * red-black tree of allocated ranges under one lock, with per-CPU magazine
 * caches in front (Linux drivers/iommu/iova.c: alloc_iova(), alloc_iova_fast(),
 * free_iova_fast(), the "iova rcache" of Peleg et al., ATC 2015).
 *
 * INVARIANTS (checked by tests/iova/test_iova_alloc.c against a bitmap model)
 *  I1. Every range handed out is [pfn, pfn + size - 1] with size = npages rounded
 *      up to a power of two, pfn % size == 0, base_pfn <= pfn, pfn + size - 1 <= limit_pfn.
 *  I2. The tree holds exactly the ranges that are ALLOCATED (owned by a user) or
 *      CACHED (sitting in a per-CPU magazine or the depot), plus one anchor node at
 *      limit_pfn + 1 (Linux IOVA_ANCHOR). No two tree ranges overlap.
 *      Hence a cached range is still "reserved" in the tree, exactly as in Linux,
 *      and the tree alone never hands it out twice.
 *  I3. The range hash (sharded, one spinlock per shard) indexes the same nodes
 *      as the tree (except the anchor) by pfn_lo, and carries the node's state.
 *      A free is valid iff the hash holds a node with that pfn_lo, that size and
 *      state ALLOCATED; validation and the state change are one critical section
 *      of the shard lock, so two racing frees of one range see exactly one winner.
 *      A CACHED range therefore fails validation: double frees are detected even
 *      when the first free only went to a magazine.
 *  I4. A pfn is in at most one magazine slot, and only while its node is CACHED.
 *      Between "popped from a magazine" and "marked ALLOCATED" the node stays
 *      CACHED and is in no magazine: nobody else can obtain it.
 *  I5. cached_node is a tree node (or the anchor); every range above cached_node
 *      that was free when cached_node was set has been freed since only if
 *      cached_node was moved up (__cached_rbnode_delete_update()). max_alloc_size
 *      is 1 + the size of the smallest failed tree allocation since the last
 *      tree free (Linux max32_alloc_size): any size >= it fails without a walk.
 *  I6. Lock order: per-CPU rcache lock -> depot lock -> tree lock -> shard lock.
 *      The depot trim pops a magazine under the depot lock alone and returns its
 *      ranges to the tree afterwards.
 *      No path takes them in another order.
 *  I7. A failed iova_free() changes nothing but the bad_frees counter.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iova_alloc.h"
#include "iova_rbtree.h"

#include "iova.h"

#define IOVA_RCACHE_CLASSES 6 /**< 1, 2, 4, 8, 16, 32 pages (Linux IOVA_RANGE_CACHE_MAX_SIZE) */
#define IOVA_MAG_SIZE 127 /**< pfns per magazine (Linux IOVA_MAG_SIZE) */
#define IOVA_DEPOT_DELAY_NS \
	(100ULL * 1000 * 1000) /**< depot trim period (Linux IOVA_DEPOT_DELAY, 100 ms) */
#define IOVA_HASH_SHARDS 64
#define IOVA_PFN_MAX ((1ULL << 52) - 2) /**< highest limit_pfn (64-bit addresses) */

enum iova_node_state { IOVA_NODE_ANCHOR = 0, IOVA_NODE_ALLOCATED = 1, IOVA_NODE_CACHED = 2 };

struct iova_node {
	struct iova_rb_node rb; /* tree link, keyed by pfn_lo */
	uint64_t pfn_lo, pfn_hi; /* inclusive */
	struct iova_node *hnext; /* range-hash chain */
	uint8_t state; /* enum iova_node_state, guarded by the shard lock */
};

struct iova_magazine {
	unsigned int size;
	struct iova_magazine *next; /* depot list link (Linux reuses pfns[0]) */
	uint64_t pfns[IOVA_MAG_SIZE];
};

struct iova_cpu_rcache {
	pthread_spinlock_t lock;
	struct iova_magazine *loaded, *prev;
} __attribute__((aligned(64)));

struct iova_rcache {
	pthread_spinlock_t lock; /* depot */
	unsigned int depot_size;
	struct iova_magazine *depot; /* unbounded list, trimmed (Linux >= 6.7) */
	uint64_t last_trim_ns;
	struct iova_cpu_rcache *cpu; /* nb_cpus entries */
};

struct iova_hash_shard {
	pthread_spinlock_t lock;
	uint64_t nb_buckets; /* power of two */
	uint64_t count;
	struct iova_node **buckets;
} __attribute__((aligned(64)));

struct iova_allocator {
	uint64_t base_pfn, limit_pfn;
	unsigned int nb_cpus;

	pthread_spinlock_t tree_lock;
	struct iova_rb_root root;
	struct iova_node *cached_node;
	uint64_t max_alloc_size;
	struct iova_node anchor;

	struct iova_hash_shard shards[IOVA_HASH_SHARDS];
	struct iova_rcache rcaches[IOVA_RCACHE_CLASSES];

	/* statistics, updated with relaxed atomics */
	uint64_t st_allocs, st_frees, st_hits, st_misses, st_bad_frees;
	int64_t st_ranges, st_pages;
};

#define STAT_ADD(a, f, v) __atomic_fetch_add(&(a)->f, (v), __ATOMIC_RELAXED)

static inline struct iova_node *node_of(struct iova_rb_node *rb)
{
	return rb ? iova_rb_entry(rb, struct iova_node, rb) : NULL;
}

/* Tree lock held. Insert z keyed by pfn_lo (duplicates go right). */
static void tree_insert(struct iova_allocator *a, struct iova_node *z)
{
	struct iova_rb_node **link = &a->root.node, *parent = NULL;

	while (*link) {
		parent = *link;
		link = z->pfn_lo < node_of(parent)->pfn_lo ? &parent->left : &parent->right;
	}
	iova_rb_insert(&a->root, &z->rb, parent, link);
}

static inline struct iova_node *tree_prev(struct iova_node *n)
{
	return node_of(iova_rb_prev(&n->rb));
}

static inline struct iova_node *tree_next(struct iova_node *n)
{
	return node_of(iova_rb_next(&n->rb));
}

/* ====================================================================== */
/* Range hash: pfn_lo -> node, with the node's state (invariant I3)        */
/* ====================================================================== */

static inline uint64_t hash_pfn(uint64_t pfn)
{
	return (pfn * 0x9E3779B97F4A7C15ULL) >> 16;
}

static inline struct iova_hash_shard *shard_of(struct iova_allocator *a, uint64_t h)
{
	return &a->shards[h % IOVA_HASH_SHARDS];
}

static inline struct iova_node **bucket_of(struct iova_hash_shard *s, uint64_t h)
{
	return &s->buckets[(h / IOVA_HASH_SHARDS) & (s->nb_buckets - 1)];
}

/* Called with the shard lock held. Grows by doubling; on malloc failure keeps chaining. */
static void shard_grow(struct iova_hash_shard *s)
{
	uint64_t nb = s->nb_buckets * 2;
	struct iova_node **nbk = calloc(nb, sizeof(*nbk));

	if (!nbk)
		return;
	for (uint64_t i = 0; i < s->nb_buckets; i++) {
		struct iova_node *n = s->buckets[i], *next;

		for (; n; n = next) {
			uint64_t h = hash_pfn(n->pfn_lo);

			next = n->hnext;
			n->hnext = nbk[(h / IOVA_HASH_SHARDS) & (nb - 1)];
			nbk[(h / IOVA_HASH_SHARDS) & (nb - 1)] = n;
		}
	}
	free(s->buckets);
	s->buckets = nbk;
	s->nb_buckets = nb;
}

static void hash_insert(struct iova_allocator *a, struct iova_node *n)
{
	uint64_t h = hash_pfn(n->pfn_lo);
	struct iova_hash_shard *s = shard_of(a, h);

	pthread_spin_lock(&s->lock);
	if (s->count >= 2 * s->nb_buckets)
		shard_grow(s);
	struct iova_node **b = bucket_of(s, h);
	n->hnext = *b;
	*b = n;
	s->count++;
	pthread_spin_unlock(&s->lock);
}

/* Shard lock held. Returns the link that points to the node with pfn_lo == pfn, or NULL. */
static struct iova_node **hash_find_link(struct iova_hash_shard *s, uint64_t h, uint64_t pfn)
{
	struct iova_node **link = bucket_of(s, h);

	for (; *link; link = &(*link)->hnext)
		if ((*link)->pfn_lo == pfn)
			return link;
	return NULL;
}

/**
 * Atomically check that [pfn, pfn+size) is a node in state @from and move it to @to;
 * if @unlink, also remove it from the hash. Returns the node or NULL.
 */
static struct iova_node *hash_transition(struct iova_allocator *a, uint64_t pfn, uint64_t size,
					 uint8_t from, uint8_t to, bool unlink)
{
	uint64_t h = hash_pfn(pfn);
	struct iova_hash_shard *s = shard_of(a, h);
	struct iova_node *n = NULL, **link;

	pthread_spin_lock(&s->lock);
	link = hash_find_link(s, h, pfn);
	if (link && (*link)->state == from && (*link)->pfn_hi - (*link)->pfn_lo + 1 == size) {
		n = *link;
		n->state = to;
		if (unlink) {
			*link = n->hnext;
			n->hnext = NULL;
			s->count--;
		}
	}
	pthread_spin_unlock(&s->lock);
	return n;
}

/* ====================================================================== */
/* Tree allocation (Linux __alloc_and_insert_iova_range())                  */
/* ====================================================================== */

static inline unsigned int order_of(uint64_t size)
{
	return (unsigned int)__builtin_ctzll(size);
}

static inline uint64_t roundup_pow2(uint64_t n)
{
	return n <= 1 ? 1 : 1ULL << (64 - __builtin_clzll(n - 1));
}

static int tree_alloc(struct iova_allocator *a, uint64_t size, uint64_t *out)
{
	struct iova_node *node = malloc(sizeof(*node));
	struct iova_node *curr, *prev;
	uint64_t limit = a->limit_pfn + 1; /* exclusive, like Linux's limit_pfn + 1 */
	uint64_t high, low = a->base_pfn, new_pfn, retry_pfn;
	uint64_t align_mask = ~(size - 1);

	if (!node)
		return -ENOMEM;
	pthread_spin_lock(&a->tree_lock);
	if (size >= a->max_alloc_size)
		goto full;
	curr = a->cached_node;
	high = limit;
	retry_pfn = curr->pfn_hi;
retry:
	do {
		high = high < curr->pfn_lo ? high : curr->pfn_lo;
		new_pfn = (high - size) & align_mask;
		prev = curr;
		curr = tree_prev(curr);
	} while (curr && new_pfn <= curr->pfn_hi && new_pfn >= low);

	if (high < size || new_pfn < low) {
		if (low == a->base_pfn && retry_pfn < limit) {
			/* Second pass: the part above the cached node. */
			high = limit;
			low = retry_pfn + 1;
			curr = &a->anchor;
			goto retry;
		}
		a->max_alloc_size = size;
		goto full;
	}
	(void)prev;
	node->pfn_lo = new_pfn;
	node->pfn_hi = new_pfn + size - 1;
	node->state = IOVA_NODE_ALLOCATED;
	node->hnext = NULL;
	tree_insert(a, node);
	a->cached_node = node; /* __cached_rbnode_insert_update() */
	/* Publish in the hash before dropping the tree lock: a free can only
	 * come after the caller has seen *out, i.e. after we return. */
	hash_insert(a, node);
	pthread_spin_unlock(&a->tree_lock);
	*out = new_pfn;
	return 0;
full:
	pthread_spin_unlock(&a->tree_lock);
	free(node);
	return -ENOMEM;
}

/* Tree lock held. Erase a node that has already been unlinked from the hash. */
static void tree_erase_locked(struct iova_allocator *a, struct iova_node *n)
{
	/* __cached_rbnode_delete_update() */
	if (n->pfn_lo >= a->cached_node->pfn_lo)
		a->cached_node = tree_next(n);
	a->max_alloc_size = UINT64_MAX;
	iova_rb_erase(&a->root, &n->rb);
	free(n);
}

/* Return cached pfns of one size class to the tree. */
static void tree_free_cached(struct iova_allocator *a, const uint64_t *pfns, unsigned int n,
			     uint64_t size)
{
	if (!n)
		return;
	pthread_spin_lock(&a->tree_lock);
	for (unsigned int i = 0; i < n; i++) {
		struct iova_node *node =
			hash_transition(a, pfns[i], size, IOVA_NODE_CACHED, IOVA_NODE_CACHED, true);
		/* I4: a magazine pfn is always a CACHED node. */
		if (node)
			tree_erase_locked(a, node);
	}
	pthread_spin_unlock(&a->tree_lock);
}

/* ====================================================================== */
/* Per-CPU magazines (Linux __iova_rcache_insert() / __iova_rcache_get())   */
/* ====================================================================== */

static struct iova_magazine *mag_alloc(void)
{
	struct iova_magazine *m = malloc(sizeof(*m));

	if (m)
		m->size = 0;
	return m;
}

static void mag_free_pfns(struct iova_allocator *a, struct iova_magazine *m, uint64_t size)
{
	if (m && m->size) {
		tree_free_cached(a, m->pfns, m->size, size);
		m->size = 0;
	}
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Depot lock held. */
static void depot_push(struct iova_rcache *rc, struct iova_magazine *m)
{
	m->next = rc->depot;
	rc->depot = m;
	rc->depot_size++;
}

/* Depot lock held. */
static struct iova_magazine *depot_pop(struct iova_rcache *rc)
{
	struct iova_magazine *m = rc->depot;

	if (m) {
		rc->depot = m->next;
		rc->depot_size--;
	}
	return m;
}

/*
 * Linux iova_depot_work_func(): every IOVA_DEPOT_DELAY, while the depot holds more
 * magazines than there are CPUs, return one magazine's ranges to the tree. There is
 * no timer thread here: the trim runs lazily on depot activity (pushes and pops),
 * at most one magazine per 100 ms, and iova_allocator_flush_caches() empties it.
 * Called with no lock held.
 */
static void depot_trim(struct iova_allocator *a, unsigned int order)
{
	struct iova_rcache *rc = &a->rcaches[order];
	struct iova_magazine *m = NULL;
	uint64_t now = now_ns();

	pthread_spin_lock(&rc->lock);
	if (rc->depot_size > a->nb_cpus && now - rc->last_trim_ns >= IOVA_DEPOT_DELAY_NS) {
		rc->last_trim_ns = now;
		m = depot_pop(rc);
	}
	pthread_spin_unlock(&rc->lock);
	if (m) {
		mag_free_pfns(a, m, 1ULL << order);
		free(m);
	}
}

unsigned int iova_alloc_depot_size(struct iova_allocator *a, unsigned int order)
{
	unsigned int n;

	if (!a || order >= IOVA_RCACHE_CLASSES)
		return 0;
	pthread_spin_lock(&a->rcaches[order].lock);
	n = a->rcaches[order].depot_size;
	pthread_spin_unlock(&a->rcaches[order].lock);
	return n;
}

/** @return true if the pfn went into a magazine. */
static bool rcache_insert(struct iova_allocator *a, unsigned int cpu, uint64_t pfn,
			  unsigned int order)
{
	struct iova_rcache *rc = &a->rcaches[order];
	struct iova_cpu_rcache *c = &rc->cpu[cpu];
	bool can_insert = false, pushed = false;

	pthread_spin_lock(&c->lock);
	if (c->loaded->size < IOVA_MAG_SIZE) {
		can_insert = true;
	} else if (c->prev->size < IOVA_MAG_SIZE) {
		struct iova_magazine *t = c->prev;

		c->prev = c->loaded;
		c->loaded = t;
		can_insert = true;
	} else {
		struct iova_magazine *new_mag = mag_alloc();

		if (new_mag) {
			pthread_spin_lock(&rc->lock);
			depot_push(rc, c->loaded);
			pthread_spin_unlock(&rc->lock);
			c->loaded = new_mag;
			can_insert = true;
			pushed = true; /* schedule_delayed_work(&rcache->work, IOVA_DEPOT_DELAY) */
		}
	}
	if (can_insert)
		c->loaded->pfns[c->loaded->size++] = pfn;
	pthread_spin_unlock(&c->lock);

	if (pushed)
		depot_trim(a, order);
	return can_insert;
}

/** @return true with *pfn if a magazine had one. */
static bool rcache_get(struct iova_allocator *a, unsigned int cpu, unsigned int order,
		       uint64_t *pfn)
{
	struct iova_rcache *rc = &a->rcaches[order];
	struct iova_cpu_rcache *c = &rc->cpu[cpu];
	bool has = false;

	pthread_spin_lock(&c->lock);
	if (c->loaded->size) {
		has = true;
	} else if (c->prev->size) {
		struct iova_magazine *t = c->prev;

		c->prev = c->loaded;
		c->loaded = t;
		has = true;
	} else {
		pthread_spin_lock(&rc->lock);
		if (rc->depot_size > 0) {
			free(c->loaded);
			c->loaded = depot_pop(rc);
			has = true;
		}
		pthread_spin_unlock(&rc->lock);
	}
	if (has)
		*pfn = c->loaded->pfns[--c->loaded->size];
	pthread_spin_unlock(&c->lock);
	return has;
}

/**
 * Return every cached range (all CPUs' loaded/prev magazines and the depot) to the
 * tree (Linux free_cpu_cached_iovas() + free_global_cached_iovas()). Safe against
 * concurrent alloc/free: each CPU's magazines are drained under that CPU's lock.
 */
void iova_allocator_flush_caches(struct iova_allocator *a)
{
	if (!a || !a->nb_cpus)
		return;
	for (unsigned int o = 0; o < IOVA_RCACHE_CLASSES; o++) {
		struct iova_rcache *rc = &a->rcaches[o];

		/* free_cpu_cached_iovas() for every CPU */
		for (unsigned int cpu = 0; cpu < a->nb_cpus; cpu++) {
			struct iova_cpu_rcache *c = &rc->cpu[cpu];

			pthread_spin_lock(&c->lock);
			mag_free_pfns(a, c->loaded, 1ULL << o);
			mag_free_pfns(a, c->prev, 1ULL << o);
			pthread_spin_unlock(&c->lock);
		}
		/* free_global_cached_iovas() */
		pthread_spin_lock(&rc->lock);
		struct iova_magazine *m;

		while ((m = depot_pop(rc)) != NULL) {
			mag_free_pfns(a, m, 1ULL << o);
			free(m);
		}
		pthread_spin_unlock(&rc->lock);
	}
}

/* ====================================================================== */
/* Public API                                                             */
/* ====================================================================== */

/**
 * Create an allocator for pfns [base_pfn, limit_pfn] (Linux init_iova_domain()
 * + iova_domain_init_rcaches()).
 * @param nb_cpus magazine sets (0: no caching; at most 4096).
 * @return the allocator, or NULL with errno EINVAL (base > limit, limit >= 2^52 - 1,
 *         nb_cpus > 4096) or ENOMEM.
 */
struct iova_allocator *iova_allocator_create(uint64_t base_pfn, uint64_t limit_pfn,
					     unsigned int nb_cpus)
{
	struct iova_allocator *a;

	if (base_pfn > limit_pfn || limit_pfn > IOVA_PFN_MAX || nb_cpus > 4096) {
		errno = EINVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		errno = ENOMEM;
		return NULL;
	}
	a->base_pfn = base_pfn;
	a->limit_pfn = limit_pfn;
	a->nb_cpus = nb_cpus;
	pthread_spin_init(&a->tree_lock, PTHREAD_PROCESS_PRIVATE);
	a->anchor.pfn_lo = a->anchor.pfn_hi = limit_pfn + 1;
	a->anchor.state = IOVA_NODE_ANCHOR;
	tree_insert(a, &a->anchor);
	a->cached_node = &a->anchor;
	a->max_alloc_size = UINT64_MAX;

	for (unsigned int i = 0; i < IOVA_HASH_SHARDS; i++) {
		struct iova_hash_shard *s = &a->shards[i];

		pthread_spin_init(&s->lock, PTHREAD_PROCESS_PRIVATE);
		s->nb_buckets = 16;
		s->buckets = calloc(s->nb_buckets, sizeof(*s->buckets));
		if (!s->buckets)
			goto nomem;
	}
	for (unsigned int o = 0; o < IOVA_RCACHE_CLASSES; o++) {
		struct iova_rcache *rc = &a->rcaches[o];

		pthread_spin_init(&rc->lock, PTHREAD_PROCESS_PRIVATE);
		rc->last_trim_ns = now_ns();
		if (!nb_cpus)
			continue;
		rc->cpu = aligned_alloc(64, sizeof(*rc->cpu) * nb_cpus);
		if (!rc->cpu)
			goto nomem;
		memset(rc->cpu, 0, sizeof(*rc->cpu) * nb_cpus);
		for (unsigned int c = 0; c < nb_cpus; c++) {
			pthread_spin_init(&rc->cpu[c].lock, PTHREAD_PROCESS_PRIVATE);
			rc->cpu[c].loaded = mag_alloc();
			rc->cpu[c].prev = mag_alloc();
			if (!rc->cpu[c].loaded || !rc->cpu[c].prev)
				goto nomem;
		}
	}
	return a;
nomem:
	iova_allocator_destroy(a);
	errno = ENOMEM;
	return NULL;
}

/** Free the allocator, its tree, hash and magazines. Outstanding ranges are dropped. */
void iova_allocator_destroy(struct iova_allocator *a)
{
	if (!a)
		return;
	for (unsigned int o = 0; o < IOVA_RCACHE_CLASSES; o++) {
		struct iova_rcache *rc = &a->rcaches[o];

		if (rc->cpu) {
			for (unsigned int c = 0; c < a->nb_cpus; c++) {
				free(rc->cpu[c].loaded);
				free(rc->cpu[c].prev);
				pthread_spin_destroy(&rc->cpu[c].lock);
			}
			free(rc->cpu);
		}
		while (rc->depot) {
			struct iova_magazine *m = depot_pop(rc);

			free(m);
		}
		pthread_spin_destroy(&rc->lock);
	}
	/* Every node except the anchor is in the hash (I3): free them from there. */
	for (unsigned int i = 0; i < IOVA_HASH_SHARDS; i++) {
		struct iova_hash_shard *s = &a->shards[i];

		if (s->buckets) {
			for (uint64_t b = 0; b < s->nb_buckets; b++) {
				struct iova_node *n = s->buckets[b], *next;

				for (; n; n = next) {
					next = n->hnext;
					free(n);
				}
			}
		}
		free(s->buckets);
		pthread_spin_destroy(&s->lock);
	}
	pthread_spin_destroy(&a->tree_lock);
	free(a);
}

/**
 * Allocate npages rounded up to a power of two, aligned to that size, the highest
 * fitting range below the cached node first (Linux alloc_iova_fast()): sizes of
 * 1..32 pages try the CPU's magazines (loaded, prev, then a depot magazine); on a
 * tree failure every cache is flushed once and the tree retried.
 * @param cpu magazine set < nb_cpus; IOVA_ANY_CPU or any value >= nb_cpus bypasses
 *            the caches.
 * @return 0 with *pfn; -EINVAL (NULL, npages 0, rounded size larger than the
 *         space); -ENOMEM (no aligned free block even after flushing the caches).
 */
int iova_alloc(struct iova_allocator *a, uint64_t npages, unsigned int cpu, uint64_t *pfn)
{
	uint64_t size, span;
	bool use_cache;
	bool flushed = false;
	int rc;

	if (!a || !pfn || npages == 0)
		return -EINVAL;
	span = a->limit_pfn - a->base_pfn + 1;
	if (npages > span || npages > (1ULL << 62))
		return -EINVAL;
	size = roundup_pow2(npages);
	if (size > span)
		return -EINVAL;
	use_cache = cpu < a->nb_cpus && order_of(size) < IOVA_RCACHE_CLASSES;

	if (use_cache) {
		unsigned int order = order_of(size);
		uint64_t p;

		/* I4: a magazine pfn is CACHED; CACHED -> ALLOCATED always succeeds. */
		if (rcache_get(a, cpu, order, &p) &&
		    hash_transition(a, p, size, IOVA_NODE_CACHED, IOVA_NODE_ALLOCATED, false)) {
			STAT_ADD(a, st_hits, 1);
			*pfn = p;
			goto done;
		}
	}
	STAT_ADD(a, st_misses, 1);
	for (;;) {
		rc = tree_alloc(a, size, pfn);
		if (rc == 0)
			break;
		if (flushed || !a->nb_cpus)
			return rc;
		/* alloc_iova_fast(): flush every CPU's cache and the depot once, retry. */
		flushed = true;
		iova_allocator_flush_caches(a);
	}
done:
	STAT_ADD(a, st_allocs, 1);
	STAT_ADD(a, st_ranges, 1);
	STAT_ADD(a, st_pages, (int64_t)size);
	return 0;
}

/**
 * Free a range (Linux free_iova_fast()): sizes of 1..32 pages go to the CPU's
 * magazine (where they stay reserved in the tree, see I2/I3), others to the tree.
 * @return 0, or -EINVAL if [pfn, npages] is not a currently allocated range: a
 *         double free (including of a range now sitting in a magazine), a
 *         foreign pfn, or a different npages rounding; bad_frees is incremented
 *         and nothing else changes (I7).
 */
int iova_free(struct iova_allocator *a, uint64_t pfn, uint64_t npages, unsigned int cpu)
{
	uint64_t size;
	struct iova_node *n;

	if (!a)
		return -EINVAL;
	if (npages == 0 || npages > (1ULL << 62)) {
		STAT_ADD(a, st_bad_frees, 1);
		return -EINVAL;
	}
	size = roundup_pow2(npages);
	if (cpu < a->nb_cpus && order_of(size) < IOVA_RCACHE_CLASSES) {
		/* free_iova_fast(): ALLOCATED -> CACHED, then into the magazine. */
		n = hash_transition(a, pfn, size, IOVA_NODE_ALLOCATED, IOVA_NODE_CACHED, false);
		if (!n)
			goto bad;
		STAT_ADD(a, st_frees, 1);
		STAT_ADD(a, st_ranges, -1);
		STAT_ADD(a, st_pages, -(int64_t)size);
		if (!rcache_insert(a, cpu, pfn, order_of(size)))
			tree_free_cached(a, &pfn, 1, size);
		return 0;
	}
	n = hash_transition(a, pfn, size, IOVA_NODE_ALLOCATED, IOVA_NODE_ALLOCATED, true);
	if (!n)
		goto bad;
	pthread_spin_lock(&a->tree_lock);
	tree_erase_locked(a, n);
	pthread_spin_unlock(&a->tree_lock);
	STAT_ADD(a, st_frees, 1);
	STAT_ADD(a, st_ranges, -1);
	STAT_ADD(a, st_pages, -(int64_t)size);
	return 0;
bad:
	STAT_ADD(a, st_bad_frees, 1);
	return -EINVAL;
}

/** Read the counters (relaxed atomics: exact when the allocator is quiescent). */
void iova_allocator_get_stats(const struct iova_allocator *a, struct iova_allocator_stats *st)
{
	if (!a || !st)
		return;
	st->allocs = __atomic_load_n(&a->st_allocs, __ATOMIC_RELAXED);
	st->frees = __atomic_load_n(&a->st_frees, __ATOMIC_RELAXED);
	st->cache_hits = __atomic_load_n(&a->st_hits, __ATOMIC_RELAXED);
	st->cache_misses = __atomic_load_n(&a->st_misses, __ATOMIC_RELAXED);
	st->bad_frees = __atomic_load_n(&a->st_bad_frees, __ATOMIC_RELAXED);
	st->ranges_in_use = (uint64_t)__atomic_load_n(&a->st_ranges, __ATOMIC_RELAXED);
	st->pages_in_use = (uint64_t)__atomic_load_n(&a->st_pages, __ATOMIC_RELAXED);
}
