/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file pool_extmem.c
 * vfapp --pool-mem extmem (see pool_extmem.h).
 *
 * Why external memory: with VFIO, EAL maps every memseg of its own heap into the
 * container at start and on every heap growth (lib/eal/linux/eal_vfio.c, type1_map and
 * vfio_mem_event_callback), so a pool from rte_pktmbuf_pool_create() or
 * rte_mempool_populate_default() is device-reachable at IOVA = VA whatever lib/iova's
 * strategy does. Memory registered with rte_extmem_register() and no IOVA table is not
 * mapped ("This API will not perform any DMA mapping. It is expected that user will do
 * that themselves", rte_memory.h; DPDK programmer's guide, EAL, "Support for Externally
 * Allocated Memory"). Rings, descriptors and PMD state stay in EAL memory, mapped as DPDK
 * maps them.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_memory.h>

#include "iova.h"
#include "pool_extmem.h"

#define HUGE_2M (2u << 20)
/* Address hint for the area: below 2^39, so that IOVA = VA (strategy off) fits the smallest
 * usual IOMMU aperture (QEMU intel-iommu aw-bits=39 by default; mmap's own choice is near
 * 2^47). DPDK's EAL reserves its VA from 4 GiB up (base_virtaddr), far below this. */
#define AREA_HINT ((uintptr_t)0x4000000000ull)

struct vfapp_extmem {
	void *va;
	size_t len, pg_sz;
	bool registered;
	struct iova_backend *mapped_by; /**< map_whole: the backend that maps the area */
};

static void *map_area(size_t *len, size_t pg_sz)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE;
	void *va;

	if (pg_sz == HUGE_2M)
		flags |= MAP_HUGETLB; /* MAP_HUGE_2MB is the default hugepage size on x86 */
	*len = (*len + pg_sz - 1) & ~(pg_sz - 1);
	va = mmap((void *)AREA_HINT, *len, PROT_READ | PROT_WRITE, flags, -1, 0);
	return va == MAP_FAILED ? NULL : va;
}

struct rte_mempool *vfapp_extmem_pool_create(const char *name, unsigned int n, unsigned int cache,
					     int socket, struct iova_ctx *ctx, bool map_whole,
					     struct vfapp_extmem **mem, char *err, size_t errlen)
{
	static const size_t sizes[] = { HUGE_2M, 4096 };
	struct vfapp_extmem *m = calloc(1, sizeof(*m));
	struct rte_mempool *mp;
	unsigned int i;

	*mem = NULL;
	if (m == NULL) {
		snprintf(err, errlen, "--pool-mem extmem: out of memory");
		return NULL;
	}
	for (i = 0; i < 2 && m->va == NULL; i++) {
		m->pg_sz = sizes[i];
		m->len = iova_pktmbuf_pool_mem_size(n, RTE_MBUF_DEFAULT_BUF_SIZE, m->pg_sz);
		if (m->len)
			m->va = map_area(&m->len, m->pg_sz);
	}
	if (m->va == NULL) {
		snprintf(err, errlen,
			 "--pool-mem extmem: mmap of %zu bytes for %u mbufs: %s "
			 "(try a smaller --pool-size)",
			 m->len, n, strerror(errno));
		free(m);
		return NULL;
	}
	if (rte_extmem_register(m->va, m->len, NULL, 0, m->pg_sz) != 0) {
		snprintf(err, errlen,
			 "--pool-mem extmem: rte_extmem_register(%zu bytes, page %zu): %s", m->len,
			 m->pg_sz, rte_strerror(rte_errno));
		vfapp_extmem_free(m);
		return NULL;
	}
	m->registered = true;
	if (map_whole) {
		/* through lib/iova's backend on DPDK's container (VFIO_IOMMU_MAP_DMA), IOVA = VA */
		struct iova_backend *be = iova_ctx_backend(ctx);
		int rc = be->ops->map(be, (uint64_t)(uintptr_t)m->va, m->va, m->len, IOVA_PROT_RW);

		if (rc != 0) {
			snprintf(
				err, errlen,
				"--pool-mem extmem with --strategy off: mapping the whole "
				"pool (%zu bytes at IOVA = VA %p) through the %s backend: %s (an IOVA "
				"beyond the IOMMU's aperture is refused)",
				m->len, m->va, be->ops->name, strerror(-rc));
			vfapp_extmem_free(m);
			return NULL;
		}
		m->mapped_by = be;
	}
	mp = iova_pktmbuf_pool_create_mem(name, n, cache, RTE_MBUF_DEFAULT_BUF_SIZE, socket, ctx,
					  m->va, m->len, m->pg_sz);
	if (mp == NULL) {
		snprintf(err, errlen,
			 "--pool-mem extmem: iova_pktmbuf_pool_create_mem(%u mbufs in %zu "
			 "bytes): %s",
			 n, m->len, rte_strerror(rte_errno));
		vfapp_extmem_free(m);
		return NULL;
	}
	*mem = m;
	return mp;
}

size_t vfapp_extmem_page_size(const struct vfapp_extmem *m)
{
	return m ? m->pg_sz : 0;
}

size_t vfapp_extmem_len(const struct vfapp_extmem *m)
{
	return m ? m->len : 0;
}

void vfapp_extmem_free(struct vfapp_extmem *m)
{
	if (m == NULL)
		return;
	if (m->mapped_by != NULL)
		m->mapped_by->ops->unmap(m->mapped_by, (uint64_t)(uintptr_t)m->va, m->len);
	if (m->registered)
		rte_extmem_unregister(m->va, m->len);
	if (m->va)
		munmap(m->va, m->len);
	free(m);
}
