/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file backend_soft.c
 * The soft VT-d physical backend: one vtd_soft unit, its driver initialized
 * (vtd_drv_init()), one domain and one attached requester ID. map/unmap edit
 * the domain's second-level table, inv_queue/inv_flush drive queued
 * invalidation, dma translates through the unit as the device would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "iova_priv.h"
#include "iova_vtd.h"

struct soft_backend {
	struct iova_backend b;
	struct vtd_soft *v;
	struct vtd_drv *drv;
	struct vtd_domain *d;
	uint16_t rid;
};

static inline struct soft_backend *sb(struct iova_backend *b)
{
	return (struct soft_backend *)b->priv;
}

static int soft_map(struct iova_backend *b, uint64_t iova, void *host, size_t len, int prot)
{
	int rc = vtd_drv_map(sb(b)->d, iova, host, len, prot);

	if (!rc)
		__atomic_fetch_add(&b->phys_maps, 1, __ATOMIC_RELAXED);
	return rc;
}

static int soft_unmap(struct iova_backend *b, uint64_t iova, size_t len)
{
	int rc = vtd_drv_unmap(sb(b)->d, iova, len);

	if (!rc)
		__atomic_fetch_add(&b->phys_unmaps, 1, __ATOMIC_RELAXED);
	return rc;
}

static int soft_inv_queue(struct iova_backend *b, uint64_t iova, uint64_t npages)
{
	int n = vtd_drv_inv_queue(sb(b)->d, iova, npages);

	if (n > 0)
		__atomic_fetch_add(&b->phys_invalidations, (uint64_t)n, __ATOMIC_RELAXED);
	return n;
}

static int soft_inv_flush(struct iova_backend *b, bool wait)
{
	return vtd_drv_flush(sb(b)->d, wait);
}

static int soft_dma(struct iova_backend *b, uint64_t iova, size_t len, int access, void **host)
{
	return vtd_soft_translate(sb(b)->v, sb(b)->rid, iova, len, access, host);
}

static int soft_interrupt(struct iova_backend *b, uint16_t rid, uint64_t addr, uint32_t data,
			  struct iova_irq *out)
{
	return vtd_soft_interrupt(sb(b)->v, rid, addr, data, out);
}

static void soft_destroy(struct iova_backend *b)
{
	struct soft_backend *s;

	if (!b)
		return;
	s = sb(b);
	/* driver first (domain, then the driver's tables and queue), then the unit */
	vtd_drv_domain_destroy(s->d);
	vtd_drv_fini(s->drv);
	vtd_soft_destroy(s->v);
	free(s);
}

static int soft_poll(struct iova_backend *b)
{
	return vtd_soft_hw_poll(sb(b)->v);
}

static int soft_set_polled(struct iova_backend *b, bool on)
{
	vtd_soft_set_polled(sb(b)->v, on);
	return 0;
}

static const struct iova_backend_ops soft_ops = {
	.name = "soft-vtd",
	.map = soft_map,
	.unmap = soft_unmap,
	.inv_queue = soft_inv_queue,
	.inv_flush = soft_inv_flush,
	.dma = soft_dma,
	.destroy = soft_destroy,
	.poll = soft_poll,
	.set_polled = soft_set_polled,
	.interrupt = soft_interrupt,
};

/**
 * Create a soft VT-d backend: vtd_soft_create(p), vtd_drv_init(), domain did,
 * rid attached. Counters: phys_maps/phys_unmaps per successful call,
 * phys_invalidations += IOTLB descriptors queued; exits stays 0.
 * @return the backend, or NULL with errno EINVAL (did 0, bad params), ENOMEM,
 *         ETIMEDOUT (unit bring-up).
 */
struct iova_backend *iova_backend_soft_create(const struct vtd_soft_params *p, uint16_t rid,
					      uint16_t did)
{
	struct soft_backend *s;
	int rc;

	if (did == 0) {
		fprintf(stderr,
			"iova_backend_soft_create: domain id 0 is reserved; use 1..65535\n");
		errno = EINVAL;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	s->b.ops = &soft_ops;
	s->b.priv = s;
	s->rid = rid;
	s->v = vtd_soft_create(p);
	if (!s->v) {
		rc = -errno;
		fprintf(stderr, "iova_backend_soft_create: invalid vtd_soft_params "
				"(haw 39..57, qi_entries a power of two in 256..32768)\n");
		goto fail;
	}
	s->drv = vtd_drv_init(s->v);
	if (!s->drv) {
		rc = -errno;
		goto fail;
	}
	s->d = vtd_drv_domain_create(s->drv, did);
	if (!s->d) {
		rc = -errno;
		goto fail;
	}
	rc = vtd_drv_attach(s->d, rid);
	if (rc)
		goto fail;
	return &s->b;
fail:
	vtd_drv_domain_destroy(s->d);
	vtd_drv_fini(s->drv);
	vtd_soft_destroy(s->v);
	free(s);
	errno = -rc;
	return NULL;
}

/** The vtd_soft behind a soft backend, or NULL for any other backend (e.g. a mode wrapper). */
struct vtd_soft *iova_backend_soft_unit(struct iova_backend *b)
{
	if (!b || b->ops != &soft_ops)
		return NULL;
	return sb(b)->v;
}

/* ---- interrupt remapping: the host kernel's side (Linux irq_remapping.c) ---- */

static struct soft_backend *soft_of(struct iova_backend *b)
{
	return b && b->ops == &soft_ops ? sb(b) : NULL;
}

int iova_backend_soft_ir_enable(struct iova_backend *b, unsigned int entries)
{
	struct soft_backend *s = soft_of(b);

	if (!s) {
		fprintf(stderr,
			"iova_backend_soft_ir_enable: interrupt remapping needs the soft VT-d backend\n");
		return -EINVAL;
	}
	return vtd_drv_ir_enable(s->drv, entries, false);
}

int iova_backend_soft_ir_alloc(struct iova_backend *b, unsigned int count, uint16_t *base)
{
	struct soft_backend *s = soft_of(b);

	return s ? vtd_drv_ir_alloc(s->drv, count, base) : -EINVAL;
}

int iova_backend_soft_ir_set_remapped(struct iova_backend *b, uint16_t index, uint16_t rid,
				      uint8_t vector, uint32_t dest)
{
	struct soft_backend *s = soft_of(b);

	return s ? vtd_drv_ir_set_remapped(s->drv, index, rid, vector, dest) : -EINVAL;
}

int iova_backend_soft_ir_set_posted(struct iova_backend *b, uint16_t index, uint16_t rid,
				    uint8_t vector, uint64_t pi_desc)
{
	struct soft_backend *s = soft_of(b);

	return s ? vtd_drv_ir_set_posted(s->drv, index, rid, vector, pi_desc, false) : -EINVAL;
}

void iova_ir_msi_remappable(uint16_t base, unsigned int sub, uint64_t *addr, uint32_t *data)
{
	vtd_drv_ir_msi(base, sub, addr, data);
}

void iova_ir_msi_compat(uint8_t dest, uint8_t vector, uint64_t *addr, uint32_t *data)
{
	vtd_msi_compat(dest, vector, addr, data);
}
