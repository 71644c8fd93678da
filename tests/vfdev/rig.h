/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file rig.h
 * The test rig of tests/vfdev (test_vfdev.c, test_vfdev_msix.c): two software VFs over
 * one DMA context on a fresh soft VT-d, their RX pool mapped through that context, and a
 * pair of wire rings per VF. Failures are cmocka assertions.
 */
#ifndef TESTS_VFDEV_RIG_H
#define TESTS_VFDEV_RIG_H

#include <stdint.h>

#include <rte_mempool.h>
#include <rte_ring.h>

#include "iova.h"
#include "vfdev.h"

struct rig {
	struct iova_ctx *ctx;
	struct iova_backend *phys; /**< the soft VT-d; NULL under IOVA_STRAT_OFF */
	struct rte_mempool *pool; /**< the VFs' RX pool, mapped through ctx */
	struct rte_ring *w_in[2], *w_out[2];
	struct vfdev *d[2];
};

struct rig_params {
	enum iova_strategy strategy;
	uint16_t rid; /**< requester id of the soft VT-d's context entry (domain 1) */
	unsigned int ir_entries; /**< > 0: interrupt remapping on, with this many IRTEs */
	unsigned int pool_n; /**< mbufs in the RX pool */
	/** per VF: everything but pool, ctx, wire_in, wire_out and port_id (the rig's) */
	struct vfdev_params vf[2];
};

/** Build the rig (the soft VT-d's invalidations complete at once: inv_latency_ns 0). */
void rig_up(struct rig *r, const struct rig_params *p);

/** Destroy the VFs, free what is left on the wires, the rings, the pool and the context. */
void rig_down(struct rig *r);

#endif
