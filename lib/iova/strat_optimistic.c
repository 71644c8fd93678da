/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strategy "optimistic": vIOMMU optimistic teardown (Amit, Ben-Yehuda, Tsafrir, Schuster,
 * USENIX ATC 2011, "Mappings reuse / Optimistic Teardown").
 *
 * On unmap the mapping stays live (stale) on an LRU list, up to opt_quota entries or
 * opt_timeout_ns; a map of a host page run that still has a live mapping (in use or
 * stale) reuses it without any IOMMU work (reuse_hits). Over quota, the oldest
 * max(1, quota/8) stale mappings are torn down together: PTEs cleared, their
 * page-selective invalidations batched, ONE wait. Expired ones (older than the time
 * limit) go the same way on map/unmap and in iova_ctx_poll().
 *
 * Protection: like Linux lazy mode, a freed buffer stays device-reachable for at most
 * quota entries / the time limit; unlike persistent, stale mappings are always reclaimed.
 * Engine: strat_cache.c.
 */
#include "iova_priv.h"

static int opt_init(struct iova_ctx *c)
{
	struct iova_cache_cfg cfg = {
		.quota = c->p.opt_quota,
		.timeout_ns = c->p.opt_timeout_ns,
		.batch = c->p.opt_quota / 8 ? c->p.opt_quota / 8 : 1,
	};
	return iova_cache_init(c, &cfg);
}

const struct iova_strat_ops iova_strat_optimistic_ops = {
	.name = "optimistic",
	.init = opt_init,
	.fini = iova_cache_fini,
	.map = iova_cache_map,
	.unmap = iova_cache_unmap,
	.poll = iova_cache_poll,
	.oldest_stale_ns = iova_cache_oldest_stale,
};
