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
 * Strategy off: no IOMMU, so no per-buffer lib/iova work at all. Every buffer keeps one
 * bus address for its life. For a real device (no backend, or VFIO) it is the address DPDK
 * gives it, rte_mempool_virt2iova() (rte_pktmbuf_init(): the EAL's IOVA, a physical
 * address in IOVA-as-PA mode, the virtual one in IOVA-as-VA mode); only memory DPDK has
 * no IOVA for (external memory registered without an IOVA table) falls back to the
 * virtual address. For the software device behind the soft VT-d it is the virtual
 * address: its DMA engine is in this process, and iova_ctx_dma() with no IOMMU takes the
 * bus address as the host address. enqueue and dequeue are the stack push and pop, the ctx is never
 * called (its maps/unmaps stay 0), and a per-lcore cache changes nothing but speed.
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
 *
 * Caller memory (iova_pktmbuf_pool_create_mem): the objects are laid into one area the
 * caller registered with rte_extmem_register(va, len, NULL, 0, pg_sz). DPDK performs no
 * DMA mapping for such memory (rte_memory.h, rte_extmem_register: "This API will not
 * perform any DMA mapping"; the EAL VFIO code maps only its own memsegs and external heap
 * segments with an IOVA table), so under --backend vfio a buffer is device-reachable only
 * while the strategy keeps it mapped. Memory from rte_mempool_populate_default (the EAL
 * heap) is mapped whole into the VFIO container by EAL at IOVA = VA, whatever the strategy.
 *
 * Fault injection (tests only): iova_mempool_fault_arm() picks the next buffer dequeued
 * after the call, fills its data room with IOVA_MP_POISON and records it;
 * iova_mempool_fault_fire() then removes its backend mapping (ops->unmap + invalidation,
 * bypassing the strategy) while the buffer sits in the NIC's RX ring. When the buffer
 * comes back to the pool the data room is compared with the poison (a device write
 * through the removed mapping would have changed it), the mapping is restored and the
 * strategy tears it down as usual. Needs one backend mapping per buffer (strict).
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

#define IOVA_MP_POISON 0xa5

struct iova_pool {
	struct rte_stack *r; /* free objects, LIFO */
	struct iova_mp_fault_report fault; /* fault injection (tests) */
	struct rte_mbuf *fault_m; /* the picked buffer until it comes back */
	struct iova_ctx *ctx;
	bool ready; /* objects initialised: enqueue/dequeue map and unmap */
	bool off; /* strategy off: buffers keep the EAL's IOVA, nothing to map or unmap */
	unsigned int nchunks;
	void *chunk
		[IOVA_MP_MAX_CHUNKS]; /* memory chunks registered with iova_ctx_register_pool() */
};

static int iova_mp_alloc(struct rte_mempool *mp)
{
	if (!mp->pool_config) {
		RTE_LOG(ERR, MEMPOOL,
			"iova mempool %s: no iova_ctx (create it with iova_pktmbuf_pool_create())\n",
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
				break; /* one len per bulk call; pools have one data room size */
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

static struct iova_backend *fault_backend(struct iova_pool *p)
{
	return iova_ctx_backend(p->ctx);
}

/* The picked buffer is back: compare with the poison, restore the backend mapping so the
 * strategy's teardown finds what it mapped. */
static void fault_returned(struct iova_pool *p, struct rte_mbuf *m)
{
	struct iova_mp_fault_report *f = &p->fault;
	const uint8_t *b = m->buf_addr;
	uint32_t changed = 0;
	for (uint32_t i = 0; i < m->buf_len; i++)
		changed += b[i] != IOVA_MP_POISON;
	f->returned = true;
	f->rx_len = m->data_len;
	f->bytes_changed = changed;
	f->unchanged = changed == 0;
	if (f->fired) {
		struct iova_backend *be = fault_backend(p);
		void *host = (void *)(f->va & ~(uintptr_t)(IOVA_PAGE_SIZE - 1));
		int rc = be->ops->map(be, f->page_iova, host, f->pages << IOVA_PAGE_SHIFT,
				      IOVA_PROT_RW);
		if (rc < 0 && !f->error)
			f->error = rc;
	}
	p->fault_m = NULL;
}

static int iova_mp_enqueue(struct rte_mempool *mp, void *const *obj, unsigned int n)
{
	struct iova_pool *p = mp->pool_data;
	if (p->fault_m)
		for (unsigned int i = 0; i < n; i++)
			if (obj[i] == p->fault_m)
				fault_returned(p, obj[i]);
	if (p->ready && !p->off) {
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
	for (unsigned int i = 0; i < n && !p->off; i += IOVA_MP_BURST) {
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
	if (p->fault.mode != IOVA_MP_FAULT_NONE && !p->fault.picked) {
		struct rte_mbuf *m = obj[0];
		memset(m->buf_addr, IOVA_MP_POISON, m->buf_len);
		m->data_len = 0; /* the NIC's RX completion sets it */
		p->fault_m = m;
		p->fault.picked = true;
		p->fault.iova = m->buf_iova;
		p->fault.va = (uintptr_t)m->buf_addr;
		p->fault.page_iova = m->buf_iova & ~(uint64_t)(IOVA_PAGE_SIZE - 1);
		p->fault.pages = (((uintptr_t)m->buf_addr + m->buf_len - 1) >> IOVA_PAGE_SHIFT) -
				 ((uintptr_t)m->buf_addr >> IOVA_PAGE_SHIFT) + 1;
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

/* strategy off, real device: the EAL's IOVA of the data room, or its VA where DPDK has none */
static void eal_iova(struct rte_mempool *mp, void *opaque, void *obj, unsigned int idx)
{
	struct rte_mbuf *m = obj;
	rte_iova_t io = rte_mempool_virt2iova(obj);

	m->buf_iova = io == RTE_BAD_IOVA ? (rte_iova_t)(uintptr_t)m->buf_addr :
					   io + (rte_iova_t)((char *)m->buf_addr - (char *)m);
}

/* strategy off, software device (soft VT-d backend): the device's DMA engine runs in this
 * process and reaches memory by virtual address (iova_ctx_dma(): with no IOMMU the bus
 * address is the address), so its bus address is the data room's VA */
static void va_iova(struct rte_mempool *mp, void *opaque, void *obj, unsigned int idx)
{
	struct rte_mbuf *m = obj;

	m->buf_iova = (rte_iova_t)(uintptr_t)m->buf_addr;
}

/* off: which bus address a buffer keeps. A backend with a software device side (the soft
 * VT-d, possibly under a mode wrapper) means a device in this process: the VA. No backend,
 * or VFIO, means a real device: the EAL's IOVA (a PA in IOVA-as-PA mode). */
static rte_mempool_obj_cb_t *off_bus_address(struct iova_ctx *ctx)
{
	struct iova_backend *phys = ctx->be ? iova_mode_phys(ctx->be) : NULL;

	return phys && !iova_backend_is_vfio(phys) ? va_iova : eal_iova;
}

static struct rte_mempool *pool_create(const char *name, unsigned int n, unsigned int cache_size,
				       uint16_t data_room_size, int socket_id, struct iova_ctx *ctx,
				       void *va, size_t len, size_t pg_sz)
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
	struct rte_mempool *mp =
		rte_mempool_create_empty(name, n, elt_size, cache_size, sizeof(priv), socket_id, 0);
	if (!mp)
		return NULL;
	int rc = rte_mempool_set_ops_byname(mp, IOVA_MP_OPS, ctx);
	if (rc != 0) {
		RTE_LOG(ERR, MEMPOOL, "iova mempool %s: set ops \"%s\": %s\n", name, IOVA_MP_OPS,
			strerror(-rc));
		goto fail;
	}
	rte_pktmbuf_pool_init(mp, &priv);
	if (va) {
		/* caller memory (extmem): no free callback, the caller owns it */
		rc = rte_mempool_populate_virt(mp, va, len, pg_sz, NULL, NULL);
		if (rc >= 0 && mp->populated_size < mp->size) {
			RTE_LOG(ERR, MEMPOOL,
				"iova mempool %s: %zu bytes hold %u of %u buffers "
				"(size it with iova_pktmbuf_pool_mem_size())\n",
				name, len, mp->populated_size, mp->size);
			rc = -ENOSPC;
		}
	} else {
		rc = rte_mempool_populate_default(mp);
	}
	if (rc < 0)
		goto fail;
	rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
	struct iova_pool *ip = mp->pool_data;
	ip->off = ctx->p.strategy == IOVA_STRAT_OFF;
	/* in the pool = unmapped; off: the bus address never changes */
	rte_mempool_obj_iter(mp, ip->off ? off_bus_address(ctx) : clear_iova, NULL);
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

struct rte_mempool *iova_pktmbuf_pool_create(const char *name, unsigned int n,
					     unsigned int cache_size, uint16_t data_room_size,
					     int socket_id, struct iova_ctx *ctx)
{
	return pool_create(name, n, cache_size, data_room_size, socket_id, ctx, NULL, 0, 0);
}

struct rte_mempool *iova_pktmbuf_pool_create_mem(const char *name, unsigned int n,
						 unsigned int cache_size, uint16_t data_room_size,
						 int socket_id, struct iova_ctx *ctx, void *va,
						 size_t len, size_t pg_sz)
{
	if (!va || !len || !pg_sz || (pg_sz & (pg_sz - 1)) || ((uintptr_t)va & (pg_sz - 1))) {
		rte_errno = EINVAL;
		return NULL;
	}
	return pool_create(name, n, cache_size, data_room_size, socket_id, ctx, va, len, pg_sz);
}

size_t iova_pktmbuf_pool_mem_size(unsigned int n, uint16_t data_room_size, size_t pg_sz)
{
	struct rte_mempool_objsz sz;
	uint32_t total =
		rte_mempool_calc_obj_size(sizeof(struct rte_mbuf) + data_room_size, 0, &sz);
	if (!pg_sz || (pg_sz & (pg_sz - 1)) || total > pg_sz)
		return 0;
	/* objects do not cross page boundaries (rte_mempool_op_populate_helper) */
	size_t per_page = pg_sz / total;
	size_t pages = (n + per_page - 1) / per_page;
	return (pages + 1) * pg_sz; /* one page of slack for the first object's alignment */
}

static struct iova_pool *iova_pool_of(const struct rte_mempool *mp)
{
	if (!mp || !mp->pool_data || strcmp(rte_mempool_get_ops(mp->ops_index)->name, IOVA_MP_OPS))
		return NULL;
	return mp->pool_data;
}

int iova_mempool_fault_arm(struct rte_mempool *mp, enum iova_mp_fault_mode mode)
{
	struct iova_pool *p = iova_pool_of(mp);
	if (!p || (mode != IOVA_MP_FAULT_UNMAP && mode != IOVA_MP_FAULT_POISON))
		return -EINVAL;
	if (p->fault.mode != IOVA_MP_FAULT_NONE)
		return -EBUSY;
	if (mode == IOVA_MP_FAULT_UNMAP && p->ctx->p.strategy != IOVA_STRAT_STRICT)
		return -ENOTSUP;
	memset(&p->fault, 0, sizeof(p->fault));
	p->fault.mode = mode;
	return 0;
}

int iova_mempool_fault_fire(struct rte_mempool *mp)
{
	struct iova_pool *p = iova_pool_of(mp);
	if (!p || p->fault.mode == IOVA_MP_FAULT_NONE)
		return -EINVAL;
	if (!p->fault.picked || p->fault.returned)
		return -ENOENT;
	if (p->fault.fired || p->fault.mode != IOVA_MP_FAULT_UNMAP)
		return 0;
	struct iova_backend *be = fault_backend(p);
	size_t len = p->fault.pages << IOVA_PAGE_SHIFT;
	int rc = be->ops->unmap(be, p->fault.page_iova, len);
	if (rc >= 0) /* inv_queue returns the descriptors it queued */
		rc = be->ops->inv_queue(be, p->fault.page_iova, p->fault.pages);
	if (rc >= 0)
		rc = be->ops->inv_flush(be, true);
	if (rc < 0) {
		p->fault.error = rc;
		return rc;
	}
	p->fault.fired = true;
	return 0;
}

int iova_mempool_fault_report(const struct rte_mempool *mp, struct iova_mp_fault_report *r)
{
	const struct iova_pool *p = iova_pool_of(mp);
	if (!p || !r)
		return -EINVAL;
	*r = p->fault;
	return 0;
}

struct iova_ctx *iova_mempool_ctx(const struct rte_mempool *mp)
{
	if (!mp || !mp->pool_data || strcmp(rte_mempool_get_ops(mp->ops_index)->name, IOVA_MP_OPS))
		return NULL;
	return ((const struct iova_pool *)mp->pool_data)->ctx;
}
