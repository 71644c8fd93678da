/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strategy "shared": one refcounted mapping per host page run (Willmann, Rixner, Cox,
 * USENIX ATC 2008, "shared" mappings). A map of a run that is already mapped takes a
 * reference (reuse_hits); the IOMMU is touched only on 0->1 (map + caching-mode sync)
 * and 1->0 (strict teardown: clear PTE, page-selective invalidation, wait, free IOVA).
 *
 * Protection: strict for the run as a whole: once the last user unmaps, it is
 * unreachable before unmap returns (stale window 0). While any user holds it, every
 * buffer in the same host pages is reachable (sub-page exposure, as with any
 * page-granular IOMMU). Engine: strat_cache.c with quota 0.
 */
#include "iova_priv.h"

static int shared_init(struct iova_ctx *c)
{
	struct iova_cache_cfg cfg = { .quota = 0, .timeout_ns = 0, .batch = 1 };
	return iova_cache_init(c, &cfg);
}

const struct iova_strat_ops iova_strat_shared_ops = {
	.name = "shared",
	.init = shared_init,
	.fini = iova_cache_fini,
	.map = iova_cache_map,
	.unmap = iova_cache_unmap,
};
