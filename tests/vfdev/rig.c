/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file rig.c
 * The tests' two-VF rig (rig.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <rte_mbuf.h>

#include "rig.h"

static unsigned int seq; /* unique pool and ring names */

void rig_up(struct rig *r, const struct rig_params *rp)
{
	struct vtd_soft_params vp;
	struct iova_ctx_params cp;
	char name[64];

	memset(r, 0, sizeof(*r));
	if (rp->strategy != IOVA_STRAT_OFF) {
		vtd_soft_default_params(&vp);
		vp.inv_latency_ns = 0;
		r->phys = iova_backend_soft_create(&vp, rp->rid, 1);
		assert_non_null(r->phys);
		if (rp->ir_entries)
			assert_int_equal(iova_backend_soft_ir_enable(r->phys, rp->ir_entries), 0);
	}
	iova_ctx_default_params(&cp);
	cp.strategy = rp->strategy;
	cp.nb_cpus = 1;
	r->ctx = iova_ctx_create(&cp, r->phys);
	assert_non_null(r->ctx);
	snprintf(name, sizeof(name), "rp%u", seq++);
	r->pool =
		iova_pktmbuf_pool_create(name, rp->pool_n, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0, r->ctx);
	assert_non_null(r->pool);
	for (int i = 0; i < 2; i++) {
		struct vfdev_params p = rp->vf[i];

		snprintf(name, sizeof(name), "ri%u", seq++);
		r->w_in[i] = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "ro%u", seq++);
		r->w_out[i] = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
		assert_non_null(r->w_in[i]);
		assert_non_null(r->w_out[i]);
		p.pool = r->pool;
		p.ctx = r->ctx;
		p.wire_in = r->w_in[i];
		p.wire_out = r->w_out[i];
		p.port_id = (uint16_t)i;
		r->d[i] = vfdev_create(&p);
		assert_non_null(r->d[i]);
	}
}

void rig_down(struct rig *r)
{
	struct rte_mbuf *m;

	for (int i = 0; i < 2; i++) {
		vfdev_destroy(r->d[i]);
		while (rte_ring_dequeue(r->w_in[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		while (rte_ring_dequeue(r->w_out[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(r->w_in[i]);
		rte_ring_free(r->w_out[i]);
	}
	rte_mempool_free(r->pool);
	iova_ctx_destroy(r->ctx);
}
