/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strategy "strict": Linux iommu.strict=1 (drivers/iommu/dma-iommu.c __iommu_dma_unmap
 * without a flush queue, intel-iommu iommu_flush_iotlb_psi + qi_submit_sync).
 *
 *   map:   allocate an IOVA (rcache magazine first), write the PTEs; with an emulated
 *          IOMMU in caching mode (CAP.CM=1) also invalidate the new range and wait.
 *   unmap: clear the PTEs, queue one page-selective invalidation (AM covering the
 *          range), ring the doorbell with a wait descriptor and spin until it completes,
 *          and only then free the IOVA.
 *
 * Every buffer is unreachable before iova_ctx_unmap() returns: stale window 0. Each
 * buffer costs one synchronous invalidation wait, which is what makes it slow.
 */
#include "iova_priv.h"

int iova_strict_map_one(struct iova_ctx *c, struct iova_req *r, unsigned int cpu)
{
	int rc = iova_ctx_alloc_pfn(c, r->npages, cpu, &r->pfn);
	if (rc < 0)
		return rc;
	rc = iova_be_map(c, r->pfn, r->host_page, r->npages, r->prot);
	if (rc < 0)
		goto free;
	rc = iova_be_sync_map(c, r->pfn, r->npages);
	if (rc < 0)
		goto unmap;
	return 0;
unmap:
	iova_be_unmap(c, r->pfn, r->npages);
	iova_be_inv(c, r->pfn, r->npages);
	iova_be_flush_wait(c);
free:
	iova_ctx_free_pfn(c, r->pfn, r->npages, cpu);
	return rc;
}

int iova_strict_unmap_one(struct iova_ctx *c, const struct iova_req *r, unsigned int cpu)
{
	int rc = iova_be_unmap(c, r->pfn, r->npages);
	if (rc < 0)
		return rc; /* not ours / not mapped: leave the IOVA alone */
	rc = iova_be_inv(c, r->pfn, r->npages);
	int rc2 = iova_be_flush_wait(c);
	/* Free even if the wait failed? No: an IOVA whose invalidation did not complete
	 * must not be reused (it would alias a stale IOTLB entry). Leak it instead. */
	if (rc < 0 || rc2 < 0)
		return rc < 0 ? rc : rc2;
	iova_ctx_free_pfn(c, r->pfn, r->npages, cpu);
	return 0;
}

static int strict_map(struct iova_ctx *c, struct iova_req *r, unsigned int n, unsigned int cpu)
{
	for (unsigned int i = 0; i < n; i++) {
		int rc = iova_strict_map_one(c, &r[i], cpu);
		if (rc < 0) {
			while (i--)
				iova_strict_unmap_one(c, &r[i], cpu);
			return rc;
		}
	}
	return 0;
}

static int strict_unmap(struct iova_ctx *c, const struct iova_req *r, unsigned int n,
			unsigned int cpu)
{
	int first = 0;
	for (unsigned int i = 0; i < n; i++) {
		int rc = iova_strict_unmap_one(c, &r[i], cpu);
		if (rc < 0 && !first)
			first = rc;
	}
	return first;
}

const struct iova_strat_ops iova_strat_strict_ops = {
	.name = "strict",
	.percpu = true, /* no state of its own: no ctx lock (iova_ctx.c C2) */
	.map = strict_map,
	.unmap = strict_unmap,
};
