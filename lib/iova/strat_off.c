/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strategy "off": no IOMMU. The bus address is the host address (iova_ctx fills it),
 * nothing is mapped, nothing is ever invalidated: the zero-cost, zero-protection baseline.
 */
#include "iova_priv.h"

static int off_map(struct iova_ctx *c, struct iova_req *r, unsigned int n, unsigned int cpu)
{
	for (unsigned int i = 0; i < n; i++)
		r[i].pfn = r[i].host_page >> IOVA_PAGE_SHIFT;
	return 0;
}

static int off_unmap(struct iova_ctx *c, const struct iova_req *r, unsigned int n, unsigned int cpu)
{
	return 0;
}

const struct iova_strat_ops iova_strat_off_ops = {
	.name = "off",
	.percpu = true, /* no state of its own: no ctx lock (iova_ctx.c C2) */
	.map = off_map,
	.unmap = off_unmap,
};
