/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Strategy "persistent": map each host page run once (hash host page -> IOVA) and never
 * unmap until the context is destroyed (Yassour et al. 2010, "persistent" mappings; also
 * what DPDK does when it maps all hugepages into VFIO at start).
 *
 * Cost: one map per distinct buffer, then zero. Protection: none against a device that
 * touches a freed buffer; every freed buffer stays reachable (it is counted in
 * stale_now, and stale_max_ns grows for as long as it is not reused).
 * Engine: strat_cache.c with no quota and no time limit.
 */
#include <stdint.h>

#include "iova_priv.h"

static int persistent_init(struct iova_ctx *c)
{
	struct iova_cache_cfg cfg = { .quota = UINT64_MAX, .timeout_ns = 0, .batch = 1 };
	return iova_cache_init(c, &cfg);
}

const struct iova_strat_ops iova_strat_persistent_ops = {
	.name = "persistent",
	.init = persistent_init,
	.fini = iova_cache_fini,
	.map = iova_cache_map,
	.unmap = iova_cache_unmap,
	.oldest_stale_ns = iova_cache_oldest_stale,
};
