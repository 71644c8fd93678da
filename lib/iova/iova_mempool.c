/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK mempool driver "iova": every packet buffer is DMA-mapped through an iova_ctx
 * while it is out of the pool, so the strategy under test sees one map per buffer
 * handed to the datapath and one unmap per buffer returned (iova.h section 5).
 *
 * Objects live in an rte_stack, LIFO (as in drivers/mempool/stack): the buffer freed
 * last is handed out first, which is how NIC drivers recycle RX buffers (Linux page_pool,
 * DPDK's own per-lcore mempool cache) and what gives mapping-reuse strategies
 * (optimistic, shared, persistent) the temporal locality the vIOMMU paper relies on.
 * A FIFO ring would return a buffer only after every other one had cycled, so a
 * bounded stale-mapping quota (optimistic) would never be hit. dequeue takes n mbufs from
 * the stack, maps each data area [buf_addr, buf_addr + buf_len) with iova_ctx_map_bulk()
 * (one burst) and sets mbuf->buf_iova to the IOVA; enqueue unmaps the burst with
 * iova_ctx_unmap_bulk() (strategy teardown) and puts the objects back. buf_iova = 0
 * marks an unmapped buffer. The CPU index is rte_lcore_id() (LCORE_ID_ANY for non-EAL
 * threads equals IOVA_ANY_CPU); the ctx folds it below nb_cpus.
 *
 * Sub-page exposure: a 2 KiB-class data room does not fill a 4 KiB page, and mbufs are
 * packed back to back, so mapping one buffer makes the neighbouring bytes of the same
 * pages (other mbufs' headers and data) device-reachable too. Every page-granular
 * IOMMU has this hole (Markuze et al., ASPLOS 2016); only copying into dedicated
 * buffers (shadow buffers / DAMN) closes it. Strategies that reuse mappings per page
 * (shared, optimistic, persistent) see reuse across neighbouring mbufs for this reason.
 *
 * Per-lcore cache (cache_size > 0): rte_mempool_get/put serve objects from the lcore
 * cache without calling dequeue/enqueue, so a cached buffer stays mapped while it sits
 * in the cache. For every strategy that means cached buffers behave like persistent
 * ones: no map/unmap cost, but a freed buffer stays device-reachable until the cache
 * overflows and flushes it to the stack (then the strategy's teardown applies). strict
 * and ring lose their stale-window-0 guarantee for cached buffers; deferred and
 * optimistic get an extra window on top of theirs; persistent is unchanged; off has no
 * mapping anyway. cache_size = 0 gives exact per-buffer semantics.
 *
 * Strategy pool: the pool's memory chunks are registered with iova_ctx_register_pool()
 * at creation (mapped once, whole) and unregistered when the mempool is freed; per-buffer
 * map/unmap are then lookups.
 */
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_stack.h>

#include "iova_priv.h"

#define IOVA_MP_OPS "iova"
#define IOVA_MP_BURST 64

#define IOVA_MP_MAX_CHUNKS 64

struct iova_pool {
	struct rte_stack *r;  /* free objects, LIFO */
	struct iova_ctx *ctx;
	bool ready;          /* objects initialised: enqueue/dequeue map and unmap */
	unsigned int nchunks;
	void *chunk[IOVA_MP_MAX_CHUNKS]; /* memory chunks registered with iova_ctx_register_pool() */
};

static int iova_mp_alloc(struct rte_mempool *mp)
{
	if (!mp->pool_config) {
		RTE_LOG(ERR, MEMPOOL, "iova mempool %s: no iova_ctx (create it with iova_pktmbuf_pool_create())\n",
			mp->name);
		return -EINVAL;
	}
	struct iova_pool *p = rte_zmalloc_socket("iova_pool", sizeof(*p), 0, mp->socket_id);
	if (!p)
		return -ENOMEM;
	char rname[RTE_STACK_NAMESIZE];
	int n = snprintf(rname, sizeof(rname), "IOVA_%s", mp->name);
	if (n < 0 || n >= (int)sizeof(rname)) {
		rte_free(p);
		return -ENAMETOOLONG;
	}
	p->r = rte_stack_create(rname, mp->size, mp->socket_id, 0);
	if (!p->r) {
		int e = rte_errno;
		rte_free(p);
		return -e;
	}
	p->ctx = mp->pool_config;
	mp->pool_data = p;
	return 0;
}

static void iova_mp_free(struct rte_mempool *mp)
{
	struct iova_pool *p = mp->pool_data;
	if (!p)
		return;
	/* strategy pool: unmap the chunks (DPDK has already released the memory at this
	 * point, rte_mempool_free() frees memchunks before the ops: the mapping outlives the
	 * memory for the duration of this call; destroy the pool while the device is idle) */
	for (unsigned int i = 0; i < p->nchunks; i++)
		iova_ctx_unregister_pool(p->ctx, p->chunk[i]);
	rte_stack_free(p->r);
	rte_free(p);
	mp->pool_data = NULL;
}

static int unmap_objs(struct iova_pool *p, void *const *obj, unsigned int n)
{
	uint64_t iova[IOVA_MP_BURST];
	int first = 0;
	unsigned int cpu = rte_lcore_id();
	for (unsigned int i = 0; i < n;) {
		unsigned int k = 0;
		uint32_t len = 0;
		for (; i < n && k < IOVA_MP_BURST; i++) {
			struct rte_mbuf *m = obj[i];
			if (!m->buf_iova)
				continue; /* never mapped */
			if (k && m->buf_len != len)
				break;    /* one len per bulk call; pools have one data room size */
			len = m->buf_len;
			iova[k++] = m->buf_iova;
			m->buf_iova = 0;
		}
		if (k) {
			int rc = iova_ctx_unmap_bulk(p->ctx, iova, len, cpu, k);
			if (rc < 0 && !first)
				first = rc;
		}
	}
	return first;
}

static int iova_mp_enqueue(struct rte_mempool *mp, void *const *obj, unsigned int n)
{
	struct iova_pool *p = mp->pool_data;
	if (p->ready) {
		int rc = unmap_objs(p, obj, n);
		if (rc < 0)
			RTE_LOG(ERR, MEMPOOL, "iova mempool %s: unmap of %u buffers failed: %s\n",
				mp->name, n, strerror(-rc));
	}
	/* the stack is sized for every object: push cannot fail */
	return rte_stack_push(p->r, obj, n) == n ? 0 : -ENOBUFS;
}

static int iova_mp_dequeue(struct rte_mempool *mp, void **obj, unsigned int n)
{
	struct iova_pool *p = mp->pool_data;
	if (rte_stack_pop(p->r, obj, n) != n)
		return -ENOBUFS;
	if (!p->ready)
		return 0;
	unsigned int cpu = rte_lcore_id();
	for (unsigned int i = 0; i < n; i += IOVA_MP_BURST) {
		unsigned int k = n - i < IOVA_MP_BURST ? n - i : IOVA_MP_BURST;
		void *host[IOVA_MP_BURST];
		uint64_t iova[IOVA_MP_BURST];
		struct rte_mbuf *m0 = obj[i];
		for (unsigned int j = 0; j < k; j++)
			host[j] = ((struct rte_mbuf *)obj[i + j])->buf_addr;
		int rc = iova_ctx_map_bulk(p->ctx, host, m0->buf_len, IOVA_PROT_RW, cpu, iova, k);
		if (rc < 0) {
			RTE_LOG(ERR, MEMPOOL, "iova mempool %s: map of %u buffers failed: %s\n",
				mp->name, k, strerror(-rc));
			unmap_objs(p, obj, i); /* undo earlier bursts, all or nothing */
			rte_stack_push(p->r, obj, n);
			return rc;
		}
		for (unsigned int j = 0; j < k; j++)
			((struct rte_mbuf *)obj[i + j])->buf_iova = iova[j];
	}
	return 0;
}

static unsigned int iova_mp_get_count(const struct rte_mempool *mp)
{
	const struct iova_pool *p = mp->pool_data;
	return rte_stack_count(p->r);
}

static struct rte_mempool_ops iova_mp_ops = {
	.name = IOVA_MP_OPS,
	.alloc = iova_mp_alloc,
	.free = iova_mp_free,
	.enqueue = iova_mp_enqueue,
	.dequeue = iova_mp_dequeue,
	.get_count = iova_mp_get_count,
};

RTE_MEMPOOL_REGISTER_OPS(iova_mp_ops);

static void register_chunk(struct rte_mempool *mp, void *opaque, struct rte_mempool_memhdr *memhdr,
			   unsigned int mem_idx)
{
	struct iova_pool *p = mp->pool_data;
	int *rc = opaque;
	if (*rc < 0)
		return;
	if (p->nchunks == IOVA_MP_MAX_CHUNKS) {
		*rc = -ENOSPC;
		return;
	}
	*rc = iova_ctx_register_pool(p->ctx, memhdr->addr, memhdr->len);
	if (*rc == 0)
		p->chunk[p->nchunks++] = memhdr->addr;
}

static void clear_iova(struct rte_mempool *mp, void *opaque, void *obj, unsigned int idx)
{
	((struct rte_mbuf *)obj)->buf_iova = 0;
}

struct rte_mempool *iova_pktmbuf_pool_create(const char *name, unsigned int n,
					     unsigned int cache_size, uint16_t data_room_size,
					     int socket_id, struct iova_ctx *ctx)
{
	if (!name || !n || !ctx) {
		rte_errno = EINVAL;
		return NULL;
	}
	/* rte_pktmbuf_pool_create_by_ops() without priv area, plus pool_config = ctx */
	unsigned int elt_size = sizeof(struct rte_mbuf) + (unsigned int)data_room_size;
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = data_room_size,
		.mbuf_priv_size = 0,
		.flags = 0,
	};
	struct rte_mempool *mp = rte_mempool_create_empty(name, n, elt_size, cache_size,
							  sizeof(priv), socket_id, 0);
	if (!mp)
		return NULL;
	int rc = rte_mempool_set_ops_byname(mp, IOVA_MP_OPS, ctx);
	if (rc != 0) {
		RTE_LOG(ERR, MEMPOOL, "iova mempool %s: set ops \"%s\": %s\n", name, IOVA_MP_OPS,
			strerror(-rc));
		goto fail;
	}
	rte_pktmbuf_pool_init(mp, &priv);
	rc = rte_mempool_populate_default(mp);
	if (rc < 0)
		goto fail;
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	rte_mempool_obj_iter(mp, clear_iova, NULL); /* in the pool = unmapped */
	/* strategy pool: the pool's memory is the DMA pool (a no-op for other strategies) */
	int reg = 0;
	rte_mempool_mem_iter(mp, register_chunk, &reg);
	if (reg < 0) {
		RTE_LOG(ERR, MEMPOOL, "iova mempool %s: registering its memory as a DMA pool: %s\n",
			name, strerror(-reg));
		rc = reg;
		goto fail;
	}
	((struct iova_pool *)mp->pool_data)->ready = true;
	return mp;
fail:
	rte_mempool_free(mp);
	rte_errno = -rc;
	return NULL;
}

struct iova_ctx *iova_mempool_ctx(const struct rte_mempool *mp)
{
	if (!mp || !mp->pool_data || strcmp(rte_mempool_get_ops(mp->ops_index)->name, IOVA_MP_OPS))
		return NULL;
	return ((const struct iova_pool *)mp->pool_data)->ctx;
}
